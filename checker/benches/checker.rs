//! The checker on the benchmark grid of `dgame_checker::generator::grid`.
//!
//! `cargo bench -p dgame-checker --bench checker`
//!
//! `check/NAME` is the full verdict, explanation included; `verdict-only/NAME` skips
//! shrinking a violation to its minimal explanation.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dgame_checker::generator::{generate, grid};
use dgame_checker::{Options, check};

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

criterion_group!(benches, bench_grid);
criterion_main!(benches);
