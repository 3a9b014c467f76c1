// A node that serves the broadcast workload only: no register endpoints needed.
use distributed_game::prelude::*;

#[derive(Debug, Default)]
struct Lonely {
    values: Vec<Value>,
}

#[node(workload(broadcast))]
impl Lonely {
    #[endpoint(BroadcastRequest)]
    fn broadcast(&mut self, req: BroadcastRequest) -> ClientWriteResponse {
        self.values.push(req.value);
        ClientWriteResponse::ok()
    }

    #[endpoint(BroadcastReadRequest)]
    fn read(&mut self, _: BroadcastReadRequest) -> BroadcastReadResponse {
        BroadcastReadResponse::ok(self.values.iter().copied())
    }
}

fn main() {
    assert_eq!(<Lonely as distributed_game::prelude::Node>::__WORKLOADS, [Workload::Broadcast]);
}
