//! A node without an endpoint for `ClientReadRequest`.
use distributed_game::prelude::*;

#[derive(Debug, Default)]
struct Register {
    value: Option<Value>,
}

#[node]
impl Register {
    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, req: ClientWriteRequest) -> ClientWriteResponse {
        self.value = Some(req.value);
        ClientWriteResponse::ok()
    }
}

fn main() {
    let _ = Register::default().write(ClientWriteRequest { id: RequestId::default(), value: 1 });
}
