//! Shrinks a violation to a minimal set of operations and says in words what is wrong.

use std::sync::atomic::Ordering;
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
    /// The operations of the key that can matter.
    all: Vec<usize>,
    options: &'a Options,
    budget: Budget,
    checks: usize,
}

impl Minimizer<'_> {
    fn out_of_budget(&self) -> bool {
        self.checks >= MAX_CHECKS
            || self.budget.spent.load(Ordering::Relaxed) > self.options.max_explain_steps
            || self.budget.deadline.is_some_and(|d| Instant::now() > d)
    }

    /// Whether `set` cannot be ordered even when every other operation of the key is
    /// relaxed: other writes and compare-and-sets may take effect any number of times after
    /// their invocation, or never; other reads are forgotten. Adding operations to `set`
    /// only adds constraints, so this is monotone, and a minimal `set` is a self-contained
    /// reason that nothing else in the history can explain away.
    fn violates(&mut self, set: &[usize]) -> bool {
        self.checks += 1;
        let mut relaxed = vec![false; self.history.ops.len()];
        for &i in &self.all {
            relaxed[i] = true;
        }
        for &i in set {
            relaxed[i] = false;
        }
        matches!(
            check_key(self.history, &self.all, self.options, &self.budget, Some(&relaxed)),
            KeyResult::Violation(_)
        )
    }
}

/// A subset of `all` that is still a violation with every other operation relaxed (see
/// [`Minimizer::violates`]), as small as the budget allows: 1-minimal unless it ran out.
fn minimize(history: &History, all: &[usize], hint: &[usize], options: &Options, budget: &Budget) -> Vec<usize> {
    let mut m = Minimizer {
        history,
        all: all.to_vec(),
        options,
        budget: Budget::new(
            Some(options.max_steps.map_or(STEPS_PER_CHECK, |s| s.min(STEPS_PER_CHECK))),
            budget.deadline,
            budget.max_memory_bytes,
        ),
        checks: 0,
    };
    let by_invoke = |v: &mut Vec<usize>| v.sort_by_key(|&i| (history.ops[i].invoke, i));
    let mut set: Vec<usize> = hint.to_vec();
    by_invoke(&mut set);
    set.dedup();
    if set.len() >= all.len() || !m.violates(&set) {
        // The earliest time T such that the operations that completed by T (plus unknown
        // ones invoked by then) already violate, by bisection: monotone, since a later T
        // only adds constraints.
        let ops = &history.ops;
        let cut = |t: u64| -> Vec<usize> {
            all.iter()
                .copied()
                .filter(|&i| match ops[i].outcome {
                    Outcome::Unknown => ops[i].invoke <= t,
                    _ => ops[i].complete.is_some_and(|c| c <= t),
                })
                .collect()
        };
        let mut times: Vec<u64> = all.iter().filter_map(|&i| ops[i].complete).collect();
        times.sort_unstable();
        times.dedup();
        let (mut lo, mut hi) = (0usize, times.len());
        set = all.to_vec();
        while lo < hi && !m.out_of_budget() {
            let mid = lo + (hi - lo) / 2;
            let candidate = cut(times[mid]);
            if m.violates(&candidate) {
                hi = mid;
                set = candidate;
            } else {
                lo = mid + 1;
            }
        }
        // Operations invoked after the cut cannot matter: relaxed, they could only take
        // effect once everything in the set is placed.
        if let Some(&t) = times.get(hi) {
            m.all.retain(|&i| ops[i].invoke <= t);
        }
        by_invoke(&mut set);
    }
    // Delta debugging: drop chunks while the rest still violates, halving the chunk size.
    // Later operations go first, so the explanation keeps the earliest cause.
    let mut chunk = set.len().div_ceil(2).max(1);
    loop {
        let mut end = set.len();
        while end > 0 && set.len() > 1 {
            if m.out_of_budget() {
                set.sort_unstable();
                return set;
            }
            let start = end.saturating_sub(chunk);
            let rest: Vec<usize> = set[..start].iter().chain(&set[end..]).copied().collect();
            if !rest.is_empty() && m.violates(&rest) {
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
        let writers_of_v: Vec<&Operation> = ops.iter().copied().filter(|o| v.is_some() && writes(o) == v).collect();
        // A read of a value that was never written (or whose writes all failed).
        if let Some(v) = v
            && writers_of_v.is_empty()
        {
            let key = r.key;
            let failed = history.ops.iter().any(|o| {
                o.key == key
                    && matches!(o.outcome, Outcome::Failed)
                    && matches!(o.kind, OpKind::Write(x) | OpKind::Cas { new: x, .. } if x == v)
            });
            // Writes of v elsewhere in the history, all of which start too late.
            let later: Vec<&Operation> =
                history.ops.iter().filter(|o| o.key == key && writes(o) == Some(v) && ends_before(r, o)).collect();
            let all_later = history
                .ops
                .iter()
                .filter(|o| o.key == key && writes(o) == Some(v))
                .all(|o| ends_before(r, o) || o.invoke > r.complete.unwrap_or(u64::MAX));
            let why = if !all_later {
                String::new()
            } else if let [w] = later[..] {
                format!("{} only started at {}", write_words(w), unit.point(w.invoke))
            } else if let Some(first) = later.iter().min_by_key(|o| o.invoke) {
                format!("every write of {v} started after that, the first at {}", unit.point(first.invoke))
            } else if failed {
                format!("every operation that would have written {v} failed, so none took effect")
            } else {
                format!("no operation ever wrote {v}")
            };
            if !why.is_empty() {
                return format!("client {} read {v} at {}, but {why}.", r.client, span(r, unit));
            }
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
            // `o` shows the register held u: it wrote u, or read it.
            let (u, o_reads) = match (writes(o), o.read_value()) {
                (Some(u), _) => (Some(u), false),
                (None, Some(u)) => (u, true),
                _ => continue,
            };
            if u == v || !ends_before(o, r) {
                continue;
            }
            if !writers_of_v.iter().all(|w| ends_before(w, o)) {
                continue;
            }
            // Only say "no write can come after it" when no write of v elsewhere in the
            // history could fall between `o` and the read.
            let r_end = r.complete.unwrap_or(u64::MAX);
            let escape = v.is_some_and(|v| {
                history
                    .ops
                    .iter()
                    .any(|w| w.key == r.key && writes(w) == Some(v) && !ends_before(w, o) && w.invoke <= r_end)
            });
            if escape {
                continue;
            }
            let done = unit.point(o.complete.unwrap_or(o.invoke));
            if o_reads {
                let before = match v {
                    Some(v) => format!("every write of {v} had finished before that, so {v} could not come back"),
                    None => "so the register was no longer empty".to_string(),
                };
                return format!(
                    "client {} read {} at {}, but client {} had already read {} at {}; {before}.",
                    r.client,
                    value_words(v),
                    span(r, unit),
                    o.client,
                    value_words(u),
                    span(o, unit),
                );
            }
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
    // A read of a value that a compare-and-set had already replaced, when only one
    // operation ever writes that value.
    for r in &reads {
        let Some(v) = r.read_value().flatten() else { continue };
        let writers: Vec<&Operation> = history.ops.iter().filter(|o| o.key == r.key && writes(o) == Some(v)).collect();
        if writers.len() != 1 {
            continue;
        }
        for o in &ops {
            if let (OpKind::Cas { expected, new }, Outcome::Ok { .. }) = (o.kind, o.outcome)
                && expected == v
                && new != v
                && ends_before(o, r)
            {
                return format!(
                    "client {} read {v} at {}, but the compare-and-set of {v} to {new} by client {} had already \
                     replaced it by {}, and {v} is written only once ({}).",
                    r.client,
                    span(r, unit),
                    o.client,
                    unit.point(o.complete.unwrap_or(o.invoke)),
                    write_words(writers[0])
                );
            }
        }
    }
    // A compare-and-set whose expected value was never written.
    for o in &ops {
        if let (OpKind::Cas { expected, .. }, Outcome::Ok { .. }) = (o.kind, o.outcome)
            && !history.ops.iter().any(|w| w.key == o.key && writes(w) == Some(expected))
        {
            return format!(
                "client {} swapped {expected} at {}, but no operation ever wrote {expected}.",
                o.client,
                span(o, unit)
            );
        }
    }
    // Two reads of different values after every write of either value had finished: the
    // register can hold only one of them by then (any later write is of a third value).
    for (i, r1) in reads.iter().enumerate() {
        for r2 in &reads[i + 1..] {
            let (Some(Some(a)), Some(Some(b))) = (r1.read_value(), r2.read_value()) else { continue };
            let start = r1.invoke.min(r2.invoke);
            let writers: Vec<&Operation> = history
                .ops
                .iter()
                .filter(|o| o.key == r1.key && (writes(o) == Some(a) || writes(o) == Some(b)))
                .collect();
            let all_done = writers
                .iter()
                .all(|w| matches!(w.outcome, Outcome::Ok { .. }) && w.complete.is_some_and(|c| c < start));
            if a == b || writers.is_empty() || !all_done {
                continue;
            }
            let last = writers.iter().filter_map(|w| w.complete).max().unwrap_or(start);
            let (first, second) = if r1.invoke <= r2.invoke { (r1, r2) } else { (r2, r1) };
            let (fv, sv) = (first.read_value().flatten().unwrap_or(a), second.read_value().flatten().unwrap_or(b));
            return format!(
                "client {} read {fv} at {} and client {} read {sv} at {}, but every write of {fv} and of {sv} had \
                 finished by {}, before either read began: whichever took effect last, both reads should have \
                 returned it.",
                first.client,
                span(first, unit),
                second.client,
                span(second, unit),
                unit.point(last)
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
