//! The executor: a node's runtime. Its tasks (async handlers between waits), running a
//! handler, polling and waking tasks, the turn budget, catching what panics, and what a crash
//! and a restart do to all of it.
//!
//! Futures are polled with a no-op waker: the engine knows which task a reply or a deadline
//! wakes, so real wakers are not needed.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use slab::Slab;

use crate::catch::panic_message;
use crate::error::RunError;
use crate::event::{DropReason, Event, SignalKind};
use crate::ids::{NodeId, ServerId, SignalId, Tick};
use crate::message::Payload;
use crate::network::{Signal, Wire, emit};
use crate::node::{Action, Ctx, Handled, Node, NodeCore, NodeIo, TaskRef, waiter_mut};
use crate::rng::{Stream, stream};
use crate::shared::{BudgetExhausted, WorldShared};
use crate::watchdog::DISPATCH;

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

struct Task {
    seq: u64,
    endpoint: &'static str,
    /// Where the handler's result goes, for requests only.
    reply_to: Option<ReplyTo>,
    future: Pin<Box<dyn Future<Output = Box<dyn Payload>>>>,
}

/// Where a handler's reply goes: the requester, the request it answers, and the requester's
/// waiter key, which the reply carries back.
#[derive(Clone, Copy)]
struct ReplyTo {
    requester: ServerId,
    request: SignalId,
    waiter: u32,
}

/// The signal a handler handles and where its reply goes (`None` for a timer or `#[init]`).
type Handling = Option<(SignalId, Option<ReplyTo>)>;

/// One node as the engine runs it: its state and handles, its tasks, its inbox, its status and
/// its clock.
pub(crate) struct NodeSlot<N> {
    pub ctx: Ctx<N>,
    tasks: Slab<Task>,
    /// The signals delivered since its last turn, oldest first.
    pub inbox: VecDeque<Signal>,
    next_handler: u64,
    pub status: NodeStatus,
    /// Local ticks per global tick, in thousandths (1000: a normal clock).
    clock_rate: u64,
    /// Thousandths of a local tick not yet ticked.
    clock_debt: u64,
    /// Its `#[init]` runs at the start of its next turn (its first, and its first after a restart).
    pub needs_init: bool,
}

impl<N: Node> NodeSlot<N> {
    /// A node `id` with state `node`, whose clock runs at `rate` local ticks per tick.
    pub fn new(id: NodeId, shared: Rc<WorldShared>, seed: u64, rate: f64, node: N) -> Self {
        let core = NodeCore {
            id,
            shared,
            peers: RefCell::new(None),
            local_time: Cell::new(1),
            wake: Cell::new(Tick::MAX),
            current: Cell::new(None),
            endpoint: Cell::new(""),
            io: RefCell::new(NodeIo {
                waiters: Slab::new(),
                groups: Slab::new(),
                deadlines: BinaryHeap::new(),
                woken: Vec::new(),
                rng: stream(seed, Stream::Node(id.0)),
            }),
        };
        NodeSlot {
            ctx: Ctx { core: Rc::new(core), state: Rc::new(RefCell::new(node)) },
            tasks: Slab::new(),
            inbox: VecDeque::new(),
            next_handler: 1,
            status: NodeStatus::Up,
            clock_rate: (rate * 1000.0).round() as u64,
            clock_debt: 0,
            needs_init: true,
        }
    }

    pub fn id(&self) -> NodeId {
        self.ctx.core.id
    }

    /// How many tasks wait (async handlers between awaits).
    pub fn waiting(&self) -> usize {
        self.tasks.len()
    }

    /// Stores a reply for the task awaiting it and wakes that task, unless the task awaits a
    /// quorum that this reply does not yet complete; a reply nobody awaits (or a second one,
    /// from a duplicate) is stale.
    pub fn receive_reply(&mut self, wire: &mut Wire, sig: Signal, to: SignalId) {
        let core = &self.ctx.core;
        let mut guard = core.io.borrow_mut();
        let io = &mut *guard;
        if let Some(waiter) = waiter_mut(&mut io.waiters, sig.waiter, to).filter(|w| w.reply.is_none()) {
            waiter.reply = Some(sig.payload);
            waiter.arrived = wire.now();
            let (task, group) = (waiter.task, waiter.group);
            let complete = match io.groups.get_mut(group as usize) {
                Some(g) if g.short > 1 => {
                    g.short -= 1;
                    false
                }
                Some(g) => {
                    g.short = 0;
                    true
                }
                None => true,
            };
            if complete {
                io.woken.push(task);
                core.wake.set(0);
            }
        } else {
            drop(guard);
            emit!(wire, Event::StaleReply { tick: wire.now(), signal: sig.id, at: ServerId::Node(core.id) });
            wire.stats.stale_replies += 1;
        }
    }

    /// Runs the endpoint for a request or one-way signal.
    pub fn dispatch(&mut self, wire: &mut Wire, sig: Signal) -> Result<(), RunError> {
        let Signal { id, from, kind, payload, copy_of, waiter, .. } = sig;
        // A duplicate's reply answers the request it copies.
        let reply_to = (kind == SignalKind::Request).then_some(ReplyTo {
            requester: from,
            request: copy_of.unwrap_or(id),
            waiter,
        });
        let mut unhandled = None;
        self.run_handler(wire, Some((id, reply_to)), DISPATCH, |ctx| match N::__dispatch(ctx, payload) {
            Ok(handled) => Some(handled),
            Err(payload) => {
                unhandled = Some(payload);
                None
            }
        })?;
        match unhandled {
            Some(payload) => {
                let to = ServerId::Node(self.id());
                let sig = Signal { id, from, to, kind, sent: 0, arrival: 0, lost: false, waiter, copy_of, payload };
                Err(wire.no_endpoint(to, N::__NAME, &sig))
            }
            None => Ok(()),
        }
    }

    /// Fires the timers due in this turn: a normal clock ticks once per turn; a drifting one
    /// (`clock_rates`) zero, one or several times. Returns the local clock's value for the next
    /// turn and whether a timer fired. The local clock takes that value at the end of the turn
    /// ([`end_turn`](NodeSlot::end_turn)): handlers woken in this turn still see this one's.
    #[inline]
    pub fn fire_timers(&mut self, wire: &mut Wire) -> Result<(u64, bool), RunError> {
        let local = self.ctx.core.local_time.get();
        let steps = self.clock_steps();
        if N::__TIMERS.is_empty() {
            return Ok((local + steps, false));
        }
        let mut fired = false;
        for local in local..local + steps {
            self.ctx.core.local_time.set(local);
            for (k, timer) in N::__TIMERS.iter().enumerate() {
                if local.is_multiple_of(timer.interval) {
                    fired = true;
                    emit!(wire, Event::TimerFired { tick: wire.now(), node: self.id(), timer: timer.name });
                    self.run_handler(wire, None, timer.name, |ctx| N::__timer(ctx, k))?;
                }
            }
        }
        Ok((local + steps, fired))
    }

    /// How many steps the local clock takes in this turn: one for a normal clock; zero, one
    /// or several for a drifting one, whose fractions carry over.
    #[inline]
    fn clock_steps(&mut self) -> u64 {
        if self.clock_rate == 1000 {
            return 1;
        }
        self.clock_debt += self.clock_rate;
        let steps = self.clock_debt / 1000;
        self.clock_debt %= 1000;
        steps
    }

    /// Runs `#[init]`, if the node has one.
    pub fn init(&mut self, wire: &mut Wire) -> Result<(), RunError> {
        self.run_handler(wire, None, "#[init]", N::__init)
    }

    /// Whether a task's reply came or its deadline is `now`: its turn has a task to poll.
    #[inline]
    pub fn has_woken(&self, now: Tick) -> bool {
        self.ctx.core.wake.get() <= now
    }

    /// The turn of a node without timers that has nothing to do: only its local clock moves
    /// on (a drifting one zero, one or several steps, as [`fire_timers`](NodeSlot::fire_timers)
    /// would).
    #[inline]
    pub fn advance_clock(&mut self) {
        let steps = self.clock_steps();
        let core = &self.ctx.core;
        core.local_time.set(core.local_time.get() + steps);
    }

    /// Polls, oldest first, every task whose reply came or whose deadline is now. Returns whether
    /// there was any.
    #[inline]
    pub fn poll_woken(&mut self, wire: &mut Wire) -> Result<bool, RunError> {
        if self.has_woken(wire.now()) { self.poll_woken_tasks(wire) } else { Ok(false) }
    }

    #[inline(never)]
    fn poll_woken_tasks(&mut self, wire: &mut Wire) -> Result<bool, RunError> {
        let now = wire.now();
        let mut woken = {
            let mut io = self.ctx.core.io.borrow_mut();
            while let Some(&Reverse((at, task))) = io.deadlines.peek()
                && at <= now
            {
                io.deadlines.pop();
                io.woken.push(task);
            }
            if io.woken.is_empty() {
                self.ctx.core.wake.set(io.deadlines.peek().map_or(Tick::MAX, |&Reverse((at, _))| at));
                return Ok(false);
            }
            std::mem::take(&mut io.woken)
        };
        woken.sort_unstable();
        woken.dedup();
        for &task in &woken {
            if self.tasks.get(task.key).is_some_and(|t| t.seq == task.seq) {
                self.poll_task(wire, task)?;
            }
        }
        // Give the buffer back, empty, so that the next tick's wakes reuse its memory.
        woken.clear();
        let core = &self.ctx.core;
        let mut io = core.io.borrow_mut();
        if io.woken.is_empty() {
            io.woken = woken;
            core.wake.set(io.deadlines.peek().map_or(Tick::MAX, |&Reverse((at, _))| at));
        } else {
            core.wake.set(0);
        }
        Ok(true)
    }

    /// The local clock moves on to `next`, from [`fire_timers`](NodeSlot::fire_timers).
    pub fn end_turn(&mut self, next: u64) {
        self.ctx.core.local_time.set(next);
    }

    /// Runs a handler (sync, or the first poll of an async one). `signal` is the signal it
    /// handles and where its reply goes; `label` names it in an error over the turn's budget.
    fn run_handler<H: Into<Option<Handled>>>(
        &mut self,
        wire: &mut Wire,
        signal: Handling,
        label: &'static str,
        f: impl FnOnce(&mut Ctx<N>) -> H,
    ) -> Result<(), RunError> {
        let now = wire.now();
        let node = self.id();
        if !wire.shared.charge() {
            return Err(self.over_budget(wire, label));
        }
        self.ctx.core.endpoint.set("");
        // The watchdog learns of the handler from the handler itself: the generated code of a
        // sync one names it (`__private::sync`) before any of the user's code runs, and an
        // async one runs none until its first poll, which names it (`poll_task`). Until then
        // only the dispatch runs, which cannot hang.
        let result = catch_unwind(AssertUnwindSafe(|| f(&mut self.ctx).into()));
        wire.shared.handler_left();
        let handled = match result {
            Ok(Some(h)) => h,
            Ok(None) => return Ok(()),
            Err(panic) => {
                let endpoint = match self.ctx.core.endpoint.get() {
                    "" => DISPATCH,
                    e => e,
                };
                return Err(self.panicked(wire, endpoint, &*panic));
            }
        };
        let seq = self.next_handler;
        self.next_handler += 1;
        wire.stats.handlers += 1;
        let endpoint = handled.endpoint;
        emit!(wire, Event::HandlerStarted { tick: now, node, handler: seq, endpoint, signal: signal.map(|s| s.0) });
        let reply_to = signal.and_then(|s| s.1);
        match handled.action {
            Action::Replied(reply) => {
                wire.flush()?;
                emit!(wire, Event::HandlerFinished { tick: now, node, handler: seq, endpoint });
                if let Some(r) = reply_to {
                    wire.send_reply(ServerId::Node(node), r.requester, r.request, r.waiter, reply)?;
                }
                Ok(())
            }
            Action::Spawned(future) => {
                let key = self.tasks.insert(Task { seq, endpoint, reply_to, future });
                self.poll_task(wire, TaskRef { seq, key })
            }
        }
    }

    fn poll_task(&mut self, wire: &mut Wire, task: TaskRef) -> Result<(), RunError> {
        let now = wire.now();
        let node = self.id();
        let endpoint = self.tasks[task.key].endpoint;
        if !wire.shared.charge() {
            return Err(self.over_budget(wire, endpoint));
        }
        let core = &self.ctx.core;
        let t = &mut self.tasks[task.key];
        core.current.set(Some(task));
        wire.shared.handler_entered(node, endpoint);
        let polled = catch_unwind(AssertUnwindSafe(|| t.future.as_mut().poll(&mut Context::from_waker(Waker::noop()))));
        wire.shared.handler_left();
        core.current.set(None);
        match polled {
            Err(panic) if panic.is::<BudgetExhausted>() => Err(self.over_budget(wire, endpoint)),
            Err(panic) => Err(self.panicked(wire, endpoint, &*panic)),
            Ok(Poll::Pending) => wire.flush(),
            Ok(Poll::Ready(reply)) => {
                let t = self.tasks.remove(task.key);
                wire.flush()?;
                emit!(wire, Event::HandlerFinished { tick: now, node, handler: t.seq, endpoint: t.endpoint });
                if let Some(r) = t.reply_to {
                    wire.send_reply(ServerId::Node(node), r.requester, r.request, r.waiter, reply)?;
                }
                Ok(())
            }
        }
    }

    /// A crash: the tasks are dropped (their futures, so every wait of theirs ends here), with
    /// their waiters, deadlines and wakes; what waits in the inbox is lost.
    pub fn crash(&mut self, wire: &mut Wire) {
        self.status = NodeStatus::Crashed;
        drop(std::mem::take(&mut self.tasks));
        {
            let mut io = self.ctx.core.io.borrow_mut();
            io.waiters.clear();
            io.groups.clear();
            io.deadlines.clear();
            io.woken.clear();
        }
        self.ctx.core.wake.set(Tick::MAX);
        for sig in std::mem::take(&mut self.inbox) {
            emit!(wire, Event::SignalDropped { tick: wire.now(), signal: sig.id, reason: DropReason::Crashed });
            wire.stats.dropped_crashed += 1;
        }
    }

    /// A restart with the state `node`: its durable store stays, its clock starts again at 1
    /// (a restarted process starts its timers from scratch) and `#[init]` runs in its next turn.
    pub fn restart(&mut self, mut node: N) {
        // The fields of `#[node(durable(...))]` survive: moved over from the node that crashed.
        let mut state = self.ctx.state.borrow_mut();
        N::__restore(&mut state, &mut node);
        *state = node;
        drop(state);
        self.status = NodeStatus::Up;
        self.clock_debt = 0;
        self.needs_init = true;
        self.ctx.core.local_time.set(1);
    }

    fn panicked(&self, wire: &Wire, endpoint: &str, panic: &(dyn std::any::Any + Send)) -> RunError {
        RunError::HandlerPanicked {
            tick: wire.now(),
            seed: wire.seed,
            node: self.id(),
            node_type: N::__NAME.to_owned(),
            endpoint: endpoint.to_owned(),
            message: panic_message(panic),
        }
    }

    fn over_budget(&self, wire: &Wire, endpoint: &str) -> RunError {
        RunError::TurnBudgetExceeded {
            tick: wire.now(),
            seed: wire.seed,
            node: self.id(),
            node_type: N::__NAME.to_owned(),
            endpoint: endpoint.to_owned(),
        }
    }
}
