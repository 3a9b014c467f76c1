//! `#[node(durable(...))]` naming a field the node does not have: rustc's error, on that name.
use distributed_game::prelude::*;

#[derive(Debug, Default)]
struct Register {
    term: u64,
    value: Option<Value>,
}

#[node(durable(trem, value))]
impl Register {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.value)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, req: ClientWriteRequest) -> ClientWriteResponse {
        self.term += 1;
        self.value = Some(req.value);
        ClientWriteResponse::ok()
    }
}

fn main() {
    let _ = World::<Register>::new(Config::default());
}
