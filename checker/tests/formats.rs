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
    let e = err("\n{\"client\":1,\"f\":\"read\",\"value\":null,\"invoke\":1,\"outcome\":\"ok\"}");
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
    let e = err("{\"client\":1,\"f\":\"read\",\"value\":null,\"invoke\":5,\"complete\":2,\"outcome\":\"ok\"}");
    assert!(matches!(e, JsonlError::Field { line: 1, field: "complete", .. }), "{e}");
    let e = err("{\"client\":1,\"f\":\"read\",\"value\":null,\"invoke\":5,\"complete\":6,\"outcome\":\"maybe\"}");
    assert!(matches!(e, JsonlError::Field { line: 1, field: "outcome", .. }), "{e}");
    let e = err("{\"time_unit\":\"fortnights\"}");
    assert!(matches!(e, JsonlError::Field { line: 1, field: "time_unit", .. }), "{e}");
    let e = err("{\"time_unit\":\"ticks\"}\n{\"time_unit\":\"ticks\"}");
    assert_eq!(
        e.to_string(),
        "line 2: \"time_unit\" should be on the first line only (the header), found a header after it"
    );
}

#[test]
fn a_key_given_twice_is_refused_in_both_formats_naming_the_line_and_the_key() {
    // Whichever one a reader kept, one order of these lines was linearizable and the other not.
    let write = "{\"client\":1,\"f\":\"write\",\"value\":1,\"invoke\":0,\"complete\":1,\"outcome\":\"ok\"}\n";
    for (line, key) in [
        (r#"{"client":2,"f":"read","value":2,"value":1,"invoke":2,"complete":3,"outcome":"ok"}"#, "value"),
        (r#"{"client":2,"f":"read","value":1,"value":2,"invoke":2,"complete":3,"outcome":"ok"}"#, "value"),
        (r#"{"client":1,"f":"read","value":1,"invoke":2,"complete":3,"outcome":"ok","client":2}"#, "client"),
    ] {
        let e = jsonl::parse(&format!("{write}{line}")).expect_err(line);
        assert_eq!(e, JsonlError::RepeatedKey { line: 2, key: key.into() }, "{line}");
        assert_eq!(e.to_string(), format!("line 2: the key \"{key}\" is given twice: give each key once"));
    }
    let events = "{:process 1, :type :invoke, :f :write, :value 1, :time 0}\n\
                  {:process 1, :type :ok, :f :write, :value 1, :time 1}\n\
                  {:process 2, :type :invoke, :f :read, :value nil, :time 2}\n";
    for (line, key) in [
        ("{:process 2, :type :ok, :f :read, :value 2, :value 1, :time 3}", "value"),
        ("{:process 2, :type :ok, :f :read, :value 1, :value 2, :time 3}", "value"),
        ("{:process 2, :type :ok, :f :read, :value 1, :time 3, :process 1}", "process"),
        ("{:process 2, :type :ok, :type :fail, :f :read, :value 1, :time 3}", "type"),
        ("{:process 2, :type :ok, :f :read, :value 1, :time 3, :time 4}", "time"),
    ] {
        let e = edn::parse(&format!("{events}{line}")).expect_err(line);
        assert_eq!(e, EdnError::RepeatedKey { line: 4, key }, "{line}");
        assert_eq!(e.to_string(), format!("line 4: the event gives :{key} twice: give each key once"));
    }
    // Keys the reader does not read stay ignored, as they are once.
    let h = edn::parse(&format!("{events}{{:process 2, :type :ok, :f :read, :value 1, :time 3, :x 1, :x 2}}"))
        .expect("an unknown key given twice is ignored");
    assert_eq!(h.ops.len(), 2);
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

/// `ops` re-timed so that each client runs one operation at a time: its operations one after
/// another, in the order given, with their lengths and gaps from the times they had (zero
/// included: instant operations, and the next invoked at the previous one's completion).
fn sequential(mut ops: Vec<Operation>) -> Vec<Operation> {
    let mut free: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
    for op in &mut ops {
        let at = free.entry(op.client).or_insert(0);
        let len = op.complete.map(|c| c - op.invoke);
        op.invoke = *at + op.invoke % 3;
        op.complete = len.map(|l| op.invoke + l % 5);
        *at = op.complete.unwrap_or(op.invoke);
    }
    ops
}

/// Histories whose clients run one operation at a time, their operations in any order.
fn arb_sequential_history() -> impl Strategy<Value = History> {
    arb_history().prop_flat_map(|h| {
        let unit = h.time_unit;
        Just(sequential(h.ops)).prop_shuffle().prop_map(move |ops| History { ops, time_unit: unit })
    })
}

/// Whether some client of `h` invoked an operation while another of its was open, pair by
/// pair (an operation without a completion occupies its client at its invocation only).
fn overlapping(h: &History) -> bool {
    let span = |o: &Operation| (o.invoke, o.complete.unwrap_or(o.invoke).max(o.invoke));
    h.ops.iter().enumerate().any(|(i, a)| {
        h.ops[i + 1..].iter().any(|b| {
            let ((a0, a1), (b0, b1)) = (span(a), span(b));
            a.client == b.client && a0 < b1 && b0 < a1
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn jsonl_round_trips_any_history_whose_clients_run_one_operation_at_a_time(h in arb_sequential_history()) {
        prop_assert!(!overlapping(&h));
        prop_assert_eq!(jsonl::parse(&jsonl::write(&h)).expect("parses"), h);
    }

    #[test]
    fn edn_round_trips_any_history_whose_clients_run_one_operation_at_a_time(h in arb_sequential_history()) {
        let back = edn::parse(&edn::write(&h)).expect("parses");
        prop_assert_eq!(sorted(&back), sorted(&h));
    }

    #[test]
    fn jsonl_refuses_exactly_the_histories_where_a_client_runs_two_operations_at_once(
        h in prop_oneof![arb_history(), arb_sequential_history()],
    ) {
        let expected = overlapping(&h);
        let whole = jsonl::parse(&jsonl::write(&h));
        prop_assert_eq!(matches!(whole, Err(JsonlError::Overlap { .. })), expected, "{:?}", whole);
        prop_assert_eq!(whole.is_ok(), !expected);
        // Streamed, in invocation order (as clients write them), the same.
        let mut in_order = h.clone();
        in_order.ops.sort_by_key(|o| o.invoke);
        let streamed = jsonl::for_each_op(jsonl::write(&in_order).as_bytes(), |_, _| {});
        prop_assert_eq!(matches!(streamed, Err(JsonlError::Overlap { .. })), expected, "{:?}", streamed);
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

/// Hands out its bytes a few at a time, to cross every buffer boundary.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        self.step = self.step % 7 + 1;
        Ok(n)
    }
}

#[test]
fn streaming_readers_agree_with_the_string_parsers() {
    for keys in [1, 3] {
        let h = sample(21, keys);
        let text = edn::write(&h);
        let streamed = edn::read_from(Trickle { bytes: text.as_bytes(), step: 1 }).expect("streams");
        assert_eq!(streamed, edn::parse(&text).expect("parses"));
        let text = jsonl::write(&h);
        let streamed = jsonl::read_from(Trickle { bytes: text.as_bytes(), step: 3 }).expect("streams");
        assert_eq!(streamed, h);
    }
}

#[test]
fn a_byte_order_mark_is_skipped_in_both_formats() {
    let edn_text = "\u{feff}{:process 0 :type :invoke :f :write :value 1 :time 1}\n{:process 0 :type :ok :f :write :value 1 :time 2}";
    assert_eq!(edn::parse(edn_text).expect("parses").ops, vec![Operation::write(0, 1, 2, 1)]);
    let jsonl_text =
        "\u{feff}{\"client\":0,\"f\":\"write\",\"value\":1,\"invoke\":1,\"complete\":2,\"outcome\":\"ok\"}";
    assert_eq!(jsonl::parse(jsonl_text).expect("parses").ops, vec![Operation::write(0, 1, 2, 1)]);
}

#[test]
fn a_completion_before_its_invocation_is_rejected_in_both_formats() {
    let e = edn_err(
        "{:process 3 :type :invoke :f :write :value 1 :time 50}\n{:process 3 :type :ok :f :write :value 1 :time 40}",
    );
    assert_eq!(
        e.to_string(),
        "line 2: process 3 completes at time 40, before it invoked the operation at time 50 (line 1); a completion \
         cannot come before its invocation"
    );
    let e = jsonl::parse("{\"client\":3,\"f\":\"write\",\"value\":1,\"invoke\":50,\"complete\":40,\"outcome\":\"ok\"}")
        .expect_err("rejected");
    assert_eq!(
        e.to_string(),
        "line 1: \"complete\" should be a time no earlier than \"invoke\", found 40, before \"invoke\" 50"
    );
    // Without :time the positions are the times, which are always in order.
    assert!(edn::parse("{:process 3 :type :invoke :f :read}\n{:process 3 :type :ok :f :read :value nil}").is_ok());
}

#[test]
fn errors_quote_only_a_short_excerpt_of_the_input() {
    // 10 MB of NUL bytes: one form over the limit.
    let zeros = "\0".repeat(10 << 20);
    let e = edn_err(&zeros);
    assert_eq!(e, EdnError::TooLong { line: 1, limit: edn::MAX_FORM_BYTES });
    assert!(e.to_string().len() < 200, "{e}");
    // A shorter run is read as a symbol, and quoted briefly and escaped.
    let e = edn_err(&"\0".repeat(5_000));
    let text = e.to_string();
    assert!(text.len() < 400, "{} bytes: {text}", text.len());
    assert!(text.contains("\\0\\0") && text.contains("..."), "{text}");
    let e = edn_err(&format!("{{:process 1 :type :invoke :f :write :value {}}}", "x".repeat(100_000)));
    assert!(e.to_string().len() < 400, "{e}");
    let e = jsonl::parse(&format!("{{\"client\":\"{}\"}}", "y".repeat(100_000))).expect_err("rejected");
    assert!(e.to_string().len() < 400, "{e}");
}

#[test]
fn endless_input_stops_at_the_form_or_line_limit() {
    // Stands in for /dev/zero or a 2 GB file: the reader must stop after about a MiB.
    let zeros = std::io::Read::take(std::io::repeat(0), 2 << 30);
    assert_eq!(edn::read_from(zeros).expect_err("too long"), EdnError::TooLong { line: 1, limit: edn::MAX_FORM_BYTES });
    let zeros = std::io::Read::take(std::io::repeat(0), 2 << 30);
    assert_eq!(
        jsonl::read_from(zeros).expect_err("too long"),
        JsonlError::TooLong { line: 1, limit: jsonl::MAX_LINE_BYTES }
    );
    let line = format!("{}\n", " ".repeat(jsonl::MAX_LINE_BYTES + 1));
    let e = jsonl::parse(&format!("\n{line}")).expect_err("too long");
    assert_eq!(e, JsonlError::TooLong { line: 2, limit: jsonl::MAX_LINE_BYTES });
    // Space between events is not a form: a vector padded with megabytes of it is fine.
    let padded = format!("[{}{{:process 0 :type :invoke :f :read}}{}]", " ".repeat(3 << 20), "\n".repeat(3 << 20));
    assert_eq!(edn::parse(&padded).expect("parses").ops.len(), 1);
}

/// A Knossos-style reader: each event on its own line; an invocation is paired with the
/// next completion of the same process, and a process that invokes with an operation still
/// open makes the history malformed. Returns (process, f, invoke time, completion type).
fn knossos_pairs(text: &str) -> Result<Vec<(u64, String, u64, String)>, String> {
    let field = |line: &str, key: &str| -> Option<String> {
        let rest = &line[line.find(key)? + key.len()..];
        let rest = rest.trim_start();
        let end = rest.find([',', '}']).unwrap_or(rest.len());
        Some(rest[..end].trim().to_string())
    };
    let mut open: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    let mut ops: Vec<(u64, String, u64, String)> = Vec::new();
    for line in text.lines().filter(|l| l.contains(":process")) {
        let p: u64 = field(line, ":process").and_then(|s| s.parse().ok()).ok_or("no process")?;
        let kind = field(line, ":type").ok_or("no type")?;
        let f = field(line, ":f").ok_or("no f")?;
        let t: u64 = field(line, ":time").and_then(|s| s.parse().ok()).ok_or("no time")?;
        if kind == ":invoke" {
            if open.contains_key(&p) {
                return Err(format!("process {p} invokes at {t} with an operation open"));
            }
            open.insert(p, ops.len());
            ops.push((p, f, t, String::new()));
        } else {
            let i = open.remove(&p).ok_or(format!("process {p} completes without an invocation"))?;
            ops[i].3 = kind;
        }
    }
    if let Some(p) = open.keys().next() {
        return Err(format!("process {p} never completes"));
    }
    ops.sort();
    Ok(ops)
}

fn ours(h: &History) -> Vec<(u64, String, u64, String)> {
    let mut ops: Vec<_> = h
        .ops
        .iter()
        .map(|o| {
            let f = match o.kind {
                OpKind::Read => ":read",
                OpKind::Write(_) => ":write",
                OpKind::Cas { .. } => ":cas",
            };
            let kind = match o.outcome {
                Outcome::Ok { .. } => ":ok",
                Outcome::Failed => ":fail",
                Outcome::Unknown => ":info",
            };
            (o.client, f.to_string(), o.invoke, kind.to_string())
        })
        .collect();
    ops.sort();
    ops
}

#[test]
fn an_operation_that_never_completed_is_written_with_an_info() {
    let h = History::from_ops(vec![Operation::write(1, 0, 0, 5).unknown(), Operation::read(1, 10, 12, Some(5))]);
    let text = edn::write(&h);
    assert_eq!(
        text,
        "; time-unit: ticks\n[{:process 1, :type :invoke, :f :write, :value 5, :time 0}\n \
         {:process 1, :type :info, :f :write, :value 5, :time 10, :dgame/open true}\n \
         {:process 1, :type :invoke, :f :read, :value nil, :time 10}\n \
         {:process 1, :type :ok, :f :read, :value 5, :time 12}]\n"
    );
    assert_eq!(edn::parse(&text).expect("parses"), h);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_knossos_style_reader_agrees_with_ours_on_written_histories(seed in any::<u64>(), keys in 1usize..3, clients in 1usize..6) {
        let h = generate(&GenConfig { clients, ops: 60, keys, cas_fraction: 0.3, timed_out_writes: 6, failed_fraction: 0.2, seed, ..GenConfig::default() });
        let text = edn::write(&h);
        let back = edn::parse(&text).expect("parses");
        prop_assert_eq!(sorted(&back), sorted(&h));
        let theirs = knossos_pairs(&text);
        prop_assert!(theirs.is_ok(), "{:?}\n{}", theirs, text);
        prop_assert_eq!(theirs.unwrap_or_default(), ours(&back));
    }

    #[test]
    fn streaming_readers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), step in 1usize..8) {
        let _ = edn::read_from(Trickle { bytes: &bytes, step });
        let _ = jsonl::read_from(Trickle { bytes: &bytes, step });
    }

    #[test]
    fn checking_whatever_parses_never_panics(bytes in prop::collection::vec(prop::sample::select(b"{}[]() :processtypeinvokokfailnfowritedcasvalume0123456789\n".to_vec()), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(h) = edn::parse(&text) {
            let _ = dgame_checker::check(&h, &dgame_checker::Options::default());
        }
    }
}

fn arb_wild_op() -> impl Strategy<Value = Operation> {
    (
        any::<u64>(),
        proptest::option::of(any::<u64>()),
        0u8..3,
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        proptest::option::of(any::<u64>()),
        0u8..3,
        proptest::option::of(any::<u64>()),
    )
        .prop_map(|(client, key, kind, a, b, invoke, complete, outcome, read)| Operation {
            client,
            key,
            kind: match kind {
                0 => OpKind::Read,
                1 => OpKind::Write(a % 4),
                _ => OpKind::Cas { expected: a % 4, new: b % 4 },
            },
            invoke: invoke % 64,
            // Anything, including completions before invocations and ok without completion.
            complete: complete.map(|c| c % 64),
            outcome: match outcome {
                0 => Outcome::Ok { read: read.map(|r| r % 4) },
                1 => Outcome::Failed,
                _ => Outcome::Unknown,
            },
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn check_never_panics_on_any_history(ops in prop::collection::vec(arb_wild_op(), 0..10), strict in any::<bool>()) {
        let h = History::from_ops(ops);
        let _ = dgame_checker::check(&h, &dgame_checker::Options::default().strict_failed_cas(strict));
        let _ = edn::parse(&edn::write(&h));
        let _ = jsonl::parse(&jsonl::write(&h));
    }
}

#[test]
fn edn_with_bytes_that_are_not_utf8_is_refused_naming_the_line_and_the_byte() {
    let ok = "[{:process 0 :type :invoke :f :read :value nil}\n{:process 0 :type :ok :f :read :value nil}]";
    assert!(edn::read_from(ok.as_bytes()).is_ok());
    // Text that is UTF-8 beyond ASCII is fine, in strings, keywords and characters alike.
    let fine = "[{:process 0 :type :invoke :f :read :value nil :note \"déjà vu\" :ünï \\é}\n\
                {:process 0 :type :ok :f :read :value nil}]";
    assert!(edn::read_from(fine.as_bytes()).is_ok(), "{:?}", edn::read_from(fine.as_bytes()));
    let at = |bytes: &[u8]| edn::read_from(bytes).expect_err("not UTF-8");
    // In a string: `\xff`, a lone continuation byte, a truncated sequence, an overlong one,
    // and an escaped bad byte.
    for (bad, offset) in [
        (&b"[{:process 0 :note \"ab\xffcd\"}]"[..], 22),
        (b"[{:process 0 :note \"\x80\"}]", 20),
        (b"[{:process 0 :note \"\xc3(\"}]", 20),
        (b"[{:process 0 :note \"\xe0\x80\x80\"}]", 20),
        (b"[{:process 0 :note \"a\\\xff\"}]", 22),
    ] {
        let e = at(bad);
        assert_eq!(e, EdnError::NotUtf8 { line: 1, offset, what: "string" }, "{:?}", String::from_utf8_lossy(bad));
    }
    // In a keyword, on a later line, after a multi-byte character that is fine.
    let e = at(b"[{:process 0 :type :invoke :f :read :value nil}\n{:process 0 :type :ok :f :r\xc3\xa9\xffad}]");
    assert_eq!(e, EdnError::NotUtf8 { line: 2, offset: 77, what: "keyword, symbol or number" });
    assert_eq!(
        e.to_string(),
        "line 2, byte 77: not UTF-8 text inside a keyword, symbol or number; EDN is UTF-8: convert the file \
         (iconv -t UTF-8) or fix the bytes there"
    );
    // Far into a large input, across the reader's buffer: the offset counts every byte before.
    let mut big = Vec::from(&b"["[..]);
    for _ in 0..5000 {
        big.extend_from_slice(
            b"{:process 0 :type :invoke :f :read :value nil}\n{:process 0 :type :ok :f :read :value nil}\n",
        );
    }
    let offset = big.len() as u64 + 8;
    big.extend_from_slice(b"{:note \"\xfe\"}]");
    assert_eq!(at(&big), EdnError::NotUtf8 { line: 10_001, offset, what: "string" });
}

#[test]
fn a_key_one_slip_from_a_key_read_is_refused_as_a_typo_in_both_formats() {
    // Ignored, each of these changes the verdict: a stale read whose value goes unread reads
    // the empty register, and a key's operations join another key's register.
    let write = "{\"client\":1,\"f\":\"write\",\"value\":1,\"invoke\":0,\"complete\":1,\"outcome\":\"ok\"}\n";
    for (line, key, meant) in [
        (r#"{"client":2,"f":"read","vlaue":2,"invoke":2,"complete":3,"outcome":"ok"}"#, "vlaue", "value"),
        (r#"{"client":2,"f":"read","value":1,"invoke":2,"complete":3,"outcome":"ok","kye":4}"#, "kye", "key"),
        (r#"{"client":2,"f":"write","value":2,"invoke":2,"compelte":3,"outcome":"unknown"}"#, "compelte", "complete"),
        (r#"{"client":2,"F":"read","value":1,"invoke":2,"complete":3,"outcome":"ok"}"#, "F", "f"),
    ] {
        let e = jsonl::parse(&format!("{write}{line}")).expect_err(line);
        assert_eq!(e, JsonlError::Misspelt { line: 2, key: key.into(), meant }, "{line}");
        assert!(e.to_string().contains(&format!("did you mean \"{meant}\"")), "{e}");
    }
    // Keys far from ours, as other tools write them, stay ignored.
    let h = jsonl::parse(&format!(
        "{write}{{\"client\":2,\"f\":\"read\",\"value\":1,\"invoke\":2,\"complete\":3,\"outcome\":\"ok\",\"index\":7,\"node\":\"n1\",\"type\":\"ok\"}}"
    ))
    .expect("keys far from ours are ignored");
    assert_eq!(h.ops.len(), 2);

    let events = "{:process 1, :type :invoke, :f :write, :value 1, :time 0}\n\
                  {:process 1, :type :ok, :f :write, :value 1, :time 1}\n\
                  {:process 2, :type :invoke, :f :read, :value nil, :time 2}\n";
    for (line, key, meant) in [
        ("{:process 2, :type :ok, :f :read, :vlaue 2, :time 3}", "vlaue", "value"),
        ("{:process 2, :tyep :ok, :f :read, :value 2, :time 3}", "tyep", "type"),
        ("{:process 2, :type :ok, :f :read, :value 2, :Time 3}", "Time", "time"),
        ("{:proces 2, :type :ok, :f :read, :value 2, :time 3}", "proces", "process"),
    ] {
        let e = edn::parse(&format!("{events}{line}")).expect_err(line);
        assert_eq!(e, EdnError::Misspelt { line: 4, key: key.into(), meant }, "{line}");
        assert!(e.to_string().contains(&format!("did you mean :{meant}?")), "{e}");
    }
    let h = edn::parse(&format!(
        "{events}{{:process 2, :type :ok, :f :read, :value 1, :time 3, :index 4, :node \"n1\", :error :timeout}}"
    ))
    .expect("Jepsen's other keys are ignored");
    assert_eq!(h.ops.len(), 2);
}

#[test]
fn a_read_that_returned_no_value_is_refused_and_null_reads_the_empty_register() {
    let e = jsonl::parse("{\"client\":1,\"f\":\"read\",\"invoke\":1,\"complete\":2,\"outcome\":\"ok\"}")
        .expect_err("an ok read without a value");
    assert!(matches!(e, JsonlError::Field { line: 1, field: "value", .. }), "{e}");
    assert!(e.to_string().contains("null for the empty register"), "{e}");
    let h = jsonl::parse("{\"client\":1,\"f\":\"read\",\"value\":null,\"invoke\":1,\"complete\":2,\"outcome\":\"ok\"}")
        .expect("null is the empty register");
    assert_eq!(h.ops[0].outcome, Outcome::Ok { read: None });
    // A read that did not return needs no value.
    jsonl::parse("{\"client\":1,\"f\":\"read\",\"invoke\":1,\"outcome\":\"unknown\"}").expect("an unknown read");

    let e = edn::parse("{:process 1, :type :invoke, :f :read}\n{:process 1, :type :ok, :f :read}")
        .expect_err("an ok read without a value");
    assert!(matches!(e, EdnError::Field { line: 2, field: ":value", .. }), "{e}");
    let h = edn::parse("{:process 1, :type :invoke, :f :read}\n{:process 1, :type :ok, :f :read, :value nil}")
        .expect("nil is the empty register");
    assert_eq!(h.ops[0].outcome, Outcome::Ok { read: None });
}

#[test]
fn a_time_unit_comment_naming_no_unit_is_refused() {
    let events = "[{:process 1, :type :invoke, :f :write, :value 1, :time 5}\n\
                   {:process 1, :type :ok, :f :write, :value 1, :time 9}]";
    let e = edn::parse(&format!("; time-unit: parsecs\n{events}")).expect_err("parsecs");
    assert_eq!(e, EdnError::UnknownTimeUnit { name: "parsecs".into() });
    assert!(e.to_string().contains("write ticks, nanoseconds or events"), "{e}");
    let mut streamed = 0;
    let e = edn::for_each_op(format!("; time-unit: parsecs\n{events}").as_bytes(), |_, _, _| streamed += 1)
        .expect_err("parsecs, streamed");
    assert_eq!(e, EdnError::UnknownTimeUnit { name: "parsecs".into() });
    assert_eq!(edn::parse(&format!("; time-unit: ticks\n{events}")).expect("ticks").time_unit, TimeUnit::Ticks);
    assert_eq!(edn::parse(events).expect("no comment").time_unit, TimeUnit::Nanoseconds);
}

fn jsonl_op(client: u64, invoke: u64, complete: Option<u64>) -> String {
    match complete {
        Some(c) => format!(
            "{{\"client\":{client},\"f\":\"write\",\"value\":{invoke},\"invoke\":{invoke},\"complete\":{c},\"outcome\":\"ok\"}}\n"
        ),
        None => format!(
            "{{\"client\":{client},\"f\":\"write\",\"value\":{invoke},\"invoke\":{invoke},\"outcome\":\"unknown\"}}\n"
        ),
    }
}

#[test]
fn a_client_that_invokes_while_its_operation_is_open_is_refused_in_both_formats_naming_both_lines() {
    // JSON lines: client 1 writes at ticks 10-30 and, on line 4, again at tick 20.
    let text = format!(
        "{{\"time_unit\":\"ticks\"}}\n{}{}{}",
        jsonl_op(1, 10, Some(30)),
        jsonl_op(2, 12, Some(14)),
        jsonl_op(1, 20, Some(40))
    );
    let expected = "line 4: client 1 invokes an operation at tick 20 while its operation of line 2 (ticks 10-30) is \
                    still open; a client runs one operation at a time: fix the times, or give one of the two operations \
                    another client id";
    let e = jsonl::parse(&text).expect_err("two operations of client 1 at once");
    assert!(matches!(e, JsonlError::Overlap { line: 4, client: 1, open_line: 2, .. }), "{e}");
    assert_eq!(e.to_string(), expected);
    // Streamed as `dgame check` reads it: the same error, after the operations before it.
    let mut seen = 0;
    let streamed = jsonl::for_each_op(text.as_bytes(), |_, _| seen += 1).expect_err("streamed");
    assert_eq!(streamed, e);
    assert_eq!(seen, 2);
    // The open one may come on a later line: the error names the line invoked while it was open.
    let e = jsonl::parse(&format!("{}{}", jsonl_op(1, 20, Some(22)), jsonl_op(1, 10, Some(30)))).expect_err("reversed");
    assert!(matches!(e, JsonlError::Overlap { line: 1, client: 1, open_line: 2, .. }), "{e}");
    // An unknown operation that never completed occupies its client at its invocation only:
    // the client gave up on it and went on, as the simulator's clients do after a timeout...
    jsonl::parse(&format!("{}{}", jsonl_op(1, 10, None), jsonl_op(1, 11, Some(20)))).expect("gave up, then went on");
    // ...but it cannot have been invoked while another operation of its client was open.
    let e = jsonl::parse(&format!("{}{}", jsonl_op(1, 10, Some(30)), jsonl_op(1, 15, None))).expect_err("inside");
    assert!(matches!(e, JsonlError::Overlap { line: 2, client: 1, open_line: 1, .. }), "{e}");
    // Equal times are fine: a client completes one and invokes the next in the same tick,
    // or runs an instant one there; different clients overlap freely; so do other keys' ...
    jsonl::parse(&format!(
        "{}{}{}{}",
        jsonl_op(1, 10, Some(20)),
        jsonl_op(1, 20, Some(20)),
        jsonl_op(1, 20, Some(25)),
        jsonl_op(2, 11, Some(24))
    ))
    .expect("one at a time");
    // ... but not a client's own, whatever the key.
    let keyed =
        "{\"client\":1,\"f\":\"read\",\"value\":null,\"invoke\":15,\"complete\":16,\"outcome\":\"ok\",\"key\":2}\n";
    let e = jsonl::parse(&format!("{}{keyed}", jsonl_op(1, 10, Some(20)))).expect_err("another key");
    assert!(matches!(e, JsonlError::Overlap { line: 2, client: 1, open_line: 1, .. }), "{e}");

    // EDN: process 1 invokes on line 3 while its write of line 1 has no completion.
    let events = "{:process 1, :type :invoke, :f :write, :value 1, :time 10}\n\
                  {:process 2, :type :invoke, :f :read, :value nil, :time 12}\n\
                  {:process 1, :type :invoke, :f :read, :value nil, :time 20}\n\
                  {:process 1, :type :ok, :f :read, :value 1, :time 25}\n";
    let expected = "line 3: process 1 invokes an operation while its operation invoked on line 1 is still open; a \
                    process runs one operation at a time: complete that one before this line (:ok, :fail, or :info if \
                    its outcome is unknown), or give this invocation another process (Jepsen gives a crashed process a \
                    new one)";
    let e = edn_err(events);
    assert!(matches!(e, EdnError::Event { line: 3, .. }), "{e}");
    assert_eq!(e.to_string(), expected);
    let streamed = edn::for_each_op(events.as_bytes(), |_, _, _| {}).expect_err("streamed");
    assert_eq!(streamed, e);
    // Without :time the same.
    let untimed = events.replace(", :time 10", "").replace(", :time 12", "").replace(", :time 20", "");
    let untimed = untimed.replace(", :time 25", "");
    assert!(matches!(edn_err(&untimed), EdnError::Event { line: 3, .. }));
    // With :time, a process's invocation before its previous completion is the same overlap.
    let events = "{:process 1, :type :invoke, :f :write, :value 1, :time 10}\n\
                  {:process 1, :type :ok, :f :write, :value 1, :time 30}\n\
                  {:process 1, :type :invoke, :f :read, :value nil, :time 20}\n\
                  {:process 1, :type :ok, :f :read, :value 1, :time 40}\n";
    let e = edn_err(events);
    assert_eq!(
        e.to_string(),
        "line 3: process 1 invokes an operation at time 20, before its previous operation completed at time 30 (line \
         2); a process runs one operation at a time: fix the times"
    );
    assert_eq!(edn::for_each_op(events.as_bytes(), |_, _, _| {}).expect_err("streamed"), e);
    // An :info completes an operation, so the process may invoke again (Jepsen would give it
    // a new id; our writer keeps it).
    let h = edn::parse(
        "{:process 1, :type :invoke, :f :write, :value 1, :time 10}\n\
         {:process 1, :type :info, :f :write, :value 1, :time 20}\n\
         {:process 1, :type :invoke, :f :read, :value nil, :time 20}\n\
         {:process 1, :type :ok, :f :read, :value 1, :time 25}\n",
    )
    .expect("an :info, then the next invocation");
    assert_eq!(h.ops.len(), 2);
}

#[test]
fn a_client_whose_lines_are_out_of_invocation_order_is_still_compared_pair_by_pair() {
    use dgame_checker::Options;
    use dgame_checker::stream::{StreamChecker, StreamVerdict};
    // Client 1 at ticks 0-10, 20-30, then (line 3) 5-8: inside the first, which streaming,
    // comparing with the operation that ended last (20-30), cannot see.
    let text = format!("{}{}{}", jsonl_op(1, 0, Some(10)), jsonl_op(1, 20, Some(30)), jsonl_op(1, 5, Some(8)));
    let e = jsonl::read_from(text.as_bytes()).expect_err("read whole");
    assert!(matches!(e, JsonlError::Overlap { line: 3, client: 1, open_line: 1, .. }), "{e}");
    assert!(e.to_string().starts_with("line 3: client 1 invokes an operation at tick 5 while its operation of line 1"));
    // So a stream checker fed such lines gives them up, and `dgame check` reads the file whole.
    let mut checker = StreamChecker::new(&Options::default());
    jsonl::for_each_op(text.as_bytes(), |i, op| {
        checker.push(i, op);
        checker.advance(op.invoke);
    })
    .expect("not seen streaming");
    assert_eq!(checker.finish(), StreamVerdict::Disordered);
    // In any order, lines of clients that run one operation at a time are read.
    let text = format!("{}{}{}", jsonl_op(1, 20, Some(30)), jsonl_op(2, 5, Some(25)), jsonl_op(1, 0, Some(10)));
    assert_eq!(jsonl::read_from(text.as_bytes()).expect("one at a time").ops.len(), 3);
}

#[test]
fn edn_with_time_on_some_events_only_is_refused_naming_the_first_event_that_breaks_the_pattern() {
    // Read as untimed, this history's positions would put the read after the write; its
    // times put it before.
    let some_untimed = "{:process 1, :type :invoke, :f :write, :value 1, :time 50}\n\
                        {:process 1, :type :ok, :f :write, :value 1, :time 60}\n\
                        {:process 2, :type :invoke, :f :read, :value nil}\n\
                        {:process 2, :type :ok, :f :read, :value nil, :time 20}\n";
    let e = edn_err(some_untimed);
    assert!(matches!(e, EdnError::Event { line: 3, .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "line 3: this event has no :time, but the first event (line 1) has one; give every event a :time or none \
         (without :time, the events' positions are their times)"
    );
    // Streamed as `dgame check` reads it: the same error, no longer a history to read whole.
    assert_eq!(edn::for_each_op(some_untimed.as_bytes(), |_, _, _| {}).expect_err("streamed"), e);
    // The reverse: the first event has no :time, a later one has. A nemesis event does not count.
    let some_timed = "{:process 1, :type :invoke, :f :write, :value 1}\n\
                      {:process :nemesis, :type :info, :f :start, :value nil, :time 3}\n\
                      {:process 1, :type :ok, :f :write, :value 1}\n\
                      {:process 2, :type :invoke, :f :read, :value nil, :time 20}\n";
    let e = edn_err(some_timed);
    assert_eq!(
        e.to_string(),
        "line 4: this event has a :time, but the first event (line 1) has none; give every event a :time or none \
         (without :time, the events' positions are their times)"
    );
    assert_eq!(edn::for_each_op(some_timed.as_bytes(), |_, _, _| {}).expect_err("streamed"), e);
    // Every event timed, or none: read, the first in nanoseconds, the second in positions.
    let timed = some_untimed.replace(":value nil}", ":value nil, :time 10}");
    assert_eq!(edn::parse(&timed).expect("all timed").time_unit, TimeUnit::Nanoseconds);
    let untimed = some_timed.replace(", :time 20", "");
    assert_eq!(edn::parse(&untimed).expect("none timed").time_unit, TimeUnit::Events);
    assert_eq!(edn::for_each_op(untimed.as_bytes(), |_, _, _| {}).expect("streamed"), Some(TimeUnit::Events));
}
