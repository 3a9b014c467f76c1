//! Exploration throughput: runs per second of each strategy, beside the plain seeded runs a
//! sweep makes (the baseline, in the same process), on ABD's default configuration (3 nodes,
//! 2 clients, 1,000 ticks). Each iteration is 64 runs, checked.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use distributed_game::cli::builtin;
use distributed_game::engine::Config;
use distributed_game::explore::{ExploreOptions, StrategyKind, explore};
use rayon::prelude::*;

const RUNS: u64 = 64;

fn throughput(c: &mut Criterion) {
    let algorithms = builtin();
    let abd = algorithms.iter().find(|a| a.name == "abd").expect("abd is built in");
    let base = Config::default();
    let mut group = c.benchmark_group("explore abd");
    group.sample_size(10).throughput(Throughput::Elements(RUNS));
    group.bench_function("sweep baseline (seeded runs)", |b| {
        b.iter(|| {
            (0..RUNS).into_par_iter().for_each(|seed| {
                let out = abd.run(&Config { seed, ..base.clone() }).expect("runs");
                assert!(!out.history.check().is_violation());
            })
        })
    });
    for s in StrategyKind::ALL {
        let options =
            ExploreOptions { strategies: vec![s], runs: Some(RUNS), shrink: false, ..ExploreOptions::default() };
        group.bench_function(s.name(), |b| {
            b.iter(|| {
                let e = explore(abd, &base, &options).expect("explores");
                assert!(e.found.is_none());
            })
        });
    }
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
