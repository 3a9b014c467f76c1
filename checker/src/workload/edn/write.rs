//! Writing the workloads' EDN: one event per line, in the order the register's EDN writer
//! puts invocations and completions.

use std::fmt::Write as _;

use super::super::history::WorkloadHistory;
use super::super::{Status, broadcast, counter, unique_ids};
use crate::edn::event_order;

/// What one operation's events say, beyond its process and time.
struct Shape {
    f: &'static str,
    invoke_value: String,
    complete_value: String,
    final_read: bool,
}

fn broadcast_shape(op: &broadcast::Operation) -> Shape {
    match &op.kind {
        broadcast::Kind::Send { value } => Shape {
            f: "broadcast",
            invoke_value: value.to_string(),
            complete_value: value.to_string(),
            final_read: false,
        },
        broadcast::Kind::Read { values, final_read } => {
            let complete_value = if op.status == Status::Ok {
                let items: Vec<String> = values.iter().map(u64::to_string).collect();
                format!("[{}]", items.join(" "))
            } else {
                "nil".to_owned()
            };
            Shape { f: "read", invoke_value: "nil".to_owned(), complete_value, final_read: *final_read }
        }
    }
}

fn counter_shape(op: &counter::Operation) -> Shape {
    match op.kind {
        counter::Kind::Add { delta } => {
            Shape { f: "add", invoke_value: delta.to_string(), complete_value: delta.to_string(), final_read: false }
        }
        counter::Kind::Read { value, final_read } => Shape {
            f: "read",
            invoke_value: "nil".to_owned(),
            complete_value: if op.status == Status::Ok { value.to_string() } else { "nil".to_owned() },
            final_read,
        },
    }
}

fn unique_ids_shape(op: &unique_ids::Operation) -> Shape {
    let complete_value = match (&op.id, op.status) {
        // An id that reads back as the same text: an integer as one, anything else a string.
        (Some(id), Status::Ok) if id.parse::<u64>().is_ok_and(|n| n.to_string() == *id) => id.clone(),
        (Some(id), Status::Ok) => edn_string(id),
        _ => "nil".to_owned(),
    };
    Shape { f: "generate", invoke_value: "nil".to_owned(), complete_value, final_read: false }
}

/// `s` as an EDN string literal.
fn edn_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes a history as EDN: a vector with one event per line, every event with `:time` (see [the
/// format](super)). Every operation gets a completion, as in the register's EDN: one that
/// never completed gets an `:info` with `:dgame/open true` just before its client's next
/// invocation (or at the history's last time), which [`read_from`](super::read_from) reads back as "never
/// completed".
#[must_use]
pub fn write(history: &WorkloadHistory) -> String {
    // (client, node, invoke, complete, status, shape) of every operation.
    type Row = (u64, u64, u64, Option<u64>, Status, Shape);
    let rows: Vec<Row> = match history {
        WorkloadHistory::Broadcast(ops) => {
            ops.iter().map(|o| (o.client, o.node, o.invoke, o.complete, o.status, broadcast_shape(o))).collect()
        }
        WorkloadHistory::Counter(ops) | WorkloadHistory::PnCounter(ops) => {
            ops.iter().map(|o| (o.client, o.node, o.invoke, o.complete, o.status, counter_shape(o))).collect()
        }
        WorkloadHistory::UniqueIds(ops) => {
            ops.iter().map(|o| (o.client, o.node, o.invoke, o.complete, o.status, unique_ids_shape(o))).collect()
        }
    };
    let events = event_order(rows.iter().map(|r| (r.0, r.2, r.3)));
    let mut out = format!("; {} history\n[", history.kind().name());
    for (n, &(time, completion, i)) in events.iter().enumerate() {
        let (client, node, _, complete, status, shape) = &rows[i];
        let (ty, value) = if completion {
            let ty = match status {
                Status::Ok => "ok",
                Status::Failed => "fail",
                Status::Unknown => "info",
            };
            (ty, &shape.complete_value)
        } else {
            ("invoke", &shape.invoke_value)
        };
        if n > 0 {
            out.push_str("\n ");
        }
        let _ = write!(out, "{{:process {client}, :type :{ty}, :f :{}, :value {value}, :time {time}", shape.f);
        if shape.final_read {
            out.push_str(", :final? true");
        }
        if completion && *node != 0 {
            let _ = write!(out, ", :node \"n{node}\"");
        }
        if completion && complete.is_none() {
            out.push_str(", :dgame/open true");
        }
        out.push('}');
    }
    out.push_str("]\n");
    out
}
