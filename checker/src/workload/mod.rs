//! Checkers for the workloads beyond one register: what a history of each must satisfy, and
//! a sentence a learner understands when it does not.
//!
//! | workload | module | what is checked |
//! |---|---|---|
//! | broadcast | [`broadcast`] | every acknowledged value is in every final read; no read holds a value never sent, or one sent later |
//! | counter | [`counter`] | final reads equal the sum of acknowledged adds, within the bounds left by adds of unknown outcome; no read exceeds what was added by then |
//! | unique ids | [`unique_ids`] | no id handed out twice |
//!
//! The register and the key-value store (read, write, compare-and-set on several keys) are
//! the linearizability checker's ([`crate::check`]). Each history here is a list of
//! operations with the node that served them, read and written as JSON lines
//! ([`parse_jsonl`], [`write_jsonl`]), one operation per line.

pub mod broadcast;
pub mod counter;
pub mod unique_ids;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::history::Tick;

/// How an operation ended, as its client saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It took effect and the client heard so.
    Ok,
    /// It certainly did not take effect.
    Failed,
    /// The client never heard: it may or may not have taken effect.
    Unknown,
}

/// One thing wrong with a history: a sentence, and the operations (indices into the
/// history) it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// What is wrong, in words.
    pub sentence: String,
    /// The operations it names, in the order it names them.
    pub ops: Vec<usize>,
}

/// At most this many violations are listed; the rest are counted.
pub const MAX_LISTED: usize = 20;

/// Collects violations, listing the first [`MAX_LISTED`] and counting all.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub(crate) listed: Vec<Violation>,
    pub(crate) total: usize,
}

impl Findings {
    pub(crate) fn push(&mut self, sentence: String, ops: Vec<usize>) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(Violation { sentence, ops });
        }
    }
}

/// `VALID`, or `INVALID (3 violations)`: how a report's one-line summary starts.
pub(crate) fn verdict_word(violations: usize) -> String {
    match violations {
        0 => "VALID".to_owned(),
        1 => "INVALID (1 violation)".to_owned(),
        n => format!("INVALID ({n} violations)"),
    }
}

/// `at ticks 40-44`, or `from tick 40, never answered`.
pub(crate) fn interval(invoke: Tick, complete: Option<Tick>) -> String {
    match complete {
        Some(c) if c == invoke => format!("at tick {invoke}"),
        Some(c) => format!("at ticks {invoke}-{c}"),
        None => format!("from tick {invoke}, never answered"),
    }
}

/// A history file of a workload was not what it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// The line (from 1).
    pub line: usize,
    /// What was wrong, and how to fix it.
    pub message: String,
}

/// Reads a history of `T` as JSON lines: one operation per line, blank lines ignored.
pub fn parse_jsonl<T: DeserializeOwned>(text: &str, workload: &str) -> Result<Vec<T>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut ops = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let op = serde_json::from_str(line).map_err(|e| ParseError {
            line: i + 1,
            message: format!("not an operation of the {workload} workload ({e}): {}", excerpt(line)),
        })?;
        ops.push(op);
    }
    Ok(ops)
}

/// Writes a history as JSON lines, one operation per line.
pub fn write_jsonl<T: Serialize>(ops: &[T]) -> String {
    let mut out = String::new();
    for op in ops {
        // Serializing these plain structs cannot fail.
        out.push_str(&serde_json::to_string(op).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// The start of a line, for an error message: at most 80 characters, escaped.
fn excerpt(line: &str) -> String {
    let cut: String = line.chars().take(80).collect();
    let more = if cut.len() < line.len() { "..." } else { "" };
    format!("{:?}{more}", cut)
}

/// The median and the maximum of some durations (`None` when there are none).
pub(crate) fn median_max(mut xs: Vec<Tick>) -> Option<(Tick, Tick)> {
    xs.sort_unstable();
    Some((*xs.get(xs.len() / 2)?, *xs.last()?))
}
