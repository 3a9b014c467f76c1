//! Which workload a history file is of, from its first telling event or line: what lets
//! `dgame check` say "this is a register history, not a broadcast one" instead of a parse
//! error about a field.
//!
//! ```
//! use dgame_checker::workload::Format;
//! use dgame_checker::workload::detect::detect;
//!
//! let text = "{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :invoke, :f :write, :value 3}\n";
//! let found = detect(text.as_bytes(), Format::Edn).expect("a telling event");
//! assert_eq!((found.workload, found.line), ("register", 2));
//! assert_eq!(found.evidence, "an event with :f :write");
//! ```
//!
//! Reads alone seldom tell: a register's read and a counter's look the same (`:f :read,
//! :value 3`), so they are passed over unless their value gives them away (a vector of values
//! is a broadcast read, a negative number a PN counter's).

use std::io::Read;

use serde_json::Value as Json;

use super::Format;
use super::lines::for_each_line;
use crate::edn::get;
use crate::edn::reader::{Edn, Node, Reader};

/// At most this many events (or lines) are looked at.
pub const MAX_SCANNED: usize = 10_000;

/// The workload a history file is of, and why we think so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// `register`, `kv`, `broadcast`, `counter`, `pn-counter` or `unique-ids`.
    pub workload: &'static str,
    /// The line of the event (or the JSON line) that tells.
    pub line: usize,
    /// What tells, e.g. `an event with :f :write`.
    pub evidence: String,
}

/// The workloads whose histories are read alike: `register` for the register and the
/// key-value store (one linearizability checker), `counter` for both counters, and every other
/// workload alone.
#[must_use]
pub fn family(workload: &str) -> &str {
    match workload {
        "register" | "kv" => "register",
        "counter" | "pn-counter" => "counter",
        other => other,
    }
}

/// Looks at the first [`MAX_SCANNED`] events or lines of a history in `format` for one that
/// only one workload writes; `None` if none tells (or the text is not well-formed before one
/// does).
pub fn detect(input: impl Read, format: Format) -> Option<Detected> {
    match format {
        Format::Edn => {
            let mut reader = Reader::new(input);
            for _ in 0..MAX_SCANNED {
                let node = reader.next_form().ok()??;
                if let Edn::Map(map) = &node.value
                    && let Some((workload, evidence)) = classify_edn(map)
                {
                    return Some(Detected { workload, line: node.line, evidence });
                }
            }
            None
        }
        Format::Jsonl => {
            enum Stop {
                Found(Detected),
                Give,
            }
            impl From<super::ParseError> for Stop {
                fn from(_: super::ParseError) -> Self {
                    Stop::Give
                }
            }
            let r = for_each_line(input, |line, text| {
                if line > MAX_SCANNED {
                    return Err(Stop::Give);
                }
                let Ok(json) = serde_json::from_str::<Json>(text) else { return Ok(()) };
                match classify_json(&json) {
                    Some((workload, evidence)) => Err(Stop::Found(Detected { workload, line, evidence })),
                    None => Ok(()),
                }
            });
            match r {
                Err(Stop::Found(d)) => Some(d),
                _ => None,
            }
        }
    }
}

/// The two elements of a `[a b]`.
fn pair(v: Option<&Edn>) -> Option<(&Edn, &Edn)> {
    match v {
        Some(Edn::Vector(items) | Edn::List(items)) if items.len() == 2 => Some((&items[0].value, &items[1].value)),
        _ => None,
    }
}

/// The workload an EDN event belongs to, when it tells, and what tells.
pub(crate) fn classify_edn(map: &[(Node, Node)]) -> Option<(&'static str, String)> {
    if let Some(Node { value: Edn::Keyword(_), .. }) = get(map, "process") {
        return None; // the nemesis
    }
    let Some(Node { value: Edn::Keyword(f), .. }) = get(map, "f") else { return None };
    let value = get(map, "value").map(|n| &n.value);
    let event = |f: &str| format!("an event with :f :{f}");
    Some(match &**f {
        "write" => match pair(value) {
            Some((Edn::Int(_), _)) => ("kv", "an event with :f :write of [key value]".to_owned()),
            _ => ("register", event("write")),
        },
        "cas" => match pair(value) {
            Some((Edn::Int(_), Edn::Vector(_) | Edn::List(_))) => {
                ("kv", "an event with :f :cas of [key [expected new]]".to_owned())
            }
            _ => ("register", event("cas")),
        },
        "broadcast" => ("broadcast", event("broadcast")),
        "add" => match value {
            Some(Edn::Int(d)) if *d < 0 => ("pn-counter", format!("an event with :f :add of {d}")),
            _ => ("counter", event("add")),
        },
        "generate" => ("unique-ids", event("generate")),
        "read" => {
            let is_final = matches!(get(map, "final?"), Some(Node { value: Edn::Bool(true), .. }));
            match value {
                Some(Edn::Vector(items) | Edn::List(items)) => {
                    let all_ints = items.iter().all(|n| matches!(n.value, Edn::Int(_)));
                    if all_ints && (items.len() != 2 || is_final) {
                        ("broadcast", format!("a read that returned a vector of {} values", items.len()))
                    } else if matches!(pair(value), Some((Edn::Int(_), Edn::Nil))) {
                        ("kv", "a read of [key nil]".to_owned())
                    } else {
                        return None;
                    }
                }
                Some(Edn::Int(v)) if *v < 0 => ("pn-counter", format!("a read that returned {v}")),
                Some(Edn::Int(v)) if is_final => ("counter", format!("a final read that returned {v}")),
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// The workload a JSON line belongs to, when it tells, and what tells.
pub(crate) fn classify_json(json: &Json) -> Option<(&'static str, String)> {
    let obj = json.as_object()?;
    if let Some(f) = obj.get("f") {
        // `excerpt` quotes it once.
        let f = f.as_str().map_or_else(|| f.to_string(), str::to_owned);
        let keyed = obj.get("key").is_some_and(|k| !k.is_null());
        let workload = if keyed { "kv" } else { "register" };
        return Some((workload, format!("a line with \"f\": {}", super::excerpt(&f))));
    }
    if obj.contains_key("time_unit") && !obj.contains_key("client") {
        return Some(("register", "a header line with \"time_unit\"".to_owned()));
    }
    match obj.get("type").and_then(Json::as_str) {
        Some("send") => Some(("broadcast", "a line with \"type\": \"send\"".to_owned())),
        Some("add") => match obj.get("delta").and_then(Json::as_i64) {
            Some(d) if d < 0 => Some(("pn-counter", format!("a line that adds {d}"))),
            _ => Some(("counter", "a line with \"type\": \"add\"".to_owned())),
        },
        Some("read") if obj.contains_key("values") => Some(("broadcast", "a read with \"values\"".to_owned())),
        Some("read") if obj.contains_key("value") => Some(("counter", "a read with a \"value\"".to_owned())),
        Some(_) => None,
        None if obj.contains_key("id") => Some(("unique-ids", "a line with an \"id\"".to_owned())),
        None => None,
    }
}
