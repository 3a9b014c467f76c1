//! A history of any workload beyond the register: which workload, its operations, how it is
//! read from a file and how its checker's report becomes a verdict.

use std::io::Read;
use std::str::FromStr;

use super::{ParseError, Violation, broadcast, counter, unique_ids};
use crate::edn::EdnError;
use crate::verdict::{Explanation, KeyOrder, Verdict};

/// Which workload a [`WorkloadHistory`] is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkloadKind {
    /// Clients send values and read a node's set of values ([`broadcast`]).
    Broadcast,
    /// A grow-only counter ([`counter`] with [`Flavor::GrowOnly`](counter::Flavor::GrowOnly)).
    Counter,
    /// A counter with adds of either sign ([`counter`] with
    /// [`Flavor::PositiveNegative`](counter::Flavor::PositiveNegative)).
    PnCounter,
    /// Hand out ids no one else gets ([`unique_ids`]).
    UniqueIds,
}

impl WorkloadKind {
    /// Every workload, in the order the simulator lists them.
    pub const ALL: [WorkloadKind; 4] =
        [WorkloadKind::Broadcast, WorkloadKind::Counter, WorkloadKind::PnCounter, WorkloadKind::UniqueIds];

    /// Its name, as the simulator's `--workload` spells it: `broadcast`, `counter`,
    /// `pn-counter`, `unique-ids`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Broadcast => "broadcast",
            WorkloadKind::Counter => "counter",
            WorkloadKind::PnCounter => "pn-counter",
            WorkloadKind::UniqueIds => "unique-ids",
        }
    }

    /// The workloads whose files look alike: the two counters share one format.
    pub(crate) fn family(self) -> &'static str {
        match self {
            WorkloadKind::PnCounter => "counter",
            other => other.name(),
        }
    }
}

/// A name that is none of [`WorkloadKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a workload with its own checker: those are broadcast, counter, pn-counter and unique-ids")]
pub struct UnknownWorkloadKind(pub String);

impl FromStr for WorkloadKind {
    type Err = UnknownWorkloadKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().replace('_', "-").to_ascii_lowercase();
        WorkloadKind::ALL.into_iter().find(|w| w.name() == wanted).ok_or_else(|| UnknownWorkloadKind(s.to_owned()))
    }
}

/// The two file formats of a history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One operation per line, as JSON ([`read_jsonl`](super::read_jsonl)).
    Jsonl,
    /// Jepsen/Maelstrom EDN: an invocation and a completion event per operation ([`edn`](super::edn)).
    Edn,
}

/// Why a workload's history file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The EDN was not well-formed, or an event was not one of the workload's.
    #[error(transparent)]
    Edn(#[from] EdnError),
    /// A JSON line was not an operation of the workload.
    #[error(transparent)]
    Jsonl(#[from] ParseError),
    /// The file is another workload's history.
    #[error("line {line}: this is a {found} history ({evidence}), not a {expected} one")]
    WrongWorkload {
        /// Where the evidence is.
        line: usize,
        /// The workload the file was read as.
        expected: &'static str,
        /// The workload the file is of (`register`, `kv`, `broadcast`, `counter`,
        /// `pn-counter`, `unique-ids`).
        found: &'static str,
        /// What gives it away, e.g. `an event with :f :write`.
        evidence: String,
    },
}

/// A history of one of the workloads beyond the register, each operation with the node that
/// served it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkloadHistory {
    /// A broadcast history.
    Broadcast(Vec<broadcast::Operation>),
    /// A grow-only counter's history.
    Counter(Vec<counter::Operation>),
    /// A PN counter's history.
    PnCounter(Vec<counter::Operation>),
    /// A unique-ids history.
    UniqueIds(Vec<unique_ids::Operation>),
}

impl WorkloadHistory {
    /// An empty history of `kind`.
    #[must_use]
    pub fn empty(kind: WorkloadKind) -> Self {
        match kind {
            WorkloadKind::Broadcast => WorkloadHistory::Broadcast(Vec::new()),
            WorkloadKind::Counter => WorkloadHistory::Counter(Vec::new()),
            WorkloadKind::PnCounter => WorkloadHistory::PnCounter(Vec::new()),
            WorkloadKind::UniqueIds => WorkloadHistory::UniqueIds(Vec::new()),
        }
    }

    /// Its workload.
    #[must_use]
    pub fn kind(&self) -> WorkloadKind {
        match self {
            WorkloadHistory::Broadcast(_) => WorkloadKind::Broadcast,
            WorkloadHistory::Counter(_) => WorkloadKind::Counter,
            WorkloadHistory::PnCounter(_) => WorkloadKind::PnCounter,
            WorkloadHistory::UniqueIds(_) => WorkloadKind::UniqueIds,
        }
    }

    /// How many operations it has.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            WorkloadHistory::Broadcast(ops) => ops.len(),
            WorkloadHistory::Counter(ops) | WorkloadHistory::PnCounter(ops) => ops.len(),
            WorkloadHistory::UniqueIds(ops) => ops.len(),
        }
    }

    /// Whether it has no operation.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Operation `i` in words (`None` past the end).
    #[must_use]
    pub fn describe(&self, i: usize) -> Option<String> {
        match self {
            WorkloadHistory::Broadcast(ops) => ops.get(i).map(broadcast::Operation::describe),
            WorkloadHistory::Counter(ops) | WorkloadHistory::PnCounter(ops) => {
                ops.get(i).map(counter::Operation::describe)
            }
            WorkloadHistory::UniqueIds(ops) => ops.get(i).map(unique_ids::Operation::describe),
        }
    }

    /// Checks it with its workload's checker: [`Verdict::Valid`] or [`Verdict::Invalid`]
    /// (see [`verdict`]); [`Verdict::Unknown`] for a history its checker refuses (a negative
    /// add to a grow-only counter), with the reason.
    #[must_use]
    pub fn check(&self) -> Verdict {
        let name = self.kind().name();
        let describe = |i| self.describe(i);
        match self {
            WorkloadHistory::Broadcast(ops) => {
                let r = broadcast::check(ops);
                verdict(name, &r.violations, r.total_violations, r.summary(), describe)
            }
            WorkloadHistory::Counter(ops) | WorkloadHistory::PnCounter(ops) => {
                let flavor = if self.kind() == WorkloadKind::Counter {
                    counter::Flavor::GrowOnly
                } else {
                    counter::Flavor::PositiveNegative
                };
                match counter::check(ops, flavor) {
                    Ok(r) => verdict(name, &r.violations, r.total_violations, r.summary(), describe),
                    Err(reason) => Verdict::Unknown { reason, partial: KeyOrder { key: None, ops: Vec::new() } },
                }
            }
            WorkloadHistory::UniqueIds(ops) => {
                let r = unique_ids::check(ops);
                verdict(name, &r.violations, r.total_violations, r.summary(), describe)
            }
        }
    }

    /// Reads a history of `kind` in `format`, streaming. A file that is recognisably another
    /// workload's is a [`ReadError::WrongWorkload`] naming both.
    pub fn read(input: impl Read, format: Format, kind: WorkloadKind) -> Result<Self, ReadError> {
        match format {
            Format::Edn => super::edn::read_from(input, kind),
            Format::Jsonl => super::lines::read_history(input, kind),
        }
    }

    /// Writes it in `format`: what [`WorkloadHistory::read`] reads back equal.
    #[must_use]
    pub fn write(&self, format: Format) -> String {
        match (format, self) {
            (Format::Edn, h) => super::edn::write(h),
            (Format::Jsonl, WorkloadHistory::Broadcast(ops)) => super::write_jsonl(ops),
            (Format::Jsonl, WorkloadHistory::Counter(ops) | WorkloadHistory::PnCounter(ops)) => super::write_jsonl(ops),
            (Format::Jsonl, WorkloadHistory::UniqueIds(ops)) => super::write_jsonl(ops),
        }
    }
}

/// A workload checker's findings as a verdict: [`Verdict::Valid`] with `summary` when there
/// are no violations, else [`Verdict::Invalid`] explaining the first one with its sentence and
/// its operations (`describe(i)` puts operation `i` in words; the indices are the
/// history's). The simulator and `dgame check` both come here, so that a run and its history
/// file get the same sentences.
pub fn verdict(
    workload: &'static str,
    violations: &[Violation],
    total: usize,
    summary: String,
    describe: impl Fn(usize) -> Option<String>,
) -> Verdict {
    let Some(first) = violations.first() else {
        return Verdict::Valid { workload, summary };
    };
    let explanation = Explanation {
        key: None,
        ops: first.ops.clone(),
        context: Vec::new(),
        op_descriptions: first.ops.iter().filter_map(|&i| describe(i)).collect(),
        sentence: first.sentence.clone(),
    };
    Verdict::Invalid { workload, explanation, total: total.max(1), summary }
}
