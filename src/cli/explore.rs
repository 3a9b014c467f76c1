//! `dgame explore`: search the schedules and faults for a violation, shrink it, print the
//! story and the command that replays it; or say how hard it looked.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::args::RunArgs;
use crate::explore::{Exploration, ExploreOptions, StrategyKind, explore_with};
use crate::registry::Algorithm;

/// `dgame explore` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ExploreArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Stop after this much wall-clock time: `30s`, `2m`, `500ms` (results then vary by
    /// machine; use --runs for a fixed amount of search). The default, with no --runs: 30s.
    // A hyphen is taken as the start of a value, so that `--budget -1s` reaches
    // `parse_duration`, whose error names the flag, instead of clap's "unexpected argument".
    #[arg(long, value_parser = parse_duration, value_name = "TIME", allow_hyphen_values = true)]
    budget: Option<Duration>,
    /// Stop after this many runs.
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = super::args::whole::<u64>("--runs"))]
    runs: Option<u64>,
    /// The strategies, comma-separated (all that fit the configuration, taking turns, by
    /// default): swarm, targeted, pct, exhaustive.
    #[arg(long, value_delimiter = ',', value_name = "S")]
    strategy: Vec<StrategyKind>,
    /// PCT's deepest bug depth d (it tries d = 1..=DEPTH); the exhaustive search's bound on
    /// deviations is the smaller of this and 2.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=8))]
    depth: u64,
    /// Ticks of each exhaustive run (the configuration's, if fewer).
    #[arg(long, default_value_t = 120, value_name = "TICKS", value_parser = clap::value_parser!(u64).range(1..))]
    horizon: u64,
    /// Take only the K-th of N shares of the runs (`--shard 2/4`); the N shards together
    /// make each run once.
    #[arg(long, value_parser = parse_shard, value_name = "K/N")]
    shard: Option<(u64, u64)>,
    /// The kinds of fault the strategies may inject: `all`, `none` (delays only), or some of
    /// loss, duplication, partition, crash, pause, comma-separated. By default, the algorithm's fault model
    /// (every kind for one that declares none). What the run flags ask for (--loss, --nemesis,
    /// --fault, --cut, --duplicate, ...) is injected in any case.
    #[arg(long, value_name = "KINDS", value_parser = parse_faults)]
    inject: Option<dgame_engine::FaultModel>,
    /// Do not shrink the violation.
    #[arg(long)]
    no_shrink: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Save the (shrunk) violating run for `dgame replay` (nothing found: nothing saved). If
    /// it cannot be written, the violation is printed all the same, then the error; the exit
    /// code stays 1.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("`{s}` is not a time budget: write a number with a unit, like `30s`, `2m` or `500ms`");
    let t = s.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else {
        return Err(bad());
    };
    let n: f64 = number.trim().parse().map_err(|_| bad())?;
    if !n.is_finite() || n < 0.0 {
        return Err(bad());
    }
    Duration::try_from_secs_f64(n * scale).map_err(|_| {
        format!("`{s}` is longer than the longest time budget, about 584 billion years: give a shorter one, or --runs")
    })
}

fn parse_faults(s: &str) -> Result<dgame_engine::FaultModel, String> {
    s.parse()
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

/// Runs `dgame explore`.
pub fn explore(algorithms: &[Algorithm], args: &ExploreArgs) -> ExitCode {
    let fail = |msg: String| {
        eprintln!("error: {msg}");
        ExitCode::from(2)
    };
    // A strategy listed twice would take two turns in the rotation: likely a slip.
    if let Some(twice) = super::args::listed_twice(&args.strategy) {
        return fail(format!("--strategy lists {twice} twice: list each strategy once"));
    }
    // Through `config_of`, so that explore warns as run, sweep and play do (a fault in the
    // quiet period, a fault after the last tick, ...).
    let base = match super::config_of(&args.run) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    // Runs go in parallel batches, one run per thread.
    if let Err(e) = super::memory::check(&base, rayon::current_num_threads(), |n| format!("RAYON_NUM_THREADS={n}")) {
        return fail(e);
    }
    let algorithm = match crate::registry::choose_for(algorithms, args.run.algorithm.as_deref(), base.workload) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let created_save = match args.save.as_deref().map(probe_save).transpose() {
        Ok(created) => created.unwrap_or(false),
        Err(e) => return fail(e),
    };
    let options = ExploreOptions {
        strategies: args.strategy.clone(),
        runs: args.runs,
        time: args.budget.or(args.runs.is_none().then_some(Duration::from_secs(30))),
        depth: args.depth as usize,
        horizon: args.horizon,
        shard: args.shard.unwrap_or((1, 1)),
        shrink: !args.no_shrink,
        targets: None,
        faults: args.inject,
        // Ctrl-C stops the search between batches, and what it searched is printed.
        stop: Some(super::interrupt::interrupted),
    };
    super::interrupt::catch();
    let bar = match options.runs {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:30} {pos} runs, {per_sec}, {elapsed}").expect("a valid template"),
    );
    let result = explore_with(algorithm, &base, &options, &|runs| bar.set_position(runs));
    bar.finish_and_clear();
    let e = match result {
        Ok(e) => e,
        Err(e) => return fail(e),
    };
    // A save that fails loses the file, not the violation: it is printed all the same, with
    // the command that reproduces it, and the error after it.
    let mut output_errors = Vec::new();
    if let Some(path) = &args.save
        && let Some(report) = e.shrunk.as_ref().map(|s| &s.report).or(e.found.as_ref().map(|f| &f.report))
    {
        let saved = super::files::EventWriter::open(None, Some(path), algorithm.name, &report.config).and_then(|w| {
            let writer = std::rc::Rc::new(std::cell::RefCell::new(w));
            let observer = Box::new(dgame_engine::event::SharedObserver(writer.clone()));
            algorithm.run_observed(&report.config, observer).map_err(|e| e.to_string())?;
            writer.borrow_mut().finish()
        });
        output_errors.extend(saved.err());
    } else if let Some(path) = &args.save {
        eprintln!("warning: --save {}: nothing was found, so nothing was saved", path.display());
        if created_save {
            let _ = std::fs::remove_file(path);
        }
    }
    let out =
        if args.json { serde_json::to_string_pretty(&e).expect("explorations serialize") + "\n" } else { text(&e) };
    if let Err(msg) = super::print_out(&out) {
        // The result is lost too: every error, and exit code 2 even for a violation.
        super::after_output_errors(2, &output_errors);
        return fail(msg);
    }
    let code = match (&e.found, e.searched.stopped_by.as_str()) {
        (Some(_), _) => 1,
        (None, "interrupt") => super::interrupt::EXIT_INTERRUPTED,
        (None, _) => 0,
    };
    ExitCode::from(super::after_output_errors(code, &output_errors))
}

/// Refuses a `--save` file that cannot be written before the search spends its budget,
/// without emptying it (when nothing is found, a run saved there before stays). Whether it
/// was created, to be removed again if nothing is found.
fn probe_save(path: &std::path::Path) -> Result<bool, String> {
    let existed = path.symlink_metadata().is_ok();
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(!existed)
}

/// What the strategies injected, and what they left out and why.
fn faults(t: &mut String, e: &Exploration) {
    let _ = writeln!(t, "  faults         {}", e.faults);
    for why in &e.left_out {
        let _ = writeln!(t, "  left out       {why}");
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// The result for people.
pub fn text(e: &Exploration) -> String {
    let mut t = String::new();
    let s = &e.searched;
    if let Some(f) = &e.found {
        let _ = writeln!(
            t,
            "{}: {} found by {} after {} runs ({:.2} s): {}",
            e.algorithm,
            f.violation.describe(),
            f.strategy,
            f.after_runs,
            f.after_seconds,
            f.plan
        );
        match &e.shrunk {
            Some(sh) => {
                let (b, a) = (sh.before, sh.after);
                let _ = writeln!(
                    t,
                    "shrunk in {} runs: faults {} -> {}, deviations {} -> {}, ticks {} -> {}, clients {} -> {}, \
                     nodes {} -> {}, operations {} -> {}\n",
                    sh.runs,
                    b.faults,
                    a.faults,
                    b.deviations,
                    a.deviations,
                    b.ticks,
                    a.ticks,
                    b.clients,
                    a.clients,
                    b.nodes,
                    a.nodes,
                    b.operations,
                    a.operations
                );
                t.push_str(&indent(&sh.report.to_text()));
            }
            None => t.push_str(&indent(&f.report.to_text())),
        }
        // Runs go in batches: the batch of the first violation runs to its end.
        let _ = writeln!(
            t,
            "\nsearched {} runs in all in {:.2} s ({:.0} runs/s; the batch that found it ran to its end)",
            s.runs, s.seconds, s.runs_per_second
        );
        faults(&mut t, e);
        return t;
    }
    let stopped = match s.stopped_by.as_str() {
        "runs" => "the run budget",
        "time" => "the time budget (wall-clock: another machine searches more or less)",
        "exhausted" => "the end of the exhaustive search",
        "interrupt" => "Ctrl-C (what ran before it is above; --runs or --budget bound a search)",
        other => other,
    };
    let _ = writeln!(
        t,
        "{}: no violation found in {} runs ({:.2} s, {:.0} runs/s)",
        e.algorithm, s.runs, s.seconds, s.runs_per_second
    );
    let _ = writeln!(t, "  budget         {}; stopped by {stopped}", e.budget);
    let by: Vec<String> = s.runs_by_strategy.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let _ = writeln!(t, "  strategies     {}", by.join(", "));
    faults(&mut t, e);
    for why in &s.skipped {
        let _ = writeln!(t, "  skipped        {why}");
    }
    if let Some(x) = &s.exhaustive {
        let _ = writeln!(
            t,
            "  exhaustive     {} seeds exhausted of {} started, every schedule with at most {} priority change \
             points in {} ticks; {} runs pruned (schedule or states seen)",
            x.seeds_exhausted, x.seeds_started, x.depth, x.horizon, x.pruned
        );
    }
    let _ = writeln!(t, "  schedules      {} distinct", s.distinct_schedules);
    match s.distinct_states {
        Some(n) => {
            let _ = writeln!(t, "  states         {n} distinct (all nodes at the end of a tick)");
        }
        None => {
            let _ = writeln!(t, "  states         not counted: the node type does not hash (`Algorithm::hashable`)");
        }
    }
    let injected: Vec<String> = s.injected.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let _ = writeln!(
        t,
        "  injected       {}",
        if injected.is_empty() { "nothing".to_owned() } else { injected.join(", ") }
    );
    let _ =
        writeln!(t, "  longest run    {} ticks; most operations in a run {}", s.longest_run_ticks, s.most_operations);
    if s.errors > 0 {
        let _ = writeln!(t, "  errors         {} runs stopped on an error that is not a violation", s.errors);
    }
    t
}
