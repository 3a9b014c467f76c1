//! `dgame sweep`: one configuration over many seeds, on every core, stopping at (and shrinking)
//! the first violation.

use std::ops::Range;
use std::process::ExitCode;
use std::time::Instant;

use dgame_checker::Verdict;
use dgame_engine::Config;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use super::args::{RunArgs, command_line};
use super::registry::Algorithm;
use super::report::{Latency, Report, VerdictReport};

/// `dgame sweep` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct SweepArgs {
    #[command(flatten)]
    run: RunArgs,
    /// The seeds: `0..10000` (the end is excluded).
    #[arg(long, default_value = "0..1000", value_parser = parse_seeds)]
    seeds: Range<u64>,
    /// Go on after a violation.
    #[arg(long)]
    keep_going: bool,
    /// Take only the K-th of N shares of the seeds (`--shard 2/4`): seeds whose position in the
    /// range is K-1 modulo N. The N shards together cover every seed once.
    #[arg(long, value_parser = parse_shard, value_name = "K/N")]
    shard: Option<(u64, u64)>,
    /// Do not search for a smaller failing run.
    #[arg(long)]
    no_shrink: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_seeds(s: &str) -> Result<Range<u64>, String> {
    let bad = || format!("`{s}` is not a seed range: write `0..10000` (the end is excluded)");
    let (a, b) = s.split_once("..").ok_or_else(bad)?;
    let (a, b): (u64, u64) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
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

/// One seed's result.
#[derive(Debug, Clone, Serialize)]
struct SeedResult {
    seed: u64,
    fault_kinds: std::collections::BTreeSet<String>,
    verdict: VerdictReport,
    availability: f64,
    latency: Latency,
    operations: usize,
}

/// The distribution of a figure across seeds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Spread {
    /// Smallest.
    pub min: f64,
    /// Median.
    pub p50: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    fn of(mut v: Vec<f64>) -> Spread {
        if v.is_empty() {
            return Spread::default();
        }
        v.sort_by(f64::total_cmp);
        Spread { min: v[0], p50: v[(v.len() - 1) / 2], max: v[v.len() - 1] }
    }
}

/// A failing run made smaller.
#[derive(Debug, Clone, Serialize)]
pub struct Shrunk {
    /// Sizes before: ticks, clients, nodes, cuts, operations.
    pub before: Size,
    /// Sizes after.
    pub after: Size,
    /// The smallest failing run's report.
    pub report: Report,
}

/// The size of a run, for shrinking.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
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

/// What a sweep found.
#[derive(Debug, Clone, Serialize)]
pub struct SweepSummary {
    /// The algorithm.
    pub algorithm: String,
    /// Seeds run.
    pub seeds_run: usize,
    /// Linearizable runs.
    pub linearizable: usize,
    /// Violations (seeds).
    pub violations: Vec<u64>,
    /// Runs the checker could not decide.
    pub unknown: Vec<u64>,
    /// Runs that stopped on an error.
    pub errors: Vec<u64>,
    /// Availability across seeds.
    pub availability: Spread,
    /// Median latency (p50) across seeds, in ticks.
    pub latency_p50: Spread,
    /// Worst latency across seeds, in ticks.
    pub latency_max: Spread,
    /// How many runs had at least one fault of each kind.
    pub runs_with_fault: std::collections::BTreeMap<String, usize>,
    /// How many runs had no fault at all (they passed without being stressed).
    pub runs_without_faults: usize,
    /// Seeds per second.
    pub seeds_per_second: f64,
    /// The first violation's report.
    pub first_violation: Option<Report>,
    /// The first violation, shrunk.
    pub shrunk: Option<Shrunk>,
}

fn one(algorithm: &Algorithm, config: &Config) -> (SeedResult, Option<Verdict>, super::RunOutput) {
    let out = algorithm.run(config, false).expect("the configuration was validated");
    let verdict = out.error.is_none().then(|| out.history.check());
    let report = Report::new(algorithm.name, config, &out, verdict.as_ref());
    let r = SeedResult {
        seed: config.seed,
        fault_kinds: report.faults.iter().map(|f| f.kind.clone()).collect(),
        verdict: report.verdict.clone(),
        availability: report.availability,
        latency: report.latency,
        operations: report.operations.total,
    };
    (r, verdict, out)
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
    let Ok(out) = algorithm.run(failing, false) else { return (failing.clone(), before, before) };
    let verdict = out.error.is_none().then(|| out.history.check());
    let Some(want) = crate::explore::classify(&out, verdict.as_ref()) else { return (failing.clone(), before, before) };
    let s = crate::explore::shrink(algorithm, failing, &want);
    let after = size(&s.config, s.after.operations);
    (s.config, before, after)
}

/// A violating run: its configuration, its report, and how many operations it had.
type Violation = (Config, Report, usize);

/// Seeds run together before looking for a violation: results stay deterministic (the
/// smallest violating seed of the first batch with one), and cores stay busy.
const BATCH: usize = 64;

pub fn sweep(algorithms: &[Algorithm], args: &SweepArgs) -> ExitCode {
    let fail = |msg: String| {
        eprintln!("error: {msg}");
        ExitCode::from(2)
    };
    let algorithm = match super::choose(algorithms, args.run.algorithm.as_deref()) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let base = match args.run.to_config() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let (k, n) = args.shard.unwrap_or((1, 1));
    // This shard's seeds, made as they are needed: the range may be huge.
    let mut seeds = args.seeds.clone().skip((k - 1) as usize).step_by(n as usize);
    let total = (args.seeds.end - args.seeds.start).saturating_sub(k - 1).div_ceil(n);
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} seeds, {per_sec}, {msg}").expect("a valid template"),
    );
    bar.set_message("0 violations");
    let started = Instant::now();
    let mut results: Vec<SeedResult> = Vec::new();
    let mut first: Option<Violation> = None;
    loop {
        let batch: Vec<u64> = seeds.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let mut batch_results: Vec<(SeedResult, Option<Violation>)> = batch
            .par_iter()
            .map(|&seed| {
                let config = Config { seed, ..base.clone() };
                let (r, verdict, out) = one(algorithm, &config);
                bar.inc(1);
                let broken = matches!(r.verdict, VerdictReport::InvariantBroken { .. });
                let violation = (broken || verdict.as_ref().is_some_and(Verdict::is_violation)).then(|| {
                    let report = Report::new(algorithm.name, &config, &out, verdict.as_ref());
                    (config, report, out.history.operations.len())
                });
                (r, violation)
            })
            .collect();
        for (r, violation) in batch_results.drain(..) {
            if first.is_none() {
                first = violation;
            }
            results.push(r);
        }
        let violations = results
            .iter()
            .filter(|r| {
                matches!(r.verdict, VerdictReport::NotLinearizable { .. } | VerdictReport::InvariantBroken { .. })
            })
            .count();
        bar.set_message(format!("{violations} violations"));
        if first.is_some() && !args.keep_going {
            break;
        }
    }
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let pick =
        |f: fn(&VerdictReport) -> bool| results.iter().filter(|r| f(&r.verdict)).map(|r| r.seed).collect::<Vec<_>>();
    let shrunk = match (&first, args.no_shrink) {
        (Some((config, _, ops)), false) => {
            let (small, before, after) = shrink(algorithm, config, *ops);
            let out = algorithm.run(&small, false).expect("validated");
            let verdict = out.error.is_none().then(|| out.history.check());
            Some(Shrunk { before, after, report: Report::new(algorithm.name, &small, &out, verdict.as_ref()) })
        }
        _ => None,
    };
    let summary = SweepSummary {
        algorithm: algorithm.name.into(),
        seeds_run: results.len(),
        linearizable: results.iter().filter(|r| r.verdict == VerdictReport::Linearizable).count(),
        violations: pick(|v| {
            matches!(v, VerdictReport::NotLinearizable { .. } | VerdictReport::InvariantBroken { .. })
        }),
        unknown: pick(|v| matches!(v, VerdictReport::Unknown { .. })),
        errors: pick(|v| matches!(v, VerdictReport::Error { .. })),
        availability: Spread::of(results.iter().map(|r| r.availability).collect()),
        latency_p50: Spread::of(results.iter().map(|r| r.latency.p50 as f64).collect()),
        latency_max: Spread::of(results.iter().map(|r| r.latency.max as f64).collect()),
        runs_with_fault: {
            let mut m = std::collections::BTreeMap::new();
            for r in &results {
                for k in &r.fault_kinds {
                    *m.entry(k.clone()).or_insert(0) += 1;
                }
            }
            m
        },
        runs_without_faults: results.iter().filter(|r| r.fault_kinds.is_empty()).count(),
        seeds_per_second: if elapsed > 0.0 { results.len() as f64 / elapsed } else { 0.0 },
        first_violation: first.map(|f| f.1),
        shrunk,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary).expect("summaries serialize"));
    } else {
        print!("{}", summary_text(&summary, &base));
    }
    ExitCode::from(if !summary.violations.is_empty() {
        1
    } else if !summary.unknown.is_empty() || !summary.errors.is_empty() {
        2
    } else {
        0
    })
}

fn summary_text(s: &SweepSummary, base: &Config) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    let _ = writeln!(t, "{}: {} seeds in {:.0} seeds/s", s.algorithm, s.seeds_run, s.seeds_per_second);
    let _ = writeln!(t, "  verdict        seeds");
    let _ = writeln!(t, "  linearizable   {}", s.linearizable);
    let _ = writeln!(t, "  violations     {}{}", s.violations.len(), list(&s.violations));
    let _ = writeln!(t, "  unknown        {}{}", s.unknown.len(), list(&s.unknown));
    let _ = writeln!(t, "  errors         {}{}", s.errors.len(), list(&s.errors));
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
    if s.violations.is_empty() {
        let _ = writeln!(
            t,
            "reproduce any seed: {}",
            command_line(&s.algorithm, base).replace(&format!("--seed {}", base.seed), "--seed SEED")
        );
    }
    t
}

fn list(seeds: &[u64]) -> String {
    if seeds.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = seeds.iter().take(10).map(u64::to_string).collect();
    let more = if seeds.len() > 10 { ", ..." } else { "" };
    format!(" (seeds {}{more})", shown.join(", "))
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}
