//! The gateway: the clients' only contact. It forwards each client request to the leader, if
//! a node announced itself, or else to the nodes in turn (round robin), and relays the answer.
//! Unlike the original it gives up after a timeout, answering the client with
//! [`Status::Unknown`](crate::Status::Unknown).

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use crate::error::RunError;
use crate::event::{Event, SignalKind};
use crate::ids::{ClientId, NodeId, RequestId, ServerId, SignalId, Tick};
use crate::message::{LeaderNotification, Payload};
use crate::network::{Signal, Wire, emit};
use crate::workload::request_info;

/// Makes the answer the gateway gives when no node answers in time.
type UnknownAnswer = fn() -> Box<dyn Payload>;

/// The latest request of a client, as the gateway knows it.
struct Latest {
    seq: u64,
    /// The node it went to (copies go there too).
    node: NodeId,
    /// While no answer went back: the client's signal (its answer refers to it) and what to
    /// answer if no node does.
    open: Option<(SignalId, UnknownAnswer)>,
}

#[derive(Default)]
pub(crate) struct Gateway {
    pub inbox: VecDeque<Signal>,
    pub leader: Option<NodeId>,
    next_node: usize,
    /// Each client's latest request, by client index.
    latest: Vec<Option<Latest>>,
    /// Requests forwarded to a node, by the id of the forwarded signal.
    pending: FxHashMap<SignalId, RequestId>,
    /// When each forwarded signal times out; every timeout is the same length, so this is in
    /// deadline order.
    deadlines: VecDeque<(Tick, SignalId)>,
}

impl Gateway {
    /// The gateway's turn: every signal in its inbox, in delivery order, then the forwarded
    /// requests whose `timeout` is due.
    ///
    /// **Copies of a request.** The network may deliver a client's request twice. The gateway
    /// knows a copy by its [`RequestId`] and never makes two operations of one request: a copy
    /// of the client's latest request goes to the node the first copy went to (so that node,
    /// which must tell copies apart anyway, sees both: copies also happen between the gateway
    /// and the nodes), and only the first answer goes back to the client. A copy of an older
    /// request is dropped: the client has its answer and has moved on, and a node could only
    /// do the operation a second time.
    #[inline]
    pub fn turn(&mut self, wire: &mut Wire, timeout: Option<Tick>) -> Result<(), RunError> {
        let now = wire.now();
        // Most turns have nothing to forward and no timeout due: a branch, not a call.
        if self.inbox.is_empty() && self.deadlines.front().is_none_or(|&(deadline, _)| deadline > now) {
            return Ok(());
        }
        self.busy_turn(wire, timeout, now)
    }

    #[inline(never)]
    fn busy_turn(&mut self, wire: &mut Wire, timeout: Option<Tick>, now: Tick) -> Result<(), RunError> {
        if self.latest.len() < wire.clients {
            self.latest.resize_with(wire.clients, || None);
        }
        // Taken from the front one by one: the buffer stays in place for the next deliveries.
        while let Some(sig) = self.inbox.pop_front() {
            if let SignalKind::Reply { to } = sig.kind {
                let open = self.pending.remove(&to).and_then(|id| self.take_open(id));
                match open {
                    Some((client, client_request, _)) => {
                        let kind = SignalKind::Reply { to: client_request };
                        wire.send(ServerId::Gateway, ServerId::Client(client), kind, sig.payload)?;
                    }
                    None => {
                        emit!(wire, Event::StaleReply { tick: now, signal: sig.id, at: ServerId::Gateway });
                        wire.stats.stale_replies += 1;
                    }
                }
                continue;
            }
            if let Some(info) = request_info(&*sig.payload) {
                let ServerId::Client(client) = sig.from else {
                    return Err(wire.no_endpoint(ServerId::Gateway, "Gateway", &sig));
                };
                let slot = &mut self.latest[client.index()];
                let node = match slot {
                    Some(l) if l.seq == info.id.seq => l.node,
                    Some(l) if l.seq > info.id.seq => {
                        wire.stats.stale_requests += 1;
                        continue;
                    }
                    _ => {
                        let node = match wire.routes.pinned.remove(&info.id) {
                            Some(pinned) => pinned,
                            None => match self.leader {
                                Some(leader) => leader,
                                None => {
                                    let n = self.next_node % wire.nodes();
                                    self.next_node = n + 1;
                                    NodeId::from_index(n)
                                }
                            },
                        };
                        let client_request = sig.copy_of.unwrap_or(sig.id);
                        *slot = Some(Latest { seq: info.id.seq, node, open: Some((client_request, info.unknown)) });
                        wire.routes.served.insert(info.id, node);
                        node
                    }
                };
                let id = wire.shared.next_signal_id();
                self.pending.insert(id, info.id);
                // A deadline past the end of time is never.
                if let Some(deadline) = timeout.and_then(|t| now.checked_add(t)) {
                    self.deadlines.push_back((deadline, id));
                }
                wire.transmit(id, ServerId::Gateway, ServerId::Node(node), SignalKind::Request, sig.payload)?;
            } else if let Some(&LeaderNotification { leader }) =
                sig.payload.as_any().downcast_ref::<LeaderNotification>()
            {
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
            // Requests answered already are no longer open: nothing to do for them.
            if let Some((client, client_request, unknown)) = self.pending.remove(&id).and_then(|r| self.take_open(r)) {
                let kind = SignalKind::Reply { to: client_request };
                wire.send(ServerId::Gateway, ServerId::Client(client), kind, unknown())?;
            }
        }
        Ok(())
    }

    /// Closes request `id` if it is its client's latest and still open: who to answer, the
    /// signal the answer refers to, and the "unknown" answer.
    fn take_open(&mut self, id: RequestId) -> Option<(ClientId, SignalId, UnknownAnswer)> {
        let latest = self.latest.get_mut(id.client.index())?.as_mut()?;
        if latest.seq != id.seq {
            return None;
        }
        let (client_request, unknown) = latest.open.take()?;
        Some((id.client, client_request, unknown))
    }
}
