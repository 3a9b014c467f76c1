//! EDN and JSON-lines: round trips, errors with line numbers, no panics on any input.

use std::path::PathBuf;

use dgame_checker::edn::{self, EdnError};
use dgame_checker::generator::{GenConfig, generate};
use dgame_checker::jsonl::{self, JsonlError};
use dgame_checker::{History, OpKind, Operation, Outcome, TimeUnit};
use proptest::prelude::*;

fn sorted(h: &History) -> Vec<Operation> {
    let mut ops = h.ops.clone();
    ops.sort_by_key(|o| (o.invoke, o.client, o.complete, o.key, format!("{:?}", o.kind)));
    ops
}

fn sample(seed: u64, keys: usize) -> History {
    generate(&GenConfig {
        clients: 4,
        ops: 300,
        keys,
        cas_fraction: 0.3,
        timed_out_writes: 5,
        failed_fraction: 0.1,
        value_reuse: Some(5),
        seed,
        ..GenConfig::default()
    })
}

#[test]
fn edn_round_trip_keeps_every_operation() {
    for keys in [1, 3] {
        let h = sample(11, keys);
        let text = edn::write(&h);
        let back = edn::parse(&text).expect("our own EDN parses");
        assert_eq!(back.time_unit, TimeUnit::Ticks);
        assert_eq!(sorted(&back), sorted(&h));
    }
}

#[test]
fn jsonl_round_trip_is_exact() {
    for keys in [1, 3] {
        let h = sample(12, keys);
        let back = jsonl::parse(&jsonl::write(&h)).expect("our own JSON lines parse");
        assert_eq!(back, h);
    }
}

#[test]
fn jepsen_files_round_trip_through_both_formats() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/jepsen/cas-register");
    for sub in ["good", "bad"] {
        for entry in std::fs::read_dir(dir.join(sub)).expect("data folder") {
            let path = entry.expect("entry").path();
            let h = edn::parse(&std::fs::read_to_string(&path).expect("file")).expect("parses");
            // One file holds only nemesis events, which are skipped.
            assert!(!h.ops.is_empty() || path.ends_with("mongodb-v0-ack-rollback-.edn"), "{}", path.display());
            let again = edn::parse(&edn::write(&h)).expect("reparses");
            assert_eq!(sorted(&again), sorted(&h), "{}", path.display());
            assert_eq!(again.time_unit, h.time_unit);
            assert_eq!(jsonl::parse(&jsonl::write(&h)).expect("jsonl"), h, "{}", path.display());
        }
    }
}

#[test]
fn edn_reads_jepsen_shapes() {
    let text = "; a comment\n\
        {:process 0, :type :invoke, :f :write, :value [7 3], :time 10}\n\
        {:process :nemesis, :type :info, :f :start, :value nil}\n\
        {:process 0, :type :ok, :f :write, :value [7 3], :time 20, :extra \"x\"}\n\
        {:process 1, :type :invoke, :f :read, :value [7 nil], :time 30}\n\
        {:process 1, :type :ok, :f :read, :value [7 3], :time 40}\n\
        {:process 2, :type :invoke, :f :cas, :value [3 4], :time 50}\n\
        {:process 2, :type :info, :f :cas, :value [3 4], :time 60}\n\
        {:process 3, :type :invoke, :f :cas, :value [9 [3 4]], :time 70}\n\
        {:process 3, :type :fail, :f :cas, :value [9 [3 4]], :time 80}\n";
    let h = edn::parse(text).expect("parses");
    assert_eq!(h.time_unit, TimeUnit::Nanoseconds);
    assert_eq!(
        h.ops,
        vec![
            Operation::write(0, 10, 20, 3).with_key(7),
            Operation::read(1, 30, 40, Some(3)).with_key(7),
            Operation { complete: Some(60), ..Operation::cas(2, 50, 60, 3, 4).unknown() },
            Operation::cas(3, 70, 80, 3, 4).with_key(9).failed(),
        ]
    );
}

#[test]
fn edn_without_time_uses_event_order() {
    let h = edn::parse(
        "({:process 0 :type :invoke :f :read :value nil}\n {:process 1 :type :invoke :f :write :value 1}\n \
         {:process 0 :type :ok :f :read :value 1}\n {:process 1 :type :ok :f :write :value 1})",
    )
    .expect("parses");
    assert_eq!(h.time_unit, TimeUnit::Events);
    assert_eq!(h.ops, vec![Operation::read(0, 0, 2, Some(1)), Operation::write(1, 1, 3, 1)]);
}

fn edn_err(text: &str) -> EdnError {
    edn::parse(text).expect_err("should be rejected")
}

#[test]
fn edn_errors_name_the_line_and_what_was_expected() {
    let e =
        edn_err("[{:process 1, :type :invoke, :f :read, :value nil}\n {:process 1, :type :ok, :f :read, :value x}]");
    assert!(matches!(e, EdnError::Field { line: 2, field: ":value", .. }), "{e}");
    assert_eq!(e.to_string(), "line 2: :value should be a non-negative integer, found the symbol x");

    let e = edn_err("[{:process 1, :type :invoke, :f :read}\n\n {:process 1, :type :done, :f :read}]");
    assert!(matches!(e, EdnError::Field { line: 3, field: ":type", .. }), "{e}");

    let e = edn_err("[{:process 1, :type :invoke, :f :read, :value nil}\n");
    assert!(matches!(e, EdnError::Syntax { line: 2, .. }), "{e}");
    assert!(e.to_string().contains("']' to close"), "{e}");

    let e = edn_err("{:process 1, :type :ok, :f :write, :value 3}");
    assert!(matches!(e, EdnError::Event { line: 1, .. }), "{e}");
    assert!(e.to_string().contains("never invoked"), "{e}");

    let e = edn_err("\n\n{:process 1 :type :invoke :f :write :value 3 :time}");
    assert!(matches!(e, EdnError::Syntax { line: 3, .. }), "{e}");

    let e = edn_err("{:process 1 :type :invoke :f :frob :value 3}");
    assert!(matches!(e, EdnError::Field { line: 1, field: ":f", .. }), "{e}");

    let e = edn_err("{:process 1 :type :invoke :f :cas :value 3}");
    assert!(matches!(e, EdnError::Field { line: 1, field: ":value", .. }), "{e}");

    let e = edn_err(&"[".repeat(10_000));
    assert!(matches!(e, EdnError::Syntax { .. }), "{e}");
}

#[test]
fn jsonl_errors_name_the_line_and_what_was_expected() {
    let err = |t: &str| jsonl::parse(t).expect_err("should be rejected");
    let e = err(
        "{\"time_unit\":\"ticks\"}\n{\"client\":1,\"f\":\"write\",\"value\":5,\"invoke\":1,\"complete\":2,\"outcome\":\"ok\"}\n{\"client\":1,\"f\":\"write\",\"invoke\":1}",
    );
    assert!(matches!(e, JsonlError::Field { line: 3, field: "value", .. }), "{e}");
    let e = err("\n{\"client\":1,\"f\":\"read\",\"invoke\":1,\"outcome\":\"ok\"}");
    assert!(matches!(e, JsonlError::Field { line: 2, field: "complete", .. }), "{e}");
    let e = err("{\"client\":1,");
    assert!(matches!(e, JsonlError::Syntax { line: 1, .. }), "{e}");
    let e = err("[1,2]");
    assert!(matches!(e, JsonlError::Syntax { line: 1, .. }), "{e}");
    let e = err("{\"client\":-1,\"f\":\"read\",\"invoke\":1,\"complete\":2,\"outcome\":\"ok\"}");
    assert!(matches!(e, JsonlError::Field { line: 1, field: "client", .. }), "{e}");
    assert_eq!(e.to_string(), "line 1: \"client\" should be a non-negative integer, found -1");
    let e = err("{\"client\":1,\"f\":\"cas\",\"value\":[1],\"invoke\":1,\"complete\":2,\"outcome\":\"ok\"}");
    assert!(matches!(e, JsonlError::Field { line: 1, field: "value", .. }), "{e}");
    let e = err("{\"client\":1,\"f\":\"read\",\"invoke\":5,\"complete\":2,\"outcome\":\"ok\"}");
    assert!(matches!(e, JsonlError::Field { line: 1, field: "complete", .. }), "{e}");
    let e = err("{\"client\":1,\"f\":\"read\",\"invoke\":5,\"complete\":6,\"outcome\":\"maybe\"}");
    assert!(matches!(e, JsonlError::Field { line: 1, field: "outcome", .. }), "{e}");
    let e = err("{\"time_unit\":\"fortnights\"}");
    assert!(matches!(e, JsonlError::Field { line: 1, field: "time_unit", .. }), "{e}");
}

fn arb_history() -> impl Strategy<Value = History> {
    let op = (
        0u64..5,
        0u8..3,
        0u64..u64::MAX,
        0u64..1000,
        0u64..1000,
        0u8..3,
        proptest::option::of(0u64..1000),
        any::<bool>(),
    )
        .prop_map(|(client, kind, v, invoke, len, outcome, key, read_some)| {
            let mut op = match kind {
                0 => Operation::read(client, invoke, invoke + len, read_some.then_some(v)),
                1 => Operation::write(client, invoke, invoke + len, v),
                _ => Operation::cas(client, invoke, invoke + len, v, v / 2),
            };
            op.key = key;
            match outcome {
                0 => op,
                1 => op.failed(),
                _ => op.unknown(),
            }
        });
    (prop::collection::vec(op, 0..30), 0u8..3).prop_map(|(ops, unit)| History {
        ops,
        time_unit: [TimeUnit::Ticks, TimeUnit::Nanoseconds, TimeUnit::Events][unit as usize],
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn jsonl_round_trips_any_history(h in arb_history()) {
        prop_assert_eq!(jsonl::parse(&jsonl::write(&h)).expect("parses"), h);
    }

    #[test]
    fn edn_round_trips_sequential_clients(seed in any::<u64>(), keys in 1usize..3) {
        let h = generate(&GenConfig { clients: 3, ops: 40, keys, cas_fraction: 0.3, timed_out_writes: 2, failed_fraction: 0.2, seed, ..GenConfig::default() });
        let back = edn::parse(&edn::write(&h)).expect("parses");
        prop_assert_eq!(sorted(&back), sorted(&h));
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = edn::parse(&text);
        let _ = jsonl::parse(&text);
    }

    #[test]
    fn edn_token_soup_never_panics(tokens in prop::collection::vec(prop::sample::select(vec![
        "[", "]", "(", ")", "{", "}", "#{", "#_", "#inst", ":process", ":type", ":invoke", ":ok", ":fail", ":info",
        ":f", ":read", ":write", ":cas", ":value", ":time", "nil", "0", "1", "-1", "99999999999999999999999", "1.5",
        "\"s\"", "\\c", ";c\n", "\n", ",", "x", ":", "#", "[1 2]", "[1 [2 3]]", "\\",
    ]), 0..60)) {
        let text = tokens.join(" ");
        let _ = edn::parse(&text);
    }
}

#[test]
fn parsed_kinds_match_the_file() {
    let h = edn::parse("{:process 0 :type :invoke :f :cas :value [1 2]}").expect("parses");
    assert_eq!(h.ops[0].kind, OpKind::Cas { expected: 1, new: 2 });
    assert_eq!(h.ops[0].outcome, Outcome::Unknown);
    assert_eq!(h.ops[0].complete, None);
}
