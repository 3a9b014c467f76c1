//! `dgame sweep`: one configuration over many seeds, on every core, stopping at (and shrinking)
//! the first violation. The summary keeps counters, histograms and bounded lists only, so its
//! memory does not grow with the number of seeds, and summaries of shards merge exactly
//! (`dgame merge`).

use std::collections::BTreeMap;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use dgame_checker::Verdict;
use dgame_engine::watchdog::Stuck;
use dgame_engine::{Config, RunError};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use super::args::{RunArgs, whole_with_limit};
use super::interrupt::{self, EXIT_INTERRUPTED};
use super::{print_out, program};
use crate::registry::{Algorithm, choose_for};
use crate::report::{Report, VerdictReport, error_kind, figures};
use crate::watch::{self, OnStuck};

/// How many seeds each list of a summary keeps (the smallest ones).
pub const LISTED_SEEDS: usize = 10;

/// `dgame sweep` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct SweepArgs {
    #[command(flatten)]
    run: RunArgs,
    /// The seeds: `0..10000` (the end is excluded), `0..=9999`, or one seed: `7`.
    #[arg(long, default_value = "0..1000", value_parser = parse_seeds)]
    seeds: Range<u64>,
    /// Go on after a violation.
    #[arg(long)]
    keep_going: bool,
    /// Take only the K-th of N shares of the seeds (`--shard 2/4`): seeds whose position in the
    /// range is K-1 modulo N. The N shards together cover every seed once; `dgame merge`
    /// combines their `--json` summaries.
    #[arg(long, value_parser = parse_shard, value_name = "K/N")]
    shard: Option<(u64, u64)>,
    /// Do not search for a smaller failing run.
    #[arg(long)]
    no_shrink: bool,
    /// Threads to run seeds on (default: one per core).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_threads)]
    threads: Option<usize>,
    /// Print the summary as JSON (what `dgame merge` reads).
    #[arg(long)]
    json: bool,
}

fn parse_threads(s: &str) -> Result<usize, String> {
    match whole_with_limit::<usize>("--threads", "--threads must be at most 1024".to_owned())(s)? {
        0 => Err("--threads must be at least 1, got 0".into()),
        n if n > 1024 => Err(format!("--threads must be at most 1024, got {n}")),
        n => Ok(n),
    }
}

fn parse_seeds(s: &str) -> Result<Range<u64>, String> {
    let bad =
        || format!("`{s}` is not a seed range: write `0..10000` (the end is excluded), `0..=9999`, or one seed, `7`");
    let seed = |part: &str| -> Result<u64, String> {
        let part = part.trim();
        match part.parse::<u64>() {
            Ok(n) => Ok(n),
            // A whole number, just too large: say so, rather than that the range is malformed.
            Err(_) if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) => {
                Err(format!("--seeds `{s}`: {part} is above the largest seed, {} (seeds are 64-bit)", u64::MAX))
            }
            Err(_) => Err(bad()),
        }
    };
    let Some((a, b)) = s.split_once("..") else {
        // One seed alone.
        let a = seed(s)?;
        return a.checked_add(1).map(|end| a..end).ok_or_else(|| {
            format!("--seeds `{s}`: the largest seed cannot be swept (a sweep's range ends past it); run it with `dgame run --seed {a}`")
        });
    };
    if let Some(last) = b.strip_prefix('=') {
        // `a..=b`, as Rust writes an inclusive range.
        let (a, last) = (seed(a)?, seed(last)?);
        let end = last.checked_add(1).ok_or_else(|| {
            format!("--seeds `{s}`: the largest seed cannot be swept (a sweep's range ends past it); end the range before it")
        })?;
        return if end <= a {
            Err(format!("the seed range `{s}` is empty: its end must not be below its start"))
        } else {
            Ok(a..end)
        };
    }
    let (a, b) = (seed(a)?, seed(b)?);
    if b <= a {
        return Err(format!("the seed range `{s}` is empty: its end must be above its start"));
    }
    Ok(a..b)
}

fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let bad = || format!("`{s}` is not a shard: write K/N with 1 <= K <= N, like `2/4`");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if n == 0 || k == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// The distribution of a figure across seeds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spread {
    /// Smallest.
    pub min: f64,
    /// Median (the lower one of an even count; availability to 0.1%).
    pub p50: f64,
    /// Largest.
    pub max: f64,
}

/// A figure's distribution across seeds in bounded memory: exact bounds and a histogram (by
/// value, or by 0.1% for a share), from which the median is read. Histograms add up, so shards
/// merge exactly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Histogram {
    /// Smallest value seen.
    pub min: Option<f64>,
    /// Largest value seen.
    pub max: Option<f64>,
    /// How many seeds had each (bucketed) value.
    pub counts: BTreeMap<u64, u64>,
}

impl Histogram {
    fn add(&mut self, value: f64, bucket: u64) {
        self.min = Some(self.min.map_or(value, |m| m.min(value)));
        self.max = Some(self.max.map_or(value, |m| m.max(value)));
        *self.counts.entry(bucket).or_insert(0) += 1;
    }

    fn merge(&mut self, other: &Histogram, field: &str) -> Result<(), String> {
        for v in other.min.iter().chain(&other.max) {
            self.min = Some(self.min.map_or(*v, |m| m.min(*v)));
            self.max = Some(self.max.map_or(*v, |m| m.max(*v)));
        }
        for (&b, &n) in &other.counts {
            add_count(self.counts.entry(b).or_insert(0), n, field)?;
        }
        Ok(())
    }

    /// Min, median and max; the median is the bucket's value times `scale`.
    fn spread(&self, scale: f64) -> Spread {
        let n: u64 = self.counts.values().sum();
        if n == 0 {
            return Spread::default();
        }
        let rank = (n - 1) / 2;
        let mut seen = 0;
        let mut p50 = 0.0;
        for (&b, &c) in &self.counts {
            seen += c;
            if seen > rank {
                p50 = b as f64 * scale;
                break;
            }
        }
        Spread { min: self.min.unwrap_or(0.0), p50, max: self.max.unwrap_or(0.0) }
    }
}

/// Seeds of one kind: how many, and the smallest few.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seeds {
    /// How many.
    pub count: u64,
    /// The smallest ones, at most [`LISTED_SEEDS`], in order.
    pub first: Vec<u64>,
}

impl Seeds {
    fn add(&mut self, seed: u64) {
        self.count += 1;
        let at = self.first.partition_point(|&s| s < seed);
        if at < LISTED_SEEDS {
            self.first.insert(at, seed);
            self.first.truncate(LISTED_SEEDS);
        }
    }

    fn merge(&mut self, other: &Seeds, field: &str) -> Result<(), String> {
        add_count(&mut self.count, other.count, field)?;
        for &s in &other.first {
            let at = self.first.partition_point(|&x| x < s);
            self.first.insert(at, s);
        }
        self.first.truncate(LISTED_SEEDS);
        Ok(())
    }
}

/// Adds `more` to the counter `field` of a summary; a sum past `u64::MAX` is an error (a
/// doctored summary), never a wrap.
fn add_count(count: &mut u64, more: u64, field: &str) -> Result<(), String> {
    *count = count.checked_add(more).ok_or_else(|| format!("`{field}` overflows when added up ({count} + {more})"))?;
    Ok(())
}

/// The first run (smallest seed) that stopped on an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedError {
    /// Its seed.
    pub seed: u64,
    /// Its kind (`handler panicked`, `no endpoint`, ...).
    pub kind: String,
    /// The error.
    pub message: String,
}

/// A failing run made smaller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shrunk {
    /// Sizes before: ticks, clients, nodes, cuts, operations.
    pub before: Size,
    /// Sizes after.
    pub after: Size,
    /// The smallest failing run's report.
    pub report: Report,
}

/// The size of a run, for shrinking.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Size {
    /// Ticks.
    pub ticks: u64,
    /// Clients.
    pub clients: u32,
    /// Nodes.
    pub nodes: u32,
    /// Cuts.
    pub cuts: usize,
    /// Operations in the history.
    pub operations: usize,
}

/// What a sweep found (`--json` prints it; `dgame merge` adds shards' up).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSummary {
    /// The algorithm.
    pub algorithm: String,
    /// The configuration every seed ran (its `seed` is the range's start).
    pub config: Config,
    /// The seed range swept (the end excluded).
    pub seeds: Range<u64>,
    /// Which shard of the range (`[K, N]`), if one; merged summaries have none.
    pub shard: Option<(u64, u64)>,
    /// Seeds run.
    pub seeds_run: u64,
    /// Runs that passed: linearizable (register, kv) or valid (the other workloads).
    pub linearizable: u64,
    /// Violations.
    pub violations: Seeds,
    /// Runs the checker could not decide.
    pub unknown: Seeds,
    /// Runs that stopped on an error (a handler's panic, a message with no endpoint, ...).
    pub errors: Seeds,
    /// Errors by kind.
    pub errors_by_kind: BTreeMap<String, u64>,
    /// The first error (smallest seed).
    pub first_error: Option<SeedError>,
    /// Runs in which no operation succeeded (linearizable, maybe, because nothing happened).
    pub no_success: Seeds,
    /// Availability across seeds (min, median, max).
    pub availability: Spread,
    /// Median latency (p50) across seeds, in ticks.
    pub latency_p50: Spread,
    /// Worst latency across seeds, in ticks.
    pub latency_max: Spread,
    /// The histograms the spreads come from (what merging adds up).
    pub histograms: Histograms,
    /// How many runs had at least one fault of each kind.
    pub runs_with_fault: BTreeMap<String, u64>,
    /// How many runs had no fault at all (they passed without being stressed).
    pub runs_without_faults: u64,
    /// Wall-clock seconds the seeds took (shrinking excluded).
    pub seconds: f64,
    /// Seeds per second (merged: the shards' rates added, as when they run side by side).
    pub seeds_per_second: f64,
    /// Ctrl-C stopped the sweep: the figures are those of the seeds that finished.
    pub interrupted: bool,
    /// Why the sweep stopped before its last seed otherwise: a handler that never returned
    /// (that seed is an error; the figures are those of the seeds that finished).
    #[serde(default)]
    pub stopped: Option<String>,
    /// The first violation's report (smallest violating seed).
    pub first_violation: Option<Report>,
    /// The first violation, shrunk.
    pub shrunk: Option<Shrunk>,
}

/// The histograms of a summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Histograms {
    /// Availability, by 0.1% buckets.
    pub availability_permille: Histogram,
    /// Each seed's median latency, by tick.
    pub latency_p50: Histogram,
    /// Each seed's worst latency, by tick.
    pub latency_max: Histogram,
}

impl SweepSummary {
    fn empty(algorithm: &str, config: &Config, seeds: Range<u64>, shard: Option<(u64, u64)>) -> Self {
        SweepSummary {
            algorithm: algorithm.to_owned(),
            config: Config { seed: seeds.start, ..config.clone() },
            seeds,
            shard,
            seeds_run: 0,
            linearizable: 0,
            violations: Seeds::default(),
            unknown: Seeds::default(),
            errors: Seeds::default(),
            errors_by_kind: BTreeMap::new(),
            first_error: None,
            no_success: Seeds::default(),
            availability: Spread::default(),
            latency_p50: Spread::default(),
            latency_max: Spread::default(),
            histograms: Histograms::default(),
            runs_with_fault: BTreeMap::new(),
            runs_without_faults: 0,
            seconds: 0.0,
            seeds_per_second: 0.0,
            interrupted: false,
            stopped: None,
            first_violation: None,
            shrunk: None,
        }
    }

    fn add(&mut self, r: &SeedResult) {
        self.seeds_run += 1;
        match &r.verdict {
            VerdictReport::Linearizable | VerdictReport::Valid { .. } => self.linearizable += 1,
            VerdictReport::NotLinearizable { .. }
            | VerdictReport::Invalid { .. }
            | VerdictReport::InvariantBroken { .. } => self.violations.add(r.seed),
            VerdictReport::Unknown { .. } => self.unknown.add(r.seed),
            VerdictReport::Error { .. } => self.errors.add(r.seed),
        }
        if let Some((kind, message)) = &r.error {
            *self.errors_by_kind.entry(kind.clone()).or_insert(0) += 1;
            if self.first_error.as_ref().is_none_or(|f| r.seed < f.seed) {
                self.first_error = Some(SeedError { seed: r.seed, kind: kind.clone(), message: message.clone() });
            }
        }
        if r.operations > 0 && r.ok == 0 {
            self.no_success.add(r.seed);
        }
        let h = &mut self.histograms;
        h.availability_permille.add(r.availability, (r.availability * 1000.0).round() as u64);
        h.latency_p50.add(r.latency_p50 as f64, r.latency_p50);
        h.latency_max.add(r.latency_max as f64, r.latency_max);
        for k in &r.fault_kinds {
            *self.runs_with_fault.entry(k.clone()).or_insert(0) += 1;
        }
        if r.fault_kinds.is_empty() {
            self.runs_without_faults += 1;
        }
    }

    /// Reads the spreads off the histograms.
    fn settle(&mut self) {
        self.availability = self.histograms.availability_permille.spread(0.001);
        self.latency_p50 = self.histograms.latency_p50.spread(1.0);
        self.latency_max = self.histograms.latency_max.spread(1.0);
    }

    /// Adds a shard's summary to this one (the same sweep's other seeds). A counter that would
    /// pass `u64::MAX` is an error naming it, and this summary is then not to be used.
    pub fn merge(&mut self, other: &SweepSummary) -> Result<(), String> {
        add_count(&mut self.seeds_run, other.seeds_run, "seeds_run")?;
        add_count(&mut self.linearizable, other.linearizable, "linearizable")?;
        self.violations.merge(&other.violations, "violations.count")?;
        self.unknown.merge(&other.unknown, "unknown.count")?;
        self.errors.merge(&other.errors, "errors.count")?;
        for (k, n) in &other.errors_by_kind {
            add_count(self.errors_by_kind.entry(k.clone()).or_insert(0), *n, "errors_by_kind")?;
        }
        if let Some(e) = &other.first_error
            && self.first_error.as_ref().is_none_or(|f| e.seed < f.seed)
        {
            self.first_error = Some(e.clone());
        }
        self.no_success.merge(&other.no_success, "no_success.count")?;
        let (h, o) = (&mut self.histograms, &other.histograms);
        h.availability_permille.merge(&o.availability_permille, "histograms.availability_permille")?;
        h.latency_p50.merge(&o.latency_p50, "histograms.latency_p50")?;
        h.latency_max.merge(&o.latency_max, "histograms.latency_max")?;
        for (k, n) in &other.runs_with_fault {
            add_count(self.runs_with_fault.entry(k.clone()).or_insert(0), *n, "runs_with_fault")?;
        }
        add_count(&mut self.runs_without_faults, other.runs_without_faults, "runs_without_faults")?;
        self.seconds = self.seconds.max(other.seconds);
        self.seeds_per_second += other.seeds_per_second;
        self.interrupted |= other.interrupted;
        if self.stopped.is_none() {
            self.stopped = other.stopped.clone();
        }
        if let Some(v) = &other.first_violation {
            let earlier = self.first_violation.as_ref().is_none_or(|f| v.config.seed < f.config.seed);
            if earlier {
                self.first_violation = Some(v.clone());
                self.shrunk = other.shrunk.clone();
            }
        }
        self.settle();
        Ok(())
    }

    /// The exit code: 1 if a violation, else 2 if an unknown verdict or an error, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.violations.count > 0 {
            1
        } else if self.unknown.count > 0 || self.errors.count > 0 {
            2
        } else {
            0
        }
    }
}

/// What a sweep keeps of one seed until it is added to the summary.
struct SeedResult {
    seed: u64,
    fault_kinds: Vec<String>,
    verdict: VerdictReport,
    /// The error's kind and message, when the run stopped on one.
    error: Option<(String, String)>,
    availability: f64,
    latency_p50: u64,
    latency_max: u64,
    operations: usize,
    ok: usize,
}

/// Runs one seed; a violation comes back with its report. A panic outside the engine's own
/// catching (which covers handlers, constructors and `Debug`) is an error of kind `panic`, not
/// the end of the sweep.
fn one(algorithm: &Algorithm, config: &Config) -> (SeedResult, Option<Violation>) {
    let run = catch_unwind(AssertUnwindSafe(|| algorithm.run(config)));
    let out = match run {
        Ok(Ok(out)) => out,
        failed => {
            let (kind, message) = match failed {
                Ok(Err(e)) => ("configuration".to_owned(), e.to_string()),
                Err(panic) => {
                    let text = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic with no message".to_owned());
                    ("panic".to_owned(), format!("seed {}: {text}", config.seed))
                }
                Ok(Ok(_)) => unreachable!("matched above"),
            };
            return (failed_seed(config.seed, &kind, message), None);
        }
    };
    let verdict = out.error.is_none().then(|| out.history.check());
    let (ops, availability, latency) = figures(&out.history);
    let mut fault_kinds: Vec<String> = out.faults.iter().map(|f| f.kind.clone()).collect();
    // The network's own faults count too: a run that lost or duplicated a signal had a fault.
    if out.stats.dropped_loss > 0 {
        fault_kinds.push("loss".to_owned());
    }
    if out.stats.duplicated > 0 {
        fault_kinds.push("duplication".to_owned());
    }
    fault_kinds.sort();
    fault_kinds.dedup();
    let broken = matches!(out.error, Some(RunError::InvariantBroken { .. }));
    let verdict_report = VerdictReport::of_run(out.error.as_ref(), verdict.as_ref());
    let r = SeedResult {
        seed: config.seed,
        fault_kinds,
        verdict: verdict_report,
        error: out.error.as_ref().filter(|_| !broken).map(|e| (error_kind(e), e.to_string())),
        availability,
        latency_p50: latency.p50,
        latency_max: latency.max,
        operations: ops.total,
        ok: ops.ok,
    };
    let violation = (broken || verdict.as_ref().is_some_and(Verdict::is_violation)).then(|| {
        let report = Report::new(program(), algorithm.name, config, &out, verdict.as_ref());
        (config.clone(), report, out.history.operations.len())
    });
    (r, violation)
}

/// A seed that gave no run to look at: an error of `kind`.
fn failed_seed(seed: u64, kind: &str, message: String) -> SeedResult {
    SeedResult {
        seed,
        fault_kinds: Vec::new(),
        verdict: VerdictReport::Error { error: message.clone() },
        error: Some((kind.to_owned(), message)),
        availability: 0.0,
        latency_p50: 0,
        latency_max: 0,
        operations: 0,
        ok: 0,
    }
}

/// Searches for a smaller configuration that still fails the same way, with the seed fixed:
/// `explore`'s shrinker (faults and deviations by delta debugging, then loss, ticks, clients,
/// nodes). Deterministic.
pub fn shrink(algorithm: &Algorithm, failing: &Config, operations: usize) -> (Config, Size, Size) {
    let size = |c: &Config, ops| Size {
        ticks: c.ticks,
        clients: c.clients,
        nodes: c.nodes,
        cuts: c.cuts.len(),
        operations: ops,
    };
    let before = size(failing, operations);
    let Some(out) = catch_unwind(AssertUnwindSafe(|| algorithm.run(failing))).ok().and_then(Result::ok) else {
        return (failing.clone(), before, before);
    };
    let verdict = out.error.is_none().then(|| out.history.check());
    let Some(want) = crate::explore::classify(&out, verdict.as_ref()) else {
        return (failing.clone(), before, before);
    };
    let s = crate::explore::shrink(algorithm, failing, &want);
    let after = size(&s.config, s.after.operations);
    (s.config, before, after)
}

/// A violating run: its configuration, its report, and how many operations it had.
type Violation = (Config, Report, usize);

/// Seeds run together before looking for a violation: results stay deterministic (the
/// smallest violating seed of the first batch with one), and cores stay busy.
const BATCH: usize = 64;

/// `dgame sweep`.
pub fn sweep(algorithms: &[Algorithm], args: &SweepArgs) -> Result<ExitCode, String> {
    // A sweep's seeds are `--seeds`: a `--seed` beside them would be silently ignored.
    if let Some(seed) = args.run.seed {
        let alone = if seed < u64::MAX { format!("`--seeds {seed}` or ") } else { String::new() };
        return Err(format!(
            "--seed {seed}: a sweep runs every seed of --seeds (default 0..1000); for this seed alone, write \
             {alone}`dgame run --seed {seed}`"
        ));
    }
    let base = super::config_of(&args.run)?;
    let threads = threads_for(args);
    super::memory::check(&base, threads, |n| format!("--threads {n}"))?;
    let algorithm = choose_for(algorithms, args.run.algorithm.as_deref(), base.workload)?;
    let summary = run_sweep(algorithm, &base, args)?;
    print_summary(&summary, args.json)?;
    Ok(ExitCode::from(if summary.interrupted { EXIT_INTERRUPTED } else { summary.exit_code() }))
}

/// How many seeds of `args` this shard runs.
fn seeds_in_shard(args: &SweepArgs) -> u64 {
    let (k, n) = args.shard.unwrap_or((1, 1));
    (args.seeds.end - args.seeds.start).saturating_sub(k - 1).div_ceil(n)
}

/// The threads a sweep runs on: `--threads` (or rayon's default: `RAYON_NUM_THREADS`, else one
/// per core), but no more than it has seeds, so that `--seeds 0..4 --threads 1000` neither
/// starts nor reserves memory for 996 idle ones.
fn threads_for(args: &SweepArgs) -> usize {
    let asked = args.threads.unwrap_or_else(rayon::current_num_threads);
    asked.min(usize::try_from(seeds_in_shard(args)).unwrap_or(usize::MAX).max(1))
}

/// Sweeps `base` over the seeds of `args` (its shard of them) and shrinks the first violation.
fn run_sweep(algorithm: &Algorithm, base: &Config, args: &SweepArgs) -> Result<SweepSummary, String> {
    let (k, n) = args.shard.unwrap_or((1, 1));
    let width = args.seeds.end - args.seeds.start;
    let total = seeds_in_shard(args);
    if total == 0 {
        eprintln!(
            "warning: --shard {k}/{n} takes no seed of {}..{} ({width} seeds): this shard runs nothing \
             (use at most {width} shards)",
            args.seeds.start, args.seeds.end
        );
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads_for(args))
        .build()
        .map_err(|e| format!("cannot start the sweep's threads: {e}"))?;
    interrupt::catch();
    // The line a watcher (or a test) waits for; the bar below shows only on a terminal.
    eprintln!(
        "dgame sweep: {}, {total} seeds of {}..{} on {} threads; Ctrl-C stops and prints what finished",
        algorithm.name,
        args.seeds.start,
        args.seeds.end,
        pool.current_num_threads()
    );
    // This shard's seeds, made as they are needed: the range may be huge.
    let mut seeds = (args.seeds.start..args.seeds.end).skip((k - 1) as usize).step_by(n as usize);
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} seeds, {per_sec}, {msg}").expect("a valid template"),
    );
    bar.set_message("0 violations");
    let started = Instant::now();
    let mut summary = SweepSummary::empty(algorithm.name, base, args.seeds.clone(), args.shard);
    let mut first: Option<Violation> = None;
    let (tx, answers) = mpsc::channel::<Answer>();
    let on_stuck: OnStuck = {
        let tx = tx.clone();
        Arc::new(move |stuck, budget| {
            let _ = tx.send(Answer::Stuck(stuck, budget));
        })
    };
    for number in 0.. {
        if interrupt::interrupted() {
            summary.interrupted = true;
            break;
        }
        let batch: Vec<u64> = seeds.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let batch =
            Batch { number, started: batch.iter().map(|_| AtomicU8::new(PENDING)).collect(), seeds: batch.into() };
        let batch = Arc::new(batch);
        for i in 0..batch.seeds.len() {
            let (batch, tx, on_stuck, bar) = (batch.clone(), tx.clone(), on_stuck.clone(), bar.clone());
            let (algorithm, config) = (algorithm.clone(), Config { seed: batch.seeds[i], ..base.clone() });
            pool.spawn(move || {
                // Seeds not started when Ctrl-C came are not run, so the sweep stops now.
                if interrupt::interrupted() {
                    if batch.mark(i, NOT_RUN) {
                        let _ = tx.send(Answer::NotRun(batch.number));
                    }
                    return;
                }
                // Nor those not started when a handler got stuck (counted then).
                if !batch.mark(i, STARTED) {
                    return;
                }
                let (r, violation) = watch::reporting_to(on_stuck, || one(&algorithm, &config));
                bar.inc(1);
                let _ = tx.send(Answer::Ran(batch.number, i, Box::new((r, violation))));
            });
        }
        let (results, stuck) = collect(&batch, &answers, &bar);
        for (r, violation) in results.into_iter().flatten() {
            if first.is_none() {
                first = violation;
            }
            summary.add(&r);
        }
        bar.set_message(format!("{} violations", summary.violations.count));
        if let Some(why) = stuck {
            summary.stopped = Some(format!("{why}: {} of {total} seeds not run", total - summary.seeds_run));
            break;
        }
        if first.is_some() && !args.keep_going {
            break;
        }
    }
    bar.finish_and_clear();
    summary.seconds = started.elapsed().as_secs_f64();
    summary.seeds_per_second = if summary.seconds > 0.0 { summary.seeds_run as f64 / summary.seconds } else { 0.0 };
    summary.interrupted |= interrupt::interrupted();
    // Shrinking runs worlds on this thread, where a stuck handler would leave no summary.
    let stopped = summary.interrupted || summary.stopped.is_some();
    summary.shrunk = match (&first, args.no_shrink || stopped) {
        (Some((config, _, ops)), false) => {
            let (small, before, after) = shrink(algorithm, config, *ops);
            let out = algorithm.run(&small).map_err(|e| e.to_string())?;
            let verdict = out.error.is_none().then(|| out.history.check());
            Some(Shrunk {
                before,
                after,
                report: Report::new(program(), algorithm.name, &small, &out, verdict.as_ref()),
            })
        }
        _ => None,
    };
    summary.first_violation = first.map(|f| f.1);
    summary.settle();
    Ok(summary)
}

/// A seed's result, and its violation if it had one.
type Ran = (SeedResult, Option<Violation>);

/// What a seed's task, or the watchdog, says about a seed of a batch.
enum Answer {
    /// The seed ran (batch number, index in it, what it gave).
    Ran(u64, usize, Box<Ran>),
    /// A seed of this batch was not started: Ctrl-C came first.
    NotRun(u64),
    /// A handler of the seed's world never returned; its thread is gone for good.
    Stuck(Stuck, Duration),
}

const PENDING: u8 = 0;
const STARTED: u8 = 1;
const NOT_RUN: u8 = 2;

/// One batch of seeds on its way through the pool.
struct Batch {
    number: u64,
    seeds: Box<[u64]>,
    /// Each seed's task: pending, started, or not to be run.
    started: Box<[AtomicU8]>,
}

impl Batch {
    /// Marks seed `i`, still pending, started or not to be run; `false` if it was not pending.
    fn mark(&self, i: usize, to: u8) -> bool {
        self.started[i].compare_exchange(PENDING, to, Ordering::SeqCst, Ordering::SeqCst).is_ok()
    }
}

/// Waits for every seed of `batch`: its result, or the watchdog's report that it is stuck. A
/// stuck seed is an error of its own, and the seeds not started then are not run: a stuck
/// thread spins until the process ends, so the sweep stops rather than add more of them (the
/// seeds already running finish, or are reported stuck in turn). Returns the results by index
/// (`None`: not run) and, when a handler got stuck, why the sweep stopped.
fn collect(batch: &Batch, answers: &mpsc::Receiver<Answer>, bar: &ProgressBar) -> (Vec<Option<Ran>>, Option<String>) {
    let n = batch.seeds.len();
    let mut results: Vec<Option<Ran>> = (0..n).map(|_| None).collect();
    let mut open = n;
    let mut stopped: Option<String> = None;
    while open > 0 {
        // The sweep holds a sender: the channel never closes while it waits.
        let Ok(answer) = answers.recv() else { break };
        match answer {
            Answer::Ran(number, i, r) if number == batch.number && results[i].is_none() => {
                results[i] = Some(*r);
                open -= 1;
            }
            Answer::NotRun(number) if number == batch.number => open -= 1,
            Answer::Stuck(stuck, budget) => {
                // A report that comes as the handler returns after all is too late: its
                // result is in (or comes from an earlier batch).
                let Some(i) = batch.seeds.iter().position(|&s| s == stuck.seed).filter(|&i| results[i].is_none())
                else {
                    continue;
                };
                let message = format!("{stuck} ({})", watch::budget_hint(budget));
                eprintln!("error: seed {}: {message}; the sweep stops and prints what finished", stuck.seed);
                results[i] = Some((failed_seed(stuck.seed, "handler never returned", message), None));
                bar.inc(1);
                open -= 1;
                for j in 0..n {
                    if batch.mark(j, NOT_RUN) {
                        open -= 1;
                    }
                }
                if stopped.is_none() {
                    stopped = Some(format!(
                        "at seed {}, whose handler `{}` of {} never returned",
                        stuck.seed, stuck.endpoint, stuck.node
                    ));
                }
            }
            // A late answer of an earlier batch's stuck seed.
            _ => {}
        }
    }
    (results, stopped)
}

/// Prints a summary as text or JSON.
pub(super) fn print_summary(summary: &SweepSummary, json: bool) -> Result<(), String> {
    if json {
        print_out(&(serde_json::to_string_pretty(summary).expect("summaries serialize") + "\n"))
    } else {
        print_out(&summary_text(summary))
    }
}

fn summary_text(s: &SweepSummary) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    let shard =
        s.shard.map_or(String::new(), |(k, n)| format!(" (shard {k}/{n} of {}..{})", s.seeds.start, s.seeds.end));
    let workload = match s.config.workload {
        dgame_engine::Workload::Register => String::new(),
        w => format!(" ({w} workload)"),
    };
    let _ = writeln!(t, "{}{workload}: {} seeds in {:.0} seeds/s{shard}", s.algorithm, s.seeds_run, s.seeds_per_second);
    if s.interrupted {
        let _ = writeln!(t, "  INTERRUPTED    by Ctrl-C: the figures below are those of the seeds that finished");
    }
    if let Some(why) = &s.stopped {
        let _ = writeln!(t, "  STOPPED        {why}; the figures below are those of the seeds that finished");
    }
    let _ = writeln!(t, "  verdict        seeds");
    let passed = match s.config.workload {
        dgame_engine::Workload::Register | dgame_engine::Workload::Kv => "linearizable",
        _ => "valid",
    };
    let _ = writeln!(t, "  {passed:14} {}", s.linearizable);
    let _ = writeln!(t, "  violations     {}{}", s.violations.count, list(&s.violations));
    let _ = writeln!(t, "  unknown        {}{}", s.unknown.count, list(&s.unknown));
    let _ = writeln!(t, "  errors         {}{}", s.errors.count, list(&s.errors));
    if !s.errors_by_kind.is_empty() {
        let kinds: Vec<String> = s.errors_by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(t, "    by kind      {}", kinds.join(", "));
    }
    if let Some(e) = &s.first_error {
        let _ = writeln!(t, "    first        seed {} ({}): {}", e.seed, e.kind, e.message);
    }
    let _ = writeln!(t, "  no success     {}{}", s.no_success.count, list(&s.no_success));
    if s.no_success.count > 0 {
        let _ = writeln!(
            t,
            "    WARNING      in {} of {} runs no operation succeeded: they pass because nothing happened",
            s.no_success.count, s.seeds_run
        );
    }
    let _ = writeln!(t, "  across seeds   min / median / max");
    let a = s.availability;
    let _ = writeln!(t, "  availability   {:.1}% / {:.1}% / {:.1}%", a.min * 100.0, a.p50 * 100.0, a.max * 100.0);
    let l = s.latency_p50;
    let _ = writeln!(t, "  latency p50    {} / {} / {} ticks", l.min, l.p50, l.max);
    let m = s.latency_max;
    let _ = writeln!(t, "  latency max    {} / {} / {} ticks", m.min, m.p50, m.max);
    let kinds: Vec<String> = s.runs_with_fault.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let _ = writeln!(
        t,
        "  faults         runs with: {}; runs without any fault: {}",
        if kinds.is_empty() { "none".to_owned() } else { kinds.join(", ") },
        s.runs_without_faults
    );
    if let Some(r) = &s.first_violation {
        let _ = writeln!(t, "\nfirst violation: seed {}\n{}", r.config.seed, indent(&r.to_text()));
    }
    if let Some(sh) = &s.shrunk {
        let (b, a) = (sh.before, sh.after);
        let _ = writeln!(
            t,
            "shrunk: ticks {} -> {}, clients {} -> {}, nodes {} -> {}, cuts {} -> {}, operations {} -> {}\n{}",
            b.ticks,
            a.ticks,
            b.clients,
            a.clients,
            b.nodes,
            a.nodes,
            b.cuts,
            a.cuts,
            b.operations,
            a.operations,
            indent(&sh.report.to_text())
        );
    }
    if s.violations.count == 0 {
        let line = s.config.command_line(program(), &s.algorithm);
        let _ =
            writeln!(t, "reproduce any seed: {}", line.replace(&format!("--seed {}", s.config.seed), "--seed SEED"));
    }
    t
}

fn list(seeds: &Seeds) -> String {
    if seeds.first.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = seeds.first.iter().map(u64::to_string).collect();
    let more = if seeds.count > seeds.first.len() as u64 { ", ..." } else { "" };
    format!(" (seeds {}{more})", shown.join(", "))
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;
    use clap::Parser;

    /// Panics in its write handler.
    #[derive(Debug, Default)]
    struct WritesPanic;

    #[node]
    impl WritesPanic {
        #[endpoint(ClientReadRequest)]
        fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
            ClientReadResponse::ok(None)
        }
        #[endpoint(ClientWriteRequest)]
        fn write(&mut self, _: ClientWriteRequest) -> ClientWriteResponse {
            panic!("writes are not for me")
        }
    }

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        sweep: SweepArgs,
    }

    #[test]
    fn seeds_are_a_range_an_inclusive_range_or_one_seed() {
        assert_eq!(parse_seeds("0..10"), Ok(0..10));
        assert_eq!(parse_seeds(" 3 .. 5 "), Ok(3..5));
        assert_eq!(parse_seeds("0..=9"), Ok(0..10));
        assert_eq!(parse_seeds("7"), Ok(7..8));
        let max = u64::MAX;
        assert_eq!(parse_seeds(&format!("{}..{max}", max - 1)), Ok(max - 1..max));
        let err = |s: &str| parse_seeds(s).unwrap_err();
        assert!(err("5..5").contains("is empty"), "{}", err("5..5"));
        assert!(err("5..=4").contains("is empty"), "{}", err("5..=4"));
        assert!(err("ten").contains("is not a seed range"), "{}", err("ten"));
        assert!(err("1..x").contains("is not a seed range"), "{}", err("1..x"));
        // A number too large is named as such, with the largest seed.
        let huge = err("0..18446744073709551616");
        assert!(huge.contains("18446744073709551616 is above the largest seed, 18446744073709551615"), "{huge}");
        // The largest seed has no exclusive end: the error says how to run it instead.
        let alone = err(&max.to_string());
        assert!(alone.contains(&format!("dgame run --seed {max}")), "{alone}");
        assert!(err(&format!("0..={max}")).contains("cannot be swept"));
    }

    #[test]
    fn a_handler_panic_in_a_sweep_is_counted_by_kind_and_the_first_one_is_named() {
        let a = Algorithm::new::<WritesPanic>("writes-panic", "none");
        let args =
            T::try_parse_from(["t", "--seeds", "3..9", "--nodes", "1", "--ticks", "100", "--client-kind", "write"])
                .unwrap()
                .sweep;
        let base = args.run.to_config().unwrap();
        let s = run_sweep(&a, &base, &args).unwrap();
        assert_eq!((s.seeds_run, s.linearizable, s.errors.count), (6, 0, 6));
        assert_eq!(s.errors.first, [3, 4, 5, 6, 7, 8]);
        assert_eq!(s.errors_by_kind.get("handler panicked"), Some(&6));
        let first = s.first_error.as_ref().unwrap();
        assert_eq!((first.seed, first.kind.as_str()), (3, "handler panicked"));
        assert!(first.message.contains("writes are not for me"), "{}", first.message);
        assert!(summary_text(&s).contains("first        seed 3 (handler panicked)"), "{}", summary_text(&s));
        assert_eq!(s.exit_code(), 2);
    }

    #[test]
    fn seed_lists_keep_the_smallest_and_merge_to_the_same() {
        let mut all = Seeds::default();
        let (mut odd, mut even) = (Seeds::default(), Seeds::default());
        for s in (0..40).rev() {
            all.add(s * 3);
            if s % 2 == 0 { even.add(s * 3) } else { odd.add(s * 3) }
        }
        assert_eq!(all.count, 40);
        assert_eq!(all.first, (0..10).map(|s| s * 3).collect::<Vec<_>>());
        even.merge(&odd, "count").unwrap();
        assert_eq!(even, all);
    }

    #[test]
    fn merged_counts_never_wrap() {
        let mut count = u64::MAX - 1;
        assert_eq!(add_count(&mut count, 1, "seeds_run"), Ok(()));
        let e = add_count(&mut count, 1, "seeds_run").unwrap_err();
        assert!(e.contains("`seeds_run` overflows"), "{e}");
        let (mut a, b) = (Seeds { count: u64::MAX, first: Vec::new() }, Seeds { count: 1, first: vec![4] });
        assert!(a.merge(&b, "violations.count").unwrap_err().contains("`violations.count` overflows"));
    }

    #[test]
    fn histograms_give_the_lower_median_and_merge_exactly() {
        let mut h = Histogram::default();
        for v in [5u64, 1, 9, 3] {
            h.add(v as f64, v);
        }
        assert_eq!(h.spread(1.0), Spread { min: 1.0, p50: 3.0, max: 9.0 });
        let mut a = Histogram::default();
        let mut b = Histogram::default();
        a.add(5.0, 5);
        a.add(1.0, 1);
        b.add(9.0, 9);
        b.add(3.0, 3);
        a.merge(&b, "h").unwrap();
        assert_eq!(a, h);
    }
}
