//! Checking in segments cut at quiescent points (`check_segmented`) gives the verdicts of
//! the whole check and of a brute-force oracle, valid witnesses, and explanations that are
//! violations, including violations that span a cut.

mod common;

use dgame_checker::generator::{GenConfig, generate};
use dgame_checker::stream::{StreamChecker, StreamVerdict};
use dgame_checker::{History, Operation, Options, Verdict, check, check_segmented, validate_order};
use proptest::prelude::*;

/// Histories in phases separated by quiescent points (no operation pending between phases,
/// unknown ones aside), over two or three values written again and again, on one or two
/// keys: values carried across cuts, sets of them, reused values, unknown writes and
/// compare-and-sets (some never completed) carried across the cuts after them.
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
                        2 => Operation { complete: None, ..op.unknown() },
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
        // What `dgame check` does then: the whole check.
        StreamVerdict::Undecided => check(h, options),
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

/// The three ways of checking, each with the explanation's window forced before the
/// violation's segment (`window_ops` 1) and at the start (0).
fn all_ways(h: &History, options: &Options) -> Vec<Verdict> {
    vec![
        check(h, options),
        check_segmented(h, options),
        stream_check(h, options, 1, 0),
        stream_check(h, options, 1, 1),
        stream_check(h, options, 3, 2),
    ]
}

fn sentence(v: &Verdict) -> &str {
    match v {
        Verdict::NotLinearizable { explanation } => &explanation.sentence,
        other => panic!("expected a violation, got {other:?}"),
    }
}

/// Phases of `n` reads of `value`, each alone between quiescent points, from time `from`.
fn reads(client: u64, from: u64, n: u64, value: Option<u64>) -> Vec<Operation> {
    (0..n).map(|i| Operation::read(client, from + 10 * i, from + 10 * i + 2, value)).collect()
}

#[test]
fn a_stale_read_after_many_cuts_is_found_and_explained_as_without_cuts() {
    // Write 3, then 5; fifty cuts later a read of 3: its writer is long before the cut.
    let mut ops = vec![Operation::write(1, 0, 10, 3), Operation::write(1, 20, 31, 5)];
    ops.extend(reads(2, 40, 50, Some(5)));
    ops.push(Operation::read(2, 1000, 1004, Some(3)));
    let h = History::from_ops(ops);
    let options = Options::default();
    let expected = "client 2 read 3 at ticks 1000-1004, but the write of 5 by client 1 finished at tick 31 and no \
                    write of 3 can come after it.";
    let ways = all_ways(&h, &options);
    // With the whole history before the violation at hand: the same explanation as without cuts.
    for v in &ways[..3] {
        assert_eq!(sentence(v), expected);
        assert_eq!(v.explanation().map(|e| e.ops.clone()), Some(vec![1, 52]));
    }
    // With a window of the last segments (and the writes before it that can matter): an
    // explanation as small, from within the window.
    for v in &ways[3..] {
        let e = v.explanation().expect("a violation");
        assert_eq!(e.ops.len(), 2, "{e:?}");
        assert!(e.ops.contains(&52));
        assert!(!common::relaxed_linearizable(&h, &e.ops, false), "{e:?}");
    }
}

#[test]
fn a_stale_read_of_a_value_read_before_the_cut_is_explained() {
    // Client 3 read 5 before the cut, so 3 could not come back after it.
    let mut ops =
        vec![Operation::write(1, 0, 10, 3), Operation::write(1, 5, 30, 5), Operation::read(3, 32, 33, Some(5))];
    ops.extend(reads(2, 40, 5, Some(5)));
    ops.push(Operation::read(2, 100, 104, Some(3)));
    let h = History::from_ops(ops);
    for v in all_ways(&h, &Options::default()) {
        let e = v.explanation().expect("a violation");
        assert!(!common::relaxed_linearizable(&h, &e.ops, false), "{e:?}");
        assert!(e.ops.contains(&8), "the stale read is named: {e:?}");
    }
}

#[test]
fn a_set_of_values_crosses_a_cut() {
    // Two concurrent writes: after the cut the register holds 1 or 2, so a compare-and-set
    // from 2 works, and so does one from 1, but not a read of 1 after a read of 2.
    let both = || vec![Operation::write(1, 0, 10, 1), Operation::write(2, 0, 10, 2)];
    let options = Options::default();
    let mut from_two = both();
    from_two.push(Operation::cas(3, 20, 21, 2, 3));
    from_two.push(Operation::read(3, 30, 31, Some(3)));
    let mut from_one = both();
    from_one.push(Operation::cas(3, 20, 21, 1, 3));
    let mut flip = both();
    flip.push(Operation::read(3, 20, 21, Some(2)));
    flip.push(Operation::read(3, 30, 31, Some(1)));
    for (ops, linearizable) in [(from_two, true), (from_one, true), (flip, false)] {
        let h = History::from_ops(ops);
        for v in all_ways(&h, &options) {
            assert_eq!(v.is_linearizable(), linearizable, "{v:?} on {h:?}");
            if let Verdict::Linearizable { witness } = &v
                && !witness.is_empty()
            {
                assert_eq!(validate_order(&h, None, &witness[0].ops, &options), Ok(()));
            }
        }
    }
}

#[test]
fn reused_values_cross_cuts() {
    // 1, 2, 1, 2, ... written one after another: the value read after each cut is the last
    // written; a read of the one before is stale even though it is written again later.
    let mut ops = Vec::new();
    for i in 0..40u64 {
        ops.push(Operation::write(1, 20 * i, 20 * i + 5, 1 + i % 2));
        ops.push(Operation::read(2, 20 * i + 6, 20 * i + 8, Some(1 + i % 2)));
    }
    let options = Options::default();
    let h = History::from_ops(ops.clone());
    assert!(all_ways(&h, &options).iter().all(Verdict::is_linearizable));
    ops[51].outcome = dgame_checker::Outcome::Ok { read: Some(1) };
    let h = History::from_ops(ops);
    for v in all_ways(&h, &options) {
        assert_eq!(v.explanation().map(|e| e.ops.clone()), Some(vec![50, 51]), "{v:?}");
    }
}

#[test]
fn budgets_hold_across_segments() {
    // Values reused with compare-and-sets: the search path, in many segments.
    let h = long_history(30, 200, true, 3);
    let options = Options::default();
    assert!(check_segmented(&h, &options).is_linearizable());
    let no_steps = options.clone().max_steps(Some(0));
    for v in [check_segmented(&h, &no_steps), stream_check(&h, &no_steps, 64, 0)] {
        match v {
            Verdict::Unknown { reason, .. } => assert_eq!(reason, "the step budget (0 steps) ran out"),
            other => panic!("{other:?}"),
        }
    }
    let no_time = options.clone().max_time(Some(std::time::Duration::ZERO));
    for v in [check_segmented(&h, &no_time), stream_check(&h, &no_time, 64, 0)] {
        match v {
            Verdict::Unknown { reason, .. } => assert_eq!(reason, "the time budget ran out"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn an_operation_invoked_before_a_checked_cut_is_noticed() {
    let mut checker = StreamChecker::new(&Options::default()).segment_ops(1);
    checker.push(0, Operation::write(1, 10, 12, 1));
    checker.advance(10);
    checker.push(1, Operation::read(1, 20, 22, Some(1)));
    checker.advance(20);
    // Cuts are looked for as the buffer grows, behind the watermark.
    for i in 2..6u64 {
        checker.push(i as usize, Operation::read(1, 10 * i + 10, 10 * i + 12, Some(1)));
        checker.advance(10 * i + 10);
    }
    checker.push(6, Operation::write(2, 5, 30, 2));
    assert_eq!(checker.finish(), StreamVerdict::Disordered);
}

/// `chunks` generated histories one after another (as `examples/long_history.rs` writes
/// them), each after a quiescent point, reads of the empty register at a chunk's start
/// reading the previous chunk's last value.
fn long_history(chunks: u64, chunk: usize, cas: bool, reuse: u64) -> History {
    let mut ops = Vec::new();
    let mut base = 0u64;
    let mut last = None;
    for seed in 0..chunks {
        let h = generate(&GenConfig {
            clients: 4,
            ops: chunk,
            cas_fraction: if cas { 0.3 } else { 0.0 },
            value_reuse: Some(reuse),
            seed,
            ..GenConfig::default()
        });
        let mut end = last;
        for mut op in h.ops {
            op.invoke += base;
            op.complete = op.complete.map(|c| c + base);
            match (op.kind, &mut op.outcome) {
                (dgame_checker::OpKind::Read, dgame_checker::Outcome::Ok { read }) if read.is_none() => *read = last,
                (
                    dgame_checker::OpKind::Write(v) | dgame_checker::OpKind::Cas { new: v, .. },
                    dgame_checker::Outcome::Ok { .. },
                ) => {
                    end = Some(v);
                }
                _ => {}
            }
            ops.push(op);
        }
        base = ops.iter().map(|o| o.complete.unwrap_or(o.invoke)).max().unwrap_or(0) + 2;
        last = end;
    }
    History::from_ops(ops)
}

#[test]
fn long_generated_histories_get_the_same_verdict_in_segments() {
    for (cas, reuse) in [(false, 9), (true, 3)] {
        let good = long_history(20, 300, cas, reuse);
        let options = Options::default();
        for v in [check_segmented(&good, &options), stream_check(&good, &options, 256, 1000)] {
            assert!(v.is_linearizable(), "{v:?}");
        }
        let mut bad = good.clone();
        let r = bad.ops.iter().rposition(|o| o.read_value().is_some()).expect("reads");
        let stale = bad.ops[r].read_value().flatten().map(|v| v % reuse + 1);
        bad.ops[r].outcome = dgame_checker::Outcome::Ok { read: stale };
        let whole = check(&bad, &options);
        if whole.is_violation() {
            for v in [check_segmented(&bad, &options), stream_check(&bad, &options, 256, 1000)] {
                let e = v.explanation().expect("a violation");
                assert!(e.ops.len() <= 8, "{e:?}");
            }
        }
    }
}

/// The figure docs/CHECKER.md and the README quote: checking a history with a quiescent
/// point every 1,000 operations, the stream never holds more than 2 x 4,096 + 1,000 of them.
#[test]
fn the_stream_holds_a_few_segments_at_most() {
    let h = long_history(300, 1000, false, 9);
    let mut order: Vec<usize> = (0..h.len()).collect();
    order.sort_by_key(|&i| (h.ops[i].invoke, i));
    let mut checker = StreamChecker::new(&Options::default());
    for &i in &order {
        checker.push(i, h.ops[i]);
        checker.advance(h.ops[i].invoke);
    }
    let peak = checker.peak_buffered();
    assert_eq!(checker.finish(), StreamVerdict::Linearizable);
    assert!(peak <= 2 * dgame_checker::stream::SEGMENT_OPS + 1000, "peak {peak}");
}

/// `h` pushed into a [`StreamChecker`] in invocation order: its verdict and the most
/// operations it held.
fn stream_peak(h: &History, window_ops: usize) -> (StreamVerdict, usize) {
    let mut order: Vec<usize> = (0..h.len()).collect();
    order.sort_by_key(|&i| (h.ops[i].invoke, i));
    let mut checker = StreamChecker::new(&Options::default()).window_ops(window_ops);
    for &i in &order {
        checker.push(i, h.ops[i]);
        checker.advance(h.ops[i].invoke);
    }
    let peak = checker.peak_buffered();
    (checker.finish(), peak)
}

/// The explanation of a violation found while streaming `h`, and how many times it read
/// `h` again.
fn explain_streamed(h: &History, violation: &dgame_checker::stream::Violation) -> (Verdict, usize) {
    let mut excerpt = violation.excerpt(&Options::default());
    for readings in 1..=6 {
        for (i, op) in h.ops.iter().enumerate() {
            excerpt.feed(i, *op);
        }
        if let Some(v) = excerpt.end_of_input(h.time_unit) {
            return (v, readings);
        }
    }
    panic!("the excerpt keeps asking for the input")
}

/// [`long_history`] after an unknown write of `value` at time 0 that never completes.
fn after_an_unknown_write(chunks: u64, value: u64) -> History {
    let mut h = long_history(chunks, 1000, false, 9);
    let mut timed_out = Operation::write(9, 0, 0, value).unknown();
    timed_out.complete = None;
    h.ops.insert(0, timed_out);
    h
}

/// What lifts the old limit: an unknown write that never completes is carried across the
/// cuts after it instead of preventing them, so the stream holds as little as without it.
#[test]
fn the_stream_holds_a_few_segments_at_most_after_an_unknown_write() {
    let bound = 2 * dgame_checker::stream::SEGMENT_OPS + 1000 + 1;
    // Its value is never read (values 1..9 are): nothing is placed after the cut.
    let h = after_an_unknown_write(300, 0);
    assert!(h.len() > 300_000);
    let (verdict, peak) = stream_peak(&h, dgame_checker::stream::WINDOW_OPS);
    assert_eq!(verdict, StreamVerdict::Linearizable);
    assert!(peak <= bound, "peak {peak}");
    // Its value is read at the very end: it took effect after 300,000 operations, once.
    let mut h = after_an_unknown_write(300, 1000);
    let end = h.ops.iter().filter_map(|o| o.complete).max().expect("completed operations");
    h.ops.push(Operation::read(1, end + 10, end + 12, Some(1000)));
    let (verdict, peak) = stream_peak(&h, dgame_checker::stream::WINDOW_OPS);
    assert_eq!(verdict, StreamVerdict::Linearizable);
    assert!(peak <= bound, "peak {peak}");
    assert!(check_segmented(&h, &Options::default()).is_linearizable());
}

#[test]
fn a_stale_read_after_an_unknown_write_is_found_while_streaming_and_explained_small() {
    let mut h = after_an_unknown_write(120, 0);
    let end = h.ops.iter().filter_map(|o| o.complete).max().expect("completed operations");
    let last = h.ops.iter().rev().find_map(|o| o.read_value().flatten()).expect("a read");
    let stale = last % 9 + 1;
    h.ops.push(Operation::write(1, end + 10, end + 12, last));
    h.ops.push(Operation::read(1, end + 20, end + 22, Some(stale)));
    let (verdict, peak) = stream_peak(&h, 10_000);
    assert!(peak <= 2 * dgame_checker::stream::SEGMENT_OPS + 1000 + 1, "peak {peak}");
    let StreamVerdict::NotLinearizable(violation) = verdict else { panic!("{verdict:?}") };
    // The unknown write before the window stores a value the window never reads: it is
    // left out, so the window does not grow (two readings: the window, what is before).
    let (v, readings) = explain_streamed(&h, &violation);
    assert_eq!(readings, 2);
    let e = v.explanation().expect("a violation");
    assert!(e.ops.len() <= 3 && e.ops.contains(&(h.len() - 1)), "{e:?}");
    assert!(check(&h, &Options::default()).is_violation());
}

#[test]
fn an_unknown_write_before_the_window_of_a_value_it_reads_is_checked_with_it() {
    // The unknown write of 1000 takes effect late: a read of it, then 1 written, then many
    // cuts, a read of 1000 again. Streamed, the second read is a violation only if the
    // write may be used once (the segments let it take effect twice): undecided.
    let mut h = after_an_unknown_write(20, 1000);
    let mut end = h.ops.iter().filter_map(|o| o.complete).max().expect("completed operations");
    h.ops.push(Operation::read(1, end + 10, end + 12, Some(1000)));
    h.ops.push(Operation::write(1, end + 20, end + 22, 1));
    end += 30;
    for i in 0..20 {
        h.ops.push(Operation::read(2, end + 10 * i, end + 10 * i + 2, Some(1)));
    }
    let mut twice = h.clone();
    twice.ops.push(Operation::read(1, end + 500, end + 502, Some(1000)));
    assert_eq!(stream_peak(&twice, 8).0, StreamVerdict::Undecided);
    assert!(check(&twice, &Options::default()).is_violation());
    // A stale read of 1 in a window that starts after the unknown write, which is before
    // the window and needed there (the window reads 1000): the window keeps it, and the
    // explanation is the stale read and the write after it.
    h.ops.push(Operation::write(3, end + 500, end + 502, 2));
    h.ops.push(Operation::read(3, end + 510, end + 512, Some(1)));
    let n = h.len();
    let (verdict, _) = stream_peak(&h, 8);
    let StreamVerdict::NotLinearizable(violation) = verdict else { panic!("{verdict:?}") };
    let (v, readings) = explain_streamed(&h, &violation);
    assert_eq!(readings, 2);
    assert_eq!(v.explanation().map(|e| e.ops.clone()), Some(vec![n - 2, n - 1]));
}

/// A file through `edn::for_each_op` into a [`StreamChecker`] cutting at every quiescent
/// point, as `dgame check` reads it; `None` when the file must be read whole.
fn stream_file(path: &std::path::Path, options: &Options) -> Option<Verdict> {
    let open = || std::fs::File::open(path).expect("file");
    let mut checker = StreamChecker::new(options).segment_ops(1).window_ops(8);
    dgame_checker::edn::for_each_op(open(), |i, op, watermark| {
        checker.push(i, op);
        checker.advance(watermark);
    })
    .expect("parses")?;
    Some(match checker.finish() {
        StreamVerdict::Linearizable => Verdict::Linearizable { witness: Vec::new() },
        StreamVerdict::Unknown(v) => v,
        StreamVerdict::Disordered | StreamVerdict::Undecided => return None,
        StreamVerdict::NotLinearizable(violation) => {
            let mut excerpt = violation.excerpt(options);
            loop {
                let unit = dgame_checker::edn::for_each_op(open(), |i, op, _| excerpt.feed(i, op)).expect("parses")?;
                if let Some(v) = excerpt.end_of_input(unit) {
                    break v;
                }
            }
        }
    })
}

#[test]
fn real_histories_get_the_same_verdict_in_segments_and_streamed() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<(std::path::PathBuf, bool)> = Vec::new();
    let etcd = root.join("../../shared/data/porcupine-etcd");
    match std::fs::read_dir(&etcd) {
        Ok(dir) => files.extend(
            dir.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "edn")).map(|p| (p, true)),
        ),
        Err(_) => eprintln!("etcd histories skipped: none at {}", etcd.display()),
    }
    for kind in ["good", "bad"] {
        let dir = root.join("tests/data/jepsen/cas-register").join(kind);
        files.extend(std::fs::read_dir(dir).expect("jepsen data").flatten().map(|e| (e.path(), false)));
    }
    let mut streamed = 0;
    for (path, strict) in &files {
        let options = Options::default().strict_failed_cas(*strict).max_time(None);
        let history = dgame_checker::edn::read_from(std::fs::File::open(path).expect("file")).expect("parses");
        let whole = check(&history, &options);
        let cut = check_segmented(&history, &options);
        assert_eq!(whole.is_linearizable(), cut.is_linearizable(), "{}", path.display());
        assert_eq!(whole.is_violation(), cut.is_violation(), "{}", path.display());
        if let Some(v) = stream_file(path, &options) {
            streamed += 1;
            assert_eq!(whole.is_linearizable(), v.is_linearizable(), "{}: {v:?}", path.display());
            assert_eq!(whole.is_violation(), v.is_violation(), "{}: {v:?}", path.display());
            if let Some(e) = v.explanation() {
                for (&i, d) in e.ops.iter().zip(&e.op_descriptions) {
                    assert_eq!(d, &history.describe(i), "{}", path.display());
                }
            }
        }
    }
    assert!(files.len() >= 120 && streamed * 2 >= files.len(), "{streamed} of {} streamed", files.len());
}

#[test]
fn an_operation_invoked_before_a_violation_already_found_is_noticed() {
    // A read of 2 with nothing written yet is a violation, unless a write of 2 invoked
    // before it turns up later in the input: then the verdict cannot be trusted.
    let mut checker = StreamChecker::new(&Options::default()).segment_ops(1);
    for i in 0..4u64 {
        checker.push(i as usize, Operation::read(1, 10 * i + 10, 10 * i + 12, Some(2)));
        checker.advance(10 * i + 10);
    }
    checker.push(4, Operation::write(2, 0, 30, 2));
    assert_eq!(checker.finish(), StreamVerdict::Disordered);
}

/// `check` itself cuts a register of 2^20 operations and more: a write and a read of each
/// value in turn, and then a stale read.
#[test]
fn check_cuts_a_register_of_a_million_operations() {
    let n = 1u64 << 19;
    let mut ops = Vec::with_capacity(2 * n as usize + 1);
    for i in 0..n {
        ops.push(Operation::write(1, 10 * i, 10 * i + 3, i + 1));
        ops.push(Operation::read(2, 10 * i + 4, 10 * i + 6, Some(i + 1)));
    }
    let options = Options::default();
    let good = History::from_ops(ops.clone());
    let Verdict::Linearizable { witness } = check(&good, &options) else { panic!("linearizable") };
    assert_eq!(witness[0].ops.len(), good.len());
    assert_eq!(validate_order(&good, None, &witness[0].ops, &options), Ok(()));
    ops.push(Operation::read(2, 10 * n, 10 * n + 2, Some(n - 1)));
    let bad = History::from_ops(ops);
    let v = check(&bad, &options);
    assert_eq!(
        sentence(&v),
        format!(
            "client 2 read {} at ticks {}-{}, but the write of {n} by client 1 finished at tick {} and no write of {} \
             can come after it.",
            n - 1,
            10 * n,
            10 * n + 2,
            10 * (n - 1) + 3,
            n - 1
        )
    );
}
