//! The broadcast samples: the gossip with retry delivers every acknowledged value under loss,
//! duplication, partitions, crashes and pauses; the naive flood does only without loss; the
//! gossip without retry loses values, and the checker names them.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Measured, assert_readme_says, base, explain, nemesis, run, run_measured, sentence, thousands};
use dgame_algorithms::broken::BroadcastNoRetry;
use dgame_algorithms::{BroadcastFlood, BroadcastGossip};
use dgame_checker::Verdict;
use dgame_checker::workload::broadcast;
use dgame_engine::prelude::*;
use dgame_engine::{ConfigBuilder, NemesisKind, Operation};

/// Three nodes, three clients, 300 ticks, 5% loss, 5% duplication, and a nemesis that
/// partitions, crashes and pauses one node at a time. The last 100 ticks are quiet, with the
/// final reads at tick 250: a client reads its one node as soon as its last operation is over
/// (which takes up to the gateway's 40 ticks when a message of it was lost). A final read that
/// comes to nothing is made again after a round trip (16 ticks with the default delays), so a
/// node has three tries in the 50 ticks left; it goes unchecked in that run only when a message
/// of each of them is lost (7 of the 1,500 nodes of the 500 runs below).
fn faulty() -> ConfigBuilder {
    base(3, 3, 300).workload(Workload::Broadcast).quiet(Some(100)).loss(0.05).duplicate(0.05).nemesis(Some(nemesis(&[
        NemesisKind::Partition,
        NemesisKind::Crash,
        NemesisKind::Pause,
    ])))
}

/// What a broadcast checker's reports add up to over many runs.
#[derive(Debug, Default, PartialEq, Eq)]
struct Figures {
    acknowledged: usize,
    lost: usize,
    final_reads: usize,
    crashes: usize,
}

/// Runs every seed of `seeds`, each valid, and adds up the checker's figures.
fn all_valid<N: Node + Default>(name: &str, config: &ConfigBuilder, seeds: std::ops::Range<u64>) -> Figures {
    let mut f = Figures::default();
    for seed in seeds.clone() {
        let m = run_measured::<N>(config, seed, |_| {});
        assert!(m.run.verdict.is_ok(), "{name}, seed {seed}: {}", explain(&m.run.verdict));
        let report = broadcast::check(&m.run.history.to_broadcast());
        f.acknowledged += report.acknowledged;
        f.lost += report.lost;
        f.final_reads += report.final_reads;
        f.crashes += m.crashes;
    }
    println!("{name}: {} seeds valid: {f:?}", seeds.end - seeds.start);
    f
}

/// The first seed of `seeds` whose history is invalid, with the checker's sentence.
fn first_loss<N: Node + Default>(name: &str, config: &ConfigBuilder, seeds: std::ops::Range<u64>) -> (u64, String) {
    let r = seeds.clone().map(|seed| run::<N>(config, seed)).find(|r| r.verdict.is_violation());
    let r = r.unwrap_or_else(|| panic!("{name}: no seed of {seeds:?} loses a value"));
    assert!(matches!(r.verdict, Verdict::Invalid { workload: "broadcast", .. }), "{:?}", r.verdict);
    println!("{name}: seed {} is invalid: {}", r.seed, explain(&r.verdict));
    (r.seed, sentence(&r.verdict).to_owned())
}

#[test]
fn gossip_delivers_every_acknowledged_value_under_loss_duplication_partitions_crashes_and_pauses() {
    let f = all_valid::<BroadcastGossip>("broadcast-gossip under the nemesis", &faulty(), 0..500);
    assert_eq!(f, Figures { acknowledged: 5_321, lost: 0, final_reads: 1_493, crashes: 421 });
    assert_readme_says(
        "broadcast-gossip",
        &format!(
            "5% loss, 5% duplication, partitions, crashes ({}) and pauses: 500 seeds valid, {} acknowledged values, none lost in {} final reads",
            f.crashes,
            thousands(f.acknowledged),
            thousands(f.final_reads)
        ),
    );
}

/// Within its fault model (delays and duplication) the flood loses nothing.
#[test]
fn flood_delivers_every_value_when_no_message_is_lost() {
    let config = base(3, 2, 300).workload(Workload::Broadcast).duplicate(0.05);
    let f = all_valid::<BroadcastFlood>("broadcast-flood, 5% duplication", &config, 0..500);
    assert_eq!(f, Figures { acknowledged: 7_403, lost: 0, final_reads: 1_500, crashes: 0 });
    assert_readme_says(
        "broadcast-flood",
        &format!(
            "5% duplication, no loss: 500 seeds valid, {} acknowledged values, none lost",
            thousands(f.acknowledged)
        ),
    );
}

/// Outside it, the flood loses values: a node cut off misses what is sent meanwhile, and a
/// value whose every copy to a node is lost never reaches it.
#[test]
fn flood_loses_values_under_partitions_or_loss() {
    let partitions = base(3, 2, 300).workload(Workload::Broadcast).nemesis(Some(nemesis(&[NemesisKind::Partition])));
    let (seed, said) = first_loss::<BroadcastFlood>("broadcast-flood, partitions", &partitions, 0..100);
    assert_eq!(seed, 0);
    assert_readme_says("broadcast-flood", &format!("Partitions: invalid at seed {seed}: \"{said}\""));
    let loss = base(3, 2, 300).workload(Workload::Broadcast).loss(0.05);
    let (seed, said) = first_loss::<BroadcastFlood>("broadcast-flood, 5% loss", &loss, 0..100);
    assert_eq!(seed, 24);
    assert_readme_says("broadcast-flood", &format!("5% loss: invalid at seed {seed}: \"{said}\""));
}

/// The gossip without retry: a node cut off by a partition never gets what it missed.
#[test]
fn no_retry_is_caught_losing_values_under_partitions_and_loss() {
    let partitions = base(3, 2, 300).workload(Workload::Broadcast).nemesis(Some(nemesis(&[NemesisKind::Partition])));
    let (seed, said) = first_loss::<BroadcastNoRetry>("broadcast-no-retry, partitions", &partitions, 0..100);
    assert_eq!(seed, 0);
    assert_readme_says("broadcast-no-retry", &format!("partitions: invalid at seed {seed}: \"{said}\""));
    let loss = base(3, 2, 300).workload(Workload::Broadcast).loss(0.05);
    let (seed, said) = first_loss::<BroadcastNoRetry>("broadcast-no-retry, 5% loss", &loss, 0..100);
    assert_eq!(seed, 0);
    assert_readme_says("broadcast-no-retry", &format!("5% loss: invalid at seed {seed}: \"{said}\""));
    // Without loss and partitions it loses nothing: the retry is what the faults need.
    let calm = base(3, 2, 300).workload(Workload::Broadcast).duplicate(0.05);
    all_valid::<BroadcastNoRetry>("broadcast-no-retry, 5% duplication", &calm, 0..100);
}

/// A restarted node has every value it acknowledged, those only it had too: the set is
/// durable. What it knew of its peers is not, and it sends them everything again.
#[test]
fn gossip_keeps_what_it_acknowledged_through_a_crash() {
    let config = base(3, 2, 300).workload(Workload::Broadcast).seed(1).build().unwrap();
    let mut world = World::<BroadcastGossip>::new(config).unwrap();
    let (n1, others) = (ServerId::Node(NodeId(1)), [ServerId::Node(NodeId(2)), ServerId::Node(NodeId(3))]);
    world.run_until(100).unwrap();
    // Cut n1 off from its peers (not from the gateway): what it acknowledges now only it has.
    world.cut(&[n1], &others, false).unwrap();
    world.run_until(150).unwrap();
    let before = world.node(NodeId(1)).unwrap().values.clone();
    let only_n1: Vec<Value> = before.difference(&world.node(NodeId(2)).unwrap().values).copied().collect();
    assert!(!only_n1.is_empty(), "n1 acknowledged values its peers lack");
    world.apply(Fault::Crash(NodeId(1))).unwrap();
    world.run_until(170).unwrap();
    world.apply(Fault::Restart(NodeId(1))).unwrap();
    world.tick().unwrap();
    let me = world.node(NodeId(1)).unwrap();
    assert!(before.is_subset(&me.values), "n1 came back with {:?}, not all of {before:?}", me.values);
    assert!(me.known.is_empty(), "what the peers have is not durable: {:?}", me.known);
    drop(me);
    world.heal(&[n1], &others, false).unwrap();
    world.run().unwrap();
    for n in 2..=3 {
        let values = &world.node(NodeId(n)).unwrap().values;
        assert!(only_n1.iter().all(|v| values.contains(v)), "n{n} got {only_n1:?} from the restarted n1");
    }
    let verdict = world.history().check();
    assert!(verdict.is_ok(), "{}", explain(&verdict));
}

// ---- the figures of the README -----------------------------------------------------------

/// What `dgame run --workload broadcast` reports of a run, and what the nodes' states show.
struct Spread {
    /// Node-to-node messages per value broadcast, as the report prints it (`7.5`).
    per_value: String,
    /// The checker's "seen everywhere after" (median, max): from a value's first send until
    /// every later read of every node holds it. Reads sample each node only now and then, so
    /// this is mostly how long until the next read of the slowest node.
    seen: Option<(Tick, Tick)>,
    /// From a value's first send until every node's state holds it (median, max), over the
    /// acknowledged values: how fast the algorithm itself spreads them.
    held: Option<(Tick, Tick)>,
    /// Acknowledged values that got to every node's state, and all acknowledged values.
    reached: (usize, usize),
    /// The nodes whose final read came back.
    final_reads: usize,
    /// The final reads that came to nothing (lost, timed out), each made again if time was left.
    failed_final_reads: usize,
    valid: bool,
    /// The checker's sentence, when it found a value lost.
    said: Option<String>,
}

fn median_max(mut xs: Vec<Tick>) -> Option<(Tick, Tick)> {
    xs.sort_unstable();
    Some((*xs.get(xs.len() / 2)?, *xs.last()?))
}

fn spread<N: Node + Default>(config: ConfigBuilder, values: fn(&N) -> &BTreeSet<Value>) -> Spread {
    let nodes = config.clone().build().unwrap().nodes;
    let mut everywhere: BTreeMap<Value, Tick> = BTreeMap::new();
    let Measured { run, node_messages, .. } = run_measured::<N>(&config, 0, |w| {
        for op in &w.history().operations {
            if let OpKind::Broadcast(v) = op.kind
                && !everywhere.contains_key(&v)
                && (1..=nodes).all(|n| values(&w.node(NodeId(n)).unwrap()).contains(&v))
            {
                everywhere.insert(v, w.now());
            }
        }
    });
    let sends: Vec<&Operation> =
        run.history.operations.iter().filter(|op| matches!(op.kind, OpKind::Broadcast(_))).collect();
    let report = broadcast::check(&run.history.to_broadcast());
    let acknowledged: Vec<&&Operation> = sends.iter().filter(|op| matches!(op.outcome, Outcome::Ok(_))).collect();
    let held: Vec<Tick> = acknowledged
        .iter()
        .filter_map(|op| match op.kind {
            OpKind::Broadcast(v) => everywhere.get(&v).map(|&t| t - op.invoke),
            _ => None,
        })
        .collect();
    let reached = (held.len(), acknowledged.len());
    let failed_final_reads = run
        .history
        .operations
        .iter()
        .filter(|op| matches!(op.kind, OpKind::BroadcastRead { final_read: true, .. }))
        .filter(|op| !matches!(op.outcome, Outcome::Ok(_) | Outcome::Pending))
        .count();
    Spread {
        per_value: format!("{:.1}", node_messages as f64 / sends.len().max(1) as f64),
        seen: report.stable_latency,
        held: median_max(held),
        reached,
        final_reads: report.final_reads,
        failed_final_reads,
        valid: run.verdict.is_ok(),
        said: run.verdict.is_violation().then(|| sentence(&run.verdict).to_owned()),
    }
}

/// `dgame run --workload broadcast --algorithm A` (seed 0, the default configuration) and the
/// same with `--loss 0.1 --nemesis partition`.
fn configs() -> [(&'static str, ConfigBuilder); 2] {
    let default = Config::builder().workload(Workload::Broadcast);
    let partition = Nemesis { kinds: vec![NemesisKind::Partition], ..Nemesis::default() };
    [
        ("(seed 0)", default.clone()),
        ("with `--loss 0.1 --nemesis partition`", default.loss(0.1).nemesis(Some(partition))),
    ]
}

fn figure(s: &Spread) -> String {
    let (seen, held) = (s.seen.unwrap_or_default(), s.held.unwrap_or_default());
    format!(
        "{} messages per value, seen everywhere by the reads after {} ticks (median), {} (max); in every node's state after {} (median), {} (max), {} of {} acknowledged values",
        s.per_value, seen.0, seen.1, held.0, held.1, s.reached.0, s.reached.1
    )
}

#[test]
fn the_readme_figures_of_a_default_run_and_of_a_lossy_partitioned_one() {
    let mut figures = Vec::new();
    for (name, config) in configs() {
        let gossip = spread::<BroadcastGossip>(config.clone(), |n| &n.values);
        let flood = spread::<BroadcastFlood>(config.clone(), |n| &n.values);
        println!("{name}: broadcast-gossip {}, valid {}", figure(&gossip), gossip.valid);
        println!("{name}: broadcast-flood {}, valid {}", figure(&flood), flood.valid);
        assert!(gossip.valid, "{name}: broadcast-gossip is valid");
        figures.push((name, gossip, flood));
    }
    // Under loss and partitions the flood lost a value. The checker sees only what the final
    // reads show; two of the three were lost, but made again, and one of those lacks it.
    let (_, _, flood) = &figures[1];
    assert!(flood.reached.0 < flood.reached.1 && !flood.valid && flood.final_reads == 3, "{:?}", flood.said);
    assert_readme_says(
        "broadcast-flood",
        &format!(
            "(the verdict says INVALID: \"{}\"; {} of the 3 final reads were lost, and made again)",
            flood.said.as_deref().unwrap_or_default(),
            flood.failed_final_reads
        ),
    );
    for (name, gossip, flood) in &figures {
        assert_readme_says("broadcast-gossip", &format!("{name}: {}", figure(gossip)));
        assert_readme_says("broadcast-flood", &format!("{name}: {}", figure(flood)));
    }
}

/// The browser viewer gets the state as JSON (not the `Debug` fallback): the set, and what
/// each peer is known to have, by node id.
#[test]
fn the_viewer_sees_the_state_as_json() {
    let config = base(3, 2, 200).workload(Workload::Broadcast).build().unwrap();
    let mut world = World::<BroadcastGossip>::new(config).unwrap();
    world.run().unwrap();
    let state = world.node_state(NodeId(1)).unwrap();
    let values = world.node(NodeId(1)).unwrap().values.iter().map(|&v| serde_json::json!(v)).collect::<Vec<_>>();
    assert!(!values.is_empty());
    assert_eq!(state["values"], serde_json::Value::Array(values), "{state}");
    assert!(state["known"]["2"].is_array() && state["known"]["3"].is_array(), "{state}");
}

/// An attribute takes a literal: the timer's interval is the documented constant.
#[test]
fn the_gossip_timer_runs_every_gossip_ticks() {
    use dgame_algorithms::broadcast_gossip::GOSSIP;
    assert_eq!(<BroadcastGossip as Node>::__TIMERS[0].interval, GOSSIP);
    assert_eq!(<BroadcastNoRetry as Node>::__TIMERS[0].interval, GOSSIP);
}
