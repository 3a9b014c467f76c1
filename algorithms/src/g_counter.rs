//! **GCounter**: a grow-only counter as a state-based CRDT (Shapiro et al., 2011). Every node
//! keeps one count per node; a node adds only to its own, the counter reads as their sum, and
//! the nodes gossip their counts and merge them by taking the larger of each.
//!
//! Why one count per node, and why the larger rather than the sum? A node's own count only
//! grows, and only that node raises it, so of two counts for one node the larger is the newer,
//! and it already contains the smaller. Taking the larger is then the whole merge: it can be
//! done any number of times, in any order, with any old state (the network duplicates, delays
//! and loses gossip, and each round sends everything again), and the result is the same. A sum
//! would count the same adds again at every round: see
//! [`GCounterSumMerge`](crate::broken::GCounterSumMerge). A single shared number merged by the
//! larger would lose concurrent adds: two nodes at 5 that each add 1 both say 6, never 7.
//!
//! Gossip is fire and forget, every [`GOSSIP`] ticks, to every peer: a lost round is repaired
//! by the next, so no acknowledgement is needed.
//!
//! **Exactly once.** The network may deliver a client's add twice, and a state-based merge
//! cannot tell: the node would raise its count twice. So each node keeps each client's latest
//! request in a session table ([`Sessions`]) and answers a copy as it answered the first.
//!
//! The counts and the session table are **durable** (`#[node(durable(counts, sessions))]`).
//! Without that, a node that acknowledged an add and crashed before gossiping it would come
//! back without it; and a restarted node that counted from 0 again would have its new adds
//! hidden by the larger count its peers remember for it.
//!
//! - **Guarantee**: once the clients stop and the network heals, every node reads the sum of
//!   the acknowledged adds (plus those of unknown outcome that happened); no read ever counts
//!   more than was added.
//! - **Fault model**: any delays, loss and duplication; partitions that heal; crashes and
//!   pauses (the nodes come back).

use std::collections::BTreeMap;

use dgame_engine::prelude::*;
use serde::Serialize;

/// The guarantee, in one line (for tools).
pub const GUARANTEE: &str = "every node converges to the sum of the acknowledged adds; no read counts more";
/// The fault model, in one line (for tools).
pub const FAULT_MODEL: &str = "any delays, loss, duplication, partitions that heal, crashes and pauses";
/// The fault model as data: the kinds of fault [`FAULT_MODEL`] names as tolerated.
pub const FAULTS: FaultModel = FaultModel::ALL;

/// Ticks between two rounds of gossip.
pub const GOSSIP: Tick = 5;

/// How much each node has added, as far as one node knows: the state of a grow-only counter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GCounts(pub BTreeMap<NodeId, u64>);

impl GCounts {
    /// Adds `delta` to `node`'s count; `false` (and nothing added) if the count would overflow.
    pub fn add(&mut self, node: NodeId, delta: u64) -> bool {
        let count = self.0.entry(node).or_default();
        match count.checked_add(delta) {
            Some(c) => {
                *count = c;
                true
            }
            None => false,
        }
    }

    /// Takes the larger of each node's two counts: merging a state twice, or an older one,
    /// changes nothing.
    pub fn merge(&mut self, other: &GCounts) {
        for (&node, &theirs) in &other.0 {
            let mine = self.0.entry(node).or_default();
            *mine = (*mine).max(theirs);
        }
    }

    /// The counter's value: the sum of the counts.
    pub fn sum(&self) -> u64 {
        self.0.values().fold(0, |a, &c| a.saturating_add(c))
    }
}

/// A node's counts, for the peer to merge (fire and forget: no reply).
#[derive(Debug, Clone, Message)]
pub struct Counts(pub GCounts);

/// A node: the counts it knows of, and its clients' latest adds.
#[derive(Debug, Default, Serialize)]
pub struct GCounter {
    /// How much each node has added, as far as this node knows (durable).
    pub counts: GCounts,
    /// Each client's latest add here, and its answer (durable).
    pub sessions: Sessions<ClientWriteResponse>,
}

#[node(durable(counts, sessions), workload(counter))]
impl GCounter {
    /// A client's add: to this node's own count, once per request.
    #[endpoint(CounterAddRequest)]
    fn add(&mut self, ctx: &mut Ctx<Self>, req: CounterAddRequest) -> ClientWriteResponse {
        match self.sessions.begin(req.id) {
            Seen::New => {}
            Seen::Answered(answer) => return answer,
            // `Running` cannot happen (this handler never waits); `Stale`: nobody waits for it.
            Seen::Running | Seen::Stale => return ClientWriteResponse::unknown(),
        }
        // A grow-only counter cannot go down: a negative add is refused, and changes nothing.
        let added = u64::try_from(req.delta).is_ok_and(|d| self.counts.add(ctx.id(), d));
        let answer = if added { ClientWriteResponse::ok() } else { ClientWriteResponse::fail() };
        self.sessions.finish(req.id, answer);
        answer
    }

    /// A read answers this node's sum, whatever it has heard of so far.
    #[endpoint(CounterReadRequest)]
    fn read(&mut self, _: CounterReadRequest) -> CounterReadResponse {
        CounterReadResponse::ok(i64::try_from(self.counts.sum()).unwrap_or(i64::MAX))
    }

    /// A peer's counts.
    #[endpoint(Counts)]
    fn merge(&mut self, Counts(theirs): Counts) {
        self.counts.merge(&theirs);
    }

    /// A round: every peer gets all our counts.
    #[timer(interval = 5)] // = GOSSIP (an attribute takes a literal)
    fn gossip(&mut self, ctx: &mut Ctx<Self>) {
        ctx.send_to_peers(Counts(self.counts.clone()));
    }
}
