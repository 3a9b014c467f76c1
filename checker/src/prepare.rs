//! Turns one register's operations into the search's compact form, reducing on the way.
//!
//! Reduction is what makes most real histories cheap: failed operations and unknown reads
//! constrain nothing, an unknown write whose value nobody observes can always be left out,
//! and a read of a value nobody wrote is a violation before any search.

use rustc_hash::FxHashMap;

use crate::history::{History, OpKind, Outcome, Value};
use crate::options::Options;

/// A register value interned to a small integer; `EMPTY` is the initial, empty register.
pub(crate) type State = u32;
pub(crate) const EMPTY: State = 0;

/// What an operation does to the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    /// Requires the register to hold the value.
    Read(State),
    /// Stores the value.
    Write(State),
    /// Requires `.0`, stores `.1`.
    Cas(State, State),
    /// Requires the register not to hold the value (a failed compare-and-set, strictly read).
    NotEq(State),
}

impl Act {
    /// The state after this act, or `None` if it cannot happen in `state`.
    #[inline]
    pub(crate) fn apply(self, state: State) -> Option<State> {
        match self {
            Act::Read(v) => (v == state).then_some(state),
            Act::Write(v) => Some(v),
            Act::Cas(from, to) => (from == state).then_some(to),
            Act::NotEq(v) => (v != state).then_some(state),
        }
    }
}

/// One operation in search form. Times are shifted by one so that 0 means "before
/// everything"; `ret == u64::MAX` means "never returned".
#[derive(Debug, Clone, Copy)]
pub(crate) struct Op {
    /// Index in the history.
    pub(crate) index: usize,
    pub(crate) call: u64,
    pub(crate) ret: u64,
    /// Must take effect (it completed); otherwise it may or may not.
    pub(crate) required: bool,
    /// May take effect any number of times (see `engine::check_key`); only for optional
    /// operations that never returned.
    pub(crate) repeat: bool,
    pub(crate) act: Act,
}

/// The outcome of preparing one register's operations.
pub(crate) enum Prepared {
    /// Operations to search, sorted by call time.
    Ops(Vec<Op>),
    /// A violation found without searching: these history indices cannot be ordered.
    Violation(Vec<usize>),
}

/// The index of a virtual operation (see [`Virtual`]) in [`Op::index`]; never reported.
pub(crate) const VIRTUAL: usize = usize::MAX;

/// Operations added to a segment of a history cut at quiescent points (see `segment`):
/// a required write of `start` before everything (the register's value at the cut; `None`
/// adds nothing, the register starts empty), and a required read of `end` after everything
/// (`Some(v)`: "the segment can end with the register holding `v`"); and `carried`, unknown
/// writes and compare-and-sets of earlier segments (indices into the history), which may
/// still take effect: each is invoked at the segment's start (after the virtual write) and
/// never returns, and may take effect any number of times (a relaxation, see `segment`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Virtual<'a> {
    pub(crate) start: Option<Value>,
    pub(crate) end: Option<Option<Value>>,
    pub(crate) carried: &'a [usize],
}

/// Prepares the operations `indices` of `history` (all on one register).
///
/// Operations with `relaxed[index]` set are weakened: reads are dropped, writes and
/// compare-and-sets may or may not take effect (within their own interval).
pub(crate) fn prepare(history: &History, indices: &[usize], options: &Options, relaxed: Option<&[bool]>) -> Prepared {
    prepare_with(history, indices, options, relaxed, Virtual::default())
}

/// [`prepare`] with virtual operations around the history (see [`Virtual`]).
pub(crate) fn prepare_with(
    history: &History,
    indices: &[usize],
    options: &Options,
    relaxed: Option<&[bool]>,
    virt: Virtual,
) -> Prepared {
    let mut values: FxHashMap<u64, State> = FxHashMap::default();
    let mut intern = |v: u64| -> State {
        let next = values.len() as State + 1;
        *values.entry(v).or_insert(next)
    };
    let intern_opt = |v: Option<u64>, intern: &mut dyn FnMut(u64) -> State| match v {
        Some(v) => intern(v),
        None => EMPTY,
    };

    let mut ops = Vec::with_capacity(indices.len() + 2);
    // Times are shifted by one, so that 0 is before every operation (the initial empty
    // register), and by one more with a virtual start, which goes at 1.
    let shift = if virt.start.is_some() { 2 } else { 1 };
    if let Some(v) = virt.start {
        ops.push(Op { index: VIRTUAL, call: 1, ret: 1, required: true, repeat: false, act: Act::Write(intern(v)) });
    }
    for &index in indices {
        let Some(op) = history.ops.get(index) else {
            continue;
        };
        let call = op.invoke.saturating_add(shift);
        let ret = match (op.outcome, op.complete) {
            (Outcome::Unknown, _) | (_, None) => u64::MAX,
            (_, Some(c)) => c.max(op.invoke).saturating_add(shift),
        };
        let relax = relaxed.is_some_and(|r| r.get(index).copied().unwrap_or(false));
        if relax && (op.kind == OpKind::Read || op.outcome == Outcome::Failed) {
            continue;
        }
        let (act, required) = match (op.kind, op.outcome) {
            (OpKind::Read, Outcome::Ok { read }) => (Act::Read(intern_opt(read, &mut intern)), true),
            (OpKind::Read, _) => continue,
            (OpKind::Write(v), Outcome::Ok { .. }) => (Act::Write(intern(v)), true),
            (OpKind::Write(v), Outcome::Unknown) => (Act::Write(intern(v)), false),
            (OpKind::Write(_), Outcome::Failed) => continue,
            (OpKind::Cas { expected, new }, Outcome::Ok { .. }) => (Act::Cas(intern(expected), intern(new)), true),
            (OpKind::Cas { expected, new }, Outcome::Unknown) => (Act::Cas(intern(expected), intern(new)), false),
            (OpKind::Cas { expected, .. }, Outcome::Failed) => {
                if options.strict_failed_cas {
                    (Act::NotEq(intern(expected)), true)
                } else {
                    continue;
                }
            }
        };
        ops.push(Op { index, call, ret, required: required && !relax, repeat: false, act });
    }
    for &index in virt.carried {
        let act = match history.ops.get(index).map(|op| op.kind) {
            Some(OpKind::Write(v)) => Act::Write(intern(v)),
            Some(OpKind::Cas { expected, new }) => Act::Cas(intern(expected), intern(new)),
            Some(OpKind::Read) | None => continue,
        };
        // At the segment's start: after the virtual write (which returns at 1), concurrent
        // with everything else.
        ops.push(Op { index, call: shift, ret: u64::MAX, required: false, repeat: true, act });
    }
    if let Some(end) = virt.end {
        let at = ops.iter().map(|op| op.ret).max().unwrap_or(0).saturating_add(1);
        let act = Act::Read(intern_opt(end, &mut intern));
        ops.push(Op { index: VIRTUAL, call: at, ret: at, required: true, repeat: false, act });
    }
    let n_states = values.len() + 1;

    // A required read (or compare) of a value nobody ever wrote cannot be ordered.
    let mut written = vec![false; n_states];
    written[EMPTY as usize] = true;
    for op in &ops {
        match op.act {
            Act::Write(v) | Act::Cas(_, v) => written[v as usize] = true,
            _ => {}
        }
    }
    for op in &ops {
        let needs = match op.act {
            Act::Read(v) if op.required => Some(v),
            Act::Cas(v, _) if op.required => Some(v),
            _ => None,
        };
        if let Some(v) = needs
            && !written[v as usize]
        {
            return Prepared::Violation(vec![op.index]);
        }
    }

    // Leave out optional writes whose value nobody needs: any order using one stays valid
    // without it. A "not equal" constraint could notice the difference, so not then.
    let has_not_eq = ops.iter().any(|op| matches!(op.act, Act::NotEq(_)));
    if !has_not_eq {
        let mut observers = vec![0u32; n_states];
        for op in &ops {
            match op.act {
                Act::Read(v) => observers[v as usize] += 1,
                Act::Cas(v, _) => observers[v as usize] += 1,
                _ => {}
            }
        }
        let mut keep = vec![true; ops.len()];
        loop {
            let mut changed = false;
            for (i, op) in ops.iter().enumerate() {
                if !keep[i] || op.required {
                    continue;
                }
                match op.act {
                    Act::Write(v) if observers[v as usize] == 0 => {
                        keep[i] = false;
                        changed = true;
                    }
                    Act::Cas(from, to) if observers[to as usize] == 0 => {
                        keep[i] = false;
                        observers[from as usize] -= 1;
                        changed = true;
                    }
                    _ => {}
                }
            }
            if !changed {
                break;
            }
        }
        let mut i = 0;
        ops.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }

    if ops.is_sorted_by_key(|op| op.call) {
        // Calls in order already (a history is written as operations are invoked): only
        // operations invoked at the same time need ordering, among themselves.
        for same_call in ops.chunk_by_mut(|a, b| a.call == b.call) {
            same_call.sort_by_key(|op| (op.ret, op.index));
        }
    } else {
        ops.sort_by_key(|op| (op.call, op.ret, op.index));
    }
    Prepared::Ops(ops)
}

/// Maps every value that no operation observes (reads, compares, strict failed compares)
/// to one state: no operation can tell such values apart, so this changes no verdict, and
/// it lets the search treat their writes as interchangeable (see `wgl`). Not for the
/// polynomial path, which needs each value written once.
pub(crate) fn merge_unobserved(ops: &mut [Op]) {
    let max = ops
        .iter()
        .map(|op| match op.act {
            Act::Read(v) | Act::Write(v) | Act::NotEq(v) => v,
            Act::Cas(a, b) => a.max(b),
        })
        .max()
        .unwrap_or(EMPTY) as usize;
    let mut observed = vec![false; max + 1];
    observed[EMPTY as usize] = true;
    for op in ops.iter() {
        match op.act {
            Act::Read(v) | Act::Cas(v, _) | Act::NotEq(v) => observed[v as usize] = true,
            Act::Write(_) => {}
        }
    }
    // The junk state: the first unobserved value (any one will do).
    let Some(junk) = observed.iter().position(|&o| !o) else { return };
    let map = |v: State| if observed[v as usize] { v } else { junk as State };
    for op in ops.iter_mut() {
        op.act = match op.act {
            Act::Write(v) => Act::Write(map(v)),
            Act::Cas(a, b) => Act::Cas(a, map(b)),
            other => other,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Operation;

    fn prepared(ops: Vec<Operation>) -> Prepared {
        let h = History::from_ops(ops);
        let indices: Vec<usize> = (0..h.ops.len()).collect();
        prepare(&h, &indices, &Options::default(), None)
    }

    #[test]
    fn failed_ops_unknown_reads_and_unobserved_unknown_writes_are_dropped() {
        let Prepared::Ops(ops) = prepared(vec![
            Operation::write(1, 0, 5, 1),
            Operation::write(2, 1, 6, 2).failed(),
            Operation::read(3, 2, 7, Some(1)).unknown(),
            Operation::write(4, 3, 0, 3).unknown(),
            Operation::write(5, 3, 0, 4).unknown(),
            Operation::read(6, 10, 12, Some(4)),
        ]) else {
            panic!("no violation here")
        };
        let kept: Vec<usize> = ops.iter().map(|o| o.index).collect();
        assert_eq!(kept, vec![0, 4, 5]);
        assert!(!ops[1].required && ops[1].ret == u64::MAX);
    }

    #[test]
    fn unknown_cas_chains_are_dropped_from_the_end() {
        // write 1; unknown cas 1->2; unknown cas 2->3; nobody reads 2 or 3.
        let Prepared::Ops(ops) = prepared(vec![
            Operation::write(1, 0, 5, 1),
            Operation::cas(2, 6, 0, 1, 2).unknown(),
            Operation::cas(3, 7, 0, 2, 3).unknown(),
            Operation::read(4, 10, 12, Some(1)),
        ]) else {
            panic!("no violation here")
        };
        assert_eq!(ops.len(), 2);
    }

    #[test]
    fn reading_a_value_nobody_wrote_fails_before_any_search() {
        match prepared(vec![Operation::write(1, 0, 5, 1), Operation::read(2, 6, 7, Some(9))]) {
            Prepared::Violation(v) => assert_eq!(v, vec![1]),
            Prepared::Ops(_) => panic!("should fail at once"),
        }
    }
}
