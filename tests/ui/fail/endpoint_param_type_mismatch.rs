//! The message parameter's type is not the type in `#[endpoint(...)]`.
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
    fn ping(&mut self, _: Pong) {}
}

fn main() {
    Register::default().ping(Pong);
}
