//! Times the checker on Porcupine's 102 etcd histories (strict failed compare-and-sets) and
//! compares each verdict with `verdicts.tsv`.
//!
//! `cargo run --release -p dgame-checker --example etcd [-- DIR [RUNS]]` (default directory
//! `../shared/data/porcupine-etcd` relative to the workspace root, 21 runs per file; the
//! median is reported).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use dgame_checker::{Options, check, edn};

/// `dgame check` allocates with mimalloc: so do these figures, which stand beside Porcupine's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/porcupine-etcd"));
    let runs: usize = std::env::args().nth(2).and_then(|r| r.parse().ok()).unwrap_or(21);
    let Ok(verdicts) = std::fs::read_to_string(dir.join("verdicts.tsv")) else {
        eprintln!("no etcd histories at {} (verdicts.tsv missing); skipping", dir.display());
        return;
    };
    let mut times = Vec::new();
    let mut total = Duration::ZERO;
    let mut total_bare = Duration::ZERO;
    let mut wrong = 0;
    for line in verdicts.lines().filter(|l| !l.trim().is_empty()) {
        let Some((name, expected)) = line.split_once('\t') else { continue };
        let text = std::fs::read_to_string(dir.join(name)).expect("readable history");
        let history = edn::parse(&text).expect("parses");
        let options = Options::default().strict_failed_cas(true).parallel(false);
        let median = |options: &Options| {
            let mut t: Vec<Duration> = (0..runs)
                .map(|_| {
                    let start = Instant::now();
                    let v = check(&history, options);
                    let took = start.elapsed();
                    std::hint::black_box(v);
                    took
                })
                .collect();
            t.sort();
            t[t.len() / 2]
        };
        let verdict = check(&history, &options);
        let got = if verdict.is_linearizable() {
            "linearizable"
        } else if verdict.is_violation() {
            "not-linearizable"
        } else {
            "unknown"
        };
        if got != expected.trim() {
            wrong += 1;
            println!("{name}: WRONG: expected {expected}, got {got}");
        }
        let full = median(&options);
        let bare = median(&options.clone().minimize(false));
        total += full;
        total_bare += bare;
        let size = match &verdict {
            dgame_checker::Verdict::NotLinearizable { explanation } => explanation.ops.len(),
            _ => 0,
        };
        times.push((full, bare, name.to_string(), size));
    }
    times.sort_by_key(|t| std::cmp::Reverse(t.0));
    for (full, bare, name, size) in times.iter().take(8) {
        println!("{name}: {full:?} (verdict only {bare:?}, explanation {size} ops)");
    }
    for (full, bare, name, size) in times.iter().filter(|t| t.2 == "etcd_057.edn" || t.2 == "etcd_099.edn") {
        println!("{name}: {full:?} (verdict only {bare:?}, explanation {size} ops)");
    }
    println!("{} histories, {wrong} wrong; sum of medians {total:?} (verdict only {total_bare:?})", times.len());
}
