//! The counter samples: the grow-only and the PN counter converge to the sum of the
//! acknowledged adds under loss, duplication, partitions, crashes and pauses, counting a
//! duplicated add once; the counter that merges by sum is caught counting adds again.

mod common;

use common::{
    Measured, assert_readme_says, base, explain, nemesis, run, run_measured, run_watched, sentence, thousands,
};
use dgame_algorithms::broken::GCounterSumMerge;
use dgame_algorithms::{GCounter, PnCounter};
use dgame_checker::Verdict;
use dgame_checker::workload::counter::{self, Flavor};
use dgame_engine::prelude::*;
use dgame_engine::{ConfigBuilder, Event, NemesisKind};

/// Three nodes, three clients, 300 ticks, 5% loss, 5% duplication, and a nemesis that
/// partitions, crashes and pauses one node at a time; the last 100 ticks quiet, with the final
/// reads at tick 250 (see `broadcast.rs` on why).
fn faulty(workload: Workload) -> ConfigBuilder {
    base(3, 3, 300).workload(workload).quiet(Some(100)).loss(0.05).duplicate(0.05).nemesis(Some(nemesis(&[
        NemesisKind::Partition,
        NemesisKind::Crash,
        NemesisKind::Pause,
    ])))
}

/// What the counter checker's reports add up to over many runs.
#[derive(Debug, Default, PartialEq, Eq)]
struct Figures {
    /// Adds acknowledged.
    acknowledged_adds: usize,
    /// Adds sent to their node more than once (a copy the network made on the way from the
    /// client or from the gateway): each must be counted once.
    repeated_adds: usize,
    /// Nodes read at the end.
    final_reads: usize,
    crashes: usize,
}

fn flavor(config: &ConfigBuilder) -> Flavor {
    match config.clone().build().unwrap().workload {
        Workload::Counter => Flavor::GrowOnly,
        _ => Flavor::PositiveNegative,
    }
}

/// Runs `N` with `seed`, counting the adds that went to their node more than once.
fn run_counting_copies<N: Node + Default>(config: &ConfigBuilder, seed: u64) -> (Measured, usize) {
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::rc::Rc;
    let sends: Rc<RefCell<BTreeMap<RequestId, usize>>> = Rc::default();
    let s = sends.clone();
    let watch = move |e: &Event<'_>| {
        if let Event::SignalSent { from: ServerId::Gateway, to: ServerId::Node(_), message, .. } = e
            && let Some(add) = message.as_any().downcast_ref::<CounterAddRequest>()
        {
            *s.borrow_mut().entry(add.id).or_default() += 1;
        }
    };
    let m = run_watched::<N>(config, seed, watch, |_| {});
    let repeated = sends.borrow().values().filter(|&&n| n > 1).count();
    (m, repeated)
}

/// Runs every seed of `seeds`, each valid, and adds up the figures.
fn all_valid<N: Node + Default>(name: &str, config: &ConfigBuilder, seeds: std::ops::Range<u64>) -> Figures {
    let mut f = Figures::default();
    for seed in seeds.clone() {
        let (m, repeated) = run_counting_copies::<N>(config, seed);
        let history = &m.run.history;
        assert!(m.run.verdict.is_ok(), "{name}, seed {seed}: {}", explain(&m.run.verdict));
        let report = counter::check(&history.to_counter(), flavor(config)).expect("a well-formed history");
        f.acknowledged_adds += history
            .operations
            .iter()
            .filter(|op| matches!((&op.kind, op.outcome), (OpKind::Add(_), Outcome::Ok(_))))
            .count();
        f.repeated_adds += repeated;
        f.final_reads += report.final_reads;
        f.crashes += m.crashes;
    }
    println!("{name}: {} seeds valid: {f:?}", seeds.end - seeds.start);
    f
}

fn figure(f: &Figures) -> String {
    format!(
        "5% loss, 5% duplication, partitions, crashes ({}) and pauses: 500 seeds valid, {} acknowledged adds ({} adds sent to their node more than once, each counted once), {} final reads",
        f.crashes,
        thousands(f.acknowledged_adds),
        f.repeated_adds,
        thousands(f.final_reads)
    )
}

#[test]
fn g_counter_converges_and_counts_each_add_once_under_loss_duplication_partitions_crashes_and_pauses() {
    let f = all_valid::<GCounter>("g-counter under the nemesis", &faulty(Workload::Counter), 0..500);
    assert_eq!(f, Figures { acknowledged_adds: 5_418, repeated_adds: 612, final_reads: 1_493, crashes: 421 });
    assert_readme_says("g-counter", &figure(&f));
}

#[test]
fn pn_counter_converges_and_counts_each_add_once_under_loss_duplication_partitions_crashes_and_pauses() {
    let f = all_valid::<PnCounter>("pn-counter under the nemesis", &faulty(Workload::PnCounter), 0..500);
    assert_eq!(f, Figures { acknowledged_adds: 5_436, repeated_adds: 613, final_reads: 1_489, crashes: 421 });
    assert_readme_says("pn-counter", &figure(&f));
}

/// A grow-only counter refuses to go down: a negative add fails and changes nothing.
#[test]
fn g_counter_refuses_a_negative_add() {
    let config = base(1, 0, 200).workload(Workload::Counter).build().unwrap();
    let mut world = World::<GCounter>::new(config).unwrap();
    world.run_until(1).unwrap();
    let id = RequestId { client: ClientId(1), seq: 1 };
    world.inject(ServerId::Gateway, ServerId::Node(NodeId(1)), CounterAddRequest { id, delta: -2 }).unwrap();
    world.run().unwrap();
    let me = world.node(NodeId(1)).unwrap();
    assert_eq!((me.counts.sum(), me.sessions.answer(id)), (0, Some(ClientWriteResponse::fail())));
}

/// The merge by sum counts the same adds again at every round of gossip: caught without any
/// fault, by the first read that returns more than was ever added.
#[test]
fn g_counter_sum_merge_is_caught_counting_adds_again() {
    let config = base(3, 2, 300).workload(Workload::Counter);
    let r = run::<GCounterSumMerge>(&config, 0);
    assert!(matches!(r.verdict, Verdict::Invalid { workload: "counter", .. }), "{}", explain(&r.verdict));
    println!("g-counter-sum-merge: seed 0 is invalid: {}", explain(&r.verdict));
    let said = sentence(&r.verdict);
    assert_eq!(said, "node n2's read at ticks 26-40 returned 6, but the adds invoked by then sum to at most 2.");
    assert_readme_says("g-counter-sum-merge", &format!("invalid at seed 0 with no fault at all: \"{said}\""));
    // The same clients with the correct merge: valid.
    assert!(run::<GCounter>(&config, 0).verdict.is_ok());
}

/// `dgame run --workload counter` (and `pn-counter`), seed 0, and the same with
/// `--loss 0.1 --nemesis partition`: the verdict's summary and the gossip's cost.
#[test]
fn the_readme_figures_of_a_default_run_and_of_a_lossy_partitioned_one() {
    let partition = Nemesis { kinds: vec![NemesisKind::Partition], ..Nemesis::default() };
    let mut said = Vec::new();
    for (name, workload) in [("g-counter", Workload::Counter), ("pn-counter", Workload::PnCounter)] {
        let default = Config::builder().workload(workload);
        for (how, config) in [
            ("(seed 0)", default.clone()),
            ("with `--loss 0.1 --nemesis partition`", default.loss(0.1).nemesis(Some(partition.clone()))),
        ] {
            let m = if workload == Workload::Counter {
                run_measured::<GCounter>(&config, 0, |_| {})
            } else {
                run_measured::<PnCounter>(&config, 0, |_| {})
            };
            let summary = match &m.run.verdict {
                Verdict::Valid { summary, .. } => summary.clone(),
                other => panic!("{name} {how}: {}", explain(other)),
            };
            let figure = format!("{how}: {summary}; {} node-node messages", thousands(m.node_messages as usize));
            println!("{name}: {figure}");
            said.push((name, figure));
        }
    }
    for (name, figure) in said {
        assert_readme_says(name, &figure);
    }
}

/// The browser viewer gets the state as JSON (not the `Debug` fallback): the counts by node id.
#[test]
fn the_viewer_sees_the_state_as_json() {
    let config = base(3, 2, 200).workload(Workload::PnCounter).build().unwrap();
    let mut world = World::<PnCounter>::new(config).unwrap();
    world.run().unwrap();
    let state = world.node_state(NodeId(1)).unwrap();
    let me = world.node(NodeId(1)).unwrap();
    let up = me.up.0.iter().map(|(n, &c)| (n.0.to_string(), serde_json::json!(c))).collect();
    assert!(!me.up.0.is_empty());
    assert_eq!(state["up"], serde_json::Value::Object(up), "{state}");
    assert!(state["sessions"].is_object(), "{state}");
}

/// An attribute takes a literal: the timers' interval is the documented constant.
#[test]
fn the_gossip_timers_run_every_gossip_ticks() {
    assert_eq!(<GCounter as Node>::__TIMERS[0].interval, dgame_algorithms::g_counter::GOSSIP);
    assert_eq!(<GCounterSumMerge as Node>::__TIMERS[0].interval, dgame_algorithms::g_counter::GOSSIP);
    assert_eq!(<PnCounter as Node>::__TIMERS[0].interval, dgame_algorithms::pn_counter::GOSSIP);
}
