//! The history type: the operations clients invoked, when, and how they ended.

use std::fmt;

/// A value stored in a register. The empty register is `None` wherever a value may be absent.
pub type Value = u64;
/// The key of a register in a multi-key history.
pub type Key = u64;
/// A client (Jepsen calls it a process).
pub type ClientId = u64;
/// A point in time: simulator ticks, Jepsen nanoseconds, or an event's position in a file.
pub type Tick = u64;

/// What an operation asked the register to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// Read the register; the value read is in [`Outcome::Ok`].
    Read,
    /// Write a value.
    Write(Value),
    /// Compare-and-set: if the register holds `expected`, store `new`.
    Cas {
        /// The value the register must hold for the swap to happen.
        expected: Value,
        /// The value stored when it does.
        new: Value,
    },
}

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// It completed. For a read, `read` is the value returned (`None`: the empty register);
    /// for writes and compare-and-sets it is ignored and should be `None`.
    Ok {
        /// The value a read returned.
        read: Option<Value>,
    },
    /// It definitely did not take effect (Jepsen `:fail`).
    Failed,
    /// It timed out or never completed (Jepsen `:info`): it may have taken effect at any
    /// moment after its invocation, or not at all.
    Unknown,
}

/// One operation of one client: invoked at `invoke`, completed at `complete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operation {
    /// The client that issued it.
    pub client: ClientId,
    /// The register it addressed (`None` in single-register histories).
    pub key: Option<Key>,
    /// What it asked for.
    pub kind: OpKind,
    /// When the client invoked it.
    pub invoke: Tick,
    /// When the client saw its result (`None`: never). An unknown operation is treated as
    /// open-ended whatever this says; a time here is only shown in explanations.
    pub complete: Option<Tick>,
    /// How it ended.
    pub outcome: Outcome,
}

impl Operation {
    /// A read that returned `value` (`None`: the empty register).
    #[must_use]
    pub fn read(client: ClientId, invoke: Tick, complete: Tick, value: Option<Value>) -> Self {
        Operation {
            client,
            key: None,
            kind: OpKind::Read,
            invoke,
            complete: Some(complete),
            outcome: Outcome::Ok { read: value },
        }
    }

    /// A write of `value` that completed successfully.
    #[must_use]
    pub fn write(client: ClientId, invoke: Tick, complete: Tick, value: Value) -> Self {
        Operation {
            client,
            key: None,
            kind: OpKind::Write(value),
            invoke,
            complete: Some(complete),
            outcome: Outcome::Ok { read: None },
        }
    }

    /// A compare-and-set from `expected` to `new` that completed successfully.
    #[must_use]
    pub fn cas(client: ClientId, invoke: Tick, complete: Tick, expected: Value, new: Value) -> Self {
        Operation {
            client,
            key: None,
            kind: OpKind::Cas { expected, new },
            invoke,
            complete: Some(complete),
            outcome: Outcome::Ok { read: None },
        }
    }

    /// The same operation, but it failed (did not take effect).
    #[must_use]
    pub fn failed(mut self) -> Self {
        self.outcome = Outcome::Failed;
        self
    }

    /// The same operation, but its outcome is unknown and it never completed.
    #[must_use]
    pub fn unknown(mut self) -> Self {
        self.outcome = Outcome::Unknown;
        self.complete = None;
        self
    }

    /// The same operation, addressed to register `key`.
    #[must_use]
    pub fn with_key(mut self, key: Key) -> Self {
        self.key = Some(key);
        self
    }

    /// The value a successful read returned, if this is one.
    #[must_use]
    pub fn read_value(&self) -> Option<Option<Value>> {
        match (self.kind, self.outcome) {
            (OpKind::Read, Outcome::Ok { read }) => Some(read),
            _ => None,
        }
    }
}

/// The unit of [`Tick`] values in a history; it only changes the wording of explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimeUnit {
    /// Simulator ticks ("at ticks 40-44").
    #[default]
    Ticks,
    /// Nanoseconds, as in Jepsen's `:time` ("at 40-44 ns").
    Nanoseconds,
    /// Positions of the events in the file, for Jepsen files without `:time`
    /// ("at events 40-44").
    Events,
}

impl TimeUnit {
    /// A span of time in words: "ticks 40-44", "40-44 ns", "events 40-44".
    #[must_use]
    pub fn span(self, from: Tick, to: Option<Tick>) -> String {
        let to = match to {
            Some(t) => t.to_string(),
            None => "never".to_string(),
        };
        match self {
            TimeUnit::Ticks => format!("ticks {from}-{to}"),
            TimeUnit::Nanoseconds => format!("{from}-{to} ns"),
            TimeUnit::Events => format!("events {from}-{to}"),
        }
    }

    /// A point in time in words: "tick 31", "31 ns", "event 31".
    #[must_use]
    pub fn point(self, t: Tick) -> String {
        match self {
            TimeUnit::Ticks => format!("tick {t}"),
            TimeUnit::Nanoseconds => format!("{t} ns"),
            TimeUnit::Events => format!("event {t}"),
        }
    }

    /// The name used in the JSON-lines header and the EDN time-unit comment.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Ticks => "ticks",
            TimeUnit::Nanoseconds => "nanoseconds",
            TimeUnit::Events => "events",
        }
    }

    /// The unit named `name` (see [`TimeUnit::name`]).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "ticks" => Some(TimeUnit::Ticks),
            "nanoseconds" | "ns" => Some(TimeUnit::Nanoseconds),
            "events" => Some(TimeUnit::Events),
            _ => None,
        }
    }
}

/// A history: every operation the clients invoked, in any order.
///
/// Operations are referred to by their index in [`History::ops`] in verdicts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct History {
    /// The operations.
    pub ops: Vec<Operation>,
    /// The unit of the times in `ops`.
    pub time_unit: TimeUnit,
}

impl History {
    /// An empty history measured in ticks.
    #[must_use]
    pub fn new() -> Self {
        History::default()
    }

    /// A history of `ops` measured in ticks.
    #[must_use]
    pub fn from_ops(ops: Vec<Operation>) -> Self {
        History { ops, time_unit: TimeUnit::Ticks }
    }

    /// Appends an operation and returns its index.
    pub fn push(&mut self, op: Operation) -> usize {
        self.ops.push(op);
        self.ops.len() - 1
    }

    /// The number of operations.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether there are no operations.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Describes operation `index` in words, e.g. "client 2 read 3 at ticks 40-44".
    #[must_use]
    pub fn describe(&self, index: usize) -> String {
        match self.ops.get(index) {
            Some(op) => describe_op(op, self.time_unit),
            None => format!("operation #{index} (out of range)"),
        }
    }
}

pub(crate) fn value_words(v: Option<Value>) -> String {
    match v {
        Some(v) => v.to_string(),
        None => "the empty register".to_string(),
    }
}

/// An operation in words ("client 3 tried to write 5 on key 2 (outcome unknown)"), into `s`:
/// one buffer, no intermediate strings (an explanation describes every operation it names,
/// and its cost counts against the check's).
fn write_op_words(s: &mut String, op: &Operation) {
    use fmt::Write;
    let (verb, tail) = match op.outcome {
        Outcome::Ok { .. } => ("", ""),
        Outcome::Failed => ("tried to ", " (failed)"),
        Outcome::Unknown => ("tried to ", " (outcome unknown)"),
    };
    // (Writing to a `String` cannot fail.)
    let _ = write!(s, "client {} ", op.client);
    let _ = match (op.kind, op.outcome) {
        (OpKind::Read, Outcome::Ok { read: Some(v) }) => write!(s, "read {v}"),
        (OpKind::Read, Outcome::Ok { read: None }) => write!(s, "read the empty register"),
        (OpKind::Read, _) => write!(s, "{verb}read"),
        (OpKind::Write(v), _) => write!(s, "{verb}write {v}"),
        (OpKind::Cas { expected, new }, _) => write!(s, "{verb}compare-and-set {expected} to {new}"),
    };
    if let Some(k) = op.key {
        let _ = write!(s, " on key {k}");
    }
    s.push_str(tail);
}

pub(crate) fn describe_op(op: &Operation, unit: TimeUnit) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(64);
    write_op_words(&mut s, op);
    s.push_str(" at ");
    let _ = match (unit, op.complete) {
        (TimeUnit::Ticks, Some(to)) => write!(s, "ticks {}-{to}", op.invoke),
        (TimeUnit::Ticks, None) => write!(s, "ticks {}-never", op.invoke),
        (TimeUnit::Nanoseconds, Some(to)) => write!(s, "{}-{to} ns", op.invoke),
        (TimeUnit::Nanoseconds, None) => write!(s, "{}-never ns", op.invoke),
        (TimeUnit::Events, Some(to)) => write!(s, "events {}-{to}", op.invoke),
        (TimeUnit::Events, None) => write!(s, "events {}-never", op.invoke),
    };
    s
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe_op(self, TimeUnit::Ticks))
    }
}
