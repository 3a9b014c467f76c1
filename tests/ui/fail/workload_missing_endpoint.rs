// A node that says it serves the key-value store but has no endpoint for compare-and-set.
use distributed_game::prelude::*;

#[derive(Debug, Default)]
struct Store {
    values: std::collections::BTreeMap<Key, Value>,
}

#[node(workload(kv))]
impl Store {
    #[endpoint(KvReadRequest)]
    fn read(&mut self, req: KvReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.values.get(&req.key).copied())
    }

    #[endpoint(KvWriteRequest)]
    fn write(&mut self, req: KvWriteRequest) -> ClientWriteResponse {
        self.values.insert(req.key, req.value);
        ClientWriteResponse::ok()
    }
}

fn main() {}
