//! `#[endpoint]` on a method of an impl block that has no `#[node]`.
use distributed_game::prelude::*;

#[derive(Debug, Default)]
struct Register {
    value: Option<Value>,
}

impl Register {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.value)
    }
}

fn main() {
    let _ = Register::default().read(ClientReadRequest::default());
}
