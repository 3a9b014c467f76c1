//! What the game thread remembers of a run, from the world's events: the event log the page
//! shows, every message (for the space-time diagram, with the operations it served), and every
//! fault that happened (for the command that replays the game).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use dgame_engine::event::{Event, Observer, SignalKind};
use dgame_engine::message::short_type_name;
use dgame_engine::{DropReason, Fault, NodeId, Outcome, Scheduled, ServerId};
use serde::Serialize;

use super::hooks::debug_text;
use super::state::DIAGRAM_TICKS;

/// An entry of the event log the page shows.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LogEntry {
    /// Counts up from 1 over the timeline, so a tab can tell entries apart.
    pub seq: u64,
    /// The tick it happened at; a person's click is at the tick it acts from.
    pub tick: u64,
    /// `drop`, `fault`, `leader`, `operation`, `error`, `game` or `verdict`.
    pub kind: &'static str,
    pub text: String,
    /// Whether a person did it (a click), not the configuration or the network.
    pub by_user: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<DropReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<ServerId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<ServerId>,
    /// For an operation's entry, its index in the history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<usize>,
}

/// One message of the run, as the space-time diagram draws it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Message {
    pub id: u64,
    pub from: ServerId,
    pub to: ServerId,
    pub sent: u64,
    /// The tick at whose end it reaches (or reached) its recipient's inbox.
    pub arrival: u64,
    /// When it was delivered or dropped (`None`: still in flight).
    pub end: Option<u64>,
    /// `in_flight`, `delivered`, or why it was dropped (`loss`, `partition`, `by_id`, `crashed`).
    pub fate: &'static str,
    #[serde(rename = "type")]
    pub type_name: String,
    /// `request`, `reply` or `one_way`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u64>,
    /// For a duplicate, the signal it copies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy_of: Option<u64>,
    /// The operations (indices into the history) it was sent for.
    pub ops: Vec<usize>,
}

/// How many log entries the state carries.
pub(crate) const LOG_LEN: usize = 150;

/// How long before the diagram's first tick a pruned request's operations are kept for a
/// late reply (a reply later than that is drawn without its operations).
const KEPT_REQUEST_TICKS: u64 = 2 * DIAGRAM_TICKS;
/// The record is never pruned below this many messages.
const PRUNE_AT_LEAST: usize = 100_000;

/// Watches the world's events.
#[derive(Default)]
pub(crate) struct Recorder {
    pub log: VecDeque<LogEntry>,
    seq: u64,
    /// The messages the diagram can still show and those in flight, in sending order (which
    /// is id order); older ones are pruned as the run goes (see [`Recorder::prune`]).
    pub messages: Vec<Message>,
    /// The size of `messages` that makes the next prune.
    prune_at: usize,
    /// The operations of pruned requests, by id, with the tick each was sent (a reply takes
    /// its request's operations): kept for [`KEPT_REQUEST_TICKS`] after the diagram's first
    /// tick, whether answered or not (a duplicated request is answered twice; a lost one never).
    pruned_requests: HashMap<u64, (u64, Vec<usize>)>,
    /// Every fault that happened, at the tick it acted from, in the order it happened.
    pub applied: Vec<Scheduled>,
    pub history_changed: bool,
    /// Set while a person's intervention is applied between ticks.
    pub by_user: bool,
    /// The record's clicks: a replayed one is still the player's.
    pub clicks: HashSet<String>,
    /// The node the latest fault crashed (the drops that follow at once are its inbox's).
    crashing: Option<NodeId>,
    /// Each client's operation in progress.
    client_op: BTreeMap<u32, usize>,
    /// Client requests delivered to the gateway and not yet forwarded: (text, operation).
    to_forward: VecDeque<(String, usize)>,
    /// Texts of client requests in flight to the gateway, by signal id.
    client_texts: BTreeMap<u64, String>,
    /// For each node, the operations it is working on: (the forwarded request, operation).
    working: BTreeMap<u32, Vec<(u64, usize)>>,
}

impl Recorder {
    /// A recorder for a timeline whose clicks are `clicks`.
    pub fn new(clicks: &[Scheduled]) -> Self {
        Recorder { clicks: clicks.iter().map(ToString::to_string).collect(), ..Recorder::default() }
    }

    pub fn push(&mut self, tick: u64, kind: &'static str, text: String) -> &mut LogEntry {
        self.seq += 1;
        if self.log.len() == LOG_LEN {
            self.log.pop_front();
        }
        let by_user = self.by_user;
        self.log.push_back(LogEntry {
            seq: self.seq,
            tick,
            kind,
            text,
            by_user,
            signal: None,
            reason: None,
            from: None,
            to: None,
            operation: None,
        });
        self.log.back_mut().expect("just pushed")
    }

    fn message(&mut self, id: u64) -> Option<&mut Message> {
        let i = self.messages.binary_search_by_key(&id, |m| m.id).ok()?;
        self.messages.get_mut(i)
    }

    pub(crate) fn ops_of(&self, id: u64) -> Vec<usize> {
        match self.messages.binary_search_by_key(&id, |m| m.id) {
            Ok(i) => self.messages[i].ops.clone(),
            Err(_) => self.pruned_requests.get(&id).map(|(_, ops)| ops.clone()).unwrap_or_default(),
        }
    }

    /// Forgets the messages no state will show again: those that ended before the diagram's
    /// first tick at `now` (going back in time re-runs the world with a new recorder). Run
    /// when the record has doubled since the last prune, so it costs O(1) per message and the
    /// record stays the size of the diagram's ticks and the signals in flight, however long
    /// the game runs.
    fn prune(&mut self, now: u64) {
        if self.messages.len() < self.prune_at.max(PRUNE_AT_LEAST) {
            return;
        }
        let from = now.saturating_sub(DIAGRAM_TICKS);
        let pruned = &mut self.pruned_requests;
        let oldest = from.saturating_sub(KEPT_REQUEST_TICKS);
        pruned.retain(|_, (sent, _)| *sent >= oldest);
        self.messages.retain_mut(|m| {
            let keep = m.sent >= from || m.end.is_none_or(|e| e >= from);
            if !keep && m.kind == "request" && !m.ops.is_empty() {
                pruned.insert(m.id, (m.sent, std::mem::take(&mut m.ops)));
            }
            keep
        });
        self.prune_at = 2 * self.messages.len();
    }

    /// The messages sent at or after `from`, and those sent shortly before that were still
    /// travelling then.
    pub fn messages_since(&self, from: u64) -> impl Iterator<Item = &Message> {
        // Sending ticks only go up with ids.
        let start = self.messages.partition_point(|m| m.sent < from);
        let before = &self.messages[start.saturating_sub(400)..start];
        before.iter().filter(move |m| m.end.is_none_or(|e| e >= from)).chain(&self.messages[start..])
    }

    #[allow(clippy::too_many_arguments)]
    fn sent(
        &mut self,
        tick: u64,
        id: u64,
        from: ServerId,
        to: ServerId,
        kind: SignalKind,
        arrival: u64,
        text: &str,
        ty: String,
    ) {
        let (kind_name, reply_to) = match kind {
            SignalKind::Request => ("request", None),
            SignalKind::Reply { to } => ("reply", Some(to.0)),
            SignalKind::OneWay => ("one_way", None),
        };
        let ops = match (from, to, reply_to) {
            (ServerId::Client(c), _, _) => {
                self.client_texts.insert(id, text.to_owned());
                self.client_op.get(&c.0).copied().into_iter().collect()
            }
            (ServerId::Gateway, ServerId::Node(_), None) => {
                // The gateway forwards a client's request: the first waiting with this text.
                match self.to_forward.iter().position(|(t, _)| t == text) {
                    Some(i) => self.to_forward.remove(i).map(|(_, op)| vec![op]).unwrap_or_default(),
                    None => Vec::new(),
                }
            }
            (ServerId::Node(n), _, Some(req)) => {
                let working = self.working.entry(n.0).or_default();
                if let Some(i) = working.iter().position(|&(f, _)| f == req) {
                    vec![working.remove(i).1]
                } else {
                    self.ops_of(req)
                }
            }
            (ServerId::Node(n), _, None) => {
                let mut ops: Vec<usize> = self.working.get(&n.0).into_iter().flatten().map(|&(_, op)| op).collect();
                ops.sort_unstable();
                ops.dedup();
                ops
            }
            (_, _, Some(req)) => self.ops_of(req),
            _ => Vec::new(),
        };
        self.prune(tick);
        self.messages.push(Message {
            id,
            from,
            to,
            sent: tick,
            arrival,
            end: None,
            fate: "in_flight",
            type_name: ty,
            kind: kind_name,
            reply_to,
            copy_of: None,
            ops,
        });
    }
}

impl Observer for Recorder {
    fn on_event(&mut self, event: &Event<'_>) {
        match *event {
            Event::SignalSent { tick, signal, from, to, kind, arrival, message } => {
                self.crashing = None;
                let ty = short_type_name(message.type_name()).into_owned();
                // Only a client's request and the gateway's forward are matched by their text.
                let matched = matches!((from, to), (ServerId::Client(_), _) | (ServerId::Gateway, ServerId::Node(_)));
                let text = if matched { debug_text(message).unwrap_or_default() } else { String::new() };
                self.sent(tick, signal.0, from, to, kind, arrival, &text, ty);
            }
            Event::SignalDuplicated { signal, of, .. } => {
                let ops = self.ops_of(of.0);
                if let Some(m) = self.message(signal.0) {
                    m.copy_of = Some(of.0);
                    m.ops = ops;
                }
                if let Some(text) = self.client_texts.get(&of.0).cloned() {
                    self.client_texts.insert(signal.0, text);
                }
            }
            Event::SignalDelivered { tick, signal, to } => {
                let ops = self.ops_of(signal.0);
                if let Some(m) = self.message(signal.0) {
                    m.end = Some(tick);
                    m.fate = "delivered";
                }
                match to {
                    ServerId::Gateway => {
                        if let (Some(text), Some(&op)) = (self.client_texts.remove(&signal.0), ops.first()) {
                            self.to_forward.push_back((text, op));
                        }
                    }
                    ServerId::Node(n) => {
                        if let Some(&op) = ops.first()
                            && self.messages.binary_search_by_key(&signal.0, |m| m.id).is_ok_and(|i| {
                                let m = &self.messages[i];
                                m.from == ServerId::Gateway && m.kind == "request"
                            })
                        {
                            self.working.entry(n.0).or_default().push((signal.0, op));
                        }
                    }
                    ServerId::Client(_) => {}
                }
            }
            Event::SignalDropped { tick, signal, reason } => {
                let why = match reason {
                    DropReason::Loss => "lost by the network",
                    DropReason::Partition => "lost on a cut link",
                    DropReason::ById => "dropped",
                    DropReason::Crashed => "lost: its recipient has crashed",
                };
                self.client_texts.remove(&signal.0);
                let route = self.message(signal.0).map(|m| {
                    let delivered = m.fate == "delivered";
                    m.end = Some(tick);
                    m.fate = match reason {
                        DropReason::Loss => "loss",
                        DropReason::Partition => "partition",
                        DropReason::ById => "by_id",
                        DropReason::Crashed => "crashed",
                    };
                    (m.from, m.to, m.type_name.clone(), delivered)
                });
                let crashing = self.crashing;
                let text = match (&route, crashing) {
                    (Some((_, _, _, true)), Some(n)) => {
                        format!("#{} in n{}'s inbox lost: n{} crashed", signal.0, n.0, n.0)
                    }
                    (Some((from, to, ty, _)), _) => {
                        format!("#{} {ty} {} → {} {why}", signal.0, from.short(), to.short())
                    }
                    (None, _) => format!("#{} {why}", signal.0),
                };
                // A click acts from the next tick, and is logged there.
                let at = if self.by_user { tick + 1 } else { tick };
                let replayed = reason == DropReason::ById && self.clicks.contains(&format!("drop {}@{tick}", signal.0));
                let e = self.push(at, "drop", text);
                e.by_user |= replayed;
                e.signal = Some(signal.0);
                e.reason = Some(reason);
                e.from = route.as_ref().map(|r| r.0);
                e.to = route.as_ref().map(|r| r.1).or(crashing.map(ServerId::Node));
            }
            Event::Fault { tick, fault } => {
                let at = if self.by_user { tick + 1 } else { tick };
                self.applied.push(Scheduled { at, fault: fault.clone() });
                self.crashing = match fault {
                    Fault::Crash(n) => {
                        self.working.remove(&n.0);
                        Some(*n)
                    }
                    _ => None,
                };
                // A dropped signal has its own entry, with where it was.
                if !matches!(fault, Fault::Drop(_)) {
                    let text = fault.to_string();
                    let replayed = self.clicks.contains(&Scheduled { at, fault: fault.clone() }.to_string());
                    let e = self.push(at, "fault", text);
                    e.by_user |= replayed;
                }
            }
            Event::LeaderChanged { tick, leader } => {
                self.push(tick, "leader", format!("the gateway now routes to n{}", leader.0));
            }
            Event::OperationInvoked { operation, .. } => {
                self.history_changed = true;
                self.client_op.insert(operation.client.0, operation.index);
            }
            Event::OperationCompleted { tick, operation } => {
                self.history_changed = true;
                for working in self.working.values_mut() {
                    working.retain(|&(_, op)| op != operation.index);
                }
                let what = match operation.outcome {
                    Outcome::Failed => Some("failed"),
                    Outcome::Unknown => Some("timed out (unknown)"),
                    _ => None,
                };
                if let Some(what) = what {
                    let text = format!("c{} {} {what}", operation.client.0, operation.label());
                    self.push(tick, "operation", text).operation = Some(operation.index);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A long game keeps only the messages the diagram can show and those in flight, and a reply
    /// to a request pruned long ago still takes the request's operations.
    #[test]
    fn the_record_stays_the_size_of_the_diagram_and_a_late_reply_keeps_its_operations() {
        let (n1, n2) = (ServerId::Node(NodeId(1)), ServerId::Node(NodeId(2)));
        let mut r = Recorder::default();
        // n1 works on operation 7: its requests are sent for it.
        r.working.insert(1, vec![(1, 7)]);
        let per_tick = 2_000;
        let ticks = 300;
        let mut most = 0;
        for id in 1..=per_tick * ticks {
            let tick = id / per_tick;
            r.sent(tick, id, n1, n2, SignalKind::Request, tick + 1, "", "Get".into());
            // Every request but the first is delivered at once.
            if id > 1 {
                r.message(id).unwrap().end = Some(tick + 1);
            }
            most = most.max(r.messages.len());
        }
        // Of 600,000 messages, the diagram's ticks (60) of 2,000 each, and at most twice that
        // before a prune.
        assert!(most <= 2 * (DIAGRAM_TICKS as usize + 2) * per_tick as usize, "{most}");
        // The first request is still in flight: kept, however old.
        assert_eq!(r.messages[0].id, 1);
        // A request of tick 200 was pruned; its reply, sent now, is for operation 7 all the
        // same, and so is a second reply (to a duplicate of it).
        let late = 200 * per_tick + 5;
        assert!(r.message(late).is_none());
        r.working.clear();
        let reply = ticks * per_tick + 1;
        for id in [reply, reply + 1] {
            r.sent(
                ticks,
                id,
                n2,
                n1,
                SignalKind::Reply { to: dgame_engine::SignalId(late) },
                ticks + 1,
                "",
                "Got".into(),
            );
            assert_eq!(r.message(id).unwrap().ops, [7]);
        }
        // A request from before the kept ticks is drawn without its operations.
        r.sent(
            ticks,
            reply + 2,
            n2,
            n1,
            SignalKind::Reply { to: dgame_engine::SignalId(2) },
            ticks + 1,
            "",
            "Got".into(),
        );
        assert!(r.message(reply + 2).unwrap().ops.is_empty());
        // The pruned requests' operations are kept for a while, not for ever: of the 600,000
        // requests, those sent in the 120 ticks before the diagram of the last prune.
        let bound = (KEPT_REQUEST_TICKS + 1) as usize * per_tick as usize;
        assert!(r.pruned_requests.len() <= bound, "{} > {bound}", r.pruned_requests.len());
    }
}
