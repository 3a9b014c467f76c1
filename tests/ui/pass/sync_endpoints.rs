//! Sync endpoints with and without a context, a sync timer without one, and a
//! fire-and-forget message (no `#[reply]`) whose endpoint returns `()`, written both
//! implicitly and explicitly.
use distributed_game::prelude::*;

#[derive(Debug, Clone, Message)]
struct Gossip(Value);

#[derive(Debug, Clone, Message)]
struct Ping;

#[derive(Debug, Default)]
struct Register {
    value: Option<Value>,
    ticks: u64,
}

#[node]
impl Register {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _req: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.value)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, ctx: &mut Ctx<Self>, req: ClientWriteRequest) -> ClientWriteResponse {
        self.value = Some(req.value);
        ctx.send_to_peers(Gossip(req.value));
        ClientWriteResponse::ok()
    }

    #[endpoint(Gossip)]
    fn gossip(&mut self, Gossip(value): Gossip) {
        self.value = Some(value);
    }

    #[endpoint(Ping)]
    fn ping(&mut self, _: Ping) -> () {}

    #[timer(interval = 1)]
    fn count(&mut self) {
        self.ticks += 1;
    }

    /// Not a handler: a plain method stays a plain method.
    fn helper(&self) -> u64 {
        self.ticks
    }
}

fn main() {
    let _ = Register::default().helper();
}
