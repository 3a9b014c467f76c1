//! An endpoint with no return type for a message whose reply type is not `()`.
use distributed_game::prelude::*;

#[derive(Debug, Default)]
struct Register {
    value: Option<Value>,
}

#[derive(Debug, Clone, Message)]
#[reply(u64)]
struct GetVersion;

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

    #[endpoint(GetVersion)]
    fn version(&mut self, _: GetVersion) {}
}

fn main() {
    Register::default().version(GetVersion);
}
