//! A linearizability checker for register histories: a [`History`] in, a [`Verdict`] out.
//!
//! ```
//! use dgame_checker::{History, Operation, Options, Verdict, check};
//!
//! // Client 1 writes 3, then 5; client 2 later reads 3: a stale read.
//! let history = History::from_ops(vec![
//!     Operation::write(1, 0, 10, 3),
//!     Operation::write(1, 20, 31, 5),
//!     Operation::read(2, 40, 44, Some(3)),
//! ]);
//! match check(&history, &Options::default()) {
//!     Verdict::NotLinearizable { explanation } => {
//!         assert_eq!(
//!             explanation.sentence,
//!             "client 2 read 3 at ticks 40-44, but the write of 5 by client 1 finished at \
//!              tick 31 and no write of 3 can come after it."
//!         );
//!     }
//!     other => panic!("expected a violation, got {other:?}"),
//! }
//! ```
//!
//! Semantics are Jepsen's: a failed operation did not take effect; an unknown one may have
//! taken effect at any moment after its invocation, or not at all; the register starts
//! empty. Operation `x` precedes `y` when `x` completed strictly before `y` was invoked
//! (equal times are concurrent). Keys of a multi-key history are checked independently.
//!
//! Contents:
//! - [`History`], [`Operation`], [`OpKind`], [`Outcome`], [`TimeUnit`]: the input.
//! - [`check`] with [`Options`]: the checker; [`Verdict`], [`Explanation`], [`KeyOrder`]:
//!   its answer; [`validate_order`] re-checks a witness independently.
//! - [`check_segmented`]: the same check, each register cut at its quiescent points and
//!   checked segment by segment (what [`check`] does for registers of 2^20 operations and
//!   more); [`stream`]: a check while the history is read, holding only each register's
//!   operations since its last quiescent point (`dgame check`).
//! - [`edn`]: Jepsen's EDN histories; [`jsonl`]: our JSON-lines format; both read from a
//!   string or stream from any `io::Read`.
//! - [`generator`]: seeded histories that are linearizable by construction, with optional
//!   anomalies, for tests and benchmarks.
//! - [`workload`]: the checkers of the workloads beyond the register (broadcast, counters,
//!   unique ids), [`WorkloadHistory`](workload::WorkloadHistory) with their verdict and
//!   their files (JSON lines, and EDN in Maelstrom's shapes), and [`workload::detect`], which
//!   tells which workload a history file is of.
//!
//! The algorithms are described in `docs/CHECKER.md`.

#![deny(missing_docs)]

mod engine;
mod explain;
mod history;
mod minimize;
mod options;
mod pipeline;
mod prepare;
mod segment;
mod sentence;
mod typo;
mod unique_keys;
mod verdict;
mod wgl;
mod zones;

pub mod edn;
pub mod generator;
pub mod jsonl;
pub mod stream;
pub mod workload;

pub use history::{ClientId, History, Key, OpKind, Operation, Outcome, Tick, TimeUnit, Value};
pub use options::Options;
pub use verdict::{Explanation, KeyOrder, Verdict};

/// Checks whether `history` is linearizable as a register (or one register per key).
///
/// Never panics and always returns within the budget of `options`: the search stops at
/// [`Options::max_steps`], [`Options::max_time`] or [`Options::max_memory_bytes`], and
/// explaining a violation stops at [`Options::max_explain_steps`] or the same deadline,
/// keeping the smallest conflicting set found by then.
#[must_use]
pub fn check(history: &History, options: &Options) -> Verdict {
    engine::check(history, options, engine::DEFAULT_CUTS)
}

/// [`check`], but every register is cut at every quiescent point (a moment when no
/// operation is pending) and checked segment by segment, carrying the set of values the
/// register can hold across each cut (see `docs/CHECKER.md`). Gives the same verdict as
/// [`check`] (within the same budget; the step budget is per register in both). `check`
/// itself does this for registers of a million operations and more; this is for tests and
/// for measuring. The witness is one order of the whole register, as with `check`; a
/// violation is explained from the whole history, as with `check`.
#[must_use]
pub fn check_segmented(history: &History, options: &Options) -> Verdict {
    engine::check(history, options, engine::ALL_CUTS)
}

/// Checks that `order` (indices into `history.ops`, all with key `key`) is a valid
/// linearization of that key's operations: it respects real time, every read returns the
/// value the register holds at its place, it contains every completed operation (failed
/// ones excepted, and also reads, which it may leave out only if they did not complete), and
/// no failed one. Returns the first problem found, in words.
pub fn validate_order(history: &History, key: Option<Key>, order: &[usize], options: &Options) -> Result<(), String> {
    let mut seen = vec![false; history.ops.len()];
    for &i in order {
        let op = history.ops.get(i).ok_or(format!("index {i} is out of range"))?;
        if op.key != key {
            return Err(format!("operation {i} is on another key"));
        }
        if seen[i] {
            return Err(format!("operation {i} appears twice"));
        }
        seen[i] = true;
        let failed_ok = options.strict_failed_cas && matches!(op.kind, OpKind::Cas { .. });
        if matches!(op.outcome, Outcome::Failed) && !failed_ok {
            return Err(format!("operation {i} failed but is in the order"));
        }
    }
    for (i, op) in history.ops.iter().enumerate() {
        let needed = match op.outcome {
            Outcome::Ok { .. } => true,
            Outcome::Failed => options.strict_failed_cas && matches!(op.kind, OpKind::Cas { .. }),
            Outcome::Unknown => false,
        };
        if op.key == key && needed && !seen[i] {
            return Err(format!("operation {i} completed but is missing from the order"));
        }
    }
    // Real time: nothing may come after an operation that completed before it was invoked.
    let ret = |i: usize| match history.ops[i].outcome {
        Outcome::Unknown => u64::MAX,
        _ => history.ops[i].complete.unwrap_or(u64::MAX),
    };
    let mut min_ret_after = u64::MAX;
    for pos in (0..order.len()).rev() {
        let i = order[pos];
        if min_ret_after < history.ops[i].invoke {
            return Err(format!("operation {i} is placed after an operation that completed before it was invoked"));
        }
        min_ret_after = min_ret_after.min(ret(i));
    }
    let mut state: Option<Value> = None;
    for &i in order {
        let op = &history.ops[i];
        match (op.kind, op.outcome) {
            (OpKind::Read, Outcome::Ok { read }) => {
                if read != state {
                    return Err(format!("operation {i} reads {read:?} but the register holds {state:?}"));
                }
            }
            (OpKind::Read, _) => {}
            (OpKind::Write(v), _) => state = Some(v),
            (OpKind::Cas { expected, .. }, Outcome::Failed) => {
                if state == Some(expected) {
                    return Err(format!("failed compare-and-set {i} would have succeeded"));
                }
            }
            (OpKind::Cas { expected, new }, _) => {
                if state != Some(expected) {
                    return Err(format!("compare-and-set {i} expects {expected} but the register holds {state:?}"));
                }
                state = Some(new);
            }
        }
    }
    Ok(())
}
