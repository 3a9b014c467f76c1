//! The search strategies: each makes plans (a configuration, maybe with a choice script or an
//! adversary), deterministically from the explorer's seed and its own run count.

use std::collections::BTreeSet;
use std::fmt;

use dgame_engine::{
    Adversary, Choice, ClientId, Config, Cut, Delay, Fate, Nemesis, NemesisKind, NodeId, ServerId, SignalId, SignalInfo,
    Tick,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// A way to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum StrategyKind {
    /// Each run draws its own fault mix: loss, duplication, delays, a nemesis, a cut, clients.
    Swarm,
    /// For a window of ticks, drop or hold back every message of one type, or between nodes.
    Targeted,
    /// At d = 1..3 points close together, hold one signal back as long as the timeouts allow.
    Pct,
    /// Every schedule with at most `depth` deviations from the default one, in short runs.
    Exhaustive,
}

impl StrategyKind {
    /// All of them, in the order a combined search takes turns.
    pub const ALL: [StrategyKind; 4] =
        [StrategyKind::Targeted, StrategyKind::Pct, StrategyKind::Swarm, StrategyKind::Exhaustive];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            StrategyKind::Swarm => "swarm",
            StrategyKind::Targeted => "targeted",
            StrategyKind::Pct => "pct",
            StrategyKind::Exhaustive => "exhaustive",
        }
    }

    fn number(self) -> u64 {
        match self {
            StrategyKind::Swarm => 1,
            StrategyKind::Targeted => 2,
            StrategyKind::Pct => 3,
            StrategyKind::Exhaustive => 4,
        }
    }
}

impl fmt::Display for StrategyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a default run of the configuration showed: the strategies aim at it.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// The message types sent, by short name, in name order.
    pub types: Vec<String>,
    /// Signals sent.
    pub signals: u64,
}

/// Which signals a targeted adversary meddles with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filter {
    /// Only messages of this type (short name).
    pub message: Option<String>,
    /// Only from these servers.
    pub from: Option<Vec<ServerId>>,
    /// Only to these servers.
    pub to: Option<Vec<ServerId>>,
    /// Also the other way (`to` -> `from`).
    pub both_ways: bool,
}

impl Filter {
    fn matches(&self, s: &SignalInfo<'_>) -> bool {
        if let Some(m) = &self.message
            && dgame_engine::message::short_type_name(s.message.type_name()) != m.as_str()
        {
            return false;
        }
        let within = |set: &Option<Vec<ServerId>>, x: ServerId| set.as_ref().is_none_or(|v| v.contains(&x));
        (within(&self.from, s.from) && within(&self.to, s.to))
            || (self.both_ways && within(&self.from, s.to) && within(&self.to, s.from))
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |v: &Option<Vec<ServerId>>| match v {
            None => "anyone".to_owned(),
            Some(v) => v.iter().map(ServerId::short).collect::<Vec<_>>().join(","),
        };
        let what = self.message.as_deref().unwrap_or("message");
        let arrow = if self.both_ways { "<->" } else { "->" };
        write!(f, "every {what} {} {arrow} {}", side(&self.from), side(&self.to))
    }
}

/// A targeted adversary: from tick `start` until `end`, every signal the filter matches is
/// dropped, or held back `hold` ticks.
#[derive(Debug, Clone, Serialize)]
pub struct Targeted {
    /// Which signals.
    pub filter: Filter,
    /// The first tick.
    pub start: Tick,
    /// The first tick after the window.
    pub end: Tick,
    /// `None`: drop them; else their delay.
    pub hold: Option<Tick>,
}

impl fmt::Display for Targeted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.hold {
            None => write!(f, "drop {} in ticks {}..{}", self.filter, self.start, self.end),
            Some(d) => write!(f, "hold {} back {d} ticks in ticks {}..{}", self.filter, self.start, self.end),
        }
    }
}

impl Adversary for Targeted {
    fn choose(&mut self, s: &SignalInfo<'_>, fate: &mut Fate) {
        if (self.start..self.end).contains(&s.tick) && self.filter.matches(s) {
            match self.hold {
                None => fate.lost = true,
                Some(d) => fate.delay = fate.delay.max(d),
            }
        }
    }
}

/// One run to make.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The strategy that made it.
    pub strategy: StrategyKind,
    /// The configuration (its `deviations` may hold a script).
    pub config: Config,
    /// An adversary, for the targeted strategy.
    pub adversary: Option<Targeted>,
    /// What the plan does, in words.
    pub label: String,
    /// For the exhaustive strategy: where this plan sits in its search.
    pub(crate) node: Option<ExhaustiveNode>,
}

/// The explorer's generator for (strategy, run), independent of every other.
fn rng(seed: u64, strategy: StrategyKind, run: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed ^ run.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    r.set_stream(strategy.number());
    r
}

/// The longest the timeouts let a signal be held back: past it, a hold is a drop.
pub fn hold_bound(base: &Config) -> Tick {
    let t = [base.gateway_timeout, base.client_timeout].into_iter().flatten().min().unwrap_or(60);
    t.max(base.delay.max() + 1)
}

fn nodes(c: &Config) -> Vec<ServerId> {
    (1..=c.nodes).map(|n| ServerId::Node(NodeId(n))).collect()
}

/// Swarm testing: a fault mix of its own for each run.
pub fn swarm(base: &Config, seed: u64, run: u64) -> Plan {
    let mut r = rng(seed, StrategyKind::Swarm, run);
    let mut c = Config { seed: base.seed.wrapping_add(run), ..base.clone() };
    let mut parts = Vec::new();
    let max = base.delay.max();
    c.delay = match r.random_range(0..5) {
        0 => base.delay,
        1 => Delay::Uniform { min: 1, max: max.max(2) * 2 },
        2 => Delay::Uniform { min: 1, max: (max * 4).max(8) },
        3 => Delay::Exponential { mean: max.max(2), max: (max * 8).max(20) },
        _ => Delay::Constant(1),
    };
    if c.delay != base.delay {
        parts.push(format!("delay {}", c.delay));
    }
    if r.random_bool(0.5) {
        c.loss = [0.01, 0.05, 0.1, 0.2][r.random_range(0..4)];
        parts.push(format!("loss {}", c.loss));
    }
    if r.random_bool(0.3) {
        c.duplicate = [0.02, 0.1][r.random_range(0..2)];
        parts.push(format!("duplicate {}", c.duplicate));
    }
    if base.clients > 1 {
        c.clients = r.random_range(2.min(base.clients)..=base.clients);
    }
    if r.random_bool(0.5) && c.nodes > 1 {
        let all = [NemesisKind::Partition, NemesisKind::Isolate, NemesisKind::Crash, NemesisKind::Pause];
        let mut kinds: Vec<NemesisKind> = all.into_iter().filter(|_| r.random_bool(0.5)).collect();
        if kinds.is_empty() {
            kinds.push(all[r.random_range(0..all.len())]);
        }
        let interval = r.random_range(20..=200);
        let n = Nemesis {
            kinds,
            interval,
            duration: r.random_range(10..=interval.max(20)),
            targets: r.random_range(1..=((c.nodes - 1) / 2).max(1)),
            recovery: base.nemesis.as_ref().map_or(100, |n| n.recovery).min(c.ticks / 4),
        };
        let kinds: Vec<String> = n.kinds.iter().map(|k| format!("{k:?}").to_lowercase()).collect();
        parts.push(format!("nemesis {} every ~{} for ~{}", kinds.join(","), n.interval, n.duration));
        c.nemesis = Some(n);
    }
    if r.random_bool(0.3) && c.nodes > 2 && c.ticks > 20 {
        // A node cut off from the other nodes, the gateway still talking to it: a partition
        // the nemesis does not make.
        let n = ServerId::Node(NodeId(r.random_range(1..=c.nodes)));
        let others: Vec<ServerId> = nodes(&c).into_iter().filter(|&x| x != n).collect();
        let at = r.random_range(1..c.ticks * 3 / 4);
        let heal = at + r.random_range(10..=(c.ticks / 4).max(11));
        parts.push(format!("{} cut from the nodes in ticks {at}..{heal}", n.short()));
        c.cuts.push(Cut { from: vec![n], to: others, one_way: false, at, heal: Some(heal) });
    }
    let label = if parts.is_empty() { "the default mix".to_owned() } else { parts.join(", ") };
    Plan { strategy: StrategyKind::Swarm, config: c, adversary: None, label, node: None }
}

/// Everything a targeted adversary can aim at, in a fixed order.
pub fn targets(base: &Config, probe: &Probe) -> Vec<Filter> {
    let nodes = nodes(base);
    let one = |s: ServerId| Some(vec![s]);
    let mut out = Vec::new();
    for n in &nodes {
        let others: Vec<ServerId> = nodes.iter().copied().filter(|x| x != n).collect();
        out.push(Filter { message: None, from: one(*n), to: Some(others), both_ways: true });
    }
    for t in &probe.types {
        out.push(Filter { message: Some(t.clone()), from: None, to: None, both_ways: false });
        for n in &nodes {
            out.push(Filter { message: Some(t.clone()), from: one(*n), to: None, both_ways: false });
            out.push(Filter { message: Some(t.clone()), from: None, to: one(*n), both_ways: false });
        }
    }
    for a in &nodes {
        for b in &nodes {
            if a != b {
                out.push(Filter { message: None, from: one(*a), to: one(*b), both_ways: false });
            }
        }
    }
    out.push(Filter { message: None, from: one(ServerId::Gateway), to: Some(nodes.clone()), both_ways: false });
    let clients: Vec<ServerId> = (1..=base.clients).map(|c| ServerId::Client(ClientId(c))).collect();
    if !clients.is_empty() {
        out.push(Filter { message: None, from: Some(clients), to: None, both_ways: true });
    }
    out
}

/// The targeted adversary: target `run` modulo the list (in an order shuffled once by the
/// seed), a random window, drop or hold.
pub fn targeted(base: &Config, targets: &[Filter], seed: u64, run: u64) -> Plan {
    let mut r = rng(seed, StrategyKind::Targeted, run);
    let c = Config { seed: base.seed.wrapping_add(run), ..base.clone() };
    let filter = targets[(run % targets.len() as u64) as usize].clone();
    let ticks = c.ticks.max(4);
    let len = r.random_range((ticks / 20).max(2)..=(ticks / 3).max(3));
    let start = r.random_range(1..=ticks.saturating_sub(len).max(1));
    let bound = hold_bound(base);
    let hold = if r.random_bool(0.5) { None } else { Some(r.random_range(base.delay.max() + 1..=bound)) };
    let t = Targeted { filter, start, end: start + len, hold };
    Plan { strategy: StrategyKind::Targeted, label: t.to_string(), config: c, adversary: Some(t), node: None }
}

/// PCT-style: `d` = 1, 2, 3 in turn; the first point anywhere among the signals a default run
/// sends, the others soon after it (a bug's deviations are close together); each point holds
/// its signal back as long as the timeouts allow, or drops it.
pub fn pct(base: &Config, probe: &Probe, max_depth: usize, seed: u64, run: u64) -> Plan {
    let mut r = rng(seed, StrategyKind::Pct, run);
    let c = Config { seed: base.seed.wrapping_add(run), ..base.clone() };
    let depth = 1 + (run as usize % max_depth.max(1));
    let signals = probe.signals.max(2);
    let window = 8 * u64::from(c.nodes).max(3);
    let bound = hold_bound(base);
    let mut script = base.deviations.clone();
    let first = r.random_range(1..=signals);
    let mut points = BTreeSet::from([first]);
    while points.len() < depth {
        points.insert(first + r.random_range(1..=window));
    }
    for &p in &points {
        let choice = if r.random_bool(0.25) { Choice::DROP } else { Choice::delay(bound) };
        script.insert(SignalId(p), choice);
    }
    let label = format!("d={depth}: {script}");
    Plan { strategy: StrategyKind::Pct, config: Config { deviations: script, ..c }, adversary: None, label, node: None }
}

/// Where a plan of the exhaustive search is: the last signal it deviates, and how many.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExhaustiveNode {
    last: u64,
    depth: usize,
}

/// The most nodes and clients the exhaustive search takes on.
pub const EXHAUSTIVE_MAX_NODES: u32 = 5;
/// See [`EXHAUSTIVE_MAX_NODES`].
pub const EXHAUSTIVE_MAX_CLIENTS: u32 = 3;

/// Why the exhaustive search does not fit a configuration, if it does not.
pub fn exhaustive_misfit(base: &Config) -> Option<String> {
    (base.nodes > EXHAUSTIVE_MAX_NODES || base.clients > EXHAUSTIVE_MAX_CLIENTS).then(|| {
        format!(
            "the exhaustive strategy is for small configurations (at most {EXHAUSTIVE_MAX_NODES} nodes and \
             {EXHAUSTIVE_MAX_CLIENTS} clients; this one has {} nodes and {} clients): use --strategy \
             swarm,targeted,pct, or fewer --nodes and --clients",
            base.nodes, base.clients
        )
    })
}

/// A run whose extensions (one more deviation, after its last) are still to be made.
#[derive(Debug)]
struct Expansion {
    config: Config,
    depth: usize,
    next: u64,
    to: u64,
    choice: usize,
}

/// Delay-bounded search by re-execution: every schedule with at most `depth` deviations from
/// the seed's (each a drop, a short reorder or a hold), fewest deviations first, in runs of
/// `horizon` ticks; a deviation after the first is within `window` signals of the one before
/// (a bug's deviations are close together). When a seed is exhausted, the next one.
#[derive(Debug)]
pub struct Exhaustive {
    base: Config,
    depth: usize,
    window: u64,
    queue: std::collections::VecDeque<Expansion>,
    choices: [Choice; 3],
    /// Seeds started.
    pub seeds_started: u64,
    /// Seeds whose every schedule within the bound ran.
    pub seeds_exhausted: u64,
    shard: (u64, u64),
    /// Schedules seen, to prune plans that change nothing.
    seen: std::collections::HashSet<u64>,
    /// The nodes' states over a whole run, seen (for hashable node types).
    seen_states: std::collections::HashSet<u64>,
    /// Plans not extended: their schedule, or their nodes' states, were another's.
    pub pruned: u64,
}

impl Exhaustive {
    /// The search of `base` (its ticks cut to `horizon`).
    pub fn new(base: &Config, depth: usize, horizon: Tick, shard: (u64, u64)) -> Self {
        let base = Config { ticks: base.ticks.min(horizon), ..base.clone() };
        let choices = [Choice::DROP, Choice::delay(base.delay.max() + 2), Choice::delay(hold_bound(&base))];
        Exhaustive {
            window: 8 * u64::from(base.nodes).max(3),
            base,
            depth,
            queue: Default::default(),
            choices,
            seeds_started: 0,
            seeds_exhausted: 0,
            shard,
            seen: Default::default(),
            seen_states: Default::default(),
            pruned: 0,
        }
    }

    /// The next plan, if one is ready (extensions wait for their run: `waiting` are running).
    pub fn next(&mut self, waiting: usize) -> Option<Plan> {
        while let Some(e) = self.queue.front_mut() {
            if e.next > e.to {
                self.queue.pop_front();
                continue;
            }
            let (s, choice) = (e.next, self.choices[e.choice]);
            e.choice += 1;
            if e.choice == self.choices.len() {
                e.choice = 0;
                e.next += 1;
            }
            let mut script = e.config.deviations.clone();
            script.insert(SignalId(s), choice);
            return Some(Plan {
                strategy: StrategyKind::Exhaustive,
                label: format!("seed {}, {script}", e.config.seed),
                config: Config { deviations: script, ..e.config.clone() },
                adversary: None,
                node: Some(ExhaustiveNode { last: s, depth: e.depth + 1 }),
            });
        }
        if waiting > 0 {
            return None;
        }
        if self.seeds_started > 0 {
            self.seeds_exhausted += 1;
        }
        let (k, n) = self.shard;
        let seed = self.base.seed.wrapping_add((k - 1) + self.seeds_started * n);
        self.seeds_started += 1;
        self.seen.clear();
        self.seen_states.clear();
        Some(Plan {
            strategy: StrategyKind::Exhaustive,
            label: format!("seed {seed}, the default schedule"),
            config: Config { seed, ..self.base.clone() },
            adversary: None,
            node: Some(ExhaustiveNode { last: 0, depth: 0 }),
        })
    }

    /// Learns from a plan's run (`signals` sent): unless its schedule, or the nodes' states
    /// over the run (when they hash), were seen before, its extensions are queued. A run whose
    /// deviation changed nothing, or whose nodes went through exactly another's states, is not
    /// extended: its extensions are (nearly always) another's.
    pub fn observe(&mut self, plan: &Plan, signals: u64, schedule: u64, states: Option<u64>) {
        let Some(node) = plan.node else { return };
        let new_schedule = self.seen.insert(schedule);
        let new_states = states.is_none_or(|s| self.seen_states.insert(s));
        if !(new_schedule && new_states) {
            self.pruned += 1;
            return;
        }
        if node.depth >= self.depth {
            return;
        }
        let to = if node.depth == 0 { signals } else { signals.min(node.last + self.window) };
        self.queue.push_back(Expansion {
            config: plan.config.clone(),
            depth: node.depth,
            next: node.last + 1,
            to,
            choice: 0,
        });
    }

    /// Runs whose extensions are still queued.
    pub fn frontier(&self) -> usize {
        self.queue.len()
    }
}
