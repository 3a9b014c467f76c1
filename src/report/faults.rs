//! The faults of a run as the report tells them: what happened when, and which operations
//! ran while the system was not healthy.

use std::collections::BTreeSet;

use dgame_engine::event::{DropReason, Event, Observer};
use dgame_engine::{Fault, History, NodeId, ServerId, Tick};
use serde::{Deserialize, Serialize};

/// One fault that happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRecord {
    /// When.
    pub tick: Tick,
    /// Its kind: partition, heal, crash, restart, pause, resume, drop.
    pub kind: String,
    /// What, as a schedule writes it (`crash n2`).
    pub fault: String,
}

/// Watches the events for faults and for when the system is unhealthy: a node crashed or
/// paused, or a link cut (or a signal dropped by hand, for that one tick).
#[derive(Debug, Default)]
pub struct FaultLog {
    /// The faults, in order.
    pub faults: Vec<FaultRecord>,
    /// Closed intervals of ticks during which something was wrong.
    pub unhealthy: Vec<(Tick, Tick)>,
    crashed: BTreeSet<NodeId>,
    paused: BTreeSet<NodeId>,
    cut: BTreeSet<(ServerId, ServerId)>,
    since: Option<Tick>,
}

impl FaultLog {
    fn healthy(&self) -> bool {
        self.crashed.is_empty() && self.paused.is_empty() && self.cut.is_empty()
    }

    fn update(&mut self, tick: Tick) {
        match (self.since, self.healthy()) {
            (None, false) => self.since = Some(tick),
            (Some(start), true) => {
                self.unhealthy.push((start, tick));
                self.since = None;
            }
            _ => {}
        }
    }

    /// Closes the last interval at the end of the run.
    pub fn finish(&mut self, end: Tick) {
        if let Some(start) = self.since.take() {
            self.unhealthy.push((start, end));
        }
    }

    /// The indices of the operations that overlapped an unhealthy interval (a pending one runs
    /// to `end`).
    pub fn overlapping(&self, history: &History, end: Tick) -> Vec<usize> {
        history
            .operations
            .iter()
            .filter(|op| {
                let done = op.complete.unwrap_or(end);
                self.unhealthy.iter().any(|&(a, b)| op.invoke <= b && a <= done)
            })
            .map(|op| op.index)
            .collect()
    }
}

impl Observer for FaultLog {
    fn on_event(&mut self, event: &Event<'_>) {
        match *event {
            Event::Fault { tick, fault } => {
                self.faults.push(FaultRecord { tick, kind: fault.kind().to_owned(), fault: fault.to_string() });
                match fault {
                    Fault::Crash(n) => {
                        self.crashed.insert(*n);
                    }
                    Fault::Restart(n) => {
                        self.crashed.remove(n);
                    }
                    Fault::Pause(n) => {
                        self.paused.insert(*n);
                    }
                    Fault::Resume(n) => {
                        self.paused.remove(n);
                    }
                    _ => {}
                }
                self.update(tick);
            }
            Event::LinkCut { tick, from, to } => {
                self.cut.insert((from, to));
                self.update(tick);
            }
            Event::LinkHealed { tick, from, to } => {
                self.cut.remove(&(from, to));
                self.update(tick);
            }
            Event::SignalDropped { tick, reason: DropReason::ById, .. } if self.healthy() => {
                self.unhealthy.push((tick, tick));
            }
            _ => {}
        }
    }
}
