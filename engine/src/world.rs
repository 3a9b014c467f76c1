//! The world: the gateway, the nodes and the clients, the network between them, and the tick
//! loop that drives them. See `docs/ARCHITECTURE.md` for the exact tick semantics.
//!
//! This file is the tick; the rest of the world's face is beside it: faults applied from outside
//! in `apply.rs`, inspection in `inspect.rs`. What a turn does is in `gateway.rs`, `executor.rs`
//! and `client.rs`; signals travel through `network/`.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use crate::apply::FaultError;
use crate::catch::{GuardedDebug, panic_message};
use crate::client::{Client, Env};
use crate::config::{Config, ConfigError};
use crate::error::RunError;
use crate::event::{DropReason, Event, Observer, SignalKind};
use crate::executor::{NodeSlot, NodeStatus};
use crate::fault::{NemesisPlanner, Scheduled};
use crate::gateway::Gateway;
use crate::history::History;
use crate::ids::{ClientId, NodeId, ServerId, SignalId, Tick, Value};
use crate::message::Message;
use crate::network::cuts::Cuts;
use crate::network::{Network, Signal, Wire, emit};
use crate::node::Node;
use crate::rng::{Stream, stream};
use crate::shared::WorldShared;

/// A simulated system: N nodes of type `N` running an algorithm, the gateway, the clients, and
/// the network. One seed and one configuration decide everything it does.
///
/// ```
/// use dgame_engine::prelude::*;
///
/// # #[derive(Debug, Default)] struct Register { value: Option<Value> }
/// # #[node] impl Register {
/// #     #[endpoint(ClientReadRequest)]
/// #     fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse { ClientReadResponse::ok(self.value) }
/// #     #[endpoint(ClientWriteRequest)]
/// #     fn write(&mut self, w: ClientWriteRequest) -> ClientWriteResponse { self.value = Some(w.value); ClientWriteResponse::ok() }
/// # }
/// let config = Config::builder().nodes(1).clients(2).ticks(100).seed(7).build()?;
/// let mut world = World::<Register>::new(config)?;
/// world.run()?;
/// assert!(world.history().operations.len() > 10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct World<N: Node> {
    pub(crate) config: Config,
    /// The send path: the clock and ids, the network, the observers, the counters.
    pub(crate) wire: Wire,
    pub(crate) nodes: Vec<NodeSlot<N>>,
    pub(crate) gateway: Gateway,
    pub(crate) clients: Vec<Client>,
    pub(crate) cuts: Cuts,
    pub(crate) history: History,
    next_value: Value,
    pub(crate) failed: Option<RunError>,
    /// Makes a node (at the start, and when it restarts after a crash).
    pub(crate) make: Box<dyn FnMut(NodeId) -> N>,
    /// The configuration's schedule in tick order (faults of one tick in the order given), and
    /// how much of it has been applied.
    pub(crate) schedule: Vec<Scheduled>,
    pub(crate) next_scheduled: usize,
    /// The nemesis's faults, drawn as the run reaches them.
    pub(crate) nemesis: Option<NemesisPlanner>,
    /// (nemesis episode, node) whose fault collided with the schedule and was called off,
    /// with its undoing.
    called_off: BTreeSet<(usize, NodeId)>,
    /// The buffer delivery takes the due signals into, kept to reuse its memory.
    due: Vec<Signal>,
    /// The invariants checked after every tick, and the states' fingerprints (`chooser.rs`).
    pub(crate) invariants: crate::chooser::Invariants<N>,
}

impl<N: Node + Default> World<N> {
    /// A world whose nodes start from `N::default()`.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        Self::with_nodes(config, |_| N::default())
    }
}

impl<N: Node> World<N> {
    /// A world whose nodes are made by `make(id)`.
    ///
    /// `make` is called again to rebuild a node that restarts after a crash; the fields its
    /// `#[node(durable(...))]` names are carried over from the node that crashed.
    ///
    /// `make` is the user's code, so a panic in it is caught like a handler's: here, the world
    /// is made without that node and the ones after it, and has stopped before its first tick
    /// ([`World::error`], and every `tick` and `run`, give [`RunError::NodeCodePanicked`] naming
    /// the node and [`RunError::CONSTRUCTOR_AT_START`]); at a restart, the run stops at that
    /// tick with [`RunError::CONSTRUCTOR`].
    pub fn with_nodes(config: Config, make: impl FnMut(NodeId) -> N + 'static) -> Result<Self, ConfigError> {
        config.validate()?;
        let seed = config.seed;
        let shared = Rc::new(WorldShared::new());
        let mut schedule = config.schedule.clone();
        // Stable: faults of one tick keep their order.
        schedule.sort_by_key(|s| s.at);
        let mut world = World {
            wire: Wire::new(shared, Network::new(&config), seed, config.clients as usize),
            nodes: Vec::with_capacity(config.nodes as usize),
            gateway: Gateway::default(),
            clients: (0..config.clients as usize)
                .map(|c| {
                    let id = ClientId::from_index(c);
                    Client::new(id, config.client_kind, stream(seed, Stream::Client(id.0)))
                })
                .collect(),
            cuts: Cuts::new(config.cuts.clone()),
            history: History { workload: config.workload, operations: Vec::new() },
            next_value: 0,
            failed: None,
            make: Box::new(make),
            schedule,
            next_scheduled: 0,
            nemesis: config
                .nemesis
                .clone()
                .map(|n| NemesisPlanner::new(n, stream(seed, Stream::Nemesis), config.nodes, config.last_invoke())),
            called_off: BTreeSet::new(),
            due: Vec::new(),
            invariants: crate::chooser::Invariants::default(),
            config,
        };
        world.wire.chooser = crate::chooser::SignalChooser::new(world.config.deviations.clone());
        for n in 0..world.config.nodes as usize {
            let id = NodeId::from_index(n);
            // Not an error of the configuration but a run that cannot start: reported the way
            // a run that stops is, so every caller that runs the world reports it already.
            match catch_unwind(AssertUnwindSafe(|| (world.make)(id))) {
                Ok(node) => {
                    world.push_node(node);
                }
                Err(panic) => {
                    let message = panic_message(&*panic);
                    world.failed = Some(world.node_code_panicked(id, RunError::CONSTRUCTOR_AT_START, message));
                    break;
                }
            }
        }
        Ok(world)
    }

    /// Adds a node with the next id. It is processed from the next tick on, with its local
    /// clock starting at 1 there; every node (and the gateway) knows it from now on.
    pub fn add_node(&mut self, node: N) -> NodeId {
        let id = self.push_node(node);
        // Every node's peers change: they are made again when next asked for.
        for slot in &self.nodes {
            *slot.ctx.core.peers.borrow_mut() = None;
        }
        id
    }

    fn push_node(&mut self, node: N) -> NodeId {
        let id = NodeId::from_index(self.nodes.len());
        let rate = self.config.clock_rates.iter().rev().find(|c| c.node == id).map_or(1.0, |c| c.rate);
        let shared = self.wire.shared.clone();
        self.nodes.push(NodeSlot::new(id, shared, self.config.seed, rate, node));
        self.wire.shared.nodes.set(self.nodes.len());
        id
    }

    /// Sends `msg` from `from` to `to` as a one-way signal, as if `from` had sent it this tick.
    /// For tests and experiments.
    pub fn inject<M: Message>(&mut self, from: ServerId, to: ServerId, msg: M) -> Result<SignalId, RunError> {
        self.wire.send(from, to, SignalKind::OneWay, Box::new(msg))
    }

    /// Sends every event from now on to `observer`.
    pub fn subscribe(&mut self, observer: impl Observer + 'static) {
        self.wire.observers.push(Box::new(observer));
    }

    /// The last tick that ran (0 before the first).
    pub fn now(&self) -> Tick {
        self.wire.now()
    }

    /// Runs ticks until [`Config::ticks`] have run.
    pub fn run(&mut self) -> Result<&History, RunError> {
        self.run_until(self.config.ticks)?;
        Ok(&self.history)
    }

    /// Runs ticks until `tick` has run.
    pub fn run_until(&mut self, tick: Tick) -> Result<(), RunError> {
        while self.now() < tick {
            self.tick()?;
        }
        Ok(())
    }

    /// Runs one tick: the gateway, each node in id order, each client in id order, then the
    /// network delivers the signals due at the end of this tick.
    pub fn tick(&mut self) -> Result<(), RunError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.run_tick().and_then(|()| self.after_tick()) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    fn run_tick(&mut self) -> Result<(), RunError> {
        let now = self.now() + 1;
        self.wire.shared.now.set(now);
        // (1) Scheduled faults first: a fault at `now` is what happened between the last tick
        // and this one (a click in the viewer), before anything of this tick, the cuts
        // included. Then the configuration's cuts: heals, then new cuts.
        self.apply_due_faults(now)?;
        if self.cuts.any_due(now) {
            for fault in self.cuts.due(now) {
                self.apply_planned(&Scheduled { at: now, fault })?;
            }
        }
        if self.config.workload.has_final_reads() && now == self.config.last_invoke() + 1 {
            self.heal_for_quiet_period()?;
        }
        // (2) The gateway's turn.
        self.gateway.turn(&mut self.wire, self.config.gateway_timeout)?;
        // (3) Each node's turn, in id order.
        for i in 0..self.nodes.len() {
            self.node_turn(i)?;
        }
        // (4) Each client's turn, in id order.
        let mut env = Env {
            wire: &mut self.wire,
            history: &mut self.history,
            config: &self.config,
            next_value: &mut self.next_value,
        };
        for client in &mut self.clients {
            client.turn(&mut env)?;
        }
        // (5) Delivery.
        self.deliver(now);
        Ok(())
    }

    /// The quiet period of a workload with final reads begins: every fault heals (cut links,
    /// paused and crashed nodes), so that what the final reads see is where the algorithm
    /// converges, not where a fault left it. Each heal is an ordinary, recorded fault.
    fn heal_for_quiet_period(&mut self) -> Result<(), RunError> {
        let now = self.now();
        if self.wire.network.cuts().next().is_some() {
            self.apply_planned(&Scheduled { at: now, fault: crate::Fault::HealAll })?;
        }
        for i in 0..self.nodes.len() {
            let n = NodeId::from_index(i);
            let fault = match self.nodes[i].status {
                NodeStatus::Up => continue,
                NodeStatus::Paused => crate::Fault::Resume(n),
                NodeStatus::Crashed => crate::Fault::Restart(n),
            };
            self.apply_planned(&Scheduled { at: now, fault })?;
        }
        Ok(())
    }

    /// The faults of the schedule and of the nemesis due at `now`, in tick order, the
    /// schedule's first within a tick.
    fn apply_due_faults(&mut self, now: Tick) -> Result<(), RunError> {
        loop {
            let scheduled_at = self.schedule.get(self.next_scheduled).map(|s| s.at).filter(|&at| at <= now);
            let nemesis_at = self.nemesis.as_mut().and_then(|p| p.peek()).map(|(s, _)| s.at).filter(|&at| at <= now);
            let (scheduled, episode) = match (scheduled_at, nemesis_at) {
                (None, None) => return Ok(()),
                (Some(a), b) if b.is_none_or(|b| a <= b) => {
                    self.next_scheduled += 1;
                    (self.schedule[self.next_scheduled - 1].clone(), None)
                }
                _ => {
                    let (s, episode) = self.nemesis.as_mut().and_then(|p| p.pop_due(now)).expect("peeked above");
                    (s, Some(episode))
                }
            };
            let Some(episode) = episode else {
                // In the quiet period of a workload with final reads everything has healed
                // (`heal_for_quiet_period`): undoing a fault of the schedule may find nothing
                // left to undo, which is no error then.
                let undo = matches!(
                    scheduled.fault,
                    crate::Fault::Restart(_)
                        | crate::Fault::Resume(_)
                        | crate::Fault::Rejoin(_)
                        | crate::Fault::Heal { .. }
                        | crate::Fault::HealAll
                );
                let healed = undo && self.config.workload.has_final_reads() && now > self.config.last_invoke();
                match self.apply_fault(scheduled.fault.clone()) {
                    Err(FaultError::Refused(_)) if healed => {}
                    Err(FaultError::Refused(_)) => self.apply_planned(&scheduled)?,
                    Err(FaultError::Stopped(e)) => return Err(e),
                    Ok(()) => {}
                }
                continue;
            };
            // The nemesis does not know the schedule: when they collide (it would crash a node
            // the schedule crashed), the rest of its episode, its undoing included, is called
            // off.
            let nodes = scheduled.fault.nodes();
            if nodes.iter().any(|&n| self.called_off.contains(&(episode, n))) {
                continue;
            }
            match self.apply_fault(scheduled.fault) {
                Ok(()) => {}
                Err(FaultError::Refused(_)) => self.called_off.extend(nodes.iter().map(|&n| (episode, n))),
                Err(FaultError::Stopped(e)) => return Err(e),
            }
        }
    }

    /// A node's turn (nothing for a crashed or paused one: its clock stops).
    #[inline]
    fn node_turn(&mut self, i: usize) -> Result<(), RunError> {
        let slot = &mut self.nodes[i];
        if slot.status != NodeStatus::Up {
            return Ok(());
        }
        // A node with nothing to do (most turns of a large world): its clock moves on, and
        // that is all, in a few branches.
        if N::__TIMERS.is_empty() && !slot.needs_init && slot.inbox.is_empty() && !slot.has_woken(self.wire.now()) {
            slot.advance_clock();
            return Ok(());
        }
        self.busy_node_turn(i)
    }

    #[inline(never)]
    fn busy_node_turn(&mut self, i: usize) -> Result<(), RunError> {
        let slot = &mut self.nodes[i];
        let wire = &mut self.wire;
        wire.shared.start_turn(self.config.turn_budget);
        // (0) `#[init]`, in its first turn and its first after a restart.
        if std::mem::take(&mut slot.needs_init) {
            slot.init(wire)?;
        }
        // (1) Every signal in the inbox: requests start a handler, replies wake their waiter.
        // (Most turns of a large world have none: they cost a branch.)
        let received = !slot.inbox.is_empty();
        if received {
            // Taken from the front one by one (no signal reaches an inbox during a turn): the
            // buffer stays in place for the next deliveries.
            while let Some(sig) = slot.inbox.pop_front() {
                match sig.kind {
                    SignalKind::Reply { to } => slot.receive_reply(wire, sig, to),
                    SignalKind::Request | SignalKind::OneWay => slot.dispatch(wire, sig)?,
                }
            }
        }
        // (2) The timers due on the node's local clock.
        let (next_local, fired) = slot.fire_timers(wire)?;
        // (3) Every waiting handler whose reply came or whose deadline is now, oldest first.
        let polled = slot.poll_woken(wire)?;
        // (4) The local clock moves on.
        slot.end_turn(next_local);
        if received || fired || polled { self.emit_state(i) } else { Ok(()) }
    }

    /// The node's state after its turn, for the observers; a panic in its `Debug` stops the run.
    fn emit_state(&mut self, i: usize) -> Result<(), RunError> {
        if !self.wire.observers.wants(crate::event::EventKind::State) {
            return Ok(());
        }
        let slot = &self.nodes[i];
        let panicked = Cell::new(None);
        {
            let state = slot.ctx.state.borrow();
            let guarded = GuardedDebug { inner: &*state, panicked: &panicked };
            let (tick, server) = (self.wire.now(), ServerId::Node(slot.id()));
            emit!(self.wire, Event::State { tick, server, state: &guarded });
        }
        match panicked.take() {
            Some(message) => Err(self.node_code_panicked(slot.id(), RunError::STATE_DEBUG, message)),
            None => Ok(()),
        }
    }

    /// The end of tick `now`: the signals due reach their recipients' inboxes (or are lost).
    fn deliver(&mut self, now: Tick) {
        if !self.wire.network.any_due(now) {
            return;
        }
        self.wire.network.take_due(now, &mut self.due);
        // Drained in place: its buffer stays for the next tick's deliveries.
        for sig in self.due.drain(..) {
            if sig.lost {
                emit!(self.wire, Event::SignalDropped { tick: now, signal: sig.id, reason: DropReason::Loss });
                self.wire.stats.dropped_loss += 1;
                continue;
            }
            if let ServerId::Node(n) = sig.to
                && self.nodes[n.index()].status == NodeStatus::Crashed
            {
                emit!(self.wire, Event::SignalDropped { tick: now, signal: sig.id, reason: DropReason::Crashed });
                self.wire.stats.dropped_crashed += 1;
                continue;
            }
            emit!(self.wire, Event::SignalDelivered { tick: now, signal: sig.id, to: sig.to });
            self.wire.stats.delivered += 1;
            match sig.to {
                ServerId::Gateway => self.gateway.inbox.push_back(sig),
                ServerId::Node(n) => self.nodes[n.index()].inbox.push_back(sig),
                ServerId::Client(c) => self.clients[c.index()].inbox.push_back(sig),
            }
        }
    }

    pub(crate) fn node_code_panicked(&self, node: NodeId, what: &str, message: String) -> RunError {
        RunError::NodeCodePanicked {
            tick: self.now(),
            seed: self.config.seed,
            node,
            node_type: N::__NAME.to_owned(),
            what: what.to_owned(),
            message,
        }
    }
}
