//! Several mistakes in one impl: every one is reported, in one compilation.
use distributed_game::prelude::*;

#[derive(Debug, Default)]
struct Register {
    value: Option<Value>,
}

#[derive(Debug, Clone, Message)]
struct Ping;

#[derive(Debug, Clone)]
struct Pong;

#[node]
impl Register {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.value)
    }

    #[endpoint(Ping)]
    fn ping(&self, _: Ping) {}

    #[endpoint(ClientReadRequest)]
    fn read_again(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(None)
    }

    #[endpoint(Ping)]
    async fn ping_again(&mut self, _: Ping) {}

    #[timer(interval = 0)]
    fn tick(&mut self) {}

    #[timer(every = 5)]
    fn tock(&mut self) {}

    #[endpoint(Pong)]
    fn pong(&mut self, _: Pong) {}
}

fn main() {
    let mut r = Register::default();
    r.ping(Ping);
    r.tick();
    r.tock();
    r.pong(Pong);
}
