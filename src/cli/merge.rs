//! `dgame merge`: the `sweep --json` summaries of a sweep's shards, as one summary.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use super::files::read_limited;
use super::sweep::{LISTED_SEEDS, Seeds, SweepSummary, print_summary};

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
        check_summary(&s).map_err(|e| format!("{}: {e}", path.display()))?;
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
                if let Some(differs) = difference(m, &s) {
                    return Err(format!(
                        "{}: not a shard of the first file's sweep: its {differs}; merge the shards of one sweep",
                        path.display()
                    ));
                }
                m.merge(&s).map_err(|e| format!("{}: {e}", path.display()))?;
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

/// What makes `s` a shard of another sweep than `first`'s: the algorithm, the seed range, or
/// the first configuration key whose value differs, with both values.
fn difference(first: &SweepSummary, s: &SweepSummary) -> Option<String> {
    if first.algorithm != s.algorithm {
        return Some(format!("algorithm is {}, the first file's {}", s.algorithm, first.algorithm));
    }
    if first.seeds != s.seeds {
        let (a, b) = (&s.seeds, &first.seeds);
        return Some(format!("seeds are {}..{}, the first file's {}..{}", a.start, a.end, b.start, b.end));
    }
    if first.config == s.config {
        return None;
    }
    let as_map = |c| match serde_json::to_value(c) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let (a, b) = (as_map(&s.config), as_map(&first.config));
    let null = serde_json::Value::Null;
    let key = a.keys().chain(b.keys()).find(|k| a.get(*k).unwrap_or(&null) != b.get(*k).unwrap_or(&null));
    Some(match key {
        Some(k) => format!(
            "configuration's `{k}` is {}, the first file's {}",
            cut(a.get(k).unwrap_or(&null)),
            cut(b.get(k).unwrap_or(&null))
        ),
        None => "configuration differs from the first file's".to_owned(),
    })
}

/// A value as an error shows it: whole up to 80 characters, cut short beyond (a schedule of
/// hundreds of faults is one value).
fn cut(v: &serde_json::Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(80) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text,
    }
}

/// Checks that a summary is one `dgame sweep --json` could have written for its shard: its
/// counts add up to its seeds run, which are at most the shard's share of the seed range, and
/// every seed it lists is one of that share. A hand-edited or corrupted file is refused with the
/// field that does not fit, rather than merged into figures that mean nothing.
fn check_summary(s: &SweepSummary) -> Result<(), String> {
    let (k, n) = s.shard.unwrap_or((1, 1));
    if k == 0 || k > n {
        return Err(format!("`shard` is {k}/{n}: a shard K/N has 1 <= K <= N"));
    }
    let (start, end) = (s.seeds.start, s.seeds.end);
    let width =
        end.checked_sub(start).ok_or_else(|| format!("`seeds` is {start}..{end}: the range ends before it starts"))?;
    // As `sweep` counts them: the positions k-1, k-1+n, ... of the range.
    let share = width.saturating_sub(k - 1).div_ceil(n);
    let of_shard = |seed: u64| seed >= start && seed < end && (seed - start) % n == k - 1;
    let where_ = format!("shard {k}/{n} of seeds {start}..{end}");
    if s.seeds_run > share {
        return Err(format!("`seeds_run` is {}, but {where_} has {share} seeds", s.seeds_run));
    }
    if s.seeds_run < share && !s.interrupted && s.stopped.is_none() && s.violations.count == 0 {
        return Err(format!(
            "`seeds_run` is {} of the {share} seeds of {where_}, but the summary says neither that the sweep \
             stopped early (`interrupted`, `stopped`) nor that it found a violation",
            s.seeds_run
        ));
    }
    let outcomes = [s.linearizable, s.violations.count, s.unknown.count, s.errors.count];
    let sum = outcomes.iter().try_fold(0u64, |a, &b| a.checked_add(b));
    if sum != Some(s.seeds_run) {
        let sum = sum.map_or_else(|| "more than 2^64".to_owned(), |t| t.to_string());
        return Err(format!(
            "`linearizable` {} + `violations.count` {} + `unknown.count` {} + `errors.count` {} is {sum}, not \
             `seeds_run` {}: each seed run has one outcome",
            outcomes[0], outcomes[1], outcomes[2], outcomes[3], s.seeds_run
        ));
    }
    for (field, seeds) in
        [("violations", &s.violations), ("unknown", &s.unknown), ("errors", &s.errors), ("no_success", &s.no_success)]
    {
        check_seeds(field, seeds, &of_shard, &where_)?;
    }
    if s.no_success.count > s.seeds_run {
        return Err(format!("`no_success.count` is {}, more than `seeds_run` {}", s.no_success.count, s.seeds_run));
    }
    let by_kind = s.errors_by_kind.values().try_fold(0u64, |a, &b| a.checked_add(b));
    if by_kind != Some(s.errors.count) {
        let by_kind = by_kind.map_or_else(|| "more than 2^64".to_owned(), |t| t.to_string());
        return Err(format!(
            "`errors_by_kind` adds up to {by_kind}, not `errors.count` {}: each error has one kind",
            s.errors.count
        ));
    }
    match &s.first_error {
        Some(e) if !of_shard(e.seed) => {
            return Err(format!("`first_error.seed` is {}, not a seed of {where_}", e.seed));
        }
        Some(_) if s.errors.count == 0 => return Err("`first_error` is given, but `errors.count` is 0".to_owned()),
        None if s.errors.count > 0 => {
            return Err(format!("`first_error` is missing, but `errors.count` is {}", s.errors.count));
        }
        _ => {}
    }
    for (kind, &runs) in &s.runs_with_fault {
        if runs > s.seeds_run {
            return Err(format!("`runs_with_fault.{kind}` is {runs}, more than `seeds_run` {}", s.seeds_run));
        }
    }
    if s.runs_without_faults > s.seeds_run {
        return Err(format!(
            "`runs_without_faults` is {}, more than `seeds_run` {}",
            s.runs_without_faults, s.seeds_run
        ));
    }
    let h = &s.histograms;
    for (field, histogram) in [
        ("histograms.availability_permille", &h.availability_permille),
        ("histograms.latency_p50", &h.latency_p50),
        ("histograms.latency_max", &h.latency_max),
    ] {
        let seeds = histogram.counts.values().try_fold(0u64, |a, &b| a.checked_add(b));
        if seeds != Some(s.seeds_run) {
            let seeds = seeds.map_or_else(|| "more than 2^64".to_owned(), |t| t.to_string());
            return Err(format!(
                "`{field}` counts {seeds} seeds, not `seeds_run` {}: each seed run is counted once",
                s.seeds_run
            ));
        }
    }
    if let Some(v) = &s.first_violation {
        if s.violations.count == 0 {
            return Err("`first_violation` is given, but `violations.count` is 0".to_owned());
        }
        if !of_shard(v.config.seed) {
            return Err(format!("`first_violation.config.seed` is {}, not a seed of {where_}", v.config.seed));
        }
    }
    for (field, x) in [("seconds", s.seconds), ("seeds_per_second", s.seeds_per_second)] {
        if !(x.is_finite() && x >= 0.0) {
            return Err(format!("`{field}` is {x}: a duration or a rate is a number 0 or more"));
        }
    }
    Ok(())
}

/// The seeds of one kind: as many listed as the count allows (the smallest, at most
/// [`LISTED_SEEDS`]), in increasing order, each of the shard.
fn check_seeds(field: &str, seeds: &Seeds, of_shard: &dyn Fn(u64) -> bool, where_: &str) -> Result<(), String> {
    let listed = usize::try_from(seeds.count).map_or(LISTED_SEEDS, |c| c.min(LISTED_SEEDS));
    if seeds.first.len() != listed {
        return Err(format!(
            "`{field}.first` lists {} seeds, but with `{field}.count` {} it lists {listed}",
            seeds.first.len(),
            seeds.count
        ));
    }
    if seeds.first.windows(2).any(|w| w[0] >= w[1]) {
        return Err(format!("`{field}.first` is not in increasing order"));
    }
    if let Some(seed) = seeds.first.iter().find(|&&seed| !of_shard(seed)) {
        return Err(format!("`{field}.first` lists seed {seed}, not a seed of {where_}"));
    }
    Ok(())
}
