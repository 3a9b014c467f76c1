//! Jepsen's EDN histories: read with [`parse`](fn@parse) or [`read_from`] (streaming), write
//! with [`write`](fn@write).
//!
//! Accepted: one list or vector of event maps, or event maps one after another (typically
//! one per line), or several such vectors; `;` comments; commas as whitespace; a UTF-8 byte
//! order mark at the start is skipped. Each event has `:process` (an integer; events of
//! other processes, like `:nemesis`, are skipped), `:type` (`:invoke`, `:ok`, `:fail`,
//! `:info`), `:f` (`:read`, `:write`, `:cas`), `:value` (a read's result on `:ok`, a write's
//! value, a compare-and-set's `[expected new]`; multi-key histories wrap these as
//! `[key value]`) and optionally `:time`. Other keys are ignored, except one a slip away
//! from these (`:vlaue`, `:Type`), refused as a typo; one of these given twice in an event
//! is an error. Every event has `:time`, or none does (some but not all is an error
//! naming the first event that breaks the first one's pattern). Without `:time`, times are
//! the events' positions (0, 1, 2, ...) and the history's unit is [`TimeUnit::Events`];
//! with it nanoseconds, unless a `; time-unit: ticks` comment says otherwise (the writer
//! emits one).
//!
//! An invocation becomes an operation completed by its process's next `:ok`, `:fail` or
//! `:info`; an invocation never completed is unknown. A process runs one operation at a
//! time: an invocation while the process's previous operation is open (not completed, or,
//! with `:time`, completed at a later time) is an error naming both lines. A completion
//! earlier than its invocation is an error (as in JSON lines). An `:info` event carrying
//! `:dgame/open true` (our writer's mark for an operation that never completed) leaves the
//! operation without a completion time.
//!
//! The reader streams: it holds one event's syntax at a time (at most
//! [`MAX_FORM_BYTES`] bytes), so memory follows the number of operations, not the size of
//! the text.

pub(crate) mod pairing;
pub(crate) mod reader;

use std::fmt::Write as _;
use std::io::Read;

use crate::history::{History, Key, OpKind, Operation, Outcome, TimeUnit, Value};
use pairing::Pairing;
use reader::{Edn, Node, ReadError, Reader, describe};

/// The longest single form (one event map) accepted, in bytes.
pub const MAX_FORM_BYTES: usize = reader::MAX_FORM_BYTES;

/// Why an EDN history could not be read. Lines count from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EdnError {
    /// The text is not well-formed EDN.
    #[error("line {line}: expected {expected}, found {found}")]
    Syntax {
        /// Where.
        line: usize,
        /// What would have been valid there.
        expected: String,
        /// What was there (at most a short, escaped excerpt).
        found: String,
    },
    /// An event map lacks a key or has a value of the wrong shape.
    #[error("line {line}: {field} should be {expected}, found {found}")]
    Field {
        /// Where the event starts.
        line: usize,
        /// The key, e.g. `:type`.
        field: &'static str,
        /// What it should be.
        expected: &'static str,
        /// What it was.
        found: String,
    },
    /// An event map gives a key it is read by twice (which one was meant cannot be known).
    #[error("line {line}: the event gives :{key} twice: give each key once")]
    RepeatedKey {
        /// The line of the second one.
        line: usize,
        /// The key, without its colon.
        key: &'static str,
    },
    /// An event map gives a key one slip away from one it is read by (`:vlaue`, `:Type`):
    /// taken for a typo, since ignoring it would change the verdict.
    #[error(
        "line {line}: the event gives :{key}, not a key this format reads; did you mean :{meant}? \
         (other keys are ignored, but one this close to :{meant} is taken for a typo)"
    )]
    Misspelt {
        /// Where.
        line: usize,
        /// The key as given, without its colon.
        key: String,
        /// The key it is most likely a misspelling of.
        meant: &'static str,
    },
    /// A `; time-unit:` comment names a unit we do not know.
    #[error(
        "the comment \"; time-unit: {name}\" names no unit this checker knows: write ticks, nanoseconds or \
         events, or remove the comment (times are then nanoseconds, Jepsen's unit)"
    )]
    UnknownTimeUnit {
        /// The name given (at most 40 characters of it).
        name: String,
    },
    /// Events that do not pair up into operations.
    #[error("line {line}: {message}")]
    Event {
        /// Where the event starts.
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A form longer than [`MAX_FORM_BYTES`].
    #[error("line {line}: a form longer than {limit} bytes; events are small maps, so this is not a history")]
    TooLong {
        /// Where reading stopped.
        line: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A string, keyword, symbol or other token holds bytes that are not UTF-8 (EDN is UTF-8
    /// text).
    #[error(
        "line {line}, byte {offset}: not UTF-8 text inside a {what}; EDN is UTF-8: convert the file (iconv -t UTF-8) \
         or fix the bytes there"
    )]
    NotUtf8 {
        /// The line of the first bad byte.
        line: usize,
        /// Its offset from the start of the input, counting from 0.
        offset: u64,
        /// `string`, or `keyword, symbol or number`.
        what: &'static str,
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

impl From<ReadError> for EdnError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Syntax { line, expected, found } => EdnError::Syntax { line, expected, found },
            ReadError::TooLong { line, limit } => EdnError::TooLong { line, limit },
            ReadError::Io { line, message } => EdnError::Io { line, message },
            ReadError::NotUtf8 { line, offset, what } => EdnError::NotUtf8 { line, offset, what },
        }
    }
}

pub(crate) fn get<'a>(map: &'a [(Node, Node)], key: &str) -> Option<&'a Node> {
    map.iter().find(|(k, _)| matches!(&k.value, Edn::Keyword(name) if &**name == key)).map(|(_, v)| v)
}

/// The keys the event readers read: [`once`] finds them all in one pass.
const KNOWN_KEYS: [&str; 8] = ["process", "type", "f", "value", "time", "dgame/open", "node", "final?"];
/// `:process`, as an index of [`KNOWN_KEYS`].
pub(crate) const PROCESS: usize = 0;
/// `:type`.
pub(crate) const TYPE: usize = 1;
/// `:f`.
pub(crate) const F_KEY: usize = 2;
/// `:value`.
pub(crate) const VALUE: usize = 3;
/// `:time`.
pub(crate) const TIME: usize = 4;
/// `:dgame/open`.
pub(crate) const OPEN: usize = 5;
/// `:node`.
pub(crate) const NODE: usize = 6;
/// `:final?`.
pub(crate) const FINAL: usize = 7;

/// The index of `name` in [`KNOWN_KEYS`]. A `match`, since it runs for every key of every
/// event.
fn key_index(name: &str) -> Option<usize> {
    Some(match name {
        "process" => PROCESS,
        "type" => TYPE,
        "f" => F_KEY,
        "value" => VALUE,
        "time" => TIME,
        "dgame/open" => OPEN,
        "node" => NODE,
        "final?" => FINAL,
        _ => return None,
    })
}

/// The keys of a register's event (the indices below it in [`KNOWN_KEYS`]).
pub(crate) const REGISTER_KEYS: usize = 6;
/// The keys of a workload's event.
pub(crate) const WORKLOAD_KEYS: usize = 8;

/// Where each known key is in an event map.
pub(crate) struct Keys([usize; KNOWN_KEYS.len()]);

impl Keys {
    /// The value of `key` (an index of [`KNOWN_KEYS`]) in `map`, the map [`once`] read.
    pub(crate) fn get<'a>(&self, map: &'a [(Node, Node)], key: usize) -> Option<&'a Node> {
        map.get(self.0[key]).map(|(_, v)| v)
    }

    /// The position of `key` in the map.
    pub(crate) fn position(&self, key: usize) -> Option<usize> {
        (self.0[key] != usize::MAX).then_some(self.0[key])
    }
}

/// Finds the first `known` keys of [`KNOWN_KEYS`] in an event map in one pass, refusing one
/// given twice (a reader would silently take one of them) or one a slip away from one of
/// them (see [`crate::typo`]). Other keys are ignored, repeated or not.
pub(crate) fn once(map: &[(Node, Node)], known: usize) -> Result<Keys, EdnError> {
    let mut at = [usize::MAX; KNOWN_KEYS.len()];
    for (i, (k, _)) in map.iter().enumerate() {
        let Edn::Keyword(name) = &k.value else { continue };
        match key_index(name) {
            Some(key) if key < known => {
                if at[key] != usize::MAX {
                    return Err(EdnError::RepeatedKey { line: k.line, key: KNOWN_KEYS[key] });
                }
                at[key] = i;
            }
            Some(_) => {}
            None => {
                if let Some(meant) = crate::typo::misspelt(name, &KNOWN_KEYS[..known]) {
                    return Err(EdnError::Misspelt { line: k.line, key: name.to_string(), meant });
                }
            }
        }
    }
    Ok(Keys(at))
}

pub(crate) fn field_err(line: usize, field: &'static str, expected: &'static str, found: Option<&Node>) -> EdnError {
    EdnError::Field { line, field, expected, found: found.map_or("nothing".to_string(), |n| describe(&n.value)) }
}

pub(crate) fn as_u64(value: &Edn) -> Option<u64> {
    match *value {
        Edn::Int(i) if (0..=i128::from(u64::MAX)).contains(&i) => Some(i as u64),
        _ => None,
    }
}

fn as_value(node: &Node, line: usize, field: &'static str) -> Result<Value, EdnError> {
    as_u64(&node.value).ok_or_else(|| field_err(line, field, "a non-negative integer", Some(node)))
}

fn as_opt_value(node: &Node, line: usize, field: &'static str) -> Result<Option<Value>, EdnError> {
    match node.value {
        Edn::Nil => Ok(None),
        _ => as_value(node, line, field).map(Some),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invoke,
    Ok,
    Fail,
    Info,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum F {
    Read,
    Write,
    Cas,
}

impl F {
    fn name(self) -> &'static str {
        match self {
            F::Read => "read",
            F::Write => "write",
            F::Cas => "cas",
        }
    }
}

struct Event {
    line: usize,
    process: u64,
    kind: Kind,
    f: F,
    key: Option<Key>,
    value: Option<Node>,
    time: Option<u64>,
    open: bool,
}

/// Splits a multi-key `[key value]` from a value, when it is one.
fn split_key(node: Node, f: F) -> (Option<Key>, Node) {
    if let Edn::Vector(items) | Edn::List(items) = &node.value
        && items.len() == 2
        && let Some(k) = as_u64(&items[0].value)
    {
        // A compare-and-set's own value is `[expected new]`: a key only when the second
        // element is itself a pair.
        let second_is_pair = matches!(&items[1].value, Edn::Vector(v) | Edn::List(v) if v.len() == 2);
        if f != F::Cas || second_is_pair {
            let (Edn::Vector(mut items) | Edn::List(mut items)) = node.value else { unreachable!() };
            return (Some(k), items.swap_remove(1));
        }
    }
    (None, node)
}

fn event(node: Node) -> Result<Option<Event>, EdnError> {
    let line = node.line;
    let Edn::Map(mut map) = node.value else {
        return Err(EdnError::Syntax {
            line,
            expected: "an event map like {:process 0, :type :invoke, :f :read, :value nil}".into(),
            found: describe(&node.value),
        });
    };
    let keys = once(&map, REGISTER_KEYS)?;
    let process = match keys.get(&map, PROCESS) {
        Some(Node { value: Edn::Keyword(_), .. }) => return Ok(None), // nemesis and other non-clients
        Some(n) if as_u64(&n.value).is_some() => as_u64(&n.value).unwrap_or_default(),
        other => return Err(field_err(line, ":process", "a non-negative integer", other)),
    };
    let kind = match keys.get(&map, TYPE) {
        Some(Node { value: Edn::Keyword(k), .. }) if matches!(&**k, "invoke" | "ok" | "fail" | "info") => match &**k {
            "invoke" => Kind::Invoke,
            "ok" => Kind::Ok,
            "fail" => Kind::Fail,
            _ => Kind::Info,
        },
        other => return Err(field_err(line, ":type", "one of :invoke, :ok, :fail, :info", other)),
    };
    let f = match keys.get(&map, F_KEY) {
        Some(Node { value: Edn::Keyword(k), .. }) if matches!(&**k, "read" | "write" | "cas") => match &**k {
            "read" => F::Read,
            "write" => F::Write,
            _ => F::Cas,
        },
        other => return Err(field_err(line, ":f", "one of :read, :write, :cas", other)),
    };
    let time = match keys.get(&map, TIME) {
        None => None,
        Some(n) if as_u64(&n.value).is_some() => as_u64(&n.value),
        other => return Err(field_err(line, ":time", "a non-negative integer", other)),
    };
    let open = matches!(keys.get(&map, OPEN), Some(Node { value: Edn::Bool(true), .. }));
    let value = keys.position(VALUE).map(|i| map.swap_remove(i).1);
    let (key, value) = match value {
        None => (None, None),
        Some(v) => {
            let (k, v) = split_key(v, f);
            (k, Some(v))
        }
    };
    Ok(Some(Event { line, process, kind, f, key, value, time, open }))
}

/// Turns events, one at a time, into operations.
struct Builder {
    ops: Vec<Operation>,
    /// Each process's open operation (its index in `ops`), and the rules of pairing.
    pairing: Pairing<usize>,
}

impl Builder {
    fn push(&mut self, e: Event) -> Result<(), EdnError> {
        let time = self.pairing.time(e.line, e.time)?;
        if e.kind == Kind::Invoke {
            let op = invoked(&e, time)?;
            self.pairing.invoke(e.line, e.process, time, self.ops.len())?;
            self.ops.push(op);
            return Ok(());
        }
        let Some(invoked) = self.pairing.take(e.process) else {
            return never_invoked(&e);
        };
        let op = &mut self.ops[invoked.op];
        same_f(op, &e)?;
        self.pairing.complete(e.line, e.process, time, &invoked)?;
        op.complete = (!(e.kind == Kind::Info && e.open)).then_some(time);
        op.outcome = completed_outcome(op, &e)?;
        Ok(())
    }

    fn finish(self, comments: &[String]) -> Result<History, EdnError> {
        // Without :time, the times taken were the events' positions.
        let time_unit = if self.pairing.timed() { stated_unit(comments)? } else { TimeUnit::Events };
        Ok(History { ops: self.ops, time_unit })
    }
}

/// The unit of a timed history: the last `; time-unit: NAME` comment's, or nanoseconds
/// (Jepsen's) without one. A name we do not know is an error: its times would be read in
/// the wrong unit.
fn stated_unit(comments: &[String]) -> Result<TimeUnit, EdnError> {
    let Some(name) =
        comments.iter().rev().find_map(|c| c.trim_start_matches(';').trim().strip_prefix("time-unit:").map(str::trim))
    else {
        return Ok(TimeUnit::Nanoseconds);
    };
    TimeUnit::from_name(name).ok_or_else(|| EdnError::UnknownTimeUnit { name: name.chars().take(40).collect() })
}

/// The operation an `:invoke` event starts at `time`: open, until its completion is read.
fn invoked(e: &Event, time: u64) -> Result<Operation, EdnError> {
    Ok(Operation {
        client: e.process,
        key: e.key,
        kind: invoked_kind(e)?,
        invoke: time,
        complete: None,
        outcome: Outcome::Unknown,
    })
}

fn invoked_kind(e: &Event) -> Result<OpKind, EdnError> {
    Ok(match e.f {
        F::Read => OpKind::Read,
        F::Write => {
            let v = e.value.as_ref().ok_or_else(|| field_err(e.line, ":value", "the value written", None))?;
            OpKind::Write(as_value(v, e.line, ":value")?)
        }
        F::Cas => match e.value.as_ref().map(|v| &v.value) {
            Some(Edn::Vector(items) | Edn::List(items)) if items.len() == 2 => OpKind::Cas {
                expected: as_value(&items[0], e.line, ":value")?,
                new: as_value(&items[1], e.line, ":value")?,
            },
            _ => return Err(field_err(e.line, ":value", "[expected new] for a :cas", e.value.as_ref())),
        },
    })
}

/// A completion of a process with nothing pending: skipped if an `:info`, else an error.
fn never_invoked(e: &Event) -> Result<(), EdnError> {
    match e.kind {
        Kind::Info => Ok(()),
        Kind::Ok => Err(pairing::never_invoked(e.line, e.process, "ok")),
        _ => Err(pairing::never_invoked(e.line, e.process, "fail")),
    }
}

/// A completion must have its invocation's `:f`.
fn same_f(op: &Operation, e: &Event) -> Result<(), EdnError> {
    let f_matches =
        matches!((op.kind, e.f), (OpKind::Read, F::Read) | (OpKind::Write(_), F::Write) | (OpKind::Cas { .. }, F::Cas));
    if f_matches {
        return Ok(());
    }
    Err(EdnError::Event {
        line: e.line,
        message: format!("process {} completes :{} but invoked a different :f", e.process, e.f.name()),
    })
}

/// How the operation `op` ended, from its completion `e`.
fn completed_outcome(op: &Operation, e: &Event) -> Result<Outcome, EdnError> {
    Ok(match e.kind {
        Kind::Ok => Outcome::Ok {
            read: match (op.kind, &e.value) {
                (OpKind::Read, Some(v)) => as_opt_value(v, e.line, ":value")?,
                (OpKind::Read, None) => {
                    return Err(field_err(e.line, ":value", "the value read, or nil for the empty register", None));
                }
                _ => None,
            },
        },
        Kind::Fail => Outcome::Failed,
        _ => Outcome::Unknown,
    })
}

/// Reads a Jepsen EDN history from `input` and hands each operation to `each` as soon as
/// it is complete (at its completion, or at the end) instead of keeping it: memory is one
/// event and each process's pending operation. `each` gets the operation's index (as in
/// [`History::ops`]: invocation order), the operation, and a *watermark*: no operation handed
/// over later was invoked before it (true of files whose events are in time order; see
/// `stream::StreamChecker::advance`).
///
/// Returns the history's time unit. It is always `Some`: `None` was for histories that had
/// to be read whole (`:time` on some events only, a completion before its invocation), which
/// are now errors here as in [`read_from`]. On an error, `each` has seen some of the
/// operations before it.
pub fn for_each_op(
    input: impl Read,
    mut each: impl FnMut(usize, Operation, u64),
) -> Result<Option<TimeUnit>, EdnError> {
    let mut reader = Reader::new(input);
    // Each process's open operation: (index, the operation so far).
    let mut pairing: Pairing<(usize, Operation)> = Pairing::new();
    // (invocation, index) of the pending operations.
    let mut open: std::collections::BTreeSet<(u64, usize)> = std::collections::BTreeSet::new();
    let mut next = 0usize;
    while let Some(node) = reader.next_form()? {
        let Some(e) = event(node)? else { continue };
        let time = pairing.time(e.line, e.time)?;
        if e.kind == Kind::Invoke {
            let op = invoked(&e, time)?;
            pairing.invoke(e.line, e.process, time, (next, op))?;
            open.insert((time, next));
            next += 1;
            continue;
        }
        let Some(invoked) = pairing.take(e.process) else {
            never_invoked(&e)?;
            continue;
        };
        same_f(&invoked.op.1, &e)?;
        pairing.complete(e.line, e.process, time, &invoked)?;
        let (index, mut op) = invoked.op;
        open.remove(&(op.invoke, index));
        op.complete = (!(e.kind == Kind::Info && e.open)).then_some(time);
        op.outcome = completed_outcome(&op, &e)?;
        let watermark = open.first().map_or(time, |&(t, _)| t.min(time));
        each(index, op, watermark);
    }
    let timed = pairing.timed();
    let mut left: Vec<(usize, Operation)> = pairing.into_open().map(|invoked| invoked.op).collect();
    left.sort_by_key(|(i, _)| *i);
    for (index, op) in left {
        each(index, op, op.invoke);
    }
    let unit = if timed { stated_unit(reader.comments())? } else { TimeUnit::Events };
    Ok(Some(unit))
}

/// Reads a Jepsen EDN history from `input`, streaming: one event's syntax at a time is in
/// memory (see the module docs for the format).
pub fn read_from(input: impl Read) -> Result<History, EdnError> {
    let mut reader = Reader::new(input);
    let mut builder = Builder { ops: Vec::new(), pairing: Pairing::new() };
    while let Some(node) = reader.next_form()? {
        if let Some(e) = event(node)? {
            builder.push(e)?;
        }
    }
    builder.finish(reader.comments())
}

/// Reads a Jepsen EDN history.
pub fn parse(text: &str) -> Result<History, EdnError> {
    read_from(text.as_bytes())
}

fn edn_value(key: Option<Key>, inner: String) -> String {
    match key {
        Some(k) => format!("[{k} {inner}]"),
        None => inner,
    }
}

/// Writes a history as Jepsen EDN: a vector with one event map per line, every event with
/// `:time`, preceded by a `; time-unit:` comment that [`parse`](fn@parse) reads back.
///
/// Every operation gets a completion, so that each process's invocations and completions
/// alternate as Jepsen's checkers expect: `:ok`, `:fail`, or `:info` for an unknown
/// outcome. An operation that never completed gets an `:info` with `:dgame/open true` just
/// before its client's next invocation (or at the history's last time), which our reader
/// reads back as "never completed"; other tools read it as an ordinary `:info`. Clients keep
/// their ids (Jepsen would give a crashed process a new one; pairing does not need it).
#[must_use]
pub fn write(history: &History) -> String {
    let ops = &history.ops;
    let events = event_order(ops.iter().map(|op| (op.client, op.invoke, op.complete)));
    let mut out = format!("; time-unit: {}\n[", history.time_unit.name());
    for (n, &(time, completion, i)) in events.iter().enumerate() {
        let op = &ops[i];
        let (f, invoke_value) = match op.kind {
            OpKind::Read => ("read", "nil".to_string()),
            OpKind::Write(v) => ("write", v.to_string()),
            OpKind::Cas { expected, new } => ("cas", format!("[{expected} {new}]")),
        };
        let (kind, value) = if !completion {
            ("invoke", invoke_value)
        } else {
            match op.outcome {
                Outcome::Ok { read } if op.kind == OpKind::Read => {
                    ("ok", read.map_or("nil".to_string(), |v| v.to_string()))
                }
                Outcome::Ok { .. } => ("ok", invoke_value),
                Outcome::Failed => ("fail", invoke_value),
                Outcome::Unknown => ("info", invoke_value),
            }
        };
        if n > 0 {
            out.push_str("\n ");
        }
        let _ = write!(
            out,
            "{{:process {}, :type :{kind}, :f :{f}, :value {}, :time {time}",
            op.client,
            edn_value(op.key, value)
        );
        if completion && op.complete.is_none() {
            out.push_str(", :dgame/open true");
        }
        out.push('}');
    }
    out.push_str("]\n");
    out
}

/// The events of operations given as `(client, invoke, complete)`, in the order a history
/// file lists them: `(time, is the completion, operation)`. Every operation gets a
/// completion: one that never completed gets it just before its client's next invocation
/// (or at the history's last time), so that each client alternates invocations and
/// completions as Jepsen's tools expect.
pub(crate) fn event_order(ops: impl IntoIterator<Item = (u64, u64, Option<u64>)>) -> Vec<(u64, bool, usize)> {
    let ops: Vec<(u64, u64, Option<u64>)> = ops.into_iter().collect();
    // Each client's operations by invocation, to place the `:info` of an open one; at equal
    // invocations the one that ends first (an instant one, or one never completed) first, so
    // that a client's events alternate whenever its operations do not overlap.
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_by_key(|&i| (ops[i].0, ops[i].1, ops[i].2.unwrap_or(ops[i].1).max(ops[i].1), i));
    let mut rank = vec![0usize; ops.len()];
    let mut next_invoke = vec![None; ops.len()];
    for (r, w) in order.windows(2).enumerate() {
        if ops[w[0]].0 == ops[w[1]].0 {
            next_invoke[w[0]] = Some(ops[w[1]].1);
        }
        rank[w[1]] = r + 1;
    }
    let end = ops.iter().map(|&(_, invoke, complete)| complete.unwrap_or(invoke).max(invoke)).max().unwrap_or(0);
    // (time, class, rank, completion?, op): at equal times completions of earlier
    // operations (class 0) come before invocations (class 1), so a client can finish one
    // operation and start the next in the same tick; a completion at its own invocation's
    // time comes right after that invocation.
    let mut events: Vec<(u64, u8, usize, u8, usize)> = Vec::with_capacity(2 * ops.len());
    for (i, &(_, invoke, complete)) in ops.iter().enumerate() {
        events.push((invoke, 1, rank[i], 0, i));
        let c = match complete {
            Some(c) => c.max(invoke),
            None => next_invoke[i].unwrap_or(end).max(invoke),
        };
        if c == invoke {
            events.push((c, 1, rank[i], 1, i));
        } else {
            events.push((c, 0, rank[i], 1, i));
        }
    }
    events.sort_unstable();
    events.into_iter().map(|(time, _, _, completion, i)| (time, completion == 1, i)).collect()
}
