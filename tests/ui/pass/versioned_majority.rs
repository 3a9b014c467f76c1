//! The reference node: sync and async endpoints, a context parameter, a custom message with a
//! reply, a timer.
use distributed_game::prelude::*;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Versioned {
    value: Option<Value>,
    version: u64,
}

#[derive(Debug, Clone, Message)]
#[reply(Versioned)]
struct GetVersioned;

#[derive(Debug, Clone, Message)]
#[reply(Ack)]
struct Store(Versioned);

#[derive(Debug, Default)]
struct VersionedMajority {
    current: Versioned,
}

#[node]
impl VersionedMajority {
    #[endpoint(ClientReadRequest)]
    async fn read(cx: AsyncCtx<Self>, _: ClientReadRequest) -> ClientReadResponse {
        let replies = cx.broadcast(GetVersioned).at_least(cx.peers().len() / 2).await;
        let newest = cx.with(|me| replies.iter().chain([&me.current]).max_by_key(|v| v.version).copied());
        ClientReadResponse::ok(newest.and_then(|v| v.value))
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, req: ClientWriteRequest) -> ClientWriteResponse {
        self.current.value = Some(req.value);
        ClientWriteResponse::ok()
    }

    #[endpoint(GetVersioned)]
    fn get_versioned(&mut self, _: GetVersioned) -> Versioned {
        self.current
    }

    #[endpoint(Store)]
    fn store(&mut self, ctx: &mut Ctx<Self>, Store(v): Store) -> Ack {
        let _ = ctx.id();
        if v.version > self.current.version {
            self.current = v;
        }
        Ack
    }

    #[timer(interval = 10)]
    fn heartbeat(&mut self, _ctx: &mut Ctx<Self>) {}
}

fn main() {}
