//! The polynomial check for read/write registers where every value is written at most once
//! (after Gibbons and Korach's zones).
//!
//! With unique values, the write of `v` and every read of `v` form a *cluster* that must
//! appear as one contiguous block in any order: once another value is written, `v` cannot
//! come back. Let `a` be the earliest return and `b` the latest call among a cluster's
//! operations. Cluster C must precede cluster D exactly when some operation of C returns
//! before some operation of D is called, i.e. `a(C) < b(D)`. The history is linearizable
//! iff no read returns before its write is called and this precedence has no cycle — and a
//! shortest cycle of such a relation always has length two, so a violation is always a
//! pair of clusters that must each come first. Everything is `O(n log n)`.

use std::collections::BTreeSet;

use crate::prepare::{Act, EMPTY, Op};

/// Whether the fast path applies: only reads and writes, each value written at most once.
pub(crate) fn applies(ops: &[Op]) -> bool {
    let mut max_state = 0usize;
    for op in ops {
        match op.act {
            Act::Read(v) | Act::Write(v) => max_state = max_state.max(v as usize),
            _ => return false,
        }
    }
    let mut written = vec![false; max_state + 1];
    for op in ops {
        if let Act::Write(v) = op.act {
            if written[v as usize] {
                return false;
            }
            written[v as usize] = true;
        }
    }
    true
}

/// The result: an order (positions in `ops`) or the positions of conflicting operations.
pub(crate) enum Zones {
    Linearizable(Vec<usize>),
    /// Positions in `ops`; the virtual initial write is not among them.
    Violation(Vec<usize>),
}

struct Cluster {
    writer: Option<usize>,
    members: Vec<usize>,
    /// Earliest return among members, and which member.
    a: u64,
    a_op: Option<usize>,
    /// Latest call among members, and which member.
    b: u64,
    b_op: Option<usize>,
}

/// Checks `ops` (for which [`applies`] holds). Unknown writes left after reduction are
/// observed, so with unique values they must have taken effect.
pub(crate) fn check(ops: &[Op]) -> Zones {
    let max_state = ops
        .iter()
        .map(|op| match op.act {
            Act::Read(v) | Act::Write(v) => v as usize,
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    let mut clusters: Vec<Cluster> = (0..=max_state)
        .map(|_| Cluster { writer: None, members: Vec::new(), a: u64::MAX, a_op: None, b: 0, b_op: None })
        .collect();
    // The initial value has a virtual write at time 0, before everything.
    clusters[EMPTY as usize].a = 0;
    for (p, op) in ops.iter().enumerate() {
        let v = match op.act {
            Act::Read(v) | Act::Write(v) => v as usize,
            _ => continue,
        };
        let c = &mut clusters[v];
        if matches!(op.act, Act::Write(_)) {
            c.writer = Some(p);
        } else {
            c.members.push(p);
        }
        if op.ret < c.a {
            c.a = op.ret;
            c.a_op = Some(p);
        }
        if op.call > c.b || c.b_op.is_none() {
            c.b = c.b.max(op.call);
            c.b_op = Some(p);
        }
    }
    // Drop values nobody wrote or read (unwritten values were rejected earlier).
    let live: Vec<usize> =
        (0..clusters.len()).filter(|&v| v == EMPTY as usize || clusters[v].writer.is_some()).collect();

    // A read that returns before its write is called.
    for &v in &live {
        let c = &clusters[v];
        if let Some(w) = c.writer {
            for &r in &c.members {
                if ops[r].ret < ops[w].call {
                    return Zones::Violation(vec![w, r]);
                }
            }
        }
    }

    if let Some((c, d)) = find_two_cycle(&clusters, &live) {
        // C must come first because x (earliest return of C) returned before some op of
        // D was called; take the earliest such op of D, so the explanation stays local.
        let earliest_after = |cl: &Cluster, t: u64| {
            cl.writer.iter().chain(&cl.members).copied().filter(|&p| ops[p].call > t).min_by_key(|&p| (ops[p].call, p))
        };
        let (cc, dd) = (&clusters[c], &clusters[d]);
        let mut set = Vec::new();
        for cl in [cc, dd] {
            set.extend(cl.writer);
            set.extend(cl.a_op);
        }
        set.extend(earliest_after(dd, cc.a));
        set.extend(earliest_after(cc, dd.a));
        set.sort_unstable();
        set.dedup();
        return Zones::Violation(set);
    }

    // No cycle: peel clusters off in precedence order.
    let mut by_a: BTreeSet<(u64, usize)> = live.iter().map(|&v| (clusters[v].a, v)).collect();
    let mut by_b: BTreeSet<(u64, usize)> = live.iter().map(|&v| (clusters[v].b, v)).collect();
    let mut order = Vec::with_capacity(ops.len());
    while let Some(&(b_d, d)) = by_b.first() {
        let min_a_excluding =
            |by_a: &BTreeSet<(u64, usize)>, x: usize| by_a.iter().find(|&&(_, v)| v != x).map(|&(a, v)| (a, v));
        let pick = match min_a_excluding(&by_a, d) {
            Some((a_c, c)) if a_c < b_d => c,
            _ => d,
        };
        let cl = &clusters[pick];
        by_a.remove(&(cl.a, pick));
        by_b.remove(&(cl.b, pick));
        order.extend(cl.writer);
        let mut reads = cl.members.clone();
        reads.sort_by_key(|&r| (ops[r].ret, ops[r].call));
        order.extend(reads);
    }
    Zones::Linearizable(order)
}

/// Two clusters that must each precede the other, if any.
fn find_two_cycle(clusters: &[Cluster], live: &[usize]) -> Option<(usize, usize)> {
    let mut sorted: Vec<usize> = live.to_vec();
    sorted.sort_by_key(|&v| clusters[v].a);
    // Prefix maxima of b: the best and the second best, with their clusters.
    let mut best: Vec<((u64, usize), (u64, usize))> = Vec::with_capacity(sorted.len());
    let mut top = (0u64, usize::MAX);
    let mut second = (0u64, usize::MAX);
    for &v in &sorted {
        let b = clusters[v].b;
        if top.1 == usize::MAX || b > top.0 {
            second = top;
            top = (b, v);
        } else if second.1 == usize::MAX || b > second.0 {
            second = (b, v);
        }
        best.push((top, second));
    }
    for &d in live {
        let cd = &clusters[d];
        // Clusters with a(C) < b(D) form a prefix of `sorted`.
        let k = sorted.partition_point(|&v| clusters[v].a < cd.b);
        if k == 0 {
            continue;
        }
        let (top, second) = best[k - 1];
        let cand = if top.1 != d { top } else { second };
        if cand.1 != usize::MAX && cand.0 > cd.a {
            return Some((cand.1, d));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(p: usize, call: u64, ret: u64, act: Act) -> Op {
        Op { index: p, call, ret, required: true, repeat: false, act }
    }

    #[test]
    fn sequential_writes_and_reads_are_ordered_by_cluster() {
        let ops = [
            op(0, 1, 2, Act::Write(1)),
            op(1, 3, 4, Act::Read(1)),
            op(2, 5, 6, Act::Write(2)),
            op(3, 7, 8, Act::Read(2)),
        ];
        match check(&ops) {
            Zones::Linearizable(order) => assert_eq!(order, vec![0, 1, 2, 3]),
            Zones::Violation(v) => panic!("{v:?}"),
        }
    }

    #[test]
    fn a_two_cycle_names_both_clusters() {
        // write 1, write 2 after it, then a read of 1: cluster 1 must both precede and
        // follow cluster 2.
        let ops = [op(0, 1, 2, Act::Write(1)), op(1, 3, 4, Act::Write(2)), op(2, 5, 6, Act::Read(1))];
        match check(&ops) {
            Zones::Violation(mut v) => {
                v.sort_unstable();
                assert_eq!(v, vec![0, 1, 2]);
            }
            Zones::Linearizable(o) => panic!("{o:?}"),
        }
    }

    #[test]
    fn reused_values_and_cas_are_not_for_this_path() {
        assert!(!applies(&[op(0, 1, 2, Act::Write(1)), op(1, 3, 4, Act::Write(1))]));
        assert!(!applies(&[op(0, 1, 2, Act::Cas(0, 1))]));
        assert!(applies(&[op(0, 1, 2, Act::Write(1)), op(1, 3, 4, Act::Read(1))]));
    }
}
