//! The checker agrees with a brute-force oracle on many small random histories, its
//! witnesses are valid orders, and its explanations are minimal violations.

mod common;

use dgame_checker::generator::{GenConfig, generate};
use dgame_checker::{History, OpKind, Operation, Options, Outcome, Verdict, check, validate_order};
use proptest::prelude::*;

fn arb_op(unique: bool, keys: u64) -> impl Strategy<Value = Operation> {
    (0u64..4, 0u64..keys, 0u8..10, 1u64..4, 1u64..4, 0u64..20, 0u64..10, 0u8..10, proptest::option::of(1u64..4))
        .prop_map(move |(client, key, kind, a, b, invoke, len, outcome, read)| {
            let kind = match kind {
                0..=3 => OpKind::Read,
                4..=7 => OpKind::Write(a),
                _ => OpKind::Cas { expected: a, new: b },
            };
            let mut op = match kind {
                OpKind::Read => Operation::read(client, invoke, invoke + len, read),
                OpKind::Write(v) => Operation::write(client, invoke, invoke + len, v),
                OpKind::Cas { expected, new } => Operation::cas(client, invoke, invoke + len, expected, new),
            };
            if keys > 1 {
                op = op.with_key(key);
            }
            let _ = unique;
            match outcome {
                0 => op.failed(),
                1 | 2 => op.unknown(),
                _ => op,
            }
        })
}

/// Random histories: some from thin air (mostly violations), some from the generator with
/// one read perhaps corrupted (mostly linearizable, some just barely not).
fn arb_history() -> impl Strategy<Value = History> {
    let random = (1u64..3, prop::collection::vec(arb_op(false, 2), 1..=8)).prop_map(|(keys, ops)| {
        let ops = ops
            .into_iter()
            .map(|mut o| {
                if keys == 1 {
                    o.key = None;
                }
                o
            })
            .collect();
        History::from_ops(ops)
    });
    let generated = (
        any::<u64>(),
        1usize..=8,
        1usize..4,
        0u8..4,
        any::<bool>(),
        0usize..3,
        proptest::option::of((0usize..8, 0u64..4)),
    )
        .prop_map(|(seed, ops, clients, cas, reuse, timeouts, corrupt)| {
            let mut h = generate(&GenConfig {
                clients,
                ops,
                keys: 1,
                read_fraction: 0.5,
                cas_fraction: f64::from(cas) / 4.0,
                timed_out_writes: timeouts,
                value_reuse: reuse.then_some(3),
                failed_fraction: 0.15,
                anomaly: None,
                seed,
            });
            if let Some((i, v)) = corrupt {
                let n = h.ops.len();
                let op = &mut h.ops[i % n];
                if op.kind == OpKind::Read && matches!(op.outcome, Outcome::Ok { .. }) {
                    op.outcome = Outcome::Ok { read: (v > 0).then_some(v) };
                }
            }
            h
        });
    prop_oneof![random, generated]
}

fn keys_of(h: &History) -> Vec<Option<u64>> {
    let mut k: Vec<_> = h.ops.iter().map(|o| o.key).collect();
    k.sort();
    k.dedup();
    k
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_brute_force(h in arb_history(), strict in any::<bool>()) {
        let options = Options::default().strict_failed_cas(strict).parallel(false);
        let expected = common::linearizable(&h, strict);
        match check(&h, &options) {
            Verdict::Linearizable { witness } => {
                prop_assert!(expected, "checker says linearizable, oracle says not: {h:?}");
                prop_assert_eq!(witness.len(), keys_of(&h).len());
                for order in &witness {
                    let valid = validate_order(&h, order.key, &order.ops, &options);
                    prop_assert!(valid.is_ok(), "bad witness {:?}: {:?} for {:?}", order, valid, h);
                }
            }
            Verdict::NotLinearizable { explanation } => {
                prop_assert!(!expected, "checker says not linearizable, oracle says it is: {h:?}");
                prop_assert!(!common::relaxed_linearizable(&h, &explanation.ops, strict), "explanation is not a violation: {explanation:?} {h:?}");
                // The writes named as context are not part of the minimal set.
                let set: Vec<usize> = explanation.ops.iter().copied().filter(|i| !explanation.context.contains(i)).collect();
                prop_assert!(!set.is_empty());
                prop_assert!(!common::relaxed_linearizable(&h, &set, strict), "explanation is not a violation: {explanation:?} {h:?}");
                for skip in 0..set.len() {
                    let rest: Vec<usize> = set.iter().enumerate().filter(|&(i, _)| i != skip).map(|(_, &x)| x).collect();
                    prop_assert!(common::relaxed_linearizable(&h, &rest, strict), "explanation is not minimal: {explanation:?} {h:?}");
                }
            }
            Verdict::Unknown { reason, .. } => prop_assert!(false, "budget ran out on a tiny history: {reason}"),
            v @ (Verdict::Valid { .. } | Verdict::Invalid { .. }) => prop_assert!(false, "a register history judged as another workload: {v}"),
        }
        // Without minimization the explanation is the search's own conflict: still a violation.
        if let Verdict::NotLinearizable { explanation } = check(&h, &options.clone().minimize(false)) {
            prop_assert!(!expected);
            prop_assert!(!common::relaxed_linearizable(&h, &explanation.ops, strict), "unminimized explanation is not a violation: {explanation:?} {h:?}");
        }
    }
}

/// Histories in phases separated by quiescent points (no operation pending between
/// phases, unknown ones aside), over two values written again and again: the shapes where
/// interchangeable writes, dead writes and the register's possible values across a cut
/// matter.
fn arb_phased_history() -> impl Strategy<Value = History> {
    let op = (0u64..3, 0u8..10, 1u64..3, 1u64..3, 0u64..6, 0u64..6, 0u8..12, proptest::option::of(1u64..3));
    (prop::collection::vec(prop::collection::vec(op, 1..4), 1..4), any::<bool>()).prop_map(|(phases, cas)| {
        let mut ops = Vec::new();
        for (n, phase) in phases.into_iter().enumerate() {
            let base = 20 * n as u64;
            for (client, kind, a, b, start, len, outcome, read) in phase {
                let invoke = base + start;
                let complete = (invoke + len).min(base + 12);
                let mut op = match kind {
                    0..=3 => Operation::read(client, invoke, complete, read),
                    8 | 9 if cas => Operation::cas(client, invoke, complete, a, b),
                    _ => Operation::write(client, invoke, complete, a),
                };
                op = match outcome {
                    0 => op.failed(),
                    1 => op.unknown(),
                    _ => op,
                };
                ops.push(op);
            }
        }
        History::from_ops(ops)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_brute_force_on_reused_values_and_cut_points(h in arb_phased_history(), strict in any::<bool>()) {
        let options = Options::default().strict_failed_cas(strict).parallel(false);
        let expected = common::linearizable(&h, strict);
        match check(&h, &options) {
            Verdict::Linearizable { witness } => {
                prop_assert!(expected, "checker says linearizable, oracle says not: {h:?}");
                for order in &witness {
                    let valid = validate_order(&h, order.key, &order.ops, &options);
                    prop_assert!(valid.is_ok(), "bad witness {:?}: {:?} for {:?}", order, valid, h);
                }
            }
            Verdict::NotLinearizable { explanation } => {
                prop_assert!(!expected, "checker says not linearizable, oracle says it is: {h:?}");
                let set: Vec<usize> = explanation.ops.iter().copied().filter(|i| !explanation.context.contains(i)).collect();
                prop_assert!(!common::relaxed_linearizable(&h, &set, strict), "explanation is not a violation: {explanation:?} {h:?}");
                for skip in 0..set.len() {
                    let rest: Vec<usize> = set.iter().enumerate().filter(|&(i, _)| i != skip).map(|(_, &x)| x).collect();
                    prop_assert!(common::relaxed_linearizable(&h, &rest, strict), "explanation is not minimal: {explanation:?} {h:?}");
                }
            }
            Verdict::Unknown { reason, .. } => prop_assert!(false, "budget ran out on a tiny history: {reason}"),
            v @ (Verdict::Valid { .. } | Verdict::Invalid { .. }) => prop_assert!(false, "a register history judged as another workload: {v}"),
        }
    }
}

/// Found by the phased property test: the search once skipped a write after an optional
/// operation's effect and let the memo entry stand for the unrestricted configuration,
/// which made a re-check of the explanation report a violation that was not one.
#[test]
fn a_dead_write_prune_does_not_poison_the_memo() {
    let h = History::from_ops(vec![
        Operation::write(0, 0, 0, 1),
        Operation::cas(0, 0, 0, 2, 2).unknown(),
        Operation::cas(0, 0, 0, 1, 2),
        Operation::cas(0, 22, 24, 1, 2),
        Operation::write(0, 20, 22, 1),
        Operation::cas(0, 40, 40, 1, 1),
    ]);
    let Verdict::NotLinearizable { explanation } = check(&h, &Options::default()) else {
        panic!("the last compare-and-set needs 1 after the one that swapped it away");
    };
    assert!(!common::linearizable(&h, false));
    let set: Vec<usize> = explanation.ops.iter().copied().filter(|i| !explanation.context.contains(i)).collect();
    assert!(!common::relaxed_linearizable(&h, &set, false), "{explanation:?}");
    for skip in 0..set.len() {
        let rest: Vec<usize> = set.iter().enumerate().filter(|&(i, _)| i != skip).map(|(_, &x)| x).collect();
        assert!(common::relaxed_linearizable(&h, &rest, false), "not minimal: {explanation:?}");
    }
}
