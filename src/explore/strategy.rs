//! The search strategies: each makes plans (a configuration, maybe with a choice script or an
//! adversary), deterministically from the explorer's seed and its own run count.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use dgame_engine::{
    Adversary, ClientId, Config, Cut, Delay, Fate, FaultKind, FaultModel, Nemesis, NemesisKind, NodeId, ServerId,
    SignalInfo, Tick,
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

/// The first tick of the quiet period of a workload with final reads (`None`: the workload
/// has none). The explorer makes no choice from this tick on: the final reads must see where
/// the algorithm converges once every fault has healed, as the workload promises, not a
/// network the explorer still breaks.
pub fn quiet_from(c: &Config) -> Option<Tick> {
    c.workload.has_final_reads().then(|| c.last_invoke().saturating_add(1))
}

/// The one place that keeps the explorer out of the quiet period: it passes a signal sent
/// before [`quiet_from`] to the strategy's adversary (if any) and leaves the seed's fate to
/// every later one. It also counts the signals sent before the quiet period (the highest such
/// id), the range PCT and the exhaustive search choose from.
pub struct QuietGuard {
    inner: Option<Box<dyn Adversary>>,
    from: Tick,
    eligible: Rc<Cell<u64>>,
}

impl QuietGuard {
    /// Guards `inner` for a run whose quiet period starts at `from`; `eligible` receives the
    /// highest id of a signal sent before it.
    pub fn new(inner: Option<Box<dyn Adversary>>, from: Tick, eligible: Rc<Cell<u64>>) -> Self {
        QuietGuard { inner, from, eligible }
    }
}

impl Adversary for QuietGuard {
    fn choose(&mut self, s: &SignalInfo<'_>, fate: &mut Fate) {
        if s.tick >= self.from {
            return;
        }
        self.eligible.set(self.eligible.get().max(s.id.0));
        if let Some(inner) = &mut self.inner {
            inner.choose(s, fate);
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

/// The nemesis kinds a fault model allows, in the order swarm draws them.
fn nemesis_kinds(model: FaultModel) -> Vec<NemesisKind> {
    [NemesisKind::Partition, NemesisKind::Isolate, NemesisKind::Crash, NemesisKind::Pause]
        .into_iter()
        .filter(|&k| model.tolerates(FaultKind::of_nemesis(k)))
        .collect()
}

/// Swarm testing: a fault mix of its own for each run, of the kinds `model` allows; faults
/// start before the quiet period.
pub fn swarm(base: &Config, model: FaultModel, seed: u64, run: u64) -> Plan {
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
        let loss = [0.01, 0.05, 0.1, 0.2][r.random_range(0..4)];
        if model.tolerates(FaultKind::Loss) {
            c.loss = loss;
            parts.push(format!("loss {}", c.loss));
        }
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
    let all = nemesis_kinds(model);
    if r.random_bool(0.5) && c.nodes > 1 && !all.is_empty() {
        let mut kinds: Vec<NemesisKind> = all.iter().copied().filter(|_| r.random_bool(0.5)).collect();
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
    // The faults end before the quiet period (the engine heals what is left at its start).
    let end = c.last_invoke();
    if r.random_bool(0.3) && c.nodes > 2 && end > 20 && model.tolerates(FaultKind::Partition) {
        // A node cut off from the other nodes, the gateway still talking to it: a partition
        // the nemesis does not make.
        let n = ServerId::Node(NodeId(r.random_range(1..=c.nodes)));
        let others: Vec<ServerId> = nodes(&c).into_iter().filter(|&x| x != n).collect();
        let at = r.random_range(1..end * 3 / 4);
        let heal = at + r.random_range(10..=(end / 4).max(11));
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
/// seed), a random window before the quiet period, drop (if `model` has loss) or hold.
pub fn targeted(base: &Config, model: FaultModel, targets: &[Filter], seed: u64, run: u64) -> Plan {
    let mut r = rng(seed, StrategyKind::Targeted, run);
    let c = Config { seed: base.seed.wrapping_add(run), ..base.clone() };
    let filter = targets[(run % targets.len() as u64) as usize].clone();
    let ticks = c.last_invoke().max(4);
    let len = r.random_range((ticks / 20).max(2)..=(ticks / 3).max(3));
    let start = r.random_range(1..=ticks.saturating_sub(len).max(1));
    let bound = hold_bound(base);
    let drop = r.random_bool(0.5) && model.tolerates(FaultKind::Loss);
    let hold = if drop { None } else { Some(r.random_range(base.delay.max() + 1..=bound)) };
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
/// point lowers its signal's chain (or link, or drops it, if `model` has loss) for as long as
/// the timeouts allow.
pub fn pct(base: &Config, model: FaultModel, probe: &Probe, max_depth: usize, seed: u64, run: u64) -> Plan {
    let mut r = rng(seed, StrategyKind::Pct, run);
    let c = Config { seed: base.seed.wrapping_add(run), ..base.clone() };
    let depth = 1 + (run as usize % max_depth.max(1));
    let signals = probe.signals.max(2);
    let window = 4 * u64::from(c.nodes).max(3);
    let mut points = Vec::new();
    let mut at = r.random_range(1..=signals);
    while points.len() < depth {
        let point = match r.random_range(0..8) {
            0 if model.tolerates(FaultKind::Loss) => Point::Drop,
            0..=4 => Point::Chain,
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
    choices: Vec<Point>,
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
    /// The search of `base` (its ticks cut to `horizon`); drops only if `model` has loss.
    pub fn new(base: &Config, model: FaultModel, depth: usize, horizon: Tick, shard: (u64, u64)) -> Self {
        // With final reads, the horizon counts the ticks before the quiet period, which the
        // run still needs whole.
        let quiet = if base.workload.has_final_reads() { base.quiet_ticks() } else { 0 };
        let base = Config { ticks: base.ticks.min(horizon.saturating_add(quiet)), ..base.clone() };
        let drop = model.tolerates(FaultKind::Loss).then_some(Point::Drop);
        Exhaustive {
            choices: drop.into_iter().chain([Point::Chain, Point::Link]).collect(),
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

    /// Learns from a plan's run (`signals` sent before the quiet period): unless its schedule, or the nodes' states
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
