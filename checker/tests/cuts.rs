//! Checking in segments cut at quiescent points (`check_segmented`) gives the verdicts of
//! the whole check and of a brute-force oracle, valid witnesses, and explanations that are
//! violations, including violations that span a cut.

mod common;

use dgame_checker::generator::{Anomaly, GenConfig, generate};
use dgame_checker::stream::{StreamChecker, StreamVerdict};
use dgame_checker::{History, Operation, Options, Verdict, check, check_segmented, validate_order};
use proptest::prelude::*;

/// Histories in phases separated by quiescent points (no operation pending between phases,
/// unknown ones aside), over two or three values written again and again, on one or two
/// keys: values carried across cuts, sets of them, reused values, unknown operations that
/// prevent later cuts.
fn arb_phased_history() -> impl Strategy<Value = History> {
    let op = (0u64..3, 0u8..10, 1u64..4, 1u64..4, 0u64..6, 0u64..6, 0u8..14, proptest::option::of(1u64..4), 0u64..2);
    (prop::collection::vec(prop::collection::vec(op, 1..4), 1..7), any::<bool>(), any::<bool>()).prop_map(
        |(phases, cas, keyed)| {
            let mut ops = Vec::new();
            for (n, phase) in phases.into_iter().enumerate() {
                let base = 20 * n as u64;
                for (client, kind, a, b, start, len, outcome, read, key) in phase {
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
                    if keyed {
                        op = op.with_key(key);
                    }
                    ops.push(op);
                }
            }
            History::from_ops(ops)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn segments_agree_with_the_whole_check_and_the_oracle(h in arb_phased_history(), strict in any::<bool>()) {
        let options = Options::default().strict_failed_cas(strict).parallel(false);
        let expected = common::linearizable(&h, strict);
        let whole = check(&h, &options);
        let cut = check_segmented(&h, &options);
        prop_assert_eq!(whole.is_linearizable(), cut.is_linearizable(), "whole {:?} cut {:?} on {:?}", whole, cut, h);
        match cut {
            Verdict::Linearizable { witness } => {
                prop_assert!(expected, "segments say linearizable, oracle says not: {h:?}");
                for order in &witness {
                    let valid = validate_order(&h, order.key, &order.ops, &options);
                    prop_assert!(valid.is_ok(), "bad witness {:?}: {:?} for {:?}", order, valid, h);
                }
            }
            Verdict::NotLinearizable { explanation } => {
                prop_assert!(!expected, "segments say not linearizable, oracle says it is: {h:?}");
                let set: Vec<usize> = explanation.ops.iter().copied().filter(|i| !explanation.context.contains(i)).collect();
                prop_assert!(!common::relaxed_linearizable(&h, &set, strict), "explanation is not a violation: {explanation:?} {h:?}");
            }
            other => prop_assert!(false, "{other:?}"),
        }
    }
}

/// `h` through a [`StreamChecker`] (operations pushed in invocation order, with their
/// indices), the violation explained from `h` read again.
fn stream_check(h: &History, options: &Options, segment_ops: usize, window_ops: usize) -> Verdict {
    let mut order: Vec<usize> = (0..h.len()).collect();
    order.sort_by_key(|&i| (h.ops[i].invoke, i));
    let mut checker = StreamChecker::new(options).segment_ops(segment_ops).window_ops(window_ops);
    for &i in &order {
        checker.push(i, h.ops[i]);
        checker.advance(h.ops[i].invoke);
    }
    assert_eq!(checker.len(), h.len());
    match checker.finish() {
        StreamVerdict::Linearizable => Verdict::Linearizable { witness: Vec::new() },
        StreamVerdict::Unknown(v) => v,
        StreamVerdict::Disordered => panic!("pushed in invocation order, yet disordered: {h:?}"),
        StreamVerdict::NotLinearizable(violation) => {
            let mut excerpt = violation.excerpt(options);
            let mut readings = 0;
            loop {
                readings += 1;
                assert!(readings <= 6, "the excerpt keeps asking for the input");
                for (i, op) in h.ops.iter().enumerate() {
                    excerpt.feed(i, *op);
                }
                if let Some(v) = excerpt.end_of_input(h.time_unit) {
                    break v;
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_stream_agrees_with_the_whole_check(h in arb_phased_history(), strict in any::<bool>(), window in 0usize..4) {
        let options = Options::default().strict_failed_cas(strict).parallel(false);
        let whole = check(&h, &options);
        let streamed = stream_check(&h, &options, 1, window);
        prop_assert_eq!(whole.is_linearizable(), streamed.is_linearizable(), "whole {:?} streamed {:?} on {:?}", whole, streamed, h);
        if let Verdict::NotLinearizable { explanation } = streamed {
            let set: Vec<usize> = explanation.ops.iter().copied().filter(|i| !explanation.context.contains(i)).collect();
            prop_assert!(!set.is_empty());
            prop_assert!(!common::relaxed_linearizable(&h, &set, strict), "explanation is not a violation: {explanation:?} {h:?}");
            for skip in 0..set.len() {
                let rest: Vec<usize> = set.iter().enumerate().filter(|&(i, _)| i != skip).map(|(_, &x)| x).collect();
                prop_assert!(common::relaxed_linearizable(&h, &rest, strict), "explanation is not minimal: {explanation:?} {h:?}");
            }
            for (&i, d) in explanation.ops.iter().zip(&explanation.op_descriptions) {
                prop_assert_eq!(d, &h.describe(i));
            }
        }
    }
}
