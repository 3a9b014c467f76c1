//! **BroadcastGossip**: every node keeps the set of values it has seen and, every few ticks,
//! sends each peer the values that peer has not acknowledged yet, until it does.
//!
//! Each node remembers, per peer, the values that peer is known to have: those it
//! acknowledged, and those it sent us (it has them, obviously). Every [`GOSSIP`] ticks it sends
//! each peer one [`Gossip`] message with everything else, and waits for the acknowledgements
//! until the next round. What a peer acknowledged it never sends that peer again; what was
//! lost, on the way there or back, goes again next round. That retry is the whole difference
//! from [`BroadcastFlood`](crate::BroadcastFlood): a value stops travelling only when every
//! peer has said it has it, so loss only delays it, and a node cut off by a partition gets
//! everything it missed in the first round after the partition heals. Without the retry it
//! loses values: see [`BroadcastNoRetry`](crate::broken::BroadcastNoRetry).
//!
//! A node passes on what it hears from a peer too, so a value reaches a node by any path that
//! works. A copy of a message (the network may deliver one twice) adds values again, which
//! changes nothing; a copy of a client's request likewise: a set needs no session table.
//!
//! The set is **durable** (`#[node(durable(values))]`): a node acknowledges a client's value
//! once it has stored it, and a crash must not take it back. What the peers are known to have
//! is not: after a restart the node sends them everything again, which costs messages, not
//! correctness.
//!
//! - **Guarantee**: every acknowledged value reaches every node, once the network lets them
//!   talk (within a few rounds of a partition healing or a node restarting).
//! - **Fault model**: any delays, loss and duplication; partitions that heal; crashes and
//!   pauses (the nodes come back).

use std::collections::{BTreeMap, BTreeSet};

use dgame_engine::prelude::*;
use serde::Serialize;

/// The guarantee, in one line (for tools).
pub const GUARANTEE: &str = "every acknowledged value reaches every node, once the network heals";
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
pub struct BroadcastGossip {
    /// Every value this node has (durable).
    pub values: BTreeSet<Value>,
    /// Per peer, the values it is known to have: it acknowledged them, or sent them to us.
    pub known: BTreeMap<NodeId, BTreeSet<Value>>,
}

impl BroadcastGossip {
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
impl BroadcastGossip {
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
        let replies = cx.call_each(batches.clone()).within(GOSSIP).await;
        // Only the peers that acknowledged have their batch: the others get it again next round.
        let delivered: Vec<NodeId> = replies.senders().collect();
        cx.with(|me| {
            for (peer, g) in batches.into_iter().filter(|(peer, _)| delivered.contains(peer)) {
                me.known.entry(peer).or_default().extend(g.values);
            }
        });
    }
}
