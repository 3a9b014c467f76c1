//! Jepsen's EDN histories: read with [`parse`](fn@parse), write with [`write`](fn@write).
//!
//! Accepted: one list or vector of event maps, or event maps one after another (typically
//! one per line); `;` comments; commas as whitespace. Each event has `:process` (an integer;
//! events of other processes, like `:nemesis`, are skipped), `:type` (`:invoke`, `:ok`,
//! `:fail`, `:info`), `:f` (`:read`, `:write`, `:cas`), `:value` (a read's result on `:ok`,
//! a write's value, a compare-and-set's `[expected new]`; multi-key histories wrap these as
//! `[key value]`) and optionally `:time`. Other keys are ignored. When any event lacks
//! `:time`, times are the events' positions (0, 1, 2, ...) and the history's unit is
//! [`TimeUnit::Events`]; otherwise nanoseconds, unless a `; time-unit: ticks` comment says
//! otherwise (the writer emits one).
//!
//! An invocation becomes an operation completed by its process's next `:ok`, `:fail` or
//! `:info`; an invocation never completed, or followed by another invocation of the same
//! process, is unknown.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::history::{History, Key, OpKind, Operation, Outcome, TimeUnit, Value};

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
        /// What was there.
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
    /// Events that do not pair up into operations.
    #[error("line {line}: {message}")]
    Event {
        /// Where the event starts.
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// Most nesting accepted, so deeply nested input cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Edn {
    Nil,
    Bool(bool),
    Int(i128),
    Float,
    Str,
    Char,
    Keyword(String),
    Symbol(String),
    Vector(Vec<Node>),
    List(Vec<Node>),
    Map(Vec<(Node, Node)>),
    Set,
}

#[derive(Debug, Clone, PartialEq)]
struct Node {
    line: usize,
    value: Edn,
}

fn describe(value: &Edn) -> String {
    match value {
        Edn::Nil => "nil".into(),
        Edn::Bool(b) => b.to_string(),
        Edn::Int(i) => i.to_string(),
        Edn::Float => "a decimal number".into(),
        Edn::Str => "a string".into(),
        Edn::Char => "a character".into(),
        Edn::Keyword(k) => format!(":{k}"),
        Edn::Symbol(s) => format!("the symbol {s}"),
        Edn::Vector(v) => format!("a vector of {}", v.len()),
        Edn::List(v) => format!("a list of {}", v.len()),
        Edn::Map(_) => "a map".into(),
        Edn::Set => "a set".into(),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
    time_unit_comment: Option<TimeUnit>,
}

fn is_delim(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b',' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'"' | b';')
}

impl Reader<'_> {
    fn syntax(&self, expected: &str, found: String) -> EdnError {
        EdnError::Syntax { line: self.line, expected: expected.to_string(), found }
    }

    fn found_here(&self) -> String {
        match self.bytes.get(self.pos) {
            None => "the end of the input".into(),
            Some(&b) if b.is_ascii_graphic() => format!("'{}'", b as char),
            Some(&b) => format!("byte 0x{b:02x}"),
        }
    }

    fn skip_space(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == b'\n' {
                self.line += 1;
                self.pos += 1;
            } else if b.is_ascii_whitespace() || b == b',' {
                self.pos += 1;
            } else if b == b';' {
                let start = self.pos;
                while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
                    self.pos += 1;
                }
                let comment = String::from_utf8_lossy(&self.bytes[start..self.pos]);
                if let Some(rest) = comment.trim_start_matches(';').trim().strip_prefix("time-unit:") {
                    self.time_unit_comment = TimeUnit::from_name(rest.trim());
                }
            } else {
                break;
            }
        }
    }

    fn token(&mut self) -> &str {
        let start = self.pos;
        while self.pos < self.bytes.len() && !is_delim(self.bytes[self.pos]) {
            self.pos += 1;
        }
        std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or("\u{fffd}")
    }

    fn read_seq(&mut self, close: u8, depth: usize) -> Result<Vec<Node>, EdnError> {
        let mut items = Vec::new();
        loop {
            self.skip_space();
            match self.bytes.get(self.pos) {
                None => {
                    return Err(self.syntax(&format!("'{}' to close the collection", close as char), self.found_here()));
                }
                Some(&b) if b == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                Some(_) => {
                    if let Some(node) = self.read(depth + 1)? {
                        items.push(node);
                    }
                }
            }
        }
    }

    /// Reads one form; `None` for a discarded (`#_`) one.
    fn read(&mut self, depth: usize) -> Result<Option<Node>, EdnError> {
        if depth > MAX_DEPTH {
            return Err(self.syntax(&format!("at most {MAX_DEPTH} levels of nesting"), "deeper nesting".into()));
        }
        self.skip_space();
        let line = self.line;
        let Some(&b) = self.bytes.get(self.pos) else {
            return Err(self.syntax("a value", self.found_here()));
        };
        let value = match b {
            b'[' => {
                self.pos += 1;
                Edn::Vector(self.read_seq(b']', depth)?)
            }
            b'(' => {
                self.pos += 1;
                Edn::List(self.read_seq(b')', depth)?)
            }
            b'{' => {
                self.pos += 1;
                let items = self.read_seq(b'}', depth)?;
                if items.len() % 2 != 0 {
                    return Err(EdnError::Syntax {
                        line,
                        expected: "a map with an even number of forms (key value pairs)".into(),
                        found: format!("{} forms", items.len()),
                    });
                }
                let mut pairs = Vec::with_capacity(items.len() / 2);
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                Edn::Map(pairs)
            }
            b')' | b']' | b'}' => return Err(self.syntax("a value", self.found_here())),
            b'"' => {
                self.pos += 1;
                loop {
                    match self.bytes.get(self.pos) {
                        None => {
                            return Err(self.syntax("'\"' to close the string", self.found_here()));
                        }
                        Some(b'"') => {
                            self.pos += 1;
                            break;
                        }
                        Some(b'\\') => self.pos += 2,
                        Some(b'\n') => {
                            self.line += 1;
                            self.pos += 1;
                        }
                        Some(_) => self.pos += 1,
                    }
                }
                Edn::Str
            }
            b'\\' => {
                self.pos = (self.pos + 2).min(self.bytes.len());
                self.token();
                Edn::Char
            }
            b'#' => {
                self.pos += 1;
                match self.bytes.get(self.pos) {
                    Some(b'{') => {
                        self.pos += 1;
                        self.read_seq(b'}', depth)?;
                        Edn::Set
                    }
                    Some(b'_') => {
                        self.pos += 1;
                        self.read(depth + 1)?;
                        return Ok(None);
                    }
                    _ => {
                        // A tagged element: keep the value, ignore the tag.
                        if self.token().is_empty() {
                            return Err(self.syntax("a tag, a set or '_' after '#'", self.found_here()));
                        }
                        return self.read(depth + 1);
                    }
                }
            }
            b':' => {
                self.pos += 1;
                let name = self.token().to_string();
                if name.is_empty() {
                    return Err(self.syntax("a keyword name after ':'", self.found_here()));
                }
                Edn::Keyword(name)
            }
            _ => {
                let tok = self.token().to_string();
                if tok.is_empty() {
                    return Err(self.syntax("a value", self.found_here()));
                }
                match tok.as_str() {
                    "nil" => Edn::Nil,
                    "true" => Edn::Bool(true),
                    "false" => Edn::Bool(false),
                    _ => {
                        let first = tok.as_bytes()[0];
                        let numeric = first.is_ascii_digit()
                            || ((first == b'-' || first == b'+')
                                && tok.len() > 1
                                && tok.as_bytes()[1].is_ascii_digit());
                        if numeric {
                            let digits = tok.trim_end_matches('N');
                            match digits.parse::<i128>() {
                                Ok(i) => Edn::Int(i),
                                Err(_) if tok.contains(['.', 'e', 'E', 'M']) => Edn::Float,
                                Err(_) => {
                                    return Err(EdnError::Syntax {
                                        line,
                                        expected: "a number".into(),
                                        found: format!("'{tok}'"),
                                    });
                                }
                            }
                        } else {
                            Edn::Symbol(tok)
                        }
                    }
                }
            }
        };
        Ok(Some(Node { line, value }))
    }
}

fn get<'a>(map: &'a [(Node, Node)], key: &str) -> Option<&'a Node> {
    map.iter().find(|(k, _)| matches!(&k.value, Edn::Keyword(name) if name == key)).map(|(_, v)| v)
}

fn field_err(line: usize, field: &'static str, expected: &'static str, found: Option<&Node>) -> EdnError {
    EdnError::Field { line, field, expected, found: found.map_or("nothing".to_string(), |n| describe(&n.value)) }
}

fn as_value(node: &Node, line: usize, field: &'static str) -> Result<Value, EdnError> {
    match node.value {
        Edn::Int(i) if (0..=i128::from(u64::MAX)).contains(&i) => Ok(i as Value),
        _ => Err(field_err(line, field, "a non-negative integer", Some(node))),
    }
}

fn as_opt_value(node: &Node, line: usize, field: &'static str) -> Result<Option<Value>, EdnError> {
    match node.value {
        Edn::Nil => Ok(None),
        _ => as_value(node, line, field).map(Some),
    }
}

/// Splits a multi-key `[key value]` from a value, when it is one.
fn split_key<'a>(node: &'a Node, f: &str) -> (Option<Key>, &'a Node) {
    if let Edn::Vector(items) | Edn::List(items) = &node.value
        && items.len() == 2
        && let Edn::Int(k) = items[0].value
        && (0..=i128::from(u64::MAX)).contains(&k)
    {
        // A compare-and-set's own value is `[expected new]`: a key only when the second
        // element is itself a pair.
        let second_is_pair = matches!(&items[1].value, Edn::Vector(v) | Edn::List(v) if v.len() == 2);
        if f != "cas" || second_is_pair {
            return (Some(k as Key), &items[1]);
        }
    }
    (None, node)
}

struct Event<'a> {
    line: usize,
    process: u64,
    kind: &'a str,
    f: &'a str,
    key: Option<Key>,
    value: Option<&'a Node>,
    time: Option<u64>,
}

fn event<'a>(node: &'a Node) -> Result<Option<Event<'a>>, EdnError> {
    let line = node.line;
    let Edn::Map(map) = &node.value else {
        return Err(EdnError::Syntax {
            line,
            expected: "an event map like {:process 0, :type :invoke, :f :read, :value nil}".into(),
            found: describe(&node.value),
        });
    };
    let process = match get(map, "process") {
        Some(Node { value: Edn::Int(p), .. }) if (0..=i128::from(u64::MAX)).contains(p) => *p as u64,
        // Nemesis and other non-client events.
        Some(Node { value: Edn::Keyword(_), .. }) => return Ok(None),
        other => return Err(field_err(line, ":process", "a non-negative integer", other)),
    };
    let kind = match get(map, "type") {
        Some(Node { value: Edn::Keyword(k), .. }) if matches!(k.as_str(), "invoke" | "ok" | "fail" | "info") => {
            k.as_str()
        }
        other => {
            return Err(field_err(line, ":type", "one of :invoke, :ok, :fail, :info", other));
        }
    };
    let f = match get(map, "f") {
        Some(Node { value: Edn::Keyword(k), .. }) if matches!(k.as_str(), "read" | "write" | "cas") => k.as_str(),
        other => return Err(field_err(line, ":f", "one of :read, :write, :cas", other)),
    };
    let time = match get(map, "time") {
        None => None,
        Some(Node { value: Edn::Int(t), .. }) if (0..=i128::from(u64::MAX)).contains(t) => Some(*t as u64),
        other => return Err(field_err(line, ":time", "a non-negative integer", other)),
    };
    let (key, value) = match get(map, "value") {
        None => (None, None),
        Some(v) => {
            let (k, v) = split_key(v, f);
            (k, Some(v))
        }
    };
    Ok(Some(Event { line, process, kind, f, key, value, time }))
}

/// Reads a Jepsen EDN history.
pub fn parse(text: &str) -> Result<History, EdnError> {
    let mut reader = Reader { bytes: text.as_bytes(), pos: 0, line: 1, time_unit_comment: None };
    let mut forms = Vec::new();
    loop {
        reader.skip_space();
        if reader.pos >= reader.bytes.len() {
            break;
        }
        if let Some(node) = reader.read(0)? {
            forms.push(node);
        }
    }
    let nodes: Vec<Node> = match forms.as_slice() {
        [Node { value: Edn::Vector(items) | Edn::List(items), .. }] => items.clone(),
        _ => forms,
    };
    let mut events = Vec::with_capacity(nodes.len());
    for node in &nodes {
        if let Some(e) = event(node)? {
            events.push(e);
        }
    }
    let timed = !events.is_empty() && events.iter().all(|e| e.time.is_some());
    let time_unit = if timed { reader.time_unit_comment.unwrap_or(TimeUnit::Nanoseconds) } else { TimeUnit::Events };

    let mut ops: Vec<Operation> = Vec::new();
    let mut pending: HashMap<u64, usize> = HashMap::new();
    for (pos, e) in events.iter().enumerate() {
        let time = if timed { e.time.unwrap_or(0) } else { pos as u64 };
        if e.kind == "invoke" {
            let kind = match e.f {
                "read" => OpKind::Read,
                "write" => {
                    let v = e.value.ok_or_else(|| field_err(e.line, ":value", "the value written", None))?;
                    OpKind::Write(as_value(v, e.line, ":value")?)
                }
                _ => match e.value.map(|v| &v.value) {
                    Some(Edn::Vector(items) | Edn::List(items)) if items.len() == 2 => OpKind::Cas {
                        expected: as_value(&items[0], e.line, ":value")?,
                        new: as_value(&items[1], e.line, ":value")?,
                    },
                    _ => {
                        return Err(field_err(e.line, ":value", "[expected new] for a :cas", e.value));
                    }
                },
            };
            // A process that invokes again gave up on its previous operation.
            pending.insert(e.process, ops.len());
            ops.push(Operation {
                client: e.process,
                key: e.key,
                kind,
                invoke: time,
                complete: None,
                outcome: Outcome::Unknown,
            });
            continue;
        }
        let Some(index) = pending.remove(&e.process) else {
            if e.kind == "info" {
                continue;
            }
            return Err(EdnError::Event {
                line: e.line,
                message: format!(
                    "process {} completes an operation (:{}) it never invoked; add its :invoke event before this line",
                    e.process, e.kind
                ),
            });
        };
        let op = &mut ops[index];
        let f_matches = matches!(
            (op.kind, e.f),
            (OpKind::Read, "read") | (OpKind::Write(_), "write") | (OpKind::Cas { .. }, "cas")
        );
        if !f_matches {
            return Err(EdnError::Event {
                line: e.line,
                message: format!("process {} completes :{} but invoked a different :f", e.process, e.f),
            });
        }
        op.complete = Some(time.max(op.invoke));
        op.outcome = match e.kind {
            "ok" => Outcome::Ok {
                read: match (op.kind, e.value) {
                    (OpKind::Read, Some(v)) => as_opt_value(v, e.line, ":value")?,
                    _ => None,
                },
            },
            "fail" => Outcome::Failed,
            _ => Outcome::Unknown,
        };
    }
    Ok(History { ops, time_unit })
}

fn edn_value(key: Option<Key>, inner: String) -> String {
    match key {
        Some(k) => format!("[{k} {inner}]"),
        None => inner,
    }
}

/// Writes a history as Jepsen EDN: a vector with one event map per line, every event with
/// `:time`, preceded by a `; time-unit:` comment that [`parse`](fn@parse) reads back.
#[must_use]
pub fn write(history: &History) -> String {
    // (time, rank, op): at equal times completions (0) come before invocations (1), so a
    // client can finish one operation and start the next in the same tick; an instantaneous
    // operation completes (2) after its own invocation.
    let mut events: Vec<(u64, u8, usize)> = Vec::new();
    for (i, op) in history.ops.iter().enumerate() {
        events.push((op.invoke, 1, i));
        if let Some(c) = op.complete {
            let c = c.max(op.invoke);
            // An instantaneous operation completes after its own invocation.
            events.push((c, if c == op.invoke { 2 } else { 0 }, i));
        }
    }
    events.sort_unstable();
    let mut out = format!("; time-unit: {}\n[", history.time_unit.name());
    for (n, &(time, completion, i)) in events.iter().enumerate() {
        let op = &history.ops[i];
        let (f, invoke_value) = match op.kind {
            OpKind::Read => ("read", "nil".to_string()),
            OpKind::Write(v) => ("write", v.to_string()),
            OpKind::Cas { expected, new } => ("cas", format!("[{expected} {new}]")),
        };
        let (kind, value) = if completion == 1 {
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
            "{{:process {}, :type :{kind}, :f :{f}, :value {}, :time {time}}}",
            op.client,
            edn_value(op.key, value)
        );
    }
    out.push_str("]\n");
    out
}
