// A workload name that is not one, and one named twice.
use distributed_game::prelude::*;

#[derive(Debug, Default)]
struct Ids {
    next: u64,
}

#[node(workload(unique_ids, unique_ids, queue))]
impl Ids {
    #[endpoint(GenerateRequest)]
    fn generate(&mut self, _: GenerateRequest) -> GenerateResponse {
        self.next += 1;
        GenerateResponse::ok(self.next)
    }
}

fn main() {}
