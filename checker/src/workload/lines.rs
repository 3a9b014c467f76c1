//! The workloads' JSON lines, streamed: one line at a time is in memory, at most
//! [`MAX_LINE_BYTES`](crate::jsonl::MAX_LINE_BYTES) of it.

use std::io::Read;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use super::detect;
use super::history::{ReadError, WorkloadHistory, WorkloadKind};
use super::{ParseError, excerpt};
use crate::jsonl::{LineError, MAX_LINE_BYTES};
use crate::unique_keys::JsonError;

/// Calls `each` with every line of `input`, as [`crate::jsonl`] reads lines, with the
/// workload readers' errors.
pub(crate) fn for_each_line<E: From<ParseError>>(
    input: impl Read,
    each: impl FnMut(usize, &str) -> Result<(), E>,
) -> Result<(), E> {
    let error = |line, e| {
        let message = match e {
            LineError::Io(e) => format!("cannot read the input: {e}"),
            LineError::TooLong => format!("longer than {MAX_LINE_BYTES} bytes; an operation fits in a few hundred"),
            LineError::NotUtf8 => "not UTF-8 text".to_owned(),
        };
        E::from(ParseError { line, message })
    };
    crate::jsonl::for_each_line(input, error, each)
}

/// Reads a history of `T` as JSON lines from `input`, streaming: one operation per line, blank
/// lines ignored, a UTF-8 byte order mark at the start skipped; a line longer than
/// [`MAX_LINE_BYTES`](crate::jsonl::MAX_LINE_BYTES) is an error naming it.
pub fn read_jsonl<T: DeserializeOwned + Serialize>(input: impl Read, workload: &str) -> Result<Vec<T>, ParseError> {
    let mut ops = Vec::new();
    for_each_line(input, |line, text| {
        if !text.trim().is_empty() {
            let json = json_of(line, workload, text)?;
            ops.push(operation(line, workload, json, text)?);
        }
        Ok::<(), ParseError>(())
    })?;
    Ok(ops)
}

/// A line's JSON; an object that gives a key twice is refused, naming the key (serde_json
/// would keep the last silently).
fn json_of(line: usize, workload: &str, text: &str) -> Result<Json, ParseError> {
    crate::unique_keys::parse(text).map_err(|e| match e {
        JsonError::Syntax(e) => not_an_operation(line, workload, text, &e),
        JsonError::Repeated(key) => ParseError {
            line,
            message: format!(
                "field `{key}` of an operation of the {workload} workload is given twice: give each field once: {}",
                excerpt(text)
            ),
        },
    })
}

pub(crate) fn not_an_operation(line: usize, workload: &str, text: &str, e: &serde_json::Error) -> ParseError {
    ParseError { line, message: format!("not an operation of the {workload} workload ({e}): {}", excerpt(text)) }
}

/// Deserializes one operation, naming the field that is wrong (``field `value` ...: invalid
/// type: string "x", expected u64``). A field inside a flattened part has no path in serde's
/// errors: it is found as the field whose value, made plain, makes the line an operation.
///
/// A key the operation does not read but that is a slip away from one it does (`"vaule"`
/// on a read) is refused as a typo: serde would ignore it, and the read's value with it.
fn operation<T: DeserializeOwned + Serialize>(
    line: usize,
    workload: &str,
    json: Json,
    text: &str,
) -> Result<T, ParseError> {
    let object = json.clone();
    let e = match serde_path_to_error::deserialize::<_, T>(json) {
        Ok(op) => return misspelt_key(&op, &object, line, workload, text).map_or(Ok(op), Err),
        Err(e) => e,
    };
    let path = e.path().to_string();
    let inner = e.into_inner();
    let said = inner.to_string();
    // serde names a missing or an unknown field itself.
    let field = if said.starts_with("missing field") || said.starts_with("unknown field") {
        None
    } else if path != "." && !path.is_empty() {
        Some(path)
    } else {
        culprit::<T>(&object)
    };
    let message = match field {
        Some(f) => format!("field `{f}` of an operation of the {workload} workload: {said}: {}", excerpt(text)),
        None => format!("not an operation of the {workload} workload ({said}): {}", excerpt(text)),
    };
    Err(ParseError { line, message })
}

/// A key of `object` that `op` (read from it) did not take, one slip away from a key it has.
fn misspelt_key<T: Serialize>(op: &T, object: &Json, line: usize, workload: &str, text: &str) -> Option<ParseError> {
    let (Json::Object(given), Ok(Json::Object(read))) = (object, serde_json::to_value(op)) else { return None };
    let read: Vec<&str> = read.keys().map(String::as_str).collect();
    given.keys().find_map(|key| {
        let meant = crate::typo::misspelt(key, &read)?;
        Some(ParseError {
            line,
            message: format!(
                "field `{key}` is not one an operation of the {workload} workload has; did you mean `{meant}`? (other \
                 fields are ignored, but one this close to `{meant}` is taken for a typo): {}",
                excerpt(text)
            ),
        })
    })
}

/// The top-level field of `object` the error is about: the one whose value, replaced by a
/// plain one (`0`, `""`, `[]`, `false`, `null`, `{}`), makes it an operation.
fn culprit<T: DeserializeOwned>(object: &Json) -> Option<String> {
    let Json::Object(map) = object else { return None };
    let plain = [Json::from(0), Json::from(""), Json::Array(Vec::new()), Json::Bool(false), Json::Null];
    map.keys().find_map(|key| {
        let fixes = plain.iter().cloned().chain([Json::Object(serde_json::Map::new())]).any(|v| {
            let mut other = map.clone();
            other.insert(key.clone(), v);
            serde_json::from_value::<T>(Json::Object(other)).is_ok()
        });
        fixes.then(|| key.clone())
    })
}

/// Reads a history of `kind` as JSON lines; each line is first looked at for signs of another
/// workload (a register's `"f"`, a counter's `"delta"`, ...), since one workload's line can
/// parse as another's (their common fields are the same).
pub(crate) fn read_history(input: impl Read, kind: WorkloadKind) -> Result<WorkloadHistory, ReadError> {
    let mut history = WorkloadHistory::empty(kind);
    for_each_line(input, |line, text| {
        if text.trim().is_empty() {
            return Ok(());
        }
        let json = json_of(line, kind.name(), text)?;
        if let Some((found, evidence)) = detect::classify_json(&json)
            && detect::family(found) != kind.family()
        {
            return Err(ReadError::WrongWorkload { line, expected: kind.name(), found, evidence });
        }
        let name = kind.name();
        match &mut history {
            WorkloadHistory::Broadcast(ops) => ops.push(operation(line, name, json, text)?),
            WorkloadHistory::Counter(ops) | WorkloadHistory::PnCounter(ops) => {
                ops.push(operation(line, name, json, text)?);
            }
            WorkloadHistory::UniqueIds(ops) => ops.push(operation(line, name, json, text)?),
        }
        Ok(())
    })?;
    Ok(history)
}
