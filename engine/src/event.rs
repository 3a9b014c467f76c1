//! The event stream: everything that happens in a world, for viewers, traces and statistics.
//!
//! Subscribe with [`World::subscribe`](crate::World::subscribe). Events borrow the message or
//! state they describe, so nothing is formatted or copied unless an observer asks; with no
//! observer, no event is even built.

use std::fmt::Debug;

use serde::Serialize;

use crate::fault::Fault;
use crate::history::Operation;
use crate::ids::{NodeId, ServerId, SignalId, Tick};
use crate::message::{Payload, short_type_name};

/// What a signal is to the request/reply protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SignalKind {
    /// A request whose sender waits for a reply (`call`, `broadcast`, a client's or the
    /// gateway's request).
    Request,
    /// The reply to the request signal `to`.
    Reply {
        /// The request this answers.
        to: SignalId,
    },
    /// A fire-and-forget message (`send`, `notify_leadership`).
    OneWay,
}

/// Why a signal never arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// The network lost it (the `loss` probability).
    Loss,
    /// Its link was cut while it was in flight, or when it was sent.
    Partition,
    /// It was dropped by id (a click in the viewer, or [`World::drop_signal`](crate::World::drop_signal)).
    ById,
    /// Its recipient had crashed.
    Crashed,
}

/// One thing that happened. `tick` is always the tick it happened in.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A signal left its sender; it is due at the end of tick `arrival`.
    SignalSent {
        /// When.
        tick: Tick,
        /// Its id.
        signal: SignalId,
        /// The sender.
        from: ServerId,
        /// The recipient.
        to: ServerId,
        /// Request, reply or one-way.
        kind: SignalKind,
        /// The tick at whose end it reaches the recipient's inbox.
        arrival: Tick,
        /// What it carries.
        message: &'a dyn Payload,
    },
    /// The network made a second copy of signal `of`: `signal`, sent just before this event,
    /// with a delay of its own. Replies to either answer `of`.
    SignalDuplicated {
        /// When.
        tick: Tick,
        /// The copy.
        signal: SignalId,
        /// The original.
        of: SignalId,
    },
    /// A fault or intervention was applied (its effects follow as their own events).
    Fault {
        /// When.
        tick: Tick,
        /// What.
        fault: &'a Fault,
    },
    /// A signal reached its recipient's inbox (it is handled in the recipient's next turn).
    SignalDelivered {
        /// When.
        tick: Tick,
        /// Which.
        signal: SignalId,
        /// The recipient.
        to: ServerId,
    },
    /// A signal was lost.
    SignalDropped {
        /// When.
        tick: Tick,
        /// Which.
        signal: SignalId,
        /// Why.
        reason: DropReason,
    },
    /// A reply arrived for a request nobody waits for any more (it timed out, or enough other
    /// replies came first). It is discarded.
    StaleReply {
        /// When.
        tick: Tick,
        /// The reply's signal.
        signal: SignalId,
        /// Where it arrived.
        at: ServerId,
    },
    /// A node began handling a message or a timer.
    HandlerStarted {
        /// When.
        tick: Tick,
        /// The node.
        node: NodeId,
        /// The handler's number on this node (1, 2, ...).
        handler: u64,
        /// The method's name.
        endpoint: &'static str,
        /// The signal it handles (`None` for a timer).
        signal: Option<SignalId>,
    },
    /// A handler finished (a sync handler in the tick it started; an async one when its
    /// future completed).
    HandlerFinished {
        /// When.
        tick: Tick,
        /// The node.
        node: NodeId,
        /// The handler's number on this node.
        handler: u64,
        /// The method's name.
        endpoint: &'static str,
    },
    /// A `#[timer]` fired.
    TimerFired {
        /// When.
        tick: Tick,
        /// The node.
        node: NodeId,
        /// The method's name.
        timer: &'static str,
    },
    /// A server's visible state after its turn in this tick: a node's `Debug`, a client's short
    /// state (`R5`, `W+`, `W7…`).
    State {
        /// When.
        tick: Tick,
        /// Whose.
        server: ServerId,
        /// The state; format it with `{:?}`.
        state: &'a dyn Debug,
    },
    /// A client started an operation.
    OperationInvoked {
        /// When.
        tick: Tick,
        /// The operation (still pending).
        operation: &'a Operation,
    },
    /// A client's operation ended (ok, failed, or unknown after a timeout).
    OperationCompleted {
        /// When.
        tick: Tick,
        /// The operation.
        operation: &'a Operation,
    },
    /// The gateway now routes every request to this node.
    LeaderChanged {
        /// When.
        tick: Tick,
        /// The new leader.
        leader: NodeId,
    },
    /// The link from `from` to `to` was cut (one direction).
    LinkCut {
        /// When.
        tick: Tick,
        /// Sender side.
        from: ServerId,
        /// Receiver side.
        to: ServerId,
    },
    /// The link from `from` to `to` works again.
    LinkHealed {
        /// When.
        tick: Tick,
        /// Sender side.
        from: ServerId,
        /// Receiver side.
        to: ServerId,
    },
}

/// The kind of an [`Event`], without its data: what an [`Interest`] is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the variants are `Event`'s
pub enum EventKind {
    SignalSent,
    SignalDuplicated,
    Fault,
    SignalDelivered,
    SignalDropped,
    StaleReply,
    HandlerStarted,
    HandlerFinished,
    TimerFired,
    State,
    OperationInvoked,
    OperationCompleted,
    LeaderChanged,
    LinkCut,
    LinkHealed,
}

impl Event<'_> {
    /// Its kind.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::SignalSent { .. } => EventKind::SignalSent,
            Event::SignalDuplicated { .. } => EventKind::SignalDuplicated,
            Event::Fault { .. } => EventKind::Fault,
            Event::SignalDelivered { .. } => EventKind::SignalDelivered,
            Event::SignalDropped { .. } => EventKind::SignalDropped,
            Event::StaleReply { .. } => EventKind::StaleReply,
            Event::HandlerStarted { .. } => EventKind::HandlerStarted,
            Event::HandlerFinished { .. } => EventKind::HandlerFinished,
            Event::TimerFired { .. } => EventKind::TimerFired,
            Event::State { .. } => EventKind::State,
            Event::OperationInvoked { .. } => EventKind::OperationInvoked,
            Event::OperationCompleted { .. } => EventKind::OperationCompleted,
            Event::LeaderChanged { .. } => EventKind::LeaderChanged,
            Event::LinkCut { .. } => EventKind::LinkCut,
            Event::LinkHealed { .. } => EventKind::LinkHealed,
        }
    }
}

/// The kinds of events an observer wants. The world builds no event that no observer wants
/// (a node's state is not even formatted), and gives each observer only the kinds it wants.
///
/// ```
/// use dgame_engine::{EventKind, Interest};
/// let faults = Interest::NONE.with(EventKind::Fault).with(EventKind::LinkCut);
/// assert!(faults.contains(EventKind::LinkCut));
/// assert!(!faults.contains(EventKind::State));
/// assert!(Interest::ALL.contains(EventKind::State));
/// assert!(!Interest::ALL.without(EventKind::State).contains(EventKind::State));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u32);

impl Interest {
    /// Every event (what an observer wants unless it says otherwise).
    pub const ALL: Interest = Interest(u32::MAX);
    /// No event.
    pub const NONE: Interest = Interest(0);

    /// These kinds and `kind`.
    #[must_use]
    pub const fn with(self, kind: EventKind) -> Interest {
        Interest(self.0 | 1 << kind as u32)
    }

    /// These kinds but `kind` (`Interest::ALL.without(EventKind::State)`: everything but the
    /// states).
    #[must_use]
    pub const fn without(self, kind: EventKind) -> Interest {
        Interest(self.0 & !(1 << kind as u32))
    }

    /// Whether events of `kind` are wanted.
    #[inline]
    pub const fn contains(self, kind: EventKind) -> bool {
        self.0 & 1 << kind as u32 != 0
    }

    /// The kinds either wants.
    #[must_use]
    pub const fn union(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }
}

/// Receives events. Closures `FnMut(&Event)` are observers too.
pub trait Observer {
    /// Called for every event of the kinds in its [`interest`](Observer::interest), in the
    /// order they happen.
    fn on_event(&mut self, event: &Event<'_>);

    /// The kinds of events it wants, asked once, when it subscribes: every kind unless it
    /// says otherwise. Saying which keeps a run with few observers fast.
    fn interest(&self) -> Interest {
        Interest::ALL
    }
}

impl<F: FnMut(&Event<'_>)> Observer for F {
    fn on_event(&mut self, event: &Event<'_>) {
        self(event)
    }
}

/// An observer shared with the code that reads it afterwards: subscribe a clone of the `Rc`,
/// keep the other.
///
/// ```
/// # use std::{cell::RefCell, rc::Rc};
/// # use dgame_engine::{EventLog, Observer, SharedObserver};
/// let log = Rc::new(RefCell::new(EventLog::default()));
/// let observer: Box<dyn Observer> = Box::new(SharedObserver(log.clone())); // what `world.subscribe` takes
/// # drop(observer);
/// assert!(log.borrow().events.is_empty());
/// ```
pub struct SharedObserver<T>(pub std::rc::Rc<std::cell::RefCell<T>>);

impl<T: Observer> Observer for SharedObserver<T> {
    fn on_event(&mut self, event: &Event<'_>) {
        self.0.borrow_mut().on_event(event);
    }

    fn interest(&self) -> Interest {
        self.0.borrow().interest()
    }
}

/// An event with everything formatted into owned data, ready to store or serialize (one
/// JSON object per event in a trace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "event")]
#[allow(missing_docs)] // the fields mirror `Event`'s
pub enum OwnedEvent {
    SignalSent {
        tick: Tick,
        signal: SignalId,
        from: ServerId,
        to: ServerId,
        kind: SignalKind,
        arrival: Tick,
        message_type: String,
        message: String,
    },
    SignalDuplicated {
        tick: Tick,
        signal: SignalId,
        of: SignalId,
    },
    Fault {
        tick: Tick,
        fault: String,
        kind: String,
    },
    SignalDelivered {
        tick: Tick,
        signal: SignalId,
        to: ServerId,
    },
    SignalDropped {
        tick: Tick,
        signal: SignalId,
        reason: DropReason,
    },
    StaleReply {
        tick: Tick,
        signal: SignalId,
        at: ServerId,
    },
    HandlerStarted {
        tick: Tick,
        node: NodeId,
        handler: u64,
        endpoint: String,
        signal: Option<SignalId>,
    },
    HandlerFinished {
        tick: Tick,
        node: NodeId,
        handler: u64,
        endpoint: String,
    },
    TimerFired {
        tick: Tick,
        node: NodeId,
        timer: String,
    },
    State {
        tick: Tick,
        server: ServerId,
        state: String,
    },
    OperationInvoked {
        tick: Tick,
        operation: Operation,
    },
    OperationCompleted {
        tick: Tick,
        operation: Operation,
    },
    LeaderChanged {
        tick: Tick,
        leader: NodeId,
    },
    LinkCut {
        tick: Tick,
        from: ServerId,
        to: ServerId,
    },
    LinkHealed {
        tick: Tick,
        from: ServerId,
        to: ServerId,
    },
}

impl Event<'_> {
    /// The tick the event happened in.
    pub fn tick(&self) -> Tick {
        match *self {
            Event::SignalSent { tick, .. }
            | Event::SignalDuplicated { tick, .. }
            | Event::Fault { tick, .. }
            | Event::SignalDelivered { tick, .. }
            | Event::SignalDropped { tick, .. }
            | Event::StaleReply { tick, .. }
            | Event::HandlerStarted { tick, .. }
            | Event::HandlerFinished { tick, .. }
            | Event::TimerFired { tick, .. }
            | Event::State { tick, .. }
            | Event::OperationInvoked { tick, .. }
            | Event::OperationCompleted { tick, .. }
            | Event::LeaderChanged { tick, .. }
            | Event::LinkCut { tick, .. }
            | Event::LinkHealed { tick, .. } => tick,
        }
    }

    /// The event with its message and state formatted.
    pub fn to_owned_event(&self) -> OwnedEvent {
        match *self {
            Event::SignalSent { tick, signal, from, to, kind, arrival, message } => OwnedEvent::SignalSent {
                tick,
                signal,
                from,
                to,
                kind,
                arrival,
                message_type: short_type_name(message.type_name()).into_owned(),
                message: format!("{message:?}"),
            },
            Event::SignalDuplicated { tick, signal, of } => OwnedEvent::SignalDuplicated { tick, signal, of },
            Event::Fault { tick, fault } => {
                OwnedEvent::Fault { tick, fault: fault.to_string(), kind: fault.kind().to_owned() }
            }
            Event::SignalDelivered { tick, signal, to } => OwnedEvent::SignalDelivered { tick, signal, to },
            Event::SignalDropped { tick, signal, reason } => OwnedEvent::SignalDropped { tick, signal, reason },
            Event::StaleReply { tick, signal, at } => OwnedEvent::StaleReply { tick, signal, at },
            Event::HandlerStarted { tick, node, handler, endpoint, signal } => {
                OwnedEvent::HandlerStarted { tick, node, handler, endpoint: endpoint.to_owned(), signal }
            }
            Event::HandlerFinished { tick, node, handler, endpoint } => {
                OwnedEvent::HandlerFinished { tick, node, handler, endpoint: endpoint.to_owned() }
            }
            Event::TimerFired { tick, node, timer } => OwnedEvent::TimerFired { tick, node, timer: timer.to_owned() },
            Event::State { tick, server, state } => OwnedEvent::State { tick, server, state: format!("{state:?}") },
            Event::OperationInvoked { tick, operation } => {
                OwnedEvent::OperationInvoked { tick, operation: operation.clone() }
            }
            Event::OperationCompleted { tick, operation } => {
                OwnedEvent::OperationCompleted { tick, operation: operation.clone() }
            }
            Event::LeaderChanged { tick, leader } => OwnedEvent::LeaderChanged { tick, leader },
            Event::LinkCut { tick, from, to } => OwnedEvent::LinkCut { tick, from, to },
            Event::LinkHealed { tick, from, to } => OwnedEvent::LinkHealed { tick, from, to },
        }
    }
}

/// An observer that keeps every event, formatted. Handy in tests and for traces.
#[derive(Debug, Default, Clone)]
pub struct EventLog {
    /// The events so far, in order.
    pub events: Vec<OwnedEvent>,
}

impl Observer for EventLog {
    fn on_event(&mut self, event: &Event<'_>) {
        self.events.push(event.to_owned_event());
    }
}

impl EventLog {
    /// The events as JSON lines (one object per event).
    pub fn to_json_lines(&self) -> String {
        let mut out = String::new();
        for e in &self.events {
            out.push_str(&serde_json::to_string(e).expect("events always serialize"));
            out.push('\n');
        }
        out
    }
}
