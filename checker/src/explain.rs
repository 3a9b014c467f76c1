//! Shrinks a violation to a minimal set of operations and says in words what is wrong.

use std::time::Instant;

use crate::engine::{KeyResult, check_key};
use crate::history::{History, Key, OpKind, Operation, Outcome, TimeUnit, describe_op, value_words};
use crate::options::Options;
use crate::verdict::Explanation;
use crate::wgl::Budget;

/// Most re-checks one minimization may run.
const MAX_CHECKS: usize = 4000;
/// Most search steps one re-check may take.
const STEPS_PER_CHECK: u64 = 2_000_000;

pub(crate) fn explain(
    history: &History,
    key: Option<Key>,
    all: &[usize],
    hint: &[usize],
    options: &Options,
    budget: &Budget,
) -> Explanation {
    let ops = if options.minimize {
        minimize(history, all, hint, options, budget)
    } else {
        let mut h = hint.to_vec();
        h.sort_unstable();
        h
    };
    let unit = options.time_unit.unwrap_or(history.time_unit);
    let sentence = sentence(history, &ops, unit);
    Explanation {
        key,
        op_descriptions: ops.iter().map(|&i| describe_op(&history.ops[i], unit)).collect(),
        ops,
        sentence,
    }
}

struct Minimizer<'a> {
    history: &'a History,
    options: &'a Options,
    budget: Budget,
    checks: usize,
}

impl Minimizer<'_> {
    fn out_of_budget(&self) -> bool {
        self.checks >= MAX_CHECKS || self.budget.deadline.is_some_and(|d| Instant::now() > d)
    }

    fn violates(&mut self, set: &[usize]) -> bool {
        self.checks += 1;
        matches!(
            check_key(self.history, set, self.options, &self.budget),
            KeyResult::Violation(_)
        )
    }
}

/// A subset of `all` that is still a violation, as small as the budget allows: 1-minimal
/// (no single operation can be dropped) unless the budget ran out.
fn minimize(history: &History, all: &[usize], hint: &[usize], options: &Options, budget: &Budget) -> Vec<usize> {
    let mut m = Minimizer {
        history,
        options,
        budget: Budget {
            max_steps: Some(options.max_steps.map_or(STEPS_PER_CHECK, |s| s.min(STEPS_PER_CHECK))),
            deadline: budget.deadline,
            max_memory_bytes: budget.max_memory_bytes,
        },
        checks: 0,
    };
    let by_invoke = |v: &mut Vec<usize>| v.sort_by_key(|&i| (history.ops[i].invoke, i));
    let mut set: Vec<usize> = hint.to_vec();
    by_invoke(&mut set);
    set.dedup();
    if set.len() >= all.len() || !m.violates(&set) {
        set = all.to_vec();
        by_invoke(&mut set);
        // The shortest violating prefix by invocation time, by bisection (prefixes are not
        // monotone, but the invariant "hi violates" holds throughout).
        let (mut lo, mut hi) = (1usize, set.len());
        while lo < hi && !m.out_of_budget() {
            let mid = lo + (hi - lo) / 2;
            if m.violates(&set[..mid]) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        set.truncate(hi);
    }
    // Delta debugging: drop chunks while the rest still violates, halving the chunk size.
    let mut chunk = set.len().div_ceil(2).max(1);
    loop {
        let mut i = 0;
        while i < set.len() && set.len() > 1 {
            if m.out_of_budget() {
                set.sort_unstable();
                return set;
            }
            let end = (i + chunk).min(set.len());
            let rest: Vec<usize> = set[..i].iter().chain(&set[end..]).copied().collect();
            if !rest.is_empty() && m.violates(&rest) {
                set = rest;
            } else {
                i = end;
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

fn span(op: &Operation, unit: TimeUnit) -> String {
    unit.span(op.invoke, op.complete)
}

fn writes(op: &Operation) -> Option<u64> {
    if matches!(op.outcome, Outcome::Failed) {
        return None;
    }
    match op.kind {
        OpKind::Write(v) => Some(v),
        OpKind::Cas { new, .. } => Some(new),
        OpKind::Read => None,
    }
}

fn write_words(op: &Operation) -> String {
    match op.kind {
        OpKind::Cas { expected, new } => {
            format!("the compare-and-set of {expected} to {new} by client {}", op.client)
        }
        _ => format!("the write of {} by client {}", writes(op).unwrap_or(0), op.client),
    }
}

fn ends_before(a: &Operation, b: &Operation) -> bool {
    matches!(a.outcome, Outcome::Ok { .. }) && a.complete.is_some_and(|c| c < b.invoke)
}

/// One or two plain sentences about why `set` (indices into `history`) cannot be ordered.
fn sentence(history: &History, set: &[usize], unit: TimeUnit) -> String {
    let ops: Vec<&Operation> = set.iter().map(|&i| &history.ops[i]).collect();
    let reads: Vec<&Operation> = ops.iter().copied().filter(|o| o.read_value().is_some()).collect();

    for r in &reads {
        let v = r.read_value().flatten();
        let writers_of_v: Vec<&Operation> =
            ops.iter().copied().filter(|o| v.is_some() && writes(o) == v).collect();
        // A read of a value that was never written (or whose writes all failed).
        if let Some(v) = v
            && writers_of_v.is_empty()
        {
            let key = r.key;
            let failed = history.ops.iter().any(|o| {
                o.key == key && matches!(o.outcome, Outcome::Failed) && matches!(o.kind, OpKind::Write(x) | OpKind::Cas { new: x, .. } if x == v)
            });
            let why = if failed {
                format!("every operation that would have written {v} failed, so none took effect")
            } else {
                format!("no operation ever wrote {v}")
            };
            return format!("client {} read {v} at {}, but {why}.", r.client, span(r, unit));
        }
        // A read that finishes before the only write of its value starts.
        if let [w] = writers_of_v[..]
            && ends_before(r, w)
        {
            return format!(
                "client {} read {} at {}, but {} only started at {}.",
                r.client,
                value_words(v),
                span(r, unit),
                write_words(w),
                unit.point(w.invoke)
            );
        }
        // A stale read: another value was written after every write of this one, and
        // finished before the read began.
        for o in &ops {
            let Some(u) = writes(o) else { continue };
            if Some(u) == v || !ends_before(o, r) {
                continue;
            }
            if !writers_of_v.iter().all(|w| ends_before(w, o)) {
                continue;
            }
            let done = unit.point(o.complete.unwrap_or(o.invoke));
            return match v {
                Some(v) => format!(
                    "client {} read {v} at {}, but {} finished at {done} and no write of {v} can come after it.",
                    r.client,
                    span(r, unit),
                    write_words(o),
                ),
                None => format!(
                    "client {} read the empty register at {}, but {} had already finished at {done}.",
                    r.client,
                    span(r, unit),
                    write_words(o),
                ),
            };
        }
    }
    // A compare-and-set whose expected value was never written.
    for o in &ops {
        if let (OpKind::Cas { expected, .. }, Outcome::Ok { .. }) = (o.kind, o.outcome)
            && !ops.iter().any(|w| writes(w) == Some(expected))
        {
            return format!(
                "client {} swapped {expected} at {}, but no operation ever wrote {expected}.",
                o.client,
                span(o, unit)
            );
        }
    }
    let list: Vec<String> = ops.iter().map(|o| describe_op(o, unit)).collect();
    format!(
        "These {} operations cannot be put in any one order that respects their times and \
         what the register returned: {}.",
        ops.len(),
        list.join("; ")
    )
}
