//! The clients: each asks the gateway for one operation at a time, as in the original, but
//! with a timeout so that one lost message never freezes it.

use std::collections::{BTreeMap, VecDeque};

use rand::RngExt;

use crate::config::{ClientKind, Config, ValueMode};
use crate::error::RunError;
use crate::event::{Event, SignalKind};
use crate::history::{History, OpKind, Operation, Outcome};
use crate::ids::{ClientId, NodeId, RequestId, ServerId, SignalId, Tick, Value};
use crate::message::{ClientReadRequest, ClientReadResponse, ClientWriteRequest, ClientWriteResponse, Payload, Status};
use crate::network::{Signal, Wire, emit};
use crate::rng::SimRng;
use crate::workload::{
    BroadcastReadRequest, BroadcastReadResponse, BroadcastRequest, CounterAddRequest, CounterReadRequest,
    CounterReadResponse, GenerateRequest, GenerateResponse, Key, KvCasRequest, KvReadRequest, KvWriteRequest, Workload,
};

pub(crate) enum ClientState {
    /// Pausing until this tick, then it starts an operation.
    Idle { until: Tick },
    /// Waiting for the answer to `request` (operation `op` of the history, request `id`).
    /// A final read knows its node, to read it again if this one comes to nothing.
    Waiting { request: SignalId, id: RequestId, op: usize, deadline: Option<Tick>, final_of: Option<NodeId> },
}

pub(crate) struct Client {
    pub id: ClientId,
    pub kind: ClientKind,
    pub inbox: VecDeque<Signal>,
    pub rng: SimRng,
    pub state: ClientState,
    /// The client's latest operation (an index into the history): the viewer shows its label.
    /// Labels are made only when asked for, not at every operation.
    pub last_op: Option<usize>,
    /// The sequence number of its latest request.
    seq: u64,
    /// The `kv` workload: the last value this client saw under each key (what it offers to
    /// compare-and-set from).
    known: BTreeMap<Key, Value>,
    /// The nodes this client still has to read at the end of the run.
    final_reads: VecDeque<NodeId>,
}

impl Client {
    pub fn new(id: ClientId, kind: ClientKind, rng: SimRng) -> Self {
        Client {
            id,
            kind,
            inbox: VecDeque::new(),
            rng,
            state: ClientState::Idle { until: 0 },
            last_op: None,
            seq: 0,
            known: BTreeMap::new(),
            final_reads: VecDeque::new(),
        }
    }
}

/// What the answer `payload` says of operation `kind`: how it ended, with what a read of the
/// workloads beyond registers returned written into `kind`. `None`: not an answer to a client
/// request.
fn outcome_of(payload: &dyn Payload, kind: &mut OpKind) -> Option<Outcome> {
    let any = payload.as_any();
    let (status, value) = if let Some(r) = any.downcast_ref::<ClientReadResponse>() {
        (r.status, r.value)
    } else if let Some(w) = any.downcast_ref::<ClientWriteResponse>() {
        (w.status, None)
    } else if let Some(r) = any.downcast_ref::<BroadcastReadResponse>() {
        if let (OpKind::BroadcastRead { values, .. }, Status::Success) = (kind, r.status) {
            values.clone_from(&r.values);
            values.sort_unstable();
            values.dedup();
        }
        (r.status, None)
    } else if let Some(r) = any.downcast_ref::<CounterReadResponse>() {
        if let (OpKind::CounterRead { value, .. }, Status::Success) = (kind, r.status) {
            *value = Some(r.value);
        }
        (r.status, None)
    } else if let Some(r) = any.downcast_ref::<GenerateResponse>() {
        if let (OpKind::Generate { unique_id }, Status::Success) = (kind, r.status) {
            *unique_id = Some(r.unique_id);
        }
        (r.status, None)
    } else {
        return None;
    };
    Some(match status {
        Status::Success => Outcome::Ok(value),
        Status::Fail => Outcome::Failed,
        Status::Unknown => Outcome::Unknown,
    })
}

/// The request a client sends for operation `kind`.
fn request_for(kind: &OpKind, id: RequestId) -> Box<dyn Payload> {
    match *kind {
        OpKind::Read => Box::new(ClientReadRequest { id }),
        OpKind::Write(value) => Box::new(ClientWriteRequest { id, value }),
        OpKind::KvRead { key } => Box::new(KvReadRequest { id, key }),
        OpKind::KvWrite { key, value } => Box::new(KvWriteRequest { id, key, value }),
        OpKind::KvCas { key, from, to } => Box::new(KvCasRequest { id, key, from, to }),
        OpKind::Broadcast(value) => Box::new(BroadcastRequest { id, value }),
        OpKind::BroadcastRead { .. } => Box::new(BroadcastReadRequest { id }),
        OpKind::Add(delta) => Box::new(CounterAddRequest { id, delta }),
        OpKind::CounterRead { .. } => Box::new(CounterReadRequest { id }),
        OpKind::Generate { .. } => Box::new(GenerateRequest { id }),
    }
}

/// What a client's turn works on besides the client: the send path, the history, the
/// configuration and the counter of unique values.
pub(crate) struct Env<'a> {
    pub wire: &'a mut Wire,
    pub history: &'a mut History,
    pub config: &'a Config,
    pub next_value: &'a mut Value,
}

impl Client {
    /// The client's turn: the answer to its request, then its timeout, then its next operation.
    #[inline]
    pub fn turn(&mut self, env: &mut Env<'_>) -> Result<(), RunError> {
        let now = env.wire.now();
        // Most turns change nothing: no answer, no timeout due, no operation to start. They
        // cost these branches, not a call.
        if self.inbox.is_empty() && env.config.final_read_tick() != Some(now) {
            match self.state {
                ClientState::Waiting { deadline, .. } if deadline.is_none_or(|d| now < d) => return Ok(()),
                ClientState::Idle { until } if now < until && now <= env.config.last_invoke() => return Ok(()),
                _ => {}
            }
        }
        self.busy_turn(env, now)
    }

    #[inline(never)]
    fn busy_turn(&mut self, env: &mut Env<'_>, now: Tick) -> Result<(), RunError> {
        let mut changed = false;
        // Taken from the front one by one: the buffer stays in place for the next deliveries.
        while let Some(sig) = self.inbox.pop_front() {
            let waiting_for = match self.state {
                ClientState::Waiting { request, op, .. } => Some((request, op)),
                ClientState::Idle { .. } => None,
            };
            match (sig.kind, waiting_for) {
                (SignalKind::Reply { to }, Some((request, op))) if to == request => {
                    let kind = &mut env.history.operations[op].kind;
                    let outcome = outcome_of(&*sig.payload, kind).unwrap_or(Outcome::Unknown);
                    self.complete(env, op, outcome);
                    changed = true;
                }
                (SignalKind::Reply { .. }, _) => {
                    emit!(env.wire, Event::StaleReply { tick: now, signal: sig.id, at: ServerId::Client(self.id) });
                    env.wire.stats.stale_replies += 1;
                }
                _ => return Err(env.wire.no_endpoint(ServerId::Client(self.id), "Client", &sig)),
            }
        }
        // The client's timer runs every tick: give up on a late answer, or start an operation.
        if let ClientState::Waiting { op, deadline: Some(d), .. } = self.state
            && now >= d
        {
            self.complete(env, op, Outcome::Unknown);
            changed = true;
        }
        // At the final-read tick the client takes its share of the nodes to read once more.
        if env.config.final_read_tick() == Some(now) {
            let (me, clients) = (self.id.index(), env.wire.clients);
            self.final_reads = (0..env.wire.nodes()).filter(|n| n % clients == me).map(NodeId::from_index).collect();
        }
        if let ClientState::Idle { until } = self.state {
            if now > env.config.last_invoke() {
                // The quiet period: only the final reads, one after another, as soon as idle.
                if let Some(node) = self.final_reads.pop_front() {
                    self.final_read(env, node)?;
                    changed = true;
                }
            } else if now >= until {
                self.invoke(env)?;
                changed = true;
            }
        }
        if changed && env.wire.observers.wants(crate::event::EventKind::State) {
            let label = self.last_op.map(|op| env.history.operations[op].label()).unwrap_or_default();
            emit!(env.wire, Event::State { tick: now, server: ServerId::Client(self.id), state: &label });
        }
        Ok(())
    }

    /// A value to write: the next unique one, or one of 1..=9.
    fn value(&mut self, env: &mut Env<'_>, unique: bool) -> Value {
        if unique || env.config.values == ValueMode::Unique {
            *env.next_value += 1;
            *env.next_value
        } else {
            self.rng.random_range(1..=9)
        }
    }

    /// Whether the next operation writes (or adds, or sends), as the client's kind says.
    fn updates(&mut self) -> bool {
        match self.kind {
            ClientKind::Read => false,
            ClientKind::Write => true,
            ClientKind::Both => self.rng.random_bool(0.5),
        }
    }

    /// The next operation of the configured workload.
    fn next_operation(&mut self, env: &mut Env<'_>) -> OpKind {
        match env.config.workload {
            Workload::Register => {
                if self.updates() {
                    OpKind::Write(self.value(env, false))
                } else {
                    OpKind::Read
                }
            }
            Workload::Kv => {
                let key = self.rng.random_range(1..=Key::from(env.config.keys));
                if !self.updates() {
                    OpKind::KvRead { key }
                } else if self.rng.random_bool(0.5) {
                    OpKind::KvWrite { key, value: self.value(env, false) }
                } else {
                    // Offer the value last seen under the key, so that many swaps can succeed.
                    let from = match self.known.get(&key) {
                        Some(&v) => v,
                        None => self.rng.random_range(1..=9),
                    };
                    OpKind::KvCas { key, from, to: self.value(env, false) }
                }
            }
            // Broadcast values are always unique: a read then says which send it saw.
            Workload::Broadcast => {
                if self.updates() {
                    OpKind::Broadcast(self.value(env, true))
                } else {
                    OpKind::BroadcastRead { final_read: false, values: Vec::new() }
                }
            }
            Workload::Counter | Workload::PnCounter => {
                if self.updates() {
                    let delta = if env.config.workload == Workload::Counter {
                        self.rng.random_range(0..=5)
                    } else {
                        let d = self.rng.random_range(1..=5);
                        if self.rng.random_bool(0.5) { -d } else { d }
                    };
                    OpKind::Add(delta)
                } else {
                    OpKind::CounterRead { final_read: false, value: None }
                }
            }
            Workload::UniqueIds => OpKind::Generate { unique_id: None },
        }
    }

    fn invoke(&mut self, env: &mut Env<'_>) -> Result<(), RunError> {
        let kind = self.next_operation(env);
        self.send(env, kind, None)
    }

    /// A final read of `node`, after the quiet period's first half.
    fn final_read(&mut self, env: &mut Env<'_>, node: NodeId) -> Result<(), RunError> {
        let kind = match env.config.workload {
            Workload::Broadcast => OpKind::BroadcastRead { final_read: true, values: Vec::new() },
            _ => OpKind::CounterRead { final_read: true, value: None },
        };
        self.send(env, kind, Some(node))
    }

    /// Records operation `kind` in the history and sends its request to the gateway (for a
    /// given `node`, or wherever the gateway routes it).
    fn send(&mut self, env: &mut Env<'_>, kind: OpKind, node: Option<NodeId>) -> Result<(), RunError> {
        let now = env.wire.now();
        self.seq += 1;
        let id = RequestId { client: self.id, seq: self.seq };
        let payload = request_for(&kind, id);
        let index = env.history.operations.len();
        let op = Operation {
            index,
            client: self.id,
            kind,
            invoke: now,
            complete: None,
            outcome: Outcome::Pending,
            node: None,
        };
        self.last_op = Some(index);
        emit!(env.wire, Event::OperationInvoked { tick: now, operation: &op });
        env.history.operations.push(op);
        if let Some(node) = node {
            env.wire.routes.pinned.insert(id, node);
        }
        let request = env.wire.shared.next_signal_id();
        // A deadline past the end of time is never. A final read waits only as long as a round
        // trip can take (four hops and the handling), so that a lost one is read again in time.
        let timeout = match node {
            Some(_) => {
                let round_trip = env.config.round_trip();
                Some(env.config.client_timeout.map_or(round_trip, |t| t.min(round_trip)))
            }
            None => env.config.client_timeout,
        };
        let deadline = timeout.and_then(|t| now.checked_add(t));
        self.state = ClientState::Waiting { request, id, op: index, deadline, final_of: node };
        env.wire.transmit(request, ServerId::Client(self.id), ServerId::Gateway, SignalKind::Request, payload)
    }

    fn complete(&mut self, env: &mut Env<'_>, op: usize, outcome: Outcome) {
        let now = env.wire.now();
        let pause = self.rng.random_range(1..=env.config.max_pause);
        let (id, final_of) = match self.state {
            ClientState::Waiting { id, final_of, .. } => (Some(id), final_of),
            ClientState::Idle { .. } => (None, None),
        };
        // A final read that came to nothing (lost, refused, timed out) is made again: the
        // check needs every node's.
        if let Some(node) = final_of
            && !matches!(outcome, Outcome::Ok(_))
        {
            // At the back: a node that does not answer must not keep the others unread.
            self.final_reads.push_back(node);
        }
        self.state = ClientState::Idle { until: now.saturating_add(pause) };
        let operation = &mut env.history.operations[op];
        operation.complete = Some(now);
        operation.outcome = outcome;
        if let Some(id) = id {
            operation.node = env.wire.routes.served.remove(&id);
        }
        // What a kv client saw under a key: what it offers to compare-and-set from next.
        match (&operation.kind, outcome) {
            (&OpKind::KvRead { key }, Outcome::Ok(Some(v)))
            | (&OpKind::KvWrite { key, value: v }, Outcome::Ok(_))
            | (&OpKind::KvCas { key, to: v, .. }, Outcome::Ok(_)) => {
                self.known.insert(key, v);
            }
            _ => {}
        }
        self.last_op = Some(op);
        let operation = &env.history.operations[op];
        emit!(env.wire, Event::OperationCompleted { tick: now, operation });
    }
}
