//! A brute-force linearizability oracle: tries every order. Only for tiny histories.

#![allow(dead_code)]

use std::collections::HashSet;

use dgame_checker::{History, Key, OpKind, Operation, Outcome};

/// Whether `history` is linearizable, by trying every order of every key's operations.
pub fn linearizable(history: &History, strict_failed_cas: bool) -> bool {
    let mut keys: Vec<Option<Key>> = history.ops.iter().map(|o| o.key).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter().all(|k| {
        let ops: Vec<&Operation> = history.ops.iter().filter(|o| o.key == k).collect();
        key_linearizable(&ops, strict_failed_cas)
    })
}

/// Whether the operations `subset` (indices) of `history` are linearizable when every
/// other operation on the same key is relaxed: writes and compare-and-sets may or may not
/// take effect (within their own interval), reads and failed operations are forgotten.
pub fn relaxed_linearizable(history: &History, subset: &[usize], strict: bool) -> bool {
    let key = subset.first().map(|&i| history.ops[i].key).unwrap_or(None);
    let ops: Vec<&Operation> = subset.iter().map(|&i| &history.ops[i]).collect();
    let mut c = candidates(&ops, strict);
    for (i, op) in history.ops.iter().enumerate() {
        if subset.contains(&i) || op.key != key || op.kind == OpKind::Read || op.outcome == Outcome::Failed {
            continue;
        }
        let mut x = candidates(&[op], strict);
        x[0].required = false;
        c.extend(x);
    }
    dfs(&c, 0, None, &mut HashSet::new())
}

#[derive(Clone, Copy)]
struct Candidate {
    call: u64,
    ret: u64,
    required: bool,
    kind: OpKind,
    failed: bool,
    read: Option<Option<u64>>,
}

fn key_linearizable(ops: &[&Operation], strict: bool) -> bool {
    dfs(&candidates(ops, strict), 0, None, &mut HashSet::new())
}

fn candidates(ops: &[&Operation], strict: bool) -> Vec<Candidate> {
    let mut cands = Vec::new();
    for op in ops {
        let ret = match op.outcome {
            Outcome::Unknown => u64::MAX,
            _ => op.complete.unwrap_or(u64::MAX),
        };
        let (required, failed) = match (op.kind, op.outcome) {
            (_, Outcome::Ok { .. }) => (true, false),
            (OpKind::Cas { .. }, Outcome::Failed) if strict => (true, true),
            (_, Outcome::Failed) => continue,
            (OpKind::Read, Outcome::Unknown) => continue,
            (_, Outcome::Unknown) => (false, false),
        };
        cands.push(Candidate { call: op.invoke, ret, required, kind: op.kind, failed, read: op.read_value() });
    }
    cands
}

fn dfs(c: &[Candidate], chosen: u32, state: Option<u64>, seen: &mut HashSet<(u32, Option<u64>)>) -> bool {
    if !seen.insert((chosen, state)) {
        return false;
    }
    let all_required = c.iter().enumerate().all(|(i, x)| !x.required || chosen & (1 << i) != 0);
    if all_required {
        return true;
    }
    for (i, x) in c.iter().enumerate() {
        if chosen & (1 << i) != 0 {
            continue;
        }
        // Every required operation that finished before x began must already be placed.
        let blocked =
            c.iter().enumerate().any(|(j, y)| j != i && y.required && chosen & (1 << j) == 0 && y.ret < x.call);
        // And x may not come after an operation invoked after x returned.
        let late = c.iter().enumerate().any(|(j, z)| chosen & (1 << j) != 0 && x.ret < z.call);
        if blocked || late {
            continue;
        }
        let next = match x.kind {
            OpKind::Read => match x.read {
                Some(v) if v == state => Some(state),
                _ => None,
            },
            OpKind::Write(v) => Some(Some(v)),
            OpKind::Cas { expected, new } => {
                if x.failed {
                    (state != Some(expected)).then_some(state)
                } else {
                    (state == Some(expected)).then_some(Some(new))
                }
            }
        };
        if let Some(s) = next
            && dfs(c, chosen | (1 << i), s, seen)
        {
            return true;
        }
    }
    false
}
