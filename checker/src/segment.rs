//! Quiescent cuts: a register's history checked segment by segment.
//!
//! A *cut* is a point where nothing is pending: every operation invoked before it completed
//! before any operation after it was invoked. Every order of the history then puts the
//! operations before the cut first, so the history is linearizable iff some order of the
//! first segment ends in a state from which the next segment can be ordered, and so on.
//! What crosses a cut is the *set of states* some order of everything before it can end in
//! (usually one value; more when the last writes were concurrent and nothing read which
//! came last). An operation that must complete but has no completion time is pending
//! forever: no cut comes after its invocation.
//!
//! An unknown write or compare-and-set (it may take effect at any moment after its
//! invocation, or never) does not prevent cuts: it is *carried* into every later segment,
//! as an optional operation invoked at the segment's start that never returns. Letting it
//! take effect again in each later segment (any number of times) only adds behaviours, so
//! a violation found this way is a violation. The verdict "linearizable" is exact when a
//! chain of orders uses no operation twice: [`Carried`] counts the unknown operations of
//! each act (kind and values), and each end state remembers what the chain of orders to it
//! used of them ([`Used`]); an end reached only by chains that use more than there are is
//! not *real*. If the last segment has no real end, the register is checked whole
//! instead ([`Segmented::Undecided`]).
//!
//! A segment is checked from each carried state by the usual pipeline with a virtual write
//! of that state before everything (`prepare::Virtual`); the states it can end in are the
//! end state of the order found, plus each state an order ending in an operation that must
//! take effect can leave (see [`end_candidates`]) for which the segment with a virtual read
//! of it after everything can be ordered too. Orders ending in optional operations need no
//! tries: those operations are carried into the next segment, where they can take effect
//! first.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
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

/// Whether an operation (one that matters) is carried across cuts instead of preventing
/// them: an unknown write or compare-and-set (see the module docs).
pub(crate) fn crosses_cuts(op: &Operation) -> bool {
    op.outcome == Outcome::Unknown && op.kind != OpKind::Read
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
        if !crosses_cuts(&ops[i]) {
            max_ret = max_ret.max(ret_of(&ops[i]));
        }
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
    fn run(&mut self, history: &History, indices: &[usize], options: &Options, virt: Virtual<'_>) -> Run {
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
/// (when kept) the order that gets there; whether the chain of orders that gets there uses
/// no unknown operation twice (`real`), and what it used of them.
pub(crate) struct End {
    pub(crate) value: Option<Value>,
    pub(crate) start: Option<Value>,
    pub(crate) order: Vec<usize>,
    pub(crate) real: bool,
    used: Option<Arc<Used>>,
}

/// A state a segment can start in (an [`End`] of the one before).
#[derive(Clone)]
pub(crate) struct Start {
    pub(crate) value: Option<Value>,
    /// Whether a chain of orders gets here without using an unknown operation twice.
    pub(crate) real: bool,
    used: Option<Arc<Used>>,
}

impl Start {
    /// The register's start: empty, nothing used.
    pub(crate) fn empty() -> Self {
        Start { value: None, real: true, used: None }
    }

    pub(crate) fn of(end: &End) -> Self {
        Start { value: end.value, real: end.real, used: end.used.clone() }
    }
}

/// The acts of the unknown operations one chain of orders used: those of one segment's
/// order, then those of the chain to its start (shared by the ends that continue it).
pub(crate) struct Used {
    acts: Vec<ActKey>,
    before: Option<Arc<Used>>,
}

impl Drop for Used {
    // Iteratively: a chain as long as the history's segments would overflow the stack.
    fn drop(&mut self) {
        let mut next = self.before.take();
        while let Some(rc) = next {
            next = match Arc::try_unwrap(rc) {
                Ok(mut used) => used.before.take(),
                Err(_) => None,
            };
        }
    }
}

/// How many operations of act `key` the chain `used` used. (Walks the chain: only asked
/// when an order places a carried operation, which is rare.)
fn uses_of(mut used: &Option<Arc<Used>>, key: ActKey) -> u64 {
    let mut n = 0;
    while let Some(u) = used {
        n += u.acts.iter().filter(|&&k| k == key).count() as u64;
        used = &u.before;
    }
    n
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

/// An act as a key: `(0, v, 0)` for a write of `v`, `(1, expected, new)` for a
/// compare-and-set.
type ActKey = (u8, Value, Value);

fn act_key(kind: OpKind) -> Option<ActKey> {
    match kind {
        OpKind::Write(v) => Some((0, v, 0)),
        OpKind::Cas { expected, new } => Some((1, expected, new)),
        OpKind::Read => None,
    }
}

/// The unknown operations of one act in a [`Carried`] pool.
struct Pooled {
    /// The one that stands for all of them in later segments (with its index).
    rep: (usize, Operation),
    count: u64,
}

/// The unknown writes and compare-and-sets of a register's segments checked so far, which
/// later segments carry (see the module docs): one representative per act, since
/// operations invoked at the segment's start that never return are interchangeable when
/// they do the same.
///
/// It counts the operations of each act, so that a chain of orders can be checked to use
/// no more of them than there are (see [`Used`]): then the chain can be given distinct
/// operations, each used after its invocation (in segment order, a use in a segment takes
/// any unused one from before it), and it is an order of the real history.
pub(crate) struct Carried {
    acts: BTreeMap<ActKey, Pooled>,
    /// The acts storing each value.
    by_value: HashMap<Value, Vec<ActKey>>,
}

impl Carried {
    /// An empty pool.
    pub(crate) fn new() -> Self {
        Carried { acts: BTreeMap::new(), by_value: HashMap::new() }
    }

    /// The number of representatives held.
    pub(crate) fn len(&self) -> usize {
        self.acts.len()
    }

    /// The number of unknown operations of act `key` in the segments checked so far.
    fn count(&self, key: ActKey) -> u64 {
        self.acts.get(&key).map_or(0, |p| p.count)
    }

    /// The representatives the segment `indices` must see, by act: those storing a value
    /// it reads, compares against, or may be tried to end in (a value a required operation
    /// stores), then those storing what the compare-and-sets among them expect, and so on
    /// (the others can only be left out, as `prepare` would); all of them when a strict
    /// failed compare-and-set is there (a write of any other value satisfies it).
    pub(crate) fn select(&self, history: &History, indices: &[usize], options: &Options) -> Vec<(usize, Operation)> {
        if self.acts.is_empty() {
            return Vec::new();
        }
        let mut todo: Vec<Value> = Vec::new();
        for &i in indices {
            let op = &history.ops[i];
            match (op.kind, op.outcome) {
                (OpKind::Read, Outcome::Ok { read: Some(v) }) => todo.push(v),
                (OpKind::Cas { .. }, Outcome::Failed) if options.strict_failed_cas => {
                    return self.acts.values().map(|p| p.rep).collect();
                }
                (OpKind::Cas { expected, .. }, _) => todo.push(expected),
                _ => {}
            }
            if required(op, options)
                && let Some(v) = stores(op)
            {
                todo.push(v);
            }
        }
        let mut chosen: BTreeSet<ActKey> = BTreeSet::new();
        while let Some(v) = todo.pop() {
            for &key in self.by_value.get(&v).map_or(&[][..], Vec::as_slice) {
                if chosen.insert(key) && key.0 == 1 {
                    todo.push(key.1);
                }
            }
        }
        chosen.iter().map(|key| self.acts[key].rep).collect()
    }

    /// Records a segment checked: its own unknown operations (of `own`) join the pool.
    pub(crate) fn record(&mut self, history: &History, own: &[usize], index_of: impl Fn(usize) -> usize) {
        for &p in own {
            let op = history.ops[p];
            if !crosses_cuts(&op) {
                continue;
            }
            let Some(key) = act_key(op.kind) else { continue };
            let pooled = self.acts.entry(key).or_insert_with(|| {
                self.by_value.entry(stores(&op).unwrap_or_default()).or_default().push(key);
                Pooled { rep: (index_of(p), op), count: 0 }
            });
            pooled.count += 1;
        }
    }
}

/// The states other than the found order's own end that the segment `indices` (with the
/// carried operations `carried`) may end in, to be tried with a virtual read after
/// everything. An order can be shortened to end in an operation that must take effect:
/// optional ones after it are carried into the next segment, where they can take effect
/// first. That last operation can come after every other one that must take effect (none
/// was invoked after it returned), and leaves the value it stores, or the one the last
/// write before it stored (for a read: the value it read): a required write that can come
/// after the other required ones, any optional one, or, with no required write, the start
/// state.
fn end_candidates(
    history: &History,
    indices: &[usize],
    carried: &[usize],
    options: &Options,
    starts: &[Option<Value>],
) -> Vec<Option<Value>> {
    let ops = &history.ops;
    let must: Vec<&Operation> = indices.iter().map(|&i| &ops[i]).filter(|op| required(op, options)).collect();
    let Some(latest) = must.iter().map(|op| call_of(op)).max() else {
        // Nothing must take effect: it ends where it started.
        return Vec::new();
    };
    // What the last write before the last operation can have stored.
    let latest_store = must.iter().filter(|op| stores(op).is_some()).map(|op| call_of(op)).max();
    let mut before_last: Vec<Option<Value>> = match latest_store {
        Some(l) => must.iter().filter(|op| ret_of(op) >= l).filter_map(|op| stores(op).map(Some)).collect(),
        None => starts.to_vec(),
    };
    let optional = indices.iter().chain(carried).map(|&i| &ops[i]).filter(|op| !required(op, options));
    before_last.extend(optional.filter_map(|op| stores(op).map(Some)));
    before_last.sort_unstable();
    before_last.dedup();
    let mut out = Vec::new();
    for op in must.iter().filter(|op| ret_of(op) >= latest) {
        match (op.kind, op.outcome) {
            (OpKind::Read, Outcome::Ok { read }) if before_last.binary_search(&read).is_ok() => out.push(read),
            (OpKind::Read, _) => {}
            (OpKind::Cas { .. }, Outcome::Failed) => out.extend(&before_last),
            _ => out.extend(stores(op).map(Some)),
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// What one segment's runs share.
struct SegmentCheck<'a> {
    history: &'a History,
    indices: &'a [usize],
    carried: &'a [usize],
    options: &'a Options,
    pool: &'a Carried,
    keep_orders: bool,
}

/// What one run found.
enum Found {
    /// The end of the order found; and, when that order's chain is not real, the end of a
    /// real one found with fewer carried operations (another state, maybe: both count).
    End(End, Option<End>),
    /// The last dead end (shifted by one).
    Violation(u64),
    Unknown(String, Vec<usize>),
}

impl SegmentCheck<'_> {
    /// Runs from `start` (with a virtual read of `end` after everything, if any). An order
    /// that uses a carried operation more often than the chain to `start` leaves (its
    /// uses and the order's exceed the operations of that act) is looked for again with
    /// only the carried operations left to it.
    fn run(&self, budget: &mut KeyBudget, start: &Start, end: Option<Option<Value>>) -> Found {
        let all = self.carried;
        match budget.run(self.history, self.indices, self.options, Virtual { start: start.value, end, carried: all }) {
            Run::Linearizable(order) => {
                let first = self.end_of(start, order);
                if first.real || !start.real {
                    return Found::End(first, None);
                }
                let key = |p: usize| act_key(self.history.ops[p].kind).unwrap_or_default();
                let left: Vec<usize> =
                    all.iter().copied().filter(|&p| uses_of(&start.used, key(p)) < self.pool.count(key(p))).collect();
                let virt = Virtual { start: start.value, end, carried: &left };
                if let Run::Linearizable(order) = budget.run(self.history, self.indices, self.options, virt) {
                    let again = self.end_of(start, order);
                    if again.real {
                        return Found::End(first, Some(again));
                    }
                }
                Found::End(first, None)
            }
            Run::Violation { frontier, .. } => Found::Violation(frontier),
            Run::Unknown { reason, longest } => Found::Unknown(reason, longest),
        }
    }

    /// The end an order from `start` reaches.
    fn end_of(&self, start: &Start, order: Vec<usize>) -> End {
        let ops = &self.history.ops;
        let order: Vec<usize> = order.into_iter().filter(|&i| i != VIRTUAL).collect();
        let value = order.iter().fold(start.value, |s, &i| stores(&ops[i]).map_or(s, Some));
        let used = if start.real { self.used_by(&order, &start.used) } else { None };
        let order = if self.keep_orders { order } else { Vec::new() };
        End { value, start: start.value, order, real: used.is_some(), used: used.flatten() }
    }

    /// The chain `before` continued by `order`'s unknown operations, if it then uses no
    /// more of an act than there are.
    fn used_by(&self, order: &[usize], before: &Option<Arc<Used>>) -> Option<Option<Arc<Used>>> {
        let ops = &self.history.ops;
        let mut acts = Vec::new();
        let mut carried: BTreeMap<ActKey, u64> = BTreeMap::new();
        for &i in order {
            if self.carried.contains(&i) {
                let key = act_key(ops[i].kind)?;
                *carried.entry(key).or_default() += 1;
                acts.push(key);
            } else if !required(&ops[i], self.options) {
                acts.push(act_key(ops[i].kind)?);
            }
        }
        for (key, n) in carried {
            if uses_of(before, key) + n > self.pool.count(key) {
                return None;
            }
        }
        Some(if acts.is_empty() { before.clone() } else { Some(Arc::new(Used { acts, before: before.clone() })) })
    }
}

/// Adds `end` to `ends`, unless one with its value is there (a real one replaces one that
/// is not).
fn add_end(ends: &mut Vec<End>, end: End) {
    match ends.iter_mut().find(|e| e.value == end.value) {
        Some(e) if !e.real && end.real => *e = end,
        Some(_) => {}
        None => ends.push(end),
    }
}

/// Checks the segment `indices` from each of `starts`, with the carried operations
/// `carried` (see `prepare::Virtual`; `pool` holds them all). For the last segment only one
/// order is looked for (a real one if there is one); otherwise every state it can end in
/// (see the module docs), each by a real chain where one was found. Orders are kept only
/// with `keep_orders`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_segment(
    history: &History,
    indices: &[usize],
    carried: &[usize],
    pool: &Carried,
    options: &Options,
    starts: &[Start],
    last: bool,
    keep_orders: bool,
    budget: &mut KeyBudget,
) -> Segment {
    let check = SegmentCheck { history, indices, carried, options, pool, keep_orders };
    let values: Vec<Option<Value>> = starts.iter().map(|s| s.value).collect();
    let candidates = if last { Vec::new() } else { end_candidates(history, indices, carried, options, &values) };
    let mut ends: Vec<End> = Vec::new();
    let mut frontier = 0u64;
    // The first run that ran out of budget, and the end states left undecided.
    let mut unknown: Option<(String, Vec<usize>)> = None;
    let mut undecided: Vec<Option<Value>> = Vec::new();
    for start in starts {
        match check.run(budget, start, None) {
            Found::End(_, Some(end)) if last => return Segment::Ends(vec![end]),
            Found::End(end, None) if last && end.real => return Segment::Ends(vec![end]),
            Found::End(end, again) => {
                // Both states can be reached (the first by a chain that is not real).
                if let Some(again) = again {
                    add_end(&mut ends, again);
                }
                add_end(&mut ends, end);
            }
            Found::Violation(f) => {
                // No order from here at all, so none ending in any particular state.
                frontier = frontier.max(f);
                continue;
            }
            Found::Unknown(reason, longest) => {
                unknown.get_or_insert((reason, longest));
                if candidates.is_empty() {
                    // Nothing must take effect: it could only have ended where it started.
                    undecided.push(start.value);
                }
            }
        }
        if last {
            continue;
        }
        for &v in &candidates {
            if ends.iter().any(|e| e.value == v && (e.real || !start.real)) {
                continue;
            }
            match check.run(budget, start, Some(v)) {
                Found::End(end, again) => {
                    add_end(&mut ends, again.unwrap_or(end));
                }
                Found::Violation(_) => {}
                Found::Unknown(reason, longest) => {
                    unknown.get_or_insert((reason, longest));
                    undecided.push(v);
                }
            }
        }
    }
    // The last segment ordered only by chains that may use an unknown operation twice.
    if last && !ends.is_empty() {
        ends.truncate(1);
        return Segment::Ends(ends);
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
    /// Every segment could be ordered, but the orders may use an unknown operation twice
    /// (see [`Carried`]): only a check of the whole register can tell.
    Undecided,
}

/// The orders of the segments before `upto` that end in `value`, following each
/// segment's carried start state back, with their segments' numbers.
fn chain(stored: &[Vec<End>], upto: usize, mut value: Option<Value>) -> Vec<(usize, &[usize])> {
    let mut parts: Vec<(usize, &[usize])> = Vec::new();
    for (k, ends) in stored[..upto].iter().enumerate().rev() {
        let Some(e) = ends.iter().find(|e| e.value == value) else { break };
        parts.push((k, &e.order));
        value = e.start;
    }
    parts.reverse();
    parts
}

/// The chain of orders `parts` as one order of the history: each carried operation's
/// representative replaced by an operation of the same act from an earlier segment that
/// the chain has not used (`None` if there is none, which [`Carried`] rules out).
fn assign(history: &History, segs: &[Vec<usize>], parts: &[(usize, &[usize])]) -> Option<Vec<usize>> {
    let mut free: BTreeMap<ActKey, Vec<usize>> = BTreeMap::new();
    let mut out = Vec::new();
    for &(k, order) in parts {
        let own: BTreeSet<usize> = segs[k].iter().copied().collect();
        let mut placed = BTreeSet::new();
        for &i in order {
            if own.contains(&i) {
                placed.insert(i);
                out.push(i);
            } else {
                let key = act_key(history.ops[i].kind)?;
                out.push(free.get_mut(&key)?.pop()?);
            }
        }
        for &i in &segs[k] {
            if crosses_cuts(&history.ops[i]) && !placed.contains(&i) {
                free.entry(act_key(history.ops[i].kind)?).or_default().push(i);
            }
        }
    }
    Some(out)
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
    let mut pool = Carried::new();
    let mut starts: Vec<Start> = vec![Start::empty()];
    let mut stored: Vec<Vec<End>> = Vec::with_capacity(segs.len());
    for (k, seg) in segs.iter().enumerate() {
        let last = k + 1 == segs.len();
        let carried: Vec<usize> = pool.select(history, seg, options).into_iter().map(|(i, _)| i).collect();
        match check_segment(history, seg, &carried, &pool, options, &starts, last, true, &mut budget) {
            Segment::Ends(ends) => {
                starts = ends.iter().map(Start::of).collect();
                stored.push(ends);
            }
            Segment::Violation { frontier } => return Segmented::Violation { frontier },
            Segment::Unknown { reason, longest } => {
                let parts = chain(&stored, k, starts[0].value);
                let mut partial = assign(history, &segs, &parts)
                    .unwrap_or_else(|| parts.iter().flat_map(|(_, o)| o.iter().copied()).collect());
                partial.extend(longest.into_iter().filter(|i| !carried.contains(i)));
                return Segmented::Unknown { reason, longest: partial };
            }
        }
        pool.record(history, seg, |i| i);
    }
    // The chain of orders to a real end uses no unknown operation twice.
    match starts.iter().find(|s| s.real) {
        Some(end) => match assign(history, &segs, &chain(&stored, stored.len(), end.value)) {
            Some(order) => Segmented::Linearizable(order),
            None => Segmented::Undecided,
        },
        None if starts.is_empty() => Segmented::Linearizable(Vec::new()),
        None => Segmented::Undecided,
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
    fn an_unknown_operation_is_carried_across_cuts_but_one_without_completion_is_not() {
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
        assert_eq!(segs, vec![vec![0], vec![1, 2], vec![3], vec![4]]);
        // A completed operation without a completion time must take effect some time: it
        // stays pending forever.
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
        let Segment::Ends(ends) = check_segment(
            &h,
            &[0, 1],
            &[],
            &Carried::new(),
            &Options::default(),
            &[Start::empty()],
            false,
            true,
            &mut budget,
        ) else {
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
        let Segment::Ends(ends) = check_segment(
            &h,
            &[0, 1, 2],
            &[],
            &Carried::new(),
            &Options::default(),
            &[Start::empty()],
            false,
            true,
            &mut budget,
        ) else {
            panic!("orderable")
        };
        assert_eq!(ends.iter().map(|e| e.value).collect::<Vec<_>>(), vec![Some(1)]);
    }
    fn in_segments(h: &History, options: &Options) -> Segmented {
        let all: Vec<usize> = (0..h.len()).collect();
        check_key_in_segments(h, &all, options, None, 1)
    }

    #[test]
    fn a_carried_write_used_once_after_its_segment_is_exact() {
        // 7 is written with an unknown outcome before the cut and read only after it.
        let h = History::from_ops(vec![
            Operation::write(1, 0, 2, 5),
            Operation::write(2, 1, 0, 7).unknown(),
            Operation::read(1, 3, 4, Some(5)),
            Operation::read(1, 10, 12, Some(7)),
        ]);
        let options = Options::default();
        assert_eq!(segments(&h, &[0, 1, 2, 3], &options, 1).len(), 3);
        let Segmented::Linearizable(order) = in_segments(&h, &options) else { panic!("linearizable, exactly") };
        assert_eq!(order, vec![0, 2, 1, 3]);
        assert_eq!(crate::validate_order(&h, None, &order, &options), Ok(()));
    }

    #[test]
    fn a_carried_write_that_may_be_used_twice_is_undecided() {
        // The unknown write of 7 must take effect before the first read of 7, so the second
        // read of 7, after the cut, is stale; the segments alone cannot tell.
        let mut ops = vec![
            Operation::write(1, 0, 2, 5),
            Operation::write(2, 1, 0, 7).unknown(),
            Operation::read(1, 3, 4, Some(7)),
            Operation::write(1, 5, 6, 5),
            Operation::read(1, 7, 8, Some(5)),
            Operation::read(1, 10, 12, Some(7)),
        ];
        let options = Options::default();
        assert!(matches!(in_segments(&History::from_ops(ops.clone()), &options), Segmented::Undecided));
        assert!(crate::check_segmented(&History::from_ops(ops.clone()), &options).is_violation());
        // With a second unknown write of 7 the read is fine, and the counts say so.
        ops.push(Operation::write(3, 2, 0, 7).unknown());
        let h = History::from_ops(ops);
        let Segmented::Linearizable(order) = in_segments(&h, &options) else { panic!("linearizable, exactly") };
        assert_eq!(crate::validate_order(&h, None, &order, &options), Ok(()));
    }

    #[test]
    fn an_unknown_write_used_before_a_cut_by_one_end_state_and_after_it_by_another_is_exact() {
        // Before the cut, 7 and 8 are written by unknown writes and read concurrently: the
        // segment ends in 8 or in 7, both by orders that used the write of 8. After the
        // cut 8 is read: from 8 as it is, from 7 only with the write of 8 again, which that
        // chain has used. The chain through 8 is real: exact.
        let h = History::from_ops(vec![
            Operation::write(1, 0, 2, 1),
            Operation::write(2, 3, 0, 7).unknown(),
            Operation::read(3, 3, 8, Some(7)),
            Operation::write(4, 7, 0, 8).unknown(),
            Operation::read(5, 8, 8, Some(8)),
            Operation::read(1, 10, 12, Some(8)),
            Operation::write(1, 13, 14, 9),
            Operation::read(1, 15, 16, Some(9)),
        ]);
        let options = Options::default();
        let all: Vec<usize> = (0..h.len()).collect();
        assert_eq!(segments(&h, &all, &options, 1)[1], vec![2, 1, 3, 4]);
        let Segmented::Linearizable(order) = in_segments(&h, &options) else { panic!("linearizable, exactly") };
        assert_eq!(crate::validate_order(&h, None, &order, &options), Ok(()));
    }

    /// A small seeded generator (the tests' own, so that the histories stay as they are).
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }
    }

    /// Phases of a few operations separated by quiescent points (for all but unknown
    /// operations, some of which never complete), over values 1..=3.
    fn phased(seed: u64) -> History {
        let mut rng = Lcg(seed);
        let mut ops = Vec::new();
        for phase in 0..1 + rng.below(6) {
            let base = 20 * phase;
            for _ in 0..1 + rng.below(3) {
                let (invoke, len) = (base + rng.below(6), rng.below(6));
                let complete = (invoke + len).min(base + 12);
                let client = rng.below(3);
                let (a, b) = (1 + rng.below(3), 1 + rng.below(3));
                let mut op = match rng.below(10) {
                    0..=3 => Operation::read(client, invoke, complete, Some(a).filter(|_| rng.below(5) > 0)),
                    4..=7 => Operation::write(client, invoke, complete, a),
                    _ => Operation::cas(client, invoke, complete, a, b),
                };
                match rng.below(8) {
                    0 => op = op.failed(),
                    1 | 2 if op.kind != OpKind::Read => {
                        op = op.unknown();
                        if rng.below(2) == 0 {
                            op.complete = None;
                        }
                    }
                    _ => {}
                }
                ops.push(op);
            }
        }
        History::from_ops(ops)
    }

    #[test]
    fn carried_operations_give_the_whole_checks_verdict_or_undecided() {
        let budget = Budget::new(None, None, 1 << 30);
        // Exact verdicts with a carried operation placed after its segment, undecided ones,
        // and verdicts of each kind.
        let (mut carried_used, mut undecided, mut linearizable, mut violations) = (0, 0, 0, 0);
        for seed in 0..4000 {
            let h = phased(seed);
            for strict in [false, true] {
                let options = Options::default().strict_failed_cas(strict);
                let all: Vec<usize> = (0..h.len()).collect();
                let whole = match crate::pipeline::check_key(&h, &all, &options, &budget, None) {
                    crate::pipeline::KeyResult::Linearizable(_) => true,
                    crate::pipeline::KeyResult::Violation(_) => false,
                    crate::pipeline::KeyResult::Unknown { reason, .. } => panic!("seed {seed}: {reason}"),
                };
                match in_segments(&h, &options) {
                    Segmented::Linearizable(order) => {
                        assert!(whole, "seed {seed} strict {strict}: segments say linearizable: {h:?}");
                        assert_eq!(crate::validate_order(&h, None, &order, &options), Ok(()), "seed {seed} {h:?}");
                        linearizable += 1;
                        // Placed after its own segment: an unknown operation invoked before an
                        // operation that returned before it in the order.
                        let segs = segments(&h, &all, &options, 1);
                        let seg_of = |i: usize| segs.iter().position(|s| s.contains(&i));
                        let mut seen = None;
                        for &i in &order {
                            if crosses_cuts(&h.ops[i]) && seen.is_some_and(|k| seg_of(i) < Some(k)) {
                                carried_used += 1;
                                break;
                            }
                            seen = seen.max(seg_of(i));
                        }
                    }
                    Segmented::Violation { .. } => {
                        assert!(!whole, "seed {seed} strict {strict}: segments say violation: {h:?}");
                        violations += 1;
                    }
                    Segmented::Undecided => undecided += 1,
                    Segmented::Unknown { reason, .. } => panic!("seed {seed}: {reason}"),
                }
            }
        }
        assert!(
            carried_used > 40 && undecided > 40 && linearizable > 800 && violations > 3000,
            "carried used {carried_used}, undecided {undecided}, linearizable {linearizable}, violations {violations}"
        );
    }
}
