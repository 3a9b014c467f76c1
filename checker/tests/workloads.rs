//! The workload checkers on hand-made histories (each anomaly, and the right ones), on
//! histories built to be valid (proptest), and through their JSON-lines format.

use dgame_checker::workload::broadcast::{self, Operation as B};
use dgame_checker::workload::counter::{self, Flavor, Operation as C};
use dgame_checker::workload::unique_ids::{self, Operation as U};
use dgame_checker::workload::{Status, parse_jsonl, write_jsonl};
use proptest::prelude::*;

fn sentences(v: &[dgame_checker::workload::Violation]) -> Vec<&str> {
    v.iter().map(|v| v.sentence.as_str()).collect()
}

#[test]
fn broadcast_valid_history_has_figures() {
    let h = vec![
        B::send(1, 1, 10, Some(12), 5, Status::Ok),
        B::send(2, 2, 11, None, 6, Status::Unknown),
        B::read(1, 2, 20, Some(22), [5], false),
        B::read(1, 1, 30, Some(31), [5, 6], false),
        B::read(3, 1, 100, Some(101), [5, 6], true),
        B::read(3, 2, 100, Some(102), [5], true),
    ];
    let r = broadcast::check(&h);
    assert!(r.is_valid(), "{:?}", r.violations);
    assert_eq!((r.sent, r.acknowledged, r.lost, r.final_reads), (2, 1, 0, 2));
    // 5 was first sent at 10; node n2 holds it from its read ending at 22, n1 from 31.
    assert_eq!(r.stable_latency, Some((21, 21)));
    assert_eq!(
        r.summary(),
        "VALID: 2 values sent, 1 acknowledged, 0 lost, 2 final reads; seen everywhere after 21 ticks (median), 21 (max)"
    );
}

#[test]
fn broadcast_lost_values_name_every_final_read_that_lacks_them() {
    let h = vec![
        B::send(1, 1, 10, Some(12), 5, Status::Ok),
        B::read(3, 1, 100, Some(101), [], true),
        B::read(3, 2, 100, Some(102), [], true),
        B::read(3, 3, 100, Some(103), [5], true),
    ];
    let r = broadcast::check(&h);
    assert_eq!(
        sentences(&r.violations),
        ["value 5 was acknowledged at tick 12 but the final reads of n1 (tick 101) and n2 (tick 102) lack it."]
    );
    assert_eq!(r.violations[0].ops, [0, 1, 2]);
    assert_eq!(r.lost, 1);
}

#[test]
fn broadcast_made_up_values_are_caught_in_each_form() {
    let h = vec![
        B::send(1, 1, 10, Some(12), 7, Status::Failed),
        B::send(1, 1, 50, Some(52), 8, Status::Ok),
        B::read(2, 2, 20, Some(22), [7, 8, 9], false),
    ];
    let r = broadcast::check(&h);
    assert_eq!(
        sentences(&r.violations),
        [
            "node n2's read at ticks 20-22 holds 7, but the only send of 7 (by client 1 at ticks 10-12) failed.",
            "node n2's read at ticks 20-22 holds 8, but no client sent 8 before tick 50, after that read ended.",
            "node n2's read at ticks 20-22 holds 9, which no client sent.",
        ]
    );
}

#[test]
fn unknown_sends_may_be_anywhere_or_nowhere() {
    let h = vec![
        B::send(1, 1, 10, None, 5, Status::Unknown),
        B::read(3, 1, 100, Some(101), [5], true),
        B::read(3, 2, 100, Some(102), [], true),
    ];
    assert!(broadcast::check(&h).is_valid());
}

#[test]
fn counter_final_reads_are_held_to_the_bounds_of_unknown_adds() {
    let h = vec![
        C::add(1, 1, 10, Some(12), 5, Status::Ok),
        C::add(1, 1, 20, None, -2, Status::Unknown),
        C::add(2, 2, 21, None, 4, Status::Unknown),
        C::add(2, 2, 30, Some(31), 100, Status::Failed),
        C::read(3, 1, 90, Some(91), 3, true),
        C::read(3, 2, 90, Some(92), 9, true),
        C::read(3, 3, 90, Some(93), 10, true),
        C::read(3, 3, 95, Some(96), 2, true),
    ];
    let r = counter::check(&h, Flavor::PositiveNegative).unwrap();
    assert_eq!(r.final_bounds, (3, 9));
    assert_eq!(
        sentences(&r.violations),
        [
            "node n3's final read at tick 93 returned 10, but the acknowledged adds sum to 5, and the 2 adds of unknown outcome leave 3 to 9.",
            "node n3's final read at tick 96 returned 2, but the acknowledged adds sum to 5, and the 2 adds of unknown outcome leave 3 to 9.",
        ]
    );
}

#[test]
fn counter_reads_ahead_of_the_adds_are_caught_and_lagging_reads_are_not() {
    let h = vec![
        C::add(1, 1, 10, Some(12), 5, Status::Ok),
        C::add(1, 1, 40, Some(42), 5, Status::Ok),
        C::read(2, 2, 20, Some(22), 0, false),  // lags: fine
        C::read(2, 2, 30, Some(33), 10, false), // the second add was not invoked yet
        C::read(2, 2, 50, Some(51), 10, true),
    ];
    let r = counter::check(&h, Flavor::GrowOnly).unwrap();
    assert_eq!(
        sentences(&r.violations),
        ["node n2's read at ticks 30-33 returned 10, but the adds invoked by then sum to at most 5."]
    );
}

#[test]
fn a_negative_add_to_a_grow_only_counter_is_an_error_in_the_history() {
    let h = vec![C::add(4, 1, 10, Some(12), -3, Status::Ok)];
    let err = counter::check(&h, Flavor::GrowOnly).unwrap_err();
    assert_eq!(err, "client 4 added -3 at ticks 10-12 to a grow-only counter: use the PN counter for negative adds");
    assert!(counter::check(&h, Flavor::PositiveNegative).is_ok());
}

#[test]
fn unique_ids_twice_and_missing() {
    let h = vec![
        U::generate(1, 1, 1, Some(3), Status::Ok, Some("a")),
        U::generate(2, 2, 2, Some(4), Status::Ok, Some("b")),
        U::generate(3, 1, 9, Some(11), Status::Ok, Some("a")),
        U::generate(3, 1, 20, None, Status::Unknown, None),
        U::generate(3, 3, 30, Some(31), Status::Ok, None),
    ];
    let r = unique_ids::check(&h);
    assert_eq!(
        sentences(&r.violations),
        [
            "id \"a\" was handed out twice: to client 1 by node n1 at ticks 1-3, and to client 3 by node n1 at ticks 9-11.",
            "a request answered to client 3 by node n3 at ticks 30-31 carried no id.",
        ]
    );
    assert_eq!((r.handed_out, r.distinct), (3, 2));
}

#[test]
fn violations_are_listed_up_to_a_limit_and_counted_in_all() {
    let h: Vec<U> = (0..50).map(|i| U::generate(i, 1, i, Some(i + 1), Status::Ok, Some("same"))).collect();
    let r = unique_ids::check(&h);
    assert_eq!(r.total_violations, 49);
    assert_eq!(r.violations.len(), dgame_checker::workload::MAX_LISTED);
}

#[test]
fn jsonl_round_trips_and_names_the_bad_line() {
    let h = vec![B::send(1, 1, 10, Some(12), 5, Status::Ok), B::read(3, 2, 100, None, [5, 6], true)];
    let text = write_jsonl(&h);
    assert_eq!(
        text.lines().next().unwrap(),
        r#"{"client":1,"node":1,"invoke":10,"complete":12,"status":"ok","type":"send","value":5}"#
    );
    assert_eq!(parse_jsonl::<B>(&text, "broadcast").unwrap(), h);
    // A register operation is not a broadcast one.
    let bad = format!("{text}{{\"client\":1,\"kind\":\"write\"}}\n");
    let err = parse_jsonl::<B>(&bad, "broadcast").unwrap_err();
    assert_eq!(err.line, 3);
    assert!(err.message.starts_with("not an operation of the broadcast workload"), "{err}");
    // A BOM is accepted; a huge line is echoed only in part.
    assert_eq!(parse_jsonl::<B>(&format!("\u{feff}{text}"), "broadcast").unwrap(), h);
    let long = "x".repeat(10_000);
    assert!(parse_jsonl::<B>(&long, "broadcast").unwrap_err().to_string().len() < 300);
}

#[test]
fn a_field_one_slip_from_one_the_operation_has_is_refused_as_a_typo() {
    // Ignored, `"vaule"` would make this counter read return 0 and `"fianl"` this read an
    // ordinary one, with other verdicts.
    let counter = r#"{"client":1,"node":1,"invoke":10,"complete":12,"status":"ok","type":"read","vaule":5}"#;
    let err = parse_jsonl::<C>(counter, "counter").unwrap_err();
    assert_eq!(err.line, 1);
    assert!(
        err.message
            .starts_with("field `vaule` is not one an operation of the counter workload has; did you mean `value`?"),
        "{err}"
    );
    let read = r#"{"client":3,"node":2,"invoke":100,"status":"unknown","type":"read","values":[5],"fianl":true}"#;
    let err = parse_jsonl::<B>(read, "broadcast").unwrap_err();
    assert!(err.message.contains("did you mean `final`?"), "{err}");
    // Fields far from the operation's own stay ignored.
    let extra = r#"{"client":1,"node":1,"invoke":10,"complete":12,"status":"ok","type":"read","value":5,"msg_id":9}"#;
    assert_eq!(parse_jsonl::<C>(extra, "counter").unwrap().len(), 1);
}

proptest! {
    /// An ideal broadcast: each send that took effect reaches each node at some tick after it
    /// was invoked (an acknowledged one before the end), and a read returns what its node held.
    #[test]
    fn an_ideal_broadcast_is_valid(
        sends in prop::collection::vec((0u64..100, 0u8..3, prop::collection::vec(0u64..60, 3)), 0..20),
        reads in prop::collection::vec((0u64..3, 0u64..200), 0..30),
    ) {
        let end = 400;
        let mut h = Vec::new();
        // arrivals[node] = (tick, value)
        let mut arrivals = vec![Vec::new(); 3];
        for (v, (invoke, status, lags)) in sends.iter().enumerate() {
            let v = v as u64;
            let status = [Status::Ok, Status::Unknown, Status::Failed][usize::from(*status)];
            h.push(B::send(1, 0, *invoke, Some(invoke + 5), v, status));
            if status != Status::Failed {
                for (node, lag) in lags.iter().enumerate() {
                    // An unknown send may reach some nodes only, or none.
                    if status == Status::Ok || lag % 2 == 0 {
                        arrivals[node].push((invoke + lag, v));
                    }
                }
            }
        }
        let held = |node: usize, t: u64| arrivals[node].iter().filter(|&&(at, _)| at <= t).map(|&(_, v)| v).collect::<Vec<_>>();
        for &(node, t) in &reads {
            h.push(B::read(2, node, t, Some(t + 2), held(node as usize, t), false));
        }
        for node in 0..3 {
            h.push(B::read(3, node, end, Some(end + 1), held(node as usize, end), true));
        }
        let r = broadcast::check(&h);
        prop_assert!(r.is_valid(), "{:?}", r.violations);
    }

    /// An ideal counter: each add that took effect does so inside its interval (an unknown one
    /// maybe never), and each read returns the sum as of some earlier moment.
    #[test]
    fn an_ideal_counter_is_valid(
        adds in prop::collection::vec((0u64..100, 0u64..10, -20i64..20, 0u8..3), 0..20),
        reads in prop::collection::vec((0u64..200, 0u64..50), 0..30),
    ) {
        let mut h = Vec::new();
        let mut effects = Vec::new();
        for &(invoke, len, delta, status) in &adds {
            let status = [Status::Ok, Status::Unknown, Status::Failed][usize::from(status)];
            h.push(C::add(1, 0, invoke, Some(invoke + len), delta, status));
            if status == Status::Ok || (status == Status::Unknown && delta % 2 == 0) {
                effects.push((invoke + len / 2, delta));
            }
        }
        let sum_at = |t: u64| effects.iter().filter(|&&(at, _)| at <= t).map(|&(_, d)| d).sum::<i64>();
        for &(t, lag) in &reads {
            h.push(C::read(2, 1, t, Some(t + 1), sum_at(t.saturating_sub(lag)), false));
        }
        h.push(C::read(3, 2, 500, Some(501), sum_at(500), true));
        let r = counter::check(&h, Flavor::PositiveNegative).unwrap();
        prop_assert!(r.is_valid(), "{:?}", r.violations);
    }

    /// Distinct ids are valid; one repeated id is exactly one violation naming both requests.
    #[test]
    fn ids_are_unique_or_caught(n in 1usize..40, dup in any::<prop::sample::Index>()) {
        let mut h: Vec<U> = (0..n as u64).map(|i| U::generate(i, i % 3, i, Some(i + 1), Status::Ok, Some(&format!("n{}-{i}", i % 3)))).collect();
        prop_assert!(unique_ids::check(&h).is_valid());
        let j = dup.index(n);
        let again = h[j].id.clone();
        h.push(U { id: again, ..U::generate(99, 1, 1000, Some(1001), Status::Ok, None) });
        let r = unique_ids::check(&h);
        prop_assert_eq!(r.total_violations, 1);
        prop_assert_eq!(&r.violations[0].ops, &vec![j, n]);
    }
}

// ---- files: EDN in Maelstrom's shapes, JSON lines, another workload's file -----------------

use dgame_checker::Verdict;
use dgame_checker::edn::EdnError;
use dgame_checker::workload::detect::detect;
use dgame_checker::workload::{Format, ReadError, WorkloadHistory, WorkloadKind, read_jsonl};

fn edn(text: &str, kind: WorkloadKind) -> Result<WorkloadHistory, ReadError> {
    WorkloadHistory::read(text.as_bytes(), Format::Edn, kind)
}

fn edn_ok(text: &str, kind: WorkloadKind) -> WorkloadHistory {
    edn(text, kind).unwrap_or_else(|e| panic!("{e}\nin:\n{text}"))
}

/// The verdict's first sentence and its operations in words.
fn invalid(v: &Verdict) -> (String, Vec<String>) {
    let e = v.explanation().unwrap_or_else(|| panic!("expected a violation, got {v:?}"));
    (e.sentence.clone(), e.op_descriptions.clone())
}

fn both_formats_round_trip(h: &WorkloadHistory) {
    for format in [Format::Edn, Format::Jsonl] {
        let text = h.write(format);
        let back = WorkloadHistory::read(text.as_bytes(), format, h.kind())
            .unwrap_or_else(|e| panic!("{format:?}: {e}\nin:\n{text}"));
        assert_eq!(&back, h, "{format:?}:\n{text}");
        assert_eq!(back.check(), h.check(), "{format:?}");
    }
}

#[test]
fn edn_is_written_in_maelstrom_s_shapes_one_event_per_line() {
    let h = WorkloadHistory::Broadcast(vec![
        B::send(1, 2, 12, Some(15), 5, Status::Ok),
        B::read(2, 1, 20, Some(22), [1, 5], false),
        B::read(3, 3, 90, Some(92), [1, 5], true),
    ]);
    assert_eq!(
        h.write(Format::Edn),
        "; broadcast history\n\
         [{:process 1, :type :invoke, :f :broadcast, :value 5, :time 12}\n \
         {:process 1, :type :ok, :f :broadcast, :value 5, :time 15, :node \"n2\"}\n \
         {:process 2, :type :invoke, :f :read, :value nil, :time 20}\n \
         {:process 2, :type :ok, :f :read, :value [1 5], :time 22, :node \"n1\"}\n \
         {:process 3, :type :invoke, :f :read, :value nil, :time 90, :final? true}\n \
         {:process 3, :type :ok, :f :read, :value [1 5], :time 92, :final? true, :node \"n3\"}]\n"
    );
    let c = WorkloadHistory::PnCounter(vec![
        C::add(1, 1, 10, None, -3, Status::Unknown),
        C::read(2, 2, 30, Some(31), 12, true),
    ]);
    let text = c.write(Format::Edn);
    assert!(text.contains("{:process 1, :type :invoke, :f :add, :value -3, :time 10}"), "{text}");
    // Never completed: an :info marked open, at the history's last time.
    assert!(
        text.contains("{:process 1, :type :info, :f :add, :value -3, :time 31, :node \"n1\", :dgame/open true}"),
        "{text}"
    );
    assert!(
        text.contains("{:process 2, :type :ok, :f :read, :value 12, :time 31, :final? true, :node \"n2\"}"),
        "{text}"
    );
    let u = WorkloadHistory::UniqueIds(vec![
        U::generate(1, 2, 40, Some(41), Status::Ok, Some("17")),
        U::generate(2, 2, 42, Some(44), Status::Ok, Some("n2-\"7\"")),
        U::generate(3, 0, 45, Some(46), Status::Failed, None),
    ]);
    let text = u.write(Format::Edn);
    assert!(text.contains("{:process 1, :type :ok, :f :generate, :value 17, :time 41, :node \"n2\"}"), "{text}");
    assert!(text.contains(r#":value "n2-\"7\"", :time 44"#), "{text}");
    // Node 0: the request reached no node, and no :node is written.
    assert!(text.contains("{:process 3, :type :fail, :f :generate, :value nil, :time 46}"), "{text}");
    for h in [h, c, u] {
        both_formats_round_trip(&h);
    }
}

#[test]
fn every_outcome_of_every_workload_round_trips_in_both_formats() {
    let b = WorkloadHistory::Broadcast(vec![
        B::send(1, 1, 10, Some(12), 5, Status::Ok),
        B::send(2, 0, 11, None, 6, Status::Unknown),
        B::send(3, 2, 11, Some(20), 7, Status::Failed),
        B::send(1, 3, 13, Some(40), 8, Status::Unknown),
        B { status: Status::Unknown, ..B::read(2, 2, 30, Some(60), [], false) },
        B { status: Status::Failed, ..B::read(3, 2, 31, Some(32), [], true) },
        B::read(1, 1, 90, Some(90), [5, 8], true),
    ]);
    let mut counter_ops = vec![
        C::add(1, 1, 10, Some(12), 5, Status::Ok),
        C::add(2, 2, 11, None, -3, Status::Unknown),
        C::add(3, 0, 11, Some(11), 4, Status::Failed),
        C { status: Status::Unknown, ..C::read(1, 3, 14, Some(70), 0, false) },
        C::read(2, 3, 80, Some(81), 8, true),
    ];
    let u = WorkloadHistory::UniqueIds(vec![
        U::generate(1, 1, 1, Some(3), Status::Ok, Some("a b")),
        U::generate(2, 2, 2, None, Status::Unknown, None),
        U::generate(3, 1, 9, Some(11), Status::Ok, Some("017")),
        U::generate(3, 3, 30, Some(31), Status::Ok, None),
    ]);
    let pn = WorkloadHistory::PnCounter(counter_ops.clone());
    counter_ops.retain(|op| !matches!(op.kind, counter::Kind::Add { delta } if delta < 0));
    for h in [b, WorkloadHistory::Counter(counter_ops), pn, u] {
        both_formats_round_trip(&h);
    }
}

#[test]
fn broadcast_edn_right_and_wrong() {
    let sent = "{:process 1, :type :invoke, :f :broadcast, :value 5, :time 10}\n\
                {:process 1, :type :ok, :f :broadcast, :value 5, :time 12, :node \"n1\"}\n";
    let finals = |a: &str, b: &str| {
        format!(
            "{{:process 2, :type :invoke, :f :read, :value nil, :time 100, :final? true}}\n\
             {{:process 2, :type :ok, :f :read, :value {a}, :time 101, :final? true, :node \"n1\"}}\n\
             {{:process 3, :type :invoke, :f :read, :value nil, :time 100, :final? true}}\n\
             {{:process 3, :type :ok, :f :read, :value {b}, :time 102, :final? true, :node \"n2\"}}\n"
        )
    };
    let right = edn_ok(&format!("[{sent}{}]", finals("[5]", "[5]")), WorkloadKind::Broadcast);
    assert!(matches!(right.check(), Verdict::Valid { workload: "broadcast", .. }), "{:?}", right.check());

    // Lost: acknowledged, missing from a final read.
    let lost = edn_ok(&format!("{sent}{}", finals("[5]", "[]")), WorkloadKind::Broadcast);
    assert_eq!(
        invalid(&lost.check()),
        (
            "value 5 was acknowledged at tick 12 but node n2's final read at tick 102 lacks it.".to_owned(),
            vec![
                "client 1 broadcast 5 via n1 at ticks 10-12, ok".to_owned(),
                "client 3 final read of 0 values via n2 at ticks 100-102, ok".to_owned()
            ]
        )
    );

    // Made up: a value nobody sent; one whose only send failed; one sent after the read.
    let made_up = edn_ok(
        "{:process 1, :type :invoke, :f :broadcast, :value 7, :time 10}\n\
         {:process 1, :type :fail, :f :broadcast, :value 7, :time 12, :node \"n1\"}\n\
         {:process 2, :type :invoke, :f :read, :value nil, :time 20}\n\
         {:process 2, :type :ok, :f :read, :value [7 8 9], :time 22, :node \"n2\"}\n\
         {:process 1, :type :invoke, :f :broadcast, :value 8, :time 50}\n\
         {:process 1, :type :ok, :f :broadcast, :value 8, :time 52, :node \"n1\"}\n",
        WorkloadKind::Broadcast,
    );
    let v = made_up.check();
    assert_eq!(
        invalid(&v),
        (
            "node n2's read at ticks 20-22 holds 7, but the only send of 7 (by client 1 at ticks 10-12) failed."
                .to_owned(),
            vec![
                "client 2 read of 3 values via n2 at ticks 20-22, ok".to_owned(),
                "client 1 broadcast 7 via n1 at ticks 10-12, failed".to_owned()
            ]
        )
    );
    let Verdict::Invalid { total, summary, .. } = &v else { unreachable!() };
    assert_eq!(*total, 3);
    assert!(
        summary.starts_with("INVALID (3 violations): 1 value sent, 1 acknowledged, 0 lost, 0 final reads"),
        "{summary}"
    );
    let WorkloadHistory::Broadcast(ops) = &made_up else { unreachable!() };
    let r = broadcast::check(ops);
    assert_eq!(
        sentences(&r.violations)[1..],
        [
            "node n2's read at ticks 20-22 holds 8, but no client sent 8 before tick 50, after that read ended.",
            "node n2's read at ticks 20-22 holds 9, which no client sent.",
        ]
    );
}

#[test]
fn counter_edn_right_and_wrong() {
    let adds = "{:process 1, :type :invoke, :f :add, :value 5, :time 10}\n\
                {:process 1, :type :ok, :f :add, :value 5, :time 12, :node \"n1\"}\n\
                {:process 2, :type :invoke, :f :add, :value 4, :time 11}\n\
                {:process 2, :type :info, :f :add, :value 4, :time 60, :node \"n2\"}\n";
    let read = |value: i64, time: u64, final_read: bool| {
        let f = if final_read { ", :final? true" } else { "" };
        format!(
            "{{:process 3, :type :invoke, :f :read, :value nil, :time {time}{f}}}\n\
             {{:process 3, :type :ok, :f :read, :value {value}, :time {}{f}, :node \"n3\"}}\n",
            time + 1
        )
    };
    // A final read may or may not include the add of unknown outcome; an early one may lag.
    for v in [5, 9] {
        let h = edn_ok(&format!("{adds}{}{}", read(0, 20, false), read(v, 90, true)), WorkloadKind::Counter);
        assert!(h.check().is_ok(), "final {v}: {:?}", h.check());
    }
    // A final read outside the bounds.
    let h = edn_ok(&format!("{adds}{}", read(10, 90, true)), WorkloadKind::Counter);
    assert_eq!(
        invalid(&h.check()),
        (
            "node n3's final read at tick 91 returned 10, but the acknowledged adds sum to 5, and the 1 add of unknown \
             outcome leaves 5 to 9."
                .to_owned(),
            vec!["client 3 final read of the counter: 10 via n3 at ticks 90-91, ok".to_owned()]
        )
    );
    // A read ahead of the adds invoked by then.
    let h = edn_ok(&format!("{}{adds}", read(3, 1, false)), WorkloadKind::Counter);
    assert_eq!(
        invalid(&h.check()).0,
        "node n3's read at ticks 1-2 returned 3, but the adds invoked by then sum to at most 0."
    );
    // A PN counter read below the negative adds invoked by then.
    let neg = "{:process 1, :type :invoke, :f :add, :value -4, :time 10}\n\
               {:process 1, :type :ok, :f :add, :value -4, :time 12, :node \"n1\"}\n";
    let h = edn_ok(&format!("{neg}{}", read(-9, 20, false)), WorkloadKind::PnCounter);
    assert_eq!(
        invalid(&h.check()).0,
        "node n3's read at ticks 20-21 returned -9, but the adds invoked by then sum to at least -4."
    );
    // A negative add to a grow-only counter: the history is wrong, not the node.
    let h = edn_ok(neg, WorkloadKind::Counter);
    match h.check() {
        Verdict::Unknown { reason, .. } => assert_eq!(
            reason,
            "client 1 added -4 at ticks 10-12 to a grow-only counter: use the PN counter for negative adds"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unique_ids_edn_right_and_wrong() {
    let generate = |p: u64, id: &str, t: u64, node: &str| {
        format!(
            "{{:process {p}, :type :invoke, :f :generate, :value nil, :time {t}}}\n\
             {{:process {p}, :type :ok, :f :generate, :value {id}, :time {}, :node {node}}}\n",
            t + 2
        )
    };
    let right = edn_ok(
        &format!(
            "{}{}{}",
            generate(1, "17", 1, "\"n1\""),
            generate(2, "\"n2-1\"", 2, "\"n2\""),
            generate(3, "[2 3]", 3, "\"n3\"")
        ),
        WorkloadKind::UniqueIds,
    );
    assert!(right.check().is_ok(), "{:?}", right.check());
    // Integers and strings are compared by their text; so are vectors.
    let twice = edn_ok(
        &format!("{}{}", generate(1, "[2 :a]", 1, "\"n1\""), generate(2, "[2 :a]", 5, "2")),
        WorkloadKind::UniqueIds,
    );
    assert_eq!(
        invalid(&twice.check()),
        (
            "id \"[2 :a]\" was handed out twice: to client 1 by node n1 at ticks 1-3, and to client 2 by node n2 at \
             ticks 5-7."
                .to_owned(),
            vec![
                "client 1 got id \"[2 :a]\" via n1 at ticks 1-3, ok".to_owned(),
                "client 2 got id \"[2 :a]\" via n2 at ticks 5-7, ok".to_owned()
            ]
        )
    );
    let none = edn_ok(&generate(4, "nil", 9, "\"n3\""), WorkloadKind::UniqueIds);
    assert_eq!(invalid(&none.check()).0, "a request answered to client 4 by node n3 at ticks 9-11 carried no id.");
}

#[test]
fn a_maelstrom_history_reads_without_nodes_and_with_its_extra_keys() {
    // As Maelstrom writes them: :index, :error on failures, the nemesis, no :node.
    let text = "[{:type :invoke, :f :broadcast, :value 0, :time 3597543, :process 0, :index 0}\n\
                 {:type :info, :f :start-partition, :value nil, :process :nemesis, :time 3600000, :index 1}\n\
                 {:type :ok, :f :broadcast, :value 0, :time 4915390, :process 0, :index 2}\n\
                 {:type :invoke, :f :read, :value nil, :time 5000000, :process 1, :index 3}\n\
                 {:type :fail, :f :read, :value nil, :time 5100000, :process 1, :error [:timeout], :index 4}\n\
                 {:type :invoke, :f :read, :final? true, :value nil, :time 9000000, :process 1, :index 5}\n\
                 {:type :ok, :f :read, :final? true, :value [0], :time 9000100, :process 1, :index 6}]";
    let h = edn_ok(text, WorkloadKind::Broadcast);
    let WorkloadHistory::Broadcast(ops) = &h else { unreachable!() };
    assert_eq!(ops.len(), 3);
    assert_eq!(ops[0], B::send(0, 0, 3_597_543, Some(4_915_390), 0, Status::Ok));
    assert_eq!(ops[1].status, Status::Failed);
    assert_eq!(ops[2], B::read(1, 0, 9_000_000, Some(9_000_100), [0], true));
    assert!(h.check().is_ok());
    // Without :time, times are the events' positions, as in the register's EDN.
    let h = edn_ok(
        "{:process 0, :type :invoke, :f :add, :value 1} {:process 0, :type :ok, :f :add, :value 1}",
        WorkloadKind::Counter,
    );
    let WorkloadHistory::Counter(ops) = &h else { unreachable!() };
    assert_eq!((ops[0].invoke, ops[0].complete), (0, Some(1)));
}

#[test]
fn a_field_given_twice_is_refused_in_both_formats_naming_the_line_and_the_field() {
    let send = r#"{"client":1,"node":1,"invoke":10,"complete":12,"status":"ok","type":"send","value":5}"#;
    let twice = r#"{"client":1,"node":1,"invoke":10,"complete":12,"status":"ok","type":"send","value":5,"value":6}"#;
    let text = format!("{send}\n{twice}\n");
    let e = read_jsonl::<B>(text.as_bytes(), "broadcast").unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.message.starts_with("field `value` of an operation of the broadcast workload is given twice"), "{e}");
    let e = WorkloadHistory::read(text.as_bytes(), Format::Jsonl, WorkloadKind::Broadcast).unwrap_err();
    assert!(
        e.to_string().starts_with("line 2: field `value` of an operation of the broadcast workload is given twice"),
        "{e}"
    );
    let add = r#"{"client":1,"client":2,"node":1,"invoke":1,"complete":2,"status":"ok","type":"add","delta":1}"#;
    let e = WorkloadHistory::read(add.as_bytes(), Format::Jsonl, WorkloadKind::Counter).unwrap_err();
    assert!(
        e.to_string().starts_with("line 1: field `client` of an operation of the counter workload is given twice"),
        "{e}"
    );
    let e = edn(
        "{:process 1, :type :invoke, :f :add, :value 1}\n{:process 1, :type :ok, :f :add, :value 1, :value 5}",
        WorkloadKind::Counter,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "line 2: the event gives :value twice: give each key once");
    let e = edn("{:process 1, :type :invoke, :f :add, :value 1, :node \"n1\", :node \"n2\"}", WorkloadKind::Counter)
        .unwrap_err();
    assert_eq!(e.to_string(), "line 1: the event gives :node twice: give each key once");
}

#[test]
fn edn_errors_name_the_line_and_what_was_wrong() {
    let err = |text: &str, kind| edn(text, kind).unwrap_err().to_string();
    let invoke = "{:process 1, :type :invoke, :f :broadcast, :value 5, :time 10}\n";
    assert_eq!(
        err(&format!("{invoke}{{:process 1, :type :ok, :f :read, :value [5], :time 12}}"), WorkloadKind::Broadcast),
        "line 2: process 1 completes :read but invoked :broadcast (line 1)"
    );
    assert_eq!(
        err(&format!("{invoke}{{:process 1, :type :ok, :f :broadcast, :value 5, :time 8}}"), WorkloadKind::Broadcast),
        "line 2: process 1 completes at time 8, before it invoked the operation at time 10 (line 1); a completion \
         cannot come before its invocation"
    );
    assert_eq!(
        err("\n{:process 4, :type :ok, :f :generate, :value 1}", WorkloadKind::UniqueIds),
        "line 2: process 4 completes an operation (:ok) it never invoked; add its :invoke event before this line"
    );
    assert_eq!(
        err("{:process 1, :type :invoke, :f :broadcast, :value x}", WorkloadKind::Broadcast),
        "line 1: :value should be the value sent, a non-negative integer, found the symbol x"
    );
    assert_eq!(
        err(
            "{:process 1, :type :invoke, :f :read}\n{:process 1, :type :ok, :f :read, :value #{1 2}}",
            WorkloadKind::Broadcast
        ),
        "line 2: :value should be the values read, a vector of non-negative integers like [1 2 3], found a set"
    );
    assert_eq!(
        err("{:process 1, :type :invoke, :f :add, :value 99999999999999999999}", WorkloadKind::PnCounter),
        "line 1: :value should be the amount added, an integer, found 99999999999999999999"
    );
    assert_eq!(
        err("{:process 1, :type :invoke, :f :add, :value 1, :node \"server-2\"}", WorkloadKind::Counter),
        "line 1: :node should be a node's name like \"n2\" (or its number), found the string \"server-2\""
    );
    assert_eq!(
        err(
            "{:process 1, :type :invoke, :f :generate}\n{:process 1, :type :ok, :f :generate, :value 1.5}",
            WorkloadKind::UniqueIds
        ),
        "line 2: :value should be an id: an integer, a string, a keyword, or a vector of those, found a decimal number"
    );
    assert_eq!(
        err("{:process 1, :type :invoke, :f :echo}", WorkloadKind::UniqueIds),
        "line 1: :f should be :generate, found :echo"
    );
    assert_eq!(
        err("[{:process 1 :type}", WorkloadKind::Counter),
        "line 1: expected a map with an even number of forms (key value pairs), found 3 forms"
    );
    assert_eq!(
        err("[1 2", WorkloadKind::Counter),
        "line 1: expected an event map like {:process 0, :type :invoke, :f :read, :value nil}, found 1"
    );
    // A long string is quoted in part.
    let long = format!("{{:process 1, :type :invoke, :f :add, :value 1, :node \"{}\"}}", "x".repeat(5000));
    assert!(err(&long, WorkloadKind::Counter).len() < 250);
    // A BOM is skipped; one event longer than the limit stops at once.
    assert!(edn(&format!("\u{feff}{invoke}"), WorkloadKind::Broadcast).is_ok());
    let endless = std::io::Read::take(std::io::repeat(b'['), 1 << 30);
    let e = WorkloadHistory::read(endless, Format::Edn, WorkloadKind::Broadcast).unwrap_err().to_string();
    assert!(e.contains("nesting") || e.contains("longer than"), "{e}");
    let zeros = std::io::Read::take(std::io::repeat(0), 1 << 30);
    let e = WorkloadHistory::read(zeros, Format::Edn, WorkloadKind::Broadcast).unwrap_err().to_string();
    assert!(e.contains("longer than 1048576 bytes"), "{e}");
}

#[test]
fn workload_edn_with_time_on_some_events_only_is_refused_naming_the_first_event_that_breaks_the_pattern() {
    // By its times the read (20-25) holds 5 before anyone sent it (at 50): invalid. Read as
    // untimed, its positions (2-3) put it after the send (0-1): valid, silently.
    let some_untimed = "{:process 1, :type :invoke, :f :broadcast, :value 5, :time 50}\n\
                        {:process 1, :type :ok, :f :broadcast, :value 5, :time 60, :node \"n1\"}\n\
                        {:process 2, :type :invoke, :f :read, :value nil}\n\
                        {:process 2, :type :ok, :f :read, :value [5], :time 25, :node \"n1\"}\n";
    let e = edn(some_untimed, WorkloadKind::Broadcast).unwrap_err();
    assert!(matches!(e, ReadError::Edn(EdnError::Event { line: 3, .. })), "{e:?}");
    assert_eq!(
        e.to_string(),
        "line 3: this event has no :time, but the first event (line 1) has one; give every event a :time or none \
         (without :time, the events' positions are their times)"
    );
    // Every event timed: read, and the read is caught; none timed: the positions, valid.
    let timed = some_untimed.replace(":value nil}", ":value nil, :time 20}");
    assert_eq!(
        invalid(&edn_ok(&timed, WorkloadKind::Broadcast).check()).0,
        "node n1's read at ticks 20-25 holds 5, but no client sent 5 before tick 50, after that read ended."
    );
    let untimed = some_untimed.replace(", :time 50", "").replace(", :time 60", "").replace(", :time 25", "");
    assert!(edn_ok(&untimed, WorkloadKind::Broadcast).check().is_ok());

    // The reverse: the first event has no :time, a later one has; a nemesis event's does not
    // count.
    let some_timed = "{:process 1, :type :invoke, :f :add, :value 1}\n\
                      {:process :nemesis, :type :info, :f :start, :value nil, :time 3}\n\
                      {:process 1, :type :ok, :f :add, :value 1}\n\
                      {:process 2, :type :invoke, :f :read, :value nil, :time 20}\n\
                      {:process 2, :type :ok, :f :read, :value 1, :time 21, :final? true}\n";
    for kind in [WorkloadKind::Counter, WorkloadKind::PnCounter] {
        assert_eq!(
            edn(some_timed, kind).unwrap_err().to_string(),
            "line 4: this event has a :time, but the first event (line 1) has none; give every event a :time or none \
             (without :time, the events' positions are their times)"
        );
    }
    let untimed = some_timed.replace(", :time 20", "").replace(", :time 21", "");
    assert!(edn_ok(&untimed, WorkloadKind::Counter).check().is_ok());
    // Unique ids too, at the completion of the first operation.
    let ids = "{:process 1, :type :invoke, :f :generate, :value nil, :time 1}\n\
               {:process 1, :type :ok, :f :generate, :value 7}\n";
    let e = edn(ids, WorkloadKind::UniqueIds).unwrap_err();
    assert!(e.to_string().starts_with("line 2: this event has no :time, but the first event (line 1) has one"), "{e}");
}

#[test]
fn a_workload_process_that_invokes_while_its_operation_is_open_is_refused_in_edn_naming_both_lines() {
    // Process 1 invokes on line 3 while its add of line 1 has no completion: before, that
    // add silently became one of unknown outcome.
    let events = "{:process 1, :type :invoke, :f :add, :value 1, :time 10}\n\
                  {:process 2, :type :invoke, :f :read, :value nil, :time 12}\n\
                  {:process 1, :type :invoke, :f :add, :value 2, :time 20}\n\
                  {:process 1, :type :ok, :f :add, :value 2, :time 25}\n\
                  {:process 2, :type :ok, :f :read, :value 3, :time 26}\n";
    let expected = "line 3: process 1 invokes an operation while its operation invoked on line 1 is still open; a \
                    process runs one operation at a time: complete that one before this line (:ok, :fail, or :info if \
                    its outcome is unknown), or give this invocation another process (Jepsen gives a crashed process a \
                    new one)";
    for kind in [WorkloadKind::Counter, WorkloadKind::PnCounter] {
        let e = edn(events, kind).unwrap_err();
        assert!(matches!(e, ReadError::Edn(EdnError::Event { line: 3, .. })), "{e:?}");
        assert_eq!(e.to_string(), expected);
    }
    // Without :time the same.
    let untimed = [", :time 10", ", :time 12", ", :time 20", ", :time 25", ", :time 26"]
        .iter()
        .fold(events.to_owned(), |text, time| text.replace(time, ""));
    assert_eq!(edn(&untimed, WorkloadKind::Counter).unwrap_err().to_string(), expected);
    // The other workloads, in their own events.
    let sends = "{:process 3, :type :invoke, :f :broadcast, :value 1}\n\
                 {:process 3, :type :invoke, :f :read, :value nil}\n";
    assert!(
        edn(sends, WorkloadKind::Broadcast)
            .unwrap_err()
            .to_string()
            .starts_with("line 2: process 3 invokes an operation while its operation invoked on line 1 is still open")
    );
    let ids = "\n{:process 4, :type :invoke, :f :generate, :value nil}\n\
               {:process 4, :type :invoke, :f :generate, :value nil}\n";
    assert!(
        edn(ids, WorkloadKind::UniqueIds)
            .unwrap_err()
            .to_string()
            .starts_with("line 3: process 4 invokes an operation while its operation invoked on line 2 is still open")
    );

    // With :time, an invocation before the process's previous completion is the same overlap.
    let early = "{:process 1, :type :invoke, :f :generate, :value nil, :time 10}\n\
                 {:process 1, :type :ok, :f :generate, :value 1, :time 30}\n\
                 {:process 1, :type :invoke, :f :generate, :value nil, :time 20}\n\
                 {:process 1, :type :ok, :f :generate, :value 2, :time 40}\n";
    assert_eq!(
        edn(early, WorkloadKind::UniqueIds).unwrap_err().to_string(),
        "line 3: process 1 invokes an operation at time 20, before its previous operation completed at time 30 (line \
         2); a process runs one operation at a time: fix the times"
    );
    // An :info completes an operation (Jepsen would give the process a new id; our writer
    // keeps it), and a process may invoke at the time of its previous completion.
    let h = edn_ok(
        "{:process 1, :type :invoke, :f :add, :value 1, :time 10}\n\
         {:process 1, :type :info, :f :add, :value 1, :time 20}\n\
         {:process 1, :type :invoke, :f :add, :value 2, :time 20}\n\
         {:process 1, :type :ok, :f :add, :value 2, :time 20}\n\
         {:process 1, :type :invoke, :f :read, :value nil, :time 20}\n\
         {:process 1, :type :ok, :f :read, :value 3, :time 25}\n",
        WorkloadKind::Counter,
    );
    assert_eq!(h.len(), 3);
    // A completion timed before its invocation is refused at once, not at the end of the file.
    let backwards = "{:process 1, :type :invoke, :f :add, :value 1, :time 10}\n\
                     {:process 1, :type :ok, :f :add, :value 1, :time 8}\n\
                     {:process 1, :type :ok, :f :add, :value 1, :time 9}\n";
    assert_eq!(
        edn(backwards, WorkloadKind::Counter).unwrap_err().to_string(),
        "line 2: process 1 completes at time 8, before it invoked the operation at time 10 (line 1); a completion \
         cannot come before its invocation"
    );
}

#[test]
fn jsonl_of_the_workloads_streams_and_names_the_bad_line() {
    let h = vec![B::send(1, 1, 10, Some(12), 5, Status::Ok), B::read(3, 2, 100, None, [5, 6], true)];
    let text = write_jsonl(&h);
    // Every buffer boundary: the stream reads what the string does.
    struct Trickle<'a>(&'a [u8], usize);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    for step in [1, 3, 7, 64] {
        assert_eq!(read_jsonl::<B>(Trickle(text.as_bytes(), step), "broadcast").unwrap(), h);
    }
    let zeros = std::io::Read::take(std::io::repeat(b'x'), 1 << 30);
    let e = read_jsonl::<B>(zeros, "broadcast").unwrap_err();
    assert_eq!(e.to_string(), "line 1: longer than 1048576 bytes; an operation fits in a few hundred");
    let e = read_jsonl::<B>(&b"\n\xff\n"[..], "broadcast").unwrap_err();
    assert_eq!(e.to_string(), "line 2: not UTF-8 text");
    let e = WorkloadHistory::read(&b"\n{\"client\": 1}\n"[..], Format::Jsonl, WorkloadKind::UniqueIds).unwrap_err();
    assert!(
        e.to_string().starts_with("line 2: not an operation of the unique-ids workload (missing field `node`"),
        "{e}"
    );
}

#[test]
fn another_workload_s_file_is_an_error_naming_both() {
    let wrong = |text: &str, format, kind| match WorkloadHistory::read(text.as_bytes(), format, kind) {
        Err(ReadError::WrongWorkload { line, expected, found, evidence }) => (line, expected, found, evidence),
        other => panic!("expected a wrong-workload error, got {other:?}"),
    };
    let register = "{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value 3}\n\
                    {:process 0, :type :invoke, :f :write, :value 3}\n";
    // The register's reads pass for a counter's; its write does not.
    assert_eq!(
        wrong(register, Format::Edn, WorkloadKind::Counter),
        (3, "counter", "register", "an event with :f :write".to_owned())
    );
    // In a broadcast history a read that returns one number is a register's or a counter's:
    // the reader says what it expected there, and `detect` finds the write.
    let e = edn(register, WorkloadKind::Broadcast).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2: :value should be the values read, a vector of non-negative integers like [1 2 3], found 3"
    );
    let d = detect(register.as_bytes(), Format::Edn).unwrap();
    assert_eq!((d.workload, d.line), ("register", 3));
    let kv = "{:process 0, :type :invoke, :f :write, :value [2 3]}";
    assert_eq!(wrong(kv, Format::Edn, WorkloadKind::UniqueIds).2, "kv");
    let broadcast = WorkloadHistory::Broadcast(vec![B::read(1, 1, 1, Some(2), [1, 2, 3], false)]);
    assert_eq!(
        wrong(&broadcast.write(Format::Edn), Format::Edn, WorkloadKind::Counter),
        (3, "counter", "broadcast", "a read that returned a vector of 3 values".to_owned())
    );
    let counter = WorkloadHistory::Counter(vec![C::read(1, 1, 1, Some(2), 3, true)]);
    assert_eq!(wrong(&counter.write(Format::Edn), Format::Edn, WorkloadKind::Broadcast).2, "counter");
    // JSON lines: a counter's read parses as a broadcast read (the fields they share), and a
    // broadcast operation as a unique-ids request; the lines' own fields tell them apart.
    assert_eq!(
        wrong(&counter.write(Format::Jsonl), Format::Jsonl, WorkloadKind::Broadcast),
        (1, "broadcast", "counter", "a read with a \"value\"".to_owned())
    );
    let b = WorkloadHistory::Broadcast(vec![B::send(1, 1, 1, Some(2), 7, Status::Ok)]);
    assert_eq!(
        wrong(&b.write(Format::Jsonl), Format::Jsonl, WorkloadKind::UniqueIds),
        (1, "unique-ids", "broadcast", "a line with \"type\": \"send\"".to_owned())
    );
    let u = WorkloadHistory::UniqueIds(vec![U::generate(1, 1, 1, Some(2), Status::Ok, Some("a"))]);
    assert_eq!(wrong(&u.write(Format::Jsonl), Format::Jsonl, WorkloadKind::PnCounter).2, "unique-ids");
    let write = "{\"client\":1,\"f\":\"write\",\"value\":5,\"invoke\":20,\"complete\":31,\"outcome\":\"ok\"}\n";
    assert_eq!(
        wrong(write, Format::Jsonl, WorkloadKind::Broadcast),
        (1, "broadcast", "register", "a line with \"f\": \"write\"".to_owned())
    );
    let register_jsonl = "{\"time_unit\":\"ticks\"}\n{\"client\":1,\"f\":\"write\",\"value\":5,\"invoke\":20,\"complete\":31,\"outcome\":\"ok\"}\n";
    assert_eq!(
        wrong(register_jsonl, Format::Jsonl, WorkloadKind::Broadcast),
        (1, "broadcast", "register", "a header line with \"time_unit\"".to_owned())
    );
    // Both counters read each other's files (a negative add is the checker's to refuse).
    let pn = WorkloadHistory::PnCounter(vec![C::add(1, 1, 1, Some(2), -7, Status::Ok)]);
    for format in [Format::Edn, Format::Jsonl] {
        assert!(WorkloadHistory::read(pn.write(format).as_bytes(), format, WorkloadKind::Counter).is_ok());
        let d = detect(pn.write(format).as_bytes(), format).unwrap();
        assert_eq!(d.workload, "pn-counter");
    }
    // Each workload's own files are detected as its.
    for (h, name) in [(b, "broadcast"), (counter, "counter"), (u, "unique-ids")] {
        for format in [Format::Edn, Format::Jsonl] {
            assert_eq!(detect(h.write(format).as_bytes(), format).map(|d| d.workload), Some(name), "{format:?}");
        }
    }
}

/// One client's operations one after another, as the simulator's clients run them: `(node,
/// invoke, complete, status)` with gaps and lengths from `steps`.
/// A step of a client: the gap before the operation, its length, its status, whether an
/// unknown one never completed, its node.
type Step = (u64, u64, u8, bool, u64);
/// `(client, node, invoke, complete, status, a number to derive values from)`.
type Row = (u64, u64, u64, Option<u64>, Status, u64);

fn sequential(client_steps: &[Vec<Step>]) -> Vec<Row> {
    let mut out = Vec::new();
    for (client, steps) in client_steps.iter().enumerate() {
        let mut t = 0;
        for &(gap, len, status, open, node) in steps {
            let invoke = t + gap;
            let status = [Status::Ok, Status::Failed, Status::Unknown][usize::from(status % 3)];
            let complete = if open && status == Status::Unknown { None } else { Some(invoke + len) };
            t = complete.unwrap_or(invoke);
            out.push((client as u64, node % 4, invoke, complete, status, gap ^ len));
        }
    }
    out.sort_by_key(|&(c, _, invoke, ..)| (invoke, c));
    out
}

fn steps() -> impl Strategy<Value = Vec<Vec<Step>>> {
    prop::collection::vec(prop::collection::vec((0u64..5, 0u64..5, 0u8..3, any::<bool>(), 0u64..4), 0..8), 1..4)
}

proptest! {
    /// Any history of sequential clients reads back equal from what is written, in both
    /// formats, and so gets the same verdict.
    #[test]
    fn written_workload_histories_read_back_equal(
        client_steps in steps(),
        ids in prop::collection::vec(prop_oneof![Just(None), "[a-z0-9 \"\\\\\n-]{0,6}".prop_map(Some), (0u64..30).prop_map(|i| Some(i.to_string()))], 40),
        kinds in prop::collection::vec(any::<bool>(), 40),
    ) {
        let ops = sequential(&client_steps);
        let b = ops.iter().zip(&kinds).map(|(&(client, node, invoke, complete, status, x), &send)| {
            if send {
                B::send(client, node, invoke, complete, x, status)
            } else {
                let values = if status == Status::Ok { vec![x, x + 1] } else { Vec::new() };
                B { status, ..B::read(client, node, invoke, complete, values, x % 2 == 0) }
            }
        }).collect();
        let c: Vec<C> = ops.iter().zip(&kinds).map(|(&(client, node, invoke, complete, status, x), &add)| {
            if add {
                C::add(client, node, invoke, complete, x as i64 - 4, status)
            } else {
                let value = if status == Status::Ok { x as i64 - 3 } else { 0 };
                C { status, ..C::read(client, node, invoke, complete, value, x % 2 == 1) }
            }
        }).collect();
        let u = ops.iter().zip(&ids).map(|(&(client, node, invoke, complete, status, _), id)| {
            let id = if status == Status::Ok { id.as_deref() } else { None };
            U::generate(client, node, invoke, complete, status, id)
        }).collect();
        for h in [WorkloadHistory::Broadcast(b), WorkloadHistory::PnCounter(c), WorkloadHistory::UniqueIds(u)] {
            for format in [Format::Edn, Format::Jsonl] {
                let text = h.write(format);
                let back = WorkloadHistory::read(text.as_bytes(), format, h.kind());
                prop_assert_eq!(back.as_ref().ok(), Some(&h), "{:?}:\n{}", format, text);
            }
        }
    }

    /// Any text given to the workload readers: a history or an error, never a panic.
    #[test]
    fn the_workload_readers_never_panic(
        text in prop::collection::vec(prop_oneof![
            Just("{".to_owned()), Just("}".to_owned()), Just("[".to_owned()), Just("]".to_owned()),
            Just(":process".to_owned()), Just(":type".to_owned()), Just(":invoke".to_owned()), Just(":ok".to_owned()),
            Just(":info".to_owned()), Just(":fail".to_owned()), Just(":f".to_owned()), Just(":broadcast".to_owned()),
            Just(":read".to_owned()), Just(":add".to_owned()), Just(":generate".to_owned()), Just(":value".to_owned()),
            Just(":time".to_owned()), Just(":node".to_owned()), Just(":final?".to_owned()), Just("true".to_owned()),
            Just("nil".to_owned()), Just("\"n2\"".to_owned()), Just(":dgame/open".to_owned()), Just("\n".to_owned()),
            (-3i64..20).prop_map(|i| i.to_string()), "[ -~]{0,4}",
        ], 0..60),
    ) {
        let text = text.join(" ");
        for kind in WorkloadKind::ALL {
            for format in [Format::Edn, Format::Jsonl] {
                if let Ok(h) = WorkloadHistory::read(text.as_bytes(), format, kind) {
                    let _ = h.check();
                }
            }
        }
        let _ = detect(text.as_bytes(), Format::Edn);
        let _ = detect(text.as_bytes(), Format::Jsonl);
    }
}

#[test]
fn a_wrong_field_of_a_json_line_is_named_with_its_line() {
    let first =
        r#"{"client":1,"node":1,"invoke":1,"complete":13,"status":"ok","type":"read","values":[],"final":false}"#;
    let cases = [
        // A field of the operation itself, and fields of its flattened kind.
        (r#"{"client":1,"node":"one","invoke":15,"complete":26,"status":"ok","type":"send","value":3}"#, "`node`"),
        (r#"{"client":1,"node":1,"invoke":15,"complete":26,"status":"ok","type":"send","value":"x"}"#, "`value`"),
        (r#"{"client":1,"node":1,"invoke":15,"complete":26,"status":"ok","type":"read","values":[1,"a"]}"#, "`values`"),
    ];
    for (line, field) in cases {
        let text = format!("{first}\n{line}\n");
        let e = read_jsonl::<B>(text.as_bytes(), "broadcast").unwrap_err().to_string();
        assert!(e.starts_with("line 2: field "), "{e}");
        assert!(e.contains(&format!("field {field} of an operation of the broadcast workload")), "{e}");
        let e = WorkloadHistory::read(text.as_bytes(), Format::Jsonl, WorkloadKind::Broadcast).unwrap_err();
        assert!(e.to_string().contains(&format!("line 2: field {field}")), "{e}");
    }
    let e = read_jsonl::<C>(
        r#"{"client":1,"node":1,"invoke":1,"status":"ok","type":"add","delta":"two"}"#.as_bytes(),
        "counter",
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("line 1: field `delta`"), "{e}");
}
