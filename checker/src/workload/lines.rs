//! The workloads' JSON lines, streamed: one line at a time is in memory, at most
//! [`MAX_LINE_BYTES`](crate::jsonl::MAX_LINE_BYTES) of it.

use std::io::Read;

use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use super::detect;
use super::history::{ReadError, WorkloadHistory, WorkloadKind};
use super::{ParseError, excerpt};
use crate::jsonl::{LineError, MAX_LINE_BYTES};

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
pub fn read_jsonl<T: DeserializeOwned>(input: impl Read, workload: &str) -> Result<Vec<T>, ParseError> {
    let mut ops = Vec::new();
    for_each_line(input, |line, text| {
        if !text.trim().is_empty() {
            ops.push(serde_json::from_str(text).map_err(|e| not_an_operation(line, workload, text, &e))?);
        }
        Ok::<(), ParseError>(())
    })?;
    Ok(ops)
}

pub(crate) fn not_an_operation(line: usize, workload: &str, text: &str, e: &serde_json::Error) -> ParseError {
    ParseError { line, message: format!("not an operation of the {workload} workload ({e}): {}", excerpt(text)) }
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
        let json: Json = serde_json::from_str(text).map_err(|e| not_an_operation(line, kind.name(), text, &e))?;
        if let Some((found, evidence)) = detect::classify_json(&json)
            && detect::family(found) != kind.family()
        {
            return Err(ReadError::WrongWorkload { line, expected: kind.name(), found, evidence });
        }
        let err = |e: serde_json::Error| ReadError::from(not_an_operation(line, kind.name(), text, &e));
        match &mut history {
            WorkloadHistory::Broadcast(ops) => ops.push(serde_json::from_value(json).map_err(err)?),
            WorkloadHistory::Counter(ops) | WorkloadHistory::PnCounter(ops) => {
                ops.push(serde_json::from_value(json).map_err(err)?);
            }
            WorkloadHistory::UniqueIds(ops) => ops.push(serde_json::from_value(json).map_err(err)?),
        }
        Ok(())
    })?;
    Ok(history)
}
