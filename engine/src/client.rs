//! The clients: each asks the gateway for one operation at a time, as in the original, but
//! with a timeout so that one lost message never freezes it.

use rand::RngExt;

use crate::config::{ClientKind, Config, ValueMode};
use crate::error::RunError;
use crate::event::{Event, SignalKind};
use crate::history::{History, OpKind, Operation, Outcome};
use crate::ids::{ClientId, ServerId, SignalId, Tick, Value};
use crate::message::{ClientReadRequest, ClientReadResponse, ClientWriteRequest, ClientWriteResponse, Payload, Status};
use crate::network::{Signal, Wire, emit};
use crate::rng::SimRng;

pub(crate) enum ClientState {
    /// Pausing until this tick, then it starts an operation.
    Idle { until: Tick },
    /// Waiting for the answer to `request` (operation `op` of the history).
    Waiting { request: SignalId, op: usize, deadline: Option<Tick> },
}

pub(crate) struct Client {
    pub id: ClientId,
    pub kind: ClientKind,
    pub inbox: Vec<Signal>,
    pub rng: SimRng,
    pub state: ClientState,
    /// What the viewer shows under the client: the last operation's label.
    pub display: String,
}

impl Client {
    pub fn new(id: ClientId, kind: ClientKind, rng: SimRng) -> Self {
        Client { id, kind, inbox: Vec::new(), rng, state: ClientState::Idle { until: 0 }, display: String::new() }
    }
}

fn outcome_of(payload: &dyn Payload) -> Option<Outcome> {
    let any = payload.as_any();
    let (status, value) = if let Some(r) = any.downcast_ref::<ClientReadResponse>() {
        (r.status, r.value)
    } else if let Some(w) = any.downcast_ref::<ClientWriteResponse>() {
        (w.status, None)
    } else {
        return None;
    };
    Some(match status {
        Status::Success => Outcome::Ok(value),
        Status::Fail => Outcome::Failed,
        Status::Unknown => Outcome::Unknown,
    })
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
    pub fn turn(&mut self, env: &mut Env<'_>) -> Result<(), RunError> {
        let now = env.wire.now();
        let mut inbox = std::mem::take(&mut self.inbox);
        let mut changed = false;
        for sig in inbox.drain(..) {
            let waiting_for = match self.state {
                ClientState::Waiting { request, op, .. } => Some((request, op)),
                ClientState::Idle { .. } => None,
            };
            match (sig.kind, waiting_for) {
                (SignalKind::Reply { to }, Some((request, op))) if to == request => {
                    let outcome = outcome_of(&*sig.payload).unwrap_or(Outcome::Unknown);
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
        if self.inbox.is_empty() {
            self.inbox = inbox;
        }
        // The client's timer runs every tick: give up on a late answer, or start an operation.
        if let ClientState::Waiting { op, deadline: Some(d), .. } = self.state
            && now >= d
        {
            self.complete(env, op, Outcome::Unknown);
            changed = true;
        }
        if let ClientState::Idle { until } = self.state
            && now >= until
        {
            self.invoke(env)?;
            changed = true;
        }
        if changed {
            emit!(env.wire, Event::State { tick: now, server: ServerId::Client(self.id), state: &self.display });
        }
        Ok(())
    }

    fn invoke(&mut self, env: &mut Env<'_>) -> Result<(), RunError> {
        let now = env.wire.now();
        let write = match self.kind {
            ClientKind::Read => false,
            ClientKind::Write => true,
            ClientKind::Both => self.rng.random_bool(0.5),
        };
        let kind = if write {
            let value = match env.config.values {
                ValueMode::Unique => {
                    *env.next_value += 1;
                    *env.next_value
                }
                ValueMode::Random => self.rng.random_range(1..=9),
            };
            OpKind::Write(value)
        } else {
            OpKind::Read
        };
        let index = env.history.operations.len();
        let op = Operation { index, client: self.id, kind, invoke: now, complete: None, outcome: Outcome::Pending };
        op.write_label(&mut self.display);
        emit!(env.wire, Event::OperationInvoked { tick: now, operation: &op });
        env.history.operations.push(op);
        let payload: Box<dyn Payload> = match kind {
            OpKind::Read => Box::new(ClientReadRequest),
            OpKind::Write(value) => Box::new(ClientWriteRequest { value }),
        };
        let request = env.wire.shared.next_signal_id();
        // A deadline past the end of time is never.
        let deadline = env.config.client_timeout.and_then(|t| now.checked_add(t));
        self.state = ClientState::Waiting { request, op: index, deadline };
        env.wire.transmit(request, ServerId::Client(self.id), ServerId::Gateway, SignalKind::Request, payload)
    }

    fn complete(&mut self, env: &mut Env<'_>, op: usize, outcome: Outcome) {
        let now = env.wire.now();
        let pause = self.rng.random_range(1..=env.config.max_pause);
        self.state = ClientState::Idle { until: now.saturating_add(pause) };
        let operation = &mut env.history.operations[op];
        operation.complete = Some(now);
        operation.outcome = outcome;
        operation.write_label(&mut self.display);
        let operation = &env.history.operations[op];
        emit!(env.wire, Event::OperationCompleted { tick: now, operation });
    }
}
