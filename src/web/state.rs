//! What the page sees of a game: one JSON document after every tick and command (the stream
//! sends the difference from the one before). Each field is described in `docs/PLAY.md`.

use dgame_engine::{ClientId, Config, Node, NodeId, OpKind, Outcome, ServerId, SignalKind};
use serde::Serialize;
use serde_json::Value;

use super::compat::{Latency, VerdictReport, command_line};
use super::game::{Fork, Session, status_name};
use super::hooks::debug_text;
use super::patch;
use super::record::{LogEntry, Message};

/// A signal's `Debug` text longer than this is cut (a dot's tooltip is no place for a log).
const MAX_TEXT: usize = 4000;
/// How many ticks back the space-time diagram reaches.
pub(crate) const DIAGRAM_TICKS: u64 = 60;
/// The most signals in flight, and the most messages of the diagram, a state carries: a world
/// of a thousand nodes has hundreds of thousands in flight, which no page can draw and whose
/// JSON, every step, would take gigabytes. The signals sent first and the newest messages are
/// kept (each signal carries its operations, for lighting them); the counters say how many
/// were left out.
pub(crate) const MAX_DRAWN: usize = 5_000;
/// The most changed places listed for one node.
const MAX_CHANGED: usize = 400;

#[derive(Serialize)]
struct State<'a> {
    game: u64,
    timeline: u64,
    algorithm: &'a str,
    tick: u64,
    head: u64,
    ticks: u64,
    seed: u64,
    running: bool,
    finished: bool,
    speed: f64,
    tick_ms: f64,
    pause_on_violation: bool,
    config: &'a Config,
    command: String,
    /// Why the command runs further than the tick shown, and which tick the game shows
    /// (`None`: it stops at the tick shown).
    command_note: Option<String>,
    interventions: Vec<String>,
    fork: Option<&'a Fork>,
    routes_to: Option<ServerId>,
    nodes: Vec<NodeView>,
    clients: Vec<ClientView>,
    signals: Vec<SignalView>,
    messages: Vec<&'a Message>,
    cuts: Vec<(ServerId, ServerId)>,
    history: Vec<OpView>,
    verdict: &'a VerdictReport,
    explained: Vec<usize>,
    violation_at: Option<u64>,
    counters: Counters,
    log: Vec<&'a LogEntry>,
    error: Option<String>,
}

#[derive(Serialize)]
struct NodeView {
    id: ServerId,
    number: u32,
    status: &'static str,
    /// It cannot reach more than half of its peers (the gateway and the other nodes).
    cut_off: bool,
    /// The peers it has a cut link with.
    unreachable: Vec<ServerId>,
    /// The gateway routes client requests to it.
    routed: bool,
    /// Its own short status (`leader t3`).
    badge: Option<String>,
    /// Its state: a tree, or its `Debug` text.
    state: Value,
    /// Showing its state failed (a panic in its `Debug`).
    state_error: Option<String>,
    /// Where its state changed since the tick before (`log/4/term`), when known.
    changed: Option<Vec<String>>,
    waiting_handlers: usize,
    inbox: usize,
}

#[derive(Serialize)]
struct ClientView {
    id: ServerId,
    number: u32,
    /// The last operation's label (`R5`, `W3…`, `W4?`, `R!`); empty before the first.
    display: String,
    /// Waiting for an answer.
    waiting: bool,
    /// The index of its last operation in `history`.
    operation: Option<usize>,
}

#[derive(Serialize)]
struct SignalView {
    id: u64,
    from: ServerId,
    to: ServerId,
    /// `request`, `reply` or `one_way`.
    kind: &'static str,
    /// What the page colours it by: `request` (a client's operation on its way in), `reply`
    /// (an answer on its way out), `node` (between nodes, or a node's notice to the gateway).
    category: &'static str,
    /// For a reply, the request it answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<u64>,
    #[serde(rename = "type")]
    type_name: String,
    message: String,
    sent: u64,
    arrival: u64,
    /// The operations it was sent for (as its message in `messages` says, which the state
    /// may leave out).
    ops: Vec<usize>,
}

#[derive(Serialize)]
struct OpView {
    index: usize,
    client: u32,
    /// `read` or `write`.
    kind: &'static str,
    /// The value written.
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<u64>,
    invoke: u64,
    complete: Option<u64>,
    /// `ok`, `failed`, `unknown` or `pending`.
    outcome: &'static str,
    /// The value a successful read returned (`null`: the empty register).
    #[serde(skip_serializing_if = "Option::is_none")]
    read: Option<Option<u64>>,
    label: String,
}

#[derive(Serialize, Default)]
struct Operations {
    total: usize,
    ok: usize,
    failed: usize,
    unknown: usize,
    pending: usize,
}

#[derive(Serialize)]
struct Dropped {
    loss: u64,
    partition: u64,
    by_id: u64,
    crashed: u64,
}

#[derive(Serialize)]
struct Counters {
    operations: Operations,
    messages_per_operation: f64,
    latency: Latency,
    sent: u64,
    delivered: u64,
    in_flight: usize,
    /// Signals in flight the state leaves out (beyond [`MAX_DRAWN`]).
    signals_left_out: usize,
    /// Messages of the diagram's ticks the state leaves out (the oldest, beyond [`MAX_DRAWN`]).
    messages_left_out: usize,
    dropped: Dropped,
    duplicated: u64,
    stale_replies: u64,
}

fn cut_text(mut s: String) -> String {
    if s.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

/// The places where `new` differs from `old`, as paths (`log/4/term`; the root is empty).
pub(crate) fn changed_paths(old: &Value, new: &Value) -> Vec<String> {
    fn walk(p: &Value, path: &str, out: &mut Vec<String>) {
        if out.len() >= MAX_CHANGED {
            return;
        }
        let join = |k: &str| if path.is_empty() { k.to_owned() } else { format!("{path}/{k}") };
        if let Some(o) = p.get("o").and_then(Value::as_object) {
            for k in p.get("d").and_then(Value::as_array).into_iter().flatten() {
                out.push(join(&k.as_str().map_or_else(|| k.to_string(), str::to_owned)));
            }
            for (k, q) in o {
                walk(q, &join(k), out);
            }
        } else if let Some(a) = p.get("a").and_then(Value::as_array) {
            for c in a {
                walk(&c[1], &join(&c[0].to_string()), out);
            }
        } else if p.get("k").is_some() {
            // Keyed arrays inside a node's state are rare: say the array changed.
            out.push(path.to_owned());
        } else {
            out.push(path.to_owned());
        }
    }
    let mut out = Vec::new();
    if let Some(p) = patch::diff(old, new) {
        walk(&p, "", &mut out);
    }
    out
}

/// The operations to outline for a violation: the explanation's, and the writes of the values
/// its reads returned (values are unique), so "two writes took one version" shows both writes.
fn explained(verdict: &VerdictReport, history: &[dgame_engine::Operation]) -> Vec<usize> {
    let indices = verdict.violation_indices();
    let mut out = indices.to_vec();
    for &i in indices {
        let Some(op) = history.get(i) else { continue };
        let (key, value) = match (&op.kind, op.outcome) {
            (OpKind::Read, Outcome::Ok(Some(v))) => (None, v),
            (&OpKind::KvRead { key }, Outcome::Ok(Some(v))) => (Some(key), v),
            _ => continue,
        };
        let wrote = |w: &&dgame_engine::Operation| match w.kind {
            OpKind::Write(x) => key.is_none() && x == value,
            OpKind::KvWrite { key: k, value: x } | OpKind::KvCas { key: k, to: x, .. } => key == Some(k) && x == value,
            _ => false,
        };
        out.extend(history.iter().filter(wrote).map(|w| w.index));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The state of `game` as JSON.
pub(crate) fn to_json<N: Node>(game: &mut Session<N>) -> Value {
    let current = game.states();
    {
        let in_flight = game.world.in_flight();
        let texts = &mut game.signal_texts;
        let ids: std::collections::BTreeSet<u64> = in_flight.iter().map(|s| s.id.0).collect();
        texts.retain(|id, _| ids.contains(id));
        for s in &in_flight {
            texts.entry(s.id.0).or_insert_with(|| cut_text(debug_text(s.message).unwrap_or_else(|e| format!("({e})"))));
        }
    }
    let value = {
        let game = &*game;
        let w = &game.world;
        let recorder = game.recorder.borrow();
        let routes_to = w.leader();
        let cuts: Vec<(ServerId, ServerId)> = w.cut_links().collect();
        let before = game.before.as_ref().filter(|b| b.timeline == current.timeline && b.tick + 1 == current.tick);
        let nodes = (1..=w.node_count() as u32)
            .map(|n| {
                let id = NodeId(n);
                let (state, state_error) = match &current.values[n as usize - 1] {
                    Ok(v) => (v.clone(), None),
                    Err(e) => (Value::Null, Some(e.clone())),
                };
                let changed = before.and_then(|b| match &b.values[n as usize - 1] {
                    Ok(old) => Some(changed_paths(old, &state)),
                    Err(_) => None,
                });
                NodeView {
                    id: ServerId::Node(id),
                    number: n,
                    status: w.node_status(id).map_or("up", status_name),
                    cut_off: game.cut_off(id),
                    unreachable: game.unreachable(id).0,
                    routed: routes_to == Some(id),
                    badge: current.badges[n as usize - 1].clone(),
                    state,
                    state_error,
                    changed,
                    waiting_handlers: w.waiting_handlers(id).unwrap_or(0),
                    inbox: w.inbox_len(ServerId::Node(id)).unwrap_or(0),
                }
            })
            .collect();
        let history = &w.history().operations;
        let mut ops = Operations { total: history.len(), ..Operations::default() };
        let mut latencies = Vec::new();
        let mut last_op: Vec<Option<usize>> = vec![None; w.config().clients as usize];
        let history_view = history
            .iter()
            .map(|op| {
                if let Some(slot) = last_op.get_mut((op.client.0 as usize).wrapping_sub(1)) {
                    *slot = Some(op.index);
                }
                let outcome = match op.outcome {
                    Outcome::Ok(_) => {
                        ops.ok += 1;
                        if let Some(c) = op.complete {
                            latencies.push(c - op.invoke);
                        }
                        "ok"
                    }
                    Outcome::Failed => {
                        ops.failed += 1;
                        "failed"
                    }
                    Outcome::Unknown => {
                        ops.unknown += 1;
                        "unknown"
                    }
                    Outcome::Pending => {
                        ops.pending += 1;
                        "pending"
                    }
                };
                let (kind, value) = match op.kind {
                    OpKind::Read | OpKind::KvRead { .. } => ("read", None),
                    OpKind::Write(v) | OpKind::KvWrite { value: v, .. } => ("write", Some(v)),
                    OpKind::KvCas { to, .. } => ("cas", Some(to)),
                    OpKind::Broadcast(v) => ("broadcast", Some(v)),
                    OpKind::BroadcastRead { .. } | OpKind::CounterRead { .. } => ("read", None),
                    OpKind::Add(_) => ("add", None),
                    OpKind::Generate { .. } => ("generate", None),
                };
                let read = match (&op.kind, op.outcome) {
                    (OpKind::Read | OpKind::KvRead { .. }, Outcome::Ok(v)) => Some(v),
                    _ => None,
                };
                OpView {
                    index: op.index,
                    client: op.client.0,
                    kind,
                    value,
                    invoke: op.invoke,
                    complete: op.complete,
                    outcome,
                    read,
                    label: op.label(),
                }
            })
            .collect();
        let clients = (1..=w.config().clients)
            .map(|c| {
                let operation = last_op.get(c as usize - 1).copied().flatten();
                ClientView {
                    id: ServerId::Client(ClientId(c)),
                    number: c,
                    display: w.client_display(ClientId(c)).unwrap_or_default(),
                    waiting: operation.is_some_and(|i| history[i].outcome == Outcome::Pending),
                    operation,
                }
            })
            .collect();
        let in_flight = w.in_flight();
        let signals_left_out = in_flight.len().saturating_sub(MAX_DRAWN);
        let signals = in_flight
            .iter()
            .take(MAX_DRAWN)
            .map(|s| {
                let (kind, reply_to) = match s.kind {
                    SignalKind::Request => ("request", None),
                    SignalKind::Reply { to } => ("reply", Some(to.0)),
                    SignalKind::OneWay => ("one_way", None),
                };
                let category = match (s.from, s.to, s.kind) {
                    (ServerId::Node(_), ServerId::Node(_), _) => "node",
                    (_, _, SignalKind::Reply { .. }) => "reply",
                    (ServerId::Node(_), _, _) => "node",
                    _ => "request",
                };
                SignalView {
                    id: s.id.0,
                    from: s.from,
                    to: s.to,
                    kind,
                    category,
                    reply_to,
                    type_name: dgame_engine::message::short_type_name(s.message.type_name()).into_owned(),
                    message: game.signal_texts.get(&s.id.0).cloned().unwrap_or_default(),
                    sent: s.sent,
                    arrival: s.arrival,
                    ops: recorder.ops_of(s.id.0),
                }
            })
            .collect();
        let mut messages: Vec<&Message> = recorder.messages_since(w.now().saturating_sub(DIAGRAM_TICKS)).collect();
        let messages_left_out = messages.len().saturating_sub(MAX_DRAWN);
        messages.drain(..messages_left_out);
        let stats = w.stats();
        let state = State {
            game: game.number,
            timeline: game.timeline,
            algorithm: game.algorithm,
            tick: w.now(),
            head: game.head,
            ticks: game.base.ticks,
            seed: game.base.seed,
            running: game.running,
            finished: game.finished(),
            speed: game.speed,
            tick_ms: 1000.0 / game.speed,
            pause_on_violation: game.pause_on_violation,
            config: &game.base,
            command: command_line(&game.program, game.algorithm, &game.replay_config()),
            command_note: game.command_note(),
            interventions: game.clicks.iter().filter(|c| c.at <= w.now() + 1).map(ToString::to_string).collect(),
            fork: game.fork.as_ref(),
            routes_to: routes_to.map(ServerId::Node),
            nodes,
            clients,
            signals,
            messages,
            cuts,
            history: history_view,
            verdict: &game.verdict,
            explained: explained(&game.verdict, history),
            violation_at: game.violation_at,
            counters: Counters {
                messages_per_operation: if ops.total == 0 { 0.0 } else { stats.sent as f64 / ops.total as f64 },
                operations: ops,
                latency: Latency::of(latencies),
                sent: stats.sent,
                delivered: stats.delivered,
                in_flight: w.in_flight_count(),
                signals_left_out,
                messages_left_out,
                dropped: Dropped {
                    loss: stats.dropped_loss,
                    partition: stats.dropped_partition,
                    by_id: stats.dropped_by_id,
                    crashed: stats.dropped_crashed,
                },
                duplicated: stats.duplicated,
                stale_replies: stats.stale_replies,
            },
            log: recorder.log.iter().collect(),
            error: w.error().map(ToString::to_string),
        };
        serde_json::to_value(&state).unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }))
    };
    game.current = Some(current);
    value
}
