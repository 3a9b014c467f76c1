//! The one observer a run gets for its report: signals by route and by type, and the faults.

use std::collections::BTreeMap;

use dgame_engine::event::{Event, Observer};
use dgame_engine::message::short_type_name;
use dgame_engine::{History, ServerId, Tick};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::faults::{FaultLog, FaultRecord};

/// Signals counted by who they travel between.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageCounts {
    /// Between a client and the gateway.
    pub client_gateway: u64,
    /// Between the gateway and a node.
    pub gateway_node: u64,
    /// Between two nodes.
    pub node_node: u64,
    /// By message type (short Rust name), in name order.
    pub by_type: BTreeMap<String, u64>,
}

/// Watches a run for its report: counts every signal sent by route and by message type, and
/// keeps the [`FaultLog`]. One observer rather than two, and types counted by the address of
/// their `&'static str` name with a multiply-only hash: hashing the whole name per message
/// with SipHash cost 13% of a run. (Two copies of one name at different addresses are merged
/// by name at the end.)
#[derive(Debug, Default)]
pub struct RunObserver {
    client_gateway: u64,
    gateway_node: u64,
    node_node: u64,
    by_type: FxHashMap<usize, (&'static str, u64)>,
    /// The faults, and when the system was unhealthy.
    pub faults: FaultLog,
}

impl Observer for RunObserver {
    fn on_event(&mut self, event: &Event<'_>) {
        if let Event::SignalSent { from, to, message, .. } = *event {
            match (from, to) {
                (ServerId::Node(_), ServerId::Node(_)) => self.node_node += 1,
                (ServerId::Client(_), _) | (_, ServerId::Client(_)) => self.client_gateway += 1,
                _ => self.gateway_node += 1,
            }
            let name = message.type_name();
            self.by_type.entry(name.as_ptr() as usize).or_insert((name, 0)).1 += 1;
        } else {
            self.faults.on_event(event);
        }
    }
}

impl RunObserver {
    /// The counts, with type names made short and merged.
    pub fn messages(&self) -> MessageCounts {
        let mut by_type = BTreeMap::new();
        for &(name, n) in self.by_type.values() {
            *by_type.entry(short_type_name(name).into_owned()).or_insert(0) += n;
        }
        MessageCounts {
            client_gateway: self.client_gateway,
            gateway_node: self.gateway_node,
            node_node: self.node_node,
            by_type,
        }
    }

    /// Closes the fault log at `end` and returns the faults and the operations (indices) of
    /// `history` that overlapped one.
    pub fn finish_faults(&mut self, history: &History, end: Tick) -> (Vec<FaultRecord>, Vec<usize>) {
        self.faults.finish(end);
        let overlapping = self.faults.overlapping(history, end);
        (std::mem::take(&mut self.faults.faults), overlapping)
    }
}
