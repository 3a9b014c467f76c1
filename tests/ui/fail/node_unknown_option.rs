//! `#[node(...)]` with an option it does not have.
use distributed_game::prelude::*;

#[derive(Debug, Default)]
struct Register {
    value: Option<Value>,
}

#[node(leader)]
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
}

fn main() {
    let _ = Register::default().read(ClientReadRequest::default());
}
