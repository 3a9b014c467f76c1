//! **GCounterSumMerge**: [`GCounter`](crate::GCounter) whose merge adds the two counts of a
//! node instead of taking the larger. *Broken on purpose*: find the bug with the checker.
//!
//! - **The bug, in one line**: merging is adding, so a state merged twice is counted twice;
//!   and gossip merges every peer's whole state every round.
//! - **How it shows**: a client adds 3 at n1. n1 gossips `{n1: 3}`; n2 adds it to its own
//!   `{}` and reads 3, so far so good; next round n2 gossips `{n1: 3}` back and n1 now says 6,
//!   then n2 says 9... The first read after a round or two returns more than all the adds
//!   invoked so far, no network fault needed. A merge must be idempotent (merging the same
//!   state again changes nothing), commutative and associative; `max` is, `+` is not.
//! - **Guarantee**: none.
//! - **Fault model**: [`GCounter`](crate::GCounter)'s, word for word.
//!
//! This file is `g_counter.rs` with the type renamed, its `GUARANTEE`, and `GCounts::merge`'s
//! doc line and `max` replaced by a sum with the `BUG` comment; `algorithms/tests/broken_diffs.rs`
//! checks that nothing else differs.

use std::collections::BTreeMap;

use dgame_engine::prelude::*;
use serde::Serialize;

/// The guarantee, in one line (for tools).
pub const GUARANTEE: &str = "none: gossip counts the same adds again and again";
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

    /// Adds each node's two counts.
    pub fn merge(&mut self, other: &GCounts) {
        for (&node, &theirs) in &other.0 {
            let mine = self.0.entry(node).or_default();
            // BUG: the sum, not the larger. (`GCounter` keeps `(*mine).max(theirs)`.)
            *mine = mine.saturating_add(theirs);
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
pub struct GCounterSumMerge {
    /// How much each node has added, as far as this node knows (durable).
    pub counts: GCounts,
    /// Each client's latest add here, and its answer (durable).
    pub sessions: Sessions<ClientWriteResponse>,
}

#[node(durable(counts, sessions), workload(counter))]
impl GCounterSumMerge {
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
