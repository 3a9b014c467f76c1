//! An async timer (`async fn tick(cx: AsyncCtx<Self>)`) beside async endpoints.
use distributed_game::prelude::*;

#[derive(Debug, Clone, Message)]
#[reply(Option<Value>)]
struct Fetch;

#[derive(Debug, Default)]
struct Poller {
    value: Option<Value>,
}

#[node]
impl Poller {
    #[endpoint(ClientReadRequest)]
    async fn read(cx: AsyncCtx<Self>, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(cx.with(|me| me.value))
    }

    #[endpoint(ClientWriteRequest)]
    async fn write(cx: AsyncCtx<Self>, req: ClientWriteRequest) -> ClientWriteResponse {
        cx.sleep(1).await;
        cx.with(|me| me.value = Some(req.value));
        ClientWriteResponse::ok()
    }

    #[endpoint(Fetch)]
    fn fetch(&mut self, _: Fetch) -> Option<Value> {
        self.value
    }

    #[timer(interval = 5)]
    async fn tick(cx: AsyncCtx<Self>) {
        if let Some(&peer) = cx.peers().first() {
            let newest = cx.call(peer, Fetch).await;
            cx.with(|me| me.value = me.value.max(newest));
        }
    }
}

fn main() {}
