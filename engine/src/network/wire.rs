//! The send path every server shares: signal ids, the network, the event stream and the run's
//! counters. The gateway, the clients and the executor send through a [`Wire`]; none of them
//! needs the world.

use std::rc::Rc;

use crate::chooser::SignalChooser;
use crate::error::RunError;
use crate::event::{DropReason, Event, EventKind, Interest, Observer, SignalKind};
use rustc_hash::FxHashMap;

use crate::ids::{NodeId, RequestId, ServerId, SignalId, Tick};
use crate::message::{Payload, short_type_name};
use crate::network::{NO_WAITER, Network, Signal};
use crate::node::Outgoing;
use crate::shared::WorldShared;

/// Sends an event to every observer of a [`Wire`] that wants its kind; builds nothing when
/// none does.
macro_rules! emit {
    ($wire:expr, Event::$kind:ident $fields:tt) => {
        if $wire.observers.wants($crate::event::EventKind::$kind) {
            let event = Event::$kind $fields;
            $wire.observers.send(&event);
        }
    };
}
pub(crate) use emit;

/// The observers of a world, with the kinds of events each wants and all of them together.
pub(crate) struct Observers {
    list: Vec<(Interest, Box<dyn Observer>)>,
    wanted: Interest,
}

impl Observers {
    fn new() -> Self {
        Observers { list: Vec::new(), wanted: Interest::NONE }
    }

    pub fn push(&mut self, observer: Box<dyn Observer>) {
        let interest = observer.interest();
        self.wanted = self.wanted.union(interest);
        self.list.push((interest, observer));
    }

    /// Whether any observer wants events of `kind`.
    #[inline]
    pub fn wants(&self, kind: EventKind) -> bool {
        self.wanted.contains(kind)
    }

    /// Gives `event` to every observer that wants it.
    pub fn send(&mut self, event: &Event<'_>) {
        let kind = event.kind();
        for (interest, observer) in &mut self.list {
            if interest.contains(kind) {
                observer.on_event(event);
            }
        }
    }
}

/// Counters kept for every run (cheap enough to keep always).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Signals sent.
    pub sent: u64,
    /// Signals sent between a client and the gateway (either way).
    pub sent_client_gateway: u64,
    /// Signals sent between the gateway and a node (either way).
    pub sent_gateway_node: u64,
    /// Signals sent from one node to another.
    pub sent_node_node: u64,
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
    /// Copies of a client's older request that the gateway dropped (the client had moved on).
    pub stale_requests: u64,
}

pub(crate) struct Wire {
    pub shared: Rc<WorldShared>,
    pub network: Network,
    pub observers: Observers,
    pub stats: Stats,
    pub seed: u64,
    /// How many clients there are (ids `1..=clients`); the node count is in `shared`.
    pub clients: usize,
    /// The buffer the handlers' outbox is swapped with, kept to reuse its memory.
    spare: Vec<Outgoing>,
    /// Signals sent, by message type.
    pub sent_by_type: crate::network::counts::TypeCounts,
    /// The choice script and the adversary, which may change a signal's fate (`chooser.rs`).
    pub chooser: SignalChooser,
    /// Where client requests go and went, shared by the clients and the gateway.
    pub routes: Routes,
}

/// What the clients and the gateway tell each other about requests besides the signals.
#[derive(Default)]
pub(crate) struct Routes {
    /// Requests for a given node (the final reads), by request id; the gateway takes them.
    pub pinned: FxHashMap<RequestId, NodeId>,
    /// The node each open request went to; the client takes it when the request completes.
    pub served: FxHashMap<RequestId, NodeId>,
}

impl Wire {
    pub fn new(shared: Rc<WorldShared>, network: Network, seed: u64, clients: usize) -> Self {
        Wire {
            shared,
            network,
            observers: Observers::new(),
            stats: Stats::default(),
            seed,
            clients,
            spare: Vec::new(),
            sent_by_type: Default::default(),
            chooser: SignalChooser::default(),
            routes: Routes::default(),
        }
    }

    /// The tick running (or the last that ran, between ticks).
    #[inline]
    pub fn now(&self) -> Tick {
        self.shared.now.get()
    }

    #[inline]
    pub fn nodes(&self) -> usize {
        self.shared.nodes.get()
    }

    #[inline]
    pub fn exists(&self, s: ServerId) -> bool {
        match s {
            ServerId::Gateway => true,
            ServerId::Node(n) => n.index() < self.nodes(),
            ServerId::Client(c) => c.index() < self.clients,
        }
    }

    /// Sends a signal with the next id; returns the id.
    pub fn send(
        &mut self,
        from: ServerId,
        to: ServerId,
        kind: SignalKind,
        payload: Box<dyn Payload>,
    ) -> Result<SignalId, RunError> {
        let id = self.shared.next_signal_id();
        self.transmit(id, from, to, kind, payload)?;
        Ok(id)
    }

    /// Sends a node's reply to a request whose requester keeps its waiter at `waiter`.
    pub fn send_reply(
        &mut self,
        from: ServerId,
        to: ServerId,
        request: SignalId,
        waiter: u32,
        payload: Box<dyn Payload>,
    ) -> Result<(), RunError> {
        let id = self.shared.next_signal_id();
        let kind = SignalKind::Reply { to: request };
        if self.plain() && self.exists(to) {
            // The plain path inline: a reply is every other signal of a quorum algorithm.
            self.transmit_plain(id, from, to, kind, waiter, payload);
            return Ok(());
        }
        self.transmit_to_waiter(id, from, to, kind, waiter, payload)
    }

    /// Sends one signal: draws its delay and fate, reports it, and puts it on the wire.
    #[inline]
    pub fn transmit(
        &mut self,
        id: SignalId,
        from: ServerId,
        to: ServerId,
        kind: SignalKind,
        payload: Box<dyn Payload>,
    ) -> Result<(), RunError> {
        self.transmit_to_waiter(id, from, to, kind, NO_WAITER, payload)
    }

    /// [`transmit`](Wire::transmit), for a signal that carries the key of a node's waiter.
    fn transmit_to_waiter(
        &mut self,
        id: SignalId,
        from: ServerId,
        to: ServerId,
        kind: SignalKind,
        waiter: u32,
        payload: Box<dyn Payload>,
    ) -> Result<(), RunError> {
        if !self.exists(to) {
            return Err(self.no_such_server(from, to, &*payload));
        }
        if self.plain() {
            self.transmit_plain(id, from, to, kind, waiter, payload);
            return Ok(());
        }
        let now = self.now();
        let mut signal = self.network.make(now, id, from, to, kind, payload);
        signal.waiter = waiter;
        let mut duplicate = self.network.duplicates();
        self.chooser.choose(&mut self.network, &mut signal, Some(&mut duplicate));
        if duplicate {
            // The copy's fate is drawn before either is reported.
            let copy = self.copy(&signal);
            self.put(signal);
            self.put(copy);
        } else {
            self.put(signal);
        }
        Ok(())
    }

    /// The network's second copy of `signal`, with a fate of its own.
    #[inline(never)]
    fn copy(&mut self, signal: &Signal) -> Signal {
        let copy_id = self.shared.next_signal_id();
        let payload = signal.payload.clone_payload();
        let mut copy = self.network.make(signal.sent, copy_id, signal.from, signal.to, signal.kind, payload);
        copy.copy_of = Some(signal.id);
        copy.waiter = signal.waiter;
        self.chooser.choose(&mut self.network, &mut copy, None);
        copy
    }

    #[cold]
    fn no_such_server(&self, from: ServerId, to: ServerId, payload: &dyn Payload) -> RunError {
        RunError::NoSuchServer {
            tick: self.now(),
            seed: self.seed,
            from,
            to,
            message_type: short_type_name(payload.type_name()).into_owned(),
            nodes: self.nodes(),
            clients: self.clients,
        }
    }

    #[inline]
    fn put(&mut self, signal: Signal) {
        let now = self.now();
        let id = signal.id;
        let (from, to, kind, arrival, message) =
            (signal.from, signal.to, signal.kind, signal.arrival, &*signal.payload);
        emit!(self, Event::SignalSent { tick: now, signal: id, from, to, kind, arrival, message });
        if let Some(of) = signal.copy_of {
            emit!(self, Event::SignalDuplicated { tick: now, signal: id, of });
            self.stats.duplicated += 1;
        }
        self.stats.sent += 1;
        match (from, to) {
            (ServerId::Node(_), ServerId::Node(_)) => self.stats.sent_node_node += 1,
            (ServerId::Client(_), _) | (_, ServerId::Client(_)) => self.stats.sent_client_gateway += 1,
            _ => self.stats.sent_gateway_node += 1,
        }
        self.sent_by_type.add(message.type_name());
        if self.network.insert(signal).is_err() {
            emit!(self, Event::SignalDropped { tick: now, signal: id, reason: DropReason::Partition });
            self.stats.dropped_partition += 1;
        }
    }

    /// Puts what handlers sent on the wire, in the order they sent it.
    #[inline]
    pub fn flush(&mut self) -> Result<(), RunError> {
        // Most handlers (a sync one answering a peer) sent nothing: a branch, not a call.
        if self.shared.outbox.borrow().is_empty() {
            return Ok(());
        }
        self.flush_outbox()
    }

    #[inline(never)]
    fn flush_outbox(&mut self) -> Result<(), RunError> {
        let mut out = std::mem::take(&mut self.spare);
        std::mem::swap(&mut *self.shared.outbox.borrow_mut(), &mut out);
        let mut sent = Ok(());
        // Nothing a flush does changes whether the plain path is taken: asked once, not per signal.
        let plain = self.plain();
        let mut outgoing = out.drain(..);
        for o in outgoing.by_ref() {
            if plain && self.exists(o.to) {
                self.transmit_plain(o.id, o.from, o.to, o.kind, o.waiter, o.payload);
            } else if let Err(e) = self.transmit_to_waiter(o.id, o.from, o.to, o.kind, o.waiter, o.payload) {
                sent = Err(e);
                break;
            }
        }
        // After an error the rest is dropped: the run stops.
        drop(outgoing);
        // `take` left a `Vec::new()` in `spare`, which owns no memory (see `busy_node_turn`).
        let unused = std::mem::replace(&mut self.spare, out);
        debug_assert_eq!(unused.capacity(), 0);
        std::mem::forget(unused);
        sent
    }

    /// Whether a signal sent now takes the plain path: nothing can change its fate but its
    /// delay (no loss, copies, cut links, link delays, script or adversary), and no observer
    /// wants to hear of it being sent.
    #[inline]
    fn plain(&self) -> bool {
        self.network.is_plain() && self.chooser.is_plain() && !self.observers.wants(EventKind::SignalSent)
    }

    /// [`transmit_to_waiter`](Wire::transmit_to_waiter) when [`plain`](Wire::plain) holds: the
    /// same draws, counts and fingerprint as the general path, in fewer steps.
    #[inline(always)]
    fn transmit_plain(
        &mut self,
        id: SignalId,
        from: ServerId,
        to: ServerId,
        kind: SignalKind,
        waiter: u32,
        payload: Box<dyn Payload>,
    ) {
        let now = self.now();
        let arrival = self.network.arrival_plain(now);
        self.chooser.note_plain(id, now, arrival);
        self.stats.sent += 1;
        match (from, to) {
            (ServerId::Node(_), ServerId::Node(_)) => self.stats.sent_node_node += 1,
            (ServerId::Client(_), _) | (_, ServerId::Client(_)) => self.stats.sent_client_gateway += 1,
            _ => self.stats.sent_gateway_node += 1,
        }
        self.sent_by_type.add(payload.type_name());
        self.network.push_plain(Signal {
            id,
            from,
            to,
            kind,
            sent: now,
            arrival,
            lost: false,
            waiter,
            copy_of: None,
            payload,
        });
    }

    /// The error for a message that reached a server with no endpoint for it.
    pub fn no_endpoint(&self, server: ServerId, server_type: &str, sig: &Signal) -> RunError {
        RunError::NoEndpoint {
            tick: self.now(),
            seed: self.seed,
            server,
            server_type: server_type.to_owned(),
            message_type: short_type_name(sig.payload.type_name()).into_owned(),
            message: crate::catch::caught_debug(&sig.payload)
                .unwrap_or_else(|panic| format!("(its `Debug` panicked: {panic})")),
            from: sig.from,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use crate::event::{Event, EventKind, Interest, Observer, OwnedEvent, SharedObserver};
    use crate::prelude::*;

    #[derive(Debug, Default)]
    struct Register {
        value: Option<Value>,
    }

    #[node]
    impl Register {
        #[endpoint(ClientReadRequest)]
        fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
            ClientReadResponse::ok(self.value)
        }

        #[endpoint(ClientWriteRequest)]
        fn write(&mut self, req: ClientWriteRequest) -> ClientWriteResponse {
            self.value = Some(req.value);
            ClientWriteResponse::ok()
        }
    }

    /// Keeps the events it is given, formatted; wants what it is told.
    struct Keep(Interest, Vec<OwnedEvent>);

    impl Observer for Keep {
        fn on_event(&mut self, event: &Event<'_>) {
            self.1.push(event.to_owned_event());
        }
        fn interest(&self) -> Interest {
            self.0
        }
    }

    fn run(observers: &[Interest]) -> Vec<Vec<OwnedEvent>> {
        let config = Config::builder().nodes(3).clients(2).ticks(60).seed(3).build().unwrap();
        let mut world = World::<Register>::new(config).unwrap();
        let kept: Vec<_> = observers.iter().map(|&i| Rc::new(RefCell::new(Keep(i, Vec::new())))).collect();
        for k in &kept {
            world.subscribe(SharedObserver(k.clone()));
        }
        world.run().unwrap();
        kept.iter().map(|k| std::mem::take(&mut k.borrow_mut().1)).collect()
    }

    #[test]
    fn each_observer_gets_the_kinds_it_wants_and_the_others_see_the_same_run() {
        let sent = Interest::NONE.with(EventKind::SignalSent);
        let alone = run(&[Interest::ALL]).remove(0);
        let both = run(&[sent, Interest::ALL]);
        assert_eq!(both[1], alone, "an observer that wants less changes nothing for the others");
        let expected: Vec<_> = alone.iter().filter(|e| matches!(e, OwnedEvent::SignalSent { .. })).cloned().collect();
        assert!(!expected.is_empty());
        assert_eq!(both[0], expected, "only the signals sent, all of them");
        assert_eq!(run(&[Interest::NONE]), vec![Vec::<OwnedEvent>::new()]);
    }
}
