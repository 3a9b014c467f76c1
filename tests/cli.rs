//! The `dgame` binary, run as a user runs it: each command, each kind of bad input, the output
//! and the exit code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn dgame(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dgame")).args(args).output().expect("dgame runs")
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn jepsen(kind: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("checker/tests/data/jepsen/cas-register").join(kind).join(name)
}

#[track_caller]
fn assert_usage_error(args: &[&str], expected: &str) {
    let o = dgame(args);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: stdout {out}\nstderr {err}");
    assert!(err.contains(expected), "{args:?}: stderr should say {expected:?}, got:\n{err}");
    assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
}

#[test]
fn run_prints_a_report_with_the_verdict_and_the_command_that_reproduces_it() {
    let o = dgame(&["run", "--algorithm", "abd", "--nodes", "3", "--ticks", "300", "--seed", "5"]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    for part in [
        "operations",
        "availability",
        "latency      p50",
        "messages",
        "by type",
        "dropped",
        "verdict      LINEARIZABLE",
    ] {
        assert!(out.contains(part), "missing {part:?} in:\n{out}");
    }
    assert!(out.contains("reproduce    dgame run --algorithm abd --seed 5 --ticks 300"), "{out}");
}

#[test]
fn one_node_and_one_client_are_said_in_the_singular() {
    let (out, _) = text(&dgame(&["run", "--nodes", "1", "--clients", "1", "--ticks", "50"]));
    assert!(out.starts_with("abd with 1 node and 1 client, 50 ticks"), "{out}");
    let (out, _) = text(&dgame(&["run", "--ticks", "50"]));
    assert!(out.starts_with("abd with 3 nodes and 2 clients, 50 ticks"), "{out}");
}

#[test]
fn dgame_alone_runs_the_default_simulation() {
    let o = dgame(&["--ticks", "200"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("verdict      LINEARIZABLE"), "{out}");
}

#[test]
fn run_json_is_one_document_with_the_same_figures() {
    let o = dgame(&["run", "--json", "--algorithm", "abd", "--ticks", "200", "--seed", "1"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["verdict"]["verdict"], "linearizable");
    assert_eq!(v["config"]["seed"], 1);
    let ops = &v["operations"];
    assert_eq!(
        ops["total"].as_u64().unwrap(),
        ["ok", "failed", "unknown", "pending"].iter().map(|k| ops[k].as_u64().unwrap()).sum::<u64>()
    );
    assert!(v["reproduce"].as_str().unwrap().starts_with("dgame run --algorithm abd --seed 1"));
}

#[test]
fn the_same_flags_give_the_same_report() {
    let args = ["run", "--json", "--algorithm", "raft", "--ticks", "300", "--seed", "11", "--loss", "0.05"];
    assert_eq!(dgame(&args).stdout, dgame(&args).stdout);
}

#[test]
fn list_names_every_algorithm_with_its_guarantee() {
    let (out, _) = text(&dgame(&["list"]));
    for name in ["single-client-sync-replication", "single-client-versioned-majority", "primary-backup", "abd", "raft"]
    {
        assert!(out.lines().any(|l| l.starts_with(name) && l.len() > name.len() + 5), "{name} missing in:\n{out}");
    }
}

#[test]
fn check_judges_jepsen_histories_with_exit_codes() {
    let good = dgame(&["check", jepsen("good", "memstress3-0.edn").to_str().unwrap()]);
    assert_eq!(good.status.code(), Some(0), "{:?}", text(&good));
    let bad = dgame(&["check", jepsen("bad", "cas-failure.edn").to_str().unwrap()]);
    let (out, _) = text(&bad);
    assert_eq!(bad.status.code(), Some(1), "{out}");
    assert!(out.contains("NOT LINEARIZABLE"), "{out}");
}

#[test]
fn history_export_in_both_formats_checks_the_same() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["h.edn", "h.jsonl"] {
        let path = dir.path().join(name);
        let o = dgame(&["run", "--algorithm", "abd", "--ticks", "200", "--history-out", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0));
        let c = dgame(&["check", path.to_str().unwrap()]);
        let (out, err) = text(&c);
        assert_eq!(c.status.code(), Some(0), "{name}: {out}{err}");
        assert!(out.contains("LINEARIZABLE"), "{out}");
    }
}

#[test]
fn a_saved_run_replays_identically_and_a_tampered_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("run.json");
    let trace = dir.path().join("trace.jsonl");
    let o = dgame(&[
        "run",
        "--algorithm",
        "raft",
        "--ticks",
        "200",
        "--seed",
        "4",
        "--loss",
        "0.1",
        "--save",
        saved.to_str().unwrap(),
        "--trace-out",
        trace.to_str().unwrap(),
    ]);
    assert!(o.status.code().is_some_and(|c| c < 2), "{:?}", text(&o));
    let lines = std::fs::read_to_string(&trace).unwrap();
    assert!(lines.lines().count() > 100);
    assert!(lines.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
    let r = dgame(&["replay", saved.to_str().unwrap()]);
    let (out, _) = text(&r);
    assert_eq!(r.status.code(), Some(0), "{out}");
    assert!(out.starts_with("IDENTICAL"), "{out}");

    let tampered = std::fs::read_to_string(&saved).unwrap().replacen("\"tick\":3,", "\"tick\":4,", 1);
    std::fs::write(&saved, tampered).unwrap();
    let r = dgame(&["replay", saved.to_str().unwrap()]);
    let (out, _) = text(&r);
    assert_eq!(r.status.code(), Some(1), "{out}");
    assert!(out.starts_with("DIFFERENT at event"), "{out}");
}

/// A replay is compared as it runs and stops at its first difference: a saved run doctored to
/// last until the end of time still gets its answer, at once (before, the replay ran on to
/// the doctored last tick and compared afterwards).
#[test]
fn a_replay_of_an_endless_doctored_run_stops_at_its_first_difference() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("run.json");
    let o = dgame(&["run", "--algorithm", "abd", "--ticks", "100", "--seed", "3", "--save", saved.to_str().unwrap()]);
    assert!(o.status.code().is_some_and(|c| c < 2), "{:?}", text(&o));
    let mut run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    run["config"]["ticks"] = serde_json::json!(u64::MAX);
    let events = run["events"].as_array().unwrap().len();
    assert!(events > 10, "{events} events");
    let endless = dir.path().join("endless.json");

    // Every saved event matches, but the replay goes on past them: different, said as soon as
    // it has made one event more.
    std::fs::write(&endless, run.to_string()).unwrap();
    let r = dgame(&["replay", endless.to_str().unwrap()]);
    let (out, err) = text(&r);
    assert_eq!(r.status.code(), Some(1), "{out}{err}");
    assert!(out.starts_with(&format!("DIFFERENT: the saved run has {events} events, the replay more")), "{out}");

    // Event 5 replaced by event 6: different at event 5.
    let sixth = run["events"][6].clone();
    run["events"][5] = sixth;
    std::fs::write(&endless, run.to_string()).unwrap();
    let r = dgame(&["replay", endless.to_str().unwrap()]);
    let (out, err) = text(&r);
    assert_eq!(r.status.code(), Some(1), "{out}{err}");
    assert!(out.starts_with(&format!("DIFFERENT at event 5 of {events}")), "{out}");
}

#[test]
fn a_sweep_of_versioned_majority_with_two_clients_finds_a_violation_and_shrinks_it() {
    let o = dgame(&["sweep", "--algorithm", "single-client-versioned-majority", "--clients", "2", "--seeds", "0..200"]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("first violation: seed"), "{out}");
    assert!(out.contains("NOT LINEARIZABLE"), "{out}");
    let shrunk = out.lines().find(|l| l.starts_with("shrunk: ticks")).expect("a shrunk run");
    let ticks: Vec<u64> = shrunk["shrunk: ticks ".len()..]
        .split(',')
        .next()
        .unwrap()
        .split(" -> ")
        .map(|t| t.trim().parse().unwrap())
        .collect();
    assert!(ticks[1] < ticks[0], "the shrunk run is shorter: {shrunk}");
}

#[test]
fn a_sweep_of_abd_passes_and_shards_cover_the_seeds_once() {
    let all = dgame(&["sweep", "--json", "--algorithm", "abd", "--ticks", "150", "--seeds", "0..12"]);
    let v: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(all.status.code(), Some(0));
    assert_eq!(v["seeds_run"], 12);
    assert_eq!(v["linearizable"], 12);
    let mut total = 0;
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let o =
            dgame(&["sweep", "--json", "--algorithm", "abd", "--ticks", "150", "--seeds", "0..12", "--shard", &shard]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        total += v["seeds_run"].as_u64().unwrap();
    }
    assert_eq!(total, 12);
}

#[test]
fn bad_input_gets_one_clear_line_and_exit_code_2() {
    assert_usage_error(&["run", "--algorithm", "paxos"], "unknown algorithm `paxos`; the algorithms are: ");
    assert_usage_error(&["run", "--delay", "5..3"], "the minimum 5 is above the maximum 3");
    assert_usage_error(&["run", "--delay", "fast"], "`fast` is not a delay");
    assert_usage_error(&["run", "--loss", "1.5"], "`1.5` is not a probability");
    assert_usage_error(&["run", "--nodes", "0"], "--nodes: there must be at least 1 node");
    assert_usage_error(&["run", "--gateway-timeout", "0"], "is not a timeout");
    assert_usage_error(&["run", "--cut", "n1|n9@5"], "node 9 does not exist");
    assert_usage_error(&["run", "--cut", "n1n2"], "is not a cut");
    assert_usage_error(&["run", "--cut", "n1,n1|n2@5"], "--cut (`cuts`): node 1 is named twice on one side");
    assert_usage_error(&["run", "--nemesis", "crash,pause,crash"], "--nemesis lists crash twice: list each kind once");
    assert_usage_error(&["explore", "--inject", "loss,crash,loss"], "\"loss,crash,loss\" lists loss twice");
    assert_usage_error(
        &["run", "--deviate", "5:drop,5:deliver"],
        "the choice script gives signal 5 twice (again in entry 2)",
    );
    assert_usage_error(&["run", "--deviate", "0:drop"], "names signal 0 in `0:drop` (entry 1): signal ids start at 1");
    assert_usage_error(
        &["run", "--deviate", "3:drop,5:drop+deliver"],
        "the choice script says both `drop` and `deliver` in `5:drop+deliver` (entry 2)",
    );
    assert_usage_error(&["run", "--frobnicate"], "unexpected argument '--frobnicate'");
    assert_usage_error(&["sweep", "--seeds", "10..5"], "is empty");
    assert_usage_error(&["sweep", "--seeds", "ten"], "is not a seed range");
    assert_usage_error(&["sweep", "--shard", "3/2"], "is not a shard");
    assert_usage_error(&["play", "--addr", "localhost"], "`localhost` is not an IP address");
    for keys in ["0", "1000001", "99999999999"] {
        assert_usage_error(&["run", "--workload", "kv", "--keys", keys], "--keys: between 1 and 1000000 keys, got");
    }
    assert_usage_error(
        &["run", "--nodes", "3", "--nemesis", "crash", "--nemesis-targets", "5"],
        "--nemesis-targets (`nemesis.targets`) is 5 but there are 3 nodes: give at most 3",
    );
    assert_usage_error(&["play", "--addr", "192.0.2.1", "--port", "0"], "--addr must be an address of this machine");
    assert_usage_error(&["sweep", "--seed", "5", "--seeds", "0..10"], "write `--seeds 5` or `dgame run --seed 5`");
    assert_usage_error(&["replay", "/nonexistent/run.json"], "cannot read /nonexistent/run.json");
    assert_usage_error(&["run", "--script", "/nonexistent/s.txt"], "--script: cannot read /nonexistent/s.txt");
    assert_usage_error(
        &["run", "--history-out", "/tmp/dgame-same.jsonl", "--trace-out", "/tmp/dgame-same.jsonl"],
        "--trace-out /tmp/dgame-same.jsonl is also the file of --history-out",
    );
    assert_usage_error(
        &["run", "--config", "docs/example.toml", "--save", "./docs/../docs/example.toml"],
        "is also the file of --config",
    );
    assert_usage_error(
        &["run", "--script", "/dev/zero"],
        "--script: /dev/zero: the choice script is larger than the limit",
    );
    assert_usage_error(&["check", "/nonexistent/h.edn"], "cannot read");
}

#[test]
fn bad_files_name_the_key_or_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let unknown_key = write("a.toml", "nodes = 3\nnodez = 4\n");
    assert_usage_error(&["run", "--config", &unknown_key], "unknown field `nodez`");
    let bad_value = write("b.toml", "nodes = 3\nloss = 3.0\n");
    assert_usage_error(&["run", "--config", &bad_value], "`loss`: a probability between 0 and 1");
    let broken_toml = write("c.toml", "nodes = 3\nticks = [\n");
    assert_usage_error(&["run", "--config", &broken_toml], "line 2");
    let bad_history = write(
        "h.edn",
        "{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :bogus, :f :read, :value 1}\n",
    );
    assert_usage_error(&["check", &bad_history], "line 2");
    let script = write("s.txt", "# found by explore\n3:drop, 5:delay=4\n9:explode # a slip\n");
    assert_usage_error(&["run", "--script", &script], "`9:explode` (line 3 of the choice script) is not a deviation");
    let not_a_run = write("r.json", "{\"hello\": 1}");
    assert_usage_error(&["replay", &not_a_run], "not a run saved by `dgame run --save`");
}

#[test]
fn a_config_file_sets_the_run_and_flags_override_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "nodes = 5\nticks = 120\nseed = 3\ndelay = \"1..2\"\n").unwrap();
    let o = dgame(&["run", "--json", "--config", path.to_str().unwrap(), "--seed", "8"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["config"]["nodes"], 5);
    assert_eq!(v["config"]["ticks"], 120);
    assert_eq!(v["config"]["seed"], 8);
    assert_eq!(v["config"]["delay"], "1..2");
}

#[test]
fn faults_from_flags_are_reported_and_reproduced() {
    let o = dgame(&[
        "run",
        "--algorithm",
        "raft",
        "--nodes",
        "3",
        "--ticks",
        "300",
        "--fault",
        "crash n2@50",
        "--fault",
        "restart n2@100",
        "--duplicate",
        "0.05",
        "--link-delay",
        "n1|n3=5",
        "--clock-rate",
        "n3=0.8",
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("faults       2: crash n2@50, restart n2@100"), "{out}");
    assert!(out.contains("operations overlapped a fault"), "{out}");
    let line = out.lines().find_map(|l| l.strip_prefix("reproduce    ")).unwrap();
    assert!(line.contains("--fault 'crash n2@50' --fault 'restart n2@100'"), "{line}");
    assert!(
        line.contains("--duplicate 0.05")
            && line.contains("--link-delay 'n1|n3=5'")
            && line.contains("--clock-rate n3=0.8")
    );
}

#[test]
fn a_nemesis_sweep_says_how_many_runs_each_fault_touched() {
    let o = dgame(&[
        "sweep",
        "--json",
        "--algorithm",
        "abd",
        "--ticks",
        "300",
        "--seeds",
        "0..8",
        "--nemesis",
        "crash,pause",
        "--nemesis-interval",
        "40",
        "--nemesis-duration",
        "30",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(0));
    let with = &v["runs_with_fault"];
    let runs = |k: &str| with.get(k).and_then(|n| n.as_u64()).unwrap_or(0);
    assert!(runs("crash") + runs("pause") >= 8, "every run had a crash or a pause: {with}");
    assert!(with.get("partition").is_none(), "only the kinds asked for: {with}");
    assert_eq!(v["runs_without_faults"], 0);
    // With the default nemesis (a fault every ~200 ticks, none in the last 100), most of these
    // short runs are never stressed, and the summary says so.
    let calm =
        dgame(&["sweep", "--json", "--algorithm", "abd", "--ticks", "300", "--seeds", "0..8", "--nemesis", "crash"]);
    let v: serde_json::Value = serde_json::from_slice(&calm.stdout).unwrap();
    assert!(v["runs_without_faults"].as_u64().unwrap() >= 1, "{v}");
}

#[test]
fn a_sweep_counts_runs_that_lost_or_duplicated_a_signal_as_faulted() {
    let o = dgame(&["sweep", "--json", "--ticks", "200", "--seeds", "0..6", "--loss", "0.1", "--duplicate", "0.1"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["runs_with_fault"]["loss"], 6, "{v}");
    assert_eq!(v["runs_with_fault"]["duplication"], 6, "{v}");
    assert_eq!(v["runs_without_faults"], 0, "{v}");
}

#[test]
fn bad_fault_flags_are_refused_with_a_clear_line() {
    assert_usage_error(&["run", "--fault", "explode n1@3"], "`explode n1@3` is not a fault");
    assert_usage_error(&["run", "--fault", "crash n9@5"], "node 9 does not exist");
    assert_usage_error(&["run", "--fault", "restart n1@5"], "`restart n1@5` cannot work: node 1 has not crashed");
    assert_usage_error(&["run", "--nemesis", "earthquake"], "invalid value 'earthquake'");
    assert_usage_error(&["run", "--nemesis-interval", "50"], "add `--nemesis partition,crash`");
    assert_usage_error(&["run", "--duplicate", "2"], "is not a probability");
    assert_usage_error(&["run", "--clock-rate", "n1=0"], "--clock-rate: a clock rate is in (0, 10], got 0");
    assert_usage_error(&["run", "--link-delay", "n1|n2"], "is not a link delay");
}

/// A schedule whose crashes, restarts, pauses and resumes cannot all be carried out is refused
/// before anything runs, in one line naming the fault and why, by `run`, `sweep` and a config
/// file alike; one that works, or may work given the nemesis, runs.
#[test]
fn a_schedule_that_cannot_work_is_refused_before_the_run() {
    let cases: [(&[&str], &str); 3] = [
        (&["--fault", "restart n2@100"], "`restart n2@100` cannot work: node 2 has not crashed at tick 100"),
        (
            &["--fault", "crash n2@100", "--fault", "crash n2@110"],
            "`crash n2@110` cannot work: node 2 has already crashed",
        ),
        (&["--fault", "resume n1@10"], "`resume n1@10` cannot work: node 1 is not paused at tick 10"),
    ];
    for (faults, why) in cases {
        for command in [&["run"][..], &["sweep", "--seeds", "0..20"]] {
            let args = [command, faults].concat();
            let o = dgame(&args);
            let (out, err) = text(&o);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {out}{err}");
            assert_eq!(out, "", "{args:?}: nothing ran");
            assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
            assert!(err.starts_with("error: --fault: ") && err.contains(why), "{args:?}: {err}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let toml = file(&dir, "c.toml", "schedule = [\"pause n3@40\", \"crash n3@50\", \"resume n3@60\"]\n");
    assert_usage_error(
        &["run", "--config", toml.to_str().unwrap()],
        "`resume n3@60` cannot work: node 3 is not paused at tick 60 (`crash n3@50` left it crashed)",
    );
    // A nemesis that crashes nodes may have crashed n2 by then: left to the run.
    let o = dgame(&["run", "--nemesis", "crash", "--nemesis-interval", "5", "--fault", "restart n2@100"]);
    assert!(!text(&o).1.contains("cannot work"), "{:?}", text(&o));
    let o = dgame(&["run", "--fault", "crash n2@100", "--fault", "restart n2@150", "--ticks", "300"]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
}

#[test]
fn the_documented_example_config_runs() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/example.toml");
    let o = dgame(&["run", "--json", "--algorithm", "raft", "--config", path.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["config"]["nodes"], 5);
    assert_eq!(v["config"]["schedule"][0], "crash n2@300");
    assert!(v["faults"].as_array().unwrap().iter().any(|f| f["fault"] == "crash n2"));
}

#[test]
fn configured_cuts_are_faults_in_reports_and_sweeps() {
    let o = dgame(&["run", "--json", "--algorithm", "abd", "--cut", "n1|n2,n3@100..300", "--seed", "1"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let kinds: Vec<&str> = v["faults"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["partition", "heal"]);
    assert_eq!(v["faults"][0]["tick"], 100);
    assert!(!v["operations_during_faults"].as_array().unwrap().is_empty());
    let s = dgame(&["sweep", "--json", "--algorithm", "abd", "--cut", "n1|n2,n3@100..300", "--seeds", "0..4"]);
    let v: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    assert_eq!(v["runs_with_fault"]["partition"], 4);
    assert_eq!(v["runs_without_faults"], 0);
}

#[test]
fn the_nemesis_never_heals_a_configured_cut() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let o = dgame(&[
        "run",
        "--ticks",
        "400",
        "--cut",
        "n1|n2@1",
        "--nemesis",
        "isolate,partition",
        "--nemesis-interval",
        "40",
        "--nemesis-duration",
        "20",
        "--trace-out",
        trace.to_str().unwrap(),
    ]);
    assert!(o.status.code().is_some_and(|c| c < 2), "{:?}", text(&o));
    let events: Vec<serde_json::Value> =
        std::fs::read_to_string(&trace).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(events.iter().filter(|e| e["event"] == "fault").count() >= 4, "the nemesis was busy");
    let healed_n1_n2 = events.iter().any(|e| {
        e["event"] == "link_healed"
            && ((e["from"] == "n1" && e["to"] == "n2") || (e["from"] == "n2" && e["to"] == "n1"))
    });
    assert!(!healed_n1_n2, "the configured cut between n1 and n2 holds all run long");
}

#[test]
fn extreme_values_are_refused_or_survived_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("h.jsonl");
    assert_eq!(dgame(&["run", "--ticks", "100", "--history-out", h.to_str().unwrap()]).status.code(), Some(0));
    // A limit too large to be a deadline is no limit.
    let huge = dgame(&["check", h.to_str().unwrap(), "--time-limit", "1e300"]);
    assert_eq!(huge.status.code(), Some(0), "{:?}", text(&huge));
    assert_usage_error(&["check", h.to_str().unwrap(), "--time-limit", "0"], "--time-limit must be a positive");
    assert_usage_error(&["check", h.to_str().unwrap(), "--time-limit", "-1"], "--time-limit must be a positive");
    let o = dgame(&["run", "--ticks", "100", "--nemesis", "crash", "--nemesis-interval", "18446744073709551615"]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert_usage_error(&["run", "--link-delay", "n9|n1=10"], "node 9 does not exist");
    assert_usage_error(&["run", "--fault", "cut c7|n1@5"], "client 7 does not exist");
}

#[test]
fn the_web_game_imports_nothing_from_the_command_line() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for needle in ["crate::cli", "cli::", "Algorithm"] {
                assert!(!text.contains(needle), "{} mentions `{needle}`", path.display());
            }
        }
    }
}

#[test]
fn sizes_are_bounded_before_memory_is_spent() {
    assert_usage_error(&["run", "--nodes", "4294967295"], "--nodes: at most 10000 nodes, got 4294967295");
    assert_usage_error(&["run", "--clients", "4294967295"], "--clients: at most 10000 clients, got 4294967295");
    assert_usage_error(&["run", "--nodes", "100000", "--ticks", "10"], "--nodes: at most 10000 nodes");
    assert_usage_error(&["run", "--nodes", "4294967296"], "--nodes: at most 10000 nodes, got 4294967296");
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    // Sparse: 17 MiB long, nothing written.
    std::fs::File::create(&big).unwrap().set_len(17 << 20).unwrap();
    assert_usage_error(
        &["run", "--config", big.to_str().unwrap()],
        "the configuration is larger than the limit of 16 MiB",
    );
    // A device with no end is read only up to the limit.
    assert_usage_error(
        &["run", "--config", "/dev/zero"],
        "/dev/zero: the configuration is larger than the limit of 16 MiB",
    );
    // A history is streamed: an endless or huge file of NULs stops at the readers' line limit.
    assert_usage_error(&["check", "/dev/zero"], "/dev/zero: line 1: longer than 1048576 bytes");
    let huge = dir.path().join("huge.edn");
    std::fs::File::create(&huge).unwrap().set_len((1 << 30) + 1).unwrap();
    assert_usage_error(&["check", huge.to_str().unwrap()], "line 1: a form longer than 1048576 bytes");
    let file_nodes = dir.path().join("n.toml");
    std::fs::write(&file_nodes, "nodes = 20000\n").unwrap();
    assert_usage_error(&["run", "--config", file_nodes.to_str().unwrap()], "`nodes`: at most 10000 nodes, got 20000");
}

#[test]
fn an_output_that_cannot_be_written_is_a_clear_error() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full exists");
    for args in [
        &["run", "--ticks", "50"][..],
        &["list"],
        &["sweep", "--seeds", "0..3", "--ticks", "50"],
        &["explore", "--runs", "3", "--ticks", "50"],
        &["explore", "--runs", "3", "--ticks", "50", "--json"],
        &["--help"],
        &["check", "--help"],
        &["--version"],
    ] {
        let o =
            Command::new(env!("CARGO_BIN_EXE_dgame")).args(args).stdout(full.try_clone().unwrap()).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("error: cannot write the output: No space left on device"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // A violation that cannot be printed is lost: exit code 2, and every output's error.
    let mut args = vec!["run"];
    args.extend(NO_WRITE_BACK_VIOLATION);
    args.extend(["--history-out", "/dev/full"]);
    let explore = ["explore", "-a", "abd-no-write-back", "--runs", "300", "--save", "/dev/full"];
    for args in [&args[..], &explore] {
        let o =
            Command::new(env!("CARGO_BIN_EXE_dgame")).args(args).stdout(full.try_clone().unwrap()).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("error: cannot write /dev/full: No space left on device"), "{args:?}: {err}");
        assert!(err.contains("error: cannot write the output: No space left on device"), "{args:?}: {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    assert_usage_error(&["run", "--trace-out", "/dev/full"], "cannot write /dev/full");
    let missing = dir.path().join("no/such/dir/t.jsonl");
    assert_usage_error(&["run", "--trace-out", missing.to_str().unwrap()], "cannot write");
}

#[test]
fn a_standard_error_that_cannot_be_written_changes_no_exit_code() {
    // What goes to a full standard error (warnings, errors) is lost, but the command still
    // ends as it would have: a warned-of run 0, a violation 1, an error 2; never a panic's 101.
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full exists");
    let mut violation = vec!["run"];
    violation.extend(NO_WRITE_BACK_VIOLATION);
    for (args, code) in [
        (&["run", "--clients", "0", "--ticks", "10"][..], 0),
        (&violation[..], 1),
        (&["check", "/no/such/history.jsonl"], 2),
        (&["explore", "--inject", ","], 2),
        (&["run", "--ticks", "abc"], 2),
    ] {
        // (A closed standard error is ignored by the standard library already; a pipe whose
        // reader went away ends the command by SIGPIPE, as for any command-line tool.)
        let stderr = Stdio::from(full.try_clone().unwrap());
        let o = Command::new(env!("CARGO_BIN_EXE_dgame")).args(args).stderr(stderr).output().unwrap();
        assert_eq!(o.status.code(), Some(code), "{args:?}");
    }
}

/// The command that reproduces a violation of abd-no-write-back (what explore finds).
const NO_WRITE_BACK_VIOLATION: [&str; 10] = [
    "--algorithm",
    "abd-no-write-back",
    "--seed",
    "19",
    "--ticks",
    "147",
    "--deviate",
    "103:drop,104:drop,107:drop,108:drop,115:drop,116:drop,122:drop",
    "--nodes",
    "3",
];

#[test]
fn an_output_file_that_fails_after_the_run_loses_that_file_not_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/h.edn");
    // A path that cannot be created is refused before the run: nothing is run or printed.
    for flag in ["--history-out", "--trace-out", "--save"] {
        let o = dgame(&["run", "--ticks", "50", flag, missing.to_str().unwrap()]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{flag}: {out}{err}");
        assert!(out.is_empty() && err.contains("error: cannot write") && err.contains("h.edn"), "{flag}: {out}{err}");
    }
    // A file that opens but cannot be written: the report, the verdict, then the error.
    for flag in ["--history-out", "--trace-out", "--save"] {
        let o = dgame(&["run", "--ticks", "50", flag, "/dev/full"]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{flag}: {out}{err}");
        assert!(out.contains("verdict      LINEARIZABLE") && out.contains("reproduce    dgame run"), "{flag}: {out}");
        assert!(err.contains("error: cannot write /dev/full: No space left on device"), "{flag}: {err}");
    }
    // A violation stays exit code 1: its report says what happened and how to reproduce it.
    let mut args = vec!["run"];
    args.extend(NO_WRITE_BACK_VIOLATION);
    args.extend(["--history-out", "/dev/full"]);
    let o = dgame(&args);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("verdict      NOT LINEARIZABLE"), "{out}");
    assert!(err.contains("error: cannot write /dev/full"), "{err}");
}

#[test]
fn explore_prints_its_violation_even_when_the_save_fails() {
    let o = dgame(&["explore", "-a", "abd-no-write-back", "--runs", "300", "--save", "/dev/full"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("verdict      NOT LINEARIZABLE"), "{out}");
    assert!(out.contains("reproduce    dgame run --algorithm abd-no-write-back"), "{out}");
    assert!(err.contains("error: cannot write /dev/full: No space left on device"), "{err}");
    // A save that cannot even be created is refused before the search.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/run.json");
    let o = dgame(&["explore", "-a", "abd-no-write-back", "--runs", "300", "--save", missing.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(out.is_empty() && err.contains("error: cannot write") && err.contains("run.json"), "{out}{err}");
    // Nothing found: the file checked before the search is not left behind, and one that was
    // there is not emptied.
    let new = dir.path().join("new.json");
    let old = dir.path().join("old.json");
    std::fs::write(&old, "a run saved before").unwrap();
    for path in [&new, &old] {
        let o = dgame(&["explore", "-a", "abd", "--runs", "3", "--ticks", "50", "--save", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    }
    assert!(!new.exists(), "an empty save was left behind");
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "a run saved before");
}

#[test]
fn play_stops_with_a_clear_error_when_it_cannot_say_where_it_serves() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full exists");
    // A pipe whose reader is gone before play writes (`dgame play | head -c0`).
    let closed = {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        writer
    };
    let outputs: [(std::process::Stdio, &str); 2] =
        [(full.into(), "No space left on device"), (closed.into(), "Broken pipe")];
    for (stdout, why) in outputs {
        let o = Command::new(env!("CARGO_BIN_EXE_dgame"))
            .args(["play", "--port", "0", "--ticks", "50"])
            .stdout(stdout)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{why}: {err}");
        assert!(err.contains(&format!("error: cannot write the output: {why}")), "{why}: {err}");
        assert!(!err.contains("panicked"), "{why}: {err}");
    }
}

#[test]
fn ctrl_c_stops_a_sweep_with_the_summary_of_what_finished() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_dgame"))
        .args(["sweep", "--algorithm", "abd", "--seeds", "0..100000000", "--ticks", "300"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The sweep says it started (its Ctrl-C handler is in place by then).
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.starts_with("dgame sweep: abd, 100000000 seeds"), "{line}");
    // Ctrl-C, as a terminal sends it.
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success(), "kill -INT failed");
    let o = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(130), "{out}");
    let first = out.lines().next().unwrap_or_default();
    assert!(first.starts_with("abd: ") && first.contains(" seeds in "), "{out}");
    assert!(out.contains("INTERRUPTED    by Ctrl-C"), "{out}");
}

#[test]
fn negative_numbers_name_the_flag() {
    for flag in [
        "--nodes",
        "--clients",
        "--ticks",
        "--seed",
        "--max-pause",
        "--nemesis-interval",
        "--nemesis-duration",
        "--nemesis-targets",
        "--recovery",
    ] {
        assert_usage_error(&["run", flag, "-1"], &format!("error: {flag} must be a non-negative integer, got -1"));
    }
    assert_usage_error(&["run", "--loss", "-1"], "error: --loss: `-1` is not a probability");
    assert_usage_error(&["run", "--duplicate", "-1"], "error: --duplicate: `-1` is not a probability");
    assert_usage_error(&["run", "--gateway-timeout", "-1"], "error: --gateway-timeout: `-1` is not a timeout");
    assert_usage_error(&["run", "--client-timeout", "-1"], "error: --client-timeout: `-1` is not a timeout");
    assert_usage_error(&["run", "--delay", "-1"], "error: --delay: `-1` is not a delay");
    assert_usage_error(&["sweep", "--threads", "-1"], "error: --threads must be a non-negative integer, got -1");
    assert_usage_error(&["play", "--port", "-1"], "error: --port must be a non-negative integer, got -1");
    assert_usage_error(&["play", "--speed", "-1"], "error: --speed: `-1` is not a speed");
    assert_usage_error(&["explore", "--budget", "-1s"], "error: --budget: `-1s` is not a time budget");
    assert_usage_error(&["check", "h.edn", "--time-limit", "-1"], "error: --time-limit must be a positive number");
    assert_usage_error(&["explore", "--runs", "-3"], "error: --runs must be a non-negative integer, got -3");
    let o = dgame(&["run", "--ticks", "-1"]);
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1, "one line");
    let o = dgame(&["check", "h.edn", "--time-limit", "abc"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: --time-limit must be a positive number of seconds, like 10 or 0.5 (above 1e9: no limit), got `abc`\n"
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn ineffective_flags_are_refused_or_warned_about() {
    assert_usage_error(&["run", "--cut", "n1|n1@5"], "node 1 is on both sides");
    assert_usage_error(&["run", "--fault", "cut n2,n1|n1@5"], "node 1 is on both sides");
    assert_usage_error(&["run", "--link-delay", "n1|n1=5"], "node 1 is on both sides");
    assert_usage_error(
        &["run", "--nemesis", "crash", "--nemesis-targets", "0"],
        "--nemesis-targets (`nemesis.targets`) must be at least 1",
    );
    let warned = |args: &[&str], expected: &str| {
        let o = dgame(args);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {out}{err}");
        assert!(err.contains(&format!("warning: {expected}")), "{args:?}: {err}");
    };
    warned(
        &["run", "--fault", "crash n1@5000"],
        "the fault `crash n1@5000` is after the last tick (1000): it never happens",
    );
    warned(&["run", "--cut", "n1|n2@2000"], "a cut starts at tick 2000, after the last tick (1000)");
    let mut many = vec!["run"];
    for _ in 0..25 {
        many.extend(["--cut", "n1|n2@2000"]);
    }
    let o = dgame(&many);
    let (_, err) = text(&o);
    assert_eq!(err.lines().count(), 21, "{err}");
    assert!(err.ends_with("warning: and 5 more warnings like these\n"), "{err}");
    warned(&["run", "--keys", "5"], "--keys is for the kv workload, not register: it changes nothing here");
    warned(&["run", "--workload", "unique-ids", "--values", "random"], "--values is for the register and kv workloads");
    warned(&["run", "--workload", "unique-ids", "--client-kind", "write"], "--client-kind is for every workload but");
    warned(
        &["run", "--nemesis", "crash", "--recovery", "5000"],
        "the nemesis stops --recovery 5000 ticks before the end of a run of 1000 ticks: it never strikes",
    );
    warned(&["run", "--fault", "rejoin n1@50"], "the fault `rejoin n1@50` has nothing to heal");
    warned(&["run", "--fault", "heal n1|n2@50"], "the fault `heal n1|n2@50` has nothing to heal");
    warned(&["run", "--fault", "heal-all@50"], "the fault `heal-all@50` has nothing to heal");
    // What does heal something is not warned about.
    let o = dgame(&["run", "--fault", "isolate n1@10", "--fault", "rejoin n1@50"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("warning"), "{:?}", text(&o));
    // A shard with no seed: a warning (every index of a batch job runs), and an empty summary.
    let o = dgame(&["sweep", "--json", "--seeds", "0..3", "--shard", "5/8"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("warning: --shard 5/8 takes no seed of 0..3 (3 seeds)"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["seeds_run"], 0);
}

#[test]
fn a_config_file_with_a_byte_order_mark_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.toml");
    std::fs::write(&path, "\u{feff}nodes = 4\nticks = 100\n").unwrap();
    let o = dgame(&["run", "--json", "--config", path.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["config"]["nodes"], 4);
}

#[test]
fn a_run_where_no_operation_succeeds_says_so_and_a_sweep_counts_them() {
    // The gateway cut off from every node from tick 1: every operation ends unknown.
    let cut = ["--cut", "g|n1,n2,n3@1", "--ticks", "300"];
    let o = dgame(&[&["run"][..], &cut].concat());
    let (out, _) = text(&o);
    assert!(out.contains("verdict      LINEARIZABLE"), "{out}");
    assert!(out.contains("WARNING    no operation succeeded"), "{out}");
    let j = dgame(&[&["run", "--json"][..], &cut].concat());
    assert!(String::from_utf8_lossy(&j.stderr).contains("warning: no operation succeeded"));
    let s = dgame(&[&["sweep", "--seeds", "0..5"][..], &cut].concat());
    let (out, _) = text(&s);
    assert!(out.contains("no success     5 (seeds 0, 1, 2, 3, 4)"), "{out}");
    assert!(out.contains("in 5 of 5 runs no operation succeeded"), "{out}");
    // A healthy run has no such line.
    let (out, _) = text(&dgame(&["run", "--ticks", "300"]));
    assert!(!out.contains("WARNING"), "{out}");
}

#[test]
fn shard_summaries_merge_into_the_unsharded_summary() {
    let dir = tempfile::tempdir().unwrap();
    let common = ["--json", "--algorithm", "single-client-versioned-majority", "--clients", "2"];
    let common = [&common[..], &["--seeds", "0..30", "--keep-going"]].concat();
    let whole = dgame(&[&["sweep"][..], &common].concat());
    assert_eq!(whole.status.code(), Some(1), "violations in 30 seeds");
    let mut files = Vec::new();
    let children: Vec<_> = (1..=3)
        .map(|k| {
            let path = dir.path().join(format!("shard-{k}.json"));
            let shard = format!("{k}/3");
            let child = Command::new(env!("CARGO_BIN_EXE_dgame"))
                .args([&["sweep"][..], &common, &["--shard", &shard]].concat())
                .stdout(std::fs::File::create(&path).unwrap())
                .spawn()
                .unwrap();
            files.push(path);
            child
        })
        .collect();
    for mut c in children {
        assert_eq!(c.wait().unwrap().code(), Some(1));
    }
    let paths: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    let merged = dgame(&[&["merge", "--json"][..], &paths].concat());
    assert_eq!(merged.status.code(), Some(1), "{:?}", text(&merged));
    let strip = |o: &Output| {
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        for k in ["seconds", "seeds_per_second"] {
            v.as_object_mut().unwrap().remove(k);
        }
        v
    };
    let (w, m) = (strip(&whole), strip(&merged));
    assert_eq!(m, w);
    assert!(w["violations"]["count"].as_u64().unwrap() > 0);
    assert!(w["first_violation"]["config"]["seed"].is_u64());
    // Shards of another sweep, or one twice, are refused.
    assert_usage_error(&["merge", paths[0], paths[0]], "shard 1/3 is given twice");
    let other = dir.path().join("other.json");
    std::fs::write(&other, dgame(&["sweep", "--json", "--seeds", "0..3", "--ticks", "50", "--shard", "2/3"]).stdout)
        .unwrap();
    assert_usage_error(
        &["merge", paths[0], other.to_str().unwrap()],
        "not a shard of the first file's sweep: its algorithm is abd, the first file's single-client-versioned-majority",
    );
    // Of the same algorithm and seeds, but with another setting: the setting is named.
    let other_ticks = [&["sweep"][..], &common, &["--shard", "2/3", "--ticks", "999"]].concat();
    std::fs::write(&other, dgame(&other_ticks).stdout).unwrap();
    assert_usage_error(
        &["merge", paths[0], other.to_str().unwrap()],
        "its configuration's `ticks` is 999, the first file's 1000",
    );
    let o = dgame(&["merge", paths[0], paths[1]]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning: shards 3/3 are missing"));
}

/// A shard summary whose counts cannot be those of its shard is refused, naming the file and
/// the field, exit 2: merge never adds (and wraps) what a doctored file claims.
#[test]
fn merge_refuses_a_summary_whose_counts_do_not_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let shards: Vec<PathBuf> = (1..=3)
        .map(|k| {
            let path = dir.path().join(format!("sh{k}.json"));
            let shard = format!("{k}/3");
            let o = dgame(&["sweep", "--json", "--seeds", "0..30", "--ticks", "60", "--shard", &shard]);
            assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
            std::fs::write(&path, &o.stdout).unwrap();
            path
        })
        .collect();
    let paths: Vec<&str> = shards.iter().map(|p| p.to_str().unwrap()).collect();
    let o = dgame(&[&["merge"][..], &paths].concat());
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("30 seeds"), "{out}");
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(&shards[1]).unwrap()).unwrap();
    let max = serde_json::json!(u64::MAX);
    let cases: [(&str, &str, serde_json::Value, &str); 6] = [
        ("/linearizable", "linearizable", max.clone(), "is 18446744073709551615, not `seeds_run` 10"),
        ("/linearizable", "linearizable", serde_json::json!(5000), "is 5000, not `seeds_run` 10"),
        ("/seeds_run", "seeds_run", max.clone(), "but shard 2/3 of seeds 0..30 has 10 seeds"),
        ("/errors/count", "errors.count", max, "is more than 2^64"),
        ("/runs_without_faults", "runs_without_faults", serde_json::json!(11), "more than `seeds_run` 10"),
        ("/histograms/latency_p50/counts", "histograms.latency_p50", serde_json::json!({"3": 4}), "counts 4 seeds"),
    ];
    let bad = dir.path().join("bad.json");
    for (pointer, field, value, why) in cases {
        let mut doctored = summary.clone();
        *doctored.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer} in {summary}")) = value;
        std::fs::write(&bad, doctored.to_string()).unwrap();
        let args = ["merge", paths[0], bad.to_str().unwrap(), paths[2]];
        assert_usage_error(&args, &format!("error: {}: ", bad.display()));
        assert_usage_error(&args, &format!("`{field}`"));
        assert_usage_error(&args, why);
    }
    // A key no summary has (here a slip for `seeds_run`) is refused, not ignored.
    let mut doctored = summary.clone();
    doctored["seed_run"] = serde_json::json!(10);
    std::fs::write(&bad, doctored.to_string()).unwrap();
    assert_usage_error(&["merge", bad.to_str().unwrap()], "unknown field `seed_run`");
    // A seed listed that is not one of the shard's.
    let mut doctored = summary.clone();
    doctored["violations"] = serde_json::json!({"count": 1, "first": [3]});
    doctored["linearizable"] = serde_json::json!(9);
    std::fs::write(&bad, doctored.to_string()).unwrap();
    assert_usage_error(
        &["merge", bad.to_str().unwrap()],
        "`violations.first` lists seed 3, not a seed of shard 2/3 of seeds 0..30",
    );
}

/// A file named `name` in `dir` holding `text`.
fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const LOST_BROADCAST: &str = "[{:process 1, :type :invoke, :f :broadcast, :value 5, :time 10}
 {:process 1, :type :ok, :f :broadcast, :value 5, :time 12, :node \"n1\"}
 {:process 2, :type :invoke, :f :read, :value nil, :time 100, :final? true}
 {:process 2, :type :ok, :f :read, :value [5], :time 101, :final? true, :node \"n1\"}
 {:process 3, :type :invoke, :f :read, :value nil, :time 100, :final? true}
 {:process 3, :type :ok, :f :read, :value [], :time 102, :final? true, :node \"n2\"}]
";

#[test]
fn check_workload_judges_each_workload_s_history_in_either_format() {
    let dir = tempfile::tempdir().unwrap();
    let lost = file(&dir, "lost.edn", LOST_BROADCAST);
    let o = dgame(&["check", "--workload", "broadcast", lost.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert_eq!(
        out,
        format!(
            "{}: INVALID (broadcast, 1 violation)\n  value 5 was acknowledged at tick 12 but node n2's final read at tick 102 lacks it.\n    \
             - client 1 broadcast 5 via n1 at ticks 10-12, ok\n    \
             - client 3 final read of 0 values via n2 at ticks 100-102, ok\n  \
             1 value sent, 1 acknowledged, 1 lost, 2 final reads\n",
            lost.display()
        )
    );
    let o = dgame(&["check", "-w", "broadcast", "--json", lost.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["verdict"], "invalid");
    assert_eq!(v["workload"], "broadcast");
    assert_eq!(v["operations"][0], "client 1 broadcast 5 via n1 at ticks 10-12, ok");
    assert_eq!(v["indices"], serde_json::json!([0, 2]));

    // The same history as JSON lines, and a counter's and unique ids' in JSON lines.
    let valid = file(
        &dir,
        "valid.jsonl",
        "{\"client\":1,\"node\":1,\"invoke\":10,\"complete\":12,\"status\":\"ok\",\"type\":\"send\",\"value\":5}\n\
         {\"client\":2,\"node\":2,\"invoke\":100,\"complete\":101,\"status\":\"ok\",\"type\":\"read\",\"values\":[5],\"final\":true}\n",
    );
    let o = dgame(&["check", "--workload", "broadcast", valid.to_str().unwrap()]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.starts_with(&format!("{}: VALID (broadcast, 2 operations)\n  1 value sent", valid.display())), "{out}");
    let counter = file(
        &dir,
        "counter.jsonl",
        "{\"client\":1,\"node\":1,\"invoke\":10,\"complete\":12,\"status\":\"ok\",\"type\":\"add\",\"delta\":-2}\n\
         {\"client\":2,\"node\":2,\"invoke\":100,\"complete\":101,\"status\":\"ok\",\"type\":\"read\",\"value\":-1,\"final\":true}\n",
    );
    let o = dgame(&["check", "--workload", "pn-counter", counter.to_str().unwrap()]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("node n2's final read at tick 101 returned -1, but the acknowledged adds sum to -2"), "{out}");
    // A negative add to a grow-only counter: the history is wrong; nothing to judge.
    let o = dgame(&["check", "--workload", "counter", counter.to_str().unwrap()]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("UNKNOWN (client 1 added -2 at ticks 10-12 to a grow-only counter"), "{out}");
    let ids = file(
        &dir,
        "ids.edn",
        "{:process 1, :type :invoke, :f :generate, :value nil, :time 1}\n\
         {:process 1, :type :ok, :f :generate, :value \"n1-1\", :time 2, :node \"n1\"}\n",
    );
    let o = dgame(&["check", "--workload", "unique-ids", ids.to_str().unwrap()]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("VALID (unique-ids, 1 operation)\n  1 id handed out, 1 distinct"), "{out}");
}

#[test]
fn check_workload_refuses_another_workload_s_file_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let lost = file(&dir, "lost.edn", LOST_BROADCAST);
    let register = jepsen("good", "memstress3-0.edn");
    let lost_s = lost.to_str().unwrap();
    assert_usage_error(
        &["check", lost_s],
        "lost.edn: this is a broadcast history (line 1: an event with :f :broadcast), not a register one; check it with \
         `--workload broadcast`",
    );
    assert_usage_error(
        &["check", "--workload", "unique-ids", lost_s],
        "this is a broadcast history (line 1: an event with :f :broadcast), not a unique-ids one",
    );
    assert_usage_error(
        &["check", "--workload", "broadcast", register.to_str().unwrap()],
        "memstress3-0.edn: this is a register history (line 1: an event with :f :cas), not a broadcast one; check it \
         with `--workload register`",
    );
    assert_usage_error(
        &["check", "--workload", "kv", register.to_str().unwrap()],
        "this is a register history (operation 0, client 7 tried to compare-and-set 2 to 3 (failed) at events 0-1, has \
         no key), not a kv one",
    );
    // A counter's JSON lines would parse as broadcast reads: the reader looks closer.
    let reads = file(
        &dir,
        "reads.jsonl",
        "{\"client\":2,\"node\":2,\"invoke\":100,\"complete\":101,\"status\":\"ok\",\"type\":\"read\",\"value\":3,\"final\":true}\n",
    );
    assert_usage_error(
        &["check", "-w", "broadcast", reads.to_str().unwrap()],
        "reads.jsonl: this is a counter history (line 1: a read with a \"value\"), not a broadcast one",
    );
    // Flags of the linearizability checker are not for the other workloads.
    assert_usage_error(
        &["check", "-w", "broadcast", "--time-limit", "3", lost_s],
        "--time-limit is for register and kv histories; the broadcast checker has no such setting",
    );
    assert_usage_error(&["check", "-w", "queue", lost_s], "unknown workload `queue`");
    // A bad event is named by its line, as in register files.
    let bad = file(
        &dir,
        "bad.edn",
        "{:process 1, :type :invoke, :f :broadcast, :value 5}\n{:process 1, :type :ok, :f :read}\n",
    );
    assert_usage_error(
        &["check", "-w", "broadcast", bad.to_str().unwrap()],
        "bad.edn: line 2: process 1 completes :read but invoked :broadcast (line 1)",
    );
}

#[test]
fn a_kv_history_exports_its_keys_and_checks_the_same_in_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["kv.edn", "kv.jsonl"] {
        let path = dir.path().join(name);
        let p = path.to_str().unwrap();
        let o = dgame(&[
            "run",
            "--algorithm",
            "raft",
            "--workload",
            "kv",
            "--keys",
            "3",
            "--ticks",
            "300",
            "--history-out",
            p,
        ]);
        assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
        let written = std::fs::read_to_string(&path).unwrap();
        let keyed = if name.ends_with("edn") { ":value [" } else { "\"key\":" };
        assert!(written.contains(keyed), "{name} lacks keys:\n{written}");
        for workload in ["kv", "register"] {
            let c = dgame(&["check", "--workload", workload, p]);
            let (out, err) = text(&c);
            assert_eq!(c.status.code(), Some(0), "{name} as {workload}: {out}{err}");
            assert!(out.contains("LINEARIZABLE"), "{out}");
        }
    }
}

#[test]
fn every_workload_runs_its_first_sample_and_gets_its_verdict() {
    for (workload, algorithm, verdict) in [
        ("kv", "raft", "verdict      LINEARIZABLE"),
        ("broadcast", "broadcast-gossip", "verdict      VALID (broadcast"),
        ("counter", "g-counter", "verdict      VALID (counter"),
        ("pn-counter", "pn-counter", "verdict      VALID (pn-counter"),
        ("unique-ids", "unique-ids", "verdict      VALID (unique-ids"),
    ] {
        let o = dgame(&["run", "--workload", workload, "--ticks", "400", "--loss", "0.05", "--duplicate", "0.05"]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{workload}: {out}{err}");
        assert!(out.starts_with(&format!("{algorithm} ({workload} workload) with")), "{workload}: {out}");
        assert!(out.contains(verdict), "{workload}: {out}");
        assert!(out.contains(&format!("--workload {workload}")), "the reproduce line keeps the workload: {out}");
    }
    let o = dgame(&["run", "--workload", "broadcast", "--ticks", "400", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"]["verdict"], "valid", "{v}");
    assert_eq!(v["verdict"]["workload"], "broadcast", "{v}");
    assert!(v["messages_per_value"].as_f64().unwrap() > 0.0, "{v}");
    assert_eq!(v["config"]["workload"], "broadcast");
}

#[test]
fn a_workload_an_algorithm_does_not_serve_and_a_quiet_period_too_long_are_errors_naming_both() {
    assert_usage_error(
        &["run", "--workload", "kv", "--algorithm", "abd"],
        "algorithm `abd` does not serve the `kv` workload (it serves register: give `--workload register`); those that do: \
         raft, raft-local-reads",
    );
    assert_usage_error(
        &["run", "--workload", "broadcast", "--ticks", "80"],
        "--ticks: the quiet period (100 ticks) is not shorter than the run (80 ticks)",
    );
    assert_usage_error(
        &["run", "--quiet", "1000"],
        "--quiet: the quiet period (1000 ticks) is not shorter than the run (1000 ticks)",
    );
    assert_usage_error(&["run", "--workload", "queue"], "unknown workload `queue`");
    assert_usage_error(
        &["sweep", "--workload", "counter", "-a", "raft", "--seeds", "0..2"],
        "does not serve the `counter` workload",
    );
    let (out, _) = text(&dgame(&["list"]));
    assert!(out.lines().any(|l| l.starts_with("raft ") && l.contains("register, kv")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("broadcast-gossip ") && l.contains("broadcast")), "{out}");
}

#[test]
fn every_workload_s_history_out_checks_as_the_run_did_in_either_format() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for (algorithm, workload, extra) in [
        ("broadcast-gossip", "broadcast", &["--loss", "0.1"][..]),
        ("g-counter", "counter", &[][..]),
        ("g-counter-sum-merge", "counter", &[][..]),
        ("pn-counter", "pn-counter", &["--loss", "0.1"][..]),
        ("unique-ids", "unique-ids", &[][..]),
        ("unique-ids-volatile", "unique-ids", &["--nemesis", "crash"][..]),
        ("raft", "kv", &[][..]),
    ] {
        for name in ["h.edn", "h.jsonl"] {
            let path = dir.path().join(name);
            let p = path.to_str().unwrap();
            let mut args = vec!["run", "--json", "-a", algorithm, "-w", workload, "--ticks", "400", "--history-out", p];
            args.extend_from_slice(extra);
            let run = dgame(&args);
            assert!(matches!(run.status.code(), Some(0 | 1)), "{args:?}: {:?}", text(&run));
            let run: serde_json::Value = serde_json::from_slice(&run.stdout).expect("valid JSON");
            let check = dgame(&["check", "--json", "--workload", workload, p]);
            let checked: serde_json::Value = serde_json::from_slice(&check.stdout).expect("valid JSON");
            let verdict = &run["verdict"];
            if workload == "kv" {
                assert_eq!(checked["verdict"], verdict["verdict"], "{algorithm} {name}");
            } else {
                assert_eq!(&checked, verdict, "{algorithm} {name}: the file's verdict differs from the run's");
            }
            seen.insert(verdict["verdict"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(seen, ["invalid", "linearizable", "valid"].map(String::from).into(), "runs of every verdict");
}

#[test]
fn a_quiet_period_too_short_for_the_final_reads_gets_a_warning() {
    let o = dgame(&["run", "--workload", "counter", "--quiet", "10", "--ticks", "200"]);
    let (_, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("the final reads start 5 ticks before the end") && err.contains("at least 32"), "{err}");
    let o = dgame(&["run", "--workload", "counter", "--ticks", "200"]);
    assert!(!text(&o).1.contains("warning"), "the default quiet period is long enough");
}

#[test]
fn a_run_whose_final_reads_missed_nodes_says_which_went_unread() {
    let o = dgame(&["run", "--workload", "broadcast", "--nodes", "5", "--loss", "0.3", "--seed", "3"]);
    let (out, _) = text(&o);
    assert!(out.contains("WARNING    no final read reached 5 of 5 nodes (n1, n2, n3, n4, n5)"), "{out}");
    let o = dgame(&["run", "--workload", "broadcast", "--nodes", "5", "--loss", "0.3", "--seed", "3", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["unread_nodes"], serde_json::json!([1, 2, 3, 4, 5]), "{v}");
    let o = dgame(&["run", "--workload", "broadcast", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v.get("unread_nodes").is_none(), "every node read: {v}");
}

/// A long register history with a quiescent point after every operation, in invocation
/// order as the simulator writes them: write 3, write 5, `reads` reads of 5, then a stale
/// read of 3 — as JSON lines.
fn long_stale_history(reads: u64) -> String {
    let mut s = String::from("{\"time_unit\":\"ticks\"}\n");
    s.push_str("{\"client\":1,\"f\":\"write\",\"value\":3,\"invoke\":0,\"complete\":10,\"outcome\":\"ok\"}\n");
    s.push_str("{\"client\":1,\"f\":\"write\",\"value\":5,\"invoke\":20,\"complete\":31,\"outcome\":\"ok\"}\n");
    for i in 0..reads {
        let t = 40 + 10 * i;
        s.push_str(&format!(
            "{{\"client\":2,\"f\":\"read\",\"value\":5,\"invoke\":{t},\"complete\":{},\"outcome\":\"ok\"}}\n",
            t + 2
        ));
    }
    let t = 40 + 10 * reads;
    s.push_str(&format!(
        "{{\"client\":2,\"f\":\"read\",\"value\":3,\"invoke\":{t},\"complete\":{},\"outcome\":\"ok\"}}\n",
        t + 4
    ));
    s
}

#[test]
fn check_streams_a_long_history_and_explains_a_stale_read_across_cuts() {
    let dir = tempfile::tempdir().unwrap();
    // Within the explanation's window (131,072 operations): the explanation of a whole check.
    let short = dir.path().join("short.jsonl");
    std::fs::write(&short, long_stale_history(20_000)).unwrap();
    let o = dgame(&["check", short.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(
        out.contains("client 2 read 3 at ticks 200040-200044, but the write of 5 by client 1 finished at tick 31 and no write of 3 can come after it."),
        "{out}"
    );
    // Past it: found and explained from the window, two operations, the stale read among them.
    let long = dir.path().join("long.jsonl");
    std::fs::write(&long, long_stale_history(150_000)).unwrap();
    let o = dgame(&["check", "--json", long.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("client 2 read 3 at ticks 1500040-1500044"), "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["operations"].as_array().map(Vec::len), Some(2), "{out}");
    assert!(report["indices"].as_array().is_some_and(|i| i.contains(&serde_json::json!(150_002))), "{out}");
}

#[test]
fn an_empty_history_is_linearizable_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let o = dgame(&["check", empty.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("LINEARIZABLE (0 operations)"), "{out}");
    assert!(err.contains("holds no operation: nothing was checked"), "{err}");
}

/// `long_stale_history(reads)` with extra lines after the header.
fn with_lines_first(history: String, lines: &str) -> String {
    let (header, rest) = history.split_once('\n').unwrap();
    format!("{header}\n{lines}{rest}")
}

/// A timed-out write of 7 read before the write of 5, and 7 read again 5,000 cuts later:
/// the segments would use it twice (undecided), so the file is read whole and checked.
fn undecided_history() -> String {
    let mut history = String::from("{\"time_unit\":\"ticks\"}\n");
    history.push_str("{\"client\":1,\"f\":\"write\",\"value\":3,\"invoke\":0,\"complete\":10,\"outcome\":\"ok\"}\n");
    history.push_str("{\"client\":9,\"f\":\"write\",\"value\":7,\"invoke\":1,\"outcome\":\"unknown\"}\n");
    history.push_str("{\"client\":3,\"f\":\"read\",\"value\":7,\"invoke\":12,\"complete\":14,\"outcome\":\"ok\"}\n");
    history.push_str("{\"client\":1,\"f\":\"write\",\"value\":5,\"invoke\":20,\"complete\":31,\"outcome\":\"ok\"}\n");
    for i in 0..5_000 {
        let t = 40 + 10 * i;
        history.push_str(&format!(
            "{{\"client\":2,\"f\":\"read\",\"value\":5,\"invoke\":{t},\"complete\":{},\"outcome\":\"ok\"}}\n",
            t + 2
        ));
    }
    history
        .push_str("{\"client\":2,\"f\":\"read\",\"value\":7,\"invoke\":60000,\"complete\":60002,\"outcome\":\"ok\"}\n");
    history
}

#[test]
fn check_carries_a_timed_out_write_across_cuts_and_reads_the_file_whole_when_undecided() {
    let dir = tempfile::tempdir().unwrap();
    // A timed-out write of a value nobody reads, never completed: the cuts after it still
    // count, and the stale read is explained from the window, two operations.
    let timed_out = "{\"client\":9,\"f\":\"write\",\"value\":9,\"invoke\":1,\"outcome\":\"unknown\"}\n";
    let long = dir.path().join("long.jsonl");
    std::fs::write(&long, with_lines_first(long_stale_history(150_000), timed_out)).unwrap();
    let o = dgame(&["check", "--json", long.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["operations"].as_array().map(Vec::len), Some(2), "{out}");
    assert!(report["indices"].as_array().is_some_and(|i| i.contains(&serde_json::json!(150_003))), "{out}");
    // A timed-out write of 7 read before the write of 5, and 7 read again 5,000 cuts later:
    // the segments would use it twice (undecided), so the file is read whole and checked.
    let history = undecided_history();
    let short = dir.path().join("twice.jsonl");
    std::fs::write(&short, history).unwrap();
    let o = dgame(&["check", short.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("NOT LINEARIZABLE") && out.contains("client 2 read 7 at ticks 60000-60002"), "{out}");
}

/// `dgame ARGS` with `input` on its standard input, through a pipe.
fn dgame_piped(args: &[&str], input: Vec<u8>) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dgame"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("dgame runs");
    let mut stdin = child.stdin.take().unwrap();
    // From a thread of its own: a large input fills the pipe before dgame answers.
    let writer = std::thread::spawn(move || {
        // dgame may stop reading early (an error); what it says is what is tested.
        let _ = stdin.write_all(&input);
    });
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap();
    o
}

#[test]
fn check_reads_a_pipe_as_it_reads_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // The violation explore finds in abd-no-write-back: found while streaming, explained from
    // a second reading.
    let bad = dir.path().join("bad.jsonl");
    let mut args = vec!["run"];
    args.extend(NO_WRITE_BACK_VIOLATION);
    args.extend(["--history-out", bad.to_str().unwrap()]);
    assert_eq!(dgame(&args).status.code(), Some(1));
    // Not in invocation order: streaming gives up and the history is read whole.
    let disordered = file(
        &dir,
        "disordered.jsonl",
        "{\"time_unit\":\"ticks\"}\n\
         {\"client\":1,\"f\":\"write\",\"value\":3,\"invoke\":0,\"complete\":10,\"outcome\":\"ok\"}\n\
         {\"client\":2,\"f\":\"read\",\"value\":3,\"invoke\":40,\"complete\":44,\"outcome\":\"ok\"}\n\
         {\"client\":1,\"f\":\"write\",\"value\":5,\"invoke\":20,\"complete\":31,\"outcome\":\"ok\"}\n",
    );
    let stale = file(&dir, "stale.jsonl", &long_stale_history(20_000));
    let undecided = file(&dir, "twice.jsonl", &undecided_history());
    let good = dir.path().join("good.edn");
    assert_eq!(dgame(&["run", "--ticks", "300", "--history-out", good.to_str().unwrap()]).status.code(), Some(0));
    let cases = [
        (bad, 1),
        (disordered, 1),
        (stale, 1),
        (undecided, 1),
        (jepsen("bad", "cas-failure.edn"), 1),
        (jepsen("good", "memstress3-0.edn"), 0),
        (good, 0),
    ];
    for (path, code) in cases {
        let name = path.to_str().unwrap();
        let from_file = dgame(&["check", name]);
        let (want, err) = text(&from_file);
        assert_eq!(from_file.status.code(), Some(code), "{name}: {want}{err}");
        // The EDN file is told by its first line: a pipe has no `.edn` to tell it.
        for stdin in ["/dev/stdin", "-"] {
            let o = dgame_piped(&["check", stdin], std::fs::read(&path).unwrap());
            let (out, err) = text(&o);
            assert_eq!(o.status.code(), Some(code), "{name} as {stdin}: {out}{err}");
            let shown = if stdin == "-" { "standard input" } else { stdin };
            assert_eq!(out.replace(shown, name), want, "{name} as {stdin}");
        }
    }
    // Another workload's checker reads a pipe too, and names it.
    let o =
        dgame_piped(&["check", "--workload", "broadcast", "-"], std::fs::read(dir.path().join("bad.jsonl")).unwrap());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(err.starts_with("error: standard input: this is a register history"), "{err}");
}

#[test]
fn a_choice_script_naming_signals_the_run_never_sent_gets_a_warning_after_the_run() {
    let o = dgame(&["run", "--ticks", "20", "--deviate", "12:drop,99999:delay=20+dup,100000:drop"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    let sent: u64 = {
        let j = dgame(&["run", "--ticks", "20", "--deviate", "12:drop", "--json"]);
        let report: serde_json::Value = serde_json::from_slice(&j.stdout).expect("a JSON report");
        report["messages"].as_u64().expect("a count of signals")
    };
    assert_eq!(
        err,
        format!(
            "warning: the choice script (--deviate/--script) names signals 99999, 100000 that the run never sent: \
             their deviations did nothing; the run sent {sent} signals (ids 1 to {sent}); --trace-out FILE lists \
             every signal with its id\n"
        )
    );
    // The deviation of a signal the run sent is applied, and nothing is said.
    assert!(out.contains("dropped      1 lost"), "{out}");
    let (_, err) = text(&dgame(&["run", "--ticks", "20", "--deviate", "12:drop", "--trace-out", "/dev/null"]));
    assert_eq!(err, "", "every signal named was sent");
    // A script file is watched the same way, with a trace being written too.
    let dir = std::env::temp_dir().join(format!("dgame-unsent-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("script.txt");
    std::fs::write(&script, "# one signal too far\n5000:drop\n").unwrap();
    let trace = dir.join("trace.jsonl");
    let o =
        dgame(&["run", "--ticks", "20", "--script", script.to_str().unwrap(), "--trace-out", trace.to_str().unwrap()]);
    let (_, err) = text(&o);
    assert!(err.contains("names signal 5000 that the run never sent: its deviation did nothing"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_run_that_may_need_more_memory_than_the_limit_is_refused_before_it_starts() {
    // A huge --ticks: the history the check keeps whole.
    let o = dgame(&["run", "--ticks", "100000000"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert_eq!(
        err,
        "error: this run may need up to 13 GiB, above --memory-limit 4.0 GiB: the history the check needs, up to \
         22222225 operations (2 clients, at most one per 9 ticks each over 100000000 ticks): 13 GiB; give fewer \
         --ticks or --clients, or raise the limit with --memory-limit 16G (or `none`)\n"
    );
    // Nodes × clients: the signals in flight.
    assert_usage_error(
        &["run", "--nodes", "10000", "--clients", "10000"],
        "signals in flight, up to 400000000 for 10000 nodes × 10000 clients when every operation asks every node",
    );
    // Broadcast reads hold every value sent before them: quadratic in the ticks.
    assert_usage_error(
        &["run", "--workload", "broadcast", "--ticks", "1000000"],
        "each broadcast read holds every value sent before it",
    );
    // A sweep counts its threads; explore and play are checked too.
    assert_usage_error(
        &["sweep", "--ticks", "20000000", "--threads", "2", "--seeds", "0..2"],
        "this run may need up to 5.3 GiB (2 runs at once, 2.7 GiB each)",
    );
    assert_usage_error(&["explore", "--ticks", "100000000", "--runs", "1"], "above --memory-limit 4.0 GiB");
    assert_usage_error(&["play", "--ticks", "100000000", "--port", "0"], "above --memory-limit 4.0 GiB");
    // The fix suggested is always one the flag takes: `none` past the largest size, a size in
    // P for petabytes; and one client is one client.
    let o = dgame(&["run", "-t", "18446744073709551615"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("lift the limit with --memory-limit none"), "{err}");
    let o = dgame(&["run", "-t", "10000000000000"]);
    let (_, err) = text(&o);
    assert!(err.contains("raise the limit with --memory-limit 2P (or `none`)"), "{err}");
    let o = dgame(&["run", "-t", "10", "--memory-limit", "2P"]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert_usage_error(
        &["run", "--clients", "1", "--ticks", "100000000"],
        "up to 11111114 operations (1 client, at most one per 9 ticks",
    );
    // The limit is the user's to set: lower, or none.
    assert_usage_error(&["run", "--ticks", "1000", "--memory-limit", "1M"], "raise the limit with --memory-limit 32M");
    assert_usage_error(&["run", "--memory-limit", "lots"], "--memory-limit: must be a size like 512M, 4G or 16GiB");
    let o = dgame(&["run", "--ticks", "300", "--memory-limit", "none"]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
}

#[test]
fn a_run_whose_own_traffic_goes_over_the_memory_limit_is_stopped_with_an_error() {
    // Flooding among 1,000 nodes keeps about a million signals in flight per value: far more
    // than the estimate (history, and signals between clients and nodes) knows of.
    let args = ["run", "-w", "broadcast", "-a", "broadcast-flood", "-n", "1000", "-c", "2", "-t", "300"];
    let o = dgame(&[&args[..], &["--memory-limit", "64M"]].concat());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(
        err.starts_with(
            "error: the run went over --memory-limit 64 MiB and was stopped (the estimate made before it started was"
        ),
        "{err}"
    );
    assert!(err.contains("or raise the limit with --memory-limit 256M (or `none`)"), "{err}");
    assert!(!err.contains("panicked") && !err.contains("memory allocation"), "{err}");
    // A sweep is held to it too.
    let o = dgame(
        &["sweep", "-w", "broadcast", "-a", "broadcast-flood", "-n", "1000", "-c", "2", "-t", "300"]
            .iter()
            .chain(&["--seeds", "0..4", "--threads", "1", "--memory-limit", "64M"])
            .copied()
            .collect::<Vec<_>>(),
    );
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("the run went over --memory-limit 64 MiB"), "{:?}", text(&o));
}

/// Waits until process `pid` catches SIGINT (its handler is in place), from /proc.
fn wait_until_it_catches_sigint(pid: u32) {
    loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let caught = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
            .unwrap_or(0);
        // SIGINT is signal 2: bit 1 of the mask.
        if caught & (1 << 1) != 0 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_stops_an_exploration_with_what_it_searched() {
    let child = Command::new(env!("CARGO_BIN_EXE_dgame"))
        .args(["explore", "--algorithm", "abd", "--budget", "600s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_it_catches_sigint(child.id());
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success(), "kill -INT failed");
    let o = child.wait_with_output().unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(130), "{out}{err}");
    assert!(out.starts_with("abd: no violation found in "), "{out}");
    assert!(out.contains("stopped by Ctrl-C"), "{out}");
    assert!(err.contains("Ctrl-C: finishing the runs going now"), "{err}");
}

#[test]
fn a_run_too_long_to_wait_for_and_one_without_clients_are_warned_of() {
    use std::io::{BufRead, BufReader};
    // u64::MAX ticks with no clients: within the memory limit, but it would never end.
    let mut child = Command::new(env!("CARGO_BIN_EXE_dgame"))
        .args(["run", "--clients", "0", "--ticks", "18446744073709551615"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let (mut first, mut second) = (String::new(), String::new());
    stderr.read_line(&mut first).unwrap();
    stderr.read_line(&mut second).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        first,
        "warning: a run of 18446744073709551615 ticks takes at least 29227 years (one core runs at most about 20 M \
         ticks a second, and prints nothing until the end): give fewer --ticks, or Ctrl-C to stop it\n"
    );
    assert_eq!(
        second,
        "warning: no clients (--clients 0): the run invokes no operation, so its verdict says nothing\n"
    );
    // A run of ordinary length is not warned of.
    let o = dgame(&["run", "--ticks", "20000"]);
    assert!(!text(&o).1.contains("takes at least"), "{:?}", text(&o));
    // A doctored save is held to the same: its warning, and the memory limit.
    let dir = std::env::temp_dir().join(format!("dgame-long-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let save = dir.join("run.json");
    let o = dgame(&["run", "--ticks", "50", "--save", save.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let saved = std::fs::read_to_string(&save).unwrap();
    let doctored = saved.replacen("\"ticks\":50,", "\"ticks\":100000000000,", 1);
    assert!(doctored != saved, "the save names its ticks as `\"ticks\":50,`");
    std::fs::write(&save, doctored).unwrap();
    let o = dgame(&["replay", save.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.starts_with("DIFFERENT: the saved run has"), "{out}");
    assert!(err.contains("run.json: a run of 100000000000 ticks takes at least 83 minutes"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_quiet_period_that_leaves_no_time_and_partitions_of_too_few_nodes_are_warned_of() {
    let o = dgame(&["run", "-w", "broadcast", "-a", "broadcast-gossip", "--quiet", "999"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert_eq!(
        err,
        "warning: the quiet period of 999 ticks leaves operations only ticks 1-1 of 1000, less than a round trip (16 \
         ticks): next to nothing is asked, so the verdict says little; give a shorter --quiet or more --ticks\n"
    );
    let o = dgame(&["run", "--nemesis", "partition", "--nodes", "1"]);
    assert!(
        text(&o).1.contains("1 node has none: it does nothing; give --nodes 3 or more, or --nemesis isolate"),
        "{:?}",
        text(&o)
    );
    let o = dgame(&["run", "--nemesis", "partition,crash", "--nodes", "2"]);
    assert!(text(&o).1.contains("2 nodes have none: its partitions do nothing"), "{:?}", text(&o));
    // Three nodes can be partitioned, and the default quiet period leaves time: no warning.
    let o = dgame(&["run", "--nemesis", "partition", "-w", "broadcast"]);
    assert_eq!(text(&o).1, "", "{:?}", text(&o));
}

#[test]
fn a_number_too_large_for_its_flag_gets_the_flag_s_own_bound() {
    let huge = "18446744073709551616";
    for (flag, args, said) in [
        ("--nodes", vec!["run", "-n", huge], "error: --nodes: at most 10000 nodes, got 18446744073709551616"),
        ("--clients", vec!["run", "-c", huge], "error: --clients: at most 10000 clients, got 18446744073709551616"),
        (
            "--threads",
            vec!["sweep", "--threads", huge],
            "error: --threads must be at most 1024, got 18446744073709551616",
        ),
        ("--keys", vec!["run", "--keys", huge], "error: --keys: between 1 and 1000000 keys, got 18446744073709551616"),
        (
            "--runs",
            vec!["explore", "--runs", huge],
            "error: --runs must be at most 18446744073709551615, got 18446744073709551616",
        ),
    ] {
        assert_usage_error(&args, said);
        let o = dgame(&args);
        assert!(!String::from_utf8_lossy(&o.stderr).contains("4294967295"), "{flag}: the type's bound, not the flag's");
    }
    assert_usage_error(&["run", "-n", "20000"], "error: --nodes: at most 10000 nodes, got 20000");
    assert_usage_error(
        &["explore", "--budget", "18446744073709551615s"],
        "is longer than the longest time budget, about 584 billion years",
    );
}

#[test]
fn a_strategy_listed_twice_is_refused() {
    assert_usage_error(
        &["explore", "--strategy", "exhaustive,pct,exhaustive", "--runs", "2"],
        "error: --strategy lists exhaustive twice: list each strategy once",
    );
}

#[test]
fn a_sweep_runs_no_more_threads_than_it_has_seeds() {
    // 1000 threads' worth of memory would be refused; 4 seeds need 4.
    let o = dgame(&["sweep", "--seeds", "0..4", "--threads", "1000", "--ticks", "100"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(err.contains("4 seeds of 0..4 on 4 threads"), "{err}");
    // When one run fits but not as many at once, the error says how many would.
    assert_usage_error(
        &["sweep", "--seeds", "0..100", "--threads", "8", "-c", "200", "-t", "100000"],
        "run at most 2 at once (--threads 2)",
    );
}

#[test]
fn a_clock_rate_flag_replaces_the_file_s_rate_for_that_node_and_two_rates_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rates.toml");
    std::fs::write(&file, "[[clock_rates]]\nnode = 1\nrate = 2.0\n").unwrap();
    let path = file.to_str().unwrap();
    let o = dgame(&["run", "--config", path, "--clock-rate", "n1=3", "--ticks", "10"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("--clock-rate n1=3") && !out.contains("n1=2"), "{out}");
    assert_usage_error(
        &["run", "--clock-rate", "n1=2", "--clock-rate", "n1=3", "--ticks", "10"],
        "error: --clock-rate: node 1 is given twice (rates 2 and 3): give each node one rate",
    );
    std::fs::write(&file, "[[clock_rates]]\nnode = 1\nrate = 2.0\n[[clock_rates]]\nnode = 1\nrate = 3.0\n").unwrap();
    assert_usage_error(&["run", "--config", path, "--ticks", "10"], "node 1 is given twice (rates 2 and 3)");
}

#[test]
fn a_link_delay_flag_replaces_the_file_s_delay_on_its_links_and_two_delays_for_a_link_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("links.toml");
    std::fs::write(&file, "[[links]]\nfrom = [\"n1\"]\nto = [\"n2\", \"n3\"]\ndelay = 5\n").unwrap();
    let path = file.to_str().unwrap();
    // The flag's link n1-n2 takes 7; the file's other links (n1-n3, both ways) keep 5.
    let o = dgame(&["run", "--config", path, "--link-delay", "n1|n2=7", "--ticks", "10"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("--link-delay 'n1>n3=5' --link-delay 'n3>n1=5' --link-delay 'n1|n2=7'"), "{out}");
    assert_usage_error(
        &["run", "--link-delay", "n1|n2,n3=5", "--link-delay", "n2>n1=7", "--ticks", "10"],
        "error: --link-delay: the link node 2 -> node 1 is given two delays (5 and 7): give each link one delay",
    );
    // The same delay twice is one delay.
    let o = dgame(&["run", "--link-delay", "n1|n2=5", "--link-delay", "n2>n1=5", "--ticks", "10"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    std::fs::write(&file, "[[links]]\nfrom = [\"n1\"]\nto = [\"n2\"]\ndelay = 5\n[[links]]\nfrom = [\"n2\"]\nto = [\"n1\"]\none_way = true\ndelay = 6\n").unwrap();
    assert_usage_error(
        &["run", "--config", path, "--ticks", "10"],
        "the link node 2 -> node 1 is given two delays (5 and 6)",
    );
}

#[test]
fn a_configuration_or_a_script_can_come_from_standard_input_and_minus_zero_is_zero() {
    let o = dgame_piped(&["run", "--config", "-", "--ticks", "10"], b"nodes = 4\n".to_vec());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.starts_with("abd with 4 nodes"), "{out}");
    let o = dgame_piped(&["run", "--config", "-"], b"nodez = 4\n".to_vec());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("unknown field `nodez`"), "{err}");
    let o = dgame_piped(&["run", "--script", "-", "--ticks", "10"], b"1:bogus\n".to_vec());
    assert!(text(&o).1.contains("`1:bogus` (line 1 of the choice script)"), "{}", text(&o).1);
    // Standard input is read once: a second `-` is refused, not read as empty.
    let o = dgame_piped(&["run", "--config", "-", "--script", "-"], b"ticks = 50\n".to_vec());
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("the choice script: standard input (-) was already read"), "{}", text(&o).1);
    let o = dgame(&["run", "--loss", "-0", "--ticks", "10"]);
    assert!(
        text(&o).0.starts_with("abd with 3 nodes and 2 clients, 10 ticks, seed 0, delay 1..3, loss 0\n"),
        "{:?}",
        text(&o)
    );
}
