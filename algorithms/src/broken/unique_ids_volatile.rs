//! **UniqueIdsVolatile**: [`UniqueIds`](crate::UniqueIds) whose counter is not durable.
//! *Broken on purpose*: find the bug with the checker.
//!
//! - **The bug, in one line**: the counter lives in memory only, so a node that crashes comes
//!   back counting from 0.
//! - **How it shows**: node 1 hands out 1000000000, 1000000001, ..., crashes, restarts, and
//!   hands out 1000000000 again. Without crashes it is [`UniqueIds`](crate::UniqueIds).
//! - **Guarantee**: none once a node crashes.
//! - **Fault model**: [`UniqueIds`](crate::UniqueIds)'s, word for word.
//!
//! This file is `unique_ids.rs` with the type renamed, its `GUARANTEE`, and `durable(next)`
//! left out of `#[node(...)]` (with the `BUG` comment); `algorithms/tests/broken_diffs.rs`
//! checks that nothing else differs.

use dgame_engine::prelude::*;
use serde::Serialize;

/// The guarantee, in one line (for tools).
pub const GUARANTEE: &str = "no id handed out twice, until a node crashes";
/// The fault model, in one line (for tools).
pub const FAULT_MODEL: &str = "any delays, loss, duplication, partitions, crashes and pauses";
/// The fault model as data: the kinds of fault [`FAULT_MODEL`] names as tolerated.
pub const FAULTS: FaultModel = FaultModel::ALL;

/// How many ids each node has: node `n`'s are `n x PER_NODE` to `n x PER_NODE + PER_NODE - 1`.
pub const PER_NODE: u64 = 1_000_000_000;

/// A node: how many ids it has handed out.
#[derive(Debug, Default, Serialize)]
pub struct UniqueIdsVolatile {
    /// The counter of the next id to hand out.
    pub next: u64,
}

// BUG: `next` is not durable. (`UniqueIds` has `#[node(durable(next), workload(unique_ids))]`.)
#[node(workload(unique_ids))]
impl UniqueIdsVolatile {
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
