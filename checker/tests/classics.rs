//! Hand-written classic histories with known verdicts and explanations.

use dgame_checker::{History, Operation, Options, TimeUnit, Verdict, check};

fn verdict(ops: Vec<Operation>) -> Verdict {
    check(&History::from_ops(ops), &Options::default())
}

fn violation(ops: Vec<Operation>) -> (Vec<usize>, String) {
    match verdict(ops) {
        Verdict::NotLinearizable { explanation } => (explanation.ops, explanation.sentence),
        other => panic!("expected a violation, got {other:?}"),
    }
}

#[test]
fn stale_read_is_explained_in_ticks() {
    let (ops, sentence) = violation(vec![
        Operation::write(1, 0, 10, 3),
        Operation::write(1, 20, 31, 5),
        Operation::read(2, 40, 44, Some(3)),
    ]);
    // The write of 3 is not needed: even if it may or may not have happened, it could only
    // have happened before the write of 5.
    assert_eq!(ops, vec![1, 2]);
    assert_eq!(
        sentence,
        "client 2 read 3 at ticks 40-44, but the write of 5 by client 1 finished at tick 31 and no write of 3 can come after it."
    );
}

#[test]
fn stale_read_among_noise_is_shrunk_to_its_two_operations() {
    let mut ops =
        vec![Operation::write(1, 0, 10, 3), Operation::write(1, 20, 31, 5), Operation::read(2, 40, 44, Some(3))];
    for i in 0..20 {
        ops.push(Operation::read(3, 50 + 10 * i, 55 + 10 * i, Some(5)));
    }
    let (set, _) = violation(ops);
    assert_eq!(set, vec![1, 2]);
}

#[test]
fn lost_write_is_not_linearizable() {
    // Client 1's write of 2 completed, but a later read still sees 1.
    let (set, sentence) = violation(vec![
        Operation::write(1, 0, 5, 1),
        Operation::write(2, 10, 15, 2),
        Operation::read(3, 20, 25, Some(1)),
        Operation::read(3, 30, 35, Some(1)),
    ]);
    assert_eq!(set, vec![1, 2]);
    assert!(sentence.contains("the write of 2 by client 2 finished at tick 15"), "{sentence}");
}

#[test]
fn concurrent_writes_linearize_in_either_order() {
    for (first, second) in [(1, 2), (2, 1)] {
        let v = verdict(vec![
            Operation::write(1, 0, 10, 1),
            Operation::write(2, 0, 10, 2),
            Operation::read(3, 11, 12, Some(first)),
            Operation::read(3, 13, 14, Some(first)),
        ]);
        assert!(v.is_linearizable(), "reading {first}: {v:?}");
        let v = verdict(vec![
            Operation::write(1, 0, 10, 1),
            Operation::write(2, 0, 10, 2),
            Operation::read(3, 11, 12, Some(first)),
            Operation::read(3, 13, 14, Some(second)),
        ]);
        assert!(v.is_violation(), "reading {first} then {second}: {v:?}");
    }
}

#[test]
fn unknown_write_observed_later_took_effect() {
    let v = verdict(vec![
        Operation::write(1, 0, 5, 1),
        Operation::write(2, 10, 0, 7).unknown(),
        Operation::read(3, 100, 105, Some(7)),
    ]);
    match v {
        Verdict::Linearizable { witness } => assert_eq!(witness[0].ops, vec![0, 1, 2]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_write_may_not_take_effect() {
    let v = verdict(vec![
        Operation::write(1, 0, 5, 1),
        Operation::write(2, 10, 0, 7).unknown(),
        Operation::read(3, 100, 105, Some(1)),
    ]);
    assert!(v.is_linearizable(), "{v:?}");
}

#[test]
fn unknown_write_cannot_take_effect_before_its_invocation() {
    let (set, sentence) = violation(vec![Operation::read(3, 0, 5, Some(7)), Operation::write(2, 10, 0, 7).unknown()]);
    assert_eq!(set, vec![0]);
    assert_eq!(sentence, "client 3 read 7 at ticks 0-5, but the write of 7 by client 2 only started at tick 10.");
}

#[test]
fn read_of_never_written_value_fails_at_once() {
    let (set, sentence) = violation(vec![
        Operation::write(1, 0, 5, 1),
        Operation::write(2, 6, 8, 2).failed(),
        Operation::read(3, 10, 12, Some(9)),
    ]);
    assert_eq!(set, vec![2]);
    assert_eq!(sentence, "client 3 read 9 at ticks 10-12, but no operation ever wrote 9.");
}

#[test]
fn read_of_a_failed_write_is_a_violation() {
    let (set, sentence) = violation(vec![Operation::write(2, 0, 8, 4).failed(), Operation::read(3, 1, 12, Some(4))]);
    assert_eq!(set, vec![1]);
    assert!(sentence.contains("failed"), "{sentence}");
}

#[test]
fn cas_needing_a_pending_write() {
    // The compare-and-set from 5 succeeds only if the timed-out write of 5 took effect.
    let v = verdict(vec![
        Operation::write(1, 0, 5, 1),
        Operation::write(2, 10, 0, 5).unknown(),
        Operation::cas(3, 20, 30, 5, 6),
        Operation::read(4, 40, 45, Some(6)),
    ]);
    match v {
        Verdict::Linearizable { witness } => assert_eq!(witness[0].ops, vec![0, 1, 2, 3]),
        other => panic!("{other:?}"),
    }
    // Without the pending write there is nothing to swap.
    let (set, _) = violation(vec![Operation::write(1, 0, 5, 1), Operation::cas(3, 20, 30, 5, 6)]);
    assert_eq!(set, vec![1]);
}

#[test]
fn empty_register_read_after_a_write_finished() {
    let (_, sentence) = violation(vec![Operation::write(1, 0, 5, 1), Operation::read(2, 10, 12, None)]);
    assert_eq!(
        sentence,
        "client 2 read the empty register at ticks 10-12, but the write of 1 by client 1 had already finished at tick 5."
    );
}

#[test]
fn read_that_ends_before_its_write_starts() {
    // The read alone is the reason: the write may happen whenever after tick 10, and
    // that is still too late.
    let (set, sentence) = violation(vec![Operation::read(2, 0, 4, Some(1)), Operation::write(1, 10, 12, 1)]);
    assert_eq!(set, vec![0]);
    assert_eq!(sentence, "client 2 read 1 at ticks 0-4, but the write of 1 by client 1 only started at tick 10.");
}

#[test]
fn strict_failed_cas_is_a_read_that_saw_something_else() {
    // The register holds 1 throughout; a failed cas from 1 is fine by default, but under the
    // strict reading it claims the register did not hold 1.
    let h = History::from_ops(vec![Operation::write(1, 0, 5, 1), Operation::cas(2, 10, 20, 1, 2).failed()]);
    assert!(check(&h, &Options::default()).is_linearizable());
    assert!(check(&h, &Options::default().strict_failed_cas(true)).is_violation());
}

#[test]
fn keys_are_independent_and_a_violation_on_any_key_counts() {
    let ok = History::from_ops(vec![
        Operation::write(1, 0, 5, 1).with_key(1),
        Operation::write(1, 6, 8, 2).with_key(2),
        Operation::read(2, 10, 12, Some(1)).with_key(1),
        Operation::read(2, 13, 14, Some(2)).with_key(2),
    ]);
    match check(&ok, &Options::default()) {
        Verdict::Linearizable { witness } => {
            assert_eq!(witness.len(), 2);
            assert_eq!(witness[0].key, Some(1));
            assert_eq!(witness[0].ops, vec![0, 2]);
        }
        other => panic!("{other:?}"),
    }
    let mut bad = ok.clone();
    bad.ops.push(Operation::read(3, 20, 22, None).with_key(2));
    match check(&bad, &Options::default()) {
        Verdict::NotLinearizable { explanation } => {
            assert_eq!(explanation.key, Some(2));
            assert_eq!(explanation.ops, vec![1, 4]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn time_unit_changes_the_wording() {
    let mut h = History::from_ops(vec![Operation::read(3, 10, 12, Some(9))]);
    h.time_unit = TimeUnit::Nanoseconds;
    let Verdict::NotLinearizable { explanation } = check(&h, &Options::default()) else { panic!() };
    assert_eq!(explanation.sentence, "client 3 read 9 at 10-12 ns, but no operation ever wrote 9.");
    let Verdict::NotLinearizable { explanation } = check(&h, &Options::default().time_unit(TimeUnit::Ticks)) else {
        panic!()
    };
    assert!(explanation.sentence.contains("at ticks 10-12"));
}

#[test]
fn a_tiny_step_budget_gives_unknown_not_a_hang() {
    use dgame_checker::generator::{GenConfig, generate};
    // Compare-and-sets keep it off the polynomial path; 20,000 operations need more
    // than one budget check's worth (4,096) of search steps.
    let h = generate(&GenConfig { clients: 8, ops: 20_000, cas_fraction: 0.3, seed: 3, ..GenConfig::default() });
    let v = check(&h, &Options::default().max_steps(Some(1)));
    match v {
        Verdict::Unknown { reason, partial } => {
            assert!(reason.contains("step budget"), "{reason}");
            assert!(!partial.ops.is_empty());
        }
        other => panic!("expected unknown, got {}", if other.is_linearizable() { "linearizable" } else { "violation" }),
    }
}

#[test]
fn empty_history_is_linearizable() {
    assert!(check(&History::new(), &Options::default()).is_linearizable());
}

#[test]
fn memory_and_time_budgets_give_unknown_too() {
    use dgame_checker::generator::{GenConfig, generate};
    let h = generate(&GenConfig { clients: 8, ops: 20_000, cas_fraction: 0.3, seed: 3, ..GenConfig::default() });
    match check(&h, &Options::default().max_memory_bytes(1)) {
        Verdict::Unknown { reason, .. } => assert!(reason.contains("memory budget"), "{reason}"),
        other => panic!("expected unknown, got {}", other.is_linearizable()),
    }
    match check(&h, &Options::default().max_time(Some(std::time::Duration::ZERO))) {
        Verdict::Unknown { reason, .. } => assert!(reason.contains("time budget"), "{reason}"),
        other => panic!("expected unknown, got {}", other.is_linearizable()),
    }
}

#[test]
fn two_reads_of_different_values_after_both_writes_are_explained_with_the_writes() {
    // Two writers race, both finish, then two clients read different values: the register can
    // only hold the last write's value by then (seed 3 of single-client-versioned-majority).
    let (ops, sentence) = violation(vec![
        Operation::write(2, 381, 407, 17),
        Operation::write(1, 384, 404, 18),
        Operation::read(2, 409, 424, Some(17)),
        Operation::read(1, 423, 441, Some(18)),
    ]);
    assert_eq!(ops, vec![2, 3]);
    assert_eq!(
        sentence,
        "client 2 read 17 at ticks 409-424 and client 1 read 18 at ticks 423-441, but every write of 17 and of 18 had \
         finished by tick 407, before either read began: whichever took effect last, both reads should have returned it."
    );
}

#[test]
fn two_reads_that_cannot_be_ordered_name_the_writes_that_make_it_impossible() {
    // The only write of 2 finished before the read of 9 began, and the write of 9 before
    // it started: 9 cannot come back. A later write of 9 (after both reads) keeps the
    // "every write had finished" sentence from applying, so the operations are listed, with
    // the writes named too.
    let h = History::from_ops(vec![
        Operation::write(4, 0, 10, 9),
        Operation::write(1, 20, 21, 2),
        Operation::read(2, 30, 32, Some(2)),
        Operation::read(3, 31, 40, Some(9)),
        Operation::write(4, 50, 60, 9),
    ]);
    let Verdict::NotLinearizable { explanation } = check(&h, &Options::default()) else {
        panic!("expected a violation");
    };
    assert_eq!(explanation.ops, vec![0, 1, 2, 3]);
    assert_eq!(explanation.context, vec![0, 1]);
    assert_eq!(
        explanation.op_descriptions,
        vec![
            "client 4 write 9 at ticks 0-10",
            "client 1 write 2 at ticks 20-21",
            "client 2 read 2 at ticks 30-32",
            "client 3 read 9 at ticks 31-40",
        ]
    );
    assert_eq!(
        explanation.sentence,
        "These 2 operations cannot be put in any one order that respects their times and what the register \
         returned: client 2 read 2 at ticks 30-32; client 3 read 9 at ticks 31-40. The writes of 2 and 9 they could \
         have read from can each take effect only within their own times: client 4 write 9 at ticks 0-10; client 1 \
         write 2 at ticks 20-21."
    );
}

/// The key's operations at the given indices, on their own.
fn sub_history(h: &History, ops: &[usize]) -> History {
    History { ops: ops.iter().map(|&i| h.ops[i]).collect(), time_unit: h.time_unit }
}

#[test]
fn explanations_obey_their_step_budget_and_keep_the_best_set_found() {
    use dgame_checker::generator::{Anomaly, GenConfig, generate};
    // Values 1..9, timed-out writes and a stale read: the case whose explanation once ran
    // for minutes and listed every operation.
    let h = generate(&GenConfig {
        clients: 5,
        ops: 3_000,
        value_reuse: Some(9),
        timed_out_writes: 16,
        anomaly: Some(Anomaly::StaleRead),
        seed: 1,
        ..GenConfig::default()
    });
    let explain = |options: Options| match check(&h, &options.max_time(None)) {
        Verdict::NotLinearizable { explanation } => explanation,
        other => panic!("expected a violation, got {other}"),
    };
    let none = explain(Options::default().max_explain_steps(0));
    let unminimized = explain(Options::default().minimize(false));
    let full = explain(Options::default());
    // With no budget, the search's own conflict is kept: the operations up to its last dead
    // end, not the history.
    assert_eq!(none.ops, unminimized.ops);
    assert!(none.ops.len() < h.ops.len(), "{} of {} ops", none.ops.len(), h.ops.len());
    assert!(full.ops.len() <= 4, "{full:?}");
    // A small budget stops part way, with a set between the two.
    let some = explain(Options::default().max_explain_steps(50));
    assert!(some.ops.len() <= none.ops.len() && some.ops.len() >= full.ops.len());
    // Every one of them is a violation on its own.
    for e in [&none, &some, &full] {
        assert!(check(&sub_history(&h, &e.ops), &Options::default()).is_violation());
        assert_eq!(e.ops.len(), e.op_descriptions.len());
        assert!(e.sentence.len() < 2_000, "{}", e.sentence.len());
    }
}
