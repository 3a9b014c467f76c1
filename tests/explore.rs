//! `dgame explore`: each strategy finds the planted bugs within a fixed number of runs, a
//! found run replays from its choice script, shrinking keeps the violation, a correct
//! algorithm keeps its invariants, and bad input gets exit code 2.
//!
//! Budgets are counts of runs, never time: the search is deterministic for a run budget.

use std::process::{Command, Output};

use distributed_game::cli::{Algorithm, builtin};
use distributed_game::engine::Config;
use distributed_game::explore::{ExploreOptions, StrategyKind, Violation, explore};
use distributed_game::prelude::*;

fn dgame(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dgame")).args(args).output().expect("dgame runs")
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn algorithm(name: &str) -> Algorithm {
    builtin().into_iter().find(|a| a.name == name).unwrap_or_else(|| panic!("{name} is built in"))
}

fn options(strategy: StrategyKind, runs: u64) -> ExploreOptions {
    ExploreOptions { strategies: vec![strategy], runs: Some(runs), shrink: false, ..ExploreOptions::default() }
}

/// (algorithm, strategy, configuration, run budget): every cell where the strategy finds the
/// bug from seed 0; the budgets are about twice what it takes.
fn cells() -> Vec<(&'static str, StrategyKind, Config, u64)> {
    use StrategyKind::*;
    let d = Config::default;
    let small = |clients, ticks| Config { clients, ticks, ..Config::default() };
    vec![
        ("abd-no-write-back", Targeted, d(), 100),
        ("abd-no-write-back", Pct, d(), 2_000),
        ("abd-no-write-back", Exhaustive, small(2, 60), 40_000),
        ("raft-local-reads", Swarm, d(), 40),
        ("raft-local-reads", Targeted, d(), 20),
        ("raft-local-reads", Pct, d(), 500),
        ("raft-local-reads", Exhaustive, d(), 700),
        ("abd-fire-and-forget-repair", Targeted, d(), 400),
        ("abd-fire-and-forget-repair", Exhaustive, small(3, 60), 20_000),
    ]
}

#[test]
fn each_strategy_finds_the_planted_bugs_within_a_fixed_run_budget() {
    for (name, strategy, config, runs) in cells() {
        let a = algorithm(name);
        let e = explore(&a, &config, &options(strategy, runs)).unwrap();
        let found = e.found.unwrap_or_else(|| panic!("{name}: {strategy} found nothing in {runs} runs"));
        assert_eq!(found.strategy, strategy);
        assert!(found.after_runs <= runs);
        assert_eq!(e.searched.stopped_by, "violation");
        // The report's configuration replays it without any adversary (explore checks this
        // too, and fails if not): here, through the public API once more.
        let out = a.run(&found.report.config).unwrap();
        let verdict = out.error.is_none().then(|| out.history.check());
        let again = distributed_game::explore::classify(&out, verdict.as_ref()).expect("the script replays it");
        assert!(again.same_kind(&found.violation), "{name}/{strategy}: {again:?} vs {:?}", found.violation);
    }
}

#[test]
fn a_found_run_replays_the_identical_event_stream_from_its_script() {
    let a = algorithm("raft-local-reads");
    let e = explore(&a, &Config::default(), &options(StrategyKind::Targeted, 20)).unwrap();
    let config = e.found.unwrap().report.config;
    assert!(!config.deviations.is_empty(), "the targeted adversary's choices are in the script");
    let trace = |config: &Config| {
        let log = std::rc::Rc::new(std::cell::RefCell::new(distributed_game::engine::EventLog::default()));
        let observer = Box::new(distributed_game::engine::SharedObserver(log.clone()));
        a.run_observed(config, observer).unwrap();
        let events: Vec<String> = log.borrow().events.iter().map(|e| serde_json::to_string(e).unwrap()).collect();
        events
    };
    let (one, two) = (trace(&config), trace(&config));
    assert!(one.len() > 1000);
    assert_eq!(one, two);
    // And through a file: the command line's `--save` and `replay`.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("found.json");
    let o = dgame(&[
        "explore",
        "--algorithm",
        "raft-local-reads",
        "--strategy",
        "targeted",
        "--runs",
        "20",
        "--save",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    let r = dgame(&["replay", saved.to_str().unwrap()]);
    let (out, err) = text(&r);
    assert_eq!(r.status.code(), Some(0), "{out}{err}");
    assert!(out.starts_with("IDENTICAL") && out.contains("--deviate"), "{out}");
    // Nothing found: nothing saved, and it says so.
    let none = dir.path().join("none.json");
    let o = dgame(&["explore", "--algorithm", "abd", "--runs", "5", "--save", none.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(err.contains("nothing was found, so nothing was saved"), "{err}");
    assert!(!none.exists());
}

#[test]
fn the_shrunk_run_still_fails_is_no_longer_and_its_command_replays_it() {
    let o = dgame(&["explore", "--algorithm", "abd-fire-and-forget-repair", "--strategy", "targeted", "--runs", "400"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("found by targeted after"), "{out}");
    let json = dgame(&[
        "explore",
        "--json",
        "--algorithm",
        "abd-fire-and-forget-repair",
        "--strategy",
        "targeted",
        "--runs",
        "400",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("valid JSON");
    let sh = &v["shrunk"];
    let (before, after) = (&sh["before"], &sh["after"]);
    for k in ["ticks", "operations", "faults", "clients", "nodes"] {
        assert!(after[k].as_u64() <= before[k].as_u64(), "{k}: {before} -> {after}");
    }
    assert!(after["operations"].as_u64().unwrap() <= 20, "a short story: {after}");
    assert_eq!(sh["violation"]["kind"], "not_linearizable");
    // The printed command replays the shrunk run: the same report, exit code 1.
    let reproduce = sh["report"]["reproduce"].as_str().unwrap();
    assert!(out.contains(reproduce), "the text shows the command:\n{out}");
    let words: Vec<String> = reproduce.split_whitespace().skip(1).map(|w| w.trim_matches('\'').to_owned()).collect();
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut with_json = args.clone();
    with_json.push("--json");
    let r = dgame(&with_json);
    assert_eq!(r.status.code(), Some(1), "{:?}", text(&r));
    let replayed: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(replayed, sh["report"], "the command replays the shrunk run byte for byte");
}

/// A planted missing persist: a node counts its writes in memory only, so a restart forgets
/// them, and "the count never goes down" breaks at the restart's tick.
#[derive(Debug, Default, Hash)]
struct Forgetful {
    writes: u64,
    value: Option<Value>,
}

#[node]
impl Forgetful {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.value)
    }
    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, w: ClientWriteRequest) -> ClientWriteResponse {
        self.writes += 1;
        self.value = Some(w.value);
        ClientWriteResponse::ok()
    }
}

fn forgetful() -> Algorithm {
    Algorithm::new::<Forgetful>("forgetful", "none across crashes").invariant("the count never goes down", || {
        let mut before: Vec<u64> = Vec::new();
        move |nodes: &[&Forgetful]| {
            let now: Vec<u64> = nodes.iter().map(|n| n.writes).collect();
            for (i, (b, n)) in before.iter().zip(&now).enumerate() {
                if n < b {
                    return Err(format!("n{} counted {b} writes, now {n}", i + 1));
                }
            }
            before = now;
            Ok(())
        }
    })
}

fn forgetful_config(schedule: &[&str]) -> Config {
    Config {
        nodes: 1,
        ticks: 400,
        schedule: schedule.iter().map(|s| s.parse().unwrap()).collect(),
        ..Config::default()
    }
}

#[test]
fn shrinking_removes_faults_that_do_not_matter() {
    // A crash that matters and noise around it.
    let a = forgetful();
    let failing = forgetful_config(&[
        "pause n1@5",
        "resume n1@9",
        "crash n1@22",
        "restart n1@29",
        "crash n1@200",
        "restart n1@230",
    ]);
    let out = a.run(&failing).unwrap();
    let want = distributed_game::explore::classify(&out, None).expect("the restart of n1 forgets its count");
    assert!(matches!(&want, Violation::Invariant { tick: 29, .. }), "{want:?}");
    let s = distributed_game::explore::shrink(&a, &failing, &want);
    let kept: Vec<String> = s.config.schedule.iter().map(ToString::to_string).collect();
    assert_eq!(kept, ["crash n1@22", "restart n1@29"]);
    assert!(s.after.ticks <= 29 && s.after.operations <= s.before.operations);
}

#[test]
fn a_correct_raft_and_abd_keep_their_invariants_over_many_explored_runs() {
    for (name, runs) in [("raft", 300), ("abd", 600)] {
        let a = algorithm(name);
        let opts = ExploreOptions { runs: Some(runs), ..ExploreOptions::default() };
        let e = explore(&a, &Config::default(), &opts).unwrap();
        assert!(e.found.is_none(), "{name}: {:?}", e.found.map(|f| f.report.verdict));
        assert_eq!(e.searched.runs, runs);
        assert_eq!(e.searched.stopped_by, "runs");
        assert!(e.searched.distinct_schedules as u64 > runs * 9 / 10, "{:?}", e.searched);
        for kind in ["crash", "partition", "signals held back by a strategy", "signals dropped by a strategy"] {
            assert!(e.searched.injected.get(kind).is_some_and(|&n| n > 0), "{name}: no {kind}: {:?}", e.searched);
        }
    }
    assert_eq!(
        algorithm("raft").invariant_names(),
        ["one leader per term", "log matching", "committed entries never change"]
    );
}

#[test]
fn with_nothing_found_it_says_how_hard_it_tried() {
    let o = dgame(&["explore", "--algorithm", "abd", "--runs", "64", "--ticks", "300"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    for part in [
        "abd: no violation found in 64 runs",
        "budget         64 runs; stopped by the run budget",
        "strategies     exhaustive ",
        "exhaustive     0 seeds exhausted of 1 started",
        "schedules      ",
        "states         not counted",
        "injected       ",
        "longest run    300 ticks",
    ] {
        assert!(out.contains(part), "missing {part:?} in:\n{out}");
    }
}

#[test]
fn a_run_budget_gives_the_same_search_every_time() {
    let args = ["explore", "--json", "--algorithm", "raft-local-reads", "--runs", "100"];
    let strip = |o: Output| {
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        for k in ["seconds", "runs_per_second"] {
            v["searched"][k] = serde_json::Value::Null;
        }
        v["found"]["after_seconds"] = serde_json::Value::Null;
        v
    };
    let (a, b) = (strip(dgame(&args)), strip(dgame(&args)));
    assert_eq!(a, b);
    assert!(a["found"]["report"]["reproduce"].as_str().unwrap().contains("--algorithm raft-local-reads"));
}

#[test]
fn a_broken_invariant_is_a_violation_named_with_its_tick_and_the_states() {
    let a = forgetful();
    let config = forgetful_config(&["crash n1@22", "restart n1@29"]);
    let out = a.run(&config).unwrap();
    assert_eq!(out.ticks_run, 29, "the run stops at the break");
    let report = distributed_game::report::Report::new("dgame", a.name, &config, &out, None);
    assert_eq!(report.verdict.exit_code(), 1, "a violation, as `run` exits");
    let text = report.to_text();
    assert!(text.contains("INVARIANT BROKEN: \"the count never goes down\" at tick 29"), "{text}");
    assert!(text.contains("n1 counted") && text.contains("- n1: Forgetful"), "the nodes' states are shown:\n{text}");
    // And explore finds it by itself, with swarm's crashes.
    let three = Config { nodes: 3, schedule: Vec::new(), ..config };
    let e = explore(&a, &three, &options(StrategyKind::Swarm, 50)).unwrap();
    assert!(matches!(e.found.map(|f| f.violation), Some(Violation::Invariant { .. })));
}

#[test]
fn bad_input_gets_one_clear_line_and_exit_code_2() {
    for (args, expected) in [
        (vec!["--strategy", "magic"], "invalid value 'magic'"),
        (vec!["--runs", "0"], "the budget is empty"),
        (vec!["--budget", "0s"], "the budget is empty"),
        (vec!["--budget", "soon"], "is not a time budget"),
        (vec!["--strategy", "exhaustive", "--nodes", "50"], "the exhaustive strategy is for small configurations"),
        (vec!["--shard", "3/2"], "is not a shard"),
        (vec!["--depth", "0"], "--depth"),
        (vec!["--algorithm", "nope"], "unknown algorithm `nope`"),
        (vec!["--deviate", "57:explode"], "`57:explode` (entry 1 of the choice script) is not a deviation"),
    ] {
        let mut all = vec!["explore"];
        all.extend(&args);
        if !args.contains(&"--runs") {
            all.extend(["--runs", "10"]);
        }
        let o = dgame(&all);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {out}{err}");
        assert!(err.contains(expected), "{args:?}: stderr should say {expected:?}, got:\n{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A node type that hashes its state: explore counts distinct states and prunes by them.
#[derive(Debug, Default, Hash)]
struct Counter {
    value: Option<Value>,
}

#[node]
impl Counter {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.value)
    }
    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, w: ClientWriteRequest) -> ClientWriteResponse {
        self.value = Some(w.value);
        ClientWriteResponse::ok()
    }
}

#[test]
fn a_hashable_node_type_gets_its_states_counted() {
    let a = Algorithm::new::<Counter>("counter", "linearizable on one node")
        .hashable::<Counter>()
        .invariant("values are written", || {
            |nodes: &[&Counter]| if nodes[0].value == Some(0) { Err("0 is never written".into()) } else { Ok(()) }
        });
    assert!(a.is_hashable());
    let config = Config { nodes: 1, ticks: 100, ..Config::default() };
    let e = explore(&a, &config, &ExploreOptions { runs: Some(200), ..ExploreOptions::default() }).unwrap();
    assert!(e.found.is_none());
    let states = e.searched.distinct_states.expect("counted");
    assert!(states > 10, "{states}");
    assert!(e.searched.exhaustive.unwrap().pruned > 0, "{:?}", e.searched.exhaustive);
}

#[test]
fn a_fault_in_the_quiet_period_gets_the_same_warning_from_explore_as_from_run() {
    let flags = ["--workload", "broadcast", "--fault", "crash n1@950"];
    let warning = "warning: the fault `crash n1@950` falls in the quiet period (from tick 901), where every fault \
                   heals for the final reads";
    let mut run = vec!["run"];
    run.extend(flags);
    let (_, run_err) = text(&dgame(&run));
    assert!(run_err.contains(warning), "run: {run_err}");
    let mut explore = vec!["explore", "--runs", "4"];
    explore.extend(flags);
    let o = dgame(&explore);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(err.contains(warning), "explore: {err}");
    // Before the quiet period: no warning from either.
    let (_, err) = text(&dgame(&["explore", "--runs", "4", "--workload", "broadcast", "--fault", "crash n1@500"]));
    assert!(!err.contains("warning"), "{err}");
}
