//! What the page sees of a game: one JSON document, complete, after every tick and command.
//! Each field is described in `docs/PLAY.md`.

use dgame_engine::{ClientId, Config, Node, NodeId, OpKind, Outcome, ServerId, SignalKind};
use serde::Serialize;

use super::game::{Game, LogEntry, status_name};
use crate::report::{Latency, VerdictReport};

/// Debug texts longer than this are cut (a log of a thousand entries helps nobody on a dot).
const MAX_TEXT: usize = 1500;

#[derive(Serialize)]
struct State<'a> {
    game: u64,
    algorithm: &'a str,
    tick: u64,
    ticks: u64,
    seed: u64,
    running: bool,
    finished: bool,
    speed: f64,
    tick_ms: f64,
    config: &'a Config,
    command: String,
    interventions: Vec<String>,
    leader: Option<ServerId>,
    nodes: Vec<NodeView>,
    clients: Vec<ClientView>,
    signals: Vec<SignalView>,
    cuts: Vec<(ServerId, ServerId)>,
    history: Vec<OpView>,
    verdict: &'a VerdictReport,
    counters: Counters,
    log: Vec<&'a LogEntry>,
    error: Option<String>,
}

#[derive(Serialize)]
struct NodeView {
    id: ServerId,
    number: u32,
    status: &'static str,
    /// Some link to or from it is cut.
    cut_off: bool,
    leader: bool,
    /// Its `Debug` text.
    state: String,
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

/// The state of `game` as JSON.
pub(crate) fn to_json<N: Node>(game: &Game<N>) -> String {
    let w = &game.world;
    let recorder = game.recorder.borrow();
    let leader = w.leader();
    let cuts: Vec<(ServerId, ServerId)> = w.cut_links().collect();
    let nodes = (1..=w.node_count() as u32)
        .map(|n| {
            let id = NodeId(n);
            let me = ServerId::Node(id);
            NodeView {
                id: me,
                number: n,
                status: w.node_status(id).map_or("up", status_name),
                cut_off: cuts.iter().any(|&(a, b)| a == me || b == me),
                leader: leader == Some(id),
                state: w.node(id).map(|s| cut_text(format!("{:?}", &*s))).unwrap_or_default(),
                waiting_handlers: w.waiting_handlers(id).unwrap_or(0),
                inbox: w.inbox_len(me).unwrap_or(0),
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
                OpKind::Read => ("read", None),
                OpKind::Write(v) => ("write", Some(v)),
            };
            let read = match (op.kind, op.outcome) {
                (OpKind::Read, Outcome::Ok(v)) => Some(v),
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
                display: w.client_display(ClientId(c)).unwrap_or("").to_owned(),
                waiting: operation.is_some_and(|i| history[i].outcome == Outcome::Pending),
                operation,
            }
        })
        .collect();
    let signals = w
        .in_flight()
        .iter()
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
                message: cut_text(format!("{:?}", s.message)),
                sent: s.sent,
                arrival: s.arrival,
            }
        })
        .collect();
    let stats = w.stats();
    let state = State {
        game: game.number,
        algorithm: game.algorithm,
        tick: w.now(),
        ticks: game.base.ticks,
        seed: game.base.seed,
        running: game.running,
        finished: game.finished(),
        speed: game.speed,
        tick_ms: 1000.0 / game.speed,
        config: &game.base,
        command: game.replay_config().command_line(super::program(), game.algorithm),
        interventions: game.clicks.iter().map(ToString::to_string).collect(),
        leader: leader.map(ServerId::Node),
        nodes,
        clients,
        signals,
        cuts,
        history: history_view,
        verdict: &game.verdict,
        counters: Counters {
            messages_per_operation: if ops.total == 0 { 0.0 } else { stats.sent as f64 / ops.total as f64 },
            operations: ops,
            latency: Latency::of(latencies),
            sent: stats.sent,
            delivered: stats.delivered,
            in_flight: w.in_flight_count(),
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
    serde_json::to_string(&state).expect("the state serializes")
}
