//! What a run's report counts: signals by route and by type (counted by the engine), and the
//! faults (through the one observer a run gets for its report).

use std::collections::BTreeMap;

use dgame_engine::event::{DropReason, Event, EventKind, Interest, Observer};
use dgame_engine::message::short_type_name;
use dgame_engine::{History, Stats, Tick};
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

/// Watches a run for its report: keeps the [`FaultLog`]. The signals are counted by the
/// engine as they are sent ([`World::stats`](dgame_engine::World::stats) and
/// [`World::sent_by_type`](dgame_engine::World::sent_by_type)): an event per signal to an
/// observer cost a tenth of a run.
#[derive(Debug, Default)]
pub struct RunObserver {
    /// The faults, and when the system was unhealthy.
    pub faults: FaultLog,
}

impl Observer for RunObserver {
    /// Only these reach it: the world builds no other event for it (signals, deliveries,
    /// handlers, states are most of a run's events).
    fn interest(&self) -> Interest {
        [EventKind::Fault, EventKind::LinkCut, EventKind::LinkHealed, EventKind::SignalDropped]
            .into_iter()
            .fold(Interest::NONE, Interest::with)
    }

    fn on_event(&mut self, event: &Event<'_>) {
        match event {
            // Only these concern the fault log.
            Event::Fault { .. }
            | Event::LinkCut { .. }
            | Event::LinkHealed { .. }
            | Event::SignalDropped { reason: DropReason::ById, .. } => self.faults.on_event(event),
            _ => {}
        }
    }
}

impl MessageCounts {
    /// The counts of a run: its stats' routes and its signals by type, with type names made
    /// short and merged.
    pub fn of(stats: &Stats, sent_by_type: &[(&'static str, u64)]) -> Self {
        let mut by_type = BTreeMap::new();
        for &(name, n) in sent_by_type {
            *by_type.entry(short_type_name(name).into_owned()).or_insert(0) += n;
        }
        MessageCounts {
            client_gateway: stats.sent_client_gateway,
            gateway_node: stats.sent_gateway_node,
            node_node: stats.sent_node_node,
            by_type,
        }
    }
}

impl RunObserver {
    /// Closes the fault log at `end` and returns the faults and the operations (indices) of
    /// `history` that overlapped one.
    pub fn finish_faults(&mut self, history: &History, end: Tick) -> (Vec<FaultRecord>, Vec<usize>) {
        self.faults.finish(end);
        let overlapping = self.faults.overlapping(history, end);
        (std::mem::take(&mut self.faults.faults), overlapping)
    }
}
