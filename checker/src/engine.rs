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
    Unknown {
        reason: String,
        longest: Vec<usize>,
    },
}

/// Checks the operations `indices` of `history`, all on one register.
pub(crate) fn check_key(
    history: &History,
    indices: &[usize],
    options: &Options,
    budget: &Budget,
    relaxed: Option<&[bool]>,
) -> KeyResult {
    let ops = match prepare(history, indices, options, relaxed) {
        Prepared::Violation(set) => return KeyResult::Violation(set),
        Prepared::Ops(ops) => ops,
    };
    if zones::applies(&ops) {
        return match zones::check(&ops) {
            Zones::Linearizable(order) => KeyResult::Linearizable(order.into_iter().map(|p| ops[p].index).collect()),
            Zones::Violation(set) => KeyResult::Violation(set.into_iter().map(|p| ops[p].index).collect()),
        };
    }
    // Operations that may or may not have taken effect make the exact search exponential.
    // First let each of them take effect any number of times: that only weakens the
    // history, and its memo does not track them, so it is cheap. A violation then is a
    // violation; an order that uses each at most once is an order of the real history.
    if ops.iter().any(|op| !op.required && op.ret == u64::MAX) {
        let mut weak = ops.clone();
        for op in weak.iter_mut().filter(|op| !op.required && op.ret == u64::MAX) {
            op.repeat = true;
        }
        match wgl::search(&weak, budget) {
            Search::Violation => return KeyResult::Violation(ops.iter().map(|op| op.index).collect()),
            Search::Linearizable(order) => {
                let mut used = vec![false; ops.len()];
                if order.iter().all(|&p| !std::mem::replace(&mut used[p], true)) {
                    return KeyResult::Linearizable(order.into_iter().map(|p| ops[p].index).collect());
                }
            }
            Search::Unknown { .. } => {}
        }
    }
    match wgl::search(&ops, budget) {
        Search::Linearizable(order) => KeyResult::Linearizable(order.into_iter().map(|p| ops[p].index).collect()),
        Search::Violation => KeyResult::Violation(ops.iter().map(|op| op.index).collect()),
        Search::Unknown { reason, longest } => {
            KeyResult::Unknown { reason, longest: longest.into_iter().map(|p| ops[p].index).collect() }
        }
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
    let budget = Budget::new(options.max_steps, options.max_time.map(|t| start + t), options.max_memory_bytes);
    let keys: Vec<(Option<Key>, Vec<usize>)> = by_key(history).into_iter().collect();
    let run = |(key, indices): &(Option<Key>, Vec<usize>)| (*key, check_key(history, indices, options, &budget, None));
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
                    explanation: explain::explain(history, key, &all, &hint, options, &budget),
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
            Search::Violation => false,
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
    fn the_any_number_of_times_pass_agrees_with_the_exact_search() {
        let budget = Budget::new(Some(20_000_000), None, 1 << 30);
        let mut seen = [0usize; 2];
        for seed in 0..200u64 {
            let mut h = generate(&GenConfig {
                clients: 2 + seed as usize % 4,
                ops: 40,
                cas_fraction: if seed % 2 == 0 { 0.3 } else { 0.0 },
                value_reuse: Some(3),
                timed_out_writes: 2 + seed as usize % 5,
                anomaly: (seed % 3 == 0).then_some(Anomaly::StaleRead),
                seed,
                ..GenConfig::default()
            });
            if seed % 4 == 1
                && let Some(r) = h.ops.iter().rposition(|o| o.read_value().is_some())
            {
                h.ops[r].outcome = crate::Outcome::Ok { read: Some(1 + seed % 3) };
            }
            let indices: Vec<usize> = (0..h.ops.len()).collect();
            let Prepared::Ops(ops) = prepare(&h, &indices, &Options::default(), None) else { continue };
            let exact = match wgl::search(&ops, &budget) {
                Search::Linearizable(_) => true,
                Search::Violation => false,
                Search::Unknown { reason, .. } => panic!("seed {seed}: exact search gave up: {reason}"),
            };
            let two_phase = match check_key(&h, &indices, &Options::default(), &budget, None) {
                KeyResult::Linearizable(_) => true,
                KeyResult::Violation(_) => false,
                KeyResult::Unknown { reason, .. } => panic!("seed {seed}: gave up: {reason}"),
            };
            assert_eq!(exact, two_phase, "seed {seed}");
            seen[usize::from(exact)] += 1;
        }
        assert!(seen[0] > 20 && seen[1] > 20, "both verdicts should occur: {seen:?}");
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
                assert!(check(&good, &Options::default()).is_linearizable(), "seed {seed} {config:?}");
                let bad =
                    generate(&GenConfig { anomaly: Some(crate::generator::Anomaly::StaleRead), ..config.clone() });
                if bad != good {
                    assert!(check(&bad, &Options::default()).is_violation(), "seed {seed} {config:?}");
                }
            }
        }
    }
}
