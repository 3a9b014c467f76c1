//! Shrinks a violation to a small set of operations that still cannot be ordered, within
//! the budget.
//!
//! "S violates" means: S cannot be ordered even when every other operation of the key is
//! relaxed (other writes and compare-and-sets may or may not take effect within their own
//! interval, other reads are forgotten). Relaxing only adds behaviours, so this is
//! monotone in S, and a 1-minimal S is a self-contained reason that nothing else in the
//! history can explain away.
//!
//! The search hands over a violating set already (the operations that returned by its
//! last dead end, see `pipeline::check_key`). From there: grow a window of the latest
//! operations of that set backwards (1, 2, 4, ... operations by return time) until it
//! violates, since the conflict is almost always right before the dead end; then delta-debug
//! the window down to a 1-minimal set. Every re-check only sees the operations that can
//! matter to the candidate (see [`Minimizer::universe`]), and none is run for a set the
//! answers so far settle (inside an orderable set, or around a violating one). Every
//! re-check counts against [`Options::max_explain_steps`], the whole check's deadline and
//! the memory budget; when the budget runs out the smallest violating set found so far is
//! returned.

use std::sync::atomic::Ordering;
use std::time::Instant;

use rustc_hash::FxHashMap;

use crate::history::{History, OpKind, Outcome};
use crate::options::Options;
use crate::pipeline::{KeyResult, check_key_with};
use crate::wgl::Budget;

/// Most search steps one re-check may take (a re-check that runs out counts as "orderable",
/// which keeps the set a violation, just maybe not minimal).
const STEPS_PER_CHECK: u64 = 2_000_000;

pub(crate) struct Minimizer<'a> {
    history: &'a History,
    /// The key's operations, by invocation time.
    all: Vec<usize>,
    options: &'a Options,
    deadline: Option<Instant>,
    budget: Budget,
    /// Re-checks run so far.
    pub(crate) checks: usize,
    relaxed: Vec<bool>,
    /// Marks the operations of the set a re-check is asked about (all false between re-checks).
    in_set: Vec<bool>,
    /// The sets asked about so far (sorted) and the answers. Since violating is monotone,
    /// a set inside one that can be ordered can be ordered, and a set around a violation
    /// violates: delta debugging asks about some sets twice (the window it starts from among
    /// them), and about others that such an answer settles.
    answers: Vec<(Vec<usize>, bool)>,
    /// Whether re-checks still try the search's weakened first pass (see `pipeline::run`).
    weak_first: bool,
}

/// Whether every element of `a` is in `b` (both sorted).
fn is_subset(a: &[usize], b: &[usize]) -> bool {
    if a.len() > b.len() {
        return false;
    }
    let mut rest = b.iter();
    a.iter().all(|x| rest.any(|y| y == x))
}

/// The time an operation must have taken effect by, if it must take effect at all.
fn required_end(history: &History, i: usize, options: &Options) -> Option<u64> {
    let op = &history.ops[i];
    let required = match op.outcome {
        Outcome::Ok { .. } => true,
        Outcome::Failed => options.strict_failed_cas && matches!(op.kind, OpKind::Cas { .. }),
        Outcome::Unknown => false,
    };
    if required { Some(op.complete.unwrap_or(u64::MAX).max(op.invoke)) } else { None }
}

impl<'a> Minimizer<'a> {
    pub(crate) fn new(history: &'a History, all: &[usize], options: &'a Options, deadline: Option<Instant>) -> Self {
        let mut all = all.to_vec();
        all.sort_by_key(|&i| (history.ops[i].invoke, i));
        let per_check = options.max_steps.map_or(STEPS_PER_CHECK, |s| s.min(STEPS_PER_CHECK));
        Minimizer {
            history,
            all,
            options,
            deadline,
            budget: Budget::new(Some(per_check), deadline, options.max_memory_bytes),
            checks: 0,
            relaxed: vec![false; history.ops.len()],
            in_set: vec![false; history.ops.len()],
            answers: Vec::new(),
            weak_first: true,
        }
    }

    /// Search steps spent on re-checks so far.
    pub(crate) fn spent(&self) -> u64 {
        self.budget.spent.load(Ordering::Relaxed)
    }

    pub(crate) fn out_of_budget(&self) -> bool {
        self.spent() >= self.options.max_explain_steps || self.deadline.is_some_and(|d| Instant::now() > d)
    }

    /// The operations a re-check of `set` must see: those invoked by the time the last
    /// required operation of `set` returned (an operation invoked later comes after all of
    /// them, and with all of them placed nothing is left to order); and, when everything
    /// invoked before the first required operation of `set` is a plain write, of the
    /// writes that returned before then only the latest-returning one per value. Those can
    /// only set the register before any required operation, and only the last one placed
    /// counts, so any order using others can use that one instead (its interval ends no
    /// earlier).
    fn universe(&mut self, set: &[usize]) -> Vec<usize> {
        let ops = &self.history.ops;
        let ends: Vec<u64> = set.iter().filter_map(|&i| required_end(self.history, i, self.options)).collect();
        let upper = ends.iter().copied().max().unwrap_or(0);
        let start = set
            .iter()
            .filter(|&&i| required_end(self.history, i, self.options).is_some())
            .map(|&i| ops[i].invoke)
            .min()
            .unwrap_or(0);
        // (A mark per operation of the history, kept between re-checks and cleared after.)
        let mut in_set = std::mem::take(&mut self.in_set);
        for &i in set {
            in_set[i] = true;
        }
        let matters = |i: usize| {
            let op = &ops[i];
            op.outcome != Outcome::Failed && op.kind != OpKind::Read || in_set[i]
        };
        let early: Vec<usize> =
            self.all.iter().copied().take_while(|&i| ops[i].invoke < start).filter(|&i| matters(i)).collect();
        let plain = early.iter().all(|&i| matches!(ops[i].kind, OpKind::Write(_)));
        let mut keep: Vec<usize> = Vec::new();
        if plain {
            // Per value, the latest-returning write that returned before `start`.
            let mut latest: FxHashMap<u64, usize> = FxHashMap::default();
            for &i in &early {
                let op = &ops[i];
                let done = op.outcome != Outcome::Unknown && op.complete.is_some_and(|c| c < start);
                if done && !in_set[i] {
                    if let OpKind::Write(v) = op.kind {
                        let e = latest.entry(v).or_insert(i);
                        if ops[*e].complete < op.complete {
                            *e = i;
                        }
                    }
                } else {
                    keep.push(i);
                }
            }
            keep.extend(latest.into_values());
        } else {
            keep.extend(early);
        }
        keep.extend(
            self.all.iter().copied().skip_while(|&i| ops[i].invoke < start).take_while(|&i| ops[i].invoke <= upper),
        );
        for &i in set {
            in_set[i] = false;
        }
        self.in_set = in_set;
        keep.sort_unstable();
        keep
    }

    /// What the answers so far say of `set` (sorted), if they settle it.
    fn known(&self, set: &[usize]) -> Option<bool> {
        self.answers.iter().find_map(|(asked, violates)| {
            let settles = if *violates { is_subset(asked, set) } else { is_subset(set, asked) };
            settles.then_some(*violates)
        })
    }

    /// Whether `set` violates (see the module docs). Out of budget, says no.
    pub(crate) fn violates(&mut self, set: &[usize]) -> bool {
        if set.is_empty() || self.out_of_budget() {
            return false;
        }
        let mut key = set.to_vec();
        key.sort_unstable();
        key.dedup();
        if let Some(known) = self.known(&key) {
            return known;
        }
        self.checks += 1;
        let universe = self.universe(set);
        for &i in &universe {
            self.relaxed[i] = true;
        }
        for &i in set {
            self.relaxed[i] = false;
        }
        let result = check_key_with(
            self.history,
            &universe,
            self.options,
            &self.budget,
            Some(&self.relaxed),
            &mut self.weak_first,
        );
        for &i in &universe {
            self.relaxed[i] = false;
        }
        let violates = matches!(result, KeyResult::Violation(_));
        // (A re-check that ran out of budget is not an answer to keep.)
        if !matches!(result, KeyResult::Unknown { .. }) {
            self.answers.push((key, violates));
        }
        violates
    }

    /// A violating subset of `hint` (itself a violation), as small as the budget allows:
    /// 1-minimal unless the budget ran out.
    pub(crate) fn minimize(&mut self, hint: &[usize]) -> Vec<usize> {
        let ops = &self.history.ops;
        let mut set = hint.to_vec();
        set.sort_unstable();
        set.dedup();
        // Latest returns first: the conflict sits right before the search's dead end.
        let end = |i: usize| match ops[i].outcome {
            Outcome::Unknown => ops[i].invoke,
            _ => ops[i].complete.unwrap_or(u64::MAX),
        };
        let mut by_end = set.clone();
        by_end.sort_by_key(|&i| (std::cmp::Reverse(end(i)), std::cmp::Reverse(i)));
        let mut k = 1;
        while k < by_end.len() && !self.out_of_budget() {
            let window = &by_end[..k];
            if self.violates(window) {
                set = window.to_vec();
                break;
            }
            k *= 2;
        }
        self.shrink(set)
    }

    /// Delta debugging: drop chunks while the rest still violates, halving the chunk size.
    /// Later operations go first, so the explanation keeps the earliest cause.
    fn shrink(&mut self, mut set: Vec<usize>) -> Vec<usize> {
        let history = self.history;
        set.sort_by_key(|&i| (history.ops[i].invoke, i));
        let mut chunk = set.len().div_ceil(2).max(1);
        'outer: loop {
            let mut end = set.len();
            while end > 0 && set.len() > 1 {
                if self.out_of_budget() {
                    break 'outer;
                }
                let start = end.saturating_sub(chunk);
                let rest: Vec<usize> = set[..start].iter().chain(&set[end..]).copied().collect();
                if self.violates(&rest) {
                    set = rest;
                    end = start.min(set.len());
                } else {
                    end = start;
                }
            }
            if chunk == 1 {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
        set.sort_unstable();
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{Anomaly, GenConfig, generate};
    use crate::pipeline::check_key;

    fn violating(seed: u64) -> Option<(History, Vec<usize>, Vec<usize>)> {
        let h = generate(&GenConfig {
            clients: 3 + seed as usize % 3,
            ops: 60,
            cas_fraction: if seed.is_multiple_of(2) { 0.3 } else { 0.0 },
            value_reuse: Some(3),
            timed_out_writes: 3 + seed as usize % 4,
            anomaly: Some(Anomaly::StaleRead),
            seed,
            ..GenConfig::default()
        });
        let all: Vec<usize> = (0..h.ops.len()).collect();
        let budget = Budget::new(Some(20_000_000), None, 1 << 30);
        match check_key(&h, &all, &Options::default(), &budget, None) {
            KeyResult::Violation(hint) => Some((h, all, hint)),
            _ => None,
        }
    }

    #[test]
    fn subsets_of_sorted_sets() {
        assert!(is_subset(&[], &[1]) && is_subset(&[1, 3], &[1, 2, 3]) && is_subset(&[2], &[2]));
        assert!(!is_subset(&[1, 4], &[1, 2, 3]) && !is_subset(&[0], &[1]) && !is_subset(&[1, 2], &[2]));
    }

    #[test]
    fn a_set_the_answers_so_far_settle_is_answered_without_a_search() {
        let mut tried = 0;
        for seed in 0..20 {
            let Some((h, all, hint)) = violating(seed) else { continue };
            let options = Options::default();
            let mut m = Minimizer::new(&h, &all, &options, None);
            let core = m.minimize(&hint);
            let (checks, spent) = (m.checks, m.spent());
            let mut reversed = core.clone();
            reversed.reverse();
            assert!(m.violates(&core) && m.violates(&reversed), "seed {seed}: the core violates");
            assert_eq!((m.checks, m.spent()), (checks, spent), "seed {seed}: answered from what was asked");
            // Around the core: a violation, without a search.
            let mut around = core.clone();
            around.extend(all.iter().filter(|i| !core.contains(i)).take(3));
            assert!(m.violates(&around));
            assert_eq!(m.checks, checks, "seed {seed}: a set around a violation violates");
            // The core less one operation can be ordered (it is 1-minimal), and then so can
            // that set less another, without a search.
            if core.len() >= 3 {
                let less_one = core[1..].to_vec();
                assert!(!m.violates(&less_one), "seed {seed}: the core is 1-minimal");
                let checks = m.checks;
                assert!(!m.violates(&less_one[1..]));
                assert_eq!(m.checks, checks, "seed {seed}: a set inside one that can be ordered can be");
            }
            // A fresh minimizer has to check, and agrees.
            let mut fresh = Minimizer::new(&h, &all, &options, None);
            assert!(fresh.violates(&core) && fresh.checks == 1);
            tried += 1;
        }
        assert!(tried >= 10, "only {tried} histories had a violation");
    }

    /// Re-checks skip the weakened first pass once it fails to decide: the answers must be
    /// those of both passes.
    #[test]
    fn re_checks_with_and_without_the_weakened_pass_agree() {
        let budget = Budget::new(Some(20_000_000), None, 1 << 30);
        let options = Options::default();
        let mut seen = [0usize; 2];
        for seed in 0..40 {
            let Some((h, all, hint)) = violating(seed) else { continue };
            // Sets of the kind minimizing asks about: windows of the hint, and the hint
            // with one operation left out.
            let mut sets: Vec<Vec<usize>> =
                (1..=hint.len()).step_by(2).map(|k| hint[hint.len() - k..].to_vec()).collect();
            sets.extend(
                (0..hint.len())
                    .map(|skip| (hint.iter().enumerate()).filter(|&(j, _)| j != skip).map(|(_, &i)| i).collect()),
            );
            for set in sets {
                let mut relaxed = vec![true; h.ops.len()];
                for &i in &set {
                    relaxed[i] = false;
                }
                let answer = |weak: bool| {
                    let mut weak = weak;
                    match check_key_with(&h, &all, &options, &budget, Some(&relaxed), &mut weak) {
                        KeyResult::Violation(_) => true,
                        KeyResult::Linearizable(_) => false,
                        KeyResult::Unknown { reason, .. } => panic!("seed {seed}: gave up: {reason}"),
                    }
                };
                let both = answer(true);
                assert_eq!(both, answer(false), "seed {seed}, set {set:?}");
                seen[usize::from(both)] += 1;
            }
        }
        assert!(seen[0] > 20 && seen[1] > 20, "both answers should occur: {seen:?}");
    }
}
