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
use crate::network::Signal;
use crate::node::Node;
use crate::world::{World, emit};

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

impl<N: Node> World<N> {
    pub(crate) fn process_gateway(&mut self) -> Result<(), RunError> {
        let now = self.now();
        let inbox = std::mem::take(&mut self.gateway.inbox);
        for sig in inbox {
            if let SignalKind::Reply { to } = sig.kind {
                match self.gateway.pending.remove(&to) {
                    Some(f) => {
                        let id = self.shared.next_signal_id();
                        let kind = SignalKind::Reply { to: f.client_request };
                        self.transmit(id, ServerId::Gateway, ServerId::Client(f.client), kind, sig.payload)?;
                    }
                    None => {
                        emit!(self, Event::StaleReply { tick: now, signal: sig.id, at: ServerId::Gateway });
                        self.stats.stale_replies += 1;
                    }
                }
                continue;
            }
            let any = sig.payload.as_any();
            let read = any.is::<ClientReadRequest>();
            if read || any.is::<ClientWriteRequest>() {
                let ServerId::Client(client) = sig.from else {
                    return Err(self.no_endpoint(ServerId::Gateway, "Gateway", &sig));
                };
                let node = match self.gateway.leader {
                    Some(leader) => leader,
                    None => {
                        let n = self.gateway.next_node % self.nodes.len();
                        self.gateway.next_node = n + 1;
                        NodeId(n as u32 + 1)
                    }
                };
                let id = self.shared.next_signal_id();
                self.gateway
                    .pending
                    .insert(id, Forwarded { client, client_request: sig.copy_of.unwrap_or(sig.id), read });
                if let Some(t) = self.config.gateway_timeout {
                    self.gateway.deadlines.push_back((now + t, id));
                }
                self.transmit(id, ServerId::Gateway, ServerId::Node(node), SignalKind::Request, sig.payload)?;
            } else if let Some(&LeaderNotification { leader }) = any.downcast_ref::<LeaderNotification>() {
                if self.gateway.leader != Some(leader) {
                    self.gateway.leader = Some(leader);
                    emit!(self, Event::LeaderChanged { tick: now, leader });
                }
                if sig.kind == SignalKind::Request {
                    let id = self.shared.next_signal_id();
                    self.transmit(id, ServerId::Gateway, sig.from, SignalKind::Reply { to: sig.id }, Box::new(()))?;
                }
            } else {
                return Err(self.no_endpoint(ServerId::Gateway, "Gateway", &sig));
            }
        }
        while let Some(&(deadline, id)) = self.gateway.deadlines.front()
            && deadline <= now
        {
            self.gateway.deadlines.pop_front();
            // Already answered requests are no longer pending: nothing to do for them.
            if let Some(f) = self.gateway.pending.remove(&id) {
                let answer: Box<dyn Payload> = if f.read {
                    Box::new(ClientReadResponse { status: Status::Unknown, value: None })
                } else {
                    Box::new(ClientWriteResponse { status: Status::Unknown })
                };
                let reply = self.shared.next_signal_id();
                let kind = SignalKind::Reply { to: f.client_request };
                self.transmit(reply, ServerId::Gateway, ServerId::Client(f.client), kind, answer)?;
            }
        }
        Ok(())
    }
}
