//! `dgame explore` keeps to what a workload and an algorithm promise: no choice in the quiet
//! period of a workload with final reads (every fault heals there, so the final reads show
//! where the algorithm converges), and only the kinds of fault the algorithm's fault model
//! names (plus what the configuration asks for), so a correct algorithm is not "caught"
//! outside its fault model. The broken variants are still caught.
//!
//! Budgets are counts of runs, never time: the search is deterministic for a run budget.

use std::process::{Command, Output};

use distributed_game::cli::{Algorithm, builtin};
use distributed_game::engine::{Config, FaultKind, FaultModel, Nemesis, NemesisKind, Workload};
use distributed_game::explore::{ExploreOptions, explore};
use distributed_game::prelude::*;

fn algorithm(name: &str) -> Algorithm {
    builtin().into_iter().find(|a| a.name == name).unwrap_or_else(|| panic!("{name} is built in"))
}

fn runs(n: u64) -> ExploreOptions {
    ExploreOptions { runs: Some(n), ..ExploreOptions::default() }
}

fn dgame(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dgame")).args(args).output().expect("dgame runs")
}

/// The tick at which the run of `config` sent signal `id`.
fn sent_at(a: &Algorithm, config: &Config, id: u64) -> u64 {
    use distributed_game::engine::{EventLog, OwnedEvent, SharedObserver};
    let log = std::rc::Rc::new(std::cell::RefCell::new(EventLog::default()));
    a.run_observed(config, Box::new(SharedObserver(log.clone()))).unwrap();
    let log = log.borrow();
    let tick = log.events.iter().find_map(|e| match e {
        OwnedEvent::SignalSent { tick, signal, .. } if signal.0 == id => Some(*tick),
        _ => None,
    });
    tick.unwrap_or_else(|| panic!("signal {id} was sent"))
}

#[test]
fn correct_convergent_algorithms_pass_300_explored_runs_each() {
    // Before the explorer left the quiet period alone, g-counter was "caught" after 8 runs:
    // 21 signals dropped at ticks 120-170 of a quiet period of ticks 120-220.
    for (name, workload) in [
        ("g-counter", Workload::Counter),
        ("pn-counter", Workload::PnCounter),
        ("broadcast-gossip", Workload::Broadcast),
    ] {
        let e = explore(&algorithm(name), &Config { workload, ..Config::default() }, &runs(300)).unwrap();
        assert!(e.found.is_none(), "{name}: {:?}", e.found.map(|f| (f.plan, f.report.verdict, f.report.reproduce)));
        assert_eq!(e.searched.stopped_by, "runs");
        // It did search: faults and deviations of every kind the fault model names.
        for kind in ["crash", "partition", "pause", "signals held back by a strategy", "signals dropped by a strategy"]
        {
            assert!(e.searched.injected.get(kind).is_some_and(|&n| n > 0), "{name}: no {kind}: {:?}", e.searched);
        }
        assert!(e.left_out.is_empty(), "{name}: {:?}", e.left_out);
    }
}

#[test]
fn the_broken_variants_of_those_workloads_are_still_caught() {
    for (name, workload, budget) in [
        ("g-counter-sum-merge", Workload::Counter, 50),
        ("broadcast-no-retry", Workload::Broadcast, 50),
        ("unique-ids-volatile", Workload::UniqueIds, 50),
    ] {
        let a = algorithm(name);
        let opts = ExploreOptions { runs: Some(budget), shrink: false, ..ExploreOptions::default() };
        let e = explore(&a, &Config { workload, ..Config::default() }, &opts).unwrap();
        let found = e.found.unwrap_or_else(|| panic!("{name}: nothing found in {budget} runs"));
        assert!(matches!(found.violation, distributed_game::explore::Violation::Invalid { .. }), "{name}");
        // Its script deviates no signal sent in the quiet period.
        let config = &found.report.config;
        assert!(!config.deviations.is_empty() || !config.schedule.is_empty() || config.nemesis.is_some(), "{name}");
        assert!(config.deviations.iter().all(|(id, _)| sent_at(&a, config, id.0) <= config.last_invoke()), "{name}");
    }
}

#[test]
fn primary_backup_is_explored_within_its_fault_model_and_says_what_it_left_out() {
    let a = algorithm("primary-backup");
    let e = explore(&a, &Config::default(), &runs(1_000)).unwrap();
    assert!(e.found.is_none(), "{:?}", e.found.map(|f| (f.plan, f.report.reproduce)));
    for kind in ["crash", "restart", "pause", "resume"] {
        assert!(!e.searched.injected.contains_key(kind), "{kind}: {:?}", e.searched.injected);
    }
    for kind in ["partition", "signals dropped by a strategy", "signals lost on the wire"] {
        assert!(e.searched.injected.get(kind).is_some_and(|&n| n > 0), "no {kind}: {:?}", e.searched.injected);
    }
    assert_eq!(e.faults, "delays, loss, partitions");
    assert_eq!(
        e.left_out,
        [
            "crashes: not in primary-backup's fault model (--inject all to include them)",
            "pauses: not in primary-backup's fault model (--inject all to include them)"
        ]
    );
    // Outside its fault model it does break: a crashed primary loses what it acknowledged.
    let all = ExploreOptions { faults: Some(FaultModel::ALL), shrink: false, ..runs(100) };
    let e = explore(&a, &Config::default(), &all).unwrap();
    assert!(e.found.is_some(), "with crashes primary-backup is caught");
    assert!(e.left_out.is_empty());
}

#[test]
fn what_the_configuration_asks_for_is_injected_whatever_the_fault_model() {
    let a = algorithm("primary-backup");
    let nemesis = Nemesis { kinds: vec![NemesisKind::Crash], ..Nemesis::default() };
    let base = Config { nemesis: Some(nemesis), ..Config::default() };
    let opts = ExploreOptions { shrink: false, ..runs(200) };
    let e = explore(&a, &base, &opts).unwrap();
    assert_eq!(e.faults, "delays, loss, partitions, crashes");
    assert_eq!(e.left_out, ["pauses: not in primary-backup's fault model (--inject all to include them)"]);
    // --inject narrows the strategies' faults, never the configuration's.
    let only_loss = ExploreOptions { faults: Some(FaultModel::new(&[FaultKind::Loss])), ..opts };
    let e = explore(&a, &base, &only_loss).unwrap();
    assert_eq!(e.faults, "delays, loss, crashes");
    assert_eq!(e.left_out, ["partitions: not in --inject", "pauses: not in --inject"]);
}

/// A register in one node, registered with no fault model.
#[derive(Debug, Default)]
struct Single {
    value: Option<Value>,
}

#[node]
impl Single {
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
fn an_algorithm_without_a_fault_model_gets_every_fault_as_before() {
    let a = Algorithm::new::<Single>("single", "linearizable");
    assert_eq!(a.faults, None);
    let e = explore(&a, &Config { nodes: 3, ..Config::default() }, &runs(200)).unwrap();
    assert_eq!(e.faults, "delays, loss, partitions, crashes, pauses");
    assert!(e.left_out.is_empty());
    for kind in ["crash", "pause", "partition", "signals dropped by a strategy"] {
        assert!(e.searched.injected.get(kind).is_some_and(|&n| n > 0), "no {kind}: {:?}", e.searched.injected);
    }
}

#[test]
fn the_command_line_names_what_it_left_out_and_refuses_a_bad_inject() {
    let o = dgame(&["explore", "--algorithm", "primary-backup", "--runs", "40"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("  faults         delays, loss, partitions\n"), "{out}");
    assert!(
        out.contains("  left out       crashes: not in primary-backup's fault model (--inject all to include them)\n"),
        "{out}"
    );
    let o = dgame(&["explore", "--algorithm", "primary-backup", "--runs", "40", "--inject", "crash,flood"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("`flood` is not a kind of fault"), "{err}");
}
