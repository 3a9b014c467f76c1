//! **BroadcastFlood**: the naive broadcast. A node that gets a value it has not seen, from a
//! client or from a peer, keeps it and sends it to every peer, once, without waiting for an
//! answer; a value it has seen before it ignores, or the flood would never stop.
//!
//! On a network that delivers every message this is all a broadcast needs: every peer hears
//! every value straight from the node that got it, and hears it again from each other peer
//! (`n x (n - 1)` messages per value: 6 with 3 nodes), which is wasteful but harmless. On a
//! network that loses messages it is a bet: a node misses a value when its direct copy *and*
//! every relayed copy are lost, and nothing ever sends the value again. A node cut off by a
//! partition misses every value sent while it was away, for good: nobody remembers that it
//! lacks them. [`BroadcastGossip`](crate::BroadcastGossip) keeps sending until each peer says
//! it has each value; [`BroadcastNoRetry`](crate::broken::BroadcastNoRetry) shows what happens
//! to it when it stops waiting for the answer.
//!
//! A copy of a client's request (the network may deliver one twice) only adds the value
//! again, which changes nothing: a set needs no session table.
//!
//! - **Guarantee**: every acknowledged value reaches every node, if no message is lost.
//! - **Fault model**: delays and duplication. No loss, no partitions, no crashes: any of them
//!   can lose a value for good (the tests show it).

use std::collections::BTreeSet;

use dgame_engine::prelude::*;
use serde::Serialize;

/// The guarantee, in one line (for tools).
pub const GUARANTEE: &str = "every acknowledged value reaches every node, if no message is lost";
/// The fault model, in one line (for tools).
pub const FAULT_MODEL: &str = "delays and duplication; loss, partitions or crashes lose values for good";
/// The fault model as data: the kinds of fault [`FAULT_MODEL`] names as tolerated.
pub const FAULTS: FaultModel = FaultModel::new(&[FaultKind::Duplication]);

/// A value for the peer to keep and pass on (fire and forget: no reply).
#[derive(Debug, Clone, Message)]
pub struct Flood(pub Value);

/// A node: the values it has seen.
#[derive(Debug, Default, Serialize)]
pub struct BroadcastFlood {
    /// Every value this node has, in order.
    pub values: BTreeSet<Value>,
}

impl BroadcastFlood {
    /// Keeps `value`; the first time, passes it on to every peer (the one it came from too:
    /// simpler, and that one ignores it).
    fn learn(&mut self, ctx: &Ctx<Self>, value: Value) {
        if self.values.insert(value) {
            ctx.send_to_peers(Flood(value));
        }
    }
}

#[node(workload(broadcast))]
impl BroadcastFlood {
    /// A client's value: kept before the answer, so an acknowledged value is here.
    #[endpoint(BroadcastRequest)]
    fn broadcast(&mut self, ctx: &mut Ctx<Self>, req: BroadcastRequest) -> ClientWriteResponse {
        self.learn(ctx, req.value);
        ClientWriteResponse::ok()
    }

    /// A read answers this node's own set.
    #[endpoint(BroadcastReadRequest)]
    fn read(&mut self, _: BroadcastReadRequest) -> BroadcastReadResponse {
        BroadcastReadResponse::ok(self.values.iter().copied())
    }

    /// A peer's value.
    #[endpoint(Flood)]
    fn flood(&mut self, ctx: &mut Ctx<Self>, Flood(value): Flood) {
        self.learn(ctx, value);
    }
}
