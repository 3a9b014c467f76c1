//! Async endpoints with too few and too many parameters.
use distributed_game::prelude::*;

#[derive(Debug, Default)]
struct Register {
    value: Option<Value>,
}

#[derive(Debug, Clone, Message)]
struct Ping;

#[derive(Debug, Clone, Message)]
struct Pong;

#[node]
impl Register {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.value)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, req: ClientWriteRequest) -> ClientWriteResponse {
        self.value = Some(req.value);
        ClientWriteResponse::ok()
    }

    #[endpoint(Ping)]
    async fn ping(_: Ping) {}

    #[endpoint(Pong)]
    async fn pong(_cx: AsyncCtx<Self>, _: Pong, _extra: u64) {}
}

fn main() {
    let _ = Register::ping(Ping);
}
