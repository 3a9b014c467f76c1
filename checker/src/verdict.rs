//! What the checker concludes about a history.

use crate::history::Key;

/// The linearization order of one register's operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOrder {
    /// The register (`None` in single-register histories).
    pub key: Option<Key>,
    /// Indices into [`History::ops`](crate::History::ops), in the order they took effect.
    /// Operations that took no effect (failed ones, unknown ones left out) are absent;
    /// reads the checker dropped as unconstrained are absent too.
    pub ops: Vec<usize>,
}

/// Why a history is not linearizable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The register on which the violation was found.
    pub key: Option<Key>,
    /// A small set of operations (indices into the history, ascending) that cannot be
    /// ordered. With [`Options::minimize`](crate::Options::minimize) (and enough
    /// explanation budget), no operation outside [`Explanation::context`] can be removed
    /// without the rest becoming orderable, even with every other operation relaxed.
    pub ops: Vec<usize>,
    /// The operations of `ops` that are named only to show why the others cannot be
    /// ordered (the writes of the values they read, when the sentence just lists them);
    /// usually empty. `ops` without them is the minimal set.
    pub context: Vec<usize>,
    /// Each of `ops` in words, e.g. "client 2 read 3 at ticks 40-44".
    pub op_descriptions: Vec<String>,
    /// What went wrong, in one or two plain sentences.
    pub sentence: String,
}

/// The checker's conclusion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Some order of the operations respects real time and the register's semantics.
    Linearizable {
        /// One such order per register.
        witness: Vec<KeyOrder>,
    },
    /// No order does.
    NotLinearizable {
        /// The smallest conflicting operations and a sentence about them.
        explanation: Explanation,
    },
    /// A workload checked for other properties than linearizability (broadcast, counters,
    /// unique ids; see [`workload`](crate::workload)) passed its checks.
    Valid {
        /// The workload's name.
        workload: &'static str,
        /// Its checker's one-line summary, with the figures.
        summary: String,
    },
    /// Such a workload failed its checks.
    Invalid {
        /// The workload's name.
        workload: &'static str,
        /// The first violation: its sentence and operations.
        explanation: Explanation,
        /// How many violations there are in all.
        total: usize,
        /// The checker's one-line summary, with the figures.
        summary: String,
    },
    /// The budget ran out before a verdict.
    Unknown {
        /// Which budget ran out, and on which key.
        reason: String,
        /// The longest order found (of the key that ran out) before the budget ran out.
        partial: KeyOrder,
    },
}

impl Verdict {
    /// Whether the verdict is [`Verdict::Linearizable`].
    #[must_use]
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable { .. })
    }

    /// Whether the verdict is [`Verdict::NotLinearizable`] or [`Verdict::Invalid`]: the history
    /// breaks what its workload promises.
    #[must_use]
    pub fn is_violation(&self) -> bool {
        matches!(self, Verdict::NotLinearizable { .. } | Verdict::Invalid { .. })
    }

    /// Whether the history passed: [`Verdict::Linearizable`] or [`Verdict::Valid`].
    #[must_use]
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Linearizable { .. } | Verdict::Valid { .. })
    }

    /// The explanation of a violation, of either kind.
    #[must_use]
    pub fn explanation(&self) -> Option<&Explanation> {
        match self {
            Verdict::NotLinearizable { explanation } | Verdict::Invalid { explanation, .. } => Some(explanation),
            _ => None,
        }
    }

    /// Whether the verdict is [`Verdict::Unknown`].
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, Verdict::Unknown { .. })
    }
}

/// The verdict for people: `linearizable`, `NOT linearizable: <sentence>` followed by the
/// operations at fault (one per line), or `unknown: <reason>`.
impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Linearizable { .. } => f.write_str("linearizable"),
            Verdict::NotLinearizable { explanation } => {
                write!(f, "NOT linearizable: {}", explanation.sentence)?;
                for op in &explanation.op_descriptions {
                    write!(f, "\n    {op}")?;
                }
                Ok(())
            }
            Verdict::Valid { workload, summary } => write!(f, "valid ({workload}): {summary}"),
            Verdict::Invalid { workload, explanation, total, .. } => {
                let more = if *total > 1 { format!(" (and {} more)", total - 1) } else { String::new() };
                write!(f, "INVALID ({workload}): {}{more}", explanation.sentence)?;
                for op in &explanation.op_descriptions {
                    write!(f, "\n    {op}")?;
                }
                Ok(())
            }
            Verdict::Unknown { reason, .. } => write!(f, "unknown: {reason}"),
        }
    }
}
