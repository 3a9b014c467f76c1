//! `dgame merge`: the `sweep --json` summaries of a sweep's shards, as one summary.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use super::files::read_limited;
use super::sweep::{SweepSummary, print_summary};

/// The largest summary file read (a summary is a few kilobytes plus two reports).
const MAX_SUMMARY_BYTES: u64 = 64 << 20;

/// `dgame merge` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct MergeArgs {
    /// The summaries, each written by `dgame sweep --json --shard K/N`.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print the merged summary as JSON.
    #[arg(long)]
    json: bool,
}

/// Merges the shards' summaries; they must be of one sweep (same algorithm, configuration and
/// seed range) and each shard at most once. A missing shard is a warning: the merged figures
/// are then those of the shards given.
pub fn merge(args: &MergeArgs) -> Result<ExitCode, String> {
    let mut merged: Option<SweepSummary> = None;
    let mut shards = BTreeSet::new();
    let mut of = None;
    for path in &args.files {
        let text = read_limited(path, MAX_SUMMARY_BYTES, "the summary")?;
        let s: SweepSummary = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a summary written by `dgame sweep --json` ({e})", path.display()))?;
        let (k, n) = s.shard.unwrap_or((1, 1));
        if *of.get_or_insert(n) != n {
            return Err(format!(
                "{}: shard {k}/{n} is of a sweep cut in {} shards, not {n}",
                path.display(),
                of.unwrap_or(n)
            ));
        }
        if !shards.insert(k) {
            return Err(format!("{}: shard {k}/{n} is given twice", path.display()));
        }
        match &mut merged {
            None => merged = Some(s),
            Some(m) => {
                if m.algorithm != s.algorithm || m.config != s.config || m.seeds != s.seeds {
                    return Err(format!(
                        "{}: a sweep of {} over seeds {}..{} with another configuration than the first file's \
                         ({} over {}..{})",
                        path.display(),
                        s.algorithm,
                        s.seeds.start,
                        s.seeds.end,
                        m.algorithm,
                        m.seeds.start,
                        m.seeds.end
                    ));
                }
                m.merge(&s);
            }
        }
    }
    let mut merged = merged.expect("clap requires at least one file");
    let n = of.unwrap_or(1);
    let missing: Vec<String> = (1..=n).filter(|k| !shards.contains(k)).map(|k| format!("{k}/{n}")).collect();
    if !missing.is_empty() {
        eprintln!("warning: shards {} are missing: the figures are those of the shards given", missing.join(", "));
    }
    merged.shard = None;
    print_summary(&merged, args.json)?;
    Ok(ExitCode::from(merged.exit_code()))
}
