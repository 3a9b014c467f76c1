//! The search strategies: each makes plans (a configuration, maybe with a choice script or an
//! adversary), deterministically from the explorer's seed and its own run count.

use std::fmt;

use dgame_engine::{
    Adversary, ClientId, Config, Cut, Delay, Fate, Nemesis, NemesisKind, NodeId, ServerId, SignalInfo, Tick,
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

/// What a priority change point does to its signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Point {
    /// Drop this one signal.
    Drop,
    /// Lower the priority of its chain (same sender, recipient and message type): it and
    /// every later signal of the chain are held back until `hold` ticks after it was sent.
    Chain,
    /// The same for its whole link (same sender and recipient, any type).
    Link,
}

/// PCT-style priority changes: at each point (a signal id), that signal's chain or link gets
/// the lowest priority for `hold` ticks: its signals arrive only when the time is up, after
/// everything else. (A chain of one signal is PCT's "hold one signal back".)
#[derive(Debug, Clone, Serialize)]
pub struct Demote {
    /// The change points, in signal order.
    pub points: Vec<(u64, Point)>,
    /// How long a demotion lasts: as long as the timeouts allow.
    pub hold: Tick,
    #[serde(skip)]
    active: Vec<(ServerId, ServerId, Option<&'static str>, Tick)>,
}

impl Demote {
    /// Demotions at these points.
    pub fn new(points: Vec<(u64, Point)>, hold: Tick) -> Self {
        Demote { points, hold, active: Vec::new() }
    }
}

impl fmt::Display for Demote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .points
            .iter()
            .map(|(s, p)| match p {
                Point::Drop => format!("drop signal {s}"),
                Point::Chain => format!("hold signal {s}'s chain"),
                Point::Link => format!("hold signal {s}'s link"),
            })
            .collect();
        write!(f, "{} ({} ticks)", parts.join(", "), self.hold)
    }
}

impl Adversary for Demote {
    fn choose(&mut self, s: &SignalInfo<'_>, fate: &mut Fate) {
        if let Some(&(_, point)) = self.points.iter().find(|p| p.0 == s.id.0) {
            match point {
                Point::Drop => fate.lost = true,
                Point::Chain => self.active.push((s.from, s.to, Some(s.message.type_name()), s.tick + self.hold)),
                Point::Link => self.active.push((s.from, s.to, None, s.tick + self.hold)),
            }
        }
        for &(from, to, message, until) in &self.active {
            if s.from == from && s.to == to && s.tick < until && message.is_none_or(|m| m == s.message.type_name()) {
                fate.delay = fate.delay.max(until - s.tick);
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
    /// Priority change points, for PCT and the exhaustive search.
    pub demote: Option<Demote>,
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
    // Duplication only when the flags ask for it: most algorithms' fault models leave it
    // out (the gateway forwards both copies of a client request, so a write can happen twice).
    if base.duplicate > 0.0 {
        c.duplicate = r.random_range(0.0..=(base.duplicate * 2.0).min(1.0));
        parts.push(format!("duplicate {:.3}", c.duplicate));
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
    Plan { strategy: StrategyKind::Swarm, config: c, adversary: None, demote: None, label, node: None }
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
    Plan {
        strategy: StrategyKind::Targeted,
        label: t.to_string(),
        config: c,
        adversary: Some(t),
        demote: None,
        node: None,
    }
}

/// PCT-style priority changes: `d` = 1, 2, 3 in turn; the first point anywhere among the
/// signals a default run sends, each next one a short geometric step after the one before
/// (a bug's deviations are close together: the signals of one broadcast are neighbours); each
/// point lowers its signal's chain (or link, or drops it) for as long as the timeouts allow.
pub fn pct(base: &Config, probe: &Probe, max_depth: usize, seed: u64, run: u64) -> Plan {
    let mut r = rng(seed, StrategyKind::Pct, run);
    let c = Config { seed: base.seed.wrapping_add(run), ..base.clone() };
    let depth = 1 + (run as usize % max_depth.max(1));
    let signals = probe.signals.max(2);
    let window = 4 * u64::from(c.nodes).max(3);
    let mut points = Vec::new();
    let mut at = r.random_range(1..=signals);
    while points.len() < depth {
        let point = match r.random_range(0..8) {
            0 => Point::Drop,
            1..=4 => Point::Chain,
            _ => Point::Link,
        };
        points.push((at, point));
        let mut step = 1;
        while step < window && r.random_bool(0.6) {
            step += 1;
        }
        at += step;
    }
    let demote = Demote::new(points, hold_bound(base));
    let label = format!("d={depth}: {demote}");
    Plan { strategy: StrategyKind::Pct, config: c, adversary: None, demote: Some(demote), label, node: None }
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
    points: Vec<(u64, Point)>,
    depth: usize,
    next: u64,
    to: u64,
    choice: usize,
}

/// Delay-bounded search by re-execution: every schedule with at most `depth` priority change
/// points (each a drop of one signal, or a hold of its chain or link), fewest first, in runs of
/// `horizon` ticks; a deviation after the first is within `window` signals of the one before
/// (a bug's deviations are close together). When a seed is exhausted, the next one.
#[derive(Debug)]
pub struct Exhaustive {
    base: Config,
    depth: usize,
    window: u64,
    queue: std::collections::VecDeque<Expansion>,
    choices: [Point; 3],
    hold: Tick,
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
        Exhaustive {
            choices: [Point::Drop, Point::Chain, Point::Link],
            hold: hold_bound(&base),
            window: 2 * u64::from(base.nodes).max(3),
            base,
            depth,
            queue: Default::default(),
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
            let mut points = e.points.clone();
            points.push((s, choice));
            let demote = Demote::new(points.clone(), self.hold);
            return Some(Plan {
                strategy: StrategyKind::Exhaustive,
                label: format!("seed {}, {demote}", e.config.seed),
                config: e.config.clone(),
                adversary: None,
                demote: Some(demote),
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
            demote: None,
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
            points: plan.demote.as_ref().map(|d| d.points.clone()).unwrap_or_default(),
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
