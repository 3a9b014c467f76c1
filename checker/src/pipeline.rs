//! The per-key checking pipeline: reduce, then the polynomial path or the search.
//!
//! Used by the whole check (`engine`) and by every re-check of a candidate explanation
//! (`minimize`), which is why it lives apart from both.

use crate::history::History;
use crate::options::Options;
use crate::prepare::{Op, Prepared, merge_unobserved, prepare};
use crate::wgl::{self, Budget, Search};
use crate::zones::{self, Zones};

/// The verdict on one register, in history indices.
pub(crate) enum KeyResult {
    Linearizable(Vec<usize>),
    /// Indices of operations that cannot be ordered even when every other operation of the
    /// key is relaxed: a starting point for the explanation, usually far smaller than the
    /// key's history.
    Violation(Vec<usize>),
    Unknown {
        reason: String,
        longest: Vec<usize>,
    },
}

/// The operations that returned by `frontier` (and the optional ones invoked by then), in
/// history indices: a violation when the search's dead ends all came by `frontier`.
fn cut(ops: &[Op], frontier: u64) -> Vec<usize> {
    ops.iter()
        .filter(|op| if op.required { op.ret <= frontier } else { op.call <= frontier })
        .map(|op| op.index)
        .collect()
}

/// Checks the operations `indices` of `history`, all on one register.
///
/// With `relaxed`, operations whose flag is set are weakened (see [`prepare`]).
pub(crate) fn check_key(
    history: &History,
    indices: &[usize],
    options: &Options,
    budget: &Budget,
    relaxed: Option<&[bool]>,
) -> KeyResult {
    check_key_with(history, indices, options, budget, relaxed, &mut true)
}

/// [`check_key`], trying the weakened first pass of [`run`] only if `weak_first` (which is
/// cleared when that pass could not decide) or if many operations never returned (the exact
/// search alone would be exponential in them).
pub(crate) fn check_key_with(
    history: &History,
    indices: &[usize],
    options: &Options,
    budget: &Budget,
    relaxed: Option<&[bool]>,
    weak_first: &mut bool,
) -> KeyResult {
    match prepare(history, indices, options, relaxed) {
        Prepared::Violation(set) => KeyResult::Violation(set),
        Prepared::Ops(ops) => match run_with(ops, budget, weak_first) {
            Run::Linearizable(order) => KeyResult::Linearizable(order),
            Run::Violation { set, .. } => KeyResult::Violation(set),
            Run::Unknown { reason, longest } => KeyResult::Unknown { reason, longest },
        },
    }
}

/// What [`run`] found, in history indices (virtual operations included: see
/// `prepare::Virtual`; callers that add them filter them out).
pub(crate) enum Run {
    Linearizable(Vec<usize>),
    /// `set` cannot be ordered; `frontier` is a time (shifted by one, as in `prepare::Op`)
    /// by which every operation of `set` that must take effect has returned: the
    /// operations that returned by then (and the optional ones invoked by then) cannot be
    /// ordered either.
    Violation {
        set: Vec<usize>,
        frontier: u64,
    },
    Unknown {
        reason: String,
        longest: Vec<usize>,
    },
}

/// The latest return of the operations of `set` (positions in `ops`) that must take
/// effect, or invocation of those that may not: a frontier (see [`Run::Violation`]).
fn frontier_of(ops: &[Op], set: &[usize]) -> u64 {
    set.iter().map(|&p| if ops[p].required { ops[p].ret } else { ops[p].call }).max().unwrap_or(0)
}

/// Checks prepared operations: the polynomial path or the search.
pub(crate) fn run(ops: Vec<Op>, budget: &Budget) -> Run {
    run_with(ops, budget, &mut true)
}

/// With more optional operations that never returned than this, [`run_with`] always tries
/// the weakened pass first.
const ALWAYS_WEAK_FROM: usize = 8;

/// [`run`], with the first, weakened pass over optional operations (`weak_first`) or without.
fn run_with(mut ops: Vec<Op>, budget: &Budget, weak_first: &mut bool) -> Run {
    if zones::applies(&ops) {
        return match zones::check(&ops) {
            Zones::Linearizable(order) => Run::Linearizable(order.into_iter().map(|p| ops[p].index).collect()),
            Zones::Violation(set) => Run::Violation {
                frontier: frontier_of(&ops, &set),
                set: set.into_iter().map(|p| ops[p].index).collect(),
            },
        };
    }
    merge_unobserved(&mut ops);
    // Operations that may or may not have taken effect make the exact search exponential.
    // First let each of them take effect any number of times (after its invocation): that only weakens the
    // history, and its memo does not track them, so it is cheap. A violation then is a
    // violation; an order that uses each at most once is an order of the real history.
    // (An exact search over many operations that never returned can cost far more than
    // both passes: then the first pass is always tried.)
    let many_unreturned = || ops.iter().filter(|op| !op.required && op.ret == u64::MAX).count() > ALWAYS_WEAK_FROM;
    if (*weak_first || many_unreturned()) && ops.iter().any(|op| !op.required) {
        let mut weak = ops.clone();
        for op in weak.iter_mut().filter(|op| !op.required) {
            op.repeat = true;
        }
        match wgl::search(&weak, budget) {
            Search::Violation { frontier } => return Run::Violation { set: cut(&ops, frontier), frontier },
            Search::Linearizable(order) => {
                // (Operations that may repeat in the history itself, carried ones, may.)
                let mut used = vec![false; ops.len()];
                if order.iter().all(|&p| ops[p].repeat || !std::mem::replace(&mut used[p], true)) {
                    return Run::Linearizable(order.into_iter().map(|p| ops[p].index).collect());
                }
            }
            Search::Unknown { .. } => {}
        }
        *weak_first = false;
    }
    match wgl::search(&ops, budget) {
        Search::Linearizable(order) => Run::Linearizable(order.into_iter().map(|p| ops[p].index).collect()),
        Search::Violation { frontier } => Run::Violation { set: cut(&ops, frontier), frontier },
        Search::Unknown { reason, longest } => {
            Run::Unknown { reason, longest: longest.into_iter().map(|p| ops[p].index).collect() }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{Anomaly, GenConfig, generate};

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
                Search::Violation { .. } => false,
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
    fn with_many_operations_that_never_returned_the_weakened_pass_is_always_tried() {
        let h = generate(&GenConfig {
            clients: 5,
            ops: 200,
            value_reuse: Some(3),
            timed_out_writes: 30,
            anomaly: Some(Anomaly::StaleRead),
            seed: 11,
            ..GenConfig::default()
        });
        let all: Vec<usize> = (0..h.ops.len()).collect();
        let steps = |weak_first: bool| {
            let budget = Budget::new(Some(20_000_000), None, 1 << 30);
            let mut weak = weak_first;
            let violation = matches!(
                check_key_with(&h, &all, &Options::default(), &budget, None, &mut weak),
                KeyResult::Violation(_)
            );
            (violation, budget.spent.load(std::sync::atomic::Ordering::Relaxed))
        };
        let Prepared::Ops(ops) = prepare(&h, &all, &Options::default(), None) else { panic!("prepared") };
        assert!(ops.iter().filter(|op| !op.required && op.ret == u64::MAX).count() > ALWAYS_WEAK_FROM);
        let (with, without) = (steps(true), steps(false));
        assert!(with.0, "the stale read is found");
        assert_eq!(with, without, "asked to skip it, the check still takes the weakened pass");
        // The exact search alone takes other steps: the equality above says the weakened pass
        // ran. (Here it is no dearer; with many such operations in a violation's window it
        // can be exponentially so.)
        let budget = Budget::new(Some(20_000_000), None, 1 << 30);
        let mut merged = ops.clone();
        merge_unobserved(&mut merged);
        assert!(!matches!(wgl::search(&merged, &budget), Search::Linearizable(_)));
        assert_ne!(budget.spent.load(std::sync::atomic::Ordering::Relaxed), with.1);
    }

    #[test]
    fn the_search_hint_is_a_violation_and_much_smaller_than_the_history() {
        let h = generate(&GenConfig {
            clients: 5,
            ops: 2_000,
            value_reuse: Some(9),
            timed_out_writes: 16,
            anomaly: Some(Anomaly::StaleRead),
            seed: 3,
            ..GenConfig::default()
        });
        let all: Vec<usize> = (0..h.ops.len()).collect();
        let budget = Budget::new(Some(50_000_000), None, 1 << 30);
        let KeyResult::Violation(hint) = check_key(&h, &all, &Options::default(), &budget, None) else {
            panic!("the stale read should be found");
        };
        assert!(hint.len() < h.ops.len(), "hint of {} ops", hint.len());
        // With everything outside the hint relaxed, still a violation.
        let mut relaxed = vec![true; h.ops.len()];
        for &i in &hint {
            relaxed[i] = false;
        }
        assert!(matches!(check_key(&h, &all, &Options::default(), &budget, Some(&relaxed)), KeyResult::Violation(_)));
    }
}
