//! The workloads' histories as Jepsen/Maelstrom EDN: one invocation and one completion event
//! per operation, as Maelstrom's broadcast, g-counter, pn-counter and unique-ids workloads
//! record them, plus the node that served each operation.
//!
//! ```text
//! {:process 1, :type :invoke, :f :broadcast, :value 5, :time 12}
//! {:process 1, :type :ok, :f :broadcast, :value 5, :time 15, :node "n2"}
//! {:process 2, :type :invoke, :f :read, :value nil, :time 20}
//! {:process 2, :type :ok, :f :read, :value [1 5], :time 23, :node "n1"}
//! {:process 3, :type :invoke, :f :read, :value nil, :time 90, :final? true}
//! {:process 3, :type :ok, :f :read, :value [1 5], :time 92, :final? true, :node "n3"}
//! {:process 1, :type :invoke, :f :add, :value 3, :time 30}
//! {:process 1, :type :info, :f :add, :value 3, :time 70, :node "n1"}
//! {:process 2, :type :invoke, :f :generate, :value nil, :time 40}
//! {:process 2, :type :ok, :f :generate, :value 17, :time 41, :node "n2"}
//! ```
//!
//! - `:f`: `:broadcast` and `:read` (broadcast), `:add` and `:read` (the counters),
//!   `:generate` (unique ids).
//! - `:value`: a send's value or an add's delta (on both events); a read's result on `:ok`
//!   (a vector of values for a broadcast read, an integer for a counter's); an id on a
//!   generate's `:ok` (an integer, a string, a keyword, or a vector of those; `nil`: no id);
//!   `nil` otherwise.
//! - `:type`: `:invoke`, then `:ok`, `:fail` (it certainly did not happen) or `:info` (it may
//!   have: unknown).
//! - `:final? true` (on either event) marks a final read, made after the quiet period.
//! - `:node "n2"` (on either event; the completion's wins) names the node that served it;
//!   without one the operation reached no node (`node` 0).
//! - `:time` as in the register's EDN: on every event or on none (without it, times are the
//!   events' positions; on some events only is an error naming the first event that breaks
//!   the first one's pattern); `:dgame/open true` on an `:info` means "never completed";
//!   `:process :nemesis` events are skipped; other keys are ignored (a key read given twice
//!   is an error).
//! - Pairing is the register reader's ([`crate::edn`]): an invocation is completed by its
//!   process's next completion, which must have the same `:f`. A process runs one operation
//!   at a time: an invocation while its previous operation has no completion, or, with
//!   `:time`, one timed before that completion, is an error naming both lines; so is a
//!   completion timed before its invocation.
//!
//! The reader streams (one event's syntax at a time, at most
//! [`MAX_FORM_BYTES`](crate::edn::MAX_FORM_BYTES) bytes), with the register reader's errors:
//! line numbers, short escaped excerpts, a byte order mark skipped. An event that only another
//! workload writes (`:f :write`, `:f :add` in a broadcast history, ...) is a
//! [`ReadError::WrongWorkload`].

mod write;

use std::collections::BTreeSet;
use std::io::Read;

use super::detect::{classify_edn, family};
use super::history::{ReadError, WorkloadHistory, WorkloadKind};
use super::{Status, broadcast, counter, unique_ids};
use crate::edn::pairing::{Pairing, never_invoked};
use crate::edn::reader::{Edn, Node, Reader, describe};
use crate::edn::{
    EdnError, F_KEY, FINAL, NODE, OPEN, PROCESS, TIME, TYPE, VALUE, WORKLOAD_KEYS, as_u64, field_err, once,
};
pub use write::write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Invoke,
    Ok,
    Fail,
    Info,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum F {
    Broadcast,
    Read,
    Add,
    Generate,
}

impl F {
    fn name(self) -> &'static str {
        match self {
            F::Broadcast => "broadcast",
            F::Read => "read",
            F::Add => "add",
            F::Generate => "generate",
        }
    }

    /// The `:f`s of a workload, as its errors list them.
    fn of(kind: WorkloadKind) -> (&'static [F], &'static str) {
        match kind {
            WorkloadKind::Broadcast => (&[F::Broadcast, F::Read], "one of :broadcast, :read"),
            WorkloadKind::Counter | WorkloadKind::PnCounter => (&[F::Add, F::Read], "one of :add, :read"),
            WorkloadKind::UniqueIds => (&[F::Generate], ":generate"),
        }
    }
}

struct Event {
    line: usize,
    process: u64,
    ty: Type,
    f: F,
    value: Option<Node>,
    time: Option<u64>,
    node: Option<u64>,
    final_read: bool,
    open: bool,
}

fn event(node: Node, kind: WorkloadKind) -> Result<Option<Event>, ReadError> {
    let line = node.line;
    let Edn::Map(mut map) = node.value else {
        return Err(EdnError::Syntax {
            line,
            expected: "an event map like {:process 0, :type :invoke, :f :read, :value nil}".into(),
            found: describe(&node.value),
        }
        .into());
    };
    let keys = once(&map, WORKLOAD_KEYS)?;
    let process = match keys.get(&map, PROCESS) {
        Some(Node { value: Edn::Keyword(_), .. }) => return Ok(None), // nemesis and other non-clients
        Some(n) if as_u64(&n.value).is_some() => as_u64(&n.value).unwrap_or_default(),
        other => return Err(field_err(line, ":process", "a non-negative integer", other).into()),
    };
    let ty = match keys.get(&map, TYPE) {
        Some(Node { value: Edn::Keyword(k), .. }) if matches!(&**k, "invoke" | "ok" | "fail" | "info") => match &**k {
            "invoke" => Type::Invoke,
            "ok" => Type::Ok,
            "fail" => Type::Fail,
            _ => Type::Info,
        },
        other => return Err(field_err(line, ":type", "one of :invoke, :ok, :fail, :info", other).into()),
    };
    let (allowed, expected) = F::of(kind);
    let f = match keys.get(&map, F_KEY) {
        Some(Node { value: Edn::Keyword(k), .. }) => allowed.iter().copied().find(|f| f.name() == &**k),
        _ => None,
    };
    let Some(f) = f else {
        if let Some((found, evidence)) = classify_edn(&map)
            && family(found) != kind.family()
        {
            return Err(ReadError::WrongWorkload { line, expected: kind.name(), found, evidence });
        }
        return Err(EdnError::Field { line, field: ":f", expected, found: found(keys.get(&map, F_KEY)) }.into());
    };
    // A read that only another workload's reads return (a counter's number in a broadcast
    // history, a vector of values in a counter's).
    if f == F::Read
        && let Some((found, evidence)) = classify_edn(&map)
        && family(found) != kind.family()
    {
        return Err(ReadError::WrongWorkload { line, expected: kind.name(), found, evidence });
    }
    let time = match keys.get(&map, TIME) {
        None => None,
        Some(n) if as_u64(&n.value).is_some() => as_u64(&n.value),
        other => return Err(field_err(line, ":time", "a non-negative integer", other).into()),
    };
    let node = match keys.get(&map, NODE) {
        None | Some(Node { value: Edn::Nil, .. }) => None,
        Some(n) => Some(
            node_number(&n.value)
                .ok_or_else(|| field_err(line, ":node", "a node's name like \"n2\" (or its number)", Some(n)))?,
        ),
    };
    let final_read = matches!(keys.get(&map, FINAL), Some(Node { value: Edn::Bool(true), .. }));
    let open = matches!(keys.get(&map, OPEN), Some(Node { value: Edn::Bool(true), .. }));
    let value = keys.position(VALUE).map(|i| map.swap_remove(i).1);
    Ok(Some(Event { line, process, ty, f, value, time, node, final_read, open }))
}

fn found(node: Option<&Node>) -> String {
    node.map_or("nothing".to_owned(), |n| describe(&n.value))
}

/// `"n2"` (Maelstrom's names), `n2`, `:n2` or `2`.
fn node_number(value: &Edn) -> Option<u64> {
    let name: &str = match value {
        Edn::Int(_) => return as_u64(value),
        Edn::Str(s) => s,
        Edn::Symbol(s) | Edn::Keyword(s) => s,
        _ => return None,
    };
    let digits = name.strip_prefix('n')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn int(node: Option<&Node>, line: usize, expected: &'static str) -> Result<i128, EdnError> {
    match node {
        Some(Node { value: Edn::Int(i), .. }) => Ok(*i),
        other => Err(field_err(line, ":value", expected, other)),
    }
}

fn value_u64(node: Option<&Node>, line: usize, expected: &'static str) -> Result<u64, EdnError> {
    let i = int(node, line, expected)?;
    u64::try_from(i).map_err(|_| field_err(line, ":value", expected, node))
}

fn value_i64(node: Option<&Node>, line: usize, expected: &'static str) -> Result<i64, EdnError> {
    let i = int(node, line, expected)?;
    i64::try_from(i).map_err(|_| field_err(line, ":value", expected, node))
}

/// An id as the checker compares ids: an integer's digits, a string's text, a keyword with
/// its colon, a vector as `[a b]`.
fn id_text(value: &Edn, out: &mut String) -> bool {
    match value {
        Edn::Int(i) => out.push_str(&i.to_string()),
        Edn::Str(s) => out.push_str(s),
        Edn::Keyword(k) => {
            out.push(':');
            out.push_str(k);
        }
        Edn::Symbol(s) => out.push_str(s),
        Edn::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Edn::Vector(items) | Edn::List(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(' ');
                }
                if !id_text(&item.value, out) {
                    return false;
                }
            }
            out.push(']');
        }
        _ => return false,
    }
    true
}

/// An operation being read: which workload's, with the fields every workload has.
enum Op {
    Broadcast(broadcast::Operation),
    Counter(counter::Operation),
    UniqueIds(unique_ids::Operation),
}

/// Turns events, one at a time, into operations.
struct Builder {
    kind: WorkloadKind,
    ops: Vec<Op>,
    /// Each process's open operation (its index in `ops`), and the register reader's rules
    /// of pairing.
    pairing: Pairing<usize>,
}

macro_rules! common {
    ($op:expr, |$o:ident| $body:expr) => {
        match $op {
            Op::Broadcast($o) => $body,
            Op::Counter($o) => $body,
            Op::UniqueIds($o) => $body,
        }
    };
}

impl Builder {
    fn new(kind: WorkloadKind) -> Self {
        Builder { kind, ops: Vec::new(), pairing: Pairing::new() }
    }

    fn invoke(&self, e: &Event, time: u64) -> Result<Op, EdnError> {
        let (client, node, complete, status) = (e.process, e.node.unwrap_or(0), None, Status::Unknown);
        let v = e.value.as_ref();
        Ok(match e.f {
            F::Broadcast => {
                let value = value_u64(v, e.line, "the value sent, a non-negative integer")?;
                Op::Broadcast(broadcast::Operation {
                    client,
                    node,
                    invoke: time,
                    complete,
                    status,
                    kind: broadcast::Kind::Send { value },
                })
            }
            F::Read if self.kind == WorkloadKind::Broadcast => Op::Broadcast(broadcast::Operation {
                client,
                node,
                invoke: time,
                complete,
                status,
                kind: broadcast::Kind::Read { values: BTreeSet::new(), final_read: e.final_read },
            }),
            F::Read => Op::Counter(counter::Operation {
                client,
                node,
                invoke: time,
                complete,
                status,
                kind: counter::Kind::Read { value: 0, final_read: e.final_read },
            }),
            F::Add => {
                let delta = value_i64(v, e.line, "the amount added, an integer")?;
                Op::Counter(counter::Operation {
                    client,
                    node,
                    invoke: time,
                    complete,
                    status,
                    kind: counter::Kind::Add { delta },
                })
            }
            F::Generate => {
                Op::UniqueIds(unique_ids::Operation { client, node, invoke: time, complete, status, id: None })
            }
        })
    }

    fn push(&mut self, e: Event) -> Result<(), EdnError> {
        let time = self.pairing.time(e.line, e.time)?;
        if e.ty == Type::Invoke {
            let op = self.invoke(&e, time)?;
            self.pairing.invoke(e.line, e.process, time, self.ops.len())?;
            self.ops.push(op);
            return Ok(());
        }
        let Some(invoked) = self.pairing.take(e.process) else {
            return match e.ty {
                Type::Info => Ok(()),
                Type::Ok => Err(never_invoked(e.line, e.process, "ok")),
                _ => Err(never_invoked(e.line, e.process, "fail")),
            };
        };
        let index = invoked.op;
        let invoked_f = match &self.ops[index] {
            Op::Broadcast(o) if matches!(o.kind, broadcast::Kind::Send { .. }) => F::Broadcast,
            Op::Counter(o) if matches!(o.kind, counter::Kind::Add { .. }) => F::Add,
            Op::UniqueIds(_) => F::Generate,
            _ => F::Read,
        };
        if invoked_f != e.f {
            return Err(EdnError::Event {
                line: e.line,
                message: format!(
                    "process {} completes :{} but invoked :{} (line {})",
                    e.process,
                    e.f.name(),
                    invoked_f.name(),
                    invoked.line
                ),
            });
        }
        self.pairing.complete(e.line, e.process, time, &invoked)?;
        let status = match e.ty {
            Type::Ok => Status::Ok,
            Type::Fail => Status::Failed,
            _ => Status::Unknown,
        };
        let complete = (!(e.ty == Type::Info && e.open)).then_some(time);
        let (v, line) = (e.value.as_ref(), e.line);
        match &mut self.ops[index] {
            Op::Broadcast(o) => {
                if let broadcast::Kind::Read { values, final_read } = &mut o.kind {
                    *final_read |= e.final_read;
                    if status == Status::Ok {
                        *values = read_values(v, line)?;
                    }
                }
            }
            Op::Counter(o) => {
                if let counter::Kind::Read { value, final_read } = &mut o.kind {
                    *final_read |= e.final_read;
                    if status == Status::Ok {
                        *value = value_i64(v, line, "the counter's value, an integer")?;
                    }
                }
            }
            Op::UniqueIds(o) => {
                if status == Status::Ok {
                    o.id = match v {
                        None | Some(Node { value: Edn::Nil, .. }) => None,
                        Some(n) => {
                            let mut text = String::new();
                            if !id_text(&n.value, &mut text) {
                                return Err(field_err(
                                    line,
                                    ":value",
                                    "an id: an integer, a string, a keyword, or a vector of those",
                                    Some(n),
                                ));
                            }
                            Some(text)
                        }
                    };
                }
            }
        }
        common!(&mut self.ops[index], |o| {
            o.status = status;
            o.complete = complete;
            if let Some(n) = e.node {
                o.node = n;
            }
        });
        Ok(())
    }

    fn finish(self) -> Result<WorkloadHistory, EdnError> {
        let mut history = WorkloadHistory::empty(self.kind);
        for op in self.ops {
            match (&mut history, op) {
                (WorkloadHistory::Broadcast(ops), Op::Broadcast(o)) => ops.push(o),
                (WorkloadHistory::Counter(ops) | WorkloadHistory::PnCounter(ops), Op::Counter(o)) => ops.push(o),
                (WorkloadHistory::UniqueIds(ops), Op::UniqueIds(o)) => ops.push(o),
                // Each `:f` makes operations of its builder's workload only.
                _ => unreachable!("an operation of another workload"),
            }
        }
        Ok(history)
    }
}

fn read_values(v: Option<&Node>, line: usize) -> Result<BTreeSet<u64>, EdnError> {
    const EXPECTED: &str = "the values read, a vector of non-negative integers like [1 2 3]";
    match v {
        Some(Node { value: Edn::Vector(items) | Edn::List(items), .. }) => {
            items.iter().map(|n| as_u64(&n.value).ok_or_else(|| field_err(line, ":value", EXPECTED, Some(n)))).collect()
        }
        other => Err(field_err(line, ":value", EXPECTED, other)),
    }
}

/// Reads a history of `kind` from `input`, streaming (see the module docs for the format).
pub fn read_from(input: impl Read, kind: WorkloadKind) -> Result<WorkloadHistory, ReadError> {
    let mut reader = Reader::new(input);
    let mut builder = Builder::new(kind);
    while let Some(node) = reader.next_form().map_err(EdnError::from)? {
        if let Some(e) = event(node, kind)? {
            builder.push(e)?;
        }
    }
    Ok(builder.finish()?)
}

/// Reads a history of `kind` (see the module docs for the format).
pub fn parse(text: &str, kind: WorkloadKind) -> Result<WorkloadHistory, ReadError> {
    read_from(text.as_bytes(), kind)
}
