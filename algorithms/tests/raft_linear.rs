//! Raft's persistence costs nothing per write: its durable term, vote and log are fields it
//! changes in place, so a run twice as long does twice the work, not four times (as when every
//! write copied the whole log into a store).
//!
//! The work is counted, not timed: the bytes this thread allocates during the run, a
//! deterministic figure for a given seed and build (copying the log would allocate it again).

// The allocation count uses a counting allocator, which must implement the unsafe `GlobalAlloc`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use dgame_algorithms::Raft;
use dgame_engine::prelude::*;

struct Counting;

thread_local! {
    static ALLOCATED: Cell<u64> = const { Cell::new(0) };
}

fn count(bytes: usize) {
    // `try_with`: the counter may be gone while the thread exits.
    let _ = ALLOCATED.try_with(|a| a.set(a.get() + bytes as u64));
}

// SAFETY: every call is forwarded to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Bytes allocated by a run of `ticks` ticks (5 nodes, 3 clients, seed 1), and its log length.
fn work(ticks: Tick) -> (u64, usize) {
    let config = Config::builder().nodes(5).clients(3).ticks(ticks).seed(1).build().unwrap();
    let mut world = World::<Raft>::new(config).unwrap();
    let before = ALLOCATED.with(Cell::get);
    world.run().unwrap();
    let bytes = ALLOCATED.with(Cell::get) - before;
    let log = world.node(world.leader().unwrap()).unwrap().log.len();
    (bytes, log)
}

#[test]
fn a_run_twice_as_long_does_twice_the_work() {
    let (short, short_log) = work(100_000);
    let (long, long_log) = work(200_000);
    println!("raft: {short} bytes for 100,000 ticks (log {short_log}), {long} for 200,000 (log {long_log})");
    assert!(long_log > 2 * short_log - short_log / 10, "the log grows with the run: {short_log} -> {long_log}");
    let ratio = long as f64 / short as f64;
    assert!((1.8..2.2).contains(&ratio), "twice the ticks, {ratio:.2} times the bytes: the work is not linear");
}
