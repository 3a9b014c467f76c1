//! Files: history import and export, traces, and saved runs for `dgame replay`.

use std::path::Path;
use std::process::ExitCode;

use dgame_engine::Config;
use serde::{Deserialize, Serialize};

use super::registry::{Algorithm, RunOutput};

/// A saved run: enough to run it again and compare every event.
#[derive(Debug, Serialize, Deserialize)]
struct SavedRun {
    /// Always `dgame-run`.
    format: String,
    /// The format's version.
    version: u32,
    algorithm: String,
    config: Config,
    /// Every event, as the trace writes them.
    events: Vec<serde_json::Value>,
}

const FORMAT: &str = "dgame-run";

fn is_edn(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("edn"))
}

/// Reads a history: Jepsen EDN if the file ends in `.edn` or starts like EDN, else JSON lines.
pub fn read_history(path: &Path) -> Result<dgame_checker::History, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let first = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with(';'));
    let looks_edn = first.is_some_and(|l| l.starts_with('[') || l.starts_with('(') || l.starts_with("{:"));
    if is_edn(path) || looks_edn {
        dgame_checker::edn::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    } else {
        dgame_checker::jsonl::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes what `run` was asked to export.
pub fn write_outputs(
    history_out: Option<&Path>,
    trace_out: Option<&Path>,
    save: Option<&Path>,
    algorithm: &str,
    config: &Config,
    out: &RunOutput,
) -> Result<(), String> {
    if let Some(path) = history_out {
        let h = out.history.to_checker();
        let text = if is_edn(path) { dgame_checker::edn::write(&h) } else { dgame_checker::jsonl::write(&h) };
        write(path, &text)?;
    }
    let events = out.trace.as_deref().unwrap_or_default();
    if let Some(path) = trace_out {
        let mut text = String::new();
        for e in events {
            text.push_str(&serde_json::to_string(e).expect("events serialize"));
            text.push('\n');
        }
        write(path, &text)?;
    }
    if let Some(path) = save {
        let saved = SavedRun {
            format: FORMAT.into(),
            version: 1,
            algorithm: algorithm.into(),
            config: config.clone(),
            events: events.iter().map(|e| serde_json::to_value(e).expect("events serialize")).collect(),
        };
        write(path, &serde_json::to_string(&saved).expect("saved runs serialize"))?;
    }
    Ok(())
}

/// `dgame replay FILE`: 0 when every event matches, 1 at the first difference, 2 on bad input.
pub fn replay(algorithms: &[Algorithm], path: &Path) -> ExitCode {
    let fail = |msg: String| {
        eprintln!("error: {msg}");
        ExitCode::from(2)
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return fail(format!("cannot read {}: {e}", path.display())),
    };
    let saved: SavedRun = match serde_json::from_str(&text) {
        Ok(s) => s,
        Err(e) => {
            return fail(format!("{}: not a run saved by `dgame run --save` ({e})", path.display()));
        }
    };
    if saved.format != FORMAT || saved.version != 1 {
        return fail(format!(
            "{}: format {} version {} is not one this dgame reads",
            path.display(),
            saved.format,
            saved.version
        ));
    }
    let algorithm = match super::find(algorithms, &saved.algorithm) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    if let Err(e) = saved.config.validate() {
        return fail(format!("{}: {e}", path.display()));
    }
    let out = match algorithm.run(&saved.config, true) {
        Ok(o) => o,
        Err(e) => return fail(e.to_string()),
    };
    let events: Vec<serde_json::Value> =
        out.trace.unwrap_or_default().iter().map(|e| serde_json::to_value(e).expect("events serialize")).collect();
    let command = super::args::command_line(&saved.algorithm, &saved.config);
    for (i, (want, got)) in saved.events.iter().zip(&events).enumerate() {
        if want != got {
            println!("DIFFERENT at event {i} of {}:\n  saved:  {want}\n  replay: {got}", saved.events.len());
            return ExitCode::from(1);
        }
    }
    if saved.events.len() != events.len() {
        println!("DIFFERENT: the saved run has {} events, the replay {}", saved.events.len(), events.len());
        return ExitCode::from(1);
    }
    println!("IDENTICAL: all {} events of {} match ({command})", events.len(), path.display());
    ExitCode::SUCCESS
}
