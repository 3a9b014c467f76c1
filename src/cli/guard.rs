//! The `--memory-limit` held while a run goes on, not only estimated before it starts.
//!
//! `memory::check` refuses a configuration whose estimate is above the
//! limit, but the estimate knows only what the built-in costs grow with (the history, nodes ×
//! clients signals). A node's own traffic is the algorithm's: flooding or gossip among 3,000
//! nodes keeps millions of signals in flight, and the run would go on until the machine's
//! memory ran out and the process was aborted or killed, saying nothing useful. So `dgame`
//! allocates through `Counted`, which counts the bytes in use, and a run armed with
//! [`arm`] that goes over its limit is stopped at once with an error that says so (exit code
//! 2, like every other error).
//!
//! The count is kept per thread and added to the process's total a MiB at a time, so it costs
//! an allocation a few instructions; the total is off by at most a MiB per thread.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

/// A global allocator that counts the bytes in use through `A`.
pub struct Counted<A>(pub A);

/// Bytes in use, as last added up (each thread holds up to [`BATCH`] bytes of its own).
static IN_USE: AtomicI64 = AtomicI64::new(0);
/// The limit armed (`u64::MAX`: none).
static LIMIT: AtomicU64 = AtomicU64::new(u64::MAX);
/// The error printed when a run goes over it, made when it is armed (printing it must not
/// allocate).
static MESSAGE: OnceLock<Box<str>> = OnceLock::new();
static STOPPING: AtomicBool = AtomicBool::new(false);

/// How many bytes a thread counts on its own before adding them to [`IN_USE`].
const BATCH: i64 = 1 << 20;

thread_local! {
    static PENDING: Cell<i64> = const { Cell::new(0) };
}

/// Holds the run (every thread of the process) to `limit` bytes from now on; `estimate` is what
/// `memory::estimate` said, for the error's words.
pub fn arm(limit: u64, estimate: u128) {
    let size = super::memory::size;
    let raise = super::memory::raise(u128::from(limit) * 4);
    let message = format!(
        "error: the run went over --memory-limit {} and was stopped (the estimate made before it started was {}, \
         from its history and the signals between clients and nodes; the rest is the algorithm's own traffic, which \
         grows with --nodes × --nodes when every node talks to every other): give fewer --nodes, --clients or \
         --ticks, or {raise}\n",
        size(u128::from(limit)),
        size(estimate),
    );
    // The first run armed names the figures (a sweep's or explore's runs share one estimate).
    let _ = MESSAGE.set(message.into_boxed_str());
    LIMIT.store(limit, Ordering::Relaxed);
}

/// Bytes in use now, to within a MiB per thread.
pub fn in_use() -> u64 {
    IN_USE.load(Ordering::Relaxed).max(0) as u64
}

#[inline]
fn count(delta: i64) {
    // (`try_with` fails only while a thread is being torn down: count straight into the total.)
    let flush = PENDING
        .try_with(|p| {
            let pending = p.get() + delta;
            if pending.abs() < BATCH {
                p.set(pending);
                0
            } else {
                p.set(0);
                pending
            }
        })
        .unwrap_or(delta);
    if flush != 0 {
        let total = IN_USE.fetch_add(flush, Ordering::Relaxed) + flush;
        // (The total may be below zero by what other threads hold: bytes freed here that
        // were allocated there.)
        if flush > 0 && total > 0 && total as u64 > LIMIT.load(Ordering::Relaxed) {
            over();
        }
    }
}

/// Prints the error and ends the process: called from inside an allocation, so it can only
/// write what is ready and leave.
#[cold]
#[inline(never)]
#[allow(unsafe_code)]
fn over() {
    if STOPPING.swap(true, Ordering::Relaxed) {
        return;
    }
    let message = MESSAGE.get().map_or("error: the run went over --memory-limit and was stopped\n", |m| m);
    // SAFETY: write(2) of a valid buffer, then _exit(2), which runs nothing of the process's
    // (no destructor, no allocation): the only exit safe from inside the allocator.
    unsafe {
        libc::write(2, message.as_ptr().cast(), message.len());
        libc::_exit(2);
    }
}

// SAFETY: every call is passed to `A` unchanged; only the counting is added.
#[allow(unsafe_code)]
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counted<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as i64);
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as i64);
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as i64));
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as i64 - layout.size() as i64);
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (The library's tests do not allocate through [`Counted`]: only these calls count.)
    #[test]
    fn bytes_freed_on_another_thread_than_they_were_allocated_on_do_not_trip_the_limit() {
        arm(1 << 30, 0);
        // This thread frees what another allocated: the total goes below zero ...
        count(-(8 << 20));
        // ... and allocating again here must not read it as a huge number (it ended the
        // process: an exploration stopped as if over the limit).
        count(2 << 20);
        assert_eq!(in_use(), 0);
        // The total is the sum of what was counted.
        count(6 << 20);
        assert_eq!(IN_USE.load(Ordering::Relaxed), 0);
        LIMIT.store(u64::MAX, Ordering::Relaxed);
    }
}
