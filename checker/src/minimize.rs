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
//! matter to the candidate (see [`Minimizer::universe`]). Every re-check counts against
//! [`Options::max_explain_steps`], the whole check's deadline and the memory budget; when
//! the budget runs out the smallest violating set found so far is returned.

use std::sync::atomic::Ordering;
use std::time::Instant;

use rustc_hash::FxHashMap;

use crate::history::{History, OpKind, Outcome};
use crate::options::Options;
use crate::pipeline::{KeyResult, check_key};
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

    /// Whether `set` violates (see the module docs). Out of budget, says no.
    pub(crate) fn violates(&mut self, set: &[usize]) -> bool {
        if set.is_empty() || self.out_of_budget() {
            return false;
        }
        self.checks += 1;
        let universe = self.universe(set);
        for &i in &universe {
            self.relaxed[i] = true;
        }
        for &i in set {
            self.relaxed[i] = false;
        }
        let result = check_key(self.history, &universe, self.options, &self.budget, Some(&self.relaxed));
        for &i in &universe {
            self.relaxed[i] = false;
        }
        matches!(result, KeyResult::Violation(_))
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
