//! The one observer a run gets for its report: signals by route and by type, and the faults.

use std::collections::BTreeMap;

use dgame_engine::event::{DropReason, Event, EventKind, Interest, Observer};
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

/// Slots of the direct-mapped table of message types (a power of two).
const SLOTS: usize = 64;

/// Message counts keyed by the address of the type's `&'static str` name: a direct-mapped
/// table (one multiply, one compare) for the few types an algorithm has, and a hash map for
/// any type whose slot is taken.
#[derive(Debug)]
struct TypeCounts {
    slots: [(usize, &'static str, u64); SLOTS],
    overflow: FxHashMap<usize, (&'static str, u64)>,
}

impl Default for TypeCounts {
    fn default() -> Self {
        TypeCounts { slots: [(0, "", 0); SLOTS], overflow: FxHashMap::default() }
    }
}

impl TypeCounts {
    #[inline]
    fn add(&mut self, name: &'static str) {
        let key = name.as_ptr() as usize;
        // Fibonacci hashing: the top bits of the product pick the slot.
        let hash = (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros());
        let slot = &mut self.slots[hash as usize];
        if slot.0 == key {
            slot.2 += 1;
        } else if slot.0 == 0 {
            *slot = (key, name, 1);
        } else {
            self.overflow.entry(key).or_insert((name, 0)).1 += 1;
        }
    }

    fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.slots.iter().filter(|s| s.0 != 0).map(|s| (s.1, s.2)).chain(self.overflow.values().copied())
    }
}

/// Watches a run for its report: counts every signal sent by route and by message type, and
/// keeps the [`FaultLog`]. One observer rather than two, and types counted by the address of
/// their `&'static str` name in a direct-mapped table: hashing the whole name per message
/// with SipHash cost 13% of a run. (Two copies of one name at different addresses are merged
/// by name at the end.)
#[derive(Debug, Default)]
pub struct RunObserver {
    client_gateway: u64,
    gateway_node: u64,
    node_node: u64,
    by_type: TypeCounts,
    /// The faults, and when the system was unhealthy.
    pub faults: FaultLog,
}

impl Observer for RunObserver {
    /// Only these reach it: the world builds no other event for it (deliveries, handlers,
    /// states are most of a run's events).
    fn interest(&self) -> Interest {
        [EventKind::SignalSent, EventKind::Fault, EventKind::LinkCut, EventKind::LinkHealed, EventKind::SignalDropped]
            .into_iter()
            .fold(Interest::NONE, Interest::with)
    }

    fn on_event(&mut self, event: &Event<'_>) {
        match event {
            Event::SignalSent { from, to, message, .. } => {
                match (from, to) {
                    (ServerId::Node(_), ServerId::Node(_)) => self.node_node += 1,
                    (ServerId::Client(_), _) | (_, ServerId::Client(_)) => self.client_gateway += 1,
                    _ => self.gateway_node += 1,
                }
                self.by_type.add(message.type_name());
            }
            // Only these concern the fault log.
            Event::Fault { .. }
            | Event::LinkCut { .. }
            | Event::LinkHealed { .. }
            | Event::SignalDropped { reason: DropReason::ById, .. } => self.faults.on_event(event),
            _ => {}
        }
    }
}

impl RunObserver {
    /// The counts, with type names made short and merged.
    pub fn messages(&self) -> MessageCounts {
        let mut by_type = BTreeMap::new();
        for (name, n) in self.by_type.iter() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_counted_whether_their_slot_is_free_or_taken() {
        let mut t = TypeCounts::default();
        // More names than slots: some must share a slot and go to the overflow map.
        let names: Vec<&'static str> = (0..200).map(|i| &*Box::leak(format!("T{i}").into_boxed_str())).collect();
        for (i, &n) in names.iter().enumerate() {
            for _ in 0..=i % 3 {
                t.add(n);
            }
        }
        let counted: std::collections::BTreeMap<&str, u64> = t.iter().collect();
        assert_eq!(counted.len(), 200);
        for (i, n) in names.iter().enumerate() {
            assert_eq!(counted[n], (i % 3 + 1) as u64, "{n}");
        }
    }
}
