//! Faults applied to a world: every way to cause one (the schedule, the nemesis, the
//! configuration's cuts, a click in the viewer, [`World::apply`] and its shorthands
//! [`World::cut`], [`World::crash`], ...) goes through [`World::apply_fault`], which checks it,
//! records it ([`Event::Fault`]) and carries it out.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::catch::panic_message;
use crate::error::{RunError, WorldError};
use crate::event::{DropReason, Event};
use crate::executor::NodeStatus;
use crate::fault::{Fault, Scheduled};
use crate::ids::{NodeId, ServerId, SignalId};
use crate::network::cuts::{self, links};
use crate::network::emit;
use crate::node::Node;
use crate::world::World;

/// Why a fault was not carried out.
pub(crate) enum FaultError {
    /// It does not fit the world (a node that does not exist, a crash of a crashed node): the
    /// world is as it was.
    Refused(WorldError),
    /// The node's own code panicked while carrying it out (its constructor, at a restart).
    Stopped(RunError),
}

impl<N: Node> World<N> {
    /// Applies a fault now: between ticks, it acts from the next tick (exactly as a
    /// [`Scheduled`] fault at the next tick would). It is recorded as an [`Event::Fault`].
    pub fn apply(&mut self, fault: Fault) -> Result<(), WorldError> {
        if let Some(e) = &self.failed {
            return Err(WorldError::Stopped(e.clone()));
        }
        match self.apply_fault(fault) {
            Ok(()) => Ok(()),
            Err(FaultError::Refused(e)) => Err(e),
            Err(FaultError::Stopped(e)) => {
                self.failed = Some(e.clone());
                Err(WorldError::Stopped(e))
            }
        }
    }

    /// Cuts every link from a server of `from` to one of `to` (and back, unless `one_way`):
    /// [`Fault::Cut`]. Signals in flight on those links are lost now; signals sent on them
    /// later are lost when sent.
    pub fn cut(&mut self, from: &[ServerId], to: &[ServerId], one_way: bool) -> Result<(), WorldError> {
        self.apply(Fault::Cut { from: from.to_vec(), to: to.to_vec(), one_way })
    }

    /// Heals what [`cut`](World::cut) cut: [`Fault::Heal`]. A link that a cut of the
    /// configuration holds at this tick stays cut: the configured scenario is not undone.
    pub fn heal(&mut self, from: &[ServerId], to: &[ServerId], one_way: bool) -> Result<(), WorldError> {
        self.apply(Fault::Heal { from: from.to_vec(), to: to.to_vec(), one_way })
    }

    /// Cuts `node` off from every other server, both ways: [`Fault::Isolate`].
    pub fn isolate(&mut self, node: NodeId) -> Result<(), WorldError> {
        self.apply(Fault::Isolate(node))
    }

    /// Heals what [`isolate`](World::isolate) cut (except links a configured cut holds):
    /// [`Fault::Rejoin`].
    pub fn rejoin(&mut self, node: NodeId) -> Result<(), WorldError> {
        self.apply(Fault::Rejoin(node))
    }

    /// Heals every cut link, except those a configured cut holds now: [`Fault::HealAll`].
    pub fn heal_all(&mut self) -> Result<(), WorldError> {
        self.apply(Fault::HealAll)
    }

    /// Drops the signal `id` while it is in flight (what a click in the viewer does):
    /// [`Fault::Drop`].
    pub fn drop_signal(&mut self, id: SignalId) -> Result<(), WorldError> {
        self.apply(Fault::Drop(id))
    }

    /// Crashes a node: [`Fault::Crash`].
    pub fn crash(&mut self, node: NodeId) -> Result<(), WorldError> {
        self.apply(Fault::Crash(node))
    }

    /// Restarts a crashed node from its durable store: [`Fault::Restart`].
    pub fn restart(&mut self, node: NodeId) -> Result<(), WorldError> {
        self.apply(Fault::Restart(node))
    }

    /// Pauses a running node: [`Fault::Pause`].
    pub fn pause(&mut self, node: NodeId) -> Result<(), WorldError> {
        self.apply(Fault::Pause(node))
    }

    /// Resumes a paused node: [`Fault::Resume`].
    pub fn resume(&mut self, node: NodeId) -> Result<(), WorldError> {
        self.apply(Fault::Resume(node))
    }

    /// A fault of the configuration (its schedule, its cuts): one that does not fit stops the
    /// run.
    pub(crate) fn apply_planned(&mut self, scheduled: &Scheduled) -> Result<(), RunError> {
        match self.apply_fault(scheduled.fault.clone()) {
            Ok(()) => Ok(()),
            Err(FaultError::Stopped(e)) => Err(e),
            Err(FaultError::Refused(e)) => Err(RunError::InvalidFault {
                tick: self.now(),
                seed: self.config.seed,
                fault: scheduled.to_string(),
                reason: e.to_string(),
            }),
        }
    }

    /// The one path of every fault: checks that it fits, records it, carries it out.
    pub(crate) fn apply_fault(&mut self, fault: Fault) -> Result<(), FaultError> {
        self.check(&fault).map_err(FaultError::Refused)?;
        let now = self.now();
        emit!(self.wire, Event::Fault { tick: now, fault: &fault });
        match fault {
            Fault::Drop(id) => {
                self.wire.network.remove(id).expect("checked: the signal is in flight");
                emit!(self.wire, Event::SignalDropped { tick: now, signal: id, reason: DropReason::ById });
                self.wire.stats.dropped_by_id += 1;
            }
            Fault::Cut { from, to, one_way } => cuts::cut(&mut self.wire, links(&from, &to, one_way)),
            Fault::Heal { from, to, one_way } => self.cuts.heal(&mut self.wire, links(&from, &to, one_way)),
            Fault::Isolate(n) => {
                let others = self.others(n);
                cuts::cut(&mut self.wire, links(&[ServerId::Node(n)], &others, false));
            }
            Fault::Rejoin(n) => {
                let others = self.others(n);
                self.cuts.heal(&mut self.wire, links(&[ServerId::Node(n)], &others, false));
            }
            Fault::HealAll => {
                let cut: Vec<_> = self.wire.network.cuts().collect();
                self.cuts.heal(&mut self.wire, cut.into_iter());
            }
            Fault::Crash(n) => self.nodes[n.index()].crash(&mut self.wire),
            Fault::Restart(n) => {
                // The node's constructor is the user's code: a panic in it stops the run.
                let node = catch_unwind(AssertUnwindSafe(|| (self.make)(n))).map_err(|panic| {
                    FaultError::Stopped(self.node_code_panicked(n, RunError::CONSTRUCTOR, panic_message(&*panic)))
                })?;
                self.nodes[n.index()].restart(node);
            }
            Fault::Pause(n) => self.nodes[n.index()].status = NodeStatus::Paused,
            Fault::Resume(n) => self.nodes[n.index()].status = NodeStatus::Up,
        }
        Ok(())
    }

    /// Whether `fault` fits the world as it is now.
    fn check(&self, fault: &Fault) -> Result<(), WorldError> {
        if let Fault::Cut { from, to, .. } | Fault::Heal { from, to, .. } = fault
            && let Some(&missing) = from.iter().chain(to).find(|&&s| !self.wire.exists(s))
        {
            return Err(WorldError::NoSuchServer(missing));
        }
        let status = |n: NodeId| -> Result<NodeStatus, WorldError> {
            Ok(self.nodes.get(n.index()).ok_or(WorldError::NoSuchServer(ServerId::Node(n)))?.status)
        };
        for n in fault.nodes() {
            status(n)?;
        }
        let refuse = |why: String| Err(WorldError::InvalidFault(why));
        match *fault {
            Fault::Drop(id) if !self.wire.network.contains(id) => Err(WorldError::NoSuchSignal(id)),
            Fault::Crash(n) if status(n)? == NodeStatus::Crashed => refuse(format!("{n} has already crashed")),
            Fault::Restart(n) if status(n)? != NodeStatus::Crashed => refuse(format!("{n} has not crashed")),
            Fault::Pause(n) if status(n)? != NodeStatus::Up => refuse(format!("{n} is not running")),
            Fault::Resume(n) if status(n)? != NodeStatus::Paused => refuse(format!("{n} is not paused")),
            _ => Ok(()),
        }
    }

    /// Every server but `node`.
    fn others(&self, node: NodeId) -> Vec<ServerId> {
        self.servers().filter(|&s| s != ServerId::Node(node)).collect()
    }
}
