//! **PnCounter**: a counter that goes up and down, as two grow-only counters (Shapiro et al.,
//! 2011): `up` counts what was added, `down` what was taken away, each per node as in
//! [`GCounter`](crate::GCounter), and the counter reads `up - down`.
//!
//! Why not one count per node that goes up and down? Because the merge takes the larger of
//! two counts, which is the newer one only if counts never go down: a node at 5 that takes 3
//! away says 2, and a peer that heard 5 keeps 5. Split in two, every count only grows again,
//! and the merge of [`GCounts`] works as it is.
//!
//! The rest is [`GCounter`](crate::GCounter)'s: gossip of the whole state every few ticks, fire
//! and forget; a session table so that a copy of a client's add is not counted twice; counts
//! and sessions durable.
//!
//! - **Guarantee**: once the clients stop and the network heals, every node reads the sum of
//!   the acknowledged adds (plus those of unknown outcome that happened).
//! - **Fault model**: any delays, loss and duplication; partitions that heal; crashes and
//!   pauses (the nodes come back).

use dgame_engine::prelude::*;
use serde::Serialize;

use crate::g_counter::GCounts;

/// The guarantee, in one line (for tools).
pub const GUARANTEE: &str = "every node converges to the sum of the acknowledged adds";
/// The fault model, in one line (for tools).
pub const FAULT_MODEL: &str = "any delays, loss, duplication, partitions that heal, crashes and pauses";
/// The fault model as data: the kinds of fault [`FAULT_MODEL`] names as tolerated.
pub const FAULTS: FaultModel = FaultModel::ALL;

/// Ticks between two rounds of gossip.
pub const GOSSIP: Tick = 5;

/// A node's two counters, for the peer to merge (fire and forget: no reply).
#[derive(Debug, Clone, Message)]
pub struct PnCounts {
    /// What each node added.
    pub up: GCounts,
    /// What each node took away.
    pub down: GCounts,
}

/// A node: the two counters, and its clients' latest adds.
#[derive(Debug, Default, Serialize)]
pub struct PnCounter {
    /// What each node added, as far as this node knows (durable).
    pub up: GCounts,
    /// What each node took away, as far as this node knows (durable).
    pub down: GCounts,
    /// Each client's latest add here, and its answer (durable).
    pub sessions: Sessions<ClientWriteResponse>,
}

#[node(durable(up, down, sessions), workload(pn_counter))]
impl PnCounter {
    /// A client's add, of either sign: to this node's own count in `up` or `down`, once per
    /// request.
    #[endpoint(CounterAddRequest)]
    fn add(&mut self, ctx: &mut Ctx<Self>, req: CounterAddRequest) -> ClientWriteResponse {
        match self.sessions.begin(req.id) {
            Seen::New => {}
            Seen::Answered(answer) => return answer,
            // `Running` cannot happen (this handler never waits); `Stale`: nobody waits for it.
            Seen::Running | Seen::Stale => return ClientWriteResponse::unknown(),
        }
        let amount = req.delta.unsigned_abs();
        let added = if req.delta >= 0 { self.up.add(ctx.id(), amount) } else { self.down.add(ctx.id(), amount) };
        let answer = if added { ClientWriteResponse::ok() } else { ClientWriteResponse::fail() };
        self.sessions.finish(req.id, answer);
        answer
    }

    /// A read answers `up - down` as this node knows them.
    #[endpoint(CounterReadRequest)]
    fn read(&mut self, _: CounterReadRequest) -> CounterReadResponse {
        let value = i128::from(self.up.sum()) - i128::from(self.down.sum());
        CounterReadResponse::ok(value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }

    /// A peer's counters.
    #[endpoint(PnCounts)]
    fn merge(&mut self, theirs: PnCounts) {
        self.up.merge(&theirs.up);
        self.down.merge(&theirs.down);
    }

    /// A round: every peer gets both our counters.
    #[timer(interval = 5)] // = GOSSIP (an attribute takes a literal)
    fn gossip(&mut self, ctx: &mut Ctx<Self>) {
        ctx.send_to_peers(PnCounts { up: self.up.clone(), down: self.down.clone() });
    }
}
