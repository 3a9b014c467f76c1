//! An async endpoint returning something other than its message's reply type.
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
    async fn version(_cx: AsyncCtx<Self>, _: GetVersion) -> u32 {
        0
    }
}

fn main() {
    let _ = Register::version;
}
