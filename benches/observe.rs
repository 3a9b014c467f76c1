//! What watching a run for its report costs: a run of ABD (the default scenario) unobserved,
//! with the report's observer (the faults; the engine counts the signals by route and type
//! itself, in every run), and with the two observers that counted them before (message types
//! by their whole name with SipHash, faults in a second observer), side by side.
//!
//! `cargo bench --bench observe`

use std::cell::RefCell;
use std::collections::HashMap;
use std::hint::black_box;
use std::rc::Rc;

use criterion::{Criterion, criterion_group};
use distributed_game::algorithms::Abd;
use distributed_game::engine::event::{Event, Observer, SharedObserver as Shared};
use distributed_game::engine::{Config, ServerId, World};
use distributed_game::registry::builtin;
use distributed_game::report::{FaultLog, MessageCounts, RunObserver};

/// The counter the report used before: keyed by the full type name, hashed with SipHash.
#[derive(Default)]
struct OldCounter {
    routes: [u64; 3],
    by_type: HashMap<&'static str, u64>,
}

impl Observer for OldCounter {
    fn on_event(&mut self, event: &Event<'_>) {
        if let Event::SignalSent { from, to, message, .. } = *event {
            let route = match (from, to) {
                (ServerId::Node(_), ServerId::Node(_)) => 2,
                (ServerId::Client(_), _) | (_, ServerId::Client(_)) => 0,
                _ => 1,
            };
            self.routes[route] += 1;
            *self.by_type.entry(message.type_name()).or_default() += 1;
        }
    }
}

fn observe(c: &mut Criterion) {
    let config = Config::builder().seed(7).build().expect("the default scenario is valid");
    let abd = builtin().into_iter().find(|a| a.name == "abd").expect("abd is built in");
    let mut g = c.benchmark_group("abd-default-run");
    g.bench_function("unobserved", |b| {
        b.iter(|| {
            let mut w = World::<Abd>::new(config.clone()).unwrap();
            w.run().unwrap();
            black_box(w.history().operations.len())
        })
    });
    g.bench_function("report observer", |b| {
        b.iter(|| {
            let mut w = World::<Abd>::new(config.clone()).unwrap();
            let watch = Rc::new(RefCell::new(RunObserver::default()));
            w.subscribe(Shared(watch.clone()));
            w.run().unwrap();
            black_box((MessageCounts::of(&w.stats(), &w.sent_by_type()).node_node, watch.borrow().faults.faults.len()))
        })
    });
    g.bench_function("Algorithm::run (observer, history, figures)", |b| {
        b.iter(|| black_box(abd.run(&config).unwrap().stats.sent))
    });
    g.bench_function("two observers, SipHash by name (before)", |b| {
        b.iter(|| {
            let mut w = World::<Abd>::new(config.clone()).unwrap();
            let counter = Rc::new(RefCell::new(OldCounter::default()));
            let faults = Rc::new(RefCell::new(FaultLog::default()));
            w.subscribe(Shared(counter.clone()));
            w.subscribe(Shared(faults.clone()));
            w.run().unwrap();
            black_box((counter.borrow().routes, faults.borrow().faults.len()))
        })
    });
    g.finish();
}

criterion_group!(benches, observe);

fn main() {
    // `DGAME_BENCH_ONLY=unobserved` (or `observed`) runs 20 default ABD runs that way and
    // exits: for `valgrind --tool=callgrind`, whose instruction counts give the observer's
    // cost exactly on a shared machine.
    if let Ok(only) = std::env::var("DGAME_BENCH_ONLY") {
        let mut sent = 0;
        for seed in 0..20 {
            let config = Config::builder().seed(seed).build().expect("the default scenario is valid");
            let mut w = World::<Abd>::new(config).unwrap();
            let watch = Rc::new(RefCell::new(RunObserver::default()));
            match only.as_str() {
                "unobserved" => {}
                "observed" => w.subscribe(Shared(watch.clone())),
                _ => panic!("DGAME_BENCH_ONLY names unobserved or observed"),
            }
            w.run().unwrap();
            sent += w.stats().sent;
            black_box((MessageCounts::of(&w.stats(), &w.sent_by_type()), watch.borrow().faults.faults.len()));
        }
        println!("{only}: {sent} signals sent in 20 runs");
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
