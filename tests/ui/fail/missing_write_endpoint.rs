//! A node without an endpoint for `ClientWriteRequest`.
use distributed_game::prelude::*;

#[derive(Debug, Default)]
struct Register {
    value: Option<Value>,
}

#[node]
impl Register {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.value)
    }
}

fn main() {
    let _ = Register::default().read(ClientReadRequest::default());
}
