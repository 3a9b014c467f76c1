//! **UniqueIds**: every node hands out ids made of its own id and a counter of its own, with
//! no messages at all.
//!
//! Node `n`'s `k`th id (from 0) is `n x 1,000,000,000 + k`: node 2's ids are 2000000000,
//! 2000000001, ... Two nodes' ids differ in the billions, one node's ids in the counter, so no
//! two ids are equal, however the network behaves and whoever asks. (A node that has handed
//! out a billion ids refuses to go on rather than step into the next node's range.)
//!
//! The counter is **durable** (`#[node(durable(next))]`): a node that crashes and restarts
//! goes on from where it was. Without that it would count from 0 again and hand out the ids it
//! handed out before the crash: see [`UniqueIdsVolatile`](crate::broken::UniqueIdsVolatile).
//!
//! A copy of a client's request (the network may deliver one twice) gets an id of its own,
//! which nobody sees: the client hears only the first answer. Wasting an id is harmless, so
//! no session table.
//!
//! - **Guarantee**: no id is handed out twice, across crashes and restarts.
//! - **Fault model**: anything: delays, loss, duplication, partitions, crashes, pauses. A node
//!   needs nobody else to answer, so it answers whenever a request reaches it.

use dgame_engine::prelude::*;
use serde::Serialize;

/// The guarantee, in one line (for tools).
pub const GUARANTEE: &str = "no id is handed out twice, across crashes and restarts";
/// The fault model, in one line (for tools).
pub const FAULT_MODEL: &str = "any delays, loss, duplication, partitions, crashes and pauses";
/// The fault model as data: the kinds of fault [`FAULT_MODEL`] names as tolerated.
pub const FAULTS: FaultModel = FaultModel::ALL;

/// How many ids each node has: node `n`'s are `n x PER_NODE` to `n x PER_NODE + PER_NODE - 1`.
pub const PER_NODE: u64 = 1_000_000_000;

/// A node: how many ids it has handed out.
#[derive(Debug, Default, Serialize)]
pub struct UniqueIds {
    /// The counter of the next id to hand out.
    pub next: u64,
}

#[node(durable(next), workload(unique_ids))]
impl UniqueIds {
    /// The next id of this node's range.
    #[endpoint(GenerateRequest)]
    fn generate(&mut self, ctx: &mut Ctx<Self>, _: GenerateRequest) -> GenerateResponse {
        if self.next >= PER_NODE {
            return GenerateResponse::fail(); // This node's range is used up.
        }
        let id = u64::from(ctx.id().0) * PER_NODE + self.next;
        self.next += 1;
        GenerateResponse::ok(id)
    }
}
