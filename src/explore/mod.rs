//! `dgame explore`'s search: strategies that choose signals' fates (and fault mixes) instead
//! of leaving them to the seed, run on every core, stopping at the first violation of
//! linearizability or of an invariant, then shrinking it to a short, replayable story.
//! See `docs/EXPLORE.md`.
//!
//! ```no_run
//! use distributed_game::cli::builtin;
//! use distributed_game::explore::{ExploreOptions, explore};
//! use distributed_game::engine::Config;
//!
//! let algorithms = builtin();
//! let abd = algorithms.iter().find(|a| a.name == "abd-no-write-back").unwrap();
//! let found = explore(abd, &Config::default(), &ExploreOptions { runs: Some(2_000), ..Default::default() })?;
//! if let Some(shrunk) = &found.shrunk {
//!     println!("{}", shrunk.report.reproduce); // dgame run ... --deviate '...'
//! }
//! # Ok::<(), String>(())
//! ```

mod shrink;
mod strategy;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use dgame_checker::Verdict;
use dgame_engine::{Adversary, Config, ConfigError, Fault, FaultKind, FaultModel, History, RunError, Tick};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashSet;

use crate::registry::{Algorithm, RunOptions};
use crate::report::{Report, RunOutput};
pub use shrink::{Shrunk, Size, shrink};
pub use strategy::{
    Demote, EXHAUSTIVE_MAX_CLIENTS, EXHAUSTIVE_MAX_NODES, Exhaustive, Filter, Plan, Point, Probe, QuietGuard,
    StrategyKind, Targeted, exhaustive_misfit, hold_bound, quiet_from,
};

/// What went wrong in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Violation {
    /// The clients' history is not linearizable.
    NotLinearizable {
        /// The operations the checker names.
        operations: Vec<usize>,
    },
    /// The history of another workload failed its checks (a broadcast value lost, a counter
    /// off, an id handed out twice).
    Invalid {
        /// The workload.
        workload: String,
        /// The operations the checker names.
        operations: Vec<usize>,
    },
    /// An invariant did not hold.
    Invariant {
        /// Its name.
        name: String,
        /// The tick.
        tick: Tick,
    },
    /// A handler panicked (or a node got a message it has no endpoint for): a bug too.
    Crash {
        /// The error.
        error: String,
        /// The tick.
        tick: Tick,
    },
}

impl Violation {
    /// Whether `other` is the same violation for the shrinker: the same invariant, or any
    /// linearizability violation, or any handler failure.
    pub fn same_kind(&self, other: &Violation) -> bool {
        match (self, other) {
            (Violation::NotLinearizable { .. }, Violation::NotLinearizable { .. })
            | (Violation::Invalid { .. }, Violation::Invalid { .. })
            | (Violation::Crash { .. }, Violation::Crash { .. }) => true,
            (Violation::Invariant { name: a, .. }, Violation::Invariant { name: b, .. }) => a == b,
            _ => false,
        }
    }

    /// The last tick that matters: the end of the last operation the checker names, or the
    /// tick of the break.
    pub fn end_tick(&self, history: &History) -> Option<Tick> {
        match self {
            Violation::NotLinearizable { operations } | Violation::Invalid { operations, .. } => operations
                .iter()
                .filter_map(|&i| history.operations.get(i))
                .map(|op| op.complete.unwrap_or(op.invoke))
                .max(),
            Violation::Invariant { tick, .. } | Violation::Crash { tick, .. } => Some(*tick),
        }
    }

    /// In a few words.
    pub fn describe(&self) -> String {
        match self {
            Violation::NotLinearizable { .. } => "not linearizable".to_owned(),
            Violation::Invalid { workload, .. } => format!("an invalid {workload} history"),
            Violation::Invariant { name, tick } => format!("invariant \"{name}\" broken at tick {tick}"),
            Violation::Crash { tick, .. } => format!("a handler failed at tick {tick}"),
        }
    }
}

/// The violation a run shows, if any.
pub fn classify(out: &RunOutput, verdict: Option<&Verdict>) -> Option<Violation> {
    match &out.error {
        Some(RunError::InvariantBroken { invariant, tick, .. }) => {
            Some(Violation::Invariant { name: invariant.clone(), tick: *tick })
        }
        Some(e @ (RunError::HandlerPanicked { tick, .. } | RunError::NoEndpoint { tick, .. })) => {
            Some(Violation::Crash { error: e.to_string(), tick: *tick })
        }
        Some(_) => None,
        None => match verdict {
            Some(Verdict::NotLinearizable { explanation }) => {
                Some(Violation::NotLinearizable { operations: explanation.ops.clone() })
            }
            Some(Verdict::Invalid { workload, explanation, .. }) => {
                Some(Violation::Invalid { workload: (*workload).to_owned(), operations: explanation.ops.clone() })
            }
            _ => None,
        },
    }
}

/// How to explore.
#[derive(Debug, Clone)]
pub struct ExploreOptions {
    /// The strategies, taking turns (empty: all that fit the configuration).
    pub strategies: Vec<StrategyKind>,
    /// Stop after this many runs.
    pub runs: Option<u64>,
    /// Stop after this much wall-clock time (checked between batches of runs).
    pub time: Option<Duration>,
    /// PCT's deepest bug depth (d = 1..=depth) and the exhaustive search's deviation bound
    /// (at most 2 of them: it grows fast).
    pub depth: usize,
    /// Ticks of an exhaustive run.
    pub horizon: Tick,
    /// Only the K-th of N shares of each strategy's runs.
    pub shard: (u64, u64),
    /// Shrink the first violation.
    pub shrink: bool,
    /// Aim the targeted strategy only at these (`None`: at everything a default run shows).
    pub targets: Option<Vec<Filter>>,
    /// The kinds of fault the strategies may inject (`None`: the algorithm's fault model, or
    /// every kind for an algorithm that declares none). What the starting configuration asks
    /// for (`--loss`, `--nemesis`, `--fault`, ...) is injected whatever this says.
    pub faults: Option<FaultModel>,
    /// Asked between batches: when it says yes, the search stops there and reports what it
    /// searched (`dgame explore` passes whether Ctrl-C was pressed).
    pub stop: Option<fn() -> bool>,
}

impl Default for ExploreOptions {
    fn default() -> Self {
        ExploreOptions {
            strategies: Vec::new(),
            runs: None,
            time: None,
            depth: 3,
            horizon: 120,
            shard: (1, 1),
            shrink: true,
            targets: None,
            faults: None,
            stop: None,
        }
    }
}

/// A violation found.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    /// The strategy that found it.
    pub strategy: StrategyKind,
    /// What its plan did.
    pub plan: String,
    /// After how many runs (this one included).
    pub after_runs: u64,
    /// After how long, in seconds.
    pub after_seconds: f64,
    /// The violation.
    pub violation: Violation,
    /// The run's report; its configuration carries the choice script that replays it.
    pub report: Report,
    /// The targeted adversary that found it, if one did (the shrinker narrows its window
    /// before it works on the script).
    #[serde(skip)]
    pub targeted: Option<Targeted>,
    /// The last tick that matters (see [`Violation::end_tick`]).
    pub end_tick: Tick,
}

/// The shrunk violation.
#[derive(Debug, Clone, Serialize)]
pub struct ShrunkReport {
    /// Sizes before.
    pub before: Size,
    /// Sizes after.
    pub after: Size,
    /// Runs the shrinker made.
    pub runs: u64,
    /// The violation of the shrunk run.
    pub violation: Violation,
    /// The shrunk run's report, with the command that replays it.
    pub report: Report,
}

/// How hard the search tried.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Searched {
    /// Runs made.
    pub runs: u64,
    /// Runs by strategy.
    pub runs_by_strategy: BTreeMap<String, u64>,
    /// Distinct schedules (signal fates) among the runs.
    pub distinct_schedules: usize,
    /// Distinct states of all nodes at the end of a tick, over all runs (`None`: the node type
    /// does not hash).
    pub distinct_states: Option<usize>,
    /// Faults and deviations injected, by kind, summed over the runs.
    pub injected: BTreeMap<String, u64>,
    /// The longest run, in ticks.
    pub longest_run_ticks: u64,
    /// The most operations in one run.
    pub most_operations: usize,
    /// Runs that stopped on an error that is not a violation (a scheduled fault that does not
    /// fit, say).
    pub errors: u64,
    /// What stopped the search: `violation`, `runs`, `time`, `exhausted`.
    pub stopped_by: String,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Runs per second.
    pub runs_per_second: f64,
    /// The exhaustive search: seeds exhausted within the bound, and plans pruned.
    pub exhaustive: Option<ExhaustiveProgress>,
    /// Strategies asked for that do not fit the configuration, and why.
    pub skipped: Vec<String>,
    /// Runs made after the violation, looking for an earlier one to shrink.
    pub shrink_search_runs: u64,
}

/// How far the exhaustive search got.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ExhaustiveProgress {
    /// Seeds whose every schedule within the bound ran.
    pub seeds_exhausted: u64,
    /// Seeds started.
    pub seeds_started: u64,
    /// Runs not extended because their schedule or states were another's.
    pub pruned: u64,
    /// The deviation bound.
    pub depth: usize,
    /// Ticks per run.
    pub horizon: Tick,
}

/// What `explore` did.
#[derive(Debug, Clone, Serialize)]
pub struct Exploration {
    /// The algorithm.
    pub algorithm: String,
    /// The strategies that took turns.
    pub strategies: Vec<StrategyKind>,
    /// The budget, in words.
    pub budget: String,
    /// The kinds of fault the strategies injected, in words (`delays, loss, partitions`).
    pub faults: String,
    /// The kinds they left out, each with why: `crashes: not in primary-backup's fault model
    /// (--inject all to include them)`.
    pub left_out: Vec<String>,
    /// How hard it tried.
    pub searched: Searched,
    /// The first violation.
    pub found: Option<Found>,
    /// It, shrunk.
    pub shrunk: Option<ShrunkReport>,
}

/// One run's result, as the search keeps it.
struct Executed {
    out: RunOutput,
    verdict: Option<Verdict>,
    violation: Option<Violation>,
    /// Signals sent before the quiet period (all of them without one): the highest such id.
    eligible: u64,
}

/// Runs `config` with `adversary` kept out of the quiet period ([`QuietGuard`]); also says how
/// many signals were sent before it. Every run the explorer and its shrinker make goes through
/// here.
pub(crate) fn run_guarded(
    algorithm: &Algorithm,
    config: &Config,
    adversary: Option<Box<dyn Adversary>>,
    track_states: bool,
) -> Result<(RunOutput, u64), ConfigError> {
    let eligible = Rc::new(Cell::new(0));
    let adversary = match quiet_from(config) {
        Some(from) => Some(Box::new(QuietGuard::new(adversary, from, eligible.clone())) as Box<dyn Adversary>),
        None => adversary,
    };
    let guarded = quiet_from(config).is_some();
    let out = algorithm.run_with(config, RunOptions { adversary, track_states, observer: None })?;
    let eligible = if guarded { eligible.get() } else { out.stats.sent };
    Ok((out, eligible))
}

fn execute(algorithm: &Algorithm, plan: &Plan, track_states: bool) -> Executed {
    let adversary = match (&plan.adversary, &plan.demote) {
        (Some(t), _) => Some(Box::new(t.clone()) as Box<dyn Adversary>),
        (None, Some(d)) => Some(Box::new(d.clone()) as Box<dyn Adversary>),
        (None, None) => None,
    };
    let (out, eligible) =
        run_guarded(algorithm, &plan.config, adversary, track_states).expect("plans are valid configurations");
    let verdict = out.error.is_none().then(|| out.history.check());
    let violation = classify(&out, verdict.as_ref());
    Executed { out, verdict, violation, eligible }
}

/// The kinds of fault a configuration asks for itself: they are injected whatever the fault
/// model says.
fn asked(base: &Config) -> FaultModel {
    let mut m = FaultModel::DELAYS_ONLY;
    if base.loss > 0.0 || base.deviations.iter().any(|(_, c)| c.lost == Some(true)) {
        m = m.with(FaultKind::Loss);
    }
    if base.duplicate > 0.0 || base.deviations.iter().any(|(_, c)| c.duplicate == Some(true)) {
        m = m.with(FaultKind::Duplication);
    }
    if !base.cuts.is_empty() {
        m = m.with(FaultKind::Partition);
    }
    for k in base.nemesis.iter().flat_map(|n| &n.kinds) {
        m = m.with(FaultKind::of_nemesis(*k));
    }
    for s in &base.schedule {
        match s.fault {
            Fault::Drop(_) => m = m.with(FaultKind::Loss),
            Fault::Cut { .. } | Fault::Isolate(_) => m = m.with(FaultKind::Partition),
            Fault::Crash(_) => m = m.with(FaultKind::Crash),
            Fault::Pause(_) => m = m.with(FaultKind::Pause),
            _ => {}
        }
    }
    m
}

/// The kinds of fault the strategies inject, and the kinds left out, each with why.
fn injectable(algorithm: &Algorithm, base: &Config, options: &ExploreOptions) -> (FaultModel, Vec<String>) {
    let asked = asked(base);
    let (model, why) = match (options.faults, algorithm.faults) {
        (Some(m), _) => (m, "not in --inject".to_owned()),
        (None, Some(m)) => (m, format!("not in {}'s fault model (--inject all to include them)", algorithm.name)),
        (None, None) => (FaultModel::ALL, String::new()),
    };
    // Duplication comes only from the configuration (`--duplicate`, which swarm varies up to
    // twice): the explorer never adds it on its own, so it is never "left out" either.
    let mut injected =
        FaultModel::new(&model.kinds().into_iter().filter(|&k| k != FaultKind::Duplication).collect::<Vec<_>>());
    for k in asked.kinds() {
        injected = injected.with(k);
    }
    let left_out = injected
        .missing()
        .into_iter()
        .filter(|&k| k != FaultKind::Duplication)
        .map(|k| format!("{}: {why}", k.plural()))
        .collect();
    (injected, left_out)
}

/// Runs made together: results stay deterministic (the first violation is the first in plan
/// order of the first batch with one), and both cores stay busy.
const BATCH: usize = 32;

/// The distinct states kept at most (memory); past it the count is a lower bound.
const MAX_STATES: usize = 4_000_000;

/// Explores `base` with `algorithm`: see the module docs. `on_batch(runs)` is called after
/// every batch (a progress bar).
pub fn explore_with(
    algorithm: &Algorithm,
    base: &Config,
    options: &ExploreOptions,
    on_batch: &(dyn Fn(u64) + Sync),
) -> Result<Exploration, String> {
    base.validate().map_err(|e| e.to_string())?;
    if options.runs == Some(0) || options.time.is_some_and(|t| t.is_zero()) {
        return Err("the budget is empty: give --runs 1 or more, or a --budget above 0s".into());
    }
    let (k, n) = options.shard;
    if n == 0 || k == 0 || k > n {
        return Err(format!("`{k}/{n}` is not a shard: write K/N with 1 <= K <= N"));
    }
    let mut skipped = Vec::new();
    let strategies: Vec<StrategyKind> = if options.strategies.is_empty() {
        StrategyKind::ALL
            .into_iter()
            .filter(|s| match (s, exhaustive_misfit(base)) {
                (StrategyKind::Exhaustive, Some(why)) => {
                    skipped.push(format!("exhaustive: {why}"));
                    false
                }
                _ => true,
            })
            .collect()
    } else {
        if options.strategies.contains(&StrategyKind::Exhaustive)
            && let Some(why) = exhaustive_misfit(base)
        {
            return Err(why);
        }
        let mut s = options.strategies.clone();
        s.dedup();
        s
    };
    let track = algorithm.is_hashable();
    let (model, left_out) = injectable(algorithm, base, options);
    let started = Instant::now();
    // A default run shows what to aim at: the message types and how many signals (before the
    // quiet period, when there is one).
    let (probe_out, signals) = run_guarded(algorithm, base, None, false).map_err(|e| e.to_string())?;
    let probe = Probe { types: probe_out.messages.by_type.keys().cloned().collect(), signals };
    let targets = options.targets.clone().unwrap_or_else(|| strategy::targets(base, &probe));
    let mut exhaustive = strategies
        .contains(&StrategyKind::Exhaustive)
        .then(|| Exhaustive::new(base, model, options.depth.min(2), options.horizon, options.shard));
    let seed = base.seed;
    let mut counters: BTreeMap<StrategyKind, u64> = BTreeMap::new();
    let mut searched = Searched { skipped, ..Searched::default() };
    let mut schedules: HashSet<u64> = HashSet::new();
    let mut states: HashSet<u64> = HashSet::new();
    let mut found: Option<Found> = None;
    let mut turn = 0usize;
    let stopped_by = loop {
        if let Some(max) = options.runs
            && searched.runs >= max
        {
            break "runs";
        }
        if let Some(t) = options.time
            && started.elapsed() >= t
        {
            break "time";
        }
        if options.stop.is_some_and(|stop| stop()) {
            break "interrupt";
        }
        let room = options.runs.map_or(BATCH as u64, |m| (m - searched.runs).min(BATCH as u64)) as usize;
        // The strategies take turns filling the batch.
        let mut plans: Vec<Plan> = Vec::with_capacity(room);
        let mut idle = 0;
        while plans.len() < room && idle < strategies.len() {
            let s = strategies[turn % strategies.len()];
            turn += 1;
            let plan = match s {
                StrategyKind::Exhaustive => {
                    let waiting = plans.iter().filter(|p| p.strategy == StrategyKind::Exhaustive).count();
                    exhaustive.as_mut().and_then(|e| e.next(waiting))
                }
                _ => {
                    // This shard's share of the strategy's runs: every N-th, from the K-th.
                    let c = counters.entry(s).or_insert(0);
                    let run = (k - 1) + *c * n;
                    *c += 1;
                    Some(match s {
                        StrategyKind::Swarm => strategy::swarm(base, model, seed, run),
                        StrategyKind::Targeted => strategy::targeted(base, model, &targets, seed, run),
                        _ => strategy::pct(base, model, &probe, options.depth, seed, run),
                    })
                }
            };
            match plan {
                Some(p) => {
                    idle = 0;
                    plans.push(p);
                }
                None => idle += 1,
            }
        }
        if plans.is_empty() {
            break "exhausted";
        }
        let results: Vec<Executed> = plans.par_iter().map(|p| execute(algorithm, p, track)).collect();
        for (plan, r) in plans.iter().zip(results) {
            searched.runs += 1;
            *searched.runs_by_strategy.entry(plan.strategy.name().to_owned()).or_insert(0) += 1;
            schedules.insert(r.out.schedule);
            let mut run_states = None;
            if track {
                if states.len() < MAX_STATES {
                    states.extend(r.out.states.iter().copied());
                }
                run_states = Some(r.out.states.iter().fold(0u64, |h, &s| h.rotate_left(5) ^ s));
            }
            if let Some(e) = exhaustive.as_mut() {
                e.observe(plan, r.eligible, r.out.schedule, run_states);
            }
            count_injected(&mut searched.injected, &r.out);
            searched.longest_run_ticks = searched.longest_run_ticks.max(r.out.ticks_run);
            searched.most_operations = searched.most_operations.max(r.out.history.operations.len());
            if r.out.error.is_some() && r.violation.is_none() {
                searched.errors += 1;
            }
            if found.is_none()
                && let Some(v) = r.violation
            {
                // The run replays from its configuration and the deviations it made.
                let config = Config { deviations: r.out.deviations.clone(), ..plan.config.clone() };
                found = Some(Found {
                    strategy: plan.strategy,
                    plan: plan.label.clone(),
                    after_runs: searched.runs,
                    after_seconds: started.elapsed().as_secs_f64(),
                    report: Report::new(crate::cli::program(), algorithm.name, &config, &r.out, r.verdict.as_ref()),
                    targeted: plan.adversary.clone(),
                    end_tick: v.end_tick(&r.out.history).unwrap_or(r.out.ticks_run),
                    violation: v,
                });
            }
        }
        on_batch(searched.runs);
        if found.is_some() {
            break "violation";
        }
    };
    searched.stopped_by = stopped_by.to_owned();
    searched.seconds = started.elapsed().as_secs_f64();
    searched.runs_per_second = if searched.seconds > 0.0 { searched.runs as f64 / searched.seconds } else { 0.0 };
    searched.distinct_schedules = schedules.len();
    searched.distinct_states = track.then_some(states.len());
    searched.exhaustive = exhaustive.as_ref().map(|e| ExhaustiveProgress {
        seeds_exhausted: e.seeds_exhausted,
        seeds_started: e.seeds_started,
        pruned: e.pruned,
        depth: options.depth.min(2),
        horizon: options.horizon.min(base.ticks),
    });
    let mut shrunk = None;
    if options.shrink
        && let Some(f) = found.as_mut()
    {
        earlier(algorithm, base, options, f, &mut searched);
    }
    if let Some(f) = &found {
        let config = &f.report.config;
        // The script alone (no adversary) must replay the violation: a check of the chooser.
        let again = algorithm.run(config).map_err(|e| e.to_string())?;
        let verdict = again.error.is_none().then(|| again.history.check());
        if !classify(&again, verdict.as_ref()).is_some_and(|v| v.same_kind(&f.violation)) {
            return Err(format!(
                "internal error: the run found by {} did not replay from its choice script ({})",
                f.strategy, f.report.reproduce
            ));
        }
        if options.shrink {
            let narrowed = f.targeted.as_ref().map(|t| narrow(algorithm, config, t, &f.violation));
            let config = narrowed.as_ref().unwrap_or(config);
            let s = shrink(algorithm, config, &f.violation);
            let out = algorithm.run(&s.config).map_err(|e| e.to_string())?;
            let verdict = out.error.is_none().then(|| out.history.check());
            let violation = classify(&out, verdict.as_ref()).unwrap_or_else(|| f.violation.clone());
            shrunk = Some(ShrunkReport {
                before: s.before,
                after: s.after,
                runs: s.runs,
                violation,
                report: Report::new(crate::cli::program(), algorithm.name, &s.config, &out, verdict.as_ref()),
            });
        }
    }
    let budget = match (options.runs, options.time) {
        (Some(r), Some(t)) => format!("{r} runs or {} of wall-clock time", seconds(t)),
        (Some(r), None) => format!("{r} runs"),
        (None, Some(t)) => format!("{} of wall-clock time", seconds(t)),
        (None, None) => "none (until a violation or the exhaustive search ends)".to_owned(),
    };
    Ok(Exploration {
        algorithm: algorithm.name.to_owned(),
        strategies,
        budget,
        faults: model.to_string(),
        left_out,
        searched,
        found,
        shrunk,
    })
}

/// Runs a configuration (with an adversary) and says how it fails, if it does.
fn violation_of(algorithm: &Algorithm, config: &Config, adversary: Option<Targeted>) -> Option<(Violation, RunOutput)> {
    let (out, _) = run_guarded(algorithm, config, adversary.map(|t| Box::new(t) as Box<dyn Adversary>), false).ok()?;
    let verdict = out.error.is_none().then(|| out.history.check());
    classify(&out, verdict.as_ref()).map(|v| (v, out))
}

/// Runs the explorer re-searches for an earlier violation, at least and at most, each time.
const EARLIER_RUNS: (u64, u64) = (600, 4_000);

/// Looks for the same kind of violation in runs half as long, with the strategy that found
/// it, as long as it finds one: a violation at tick 80 has far fewer operations before it
/// than one at tick 600, and no shrinking of a schedule can remove those.
fn earlier(algorithm: &Algorithm, base: &Config, options: &ExploreOptions, found: &mut Found, searched: &mut Searched) {
    let mut rounds = 0;
    while rounds < 6 {
        rounds += 1;
        let ticks = found.end_tick / 2;
        if ticks < 20 {
            return;
        }
        let shorter = Config { ticks, ..base.clone() };
        let sub = ExploreOptions {
            strategies: vec![found.strategy],
            runs: Some((3 * found.after_runs).clamp(EARLIER_RUNS.0, EARLIER_RUNS.1)),
            time: None,
            shrink: false,
            targets: found.targeted.as_ref().map(|t| vec![t.filter.clone()]),
            ..options.clone()
        };
        let Ok(e) = explore_with(algorithm, &shorter, &sub, &|_| {}) else { return };
        searched.shrink_search_runs += e.searched.runs;
        match e.found {
            Some(f) if f.violation.same_kind(&found.violation) => {
                *found = Found { after_runs: found.after_runs, after_seconds: found.after_seconds, ..f };
            }
            _ => return,
        }
    }
}

/// Narrows a targeted adversary's window (later start, earlier end, halving the step) while
/// the violation stays, and gives the configuration with the narrowed run's script.
fn narrow(algorithm: &Algorithm, config: &Config, t: &Targeted, want: &Violation) -> Config {
    let plain = Config { deviations: dgame_engine::Script::default(), ..config.clone() };
    let fails = |t: &Targeted| {
        violation_of(algorithm, &plain, Some(t.clone())).filter(|(v, _)| v.same_kind(want)).map(|(_, out)| out)
    };
    let mut best = t.clone();
    let Some(mut out) = fails(&best) else { return config.clone() };
    for side in [0, 1] {
        let mut step = (best.end - best.start) / 2;
        while step > 0 {
            let mut cand = best.clone();
            if side == 0 {
                cand.end -= step;
            } else {
                cand.start += step;
            }
            match (cand.start < cand.end).then(|| fails(&cand)).flatten() {
                Some(o) => {
                    best = cand;
                    out = o;
                }
                None => step /= 2,
            }
        }
    }
    Config { deviations: out.deviations, ..plain }
}

/// [`explore_with`] without a progress callback.
pub fn explore(algorithm: &Algorithm, base: &Config, options: &ExploreOptions) -> Result<Exploration, String> {
    explore_with(algorithm, base, options, &|_| {})
}

fn seconds(t: Duration) -> String {
    format!("{}s", t.as_secs_f64())
}

fn count_injected(into: &mut BTreeMap<String, u64>, out: &RunOutput) {
    let mut add = |k: &str, n: u64| {
        if n > 0 {
            *into.entry(k.to_owned()).or_insert(0) += n;
        }
    };
    for f in &out.faults {
        add(&f.kind, 1);
    }
    add("signals lost on the wire", out.stats.dropped_loss);
    add("signals duplicated", out.stats.duplicated);
    let (mut dropped, mut delayed, mut delivered) = (0, 0, 0);
    for (_, c) in out.deviations.iter() {
        match c.lost {
            Some(true) => dropped += 1,
            Some(false) => delivered += 1,
            None => {}
        }
        if c.delay.is_some() {
            delayed += 1;
        }
    }
    add("signals dropped by a strategy", dropped);
    add("signals held back by a strategy", delayed);
    add("lost signals delivered by a strategy", delivered);
}

#[cfg(test)]
mod tests {
    use super::*;
    use dgame_engine::{NodeId, ServerId, Workload};

    /// The false alarm a newcomer found: g-counter "caught" by dropping, inside the quiet
    /// period (ticks 122-221), n3's messages to and from the other nodes.
    #[test]
    fn the_guard_leaves_the_quiet_period_to_the_seed() {
        let g = crate::registry::builtin().into_iter().find(|a| a.name == "g-counter").unwrap();
        let config = Config { workload: Workload::Counter, seed: 257, ticks: 221, ..Config::default() };
        assert_eq!(quiet_from(&config), Some(122));
        let n = |i| ServerId::Node(NodeId(i));
        let filter = Filter { message: None, from: Some(vec![n(3)]), to: Some(vec![n(1), n(2)]), both_ways: true };
        let drop = Targeted { filter, start: 119, end: 178, hold: None };
        // Unguarded, the drops reach into the quiet period and the final reads cannot converge.
        let bare = RunOptions { adversary: Some(Box::new(drop.clone())), ..RunOptions::default() };
        let out = g.run_with(&config, bare).unwrap();
        let verdict = out.history.check();
        assert!(matches!(classify(&out, Some(&verdict)), Some(Violation::Invalid { .. })), "{verdict}");
        // Guarded, only the signals of ticks 119 to 121 are dropped, and g-counter converges.
        let (out, eligible) = run_guarded(&g, &config, Some(Box::new(drop)), false).unwrap();
        let verdict = out.history.check();
        assert_eq!(classify(&out, Some(&verdict)), None, "{verdict}");
        assert!(!out.deviations.is_empty() && out.deviations.iter().all(|(id, _)| id.0 <= eligible));
        assert!(eligible > 0 && eligible < out.stats.sent);
    }
}
