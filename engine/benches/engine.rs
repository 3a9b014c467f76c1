//! The engine's speed on the standard scenario: 5 nodes running a two-phase quorum algorithm
//! (the sketch of ARCHITECTURE.md), 3 clients, delays uniform in 1..=3. Throughput is
//! delivered messages per second; the 1,000-node case shows that the cost per message does
//! not grow with the size of the world.
//!
//! Beside it, in the same run, a hand-written baseline does the same logical work per message
//! with nothing of the engine: draw a delay from a ChaCha8 stream, put the message in a
//! timing-wheel bucket, pop it when due, dispatch it with a `match`, run the handler, send the
//! reply. The report after criterion's gives the engine's speed as a share of the baseline's,
//! in thread CPU time (the machine is shared), and the engine's allocations per message.
//!
//! `cargo bench -p dgame-engine --bench engine`

// The allocation count uses a counting allocator, which must implement the unsafe `GlobalAlloc`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use dgame_engine::prelude::*;
use mimalloc::MiMalloc;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

// ---- The engine's scenario ----

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Versioned {
    value: Option<Value>,
    version: u64,
}

#[derive(Debug, Clone, Message)]
#[reply(Versioned)]
struct GetVersioned;

#[derive(Debug, Clone, Message)]
#[reply(Ack)]
struct Store(Versioned);

#[derive(Debug, Default)]
struct VersionedMajority {
    current: Versioned,
}

#[node]
impl VersionedMajority {
    #[endpoint(ClientReadRequest)]
    async fn read(cx: AsyncCtx<Self>, _: ClientReadRequest) -> ClientReadResponse {
        let replies = cx.broadcast(GetVersioned).at_least(cx.peers().len() / 2).await;
        let newest = cx.with(|me| replies.iter().chain([&me.current]).max_by_key(|v| v.version).copied());
        ClientReadResponse::ok(newest.and_then(|v| v.value))
    }

    #[endpoint(ClientWriteRequest)]
    async fn write(cx: AsyncCtx<Self>, req: ClientWriteRequest) -> ClientWriteResponse {
        let versions = cx.broadcast(GetVersioned).at_least(cx.peers().len() / 2).await;
        let next = cx.with(|me| {
            let top = versions.iter().map(|v| v.version).chain([me.current.version]).max();
            me.current = Versioned { value: Some(req.value), version: top.unwrap_or(0) + 1 };
            me.current
        });
        cx.broadcast(Store(next)).at_least(versions.len()).await;
        ClientWriteResponse::ok()
    }

    #[endpoint(GetVersioned)]
    fn get_versioned(&mut self, _: GetVersioned) -> Versioned {
        self.current
    }

    #[endpoint(Store)]
    fn store(&mut self, Store(v): Store) -> Ack {
        if v.version > self.current.version {
            self.current = v;
        }
        Ack
    }
}

fn run_engine(nodes: u32, ticks: u64) -> u64 {
    let config = Config::builder().nodes(nodes).clients(3).ticks(ticks).seed(1).build().unwrap();
    let mut world = World::<VersionedMajority>::new(config).unwrap();
    world.run().unwrap();
    world.stats().delivered
}

// ---- The baseline: the same work per message, by hand ----

#[derive(Clone, Copy)]
enum Msg {
    /// A coordinator asks a peer for its version (in round `round` of operation `op`).
    Get { op: u32, round: u32 },
    /// The peer's answer.
    Got { op: u32, round: u32, v: Versioned },
}

struct Sig {
    from: u32,
    to: u32,
    msg: Msg,
}

struct Op {
    coordinator: u32,
    round: u32,
    got: u32,
    newest: Versioned,
}

struct Baseline {
    rng: ChaCha8Rng,
    wheel: Vec<Vec<Sig>>,
    nodes: Vec<Versioned>,
    ops: Vec<Op>,
    now: u64,
    next_coordinator: u32,
    delivered: u64,
}

impl Baseline {
    fn send(&mut self, from: u32, to: u32, msg: Msg) {
        let delay: u64 = self.rng.random_range(1..=3);
        self.wheel[((self.now + delay) & 7) as usize].push(Sig { from, to, msg });
    }

    fn start(&mut self, op: usize) {
        let n = self.nodes.len() as u32;
        let coordinator = self.next_coordinator;
        self.next_coordinator = (coordinator + 1) % n;
        let o = &mut self.ops[op];
        o.coordinator = coordinator;
        o.round += 1;
        o.got = 0;
        o.newest = self.nodes[coordinator as usize];
        let round = o.round;
        for peer in (0..n).filter(|&p| p != coordinator) {
            self.send(coordinator, peer, Msg::Get { op: op as u32, round });
        }
    }

    fn handle(&mut self, s: Sig) {
        match s.msg {
            Msg::Get { op, round } => {
                let v = self.nodes[s.to as usize];
                self.send(s.to, s.from, Msg::Got { op, round, v });
            }
            Msg::Got { op, round, v } => {
                let need = (self.nodes.len() as u32 - 1) / 2;
                let o = &mut self.ops[op as usize];
                if o.round != round || o.got >= need {
                    return; // stale
                }
                o.got += 1;
                if v.version > o.newest.version {
                    o.newest = v;
                }
                if o.got == need {
                    let c = o.coordinator as usize;
                    let next = Versioned { value: Some(u64::from(round)), version: o.newest.version + 1 };
                    self.nodes[c] = next;
                    self.start(op as usize);
                }
            }
        }
    }
}

fn run_baseline(nodes: u32, ticks: u64) -> u64 {
    let mut b = Baseline {
        rng: ChaCha8Rng::seed_from_u64(1),
        wheel: (0..8).map(|_| Vec::new()).collect(),
        nodes: vec![Versioned::default(); nodes as usize],
        ops: (0..3).map(|_| Op { coordinator: 0, round: 0, got: 0, newest: Versioned::default() }).collect(),
        now: 0,
        next_coordinator: 0,
        delivered: 0,
    };
    for op in 0..3 {
        b.start(op);
    }
    let mut due = Vec::new();
    for t in 1..=ticks {
        b.now = t;
        std::mem::swap(&mut due, &mut b.wheel[(t & 7) as usize]);
        for s in due.drain(..) {
            b.delivered += 1;
            b.handle(s);
        }
    }
    black_box(&b.nodes);
    b.delivered
}

// ---- Criterion ----

/// (nodes, engine ticks, baseline ticks): about the same number of messages for both.
const SIZES: [(u32, u64, u64); 2] = [(5, 20_000, 60_000), (1_000, 400, 400)];

fn throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("delivered messages");
    group.sample_size(20);
    for (nodes, ticks, base_ticks) in SIZES {
        group.throughput(Throughput::Elements(run_engine(nodes, ticks)));
        group.bench_with_input(BenchmarkId::new("engine", nodes), &(nodes, ticks), |b, &(n, t)| {
            b.iter(|| run_engine(n, t))
        });
        group.throughput(Throughput::Elements(run_baseline(nodes, base_ticks)));
        group.bench_with_input(BenchmarkId::new("baseline", nodes), &(nodes, base_ticks), |b, &(n, t)| {
            b.iter(|| run_baseline(n, t))
        });
    }
    group.finish();
}

// ---- The ratio report ----

/// Counts every allocation, to report allocations and bytes per delivered message, and
/// forwards it to mimalloc, the allocator the `dgame` binary uses (a run allocates a payload,
/// a future or a reply buffer for about every other message: the system allocator's bins
/// would add about 10% here). The counts are this thread's, in plain cells: an atomic
/// add per allocation would cost more than the allocation.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    static BYTES: Cell<u64> = const { Cell::new(0) };
}

fn count(bytes: usize) {
    ALLOCATIONS.with(|a| a.set(a.get() + 1));
    BYTES.with(|b| b.set(b.get() + bytes as u64));
}

/// This thread's allocations and bytes allocated so far.
fn allocated() -> (u64, u64) {
    (ALLOCATIONS.with(Cell::get), BYTES.with(Cell::get))
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: forwarded unchanged to mimalloc.
        unsafe { MiMalloc.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to mimalloc, which made `ptr`.
        unsafe { MiMalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: forwarded unchanged to mimalloc, which made `ptr`.
        unsafe { MiMalloc.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// This thread's CPU time, in nanoseconds.
fn cpu_ns() -> u64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec to write into.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// CPU nanoseconds per delivered message of one run.
fn ns_per_message(run: impl Fn() -> u64) -> f64 {
    let start = cpu_ns();
    let delivered = run();
    (cpu_ns() - start) as f64 / delivered as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn report() {
    println!("\nThe engine against the hand-written baseline (thread CPU time, medians of 15 interleaved runs):");
    for (nodes, ticks, base_ticks) in SIZES {
        let (mut engine, mut baseline) = (Vec::new(), Vec::new());
        for _ in 0..15 {
            engine.push(ns_per_message(|| run_engine(nodes, ticks)));
            baseline.push(ns_per_message(|| run_baseline(nodes, base_ticks)));
        }
        let (e, b) = (median(engine), median(baseline));
        let (a0, b0) = allocated();
        let delivered = run_engine(nodes, ticks);
        let (a1, b1) = allocated();
        let allocs = (a1 - a0) as f64 / delivered as f64;
        let bytes = (b1 - b0) as f64 / delivered as f64;
        println!(
            "  {nodes:>5} nodes: engine {e:6.1} ns/msg ({:5.2} M msgs/CPU s), baseline {b:5.1} ns/msg; \
             engine at {:5.1}% of the baseline; {allocs:.2} allocations, {bytes:.0} bytes per message",
            1e3 / e,
            100.0 * b / e
        );
    }
}

fn main() {
    // `DGAME_BENCH_ONLY=engine:5` (or `baseline:1000`) runs that one case once and exits: for
    // `valgrind --tool=callgrind`, whose instruction counts compare two versions exactly.
    if let Ok(only) = std::env::var("DGAME_BENCH_ONLY") {
        let (what, nodes) = only.split_once(':').expect("DGAME_BENCH_ONLY=engine:NODES or baseline:NODES");
        let nodes: u32 = nodes.parse().expect("a node count");
        let &(_, ticks, base_ticks) = SIZES.iter().find(|s| s.0 == nodes).expect("one of the benchmark's sizes");
        let delivered = match what {
            "engine" => run_engine(nodes, ticks),
            "baseline" => run_baseline(nodes, base_ticks),
            _ => panic!("DGAME_BENCH_ONLY names engine or baseline"),
        };
        println!("{what} at {nodes} nodes: {delivered} messages delivered");
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    throughput(&mut c);
    c.final_summary();
    if !std::env::args().any(|a| a == "--list" || a == "--test") {
        report();
    }
}
