//! The checker on the benchmark grid of `dgame_checker::generator::grid`, Porcupine's etcd
//! histories, and the parsers.
//!
//! `cargo bench -p dgame-checker --bench checker`
//!
//! - `check/NAME`: the full verdict, explanation included; `verdict-only/NAME` skips
//!   shrinking a violation (`Options::minimize(false)`).
//! - `etcd/etcd_057`, `etcd/etcd_099`, `etcd/all-102`: Porcupine's etcd histories with strict
//!   failed compare-and-sets (`all-102` checks every one once per iteration), read from
//!   `../shared/data/porcupine-etcd` relative to the workspace root; skipped with a message
//!   when absent.
//! - `parse/edn-4x100000`, `parse/jsonl-4x100000`: reading the `4x100000` history from text
//!   in memory (peak memory: `cargo run --release -p dgame-checker --example parse_memory`).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dgame_checker::generator::{GenConfig, generate, grid};
use dgame_checker::{History, Options, check, edn, jsonl};

fn bench_grid(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    for (name, config) in grid() {
        let history = generate(&config);
        group.bench_function(name, |b| b.iter(|| check(black_box(&history), &Options::default())));
    }
    group.finish();

    let mut group = c.benchmark_group("verdict-only");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    for (name, config) in grid().into_iter().filter(|(n, _)| n.contains("stale")) {
        let history = generate(&config);
        group.bench_function(name, |b| b.iter(|| check(black_box(&history), &Options::default().minimize(false))));
    }
    group.finish();
}

fn etcd_histories() -> Option<Vec<(String, History)>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/porcupine-etcd");
    let Ok(list) = std::fs::read_to_string(dir.join("verdicts.tsv")) else {
        eprintln!("etcd benchmarks skipped: no histories at {}", dir.display());
        return None;
    };
    let mut out = Vec::new();
    for name in list.lines().filter_map(|l| l.split('\t').next()).filter(|n| !n.is_empty()) {
        let text = std::fs::read_to_string(dir.join(name)).ok()?;
        out.push((name.trim_end_matches(".edn").to_string(), edn::parse(&text).ok()?));
    }
    Some(out)
}

fn bench_etcd(c: &mut Criterion) {
    let Some(histories) = etcd_histories() else { return };
    let options = Options::default().strict_failed_cas(true).parallel(false);
    let mut group = c.benchmark_group("etcd");
    group.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    for (name, h) in histories.iter().filter(|(n, _)| n == "etcd_057" || n == "etcd_099") {
        group.bench_function(name.as_str(), |b| b.iter(|| check(black_box(h), &options)));
        let bare = options.clone().minimize(false);
        group.bench_function(format!("{name}-verdict-only"), |b| b.iter(|| check(black_box(h), &bare)));
    }
    group.bench_function("all-102", |b| {
        b.iter(|| histories.iter().map(|(_, h)| check(black_box(h), &options).is_violation() as usize).sum::<usize>())
    });
    group.finish();
}

fn bench_parse(c: &mut Criterion) {
    let h = generate(&GenConfig { clients: 4, ops: 100_000, ..GenConfig::default() });
    let edn_text = edn::write(&h);
    let jsonl_text = jsonl::write(&h);
    let mut group = c.benchmark_group("parse");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    group.bench_function("edn-4x100000", |b| b.iter(|| edn::parse(black_box(&edn_text)).map(|h| h.len())));
    group.bench_function("jsonl-4x100000", |b| b.iter(|| jsonl::parse(black_box(&jsonl_text)).map(|h| h.len())));
    group.finish();
}

criterion_group!(benches, bench_grid, bench_etcd, bench_parse);
criterion_main!(benches);
