//! The `dgame` command line: `run`, `sweep`, `explore`, `replay`, `check`, `list`, `play`.
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

mod args;
mod explore;
mod faults;
mod files;
mod registry;
mod report;
mod sweep;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use args::{RunArgs, command_line};
pub use explore::ExploreArgs;
pub use faults::{FaultLog, FaultRecord};
pub use registry::{Algorithm, MessageCounts, RunOptions, RunOutput, builtin};
pub use report::{Latency, Report, VerdictReport};
pub use sweep::{SweepArgs, SweepSummary};

/// Run, sweep, shrink and check replication algorithms in a deterministic simulation.
#[derive(Debug, Parser)]
#[command(name = "dgame", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// With no command, `dgame` runs `dgame run` with these flags.
    #[command(flatten, next_help_heading = "Run options (with no command, `dgame` runs `dgame run`)")]
    run: RunCommand,
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
    /// Re-runs a run saved with `run --save FILE` and checks every event matches.
    Replay {
        /// The file `run --save` wrote.
        file: PathBuf,
    },
    /// Checks a history file (Jepsen EDN, or our JSON lines) for linearizability.
    Check(CheckArgs),
    /// The algorithms, each with its guarantee.
    List,
    /// Plays the game in the browser: watch the signals, drop them, crash nodes, read the verdict.
    Play(crate::web::PlayArgs),
}

#[derive(Debug, Clone, clap::Args)]
struct RunCommand {
    #[command(flatten)]
    run: RunArgs,
    /// Print the report as one JSON document.
    #[arg(long)]
    json: bool,
    /// Write the clients' history: EDN if FILE ends in `.edn`, else JSON lines.
    #[arg(long, value_name = "FILE")]
    history_out: Option<PathBuf>,
    /// Write every event as JSON lines.
    #[arg(long, value_name = "FILE")]
    trace_out: Option<PathBuf>,
    /// Save the run (configuration and every event) for `dgame replay`.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
struct CheckArgs {
    /// The history: Jepsen EDN (`.edn`) or JSON lines (anything else; see docs/CHECKER.md).
    file: PathBuf,
    /// Read a failed compare-and-set as "it ran and the compare did not match".
    #[arg(long)]
    strict_failed_cas: bool,
    /// Give up after this many seconds (the verdict is then unknown).
    #[arg(long, value_name = "SECONDS")]
    time_limit: Option<f64>,
    /// Print the verdict as JSON.
    #[arg(long)]
    json: bool,
}

/// The bad-usage exit code (also clap's).
const USAGE: u8 = 2;

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(USAGE)
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

/// [`main_with`] on the given arguments (the first is the program name).
pub fn main_from<I, T>(algorithms: Vec<Algorithm>, args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    if let Some(argv0) = args.first() {
        args::set_program(argv0);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE } else { 0 });
        }
    };
    let command = cli.command.unwrap_or(Command::Run(cli.run));
    if !matches!(command, Command::Play(_)) {
        quiet_on_closed_pipe();
    }
    match command {
        Command::Run(cmd) => run(&algorithms, &cmd),
        Command::Sweep(args) => sweep::sweep(&algorithms, &args),
        Command::Explore(args) => explore::explore(&algorithms, &args),
        Command::Replay { file } => files::replay(&algorithms, &file),
        Command::Check(args) => check(&args),
        Command::Play(args) => crate::web::play(&algorithms, &args),
        Command::List => {
            for a in &algorithms {
                println!("{:34} {}", a.name, a.guarantee);
            }
            ExitCode::SUCCESS
        }
    }
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

/// The algorithm named by `--algorithm`, or the first one when none is named.
pub fn choose<'a>(algorithms: &'a [Algorithm], name: Option<&str>) -> Result<&'a Algorithm, String> {
    match name {
        Some(name) => find(algorithms, name),
        None => algorithms.first().ok_or_else(|| "no algorithm to run: give main_with at least one".to_owned()),
    }
}

/// Finds an algorithm by name, or says which exist.
pub fn find<'a>(algorithms: &'a [Algorithm], name: &str) -> Result<&'a Algorithm, String> {
    algorithms.iter().find(|a| a.name == name).ok_or_else(|| {
        let names: Vec<&str> = algorithms.iter().map(|a| a.name).collect();
        format!("unknown algorithm `{name}`; the algorithms are: {}", names.join(", "))
    })
}

fn run(algorithms: &[Algorithm], cmd: &RunCommand) -> ExitCode {
    let algorithm = match choose(algorithms, cmd.run.algorithm.as_deref()) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let config = match cmd.run.to_config() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let want_trace = cmd.trace_out.is_some() || cmd.save.is_some();
    let out = match algorithm.run(&config, want_trace) {
        Ok(out) => out,
        Err(e) => return fail(e),
    };
    let verdict = out.error.is_none().then(|| out.history.check());
    let report = Report::new(algorithm.name, &config, &out, verdict.as_ref());
    if let Err(e) = files::write_outputs(
        cmd.history_out.as_deref(),
        cmd.trace_out.as_deref(),
        cmd.save.as_deref(),
        algorithm.name,
        &config,
        &out,
    ) {
        return fail(e);
    }
    if cmd.json {
        println!("{}", serde_json::to_string_pretty(&report).expect("reports serialize"));
    } else {
        print!("{}", report.to_text());
    }
    if let Some(e) = out.error.as_ref().filter(|e| !matches!(e, dgame_engine::RunError::InvariantBroken { .. })) {
        eprintln!("error: the run stopped: {e}\nreproduce: {}", report.reproduce);
    }
    let _ = std::io::stdout().flush();
    ExitCode::from(report.verdict.exit_code())
}

fn check(args: &CheckArgs) -> ExitCode {
    let history = match files::read_history(&args.file) {
        Ok(h) => h,
        Err(e) => return fail(e),
    };
    let mut options = dgame_checker::Options::default().strict_failed_cas(args.strict_failed_cas);
    if let Some(secs) = args.time_limit {
        match std::time::Duration::try_from_secs_f64(secs) {
            Ok(limit) if secs > 0.0 => options = options.max_time(Some(limit)),
            _ => return fail(format!("--time-limit must be a positive number of seconds, got {secs}")),
        }
    }
    let verdict = dgame_checker::check(&history, &options);
    let report = VerdictReport::of(&verdict);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).expect("verdicts serialize"));
    } else {
        match &report {
            VerdictReport::Linearizable => {
                println!("{}: LINEARIZABLE ({} operations)", args.file.display(), history.len())
            }
            VerdictReport::NotLinearizable { explanation, operations, .. } => {
                println!("{}: NOT LINEARIZABLE\n  {explanation}", args.file.display());
                for op in operations {
                    println!("    - {op}");
                }
            }
            VerdictReport::Unknown { reason } => println!("{}: UNKNOWN ({reason})", args.file.display()),
            VerdictReport::Error { error } => println!("{}: {error}", args.file.display()),
            VerdictReport::InvariantBroken { .. } => unreachable!("a history file has no nodes"),
        }
    }
    ExitCode::from(report.exit_code())
}
