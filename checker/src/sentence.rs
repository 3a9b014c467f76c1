//! The explanation's sentence: one or two plain sentences about why a set of operations
//! cannot be ordered, chosen by the set's shape, every claim checked against the key's
//! whole history (through an index of its writers, so the cost follows the set's size).

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::history::{History, OpKind, Operation, Outcome, TimeUnit, describe_op, value_words};

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

/// The key's writers by value, so that every claim can be checked against the whole
/// history without scanning it once per claim.
pub(crate) struct Writers<'a> {
    history: &'a History,
    /// Value -> operations (not failed) that store it.
    by_value: HashMap<u64, Vec<usize>>,
    /// Values some failed operation tried to store.
    failed: HashSet<u64>,
}

impl<'a> Writers<'a> {
    pub(crate) fn new(history: &'a History, all: &[usize]) -> Self {
        let mut by_value: HashMap<u64, Vec<usize>> = HashMap::default();
        let mut failed = HashSet::default();
        for &i in all {
            let op = &history.ops[i];
            if let Some(v) = writes(op) {
                by_value.entry(v).or_default().push(i);
            } else if let (Outcome::Failed, OpKind::Write(v) | OpKind::Cas { new: v, .. }) = (op.outcome, op.kind) {
                failed.insert(v);
            }
        }
        Writers { history, by_value, failed }
    }

    fn of(&self, v: u64) -> impl Iterator<Item = &'a Operation> + '_ {
        self.by_value.get(&v).into_iter().flatten().map(|&i| &self.history.ops[i])
    }

    fn indices(&self, v: u64) -> &[usize] {
        self.by_value.get(&v).map_or(&[], Vec::as_slice)
    }
}

/// Most operations the sentence is looked for among; a larger set (the explanation budget
/// ran out before it was shrunk) is listed, not analysed, so the sentence costs little.
const MAX_ANALYSED: usize = 64;
/// Most operations a sentence lists.
const MAX_LISTED: usize = 8;

/// The sentence about why `set` (indices into `history`) cannot be ordered, and the
/// operations outside `set` it names (writes that show why, see [`context`]).
pub(crate) fn sentence(writers: &Writers<'_>, set: &[usize], unit: TimeUnit) -> (String, Vec<usize>) {
    let history = writers.history;
    let ops: Vec<&Operation> = set.iter().map(|&i| &history.ops[i]).collect();
    if set.len() > MAX_ANALYSED {
        let list: Vec<String> = ops.iter().take(MAX_LISTED).map(|o| describe_op(o, unit)).collect();
        return (
            format!(
                "These {} operations cannot be put in any one order that respects their times and what the \
                 register returned; the explanation budget ran out before they could be narrowed down. The \
                 first {}: {}.",
                ops.len(),
                list.len(),
                list.join("; ")
            ),
            Vec::new(),
        );
    }
    if let Some(s) = pattern(writers, &ops, unit) {
        return (s, Vec::new());
    }
    let context = context(writers, set);
    let list: Vec<String> = ops.iter().map(|o| describe_op(o, unit)).collect();
    if context.is_empty() {
        return (
            format!(
                "These {} operations cannot be put in any one order that respects their times and what the \
                 register returned: {}.",
                ops.len(),
                list.join("; ")
            ),
            context,
        );
    }
    let mut values: Vec<u64> = context.iter().filter_map(|&i| writes(&history.ops[i])).collect();
    values.sort_unstable();
    values.dedup();
    let values: Vec<String> = values.iter().map(u64::to_string).collect();
    let writes_list: Vec<String> = context.iter().map(|&i| describe_op(&history.ops[i], unit)).collect();
    (
        format!(
            "These {} operations cannot be put in any one order that respects their times and what the register \
             returned: {}. The writes of {} they could have read from can each take effect only within their own \
             times: {}.",
            ops.len(),
            list.join("; "),
            join_and(&values),
            writes_list.join("; ")
        ),
        context,
    )
}

/// "1", "1 and 2", "1, 2 and 3".
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The writes (outside `set`) of the values `set` reads or expects that could have
/// supplied them: those whose interval overlaps the set's time span, and for each value
/// the last one that finished before it. They are relaxed in the minimality sense (the
/// set without them is already a violation), but they are why the set cannot be ordered.
fn context(writers: &Writers<'_>, set: &[usize]) -> Vec<usize> {
    const MAX_CONTEXT: usize = 6;
    let ops = &writers.history.ops;
    let lo = set.iter().map(|&i| ops[i].invoke).min().unwrap_or(0);
    let hi = set.iter().map(|&i| ops[i].complete.unwrap_or(u64::MAX)).max().unwrap_or(u64::MAX);
    let mut values: Vec<u64> = set
        .iter()
        .filter_map(|&i| match (ops[i].kind, ops[i].outcome) {
            (OpKind::Read, Outcome::Ok { read }) => read,
            (OpKind::Cas { expected, .. }, _) => Some(expected),
            _ => None,
        })
        .collect();
    values.sort_unstable();
    values.dedup();
    let mut out = Vec::new();
    for v in values {
        let mut before: Option<usize> = None;
        for &w in writers.indices(v) {
            if set.contains(&w) {
                continue;
            }
            let op = &ops[w];
            let end = if op.outcome == Outcome::Unknown { u64::MAX } else { op.complete.unwrap_or(u64::MAX) };
            if op.invoke <= hi && end >= lo {
                out.push(w);
            } else if end < lo && before.is_none_or(|b| ops[b].complete < op.complete) {
                before = Some(w);
            }
        }
        out.extend(before);
    }
    out.sort_by_key(|&i| (ops[i].invoke, i));
    out.truncate(MAX_CONTEXT);
    out.sort_unstable();
    out
}

/// A sentence for one of the shapes a learner recognises, each claim checked against the
/// whole history; `None` when the set has none of them.
fn pattern(writers: &Writers<'_>, ops: &[&Operation], unit: TimeUnit) -> Option<String> {
    let reads: Vec<&Operation> = ops.iter().copied().filter(|o| o.read_value().is_some()).collect();

    for r in &reads {
        let v = r.read_value().flatten();
        let writers_of_v: Vec<&Operation> = ops.iter().copied().filter(|o| v.is_some() && writes(o) == v).collect();
        // A read of a value that was never written (or whose writes all failed).
        if let Some(v) = v
            && writers_of_v.is_empty()
        {
            let failed = writers.failed.contains(&v);
            // Writes of v elsewhere in the history, all of which start too late.
            let later: Vec<&Operation> = writers.of(v).filter(|o| ends_before(r, o)).collect();
            let all_later = writers.of(v).all(|o| ends_before(r, o) || o.invoke > r.complete.unwrap_or(u64::MAX));
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
                return Some(format!("client {} read {v} at {}, but {why}.", r.client, span(r, unit)));
            }
        }
        // A read that finishes before the only write of its value starts.
        if let [w] = writers_of_v[..]
            && ends_before(r, w)
        {
            return Some(format!(
                "client {} read {} at {}, but {} only started at {}.",
                r.client,
                value_words(v),
                span(r, unit),
                write_words(w),
                unit.point(w.invoke)
            ));
        }
        // A stale read: another value was written after every write of this one, and
        // finished before the read began.
        for o in ops {
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
            let escape = v.is_some_and(|v| writers.of(v).any(|w| !ends_before(w, o) && w.invoke <= r_end));
            if escape {
                continue;
            }
            let done = unit.point(o.complete.unwrap_or(o.invoke));
            if o_reads {
                let before = match v {
                    Some(v) => format!("every write of {v} had finished before that, so {v} could not come back"),
                    None => "so the register was no longer empty".to_string(),
                };
                return Some(format!(
                    "client {} read {} at {}, but client {} had already read {} at {}; {before}.",
                    r.client,
                    value_words(v),
                    span(r, unit),
                    o.client,
                    value_words(u),
                    span(o, unit),
                ));
            }
            return Some(match v {
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
            });
        }
    }
    // A read of a value that a compare-and-set had already replaced, when only one
    // operation ever writes that value.
    for r in &reads {
        let Some(v) = r.read_value().flatten() else { continue };
        let only: Vec<&Operation> = writers.of(v).take(2).collect();
        if only.len() != 1 {
            continue;
        }
        for o in ops {
            if let (OpKind::Cas { expected, new }, Outcome::Ok { .. }) = (o.kind, o.outcome)
                && expected == v
                && new != v
                && ends_before(o, r)
            {
                return Some(format!(
                    "client {} read {v} at {}, but the compare-and-set of {v} to {new} by client {} had already \
                     replaced it by {}, and {v} is written only once ({}).",
                    r.client,
                    span(r, unit),
                    o.client,
                    unit.point(o.complete.unwrap_or(o.invoke)),
                    write_words(only[0])
                ));
            }
        }
    }
    // A compare-and-set whose expected value was never written.
    for o in ops {
        if let (OpKind::Cas { expected, .. }, Outcome::Ok { .. }) = (o.kind, o.outcome)
            && writers.indices(expected).is_empty()
        {
            return Some(format!(
                "client {} swapped {expected} at {}, but no operation ever wrote {expected}.",
                o.client,
                span(o, unit)
            ));
        }
    }
    // Two reads of different values after every write of either value had finished: the
    // register can hold only one of them by then (any later write is of a third value).
    for (i, r1) in reads.iter().enumerate() {
        for r2 in &reads[i + 1..] {
            let (Some(Some(a)), Some(Some(b))) = (r1.read_value(), r2.read_value()) else { continue };
            let start = r1.invoke.min(r2.invoke);
            let of_both: Vec<&Operation> = writers.of(a).chain(writers.of(b)).collect();
            let all_done = of_both
                .iter()
                .all(|w| matches!(w.outcome, Outcome::Ok { .. }) && w.complete.is_some_and(|c| c < start));
            if a == b || of_both.is_empty() || !all_done {
                continue;
            }
            let last = of_both.iter().filter_map(|w| w.complete).max().unwrap_or(start);
            let (first, second) = if r1.invoke <= r2.invoke { (r1, r2) } else { (r2, r1) };
            let (fv, sv) = (first.read_value().flatten().unwrap_or(a), second.read_value().flatten().unwrap_or(b));
            return Some(format!(
                "client {} read {fv} at {} and client {} read {sv} at {}, but every write of {fv} and of {sv} had \
                 finished by {}, before either read began: whichever took effect last, both reads should have \
                 returned it.",
                first.client,
                span(first, unit),
                second.client,
                span(second, unit),
                unit.point(last)
            ));
        }
    }
    None
}
