//! What every algorithm test does: run worlds over many seeds and have the checker judge them.
#![allow(dead_code)]

use dgame_checker::Verdict;
use dgame_engine::prelude::*;
use dgame_engine::{ConfigBuilder, Cut, ServerId};

/// The base configuration of the tests: short runs, the default delays (1..=3 ticks), the
/// default timeouts (gateway 40, client 60).
pub fn base(nodes: u32, clients: u32, ticks: Tick) -> ConfigBuilder {
    Config::builder().nodes(nodes).clients(clients).ticks(ticks)
}

/// A run's history and the checker's verdict on it.
pub struct Run {
    pub seed: u64,
    pub history: History,
    pub verdict: Verdict,
}

impl Run {
    /// How many operations ended each way.
    pub fn counts(&self) -> dgame_engine::OpCounts {
        self.history.counts()
    }
}

/// Runs `N` with `config` (whose seed is replaced by `seed`), then `during` between ticks if
/// given, and checks the history.
pub fn run<N: Node + Default>(config: &ConfigBuilder, seed: u64) -> Run {
    let config = config.clone().seed(seed).build().expect("a valid test configuration");
    let mut world = World::<N>::new(config).expect("a valid world");
    world.run().unwrap_or_else(|e| panic!("seed {seed}: the run failed: {e}"));
    let history = world.history().clone();
    let verdict = history.check();
    Run { seed, history, verdict }
}

/// Explains a verdict in a few lines: a violation's sentence and operations, or what passed.
pub fn explain(verdict: &Verdict) -> String {
    match verdict {
        Verdict::NotLinearizable { explanation } | Verdict::Invalid { explanation, .. } => {
            let mut s = explanation.sentence.clone();
            for d in &explanation.op_descriptions {
                s.push_str("\n    ");
                s.push_str(d);
            }
            s
        }
        Verdict::Unknown { reason, .. } => format!("the checker gave up: {reason}"),
        Verdict::Linearizable { .. } => "linearizable".to_owned(),
        Verdict::Valid { summary, .. } => summary.clone(),
    }
}

/// Totals over many runs.
#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    pub runs: usize,
    pub ops: usize,
    pub ok: usize,
    pub failed: usize,
    pub unknown: usize,
    /// Still in progress when the run ended (the checker counts them as unknown).
    pub pending: usize,
}

impl Totals {
    pub fn add(&mut self, run: &Run) {
        let dgame_engine::OpCounts { ok, failed, unknown, pending } = run.counts();
        self.runs += 1;
        self.ops += ok + failed + unknown + pending;
        self.ok += ok;
        self.failed += failed;
        self.unknown += unknown;
        self.pending += pending;
    }
    /// The operations that finished (not those still pending at the end).
    pub fn finished(&self) -> usize {
        self.ops - self.pending
    }
    /// The fraction of the finished operations that succeeded.
    pub fn ok_fraction(&self) -> f64 {
        self.ok as f64 / self.finished().max(1) as f64
    }
}

/// Runs every seed of `seeds`; panics, with the checker's explanation, at the first history
/// that is not linearizable. Returns the totals.
pub fn all_linearizable<N: Node + Default>(name: &str, config: &ConfigBuilder, seeds: std::ops::Range<u64>) -> Totals {
    let mut totals = Totals::default();
    for seed in seeds {
        let r = run::<N>(config, seed);
        assert!(r.verdict.is_linearizable(), "{name}, seed {seed}: {}", explain(&r.verdict));
        totals.add(&r);
    }
    println!(
        "{name}: {} runs, {} operations: {} ok ({:.1}% of those finished), {} failed, {} unknown, {} pending at the end; all linearizable",
        totals.runs,
        totals.ops,
        totals.ok,
        100.0 * totals.ok_fraction(),
        totals.failed,
        totals.unknown,
        totals.pending
    );
    totals
}

/// Looks through `seeds` for a history that is not linearizable; returns the first, having
/// printed the checker's explanation.
pub fn find_violation<N: Node + Default>(
    name: &str,
    config: &ConfigBuilder,
    seeds: std::ops::Range<u64>,
) -> Option<Run> {
    let tried = seeds.clone();
    for seed in seeds {
        let r = run::<N>(config, seed);
        if r.verdict.is_violation() {
            println!("{name}: seed {seed} (of {tried:?}) is not linearizable: {}", explain(&r.verdict));
            return Some(r);
        }
    }
    None
}

/// A cut of `node` from every other node and the gateway (not the clients, who only talk to
/// the gateway anyway), from tick `at` on.
pub fn isolate(node: u32, nodes: u32, at: Tick, heal: Option<Tick>) -> Cut {
    let others =
        (1..=nodes).filter(|&n| n != node).map(|n| ServerId::Node(NodeId(n))).chain([ServerId::Gateway]).collect();
    Cut { from: vec![ServerId::Node(NodeId(node))], to: others, one_way: false, at, heal }
}

/// Runs `N` until tick `at`, then cuts the node the gateway routes to off from the other
/// nodes (but not from the gateway), runs to the end, and checks the history. `None` if no
/// node announced itself by then.
pub fn run_leader_split<N: Node + Default>(config: &ConfigBuilder, seed: u64, at: Tick) -> Option<Run> {
    let config = config.clone().seed(seed).build().expect("a valid test configuration");
    let ticks = config.ticks;
    let nodes = config.nodes;
    let mut world = World::<N>::new(config).expect("a valid world");
    world.run_until(at).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    let leader = world.leader()?;
    let others: Vec<ServerId> = (1..=nodes).filter(|&n| n != leader.0).map(|n| ServerId::Node(NodeId(n))).collect();
    world.cut(&[ServerId::Node(leader)], &others, false).expect("the servers exist");
    world.run_until(ticks).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    let history = world.history().clone();
    let verdict = history.check();
    Some(Run { seed, history, verdict })
}

/// Runs `N` with a message adversary: every signal of type `M` that node 1 sends to a node
/// other than node 2 is lost (a loss pattern, so within any algorithm's "any loss" fault model).
/// With 5 nodes, what node 1 propagates reaches only a minority (nodes 1 and 2).
pub fn run_dropping_from_node1<N: Node + Default, M: 'static>(config: &ConfigBuilder, seed: u64) -> Run {
    let config = config.clone().seed(seed).build().expect("a valid test configuration");
    let ticks = config.ticks;
    let mut world = World::<N>::new(config).expect("a valid world");
    let from = ServerId::Node(NodeId(1));
    let spared = ServerId::Node(NodeId(2));
    while world.now() < ticks {
        world.tick().unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let doomed: Vec<_> = world
            .in_flight()
            .iter()
            .filter(|s| {
                s.from == from && s.to != spared && matches!(s.to, ServerId::Node(_)) && s.message.as_any().is::<M>()
            })
            .map(|s| s.id)
            .collect();
        for id in doomed {
            world.drop_signal(id).expect("the signal is in flight");
        }
    }
    let history = world.history().clone();
    let verdict = history.check();
    Run { seed, history, verdict }
}

/// The row of the README's algorithms table for `algorithm` (its kebab-case name).
pub fn readme_row(algorithm: &str) -> &'static str {
    const README: &str = include_str!("../../../README.md");
    let key = format!("| `{algorithm}` ");
    README
        .lines()
        .find(|l| l.starts_with(&key))
        .unwrap_or_else(|| panic!("README.md's algorithms table has no row for `{algorithm}`"))
}

/// Asserts that the README's row for `algorithm` says `figure`, word for word: the README
/// quotes what this test measured, and cannot drift from it.
pub fn assert_readme_says(algorithm: &str, figure: &str) {
    let row = readme_row(algorithm);
    assert!(
        row.contains(figure),
        "README.md's row for `{algorithm}` must say \"{figure}\", which is what the test measured; it says:\n{row}"
    );
}

/// `n` with thousands separators: `1,648`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A fraction as a percentage with one decimal: `67.6%`.
pub fn percent(fraction: f64) -> String {
    format!("{:.1}%", 100.0 * fraction)
}

/// The checker's one-sentence explanation of a violation.
pub fn sentence(verdict: &Verdict) -> &str {
    match verdict {
        Verdict::NotLinearizable { explanation } | Verdict::Invalid { explanation, .. } => &explanation.sentence,
        other => panic!("not a violation: {other:?}"),
    }
}

/// The random nemesis of the workload tests, for runs of 300 ticks: a fault every ~40 ticks,
/// lasting ~30, on one node, of one of `kinds`, until 20 ticks before the quiet period.
pub fn nemesis(kinds: &[dgame_engine::NemesisKind]) -> dgame_engine::Nemesis {
    dgame_engine::Nemesis { kinds: kinds.to_vec(), interval: 40, duration: 30, targets: 1, recovery: 20 }
}

/// A run with what the workload tests measure besides its history.
pub struct Measured {
    pub run: Run,
    /// Signals sent from node to node (what the report calls "node-node").
    pub node_messages: u64,
    /// Nodes crashed during the run.
    pub crashes: usize,
}

/// Runs `N` with `config` (its seed replaced by `seed`), calling `after_tick` with the world
/// after every tick, counting node-to-node signals and crashes; checks the history.
pub fn run_measured<N: Node + Default>(
    config: &ConfigBuilder,
    seed: u64,
    after_tick: impl FnMut(&World<N>),
) -> Measured {
    run_watched(config, seed, |_: &dgame_engine::Event<'_>| {}, after_tick)
}

/// [`run_measured`], with `watch` seeing every event too.
pub fn run_watched<N: Node + Default>(
    config: &ConfigBuilder,
    seed: u64,
    watch: impl dgame_engine::Observer + 'static,
    mut after_tick: impl FnMut(&World<N>),
) -> Measured {
    use std::cell::Cell;
    use std::rc::Rc;
    let config = config.clone().seed(seed).build().expect("a valid test configuration");
    let ticks = config.ticks;
    let mut world = World::<N>::new(config).expect("a valid world");
    let (messages, crashes) = (Rc::new(Cell::new(0u64)), Rc::new(Cell::new(0usize)));
    let (m, c) = (messages.clone(), crashes.clone());
    world.subscribe(move |e: &dgame_engine::Event<'_>| match e {
        dgame_engine::Event::SignalSent { from: ServerId::Node(_), to: ServerId::Node(_), .. } => m.set(m.get() + 1),
        dgame_engine::Event::Fault { fault: Fault::Crash(_), .. } => c.set(c.get() + 1),
        _ => {}
    });
    world.subscribe(watch);
    while world.now() < ticks {
        world.tick().unwrap_or_else(|e| panic!("seed {seed}: the run failed: {e}"));
        after_tick(&world);
    }
    let history = world.history().clone();
    let verdict = history.check();
    Measured { run: Run { seed, history, verdict }, node_messages: messages.get(), crashes: crashes.get() }
}
