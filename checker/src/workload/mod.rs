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
//! operations with the node that served them (node `0`: the request reached none), read and
//! written as JSON lines ([`parse_jsonl`], [`read_jsonl`], [`write_jsonl`]), one operation per
//! line, or as Jepsen/Maelstrom EDN ([`edn`]), one event per invocation and per completion.
//!
//! [`WorkloadHistory`] holds a history of any of them: [`WorkloadHistory::check`] is the one
//! place a report becomes a [`Verdict`](crate::Verdict) (the simulator's runs and `dgame check`
//! both go through it), [`WorkloadHistory::read`] reads either format and says when a file is
//! another workload's ([`detect`]).
//!
//! ```
//! use dgame_checker::workload::{Format, WorkloadHistory, WorkloadKind};
//!
//! let text = "[{:process 1, :type :invoke, :f :generate, :value nil, :time 10}
//!              {:process 1, :type :ok, :f :generate, :value 17, :time 12, :node \"n2\"}
//!              {:process 2, :type :invoke, :f :generate, :value nil, :time 11}
//!              {:process 2, :type :ok, :f :generate, :value 17, :time 14, :node \"n1\"}]";
//! let history = WorkloadHistory::read(text.as_bytes(), Format::Edn, WorkloadKind::UniqueIds)?;
//! let verdict = history.check();
//! let explanation = verdict.explanation().expect("a violation");
//! assert_eq!(
//!     explanation.sentence,
//!     "id \"17\" was handed out twice: to client 1 by node n2 at ticks 10-12, and to client 2 \
//!      by node n1 at ticks 11-14."
//! );
//! assert_eq!(explanation.op_descriptions[0], "client 1 got id 17 via n2 at ticks 10-12, ok");
//! # Ok::<(), dgame_checker::workload::ReadError>(())
//! ```

pub mod broadcast;
pub mod counter;
pub mod detect;
pub mod edn;
mod history;
mod lines;
pub mod unique_ids;

pub use history::{Format, ReadError, WorkloadHistory, WorkloadKind, verdict};
pub use lines::read_jsonl;

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

/// `client 2 broadcast 7 via n3 at ticks 40-44, ok`: an operation in words, from what it
/// did (`what`) and where, when and how it ended.
pub(crate) fn describe(
    client: crate::history::ClientId,
    what: &str,
    node: u64,
    invoke: Tick,
    complete: Option<Tick>,
    status: Status,
) -> String {
    let via = if node == 0 { String::new() } else { format!(" via n{node}") };
    let when = match complete {
        Some(c) if c == invoke => format!("at tick {c}"),
        Some(c) => format!("at ticks {invoke}-{c}"),
        None => format!("from tick {invoke}"),
    };
    let how = match status {
        Status::Ok => "ok",
        Status::Failed => "failed",
        Status::Unknown => "unknown",
    };
    format!("client {client} {what}{via} {when}, {how}")
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

/// Reads a history of `T` as JSON lines: one operation per line, blank lines ignored (see
/// [`read_jsonl`], which streams).
pub fn parse_jsonl<T: DeserializeOwned + Serialize>(text: &str, workload: &str) -> Result<Vec<T>, ParseError> {
    read_jsonl(text.as_bytes(), workload)
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
/// `1 final read`, `2 final reads`: `n` and the noun, singular or plural.
pub(crate) fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    match n.into() {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

pub(crate) fn excerpt(line: &str) -> String {
    let cut: String = line.chars().take(80).collect();
    let more = if cut.len() < line.len() { "..." } else { "" };
    format!("{:?}{more}", cut)
}

/// The median and the maximum of some durations (`None` when there are none).
pub(crate) fn median_max(mut xs: Vec<Tick>) -> Option<(Tick, Tick)> {
    xs.sort_unstable();
    Some((*xs.get(xs.len() / 2)?, *xs.last()?))
}
