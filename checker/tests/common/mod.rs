//! A brute-force linearizability oracle: tries every order. Only for tiny histories.

#![allow(dead_code)]

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

/// Whether the operations `subset` (indices) of `history` are linearizable.
pub fn subset_linearizable(history: &History, subset: &[usize], strict: bool) -> bool {
    let h = History {
        ops: subset.iter().map(|&i| history.ops[i]).collect(),
        time_unit: history.time_unit,
    };
    linearizable(&h, strict)
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
        cands.push(Candidate {
            call: op.invoke,
            ret,
            required,
            kind: op.kind,
            failed,
            read: op.read_value(),
        });
    }
    dfs(&cands, 0, None)
}

fn dfs(c: &[Candidate], chosen: u32, state: Option<u64>) -> bool {
    let all_required = c.iter().enumerate().all(|(i, x)| !x.required || chosen & (1 << i) != 0);
    if all_required {
        return true;
    }
    for (i, x) in c.iter().enumerate() {
        if chosen & (1 << i) != 0 {
            continue;
        }
        // Every required operation that finished before x began must already be placed.
        let blocked = c.iter().enumerate().any(|(j, y)| {
            j != i && y.required && chosen & (1 << j) == 0 && y.ret < x.call
        });
        if blocked {
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
            && dfs(c, chosen | (1 << i), s)
        {
            return true;
        }
    }
    false
}
