//! The gateway: the clients' only contact. It forwards each client request to the leader, if
//! a node announced itself, or else to the nodes in turn (round robin), and relays the answer.
//! Unlike the original it gives up after a timeout, answering the client with
//! [`Status::Unknown`].

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use crate::error::RunError;
use crate::event::{Event, SignalKind};
use crate::ids::{ClientId, NodeId, ServerId, SignalId, Tick};
use crate::message::{
    ClientReadRequest, ClientReadResponse, ClientWriteRequest, ClientWriteResponse, LeaderNotification, Payload, Status,
};
use crate::network::{Signal, Wire, emit};

pub(crate) struct Forwarded {
    client: ClientId,
    client_request: SignalId,
    read: bool,
}

#[derive(Default)]
pub(crate) struct Gateway {
    pub inbox: Vec<Signal>,
    pub leader: Option<NodeId>,
    next_node: usize,
    /// Requests forwarded to a node, by the id of the forwarded request.
    pending: FxHashMap<SignalId, Forwarded>,
    /// When each forwarded request times out; every timeout is the same length, so this is in
    /// deadline order.
    deadlines: VecDeque<(Tick, SignalId)>,
}

impl Gateway {
    /// The gateway's turn: every signal in its inbox, in delivery order, then the forwarded
    /// requests whose `timeout` is due.
    pub fn turn(&mut self, wire: &mut Wire, timeout: Option<Tick>) -> Result<(), RunError> {
        let now = wire.now();
        let mut inbox = std::mem::take(&mut self.inbox);
        for sig in inbox.drain(..) {
            if let SignalKind::Reply { to } = sig.kind {
                match self.pending.remove(&to) {
                    Some(f) => {
                        let kind = SignalKind::Reply { to: f.client_request };
                        wire.send(ServerId::Gateway, ServerId::Client(f.client), kind, sig.payload)?;
                    }
                    None => {
                        emit!(wire, Event::StaleReply { tick: now, signal: sig.id, at: ServerId::Gateway });
                        wire.stats.stale_replies += 1;
                    }
                }
                continue;
            }
            let any = sig.payload.as_any();
            let read = any.is::<ClientReadRequest>();
            if read || any.is::<ClientWriteRequest>() {
                let ServerId::Client(client) = sig.from else {
                    return Err(wire.no_endpoint(ServerId::Gateway, "Gateway", &sig));
                };
                let node = match self.leader {
                    Some(leader) => leader,
                    None => {
                        let n = self.next_node % wire.nodes();
                        self.next_node = n + 1;
                        NodeId::from_index(n)
                    }
                };
                let id = wire.shared.next_signal_id();
                self.pending.insert(id, Forwarded { client, client_request: sig.copy_of.unwrap_or(sig.id), read });
                // A deadline past the end of time is never.
                if let Some(deadline) = timeout.and_then(|t| now.checked_add(t)) {
                    self.deadlines.push_back((deadline, id));
                }
                wire.transmit(id, ServerId::Gateway, ServerId::Node(node), SignalKind::Request, sig.payload)?;
            } else if let Some(&LeaderNotification { leader }) = any.downcast_ref::<LeaderNotification>() {
                if self.leader != Some(leader) {
                    self.leader = Some(leader);
                    emit!(wire, Event::LeaderChanged { tick: now, leader });
                }
                if sig.kind == SignalKind::Request {
                    wire.send(ServerId::Gateway, sig.from, SignalKind::Reply { to: sig.id }, Box::new(()))?;
                }
            } else {
                return Err(wire.no_endpoint(ServerId::Gateway, "Gateway", &sig));
            }
        }
        while let Some(&(deadline, id)) = self.deadlines.front()
            && deadline <= now
        {
            self.deadlines.pop_front();
            // Already answered requests are no longer pending: nothing to do for them.
            if let Some(f) = self.pending.remove(&id) {
                let answer: Box<dyn Payload> = if f.read {
                    Box::new(ClientReadResponse { status: Status::Unknown, value: None })
                } else {
                    Box::new(ClientWriteResponse { status: Status::Unknown })
                };
                let kind = SignalKind::Reply { to: f.client_request };
                wire.send(ServerId::Gateway, ServerId::Client(f.client), kind, answer)?;
            }
        }
        // Give the buffer back, empty, so that deliveries reuse its memory.
        if self.inbox.is_empty() {
            self.inbox = inbox;
        }
        Ok(())
    }
}
