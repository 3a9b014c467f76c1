//! Our JSON-lines history format: one operation per line.
//!
//! ```text
//! {"time_unit":"ticks"}
//! {"client":1,"f":"write","value":5,"invoke":20,"complete":31,"outcome":"ok"}
//! {"client":2,"f":"read","value":3,"invoke":40,"complete":44,"outcome":"ok"}
//! {"client":2,"f":"read","value":null,"invoke":45,"complete":47,"outcome":"ok"}
//! {"client":3,"f":"cas","value":[5,6],"invoke":50,"outcome":"unknown","key":7}
//! ```
//!
//! - An optional first line `{"time_unit": "ticks" | "nanoseconds" | "events"}` (default
//!   ticks).
//! - `client` (integer), `f` (`"read"`, `"write"`, `"cas"`), `invoke` (integer), `outcome`
//!   (`"ok"`, `"fail"`, `"unknown"`) are required.
//! - `value`: for a read, the value it returned (`null`: the empty register; required when
//!   the outcome is ok, ignored otherwise); for a write, the value written; for a
//!   compare-and-set, `[expected, new]`.
//! - `complete` (integer) is required for ok and failed operations, optional otherwise.
//! - `key` (integer) is optional; operations with different keys are separate registers.
//! - A client runs one operation at a time, whatever its key: one invoked while another of
//!   its client is open (invoked, not yet completed) is an error naming both lines. An
//!   operation without `complete` (unknown: the client gave up on it) only occupies its
//!   client at its invocation; equal times are fine (a client may complete one operation
//!   and invoke the next in the same tick). The lines may come in any order.
//! - Blank lines are skipped; other keys are ignored, except one a slip away from a key
//!   above (`"vlaue"`, `"Key"`, `"compelte"`), which is refused as a typo; a key given twice
//!   is an error. Values, keys and times are non-negative integers below 2^64. A UTF-8 byte
//!   order mark at the start is skipped.
//! - A line may hold at most [`MAX_LINE_BYTES`] bytes; [`read_from`] streams, holding one
//!   line at a time.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Read;

use serde_json::{Map, Value as Json};

use crate::history::{ClientId, History, OpKind, Operation, Outcome, Tick, TimeUnit};
use crate::unique_keys::JsonError;

/// Why a JSON-lines history could not be read. Lines count from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonlError {
    /// A line is not a JSON object.
    #[error("line {line}: expected a JSON object, {message}")]
    Syntax {
        /// Where.
        line: usize,
        /// What the JSON parser said.
        message: String,
    },
    /// A field is missing or has the wrong type.
    #[error("line {line}: \"{field}\" should be {expected}, found {found}")]
    Field {
        /// Where.
        line: usize,
        /// The field's name.
        field: &'static str,
        /// What it should be.
        expected: &'static str,
        /// What it was.
        found: String,
    },
    /// A line gives a key one slip away from one the format reads (see the module docs).
    #[error(
        "line {line}: the key \"{key}\" is not one this format reads; did you mean \"{meant}\"? \
         (other keys are ignored, but one this close to \"{meant}\" is taken for a typo)"
    )]
    Misspelt {
        /// Where.
        line: usize,
        /// The key as given.
        key: String,
        /// The key it is most likely a misspelling of.
        meant: &'static str,
    },
    /// A line gives a key twice (which one was meant cannot be known).
    #[error("line {line}: the key \"{key}\" is given twice: give each key once")]
    RepeatedKey {
        /// Where.
        line: usize,
        /// The key.
        key: String,
    },
    /// A client invokes an operation while its previous one is still open: a client runs
    /// one operation at a time (an operation's interval is from `invoke` to `complete`, or
    /// only its invocation when it has no `complete`).
    #[error(
        "line {line}: client {client} invokes an operation at {invoked} while its operation of line {open_line} \
         ({open}) is still open; a client runs one operation at a time: fix the times, or give one of the two \
         operations another client id"
    )]
    Overlap {
        /// The line of the operation invoked while the other was open.
        line: usize,
        /// The client.
        client: ClientId,
        /// When it invoked it, in words ("tick 20").
        invoked: String,
        /// The line of the operation still open then.
        open_line: usize,
        /// That operation's interval, in words ("ticks 10-30").
        open: String,
    },
    /// A line longer than [`MAX_LINE_BYTES`].
    #[error("line {line}: longer than {limit} bytes; an operation fits in a few hundred")]
    TooLong {
        /// Where.
        line: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A line that is not UTF-8.
    #[error("line {line}: not UTF-8 text")]
    NotUtf8 {
        /// Where.
        line: usize,
    },
    /// The input could not be read.
    #[error("line {line}: cannot read the input: {message}")]
    Io {
        /// Where reading stopped.
        line: usize,
        /// What the system said.
        message: String,
    },
}

/// The keys this format reads.
const KEYS: [&str; 8] = ["client", "f", "value", "invoke", "complete", "outcome", "key", "time_unit"];

/// The longest line accepted, in bytes.
pub const MAX_LINE_BYTES: usize = 1 << 20;

fn found(v: Option<&Json>) -> String {
    match v {
        None => "nothing".into(),
        Some(v) => {
            let s = v.to_string();
            if s.len() > 40 { format!("{}...", &s[..s.floor_char_boundary(40)]) } else { s }
        }
    }
}

fn u64_field(obj: &Map<String, Json>, line: usize, field: &'static str) -> Result<Option<u64>, JsonlError> {
    match obj.get(field) {
        None | Some(Json::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| JsonlError::Field {
            line,
            field,
            expected: "a non-negative integer",
            found: found(Some(v)),
        }),
    }
}

fn required_u64(obj: &Map<String, Json>, line: usize, field: &'static str) -> Result<u64, JsonlError> {
    u64_field(obj, line, field)?.ok_or_else(|| JsonlError::Field {
        line,
        field,
        expected: "a non-negative integer",
        found: found(obj.get(field)),
    })
}

fn operation(obj: &Map<String, Json>, line: usize) -> Result<Operation, JsonlError> {
    let client = required_u64(obj, line, "client")?;
    let invoke = required_u64(obj, line, "invoke")?;
    let complete = u64_field(obj, line, "complete")?;
    let key = u64_field(obj, line, "key")?;
    let outcome_name = obj.get("outcome").and_then(Json::as_str);
    let f = obj.get("f").and_then(Json::as_str);
    let value = obj.get("value");
    let bad_value = |expected| JsonlError::Field { line, field: "value", expected, found: found(value) };
    let kind = match f {
        Some("read") => OpKind::Read,
        Some("write") => OpKind::Write(value.and_then(Json::as_u64).ok_or_else(|| bad_value("the value written"))?),
        Some("cas") => match value.and_then(Json::as_array).map(Vec::as_slice) {
            Some([a, b]) => match (a.as_u64(), b.as_u64()) {
                (Some(expected), Some(new)) => OpKind::Cas { expected, new },
                _ => return Err(bad_value("[expected, new] of non-negative integers")),
            },
            _ => return Err(bad_value("[expected, new] of non-negative integers")),
        },
        _ => {
            return Err(JsonlError::Field {
                line,
                field: "f",
                expected: "\"read\", \"write\" or \"cas\"",
                found: found(obj.get("f")),
            });
        }
    };
    let outcome = match outcome_name {
        Some("ok") => Outcome::Ok {
            read: match (kind, value) {
                (OpKind::Read, None) => {
                    return Err(bad_value("the value read: an integer, or null for the empty register"));
                }
                (OpKind::Read, Some(Json::Null)) => None,
                (OpKind::Read, Some(v)) => {
                    Some(v.as_u64().ok_or_else(|| bad_value("the value read: an integer or null"))?)
                }
                _ => None,
            },
        },
        Some("fail") => Outcome::Failed,
        Some("unknown") => Outcome::Unknown,
        _ => {
            return Err(JsonlError::Field {
                line,
                field: "outcome",
                expected: "\"ok\", \"fail\" or \"unknown\"",
                found: found(obj.get("outcome")),
            });
        }
    };
    if complete.is_none() && !matches!(outcome, Outcome::Unknown) {
        return Err(JsonlError::Field {
            line,
            field: "complete",
            expected: "the completion time (required unless the outcome is \"unknown\")",
            found: "nothing".into(),
        });
    }
    if let Some(c) = complete
        && c < invoke
    {
        return Err(JsonlError::Field {
            line,
            field: "complete",
            expected: "a time no earlier than \"invoke\"",
            found: format!("{c}, before \"invoke\" {invoke}"),
        });
    }
    Ok(Operation { client, key, kind, invoke, complete, outcome })
}

/// Reads a JSON-lines history.
pub fn parse(text: &str) -> Result<History, JsonlError> {
    read_from(text.as_bytes())
}

/// What can stop [`for_each_line`] before a line is handed over.
pub(crate) enum LineError {
    /// The input could not be read (the reader's own message).
    Io(String),
    /// A line longer than [`MAX_LINE_BYTES`].
    TooLong,
    /// A line that is not UTF-8.
    NotUtf8,
}

/// Calls `each` with every line of `input` (numbered from 1, a UTF-8 byte order mark at the
/// start and a `\r` at the end removed), streaming: at most [`MAX_LINE_BYTES`] of one line is
/// in memory. What stops a line is turned into the caller's error by `error`.
pub(crate) fn for_each_line<E>(
    mut input: impl Read,
    error: impl Fn(usize, LineError) -> E,
    mut each: impl FnMut(usize, &str) -> Result<(), E>,
) -> Result<(), E> {
    let mut buf = vec![0u8; 64 * 1024];
    let (mut pos, mut len) = (0usize, 0usize);
    let mut raw: Vec<u8> = Vec::new();
    let mut line = 0usize;
    let mut eof = false;
    while !eof {
        // One line into `raw`, at most MAX_LINE_BYTES of it.
        raw.clear();
        line += 1;
        loop {
            if pos == len {
                len = loop {
                    match input.read(&mut buf) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(error(line, LineError::Io(e.to_string()))),
                    }
                };
                pos = 0;
                if len == 0 {
                    eof = true;
                    break;
                }
            }
            let chunk = &buf[pos..len];
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            if raw.len() + take > MAX_LINE_BYTES {
                return Err(error(line, LineError::TooLong));
            }
            raw.extend_from_slice(&chunk[..take]);
            pos += take + usize::from(done);
            if done {
                break;
            }
        }
        let mut bytes = raw.as_slice();
        if line == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| error(line, LineError::NotUtf8))?;
        each(line, text.trim_end_matches('\r'))?;
    }
    Ok(())
}

/// Reads a JSON-lines history from `input`, streaming: one line at a time is in memory.
///
/// Every two operations of a client are compared (see [`JsonlError::Overlap`]), whatever the
/// order of the lines.
pub fn read_from(input: impl Read) -> Result<History, JsonlError> {
    let mut ops = Vec::new();
    let mut lines = Vec::new();
    let (time_unit, in_order) = read_ops(input, |_, line, op| {
        ops.push(op);
        lines.push(line);
    })?;
    if !in_order && let Some(e) = first_overlap(&ops, &lines, time_unit) {
        return Err(e);
    }
    Ok(History { ops, time_unit })
}

/// Reads a JSON-lines history from `input` and hands each operation to `each` with its
/// index (as in [`History::ops`]) instead of keeping it: memory is one line and one
/// operation per client. Returns the history's time unit. On an error, `each` has seen the
/// operations before it.
///
/// Each operation is compared with the earlier ones of its client through the one of them
/// that completed last, which finds every overlap when each client's lines come in
/// invocation order (as a client writes them); lines of a client out of that order may hide
/// one, which [`read_from`] finds (and `stream::StreamChecker` then reports the input as
/// disordered, so `dgame check` reads it whole).
pub fn for_each_op(input: impl Read, mut each: impl FnMut(usize, Operation)) -> Result<TimeUnit, JsonlError> {
    read_ops(input, |n, _, op| each(n, op)).map(|(unit, _)| unit)
}

/// A client's operation as far as overlaps go: when it began and ended, and its line.
#[derive(Clone, Copy)]
struct Span {
    invoke: Tick,
    /// The completion, or the invocation for an operation that never completed (the client
    /// gave up on it at some moment it did not record, which the next invocation bounds).
    end: Tick,
    line: usize,
}

impl Span {
    fn of(op: &Operation, line: usize) -> Self {
        Span { invoke: op.invoke, end: op.complete.unwrap_or(op.invoke).max(op.invoke), line }
    }

    /// Whether one of the two was invoked while the other was open: no order of the two has
    /// the first end no later than the second begins.
    fn overlaps(&self, other: &Span) -> bool {
        self.invoke < other.end && other.invoke < self.end
    }
}

/// The error for two overlapping operations of `client`: the one invoked later (at equal
/// invocations, `b`) was invoked while the other was open.
fn overlap(client: ClientId, a: Span, b: Span, unit: TimeUnit) -> JsonlError {
    let (open, new) = if b.invoke >= a.invoke { (a, b) } else { (b, a) };
    JsonlError::Overlap {
        line: new.line,
        client,
        invoked: unit.point(new.invoke),
        open_line: open.line,
        open: unit.span(open.invoke, Some(open.end)),
    }
}

/// What [`read_ops`] keeps of a client: the operation of its that ended last, and the
/// latest invocation.
struct ClientSpans {
    last_end: Span,
    latest_invoke: Tick,
}

/// The operations of `input` into `each` (index, line, operation); returns the time unit
/// and whether every client's lines came in invocation order (when they did, every overlap
/// was found).
fn read_ops(input: impl Read, mut each: impl FnMut(usize, usize, Operation)) -> Result<(TimeUnit, bool), JsonlError> {
    let mut time_unit = TimeUnit::Ticks;
    let mut first = true;
    let mut n = 0usize;
    let mut clients: HashMap<ClientId, ClientSpans> = HashMap::new();
    let mut in_order = true;
    let error = |line, e| match e {
        LineError::Io(message) => JsonlError::Io { line, message },
        LineError::TooLong => JsonlError::TooLong { line, limit: MAX_LINE_BYTES },
        LineError::NotUtf8 => JsonlError::NotUtf8 { line },
    };
    for_each_line(input, error, |line, text| {
        if let Some(op) = parse_line(text, line, &mut first, &mut time_unit)? {
            let span = Span::of(&op, line);
            match clients.get_mut(&op.client) {
                None => {
                    clients.insert(op.client, ClientSpans { last_end: span, latest_invoke: span.invoke });
                }
                Some(c) => {
                    // If `span` overlaps an earlier operation of its client and the lines
                    // are in invocation order, it overlaps the one that ended last (or
                    // that one overlaps another earlier one, found before).
                    if c.last_end.overlaps(&span) {
                        return Err(overlap(op.client, c.last_end, span, time_unit));
                    }
                    in_order &= span.invoke >= c.latest_invoke;
                    c.latest_invoke = c.latest_invoke.max(span.invoke);
                    if span.end > c.last_end.end {
                        c.last_end = span;
                    }
                }
            }
            each(n, line, op);
            n += 1;
        }
        Ok(())
    })?;
    Ok((time_unit, in_order))
}

/// The first overlap of two operations of a client in `ops` (on `lines`), in any order: the
/// one whose later line comes first. Sorted by invocation (and end), a client's operations
/// overlap somewhere iff two neighbours do.
fn first_overlap(ops: &[Operation], lines: &[usize], unit: TimeUnit) -> Option<JsonlError> {
    let mut order: Vec<usize> = (0..ops.len()).collect();
    let span = |i: usize| Span::of(&ops[i], lines[i]);
    order.sort_by_key(|&i| (ops[i].client, span(i).invoke, span(i).end, lines[i]));
    order
        .windows(2)
        .filter(|w| ops[w[0]].client == ops[w[1]].client && span(w[0]).overlaps(&span(w[1])))
        .min_by_key(|w| lines[w[0]].max(lines[w[1]]))
        .map(|w| overlap(ops[w[0]].client, span(w[0]), span(w[1]), unit))
}

/// One line: an operation, the header (which sets the time unit), or nothing (blank).
fn parse_line(
    raw: &str,
    line: usize,
    first: &mut bool,
    time_unit: &mut TimeUnit,
) -> Result<Option<Operation>, JsonlError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let obj = match crate::unique_keys::parse(raw) {
        Ok(Json::Object(obj)) => obj,
        Ok(other) => {
            return Err(JsonlError::Syntax { line, message: format!("found {}", found(Some(&other))) });
        }
        Err(JsonError::Repeated(key)) => return Err(JsonlError::RepeatedKey { line, key }),
        Err(JsonError::Syntax(e)) => {
            return Err(JsonlError::Syntax { line, message: format!("but it does not parse: {e}") });
        }
    };
    if let Some((key, meant)) = obj.keys().find_map(|k| crate::typo::misspelt(k, &KEYS).map(|m| (k, m))) {
        return Err(JsonlError::Misspelt { line, key: key.clone(), meant });
    }
    let was_first = std::mem::replace(first, false);
    if was_first && obj.contains_key("time_unit") && !obj.contains_key("f") {
        *time_unit = match obj.get("time_unit").and_then(Json::as_str).and_then(TimeUnit::from_name) {
            Some(u) => u,
            None => {
                return Err(JsonlError::Field {
                    line,
                    field: "time_unit",
                    expected: "\"ticks\", \"nanoseconds\" or \"events\"",
                    found: found(obj.get("time_unit")),
                });
            }
        };
        return Ok(None);
    }
    if obj.contains_key("time_unit") && !obj.contains_key("f") {
        return Err(JsonlError::Field {
            line,
            field: "time_unit",
            expected: "on the first line only (the header)",
            found: "a header after it".to_owned(),
        });
    }
    operation(&obj, line).map(Some)
}

/// Writes a history in the JSON-lines format, with a `time_unit` header line.
#[must_use]
pub fn write(history: &History) -> String {
    let mut out = format!("{{\"time_unit\":\"{}\"}}\n", history.time_unit.name());
    for op in &history.ops {
        let (f, value) = match (op.kind, op.outcome) {
            (OpKind::Read, Outcome::Ok { read }) => ("read", read.map_or("null".to_string(), |v| v.to_string())),
            (OpKind::Read, _) => ("read", "null".to_string()),
            (OpKind::Write(v), _) => ("write", v.to_string()),
            (OpKind::Cas { expected, new }, _) => ("cas", format!("[{expected},{new}]")),
        };
        let outcome = match op.outcome {
            Outcome::Ok { .. } => "ok",
            Outcome::Failed => "fail",
            Outcome::Unknown => "unknown",
        };
        let _ = write!(out, "{{\"client\":{},\"f\":\"{f}\",\"value\":{value},\"invoke\":{}", op.client, op.invoke);
        if let Some(c) = op.complete {
            let _ = write!(out, ",\"complete\":{c}");
        }
        let _ = write!(out, ",\"outcome\":\"{outcome}\"");
        if let Some(k) = op.key {
            let _ = write!(out, ",\"key\":{k}");
        }
        out.push_str("}\n");
    }
    out
}
