//! Quiescent cuts: a register's history checked segment by segment.
//!
//! A *cut* is a point where nothing is pending: every operation invoked before it completed
//! before any operation after it was invoked. Every order of the history then puts the
//! operations before the cut first, so the history is linearizable iff some order of the
//! first segment ends in a state from which the next segment can be ordered, and so on.
//! What crosses a cut is the *set of states* some order of everything before it can end in
//! (usually one value; more when the last writes were concurrent and nothing read which
//! came last). An operation that may never complete (unknown outcome, or no completion
//! time) is pending forever: no cut comes after its invocation.
//!
//! A segment is checked from each carried state by the usual pipeline with a virtual write
//! of that state before everything (`prepare::Virtual`); the states it can end in are the
//! end state of the order found, plus each value `v` stored by an operation that can come
//! last (no other write or compare-and-set must follow it) for which the segment with a
//! virtual read of `v` after everything can be ordered too.

use std::time::Instant;

use crate::history::{History, OpKind, Operation, Outcome, Value};
use crate::options::Options;
use crate::pipeline::{Run, run};
use crate::prepare::{Prepared, VIRTUAL, Virtual, prepare_with};
use crate::wgl::Budget;

/// An operation's invocation as the checker sees it (shifted by one, as in `prepare::Op`).
pub(crate) fn call_of(op: &Operation) -> u64 {
    op.invoke.saturating_add(1)
}

/// An operation's return as the checker sees it: `u64::MAX` when it may never return.
pub(crate) fn ret_of(op: &Operation) -> u64 {
    match (op.outcome, op.complete) {
        (Outcome::Unknown, _) | (_, None) => u64::MAX,
        (_, Some(c)) => c.max(op.invoke).saturating_add(1),
    }
}

/// Whether the operation can constrain the register at all: failed operations (but a
/// failed compare-and-set read strictly) and unknown reads cannot, and are dropped by
/// `prepare` whatever the rest of the history; they do not prevent cuts either.
pub(crate) fn matters(op: &Operation, options: &Options) -> bool {
    match (op.kind, op.outcome) {
        (OpKind::Read, Outcome::Ok { .. }) => true,
        (OpKind::Read, _) => false,
        (OpKind::Cas { .. }, Outcome::Failed) => options.strict_failed_cas,
        (_, Outcome::Failed) => false,
        _ => true,
    }
}

/// Whether the operation must take effect.
pub(crate) fn required(op: &Operation, options: &Options) -> bool {
    match op.outcome {
        Outcome::Ok { .. } => true,
        Outcome::Failed => options.strict_failed_cas && matches!(op.kind, OpKind::Cas { .. }),
        Outcome::Unknown => false,
    }
}

/// The value an operation that took effect leaves in the register, if it stores one.
fn stores(op: &Operation) -> Option<Value> {
    match (op.kind, op.outcome) {
        (_, Outcome::Failed) => None,
        (OpKind::Write(v), _) | (OpKind::Cas { new: v, .. }, _) => Some(v),
        (OpKind::Read, _) => None,
    }
}

/// Splits the operations `indices` (one register's) that matter at cuts, each segment
/// holding at least `min_segment` of them (but the last), sorted by invocation.
pub(crate) fn segments(history: &History, indices: &[usize], options: &Options, min_segment: usize) -> Vec<Vec<usize>> {
    let ops = &history.ops;
    let mut sorted: Vec<usize> = indices.iter().copied().filter(|&i| matters(&ops[i], options)).collect();
    sorted.sort_by_key(|&i| (call_of(&ops[i]), ret_of(&ops[i]), i));
    let mut out = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let mut max_ret = 0u64;
    for i in sorted {
        if !cur.is_empty() && max_ret < call_of(&ops[i]) && cur.len() >= min_segment {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(i);
        max_ret = max_ret.max(ret_of(&ops[i]));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The step budget of one register, spent across its segments (the memory budget bounds
/// each search's memo, as without cuts).
pub(crate) struct KeyBudget {
    /// The configured limit, for the message when it runs out.
    pub(crate) max_steps: Option<u64>,
    /// What is left of it.
    pub(crate) steps_left: Option<u64>,
    pub(crate) max_memory_bytes: usize,
    /// When the whole check's time runs out.
    pub(crate) deadline: Option<Instant>,
}

impl KeyBudget {
    pub(crate) fn new(options: &Options, deadline: Option<Instant>) -> Self {
        KeyBudget {
            max_steps: options.max_steps,
            steps_left: options.max_steps,
            max_memory_bytes: options.max_memory_bytes,
            deadline,
        }
    }

    /// Checks `indices` with the virtual operations `virt`, within what is left.
    fn run(&mut self, history: &History, indices: &[usize], options: &Options, virt: Virtual) -> Run {
        let deadline = self.deadline;
        // Small searches never look at the budget (they check it every few thousand
        // steps), so between segments it is looked at here.
        if self.steps_left == Some(0) {
            let max = self.max_steps.unwrap_or(0);
            return Run::Unknown { reason: format!("the step budget ({max} steps) ran out"), longest: Vec::new() };
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            return Run::Unknown { reason: "the time budget ran out".to_string(), longest: Vec::new() };
        }
        let budget = Budget::new(self.steps_left, deadline, self.max_memory_bytes);
        let result = match prepare_with(history, indices, options, None, virt) {
            Prepared::Violation(set) => Run::Violation {
                frontier: set
                    .iter()
                    .map(|&i| {
                        if i == VIRTUAL {
                            u64::MAX
                        } else {
                            ret_of(&history.ops[i]).saturating_add(u64::from(virt.start.is_some()))
                        }
                    })
                    .max()
                    .unwrap_or(u64::MAX),
                set,
            },
            Prepared::Ops(ops) => run(ops, &budget),
        };
        // Frontiers in the times of `ret_of` (a virtual start shifts them by one more).
        let result = match result {
            Run::Violation { set, frontier } if virt.start.is_some() && frontier != u64::MAX => {
                Run::Violation { set, frontier: frontier.saturating_sub(1) }
            }
            other => other,
        };
        if let Some(left) = &mut self.steps_left {
            *left = left.saturating_sub(budget.spent.load(std::sync::atomic::Ordering::Relaxed));
        }
        match result {
            Run::Unknown { reason, longest } => {
                let reason = match self.max_steps {
                    Some(max) if reason.starts_with("the step budget") => {
                        format!("the step budget ({max} steps) ran out")
                    }
                    _ => reason,
                };
                Run::Unknown { reason, longest: longest.into_iter().filter(|&i| i != VIRTUAL).collect() }
            }
            other => other,
        }
    }
}

/// One state a segment can end in: the value, the carried state it started from, and
/// (when kept) the order that gets there.
pub(crate) struct End {
    pub(crate) value: Option<Value>,
    pub(crate) start: Option<Value>,
    pub(crate) order: Vec<usize>,
}

/// What checking one segment found.
pub(crate) enum Segment {
    /// The states it can end in (for the last segment: one, with its order).
    Ends(Vec<End>),
    /// It cannot be ordered from any carried state; `frontier` (shifted by one) is the
    /// latest dead end over all of them.
    Violation {
        frontier: u64,
    },
    Unknown {
        reason: String,
        longest: Vec<usize>,
    },
}

/// Checks the segment `indices` from each of `starts`. For the last segment only one
/// order is looked for; otherwise every state it can end in (see the module docs). Orders
/// are kept only with `keep_orders`.
pub(crate) fn check_segment(
    history: &History,
    indices: &[usize],
    options: &Options,
    starts: &[Option<Value>],
    last: bool,
    keep_orders: bool,
    budget: &mut KeyBudget,
) -> Segment {
    let ops = &history.ops;
    // The values an operation that can come last stores: none other than a write or
    // compare-and-set invoked after it returned must follow it.
    let mut candidates: Vec<Option<Value>> = Vec::new();
    if !last {
        let latest_call = indices.iter().filter(|&&i| stores(&ops[i]).is_some()).map(|&i| call_of(&ops[i])).max();
        if let Some(latest) = latest_call {
            candidates = indices
                .iter()
                .filter(|&&i| ret_of(&ops[i]) >= latest)
                .filter_map(|&i| stores(&ops[i]).map(Some))
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            // A read invoked after every write returned pins the end state: the order found
            // ends in it, and no other can.
            let last_store_ret = indices.iter().filter(|&&i| stores(&ops[i]).is_some()).map(|&i| ret_of(&ops[i])).max();
            let pinned = indices
                .iter()
                .any(|&i| ops[i].read_value().is_some() && last_store_ret.is_some_and(|r| call_of(&ops[i]) > r));
            if pinned {
                candidates.clear();
            }
        }
    }
    let mut ends: Vec<End> = Vec::new();
    let mut frontier = 0u64;
    // The first run that ran out of budget, and the end states left undecided.
    let mut unknown: Option<(String, Vec<usize>)> = None;
    let mut undecided: Vec<Option<Value>> = Vec::new();
    let real = |order: Vec<usize>| -> Vec<usize> { order.into_iter().filter(|&i| i != VIRTUAL).collect() };
    for &start in starts {
        match budget.run(history, indices, options, Virtual { start, end: None }) {
            Run::Linearizable(order) => {
                let order = real(order);
                let value = order.iter().fold(start, |s, &i| stores(&ops[i]).map_or(s, Some));
                if last {
                    return Segment::Ends(vec![End { value, start, order }]);
                }
                if !ends.iter().any(|e| e.value == value) {
                    ends.push(End { value, start, order: if keep_orders { order } else { Vec::new() } });
                }
            }
            Run::Violation { frontier: f, .. } => {
                // No order from here at all, so none ending in any particular state.
                frontier = frontier.max(f);
                continue;
            }
            Run::Unknown { reason, longest } => {
                unknown.get_or_insert((reason, longest));
                if candidates.is_empty() {
                    // Without writes the segment could only have ended where it started.
                    undecided.push(start);
                }
            }
        }
        if last {
            continue;
        }
        for &v in &candidates {
            if ends.iter().any(|e| e.value == v) {
                continue;
            }
            match budget.run(history, indices, options, Virtual { start, end: Some(v) }) {
                Run::Linearizable(order) => {
                    ends.push(End { value: v, start, order: if keep_orders { real(order) } else { Vec::new() } })
                }
                Run::Violation { .. } => {}
                Run::Unknown { reason, longest } => {
                    unknown.get_or_insert((reason, longest));
                    undecided.push(v);
                }
            }
        }
    }
    // A state left undecided could be missing from the ends; so could anything, for the
    // last segment, when no order was found.
    if let Some((reason, longest)) = unknown
        && (last || undecided.iter().any(|v| !ends.iter().any(|e| e.value == *v)))
    {
        return Segment::Unknown { reason, longest };
    }
    if ends.is_empty() {
        return Segment::Violation { frontier };
    }
    Segment::Ends(ends)
}

/// The operations of `indices` that returned by `frontier` (shifted by one), and the
/// optional ones invoked by then: a violation when a segment's search hit its last dead end
/// there (everything before the segment is in it).
pub(crate) fn cut_at(history: &History, indices: &[usize], options: &Options, frontier: u64) -> Vec<usize> {
    indices
        .iter()
        .copied()
        .filter(|&i| {
            let op = &history.ops[i];
            matters(op, options) && if required(op, options) { ret_of(op) <= frontier } else { call_of(op) <= frontier }
        })
        .collect()
}

/// The end of the window an explanation of a violation with its last dead end at
/// `frontier` (shifted by one) needs: the latest return of an operation that must take
/// effect and was invoked by then, repeatedly (everything that can be ordered together with
/// the operations up to the frontier).
pub(crate) fn window_end(history: &History, indices: &[usize], options: &Options, frontier: u64) -> u64 {
    let mut times: Vec<(u64, u64, bool)> = indices
        .iter()
        .map(|&i| &history.ops[i])
        .filter(|op| matters(op, options))
        .map(|op| (call_of(op), ret_of(op), required(op, options)))
        .collect();
    times.sort_unstable();
    let mut end = frontier;
    for (call, ret, required) in times {
        if call > end {
            break;
        }
        if required && ret != u64::MAX {
            end = end.max(ret);
        }
    }
    end
}

/// What checking a whole register in segments found, in history indices.
pub(crate) enum Segmented {
    Linearizable(Vec<usize>),
    /// The last dead end (shifted by one): see [`cut_at`].
    Violation {
        frontier: u64,
    },
    Unknown {
        reason: String,
        longest: Vec<usize>,
    },
}

/// The order of the segments before `upto` that ends in `value`, following each
/// segment's carried start state back.
fn chain(stored: &[Vec<End>], upto: usize, mut value: Option<Value>) -> Vec<usize> {
    let mut parts: Vec<&[usize]> = Vec::new();
    for ends in stored[..upto].iter().rev() {
        let Some(e) = ends.iter().find(|e| e.value == value) else { break };
        parts.push(&e.order);
        value = e.start;
    }
    parts.into_iter().rev().flatten().copied().collect()
}

/// Checks the operations `indices` of one register in segments of at least `min_segment`
/// operations, keeping the orders for a witness.
pub(crate) fn check_key_in_segments(
    history: &History,
    indices: &[usize],
    options: &Options,
    deadline: Option<Instant>,
    min_segment: usize,
) -> Segmented {
    let segs = segments(history, indices, options, min_segment);
    let mut budget = KeyBudget::new(options, deadline);
    let mut starts: Vec<Option<Value>> = vec![None];
    let mut stored: Vec<Vec<End>> = Vec::with_capacity(segs.len());
    for (k, seg) in segs.iter().enumerate() {
        let last = k + 1 == segs.len();
        match check_segment(history, seg, options, &starts, last, true, &mut budget) {
            Segment::Ends(ends) => {
                starts = ends.iter().map(|e| e.value).collect();
                stored.push(ends);
            }
            Segment::Violation { frontier } => return Segmented::Violation { frontier },
            Segment::Unknown { reason, longest } => {
                let mut partial = chain(&stored, k, starts[0]);
                partial.extend(longest);
                return Segmented::Unknown { reason, longest: partial };
            }
        }
    }
    match starts.first() {
        Some(&end) => Segmented::Linearizable(chain(&stored, stored.len(), end)),
        None => Segmented::Linearizable(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cuts(ops: Vec<Operation>, strict: bool) -> Vec<Vec<usize>> {
        let h = History::from_ops(ops);
        let all: Vec<usize> = (0..h.len()).collect();
        segments(&h, &all, &Options::default().strict_failed_cas(strict), 1)
    }

    #[test]
    fn cuts_are_where_nothing_is_pending() {
        let segs = cuts(
            vec![
                Operation::write(1, 0, 5, 1),
                Operation::read(2, 6, 8, Some(1)),
                Operation::write(1, 10, 20, 2),
                Operation::read(2, 15, 25, Some(2)),
                Operation::write(1, 30, 31, 3),
            ],
            false,
        );
        assert_eq!(segs, vec![vec![0], vec![1], vec![2, 3], vec![4]]);
    }

    #[test]
    fn equal_times_are_concurrent_so_no_cut() {
        let segs = cuts(vec![Operation::write(1, 0, 5, 1), Operation::read(2, 5, 8, Some(1))], false);
        assert_eq!(segs, vec![vec![0, 1]]);
    }

    #[test]
    fn an_unknown_operation_prevents_every_later_cut() {
        let segs = cuts(
            vec![
                Operation::write(1, 0, 5, 1),
                Operation::read(2, 6, 8, Some(1)),
                Operation::write(3, 7, 0, 9).unknown(),
                Operation::write(1, 10, 20, 2),
                Operation::read(2, 30, 31, Some(2)),
            ],
            false,
        );
        assert_eq!(segs, vec![vec![0], vec![1, 2, 3, 4]]);
        // So does an operation that completed without a completion time.
        let mut open = Operation::write(3, 7, 8, 9);
        open.complete = None;
        let segs = cuts(vec![Operation::write(1, 0, 5, 1), open, Operation::read(2, 30, 31, Some(9))], false);
        assert_eq!(segs, vec![vec![0], vec![1, 2]]);
    }

    #[test]
    fn operations_that_constrain_nothing_do_not_prevent_cuts() {
        let ops = vec![
            Operation::write(1, 0, 5, 1),
            Operation::read(2, 3, 0, None).unknown(),
            Operation::write(3, 4, 100, 7).failed(),
            Operation::cas(4, 4, 100, 1, 2).failed(),
            Operation::read(1, 10, 12, Some(1)),
        ];
        assert_eq!(cuts(ops.clone(), false), vec![vec![0], vec![4]]);
        // A failed compare-and-set read strictly did execute: it is pending until it returns.
        assert_eq!(cuts(ops, true), vec![vec![0, 3, 4]]);
    }

    #[test]
    fn segments_hold_at_least_the_minimum() {
        let ops: Vec<Operation> = (0..10).map(|i| Operation::write(1, 10 * i, 10 * i + 1, i + 1)).collect();
        let h = History::from_ops(ops);
        let all: Vec<usize> = (0..h.len()).collect();
        let segs = segments(&h, &all, &Options::default(), 4);
        assert_eq!(segs.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
    }

    #[test]
    fn a_segment_can_end_in_each_of_the_last_concurrent_writes() {
        let h = History::from_ops(vec![Operation::write(1, 0, 10, 1), Operation::write(2, 0, 10, 2)]);
        let mut budget = KeyBudget::new(&Options::default(), None);
        let Segment::Ends(ends) = check_segment(&h, &[0, 1], &Options::default(), &[None], false, true, &mut budget)
        else {
            panic!("two writes can be ordered")
        };
        let mut values: Vec<Option<Value>> = ends.iter().map(|e| e.value).collect();
        values.sort_unstable();
        assert_eq!(values, vec![Some(1), Some(2)]);
        // A read after both pins it.
        let h = History::from_ops(vec![
            Operation::write(1, 0, 10, 1),
            Operation::write(2, 0, 10, 2),
            Operation::read(3, 11, 12, Some(1)),
        ]);
        let Segment::Ends(ends) = check_segment(&h, &[0, 1, 2], &Options::default(), &[None], false, true, &mut budget)
        else {
            panic!("orderable")
        };
        assert_eq!(ends.iter().map(|e| e.value).collect::<Vec<_>>(), vec![Some(1)]);
    }
}
