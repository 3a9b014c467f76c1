//! The clients: each asks the gateway for one operation at a time, as in the original, but
//! with a timeout so that one lost message never freezes it.

use rand::RngExt;

use crate::config::{ClientKind, ValueMode};
use crate::error::RunError;
use crate::event::{Event, SignalKind};
use crate::history::{OpKind, Operation, Outcome};
use crate::ids::{ClientId, ServerId, SignalId, Tick};
use crate::message::{ClientReadRequest, ClientReadResponse, ClientWriteRequest, ClientWriteResponse, Payload, Status};
use crate::network::Signal;
use crate::node::Node;
use crate::rng::SimRng;
use crate::world::{World, emit};

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

impl<N: Node> World<N> {
    pub(crate) fn process_client(&mut self, j: usize) -> Result<(), RunError> {
        let now = self.now();
        let inbox = std::mem::take(&mut self.clients[j].inbox);
        let mut changed = false;
        for sig in inbox {
            let client = &mut self.clients[j];
            let waiting_for = match client.state {
                ClientState::Waiting { request, op, .. } => Some((request, op)),
                ClientState::Idle { .. } => None,
            };
            match (sig.kind, waiting_for) {
                (SignalKind::Reply { to }, Some((request, op))) if to == request => {
                    let outcome = outcome_of(&*sig.payload).unwrap_or(Outcome::Unknown);
                    self.complete(j, op, outcome);
                    changed = true;
                }
                (SignalKind::Reply { .. }, _) => {
                    emit!(self, Event::StaleReply { tick: now, signal: sig.id, at: ServerId::Client(client.id) });
                    self.stats.stale_replies += 1;
                }
                _ => {
                    let id = client.id;
                    return Err(self.no_endpoint(ServerId::Client(id), "Client", &sig));
                }
            }
        }
        // The client's timer runs every tick: give up on a late answer, or start an operation.
        if let ClientState::Waiting { op, deadline: Some(d), .. } = self.clients[j].state
            && now >= d
        {
            self.complete(j, op, Outcome::Unknown);
            changed = true;
        }
        if let ClientState::Idle { until } = self.clients[j].state
            && now >= until
        {
            self.invoke(j)?;
            changed = true;
        }
        if changed {
            let c = &self.clients[j];
            emit!(self, Event::State { tick: now, server: ServerId::Client(c.id), state: &c.display });
        }
        Ok(())
    }

    fn invoke(&mut self, j: usize) -> Result<(), RunError> {
        let now = self.now();
        let write = match self.clients[j].kind {
            ClientKind::Read => false,
            ClientKind::Write => true,
            ClientKind::Both => self.clients[j].rng.random_bool(0.5),
        };
        let kind = if write {
            let value = match self.config.values {
                ValueMode::Unique => {
                    self.next_value += 1;
                    self.next_value
                }
                ValueMode::Random => self.clients[j].rng.random_range(1..=9),
            };
            OpKind::Write(value)
        } else {
            OpKind::Read
        };
        let client = self.clients[j].id;
        let index = self.history.operations.len();
        let op = Operation { index, client, kind, invoke: now, complete: None, outcome: Outcome::Pending };
        self.clients[j].display = op.label();
        emit!(self, Event::OperationInvoked { tick: now, operation: &op });
        self.history.operations.push(op);
        let payload: Box<dyn Payload> = match kind {
            OpKind::Read => Box::new(ClientReadRequest),
            OpKind::Write(value) => Box::new(ClientWriteRequest { value }),
        };
        let request = self.shared.next_signal_id();
        let deadline = self.config.client_timeout.map(|t| now + t);
        self.clients[j].state = ClientState::Waiting { request, op: index, deadline };
        self.transmit(request, ServerId::Client(client), ServerId::Gateway, SignalKind::Request, payload)
    }

    fn complete(&mut self, j: usize, op: usize, outcome: Outcome) {
        let now = self.now();
        let pause = self.clients[j].rng.random_range(1..=self.config.max_pause);
        self.clients[j].state = ClientState::Idle { until: now + pause };
        let operation = &mut self.history.operations[op];
        operation.complete = Some(now);
        operation.outcome = outcome;
        self.clients[j].display = operation.label();
        let operation = &self.history.operations[op];
        emit!(self, Event::OperationCompleted { tick: now, operation });
    }
}
