//! The `dgame` command line: `run`, `sweep`, `explore`, `merge`, `replay`, `check`, `list`, `play`. It
//! parses flags and prints; the algorithms are in [`registry`](crate::registry), the report of
//! a run in [`report`](crate::report), the game in [`web`](crate::web).
//!
//! A crate of your own gets all of it for its node types with one call:
//!
//! ```no_run
//! # use distributed_game::prelude::*;
//! # #[derive(Debug, Default)] struct MyNode;
//! # #[node] impl MyNode {
//! #   #[endpoint(ClientReadRequest)] fn r(&mut self, _: ClientReadRequest) -> ClientReadResponse { ClientReadResponse::ok(None) }
//! #   #[endpoint(ClientWriteRequest)] fn w(&mut self, _: ClientWriteRequest) -> ClientWriteResponse { ClientWriteResponse::ok() }
//! # }
//! use distributed_game::cli::{Algorithm, main_with};
//!
//! fn main() -> std::process::ExitCode {
//!     main_with(vec![Algorithm::new::<MyNode>("my-node", "linearizable, I hope")])
//! }
//! ```
//!
//! Exit codes: 0 linearizable or valid (or done), 1 not linearizable or invalid (or a replay
//! differs), 2 unknown,
//! a run error, or bad usage (a bad flag or file, an output that cannot be written), 130 a
//! sweep stopped by Ctrl-C. An output file that fails once the result is made (`--history-out`,
//! `--trace-out` or `--save` on a full disk) is an error printed after the result; the exit
//! code is then 1 if the result is a violation (it was printed, with its reproduce command),
//! else 2.

mod args;
mod explore;
mod files;
pub mod guard;
mod interrupt;
mod lint;
mod memory;
mod merge;
mod source;
mod sweep;
mod unsent;

use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The algorithm registry, re-exported so that `main_with`'s callers need one import.
pub use crate::registry::{Algorithm, builtin};
pub use args::{MAX_CLIENTS, MAX_NODES, RunArgs};
pub use explore::ExploreArgs;
pub use files::{MAX_CONFIG_BYTES, MAX_SAVED_RUN_BYTES};
pub use source::MAX_PIPED_HISTORY_BYTES;
pub use sweep::{SweepArgs, SweepSummary};

use crate::registry::choose_for;
use crate::report::{Report, VerdictReport};

/// Run, sweep, shrink and check replication algorithms in a deterministic simulation.
#[derive(Debug, Parser)]
#[command(name = "dgame", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// With no command, `dgame` runs `dgame run` with these flags.
    #[command(flatten, next_help_heading = "Run options (with no command, `dgame` runs `dgame run`)")]
    run: RunCommand,
    /// Stop with a report when one handler runs longer than this (wall-clock seconds, or
    /// `never`): a handler that loops forever without waiting cannot be stopped otherwise.
    /// For the commands that run algorithms: run, sweep, explore, replay and play.
    #[arg(long, global = true, value_name = "SECONDS|never", default_value = "10", value_parser = parse_handler_budget, allow_negative_numbers = true, help_heading = "Global options")]
    handler_budget: HandlerBudget,
    /// Refuse, before it starts, a run that may need more memory than this (its history,
    /// kept whole for the check, grows with --ticks × --clients, and its signals in flight
    /// with --nodes × --clients), and stop with an error one that goes over it all the same
    /// (an algorithm's own traffic between nodes): a size like `512M`, `4G`, `16GiB`, or
    /// `none`. For run, sweep (all its threads together), explore and play.
    #[arg(long, global = true, value_name = "SIZE|none", default_value = "4G", value_parser = memory::parse_flag, help_heading = "Global options")]
    memory_limit: memory::Limit,
}

/// `--handler-budget`: seconds of wall-clock time, or never.
#[derive(Debug, Clone, Copy)]
struct HandlerBudget(Option<std::time::Duration>);

fn parse_handler_budget(text: &str) -> Result<HandlerBudget, String> {
    if text == "never" {
        return Ok(HandlerBudget(None));
    }
    match text.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= 1e9 => Ok(HandlerBudget(Some(std::time::Duration::from_secs_f64(secs)))),
        _ => Err(format!("must be a positive number of seconds (at most 1e9) or `never`, got {text:?}")),
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One simulation, with a report and the checker's verdict (what `dgame` alone does).
    Run(RunCommand),
    /// The same run over a range of seeds, on all cores; shrinks the first violation.
    Sweep(SweepArgs),
    /// Searches schedules and faults for a violation (of linearizability or an invariant),
    /// shrinks it, and prints the command that replays it.
    Explore(explore::ExploreArgs),
    /// Merges the `sweep --json` summaries of shards into one summary.
    Merge(merge::MergeArgs),
    /// Re-runs a run saved with `run --save FILE` and checks every event matches.
    Replay {
        /// The file `run --save` wrote.
        file: PathBuf,
    },
    /// Checks a history file (Jepsen EDN, or our JSON lines): linearizability for the register
    /// and kv, the workload's own checks for broadcast, counter, pn-counter and unique-ids.
    Check(CheckArgs),
    /// The algorithms, each with its guarantee.
    List,
    /// Plays the game in the browser: watch the signals, drop them, crash nodes, read the verdict.
    Play(PlayArgs),
}

#[derive(Debug, Clone, clap::Args)]
struct RunCommand {
    #[command(flatten)]
    run: RunArgs,
    /// Print the report as one JSON document.
    #[arg(long)]
    json: bool,
    /// Write the clients' history: EDN if FILE ends in `.edn`, else JSON lines. Created
    /// before the run; if it still cannot be written at the end, the report is printed all the
    /// same, then the error (exit code 2, or 1 for a violation).
    #[arg(long, value_name = "FILE")]
    history_out: Option<PathBuf>,
    /// Write every event as JSON lines, as the run goes.
    #[arg(long, value_name = "FILE")]
    trace_out: Option<PathBuf>,
    /// Save the run (configuration and every event) for `dgame replay`.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
struct CheckArgs {
    /// The history: Jepsen EDN (`.edn`, or a first line like EDN) or JSON lines (anything
    /// else; see docs/CHECKER.md). `-` reads standard input; a pipe, `/dev/stdin` or `<(...)`
    /// is kept in memory to be read again (at most 1 GiB), a regular file is streamed.
    file: PathBuf,
    /// The workload the history is of: register, kv (registers under keys), broadcast,
    /// counter, pn-counter or unique-ids.
    #[arg(short, long, default_value = "register", value_parser = parse_check_workload)]
    workload: dgame_engine::Workload,
    /// Read a failed compare-and-set as "it ran and the compare did not match" (register and
    /// kv).
    #[arg(long)]
    strict_failed_cas: bool,
    /// Give up after this many seconds (the verdict is then unknown); above a billion
    /// seconds (about 31 years) means no limit (register and kv).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true, value_parser = parse_time_limit)]
    time_limit: Option<f64>,
    /// Do not shrink a violation to its minimal operations (faster; the explanation lists
    /// more; register and kv).
    #[arg(long)]
    no_explain: bool,
    /// Print the verdict as JSON.
    #[arg(long)]
    json: bool,
}

/// The flags of `dgame play`: the run's, and where to serve.
#[derive(Debug, Clone, clap::Args)]
pub struct PlayArgs {
    /// The run: the same flags as `dgame run`.
    #[command(flatten)]
    pub run: RunArgs,
    /// The port to serve on (0: any free port).
    #[arg(long, default_value_t = 8080, allow_negative_numbers = true, value_parser = args::whole::<u16>("--port"))]
    pub port: u16,
    /// The address to listen on. The default serves this machine only; `0.0.0.0` serves
    /// anyone who can reach it, and anyone can then drop signals and crash nodes.
    #[arg(long, default_value = "127.0.0.1", value_parser = parse_addr)]
    pub addr: IpAddr,
    /// Ticks per second at the start (the page can change it).
    #[arg(long, default_value_t = 5.0, allow_negative_numbers = true, value_parser = parse_speed)]
    pub speed: f64,
    /// Start paused at tick 0.
    #[arg(long)]
    pub paused: bool,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    use crate::web::{MAX_SPEED, MIN_SPEED};
    match s.parse::<f64>() {
        Ok(v) if (MIN_SPEED..=MAX_SPEED).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a speed: write ticks per second between {MIN_SPEED} and {MAX_SPEED}, like 5")),
    }
}

/// The bad-usage exit code (also clap's).
const USAGE: u8 = 2;

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(USAGE)
}

/// What a failed write to standard output says (a closed pipe never gets here: it ends the
/// process quietly, see [`quiet_on_closed_pipe`]).
fn output_error(e: &std::io::Error) -> String {
    format!("cannot write the output: {e}")
}

/// Prints `text` to standard output, or says why it cannot (`dgame run > /dev/full`).
fn print_out(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|e| output_error(&e))
}

/// The program's name in reproduction commands: `dgame`, or a user's own binary's name.
static PROGRAM: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn set_program(argv0: &std::ffi::OsStr) {
    let name = std::path::Path::new(argv0).file_stem().map(|s| s.to_string_lossy().into_owned());
    let _ = PROGRAM.set(name.filter(|n| !n.is_empty()).unwrap_or_else(|| "dgame".to_owned()));
}

/// The program's name, as the commands that reproduce a run write it.
pub fn program() -> &'static str {
    PROGRAM.get().map_or("dgame", String::as_str)
}

/// The `dgame` binary with the built-in algorithms.
pub fn main() -> ExitCode {
    main_with(builtin())
}

/// The whole command line for these algorithms (a user's own, and the built-in ones if they
/// add [`builtin()`]).
pub fn main_with(algorithms: Vec<Algorithm>) -> ExitCode {
    main_from(algorithms, std::env::args_os())
}

/// Prints a clap error: help and version as clap does; a bad value as one line that names
/// the flag.
fn clap_error(e: &clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !e.use_stderr() {
        // Help and version: like any command's output, a closed pipe ends quietly and a
        // failed write is an error (`dgame --help > /dev/full`).
        quiet_on_closed_pipe();
        return match e.print() {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => fail(output_error(&err)),
        };
    }
    if e.kind() == ErrorKind::ValueValidation
        && let Some(source) = std::error::Error::source(e)
    {
        let source = source.to_string();
        let flag = match e.get(ContextKind::InvalidArg) {
            Some(ContextValue::String(arg)) => arg.split_whitespace().next().unwrap_or_default().to_owned(),
            _ => String::new(),
        };
        return if flag.is_empty() || source.starts_with(&flag) {
            fail(source)
        } else {
            fail(format!("{flag}: {source}"))
        };
    }
    let _ = e.print();
    ExitCode::from(USAGE)
}

/// [`main_with`] on the given arguments (the first is the program name).
pub fn main_from<I, T>(algorithms: Vec<Algorithm>, args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    if let Some(argv0) = args.first() {
        set_program(argv0);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return clap_error(&e),
    };
    crate::watch::set_handler_budget(cli.handler_budget.0);
    memory::set_limit(cli.memory_limit.0);
    let command = cli.command.unwrap_or(Command::Run(cli.run));
    if !matches!(command, Command::Play(_)) {
        quiet_on_closed_pipe();
    }
    let result = match command {
        Command::Run(cmd) => run(&algorithms, &cmd),
        Command::Sweep(args) => sweep::sweep(&algorithms, &args),
        Command::Explore(args) => Ok(explore::explore(&algorithms, &args)),
        Command::Merge(args) => merge::merge(&args),
        Command::Replay { file } => files::replay(&algorithms, &file, program()),
        Command::Check(args) => check(&args),
        Command::Play(args) => play(&algorithms, &args),
        Command::List => {
            let text: String = algorithms
                .iter()
                .map(|a| format!("{:34} {:16} {}\n", a.name, a.workload_names(), a.guarantee))
                .collect();
            print_out(&text).map(|()| ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(fail)
}

/// Like every command-line tool: when the reader of our output goes away (`dgame | head`),
/// stop quietly instead of panicking on the failed write. Not for `play`, whose server must
/// survive a browser tab closing its stream.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default action of SIGPIPE touches no Rust state, and no thread of
    // ours is running yet.
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// The configuration of the run flags, its warnings printed to standard error.
fn config_of(run: &RunArgs) -> Result<dgame_engine::Config, String> {
    let config = run.to_config()?;
    memory::check(&config, 1, |_| String::new())?;
    let warnings: Vec<String> = lint::warnings(&config).into_iter().chain(unused_flags(run, &config)).collect();
    // A configuration with thousands of faults after its end would bury the run: the first
    // ones say enough.
    const SHOWN: usize = 20;
    for w in warnings.iter().take(SHOWN) {
        eprintln!("warning: {w}");
    }
    if warnings.len() > SHOWN {
        eprintln!("warning: and {} more warnings like these", warnings.len() - SHOWN);
    }
    Ok(config)
}

/// The flags given that the configuration's workload has no use for.
fn unused_flags(run: &RunArgs, config: &dgame_engine::Config) -> Vec<String> {
    use dgame_engine::Workload as W;
    let w = config.workload;
    let given = [
        ("--keys", run.keys.is_some(), w == W::Kv, "the kv workload"),
        ("--values", run.values.is_some(), matches!(w, W::Register | W::Kv), "the register and kv workloads"),
        ("--client-kind", run.client_kind.is_some(), w != W::UniqueIds, "every workload but unique-ids"),
    ];
    given
        .into_iter()
        .filter(|&(_, given, used, _)| given && !used)
        .map(|(flag, _, _, for_whom)| format!("{flag} is for {for_whom}, not {w}: it changes nothing here"))
        .collect()
}

fn play(algorithms: &[Algorithm], args: &PlayArgs) -> Result<ExitCode, String> {
    let config = config_of(&args.run)?;
    let algorithm = choose_for(algorithms, args.run.algorithm.as_deref(), config.workload)?;
    let options = crate::web::PlayOptions {
        config,
        addr: args.addr,
        port: args.port,
        speed: args.speed,
        paused: args.paused,
        program: program().to_owned(),
        ..crate::web::PlayOptions::default()
    };
    Ok(crate::web::play(&[algorithm.game()], options))
}

/// Refuses outputs that would overwrite each other or an input of the run.
fn distinct_files(cmd: &RunCommand) -> Result<(), String> {
    let same = |a: &Path, b: &Path| match (std::path::absolute(a), std::path::absolute(b)) {
        (Ok(a), Ok(b)) => a == b || a.canonicalize().is_ok_and(|a| b.canonicalize().is_ok_and(|b| a == b)),
        _ => a == b,
    };
    let outputs = [("--history-out", &cmd.history_out), ("--trace-out", &cmd.trace_out), ("--save", &cmd.save)];
    let inputs = [("--config", &cmd.run.config), ("--script", &cmd.run.script)];
    let outputs: Vec<(&str, &Path)> = outputs.iter().filter_map(|(f, p)| Some((*f, p.as_deref()?))).collect();
    for (i, &(flag, path)) in outputs.iter().enumerate() {
        let others = outputs[..i].iter().copied().chain(inputs.iter().filter_map(|(f, p)| Some((*f, p.as_deref()?))));
        for (other, other_path) in others {
            if same(path, other_path) {
                return Err(format!(
                    "{flag} {} is also the file of {other}: give each output a file of its own",
                    path.display()
                ));
            }
        }
    }
    Ok(())
}

fn run(algorithms: &[Algorithm], cmd: &RunCommand) -> Result<ExitCode, String> {
    distinct_files(cmd)?;
    let config = config_of(&cmd.run)?;
    let algorithm = choose_for(algorithms, cmd.run.algorithm.as_deref(), config.workload)?;
    let writer = files::EventWriter::open(cmd.trace_out.as_deref(), cmd.save.as_deref(), algorithm.name, &config)?;
    let history_file = cmd.history_out.as_deref().map(files::HistoryFile::create).transpose()?;
    // An output that fails once the run has been made (`/dev/full` opens fine) loses that
    // file, not the run: the report is printed all the same, the errors after it.
    let mut output_errors = Vec::new();
    let out = if writer.is_empty() {
        algorithm.run(&config)
    } else {
        let writer = std::rc::Rc::new(std::cell::RefCell::new(writer));
        let out = algorithm.run_observed(&config, Box::new(dgame_engine::event::SharedObserver(writer.clone())));
        output_errors.extend(writer.borrow_mut().finish().err());
        out
    }
    .map_err(|e| e.to_string())?;
    let verdict = out.error.is_none().then(|| out.history.check());
    let report = Report::new(program(), algorithm.name, &config, &out, verdict.as_ref());
    if let Some(file) = history_file {
        output_errors.extend(file.write(&out).err());
    }
    let text = if cmd.json {
        serde_json::to_string_pretty(&report).expect("reports serialize") + "\n"
    } else {
        report.to_text()
    };
    if let Err(e) = print_out(&text) {
        // Nothing was kept: every error, and exit code 2 whatever the verdict.
        after_output_errors(USAGE, &output_errors);
        return Err(e);
    }
    if cmd.json
        && let Some(w) = report.no_success_warning()
    {
        eprintln!("warning: {w}");
    }
    // After the report, beside the run's other warnings; a run that stopped early may not
    // have reached the signals, and its error says why.
    if out.error.is_none()
        && let Some(w) = unsent::warning(&config.deviations, out.stats.sent)
    {
        eprintln!("warning: {w}");
    }
    if let Some(e) = out.error.as_ref().filter(|e| !matches!(e, dgame_engine::RunError::InvariantBroken { .. })) {
        eprintln!("error: the run stopped: {e}\nreproduce: {}", report.reproduce);
    }
    Ok(ExitCode::from(after_output_errors(report.verdict.exit_code(), &output_errors)))
}

/// Prints the errors of the output files that could not be written, after the result they
/// failed to keep, and gives the exit code: a violation's 1 stays 1 (its report, with the
/// command that reproduces it, was printed: a violation is never taken for bad usage); any
/// other code becomes 2 (a lost file is never taken for success).
fn after_output_errors(code: u8, errors: &[String]) -> u8 {
    for e in errors {
        eprintln!("error: {e}");
    }
    if errors.is_empty() || code == 1 { code } else { USAGE }
}

/// Above this many seconds a time limit is no limit (and no deadline overflows).
const NO_TIME_LIMIT_ABOVE: f64 = 1e9;

/// `check --time-limit`: a positive number of seconds (the flag named, as clap's own float
/// parser does not).
fn parse_time_limit(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(secs) if secs > 0.0 => Ok(secs),
        _ => Err(format!(
            "--time-limit must be a positive number of seconds, like 10 or 0.5 (above 1e9: no limit), got `{s}`"
        )),
    }
}

fn parse_check_workload(s: &str) -> Result<dgame_engine::Workload, String> {
    s.parse().map_err(|e: dgame_engine::workload::UnknownWorkload| e.to_string())
}

fn check(args: &CheckArgs) -> Result<ExitCode, String> {
    let kind = match args.workload {
        dgame_engine::Workload::Register | dgame_engine::Workload::Kv => return check_registers(args),
        other => other.name().parse::<dgame_checker::workload::WorkloadKind>().map_err(|e| e.to_string())?,
    };
    let register_only = [
        ("--strict-failed-cas", args.strict_failed_cas),
        ("--time-limit", args.time_limit.is_some()),
        ("--no-explain", args.no_explain),
    ];
    if let Some((flag, _)) = register_only.iter().find(|(_, given)| *given) {
        return Err(format!(
            "{flag} is for register and kv histories; the {kind} checker has no such setting",
            kind = kind.name()
        ));
    }
    let source = source::HistorySource::open(&args.file)?;
    let history = files::read_workload_history(&source, kind)?;
    let verdict = history.check();
    print_verdict(args, source.name(), &verdict, history.len())
}

/// A workload checker's summary without its leading verdict (`VALID: ` or `INVALID (2
/// violations): `), which the line before it already says.
fn figures(summary: &str) -> &str {
    match summary.split_once(": ") {
        Some((verdict, rest)) if verdict.starts_with("VALID") || verdict.starts_with("INVALID") => rest,
        _ => summary,
    }
}

fn check_registers(args: &CheckArgs) -> Result<ExitCode, String> {
    let mut options =
        dgame_checker::Options::default().strict_failed_cas(args.strict_failed_cas).minimize(!args.no_explain);
    if let Some(secs) = args.time_limit {
        options = if secs <= NO_TIME_LIMIT_ABOVE {
            options.time_limit(std::time::Duration::from_secs_f64(secs))
        } else {
            options.max_time(None).max_steps(None)
        };
    }
    // Streamed where the file allows (memory for the longest stretch without a quiescent
    // point), else read whole; either may read it more than once, which a pipe's source
    // allows by keeping what it read.
    let source = source::HistorySource::open(&args.file)?;
    if let Some((verdict, operations)) = files::check_streaming(&source, args.workload, &options) {
        return print_verdict(args, source.name(), &verdict, operations);
    }
    let history = files::read_history(&source, args.workload)?;
    let verdict = dgame_checker::check(&history, &options);
    print_verdict(args, source.name(), &verdict, history.len())
}

/// Prints the verdict on a history file of `operations` operations, as text or JSON, and
/// gives its exit code: 0 linearizable or valid, 1 not, 2 unknown.
fn print_verdict(
    args: &CheckArgs,
    file: &str,
    verdict: &dgame_checker::Verdict,
    operations: usize,
) -> Result<ExitCode, String> {
    if operations == 0 {
        // Trivially linearizable (or valid): say so, since an empty file is more often a
        // mistake (a history still being written, the wrong file) than a history.
        eprintln!("warning: {file} holds no operation: nothing was checked");
    }
    let report = VerdictReport::of(verdict);
    let text = if args.json {
        serde_json::to_string_pretty(&report).expect("verdicts serialize") + "\n"
    } else {
        match &report {
            VerdictReport::Linearizable => format!("{file}: LINEARIZABLE ({})\n", plural(operations, "operation")),
            VerdictReport::NotLinearizable { explanation, operations, .. } => {
                let mut t = format!("{file}: NOT LINEARIZABLE\n  {explanation}\n");
                for op in operations {
                    t.push_str(&format!("    - {op}\n"));
                }
                t
            }
            VerdictReport::Valid { workload, summary } => {
                format!("{file}: VALID ({workload}, {})\n  {}\n", plural(operations, "operation"), figures(summary))
            }
            VerdictReport::Invalid { workload, explanation, operations: ops, summary, total, .. } => {
                let violations = if *total == 1 { "1 violation".to_owned() } else { format!("{total} violations") };
                let mut t = format!("{file}: INVALID ({workload}, {violations})\n  {explanation}\n");
                for op in ops {
                    t.push_str(&format!("    - {op}\n"));
                }
                if *total > 1 {
                    t.push_str(&format!("  (and {} more)\n", total - 1));
                }
                t.push_str(&format!("  {}\n", figures(summary)));
                t
            }
            VerdictReport::Unknown { reason } => format!("{file}: UNKNOWN ({reason})\n"),
            VerdictReport::Error { error } => format!("{file}: {error}\n"),
            VerdictReport::InvariantBroken { .. } => unreachable!("a history file has no nodes"),
        }
    };
    print_out(&text)?;
    Ok(ExitCode::from(report.exit_code()))
}

fn parse_addr(s: &str) -> Result<IpAddr, String> {
    s.parse().map_err(|_| {
        format!(
            "`{s}` is not an IP address: give one, like 127.0.0.1 (the default, this machine only) or 0.0.0.0 (all)"
        )
    })
}

/// `1 operation`, `2 operations`.
fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}
