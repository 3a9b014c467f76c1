//! **BroadcastNoRetry**: [`BroadcastGossip`](crate::BroadcastGossip) that does not wait for
//! the acknowledgements. *Broken on purpose*: find the bug with the checker.
//!
//! - **The bug, in one line**: a round sends each peer what it lacks and counts it delivered
//!   at once, so a message lost on the way (or dropped by a partition) is never sent again.
//! - **How it shows**: a node cut off by a partition misses every value sent to the others
//!   meanwhile; when the partition heals nobody sends them again, and its final read lacks
//!   values that were acknowledged. Loss alone does it too, more rarely: a value is lost to a
//!   node when its direct copy and every relayed copy are lost.
//! - **Guarantee**: none under loss or partitions (without them it is
//!   [`BroadcastGossip`](crate::BroadcastGossip)'s, like [`BroadcastFlood`](crate::BroadcastFlood)).
//! - **Fault model**: [`BroadcastGossip`](crate::BroadcastGossip)'s, word for word.
//!
//! This file is `broadcast_gossip.rs` with the type renamed, its `GUARANTEE`, and the wait
//! for the acknowledgements in `push` (three lines) replaced by the `BUG` comment and a send
//! without waiting; `algorithms/tests/broken_diffs.rs` checks that nothing else differs.

use std::collections::{BTreeMap, BTreeSet};

use dgame_engine::prelude::*;
use serde::Serialize;

/// The guarantee, in one line (for tools).
pub const GUARANTEE: &str = "none under loss or partitions (a lost gossip message is never sent again)";
/// The fault model, in one line (for tools).
pub const FAULT_MODEL: &str = "any delays, loss, duplication, partitions that heal, crashes and pauses";
/// The fault model as data: the kinds of fault [`FAULT_MODEL`] names as tolerated.
pub const FAULTS: FaultModel = FaultModel::ALL;

/// Ticks between two rounds of gossip. A round trip takes at most 2 x 3 ticks of delay plus 2
/// ticks of handling, so a round's acknowledgements are in before the next round starts.
pub const GOSSIP: Tick = 8;

/// Values the sender has and the receiver may lack: keep them, and acknowledge.
#[derive(Debug, Clone, Message)]
#[reply(Ack)]
pub struct Gossip {
    /// The sender (it has these values: no need to send them back to it).
    pub from: NodeId,
    /// The values.
    pub values: Vec<Value>,
}

/// A node: the values it has, and what it knows its peers have.
#[derive(Debug, Default, Serialize)]
pub struct BroadcastNoRetry {
    /// Every value this node has (durable).
    pub values: BTreeSet<Value>,
    /// Per peer, the values it is known to have: it acknowledged them, or sent them to us.
    pub known: BTreeMap<NodeId, BTreeSet<Value>>,
}

impl BroadcastNoRetry {
    /// For each peer that lacks some of our values (as far as we know), a message with them.
    fn batches(&self, me: NodeId, peers: &[NodeId]) -> Vec<(NodeId, Gossip)> {
        let none = BTreeSet::new();
        peers
            .iter()
            .filter_map(|&peer| {
                let known = self.known.get(&peer).unwrap_or(&none);
                let values: Vec<Value> = self.values.difference(known).copied().collect();
                (!values.is_empty()).then_some((peer, Gossip { from: me, values }))
            })
            .collect()
    }
}

#[node(durable(values), workload(broadcast))]
impl BroadcastNoRetry {
    /// A client's value: stored (durably) before the answer; the gossip spreads it.
    #[endpoint(BroadcastRequest)]
    fn broadcast(&mut self, req: BroadcastRequest) -> ClientWriteResponse {
        self.values.insert(req.value);
        ClientWriteResponse::ok()
    }

    /// A read answers this node's own set.
    #[endpoint(BroadcastReadRequest)]
    fn read(&mut self, _: BroadcastReadRequest) -> BroadcastReadResponse {
        BroadcastReadResponse::ok(self.values.iter().copied())
    }

    /// A peer's values: keep them; the peer has them, so they need not go back to it.
    #[endpoint(Gossip)]
    fn gossip(&mut self, g: Gossip) -> Ack {
        self.values.extend(&g.values);
        self.known.entry(g.from).or_default().extend(g.values);
        Ack
    }

    /// A round: send each peer what it lacks, note what it acknowledged.
    #[timer(interval = 8)] // = GOSSIP (an attribute takes a literal)
    async fn push(cx: AsyncCtx<Self>) {
        let batches = cx.with(|me| me.batches(cx.id(), &cx.peers()));
        if batches.is_empty() {
            return;
        }
        // BUG: fire and forget. (`BroadcastGossip` waits for the acknowledgements and counts
        // only the peers that sent one.)
        for (peer, g) in &batches {
            cx.send(*peer, g.clone());
        }
        let delivered: Vec<NodeId> = batches.iter().map(|(peer, _)| *peer).collect();
        cx.with(|me| {
            for (peer, g) in batches.into_iter().filter(|(peer, _)| delivered.contains(peer)) {
                me.known.entry(peer).or_default().extend(g.values);
            }
        });
    }
}
