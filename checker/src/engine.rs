//! Checks a whole history: split by key, check each key (`pipeline`), explain a violation.

use std::collections::BTreeMap;
use std::time::Instant;

use rayon::prelude::*;

use crate::explain;
use crate::history::{History, Key};
use crate::options::Options;
use crate::pipeline::{KeyResult, check_key};
use crate::segment::{Segmented, call_of, check_key_in_segments, cut_at, window_end};
use crate::verdict::{KeyOrder, Verdict};
use crate::wgl::Budget;

/// Splits the history's operation indices by key, in key order.
pub(crate) fn by_key(history: &History) -> BTreeMap<Option<Key>, Vec<usize>> {
    let mut keys: BTreeMap<Option<Key>, Vec<usize>> = BTreeMap::new();
    for (i, op) in history.ops.iter().enumerate() {
        keys.entry(op.key).or_default().push(i);
    }
    keys
}

/// When a register is checked in segments (see `segment`): registers of at least
/// `key_ops` operations, cut into segments of at least `min_segment` operations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cuts {
    pub(crate) key_ops: usize,
    pub(crate) min_segment: usize,
}

/// What [`crate::check`] does: registers of a million operations and more are checked in
/// segments of at least 4,096 operations, where they have quiescent points. Below that one
/// search over the whole register is as fast and keeps today's explanations unchanged.
pub(crate) const DEFAULT_CUTS: Cuts = Cuts { key_ops: 1 << 20, min_segment: 4096 };

/// Every register cut at every quiescent point ([`crate::check_segmented`]).
pub(crate) const ALL_CUTS: Cuts = Cuts { key_ops: 0, min_segment: 1 };

/// See [`crate::check`].
pub(crate) fn check(history: &History, options: &Options, cuts: Cuts) -> Verdict {
    let start = Instant::now();
    let deadline = options.max_time.map(|t| start + t);
    let budget = Budget::new(options.max_steps, deadline, options.max_memory_bytes);
    let keys: Vec<(Option<Key>, Vec<usize>)> = by_key(history).into_iter().collect();
    let run = |(key, indices): &(Option<Key>, Vec<usize>)| {
        if indices.len() < cuts.key_ops.max(1) {
            return (*key, check_key(history, indices, options, &budget, None));
        }
        let result = match check_key_in_segments(history, indices, options, deadline, cuts.min_segment) {
            Segmented::Linearizable(order) => KeyResult::Linearizable(order),
            Segmented::Violation { frontier } => {
                // The hint the whole check would find: its search over everything up to the
                // violation (and what is concurrent with it), if that is within the budget.
                let end = window_end(history, indices, options, frontier);
                let prefix: Vec<usize> = indices.iter().copied().filter(|&i| call_of(&history.ops[i]) <= end).collect();
                match check_key(history, &prefix, options, &budget, None) {
                    KeyResult::Violation(hint) => KeyResult::Violation(hint),
                    _ => KeyResult::Violation(cut_at(history, indices, options, frontier)),
                }
            }
            Segmented::Unknown { reason, longest } => KeyResult::Unknown { reason, longest },
            // The segments' orders may use an unknown operation twice: check it whole.
            Segmented::Undecided => check_key(history, indices, options, &budget, None),
        };
        (*key, result)
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
                let all = keys.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()).unwrap_or_default();
                return Verdict::NotLinearizable {
                    explanation: explain::explain(history, key, &all, &hint, options, budget.deadline),
                };
            }
            KeyResult::Unknown { reason, longest } => {
                if unknown.is_none() {
                    let reason = match key {
                        Some(k) => format!("{reason} on key {k}"),
                        None => reason,
                    };
                    unknown = Some(Verdict::Unknown { reason, partial: KeyOrder { key, ops: longest } });
                }
            }
        }
    }
    if let Some(v) = unknown {
        return v;
    }
    Verdict::Linearizable { witness }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{Anomaly, GenConfig, generate};
    use crate::prepare::{Prepared, prepare};
    use crate::wgl::{self, Search};
    use crate::zones::{self, Zones};

    /// Runs both the polynomial path and the search on the same prepared operations.
    fn both(history: &History) -> Option<(bool, bool)> {
        let indices: Vec<usize> = (0..history.ops.len()).collect();
        let Prepared::Ops(ops) = prepare(history, &indices, &Options::default(), None) else {
            return None;
        };
        assert!(zones::applies(&ops), "unique values should take the polynomial path");
        let zones_ok = matches!(zones::check(&ops), Zones::Linearizable(_));
        let budget = Budget::new(Some(50_000_000), None, 1 << 30);
        let wgl_ok = match wgl::search(&ops, &budget) {
            Search::Linearizable(_) => true,
            Search::Violation { .. } => false,
            Search::Unknown { reason, .. } => panic!("search gave up: {reason}"),
        };
        Some((zones_ok, wgl_ok))
    }

    #[test]
    fn zones_and_search_agree_on_unique_value_histories() {
        let mut violations = 0;
        for seed in 0..300 {
            let anomaly = match seed % 3 {
                0 => None,
                1 => Some(Anomaly::StaleRead),
                _ => Some(Anomaly::NeverWrittenRead),
            };
            let mut h = generate(&GenConfig {
                clients: 1 + (seed as usize % 6),
                ops: 60,
                timed_out_writes: seed as usize % 4,
                anomaly,
                seed,
                ..GenConfig::default()
            });
            // Shuffle a read's value now and then for violations of other shapes.
            if seed % 5 == 0
                && let Some(r) = h.ops.iter().position(|o| o.read_value().is_some())
            {
                h.ops[r].outcome = crate::Outcome::Ok { read: Some(seed % 7 + 1) };
            }
            if let Some((z, w)) = both(&h) {
                assert_eq!(z, w, "seed {seed}: zones say {z}, search says {w}");
                violations += usize::from(!z);
            }
        }
        assert!(violations > 20, "the test should see violations, saw {violations}");
    }

    #[test]
    fn generated_histories_get_the_verdict_they_were_built_for() {
        for seed in 0..40 {
            for (cas, reuse) in [(0.0, None), (0.3, None), (0.0, Some(4)), (0.3, Some(4))] {
                let config = GenConfig {
                    clients: 2 + seed as usize % 5,
                    ops: 150,
                    keys: 1 + seed as usize % 2,
                    cas_fraction: cas,
                    value_reuse: reuse,
                    timed_out_writes: 3,
                    failed_fraction: 0.1,
                    seed,
                    ..GenConfig::default()
                };
                let good = generate(&config);
                assert!(crate::check(&good, &Options::default()).is_linearizable(), "seed {seed} {config:?}");
                let bad =
                    generate(&GenConfig { anomaly: Some(crate::generator::Anomaly::StaleRead), ..config.clone() });
                if bad != good {
                    assert!(crate::check(&bad, &Options::default()).is_violation(), "seed {seed} {config:?}");
                }
            }
        }
    }
}
