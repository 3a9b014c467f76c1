//! Checks a whole history: split by key, reduce, pick the fast path or the search, explain.

use std::collections::BTreeMap;
use std::time::Instant;

use rayon::prelude::*;

use crate::explain;
use crate::history::{History, Key};
use crate::options::Options;
use crate::prepare::{Prepared, prepare};
use crate::verdict::{KeyOrder, Verdict};
use crate::wgl::{self, Budget, Search};
use crate::zones::{self, Zones};

/// The verdict on one register, in history indices.
pub(crate) enum KeyResult {
    Linearizable(Vec<usize>),
    /// Indices of operations that cannot be ordered (a hint for the explanation).
    Violation(Vec<usize>),
    Unknown { reason: String, longest: Vec<usize> },
}

/// Checks the operations `indices` of `history`, all on one register.
pub(crate) fn check_key(
    history: &History,
    indices: &[usize],
    options: &Options,
    budget: &Budget,
) -> KeyResult {
    let ops = match prepare(history, indices, options) {
        Prepared::Violation(set) => return KeyResult::Violation(set),
        Prepared::Ops(ops) => ops,
    };
    if zones::applies(&ops) {
        return match zones::check(&ops) {
            Zones::Linearizable(order) => {
                KeyResult::Linearizable(order.into_iter().map(|p| ops[p].index).collect())
            }
            Zones::Violation(set) => {
                KeyResult::Violation(set.into_iter().map(|p| ops[p].index).collect())
            }
        };
    }
    match wgl::search(&ops, budget) {
        Search::Linearizable(order) => {
            KeyResult::Linearizable(order.into_iter().map(|p| ops[p].index).collect())
        }
        Search::Violation => KeyResult::Violation(ops.iter().map(|op| op.index).collect()),
        Search::Unknown { reason, longest } => KeyResult::Unknown {
            reason,
            longest: longest.into_iter().map(|p| ops[p].index).collect(),
        },
    }
}

/// Splits the history's operation indices by key, in key order.
pub(crate) fn by_key(history: &History) -> BTreeMap<Option<Key>, Vec<usize>> {
    let mut keys: BTreeMap<Option<Key>, Vec<usize>> = BTreeMap::new();
    for (i, op) in history.ops.iter().enumerate() {
        keys.entry(op.key).or_default().push(i);
    }
    keys
}

/// See [`crate::check`].
pub(crate) fn check(history: &History, options: &Options) -> Verdict {
    let start = Instant::now();
    let budget = Budget {
        max_steps: options.max_steps,
        deadline: options.max_time.map(|t| start + t),
        max_memory_bytes: options.max_memory_bytes,
    };
    let keys: Vec<(Option<Key>, Vec<usize>)> = by_key(history).into_iter().collect();
    let run = |(key, indices): &(Option<Key>, Vec<usize>)| {
        (*key, check_key(history, indices, options, &budget))
    };
    let results: Vec<(Option<Key>, KeyResult)> = if options.parallel && keys.len() > 1 {
        keys.par_iter().map(run).collect()
    } else {
        keys.iter().map(run).collect()
    };

    let mut witness = Vec::new();
    let mut unknown = None;
    for (key, result) in results {
        match result {
            KeyResult::Linearizable(ops) => witness.push(KeyOrder { key, ops }),
            KeyResult::Violation(hint) => {
                let all = keys
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                return Verdict::NotLinearizable {
                    explanation: explain::explain(history, key, &all, &hint, options, &budget),
                };
            }
            KeyResult::Unknown { reason, longest } => {
                if unknown.is_none() {
                    let reason = match key {
                        Some(k) => format!("{reason} on key {k}"),
                        None => reason,
                    };
                    unknown = Some(Verdict::Unknown {
                        reason,
                        partial: KeyOrder { key, ops: longest },
                    });
                }
            }
        }
    }
    if let Some(v) = unknown {
        return v;
    }
    Verdict::Linearizable { witness }
}
