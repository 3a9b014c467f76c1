//! The world: the gateway, the nodes and the clients, the network between them, and the tick
//! loop that drives them. See `docs/ARCHITECTURE.md` for the exact tick semantics.

use std::cell::{Cell, Ref, RefCell};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use rustc_hash::FxHashMap;
use slab::Slab;

use crate::client::Client;
use crate::config::{Config, ConfigError};
use crate::error::{RunError, WorldError};
use crate::event::{DropReason, Event, Observer, SignalKind};
use crate::fault::{Fault, Scheduled};
use crate::gateway::Gateway;
use crate::history::History;
use crate::ids::{ClientId, NodeId, ServerId, SignalId, Tick, Value};
use crate::message::{Message, Payload, short_type_name};
use crate::network::{InFlight, Network, Signal};
use crate::node::{Action, Ctx, Node, NodeCore, NodeIo, Outgoing, Shared, TaskRef};
use crate::rng::{Stream, stream};

/// Sends an event to every observer; builds nothing when there are none.
macro_rules! emit {
    ($world:expr, $event:expr) => {
        if !$world.observers.is_empty() {
            let event = $event;
            for observer in $world.observers.iter_mut() {
                observer.on_event(&event);
            }
        }
    };
}
pub(crate) use emit;

/// Counters kept for every run (cheap enough to keep always).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Signals sent.
    pub sent: u64,
    /// Signals delivered to an inbox.
    pub delivered: u64,
    /// Signals lost to the `loss` probability.
    pub dropped_loss: u64,
    /// Signals lost to a cut link.
    pub dropped_partition: u64,
    /// Signals dropped by id.
    pub dropped_by_id: u64,
    /// Replies that arrived after their waiter gave up.
    pub stale_replies: u64,
    /// Handlers started on nodes (endpoints and timers).
    pub handlers: u64,
    /// Signals lost because their recipient had crashed.
    pub dropped_crashed: u64,
    /// Duplicate signals the network made.
    pub duplicated: u64,
}

struct Task {
    seq: u64,
    endpoint: &'static str,
    /// Where the handler's result goes: (requester, request id), for requests only.
    reply_to: Option<(ServerId, SignalId)>,
    future: Pin<Box<dyn Future<Output = Box<dyn Payload>>>>,
}

pub(crate) struct NodeSlot<N> {
    ctx: Ctx<N>,
    tasks: Slab<Task>,
    pub(crate) inbox: Vec<Signal>,
    next_handler: u64,
    status: NodeStatus,
    /// Local ticks per global tick, in thousandths (1000: a normal clock).
    clock_rate: u64,
    /// Thousandths of a local tick not yet ticked.
    clock_debt: u64,
    /// Its `#[init]` runs at the start of its next turn (its first, and its first after a restart).
    needs_init: bool,
}

/// Whether a node is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    /// Running.
    Up,
    /// Crashed: it does nothing, and signals that reach it are lost, until it restarts.
    Crashed,
    /// Paused: it does nothing, and signals wait in its inbox, until it resumes.
    Paused,
}

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
    pub(crate) shared: Rc<Shared>,
    pub(crate) nodes: Vec<NodeSlot<N>>,
    pub(crate) gateway: Gateway,
    pub(crate) clients: Vec<Client>,
    pub(crate) network: Network,
    pub(crate) history: History,
    pub(crate) observers: Vec<Box<dyn Observer>>,
    pub(crate) stats: Stats,
    pub(crate) next_value: Value,
    failed: Option<RunError>,
    /// Makes a node (at the start, and when it restarts after a crash).
    make: Box<dyn FnMut(NodeId) -> N>,
    /// Faults to apply, by tick: the configuration's schedule and the nemesis's plan.
    planned: Vec<Scheduled>,
    /// For each planned fault, the nemesis episode it belongs to (`None`: the schedule's).
    episodes: Vec<Option<usize>>,
    /// (nemesis episode, node) whose fault collided with the schedule and was called off,
    /// with its undoing.
    called_off: std::collections::BTreeSet<(usize, NodeId)>,
    next_planned: usize,
    due: Vec<Signal>,
    outbox: Vec<Outgoing>,
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
    /// `make` is called again to rebuild a node that restarts after a crash; the fields named in
    /// its `#[node(durable(...))]` are then moved over from the node that crashed.
    pub fn with_nodes(config: Config, make: impl FnMut(NodeId) -> N + 'static) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut world = World {
            shared: Rc::new(Shared::new()),
            nodes: Vec::new(),
            gateway: Gateway::default(),
            clients: (1..=config.clients)
                .map(|c| Client::new(ClientId(c), config.client_kind, stream(config.seed, Stream::Client(c))))
                .collect(),
            network: Network::new(&config),
            history: History::default(),
            observers: Vec::new(),
            stats: Stats::default(),
            next_value: 0,
            failed: None,
            make: Box::new(make),
            planned: Vec::new(),
            episodes: Vec::new(),
            called_off: Default::default(),
            next_planned: 0,
            due: Vec::new(),
            outbox: Vec::new(),
            config,
        };
        for n in 1..=world.config.nodes {
            let node = (world.make)(NodeId(n));
            world.push_node(node);
        }
        let mut planned: Vec<(Scheduled, Option<usize>)> =
            world.config.schedule.iter().map(|s| (s.clone(), None)).collect();
        if let Some(nemesis) = &world.config.nemesis {
            let mut rng = stream(world.config.seed, Stream::Nemesis);
            let plan = nemesis.plan(&mut rng, world.config.nodes, world.config.ticks);
            planned.extend(plan.into_iter().map(|(s, episode)| (s, Some(episode))));
        }
        // Stable: faults of one tick keep their order (the schedule's, then the nemesis's).
        planned.sort_by_key(|(s, _)| s.at);
        (world.planned, world.episodes) = planned.into_iter().unzip();
        world.refresh_peers();
        Ok(world)
    }

    /// Adds a node with the next id. It is processed from the next tick on, with its local
    /// clock starting at 1 there; every node (and the gateway) knows it from now on.
    pub fn add_node(&mut self, node: N) -> NodeId {
        let id = self.push_node(node);
        self.refresh_peers();
        id
    }

    fn push_node(&mut self, node: N) -> NodeId {
        let id = NodeId(self.nodes.len() as u32 + 1);
        let core = NodeCore {
            id,
            shared: self.shared.clone(),
            peers: RefCell::new(Rc::from(Vec::new())),
            local_time: Cell::new(1),
            io: RefCell::new(NodeIo {
                current: None,
                endpoint: "",
                waiters: FxHashMap::default(),
                deadlines: BinaryHeap::new(),
                woken: Vec::new(),
                rng: stream(self.config.seed, Stream::Node(id.0)),
            }),
        };
        let ctx = Ctx { core: Rc::new(core), state: Rc::new(RefCell::new(node)) };
        let rate = self.config.clock_rates.iter().rev().find(|c| c.node == id).map_or(1.0, |c| c.rate);
        self.nodes.push(NodeSlot {
            ctx,
            tasks: Slab::new(),
            inbox: Vec::new(),
            next_handler: 1,
            status: NodeStatus::Up,
            clock_rate: (rate * 1000.0).round() as u64,
            clock_debt: 0,
            needs_init: true,
        });
        id
    }

    /// Tells every node who its peers are (everyone else, in id order).
    fn refresh_peers(&mut self) {
        let all: Vec<NodeId> = (1..=self.nodes.len() as u32).map(NodeId).collect();
        for slot in &self.nodes {
            let me = slot.ctx.core.id;
            *slot.ctx.core.peers.borrow_mut() = all.iter().copied().filter(|&n| n != me).collect();
        }
    }

    /// Sends every event from now on to `observer`.
    pub fn subscribe(&mut self, observer: impl Observer + 'static) {
        self.observers.push(Box::new(observer));
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The last tick that ran (0 before the first).
    pub fn now(&self) -> Tick {
        self.shared.now.get()
    }

    /// The clients' history so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The counters of the run so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The error that stopped the run, if one did.
    pub fn error(&self) -> Option<&RunError> {
        self.failed.as_ref()
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
        let result = self.run_tick();
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    fn run_tick(&mut self) -> Result<(), RunError> {
        let now = self.now() + 1;
        self.shared.now.set(now);
        // Scheduled faults first: a fault at `now` is what happened between the last tick and
        // this one (a click in the viewer), before anything of this tick, the cuts included.
        while let Some(s) = self.planned.get(self.next_planned)
            && s.at <= now
        {
            let scheduled = s.clone();
            let episode = self.episodes[self.next_planned];
            self.next_planned += 1;
            let nodes = scheduled.fault.nodes();
            if episode.is_some_and(|e| nodes.iter().any(|&n| self.called_off.contains(&(e, n)))) {
                continue;
            }
            match self.apply(scheduled.fault.clone()) {
                Ok(()) => {}
                // The nemesis does not know the schedule: when they collide (it would crash a
                // node the schedule crashed), the rest of its episode, its undoing included,
                // is called off.
                Err(_) if let Some(e) = episode => {
                    self.called_off.extend(nodes.iter().map(|&n| (e, n)));
                }
                Err(e) => {
                    return Err(RunError::InvalidFault {
                        tick: now,
                        seed: self.config.seed,
                        fault: scheduled.to_string(),
                        reason: e.to_string(),
                    });
                }
            }
        }
        self.apply_scheduled_cuts(now);
        self.process_gateway()?;
        for i in 0..self.nodes.len() {
            self.process_node(i)?;
        }
        for j in 0..self.clients.len() {
            self.process_client(j)?;
        }
        self.deliver(now)
    }

    fn process_node(&mut self, i: usize) -> Result<(), RunError> {
        let now = self.now();
        if self.nodes[i].status != NodeStatus::Up {
            return Ok(());
        }
        if std::mem::take(&mut self.nodes[i].needs_init) {
            self.run_handler(i, None, N::__init)?;
        }
        let inbox = std::mem::take(&mut self.nodes[i].inbox);
        let mut active = !inbox.is_empty();
        // (1) Every message in the inbox: requests start a handler, replies wake their waiter.
        for sig in inbox {
            if let SignalKind::Reply { to } = sig.kind {
                let core = &self.nodes[i].ctx.core;
                let mut io = core.io.borrow_mut();
                // The first reply wins; a second one (a duplicate) is as stale as a late one.
                if let Some(waiter) = io.waiters.get_mut(&to).filter(|w| w.reply.is_none()) {
                    waiter.reply = Some(sig.payload);
                    let task = waiter.task;
                    io.woken.push(task);
                } else {
                    drop(io);
                    emit!(self, Event::StaleReply { tick: now, signal: sig.id, at: ServerId::Node(core.id) });
                    self.stats.stale_replies += 1;
                }
            } else {
                self.dispatch(i, sig)?;
            }
        }
        // (2) The timers due on the node's local clock. A normal clock ticks once per turn; a
        // drifting one (`clock_rates`) may tick zero, one or several times.
        let local = self.nodes[i].ctx.core.local_time.get();
        let steps = {
            let slot = &mut self.nodes[i];
            slot.clock_debt += slot.clock_rate;
            let steps = slot.clock_debt / 1000;
            slot.clock_debt %= 1000;
            steps
        };
        for local in local..local + steps {
            self.nodes[i].ctx.core.local_time.set(local);
            for (k, timer) in N::__TIMERS.iter().enumerate() {
                if local.is_multiple_of(timer.interval) {
                    active = true;
                    let node = self.nodes[i].ctx.core.id;
                    emit!(self, Event::TimerFired { tick: now, node, timer: timer.name });
                    self.run_handler(i, None, |ctx| N::__timer(ctx, k))?;
                }
            }
        }
        // (3) Every waiting handler whose reply came or whose deadline is now, oldest first.
        let mut woken = {
            let mut io = self.nodes[i].ctx.core.io.borrow_mut();
            while let Some(&Reverse((at, task))) = io.deadlines.peek()
                && at <= now
            {
                io.deadlines.pop();
                io.woken.push(task);
            }
            std::mem::take(&mut io.woken)
        };
        if !woken.is_empty() {
            active = true;
            woken.sort_unstable();
            woken.dedup();
            for task in woken {
                if self.nodes[i].tasks.get(task.key).is_some_and(|t| t.seq == task.seq) {
                    self.poll_task(i, task)?;
                }
            }
        }
        // (4) The local clock moves on.
        let core = &self.nodes[i].ctx.core;
        core.local_time.set(local + steps);
        if active {
            let slot = &self.nodes[i];
            emit!(
                self,
                Event::State { tick: now, server: ServerId::Node(slot.ctx.core.id), state: &*slot.ctx.state.borrow() }
            );
        }
        Ok(())
    }

    fn dispatch(&mut self, i: usize, sig: Signal) -> Result<(), RunError> {
        let Signal { id, from, kind, payload, copy_of, .. } = sig;
        // A duplicate's reply answers the request it copies.
        let reply_to = (kind == SignalKind::Request).then_some((from, copy_of.unwrap_or(id)));
        let mut unhandled = None;
        self.run_handler(i, Some((id, reply_to)), |ctx| match N::__dispatch(ctx, payload) {
            Ok(handled) => Some(handled),
            Err(payload) => {
                unhandled = Some(payload);
                None
            }
        })?;
        match unhandled {
            Some(payload) => {
                let sig = Signal {
                    id,
                    from,
                    to: ServerId::Node(NodeId(i as u32 + 1)),
                    kind,
                    sent: 0,
                    arrival: 0,
                    lost: false,
                    copy_of,
                    payload,
                };
                Err(self.no_endpoint(sig.to, N::__NAME, &sig))
            }
            None => Ok(()),
        }
    }

    /// Runs a handler (sync, or the first poll of an async one). `signal` is the signal it
    /// handles and where its reply goes; `None` for a timer.
    fn run_handler<H: Into<Option<crate::node::Handled>>>(
        &mut self,
        i: usize,
        signal: Option<(SignalId, Option<(ServerId, SignalId)>)>,
        f: impl FnOnce(&mut Ctx<N>) -> H,
    ) -> Result<(), RunError> {
        let now = self.now();
        let slot = &mut self.nodes[i];
        slot.ctx.core.io.borrow_mut().endpoint = "";
        let handled = match catch_unwind(AssertUnwindSafe(|| f(&mut slot.ctx).into())) {
            Ok(Some(h)) => h,
            Ok(None) => return Ok(()),
            Err(panic) => {
                let endpoint = match slot.ctx.core.io.borrow().endpoint {
                    "" => "(dispatch)",
                    e => e,
                };
                return Err(self.panicked(i, endpoint, &panic_message(&*panic)));
            }
        };
        let node = slot.ctx.core.id;
        let seq = slot.next_handler;
        slot.next_handler += 1;
        self.stats.handlers += 1;
        let endpoint = handled.endpoint;
        emit!(self, Event::HandlerStarted { tick: now, node, handler: seq, endpoint, signal: signal.map(|s| s.0) });
        let reply_to = signal.and_then(|s| s.1);
        match handled.action {
            Action::Replied(reply) => {
                self.flush()?;
                emit!(self, Event::HandlerFinished { tick: now, node, handler: seq, endpoint });
                if let Some((to, request)) = reply_to {
                    let id = self.shared.next_signal_id();
                    self.transmit(id, ServerId::Node(node), to, SignalKind::Reply { to: request }, reply)?;
                }
                Ok(())
            }
            Action::Spawned(future) => {
                let key = self.nodes[i].tasks.insert(Task { seq, endpoint, reply_to, future });
                self.poll_task(i, TaskRef { seq, key })
            }
        }
    }

    fn poll_task(&mut self, i: usize, task: TaskRef) -> Result<(), RunError> {
        let now = self.now();
        let slot = &mut self.nodes[i];
        let core = slot.ctx.core.clone();
        let t = &mut slot.tasks[task.key];
        core.io.borrow_mut().current = Some(task);
        let polled = catch_unwind(AssertUnwindSafe(|| t.future.as_mut().poll(&mut Context::from_waker(Waker::noop()))));
        core.io.borrow_mut().current = None;
        match polled {
            Err(panic) => {
                let endpoint = t.endpoint;
                Err(self.panicked(i, endpoint, &panic_message(&*panic)))
            }
            Ok(Poll::Pending) => self.flush(),
            Ok(Poll::Ready(reply)) => {
                let t = self.nodes[i].tasks.remove(task.key);
                self.flush()?;
                emit!(self, Event::HandlerFinished { tick: now, node: core.id, handler: t.seq, endpoint: t.endpoint });
                if let Some((to, request)) = t.reply_to {
                    let id = self.shared.next_signal_id();
                    self.transmit(id, ServerId::Node(core.id), to, SignalKind::Reply { to: request }, reply)?;
                }
                Ok(())
            }
        }
    }

    /// Puts what handlers sent on the wire, in the order they sent it.
    fn flush(&mut self) -> Result<(), RunError> {
        let mut out = std::mem::take(&mut self.outbox);
        std::mem::swap(&mut *self.shared.outbox.borrow_mut(), &mut out);
        for o in out.drain(..) {
            self.transmit(o.id, o.from, o.to, o.kind, o.payload)?;
        }
        self.outbox = out;
        Ok(())
    }

    fn exists(&self, s: ServerId) -> bool {
        match s {
            ServerId::Gateway => true,
            ServerId::Node(n) => n.0 >= 1 && (n.0 as usize) <= self.nodes.len(),
            ServerId::Client(c) => c.0 >= 1 && (c.0 as usize) <= self.clients.len(),
        }
    }

    /// Sends one signal: draws its delay and fate, reports it, and puts it on the wire.
    pub(crate) fn transmit(
        &mut self,
        id: SignalId,
        from: ServerId,
        to: ServerId,
        kind: SignalKind,
        payload: Box<dyn Payload>,
    ) -> Result<(), RunError> {
        let now = self.now();
        if !self.exists(to) {
            return Err(RunError::NoSuchServer {
                tick: now,
                seed: self.config.seed,
                from,
                to,
                message_type: short_type_name(payload.type_name()).into_owned(),
                nodes: self.nodes.len(),
                clients: self.clients.len(),
            });
        }
        let signal = self.network.make(now, id, from, to, kind, payload);
        let copy = self.network.duplicates().then(|| {
            let copy_id = self.shared.next_signal_id();
            let mut copy = self.network.make(now, copy_id, from, to, kind, signal.payload.clone_payload());
            copy.copy_of = Some(id);
            copy
        });
        for signal in std::iter::once(signal).chain(copy) {
            let id = signal.id;
            let (arrival, message) = (signal.arrival, &*signal.payload);
            emit!(self, Event::SignalSent { tick: now, signal: id, from, to, kind, arrival, message });
            if let Some(of) = signal.copy_of {
                emit!(self, Event::SignalDuplicated { tick: now, signal: id, of });
                self.stats.duplicated += 1;
            }
            self.stats.sent += 1;
            if self.network.insert(signal).is_err() {
                emit!(self, Event::SignalDropped { tick: now, signal: id, reason: DropReason::Partition });
                self.stats.dropped_partition += 1;
            }
        }
        Ok(())
    }

    /// The end of tick `now`: the signals due reach their recipients' inboxes (or are lost).
    fn deliver(&mut self, now: Tick) -> Result<(), RunError> {
        let mut due = std::mem::take(&mut self.due);
        self.network.take_due(now, &mut due);
        for sig in due.drain(..) {
            if sig.lost {
                emit!(self, Event::SignalDropped { tick: now, signal: sig.id, reason: DropReason::Loss });
                self.stats.dropped_loss += 1;
                continue;
            }
            if let ServerId::Node(n) = sig.to
                && self.nodes[n.0 as usize - 1].status == NodeStatus::Crashed
            {
                emit!(self, Event::SignalDropped { tick: now, signal: sig.id, reason: DropReason::Crashed });
                self.stats.dropped_crashed += 1;
                continue;
            }
            emit!(self, Event::SignalDelivered { tick: now, signal: sig.id, to: sig.to });
            self.stats.delivered += 1;
            match sig.to {
                ServerId::Gateway => self.gateway.inbox.push(sig),
                ServerId::Node(n) => self.nodes[n.0 as usize - 1].inbox.push(sig),
                ServerId::Client(c) => self.clients[c.0 as usize - 1].inbox.push(sig),
            }
        }
        self.due = due;
        Ok(())
    }

    /// The configuration's cuts at tick `now`: heals first, then the new cuts, each as a fault
    /// (so reports count them). A heal spares the links another cut still covers, so
    /// overlapping and back-to-back cuts hold whatever their order in the list.
    fn apply_scheduled_cuts(&mut self, now: Tick) {
        if self.config.cuts.is_empty() {
            return;
        }
        let cuts = self.config.cuts.clone();
        for cut in cuts.iter().filter(|c| c.heal == Some(now)) {
            let fault = Fault::Heal { from: cut.from.clone(), to: cut.to.clone(), one_way: cut.one_way };
            self.apply(fault).expect("a configured cut names existing servers");
        }
        for cut in cuts.iter().filter(|c| c.at == now) {
            let fault = Fault::Cut { from: cut.from.clone(), to: cut.to.clone(), one_way: cut.one_way };
            self.apply(fault).expect("a configured cut names existing servers");
        }
    }

    /// Whether a cut of the configuration holds `link` now: no heal lifts it before its time.
    fn held_by_config(&self, link: (ServerId, ServerId)) -> bool {
        let now = self.now();
        self.config.cuts.iter().any(|c| {
            c.at <= now && c.heal.is_none_or(|h| h > now) && Self::links(&c.from, &c.to, c.one_way).any(|l| l == link)
        })
    }

    /// Heals these links, except those a configured cut still holds.
    fn heal_links(&mut self, links: Vec<(ServerId, ServerId)>) {
        let now = self.now();
        for (a, b) in links {
            if !self.held_by_config((a, b)) && self.network.heal(a, b) {
                emit!(self, Event::LinkHealed { tick: now, from: a, to: b });
            }
        }
    }

    fn links<'a>(
        from: &'a [ServerId],
        to: &'a [ServerId],
        one_way: bool,
    ) -> impl Iterator<Item = (ServerId, ServerId)> + 'a {
        let forth = from.iter().flat_map(move |&a| to.iter().map(move |&b| (a, b)));
        let back = to.iter().flat_map(move |&b| from.iter().map(move |&a| (b, a))).filter(move |_| !one_way);
        forth.chain(back).filter(|(a, b)| a != b)
    }

    /// Cuts every link from a server of `from` to one of `to` (and back, unless `one_way`).
    /// Signals in flight on those links are lost now; signals sent on them later are lost when
    /// sent. Takes effect for the rest of the current tick, or from the next tick if called
    /// between ticks.
    pub fn cut(&mut self, from: &[ServerId], to: &[ServerId], one_way: bool) {
        let now = self.now();
        let mut dropped = Vec::new();
        for (a, b) in Self::links(from, to, one_way) {
            if self.network.cut(a, b, &mut dropped) {
                emit!(self, Event::LinkCut { tick: now, from: a, to: b });
            }
        }
        dropped.sort_by_key(|s| s.id);
        for s in dropped {
            emit!(self, Event::SignalDropped { tick: now, signal: s.id, reason: DropReason::Partition });
            self.stats.dropped_partition += 1;
        }
    }

    /// Heals what [`cut`](World::cut) cut.
    /// A link that a cut of the configuration holds at this tick stays cut: the configured
    /// scenario is not undone by a heal.
    pub fn heal(&mut self, from: &[ServerId], to: &[ServerId], one_way: bool) {
        self.heal_links(Self::links(from, to, one_way).collect());
    }

    /// Cuts `node` off from every other server, both ways.
    pub fn isolate(&mut self, node: NodeId) {
        let others: Vec<ServerId> = self.servers().filter(|&s| s != ServerId::Node(node)).collect();
        self.cut(&[ServerId::Node(node)], &others, false);
    }

    /// Heals what [`isolate`](World::isolate) cut (except links a configured cut holds).
    pub fn rejoin(&mut self, node: NodeId) {
        let others: Vec<ServerId> = self.servers().filter(|&s| s != ServerId::Node(node)).collect();
        self.heal(&[ServerId::Node(node)], &others, false);
    }

    /// Heals every cut link, except those a configured cut holds now.
    pub fn heal_all(&mut self) {
        let cuts: Vec<_> = self.network.cuts().collect();
        self.heal_links(cuts);
    }

    /// The cut links (`from`, `to`), in order.
    pub fn cut_links(&self) -> impl Iterator<Item = (ServerId, ServerId)> + '_ {
        self.network.cuts()
    }

    /// Applies a fault now: between ticks, it acts from the next tick (exactly as a
    /// [`Scheduled`] fault at the next tick would).
    pub fn apply(&mut self, fault: Fault) -> Result<(), WorldError> {
        let now = self.now();
        let status = |w: &Self, n: NodeId| -> Result<NodeStatus, WorldError> {
            let slot = w.slot(n).ok_or(WorldError::NoSuchServer(ServerId::Node(n)))?;
            Ok(slot.status)
        };
        for n in fault.nodes() {
            status(self, n)?;
        }
        let refuse = |why: String| Err(WorldError::InvalidFault(why));
        match &fault {
            Fault::Drop(id) if !self.network.contains(*id) => return Err(WorldError::NoSuchSignal(*id)),
            Fault::Crash(n) if status(self, *n)? == NodeStatus::Crashed => {
                return refuse(format!("{n} has already crashed"));
            }
            Fault::Restart(n) if status(self, *n)? != NodeStatus::Crashed => {
                return refuse(format!("{n} has not crashed"));
            }
            Fault::Pause(n) if status(self, *n)? != NodeStatus::Up => return refuse(format!("{n} is not running")),
            Fault::Resume(n) if status(self, *n)? != NodeStatus::Paused => return refuse(format!("{n} is not paused")),
            _ => {}
        }
        emit!(self, Event::Fault { tick: now, fault: &fault });
        match fault {
            Fault::Drop(id) => self.drop_signal(id)?,
            Fault::Cut { from, to, one_way } => self.cut(&from, &to, one_way),
            Fault::Heal { from, to, one_way } => self.heal(&from, &to, one_way),
            Fault::Isolate(n) => self.isolate(n),
            Fault::Rejoin(n) => self.rejoin(n),
            Fault::HealAll => self.heal_all(),
            Fault::Crash(n) => self.crash(n),
            Fault::Restart(n) => self.restart(n),
            Fault::Pause(n) => self.nodes[n.0 as usize - 1].status = NodeStatus::Paused,
            Fault::Resume(n) => self.nodes[n.0 as usize - 1].status = NodeStatus::Up,
        }
        Ok(())
    }

    fn crash(&mut self, n: NodeId) {
        let now = self.now();
        let slot = &mut self.nodes[n.0 as usize - 1];
        slot.status = NodeStatus::Crashed;
        // Dropping the tasks drops their futures: every wait of theirs ends here.
        let tasks = std::mem::take(&mut slot.tasks);
        drop(tasks);
        {
            let mut io = slot.ctx.core.io.borrow_mut();
            io.waiters.clear();
            io.deadlines.clear();
            io.woken.clear();
        }
        let inbox = std::mem::take(&mut slot.inbox);
        for sig in inbox {
            emit!(self, Event::SignalDropped { tick: now, signal: sig.id, reason: DropReason::Crashed });
            self.stats.dropped_crashed += 1;
        }
    }

    fn restart(&mut self, n: NodeId) {
        let mut node = (self.make)(n);
        let slot = &mut self.nodes[n.0 as usize - 1];
        let mut state = slot.ctx.state.borrow_mut();
        N::__restore(&mut state, &mut node);
        *state = node;
        drop(state);
        slot.status = NodeStatus::Up;
        slot.clock_debt = 0;
        slot.needs_init = true;
        // A restarted process starts its timers from scratch.
        slot.ctx.core.local_time.set(1);
    }

    fn slot(&self, id: NodeId) -> Option<&NodeSlot<N>> {
        self.nodes.get((id.0 as usize).checked_sub(1)?)
    }

    /// Whether a node runs, has crashed or is paused.
    pub fn node_status(&self, id: NodeId) -> Option<NodeStatus> {
        Some(self.slot(id)?.status)
    }

    /// The faults still to come (scheduled or planned by the nemesis), in order.
    pub fn planned_faults(&self) -> &[Scheduled] {
        &self.planned[self.next_planned..]
    }

    /// Drops the signal `id` while it is in flight (what a click in the viewer does).
    pub fn drop_signal(&mut self, id: SignalId) -> Result<(), WorldError> {
        let now = self.now();
        self.network.remove(id).ok_or(WorldError::NoSuchSignal(id))?;
        emit!(self, Event::SignalDropped { tick: now, signal: id, reason: DropReason::ById });
        self.stats.dropped_by_id += 1;
        Ok(())
    }

    /// Sends `msg` from `from` to `to` as a one-way signal, as if `from` had sent it this tick.
    /// For tests and experiments.
    pub fn inject<M: Message>(&mut self, from: ServerId, to: ServerId, msg: M) -> Result<SignalId, RunError> {
        let id = self.shared.next_signal_id();
        self.transmit(id, from, to, SignalKind::OneWay, Box::new(msg))?;
        Ok(id)
    }

    /// Every server: the gateway, the nodes, the clients.
    pub fn servers(&self) -> impl Iterator<Item = ServerId> + '_ {
        std::iter::once(ServerId::Gateway)
            .chain((1..=self.nodes.len() as u32).map(|n| ServerId::Node(NodeId(n))))
            .chain((1..=self.clients.len() as u32).map(|c| ServerId::Client(ClientId(c))))
    }

    /// How many nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// A node's state, to look at (do not hold it across a tick).
    pub fn node(&self, id: NodeId) -> Option<Ref<'_, N>> {
        let slot = self.slot(id)?;
        Some(slot.ctx.state.borrow())
    }

    /// A node's state as data, for viewers: its `serde::Serialize` form if its type has one,
    /// else its `Debug` text as a string. A panic in that code gives
    /// `{"error": "..."}` instead of unwinding.
    pub fn node_state(&self, id: NodeId) -> Option<serde_json::Value> {
        let state = self.slot(id)?.ctx.state.try_borrow().ok()?;
        Some(catch_unwind(AssertUnwindSafe(|| state.__state())).unwrap_or_else(|panic| {
            serde_json::json!({ "error": format!("the state of {} panicked: {}", N::__NAME, panic_message(&*panic)) })
        }))
    }

    /// A node's [`Badge`](crate::Badge) (`"leader t3"`), if its type implements it. A panic in
    /// the badge gives `"badge panicked: ..."` instead of unwinding.
    pub fn node_badge(&self, id: NodeId) -> Option<String> {
        let state = self.slot(id)?.ctx.state.try_borrow().ok()?;
        catch_unwind(AssertUnwindSafe(|| state.__badge()))
            .unwrap_or_else(|panic| Some(format!("badge panicked: {}", panic_message(&*panic))))
    }

    /// A node's local clock: the value its next turn will see (1 before its first turn).
    pub fn local_time(&self, id: NodeId) -> Option<u64> {
        let slot = self.slot(id)?;
        Some(slot.ctx.core.local_time.get())
    }

    /// How many handlers are waiting on a node (async handlers between awaits).
    pub fn waiting_handlers(&self, id: NodeId) -> Option<usize> {
        let slot = self.slot(id)?;
        Some(slot.tasks.len())
    }

    /// How many delivered signals wait in a server's inbox for its next turn.
    pub fn inbox_len(&self, server: ServerId) -> Option<usize> {
        Some(match server {
            ServerId::Gateway => self.gateway.inbox.len(),
            ServerId::Node(n) => self.slot(n)?.inbox.len(),
            ServerId::Client(c) => self.clients.get((c.0 as usize).checked_sub(1)?)?.inbox.len(),
        })
    }

    /// What a client shows: its last operation's label (`R5`, `W3`, `W4…`, `R?`), empty before
    /// its first.
    pub fn client_display(&self, id: ClientId) -> Option<&str> {
        Some(&self.clients.get((id.0 as usize).checked_sub(1)?)?.display)
    }

    /// The node the gateway routes to, once one announced itself.
    pub fn leader(&self) -> Option<NodeId> {
        self.gateway.leader
    }

    /// The signals in flight, in sending order.
    pub fn in_flight(&self) -> Vec<InFlight<'_>> {
        let mut v: Vec<_> = self.network.in_flight().collect();
        v.sort_by_key(|s| s.id);
        v
    }

    /// How many signals are in flight.
    pub fn in_flight_count(&self) -> usize {
        self.network.in_flight_count()
    }

    pub(crate) fn no_endpoint(&self, server: ServerId, server_type: &str, sig: &Signal) -> RunError {
        RunError::NoEndpoint {
            tick: self.now(),
            seed: self.config.seed,
            server,
            server_type: server_type.to_owned(),
            message_type: short_type_name(sig.payload.type_name()).into_owned(),
            message: format!("{:?}", sig.payload),
            from: sig.from,
        }
    }

    fn panicked(&self, i: usize, endpoint: &str, message: &str) -> RunError {
        RunError::HandlerPanicked {
            tick: self.now(),
            seed: self.config.seed,
            node: NodeId(i as u32 + 1),
            node_type: N::__NAME.to_owned(),
            endpoint: endpoint.to_owned(),
            message: message.to_owned(),
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_owned()
    }
}
