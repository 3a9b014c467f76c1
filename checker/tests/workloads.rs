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
