//! Checking a register history while it is read, without holding it: `dgame check FILE`.
//!
//! [`StreamChecker`] takes the operations one at a time ([`StreamChecker::push`]), keeps
//! each register's operations since its last quiescent cut (see `docs/CHECKER.md`),
//! checks a segment as soon as a cut closes it and drops it, carrying only the set of
//! values the register can hold across the cut and the unknown writes and compare-and-sets
//! (one per act), which may still take effect. Memory follows the longest stretch without
//! a quiescent point and the distinct unknown operations, not the history. The verdict is
//! [`check`](crate::check)'s (or [`StreamVerdict::Undecided`] when the segments cannot
//! tell), but a linearizable history gets no witness (it would be as long as the history).
//!
//! A violation is explained from the input read again ([`Excerpt`]): the register's
//! operations in a window before the violation (at least [`WINDOW_OPS`] operations, from a
//! cut on), and of those before the window only what can matter to it, so the explanation
//! is the one [`check`](crate::check) gives on that excerpt. When the excerpt is not a
//! violation on its own (what came before the window mattered after all), the window
//! grows to the whole register up to the violation.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use crate::explain::explain_with;
use crate::history::{ClientId, History, Key, OpKind, Operation, Outcome, Tick, TimeUnit, Value};
use crate::options::Options;
use crate::pipeline::{KeyResult, check_key};
use crate::segment::{
    Carried, KeyBudget, Segment, Segmented, Start, call_of, check_key_in_segments, check_segment, crosses_cuts, cut_at,
    matters, ret_of, window_end,
};
use crate::verdict::{Explanation, KeyOrder, Verdict};
use crate::wgl::Budget;

/// A register's pending operations are checked once this many are buffered (or at a cut
/// after that): segments of about this size.
pub const SEGMENT_OPS: usize = 4096;

/// The least number of a register's operations before a violation that its explanation is
/// looked for among (when the register has that many; see [`Excerpt`]).
pub const WINDOW_OPS: usize = 1 << 17;

/// What [`StreamChecker::finish`] concludes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamVerdict {
    /// Linearizable: [`Verdict::Linearizable`] without a witness.
    Linearizable,
    /// Not linearizable; [`Excerpt`] explains it from the input read again.
    NotLinearizable(Violation),
    /// A budget ran out: [`Verdict::Unknown`]; `partial` is the longest order found in the
    /// segment where it ran out.
    Unknown(Verdict),
    /// An operation was pushed that was invoked before a cut already checked (the input is
    /// not in invocation order, or broke a watermark), or before an operation of its client
    /// pushed earlier (a reader compares a client's operations for overlap as they stream
    /// only when they come in invocation order, as in `jsonl::for_each_op`): check the whole
    /// history instead.
    Disordered,
    /// No violation was found, but every chain of the segments' orders that reached the
    /// end uses some unknown operation (one carried across cuts) twice, so "linearizable"
    /// would not be exact: check the whole history instead (see "Quiescent cuts" in
    /// `docs/CHECKER.md`).
    Undecided,
}

/// Where a violation is: a register and the search's last dead end (see `Excerpt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The register.
    pub key: Option<Key>,
    /// The last dead end, in the checker's times (invocations and returns shifted by one).
    frontier: u64,
    /// The explanation's window holds the operations invoked from `window_start` to
    /// `window_end` (shifted by one; 0: from the start): the last dead end, and everything
    /// invoked before an operation that must take effect by then returned (so that every
    /// operation that can be ordered with those is there).
    window_start: u64,
    window_end: u64,
}

/// One register's part of the stream.
struct KeyStream {
    /// Operations since the last cut, in the order pushed, and their indices.
    buf: Vec<Operation>,
    index: Indices,
    /// The values the register can hold at the last cut (and whether a chain of orders
    /// that uses no unknown operation twice gets there).
    starts: Vec<Start>,
    /// The unknown operations checked and dropped, which may still take effect.
    carried: Carried,
    budget: KeyBudget,
    /// The latest return (shifted) of the operations checked and dropped.
    committed_ret: u64,
    /// Operations checked and dropped.
    committed: usize,
    /// The buffer length at which to look for a cut next.
    next_try: usize,
    /// Recent cuts: (call time of the first operation after it, operations before it).
    cuts: VecDeque<(u64, usize)>,
    /// The verdict on this register, once it is not linearizable or a budget ran out.
    done: Option<KeyDone>,
}

enum KeyDone {
    Violation { frontier: u64, window_start: u64, window_end: u64 },
    Unknown { reason: String, longest: Vec<usize> },
}

/// The indices of a register's buffered operations: a run while they come one after
/// another (one register read in order costs nothing), else a list.
enum Indices {
    Run { start: usize, len: usize },
    List(Vec<usize>),
}

impl Default for Indices {
    fn default() -> Self {
        Indices::Run { start: 0, len: 0 }
    }
}

impl Indices {
    fn push(&mut self, i: usize) {
        match self {
            Indices::Run { start, len } if *len == 0 => (*start, *len) = (i, 1),
            Indices::Run { start, len } if *start + *len == i => *len += 1,
            Indices::Run { start, len } => {
                let mut list: Vec<usize> = (*start..*start + *len).collect();
                list.push(i);
                *self = Indices::List(list);
            }
            Indices::List(list) => list.push(i),
        }
    }

    /// The index of the `p`-th buffered operation.
    fn get(&self, p: usize) -> usize {
        match self {
            Indices::Run { start, .. } => start + p,
            Indices::List(list) => list[p],
        }
    }
}

/// Checks a register history pushed one operation at a time. See the module docs.
pub struct StreamChecker {
    options: Options,
    keys: BTreeMap<Option<Key>, KeyStream>,
    /// No operation pushed from now on is invoked before this (shifted by one).
    watermark: u64,
    /// Time spent checking (not reading), against `Options::max_time`.
    checking: Duration,
    disordered: bool,
    /// Each client's latest invocation pushed.
    clients: HashMap<ClientId, Tick>,
    pushed: usize,
    segment_ops: usize,
    window_ops: usize,
    /// The most operations buffered at once, over all registers.
    buffered: usize,
    peak: usize,
}

impl StreamChecker {
    /// A checker with `options` (as for [`check`](crate::check)).
    #[must_use]
    pub fn new(options: &Options) -> Self {
        StreamChecker {
            options: options.clone(),
            keys: BTreeMap::new(),
            watermark: 0,
            checking: Duration::ZERO,
            disordered: false,
            clients: HashMap::new(),
            pushed: 0,
            segment_ops: SEGMENT_OPS,
            window_ops: WINDOW_OPS,
            buffered: 0,
            peak: 0,
        }
    }

    /// Looks for a cut once this many operations of a register are buffered (default
    /// [`SEGMENT_OPS`]; 1: at every quiescent point, for tests).
    #[must_use]
    pub fn segment_ops(mut self, ops: usize) -> Self {
        self.segment_ops = ops.max(1);
        self
    }

    /// The least number of operations before a violation its explanation's window holds
    /// (default [`WINDOW_OPS`]; small values are for tests).
    #[must_use]
    pub fn window_ops(mut self, ops: usize) -> Self {
        self.window_ops = ops;
        self
    }

    /// The operations pushed so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pushed
    }

    /// The most operations held at once so far (all registers together, the carried
    /// unknown operations' representatives included): what the checker's memory follows.
    #[must_use]
    pub fn peak_buffered(&self) -> usize {
        self.peak
    }

    /// Whether nothing was pushed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pushed == 0
    }

    /// Promises that no operation pushed from now on is invoked before `time`, which lets
    /// the checker cut before it. Reading a file in invocation order, call it with each
    /// operation's invocation after pushing it. A broken promise is noticed where it
    /// matters ([`StreamVerdict::Disordered`]).
    pub fn advance(&mut self, time: Tick) {
        self.watermark = self.watermark.max(time.saturating_add(1));
    }

    /// Adds operation `index` of the history (indices as [`History::ops`] would number
    /// them, each once).
    pub fn push(&mut self, index: usize, op: Operation) {
        self.pushed += 1;
        if self.disordered {
            return;
        }
        let latest = self.clients.entry(op.client).or_insert(op.invoke);
        if op.invoke < *latest {
            self.disordered = true;
            return;
        }
        *latest = op.invoke;
        if !matters(&op, &self.options) {
            return;
        }
        let options = &self.options;
        let segment_ops = self.segment_ops;
        let k = self.keys.entry(op.key).or_insert_with(|| KeyStream {
            buf: Vec::new(),
            index: Indices::default(),
            starts: vec![Start::empty()],
            carried: Carried::new(),
            budget: KeyBudget::new(options, None),
            committed_ret: 0,
            committed: 0,
            next_try: segment_ops,
            cuts: VecDeque::new(),
            done: None,
        });
        // Invoked before a checked cut: what was checked (a violation too) assumed it was not
        // there.
        if call_of(&op) <= k.committed_ret {
            self.disordered = true;
            return;
        }
        if k.done.is_some() {
            return;
        }
        k.buf.push(op);
        k.index.push(index);
        self.buffered += 1;
        self.peak = self.peak.max(self.buffered);
        if k.buf.len() >= k.next_try {
            let key = op.key;
            self.try_cut(key);
        }
    }

    /// Remaining time for checking, as a deadline from now.
    fn deadline(&self) -> Option<Instant> {
        self.options.max_time.map(|t| Instant::now() + t.saturating_sub(self.checking))
    }

    /// Checks and drops the buffered operations of `key` up to its latest cut, if any.
    fn try_cut(&mut self, key: Option<Key>) {
        let watermark = self.watermark;
        let deadline = self.deadline();
        let started = Instant::now();
        let options = &self.options;
        let window_ops = self.window_ops;
        let Some(k) = self.keys.get_mut(&key) else { return };
        // The latest cut: a call time with every operation invoked before it returned before
        // it (and before the watermark, for the operations still to come).
        // (call, return, 0 for a write or compare-and-set, 1 for a read, 2 otherwise)
        let mut times: Vec<(u64, u64, u8)> = k
            .buf
            .iter()
            .map(|op| {
                let kind = match (op.kind, op.outcome) {
                    (OpKind::Read, _) => 1,
                    (OpKind::Write(_) | OpKind::Cas { .. }, Outcome::Ok { .. }) => 0,
                    _ => 2,
                };
                (call_of(op), cut_ret(op), kind)
            })
            .collect();
        times.sort_unstable();
        // Of the cuts, the latest where the register's value is pinned (a read after the
        // last write: only one value crosses, found by one search), else the latest.
        let (mut max_ret, mut store_ret, mut read_call) = (0u64, 0u64, 0u64);
        let (mut cut, mut pinned) = (None, None);
        for (j, &(call, ret, kind)) in times.iter().enumerate() {
            if j > 0 && max_ret < call && max_ret < watermark {
                cut = Some(call);
                if read_call > store_ret {
                    pinned = Some(call);
                }
            }
            max_ret = max_ret.max(ret);
            match kind {
                0 => store_ret = store_ret.max(ret),
                1 => read_call = read_call.max(call),
                _ => {}
            }
        }
        if max_ret < watermark {
            cut = Some(u64::MAX);
            if read_call > store_ret {
                pinned = cut;
            }
        }
        // A pinned cut far back would check little and leave a lot buffered.
        let cut = match (pinned, cut) {
            (Some(p), Some(c)) if times.partition_point(|t| t.0 < p) * 2 >= times.partition_point(|t| t.0 < c) => {
                Some(p)
            }
            _ => cut,
        };
        let Some(cut) = cut else {
            // No cut yet: look again when the buffer has doubled; never, when an operation
            // that stays pending forever was invoked before the watermark (everything still
            // to come is invoked after it, and nothing buffered left a cut before it).
            let blocked = times.iter().any(|&(call, ret, _)| ret == u64::MAX && call < watermark);
            k.next_try = if blocked { usize::MAX } else { 2 * k.buf.len() };
            return;
        };
        drop(times);
        self.buffered -= k.buf.len();
        let (mut segment, mut indices) = (Vec::new(), Indices::default());
        let (mut rest, mut rest_indices) = (Vec::new(), Indices::default());
        let all = std::mem::take(&mut k.index);
        for (p, op) in k.buf.drain(..).enumerate() {
            let i = all.get(p);
            if call_of(&op) < cut {
                segment.push(op);
                indices.push(i);
            } else {
                rest.push(op);
                rest_indices.push(i);
            }
        }
        (k.buf, k.index) = (rest, rest_indices);
        self.buffered += k.buf.len();
        k.next_try = k.buf.len() + self.segment_ops;
        let seg_ret = segment.iter().map(cut_ret).max().unwrap_or(0);
        // The carried operations' representatives are held too.
        let held = k.carried.len();
        check_into(k, segment, &indices, options, false, deadline, window_ops);
        self.buffered += k.carried.len() - held;
        self.peak = self.peak.max(self.buffered);
        k.committed_ret = k.committed_ret.max(seg_ret);
        self.checking += started.elapsed();
    }

    /// Checks what is left and gives the verdict: the violation on the first register (by
    /// key) that has one, else the first budget that ran out, else linearizable.
    #[must_use]
    pub fn finish(mut self) -> StreamVerdict {
        if self.disordered {
            return StreamVerdict::Disordered;
        }
        let keys: Vec<Option<Key>> = self.keys.keys().copied().collect();
        for key in keys {
            let deadline = self.deadline();
            let started = Instant::now();
            let options = &self.options;
            let window_ops = self.window_ops;
            let Some(k) = self.keys.get_mut(&key) else { continue };
            if k.done.is_none() {
                let segment = std::mem::take(&mut k.buf);
                let indices = std::mem::take(&mut k.index);
                check_into(k, segment, &indices, options, true, deadline, window_ops);
            }
            self.checking += started.elapsed();
        }
        let mut unknown = None;
        let mut undecided = false;
        for (key, k) in self.keys {
            // Only chains that may use an unknown operation twice got to the end.
            undecided |= k.done.is_none() && !k.starts.iter().any(|s| s.real);
            match k.done {
                Some(KeyDone::Violation { frontier, window_start, window_end }) => {
                    return StreamVerdict::NotLinearizable(Violation { key, frontier, window_start, window_end });
                }
                Some(KeyDone::Unknown { reason, longest }) if unknown.is_none() => {
                    let reason = match key {
                        Some(k) => format!("{reason} on key {k}"),
                        None => reason,
                    };
                    unknown = Some(Verdict::Unknown { reason, partial: KeyOrder { key, ops: longest } });
                }
                _ => {}
            }
        }
        match unknown {
            _ if undecided => StreamVerdict::Undecided,
            Some(v) => StreamVerdict::Unknown(v),
            None => StreamVerdict::Linearizable,
        }
    }
}

/// An operation's return as far as cuts go: an unknown one, which is carried across cuts,
/// at its invocation (a cut may come after that), any other at its return.
fn cut_ret(op: &Operation) -> u64 {
    if crosses_cuts(op) { call_of(op) } else { ret_of(op) }
}

/// Checks `segment` (operations `indices` of the input) of register `k` from its carried
/// states and records the outcome.
fn check_into(
    k: &mut KeyStream,
    segment: Vec<Operation>,
    indices: &Indices,
    options: &Options,
    last: bool,
    deadline: Option<Instant>,
    window_ops: usize,
) {
    if segment.is_empty() {
        return;
    }
    let first_call = segment.iter().map(call_of).min().unwrap_or(0);
    let len = segment.len();
    let mut history = History { ops: segment, time_unit: TimeUnit::Ticks };
    let positions: Vec<usize> = (0..len).collect();
    // The carried operations the segment may need, after its own.
    let reps = k.carried.select(&history, &positions, options);
    history.ops.extend(reps.iter().map(|&(_, op)| op));
    let carried: Vec<usize> = (len..history.ops.len()).collect();
    k.budget.deadline = deadline;
    match check_segment(&history, &positions, &carried, &k.carried, options, &k.starts, last, false, &mut k.budget) {
        Segment::Ends(ends) => {
            k.carried.record(&history, &positions, |p| p);
            k.starts = ends.iter().map(Start::of).collect();
            k.cuts.push_back((first_call, k.committed));
            k.committed += len;
            // Keep the cuts a window may start at: the latest with `window_ops` after it, and later.
            while k.cuts.len() > 1 && k.committed - k.cuts[1].1 >= window_ops {
                k.cuts.pop_front();
            }
        }
        Segment::Violation { frontier } => {
            let window_start = match k.cuts.front() {
                Some(&(call, before)) if k.committed - before >= window_ops && window_ops > 0 => call,
                _ => 0,
            };
            // Close the window over what is concurrent with it.
            let window_end = window_end(&history, &positions, options, frontier);
            k.done = Some(KeyDone::Violation { frontier, window_start, window_end });
            (k.buf, k.index) = (Vec::new(), Indices::default());
        }
        Segment::Unknown { reason, longest } => {
            // (Carried operations, after the segment's own, are not named.)
            let longest = longest.into_iter().filter(|&p| p < len).map(|p| indices.get(p)).collect();
            k.done = Some(KeyDone::Unknown { reason, longest });
            (k.buf, k.index) = (Vec::new(), Indices::default());
        }
    }
}

/// The explanation of a [`Violation`], from the input read again, once or a few times:
/// feed it every operation of each reading ([`Excerpt::feed`]), then ask for the verdict
/// ([`Excerpt::end_of_input`]), which may ask for another reading.
pub struct Excerpt {
    options: Options,
    violation: Violation,
    /// Reading the window (true) or what is around it.
    window_pass: bool,
    /// The register's operations from the window's start to the violation.
    window: Vec<(usize, Operation)>,
    /// The values the window's operations read or compare against.
    observed: HashSet<Value>,
    /// Before the window, per observed value: the write of it that returned last; the
    /// write of an unobserved value that returned last; the write invoked last.
    before: HashMap<Value, (usize, Operation)>,
    before_other: Option<(usize, Operation)>,
    before_last_call: Option<(usize, Operation)>,
    /// Before the window: a failed write per observed value (for the sentence's "every
    /// write of it failed"), and whether anything but plain writes and reads was there.
    failed: HashMap<Value, (usize, Operation)>,
    not_plain: bool,
    /// Before the window: the unknown writes of observed values (each may take effect in
    /// the window: all of them are checked), and whether the window holds a strict failed
    /// compare-and-set (which a write of any other value can satisfy).
    unknown_writes: Vec<(usize, Operation)>,
    window_not_equal: bool,
    /// After the window, per observed value: the first two writes of it (the sentence
    /// says when a value read was written only later).
    after: HashMap<Value, Vec<(usize, Operation)>>,
}

impl Violation {
    /// The explanation's reader.
    #[must_use]
    pub fn excerpt(&self, options: &Options) -> Excerpt {
        Excerpt {
            options: options.clone(),
            violation: self.clone(),
            window_pass: true,
            window: Vec::new(),
            observed: HashSet::new(),
            before: HashMap::new(),
            before_other: None,
            before_last_call: None,
            failed: HashMap::new(),
            not_plain: false,
            unknown_writes: Vec::new(),
            window_not_equal: false,
            after: HashMap::new(),
        }
    }
}

fn returns_later(a: &Operation, b: &Operation) -> bool {
    ret_of(a) > ret_of(b)
}

impl Excerpt {
    /// Takes operation `index` of the input being read again.
    pub fn feed(&mut self, index: usize, op: Operation) {
        if op.key != self.violation.key {
            return;
        }
        let call = call_of(&op);
        let v = &self.violation;
        if self.window_pass {
            if call >= v.window_start && call <= v.window_end {
                self.window.push((index, op));
            }
            return;
        }
        if call < v.window_start {
            match (op.kind, op.outcome) {
                (OpKind::Read, _) => {}
                (OpKind::Write(x), Outcome::Ok { .. }) => {
                    if self.observed.contains(&x) {
                        let best = self.before.entry(x).or_insert((index, op));
                        if returns_later(&op, &best.1) {
                            *best = (index, op);
                        }
                    } else if self.before_other.is_none_or(|(_, b)| returns_later(&op, &b)) {
                        self.before_other = Some((index, op));
                    }
                    if self.before_last_call.is_none_or(|(_, b)| call_of(&op) > call_of(&b)) {
                        self.before_last_call = Some((index, op));
                    }
                }
                (OpKind::Write(x) | OpKind::Cas { new: x, .. }, Outcome::Failed) => {
                    if matters(&op, &self.options) {
                        self.not_plain = true;
                    } else if self.observed.contains(&x) {
                        self.failed.entry(x).or_insert((index, op));
                    }
                }
                // An unknown operation may take effect in the window. One storing a value
                // nobody there observes can only be left out (as `prepare` would), unless a
                // strict failed compare-and-set is there; an unknown write of an observed
                // value is checked with the window.
                (OpKind::Write(x) | OpKind::Cas { new: x, .. }, Outcome::Unknown)
                    if !self.observed.contains(&x) && !self.window_not_equal => {}
                (OpKind::Write(_), Outcome::Unknown) if !self.window_not_equal => self.unknown_writes.push((index, op)),
                _ => self.not_plain = true,
            }
        } else if call > v.window_end {
            let stored = match op.kind {
                OpKind::Write(x) | OpKind::Cas { new: x, .. } => x,
                OpKind::Read => return,
            };
            if !self.observed.contains(&stored) {
                return;
            }
            if op.outcome == Outcome::Failed {
                self.failed.entry(stored).or_insert((index, op));
                return;
            }
            let first = self.after.entry(stored).or_default();
            first.push((index, op));
            first.sort_by_key(|(i, o)| (o.invoke, *i));
            first.truncate(2);
        }
    }

    /// Says the input was read to its end. `None`: read it again from the start and feed
    /// every operation; otherwise the verdict, with the explanation ([`check`]'s on the
    /// excerpt, its indices those of the input). `time_unit` is the input's.
    ///
    /// [`check`]: crate::check
    pub fn end_of_input(&mut self, time_unit: TimeUnit) -> Option<Verdict> {
        if self.window_pass {
            self.observed = self
                .window
                .iter()
                .filter_map(|(_, op)| match (op.kind, op.outcome) {
                    (OpKind::Read, Outcome::Ok { read }) => read,
                    (OpKind::Cas { expected, .. }, _) => Some(expected),
                    _ => None,
                })
                .collect();
            self.window_not_equal = self.window.iter().any(|(_, op)| {
                matches!((op.kind, op.outcome), (OpKind::Cas { .. }, Outcome::Failed)) && matters(op, &self.options)
            });
            self.window_pass = false;
            return None;
        }
        if self.not_plain && self.violation.window_start > 0 {
            return self.widen();
        }
        // What the check sees, and what only the sentence does (it must not constrain the
        // check: a later compare-and-set needs its expected value, and so on).
        let mut ops: Vec<(usize, Operation, bool)> =
            std::mem::take(&mut self.window).into_iter().map(|(i, o)| (i, o, true)).collect();
        let checked = (self.before.drain().map(|(_, o)| o))
            .chain(self.before_other.take())
            .chain(self.before_last_call.take())
            .chain(self.unknown_writes.drain(..));
        ops.extend(checked.map(|(i, o)| (i, o, true)));
        let words = self.failed.drain().map(|(_, o)| o).chain(self.after.drain().flat_map(|(_, o)| o));
        ops.extend(words.map(|(i, o)| (i, o, false)));
        ops.sort_by_key(|&(i, _, checked)| (i, !checked));
        ops.dedup_by_key(|(i, _, _)| *i);
        let history = History { ops: ops.iter().map(|(_, op, _)| *op).collect(), time_unit };
        let main: Vec<usize> = (0..ops.len()).filter(|&p| ops[p].2).collect();
        let all: Vec<usize> = (0..ops.len()).collect();
        let options = &self.options;
        let deadline = options.max_time.map(|t| Instant::now() + t);
        let budget = Budget::new(options.max_steps, deadline, options.max_memory_bytes);
        // The check `check` does; if its budget runs out, the one the stream did (in segments).
        let hint = match check_key(&history, &main, options, &budget, None) {
            KeyResult::Violation(hint) => Some(hint),
            KeyResult::Linearizable(_) => None,
            KeyResult::Unknown { reason: whole, longest: whole_longest } => {
                match check_key_in_segments(&history, &main, options, deadline, SEGMENT_OPS) {
                    Segmented::Violation { frontier } => Some(cut_at(&history, &main, options, frontier)),
                    Segmented::Linearizable(_) => None,
                    // The segments need the whole check, which ran out of budget.
                    Segmented::Undecided => {
                        return Some(Verdict::Unknown {
                            reason: whole,
                            partial: KeyOrder {
                                key: self.violation.key,
                                ops: whole_longest.into_iter().map(|p| ops[p].0).collect(),
                            },
                        });
                    }
                    Segmented::Unknown { reason, longest } => {
                        return Some(Verdict::Unknown {
                            reason,
                            partial: KeyOrder {
                                key: self.violation.key,
                                ops: longest.into_iter().map(|p| ops[p].0).collect(),
                            },
                        });
                    }
                }
            }
        };
        let Some(hint) = hint else {
            if self.violation.window_start > 0 {
                // What came before the window mattered after all.
                return self.widen();
            }
            return Some(Verdict::Unknown {
                reason: "the violation found while reading could not be found again in the history".to_string(),
                partial: KeyOrder { key: self.violation.key, ops: Vec::new() },
            });
        };
        let explanation = explain_with(&history, self.violation.key, &main, &all, &hint, options, deadline);
        let global = |l: Vec<usize>| l.into_iter().map(|p| ops[p].0).collect();
        Some(Verdict::NotLinearizable {
            explanation: Explanation {
                ops: global(explanation.ops),
                context: global(explanation.context),
                ..explanation
            },
        })
    }

    /// Starts over with the whole register up to the violation as the window.
    fn widen(&mut self) -> Option<Verdict> {
        let violation = Violation { window_start: 0, ..self.violation.clone() };
        *self = violation.excerpt(&self.options);
        None
    }
}
