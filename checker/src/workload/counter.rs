//! The counter workload: clients add to a counter and read it; at the end of the run, after a
//! quiet period with no new adds, every node is read once more (its *final read*). A
//! grow-only counter takes only non-negative adds; a PN counter takes negative ones too.
//!
//! ```
//! use dgame_checker::workload::Status;
//! use dgame_checker::workload::counter::{Flavor, Operation, check};
//!
//! let history = vec![
//!     Operation::add(1, 1, 10, Some(14), 5, Status::Ok),
//!     Operation::add(2, 2, 12, None, 3, Status::Unknown),
//!     Operation::read(1, 3, 990, Some(992), 4, true),
//! ];
//! let report = check(&history, Flavor::GrowOnly).unwrap();
//! assert_eq!(
//!     report.violations[0].sentence,
//!     "node n3's final read at tick 992 returned 4, but the acknowledged adds sum to 5, and the 1 add \
//!      of unknown outcome leaves 5 to 8."
//! );
//! ```
//!
//! What must hold:
//! - **Final reads are exact**: each equals the sum of the acknowledged adds plus some of the
//!   adds of unknown outcome: between the sum with only the negative unknown adds and the sum
//!   with only the positive ones.
//! - **No read is ahead of the adds**: a read returns at most the sum of the positive adds
//!   (acknowledged or unknown) invoked before it ended, and at least the sum of the negative
//!   ones. Reads before the end may lag: the counter is only eventually consistent.

use serde::{Deserialize, Serialize};

use super::{Findings, Status, Violation, describe, interval, verdict_word};
use crate::history::{ClientId, Tick};

/// Which counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Only non-negative adds.
    GrowOnly,
    /// Adds of any sign.
    PositiveNegative,
}

/// What an operation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "type")]
pub enum Kind {
    /// Add `delta` to the counter.
    Add {
        /// How much.
        delta: i64,
    },
    /// Read the counter.
    Read {
        /// What it returned (meaningful when the read is ok).
        #[serde(default)]
        value: i64,
        /// A final read, made after the quiet period at the end of the run.
        #[serde(default, rename = "final")]
        final_read: bool,
    },
}

/// One operation of one client on one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// The client that issued it.
    pub client: ClientId,
    /// The node that served it (shown as `n{node}`; 0: the request reached no node).
    pub node: u64,
    /// When the client invoked it.
    pub invoke: Tick,
    /// When the client heard back (`None`: never).
    pub complete: Option<Tick>,
    /// How it ended.
    pub status: Status,
    /// What it did.
    #[serde(flatten)]
    pub kind: Kind,
}

impl Operation {
    /// An add of `delta`.
    #[must_use]
    pub fn add(client: ClientId, node: u64, invoke: Tick, complete: Option<Tick>, delta: i64, status: Status) -> Self {
        Operation { client, node, invoke, complete, status, kind: Kind::Add { delta } }
    }

    /// An ok read that returned `value` (`final_read`: after the quiet period).
    #[must_use]
    pub fn read(
        client: ClientId,
        node: u64,
        invoke: Tick,
        complete: Option<Tick>,
        value: i64,
        final_read: bool,
    ) -> Self {
        Operation { client, node, invoke, complete, status: Status::Ok, kind: Kind::Read { value, final_read } }
    }

    /// The operation in words: `client 1 added 5 via n1 at ticks 10-14, ok`, `client 3 final
    /// read of the counter: 4 via n3 at ticks 990-992, ok`.
    #[must_use]
    pub fn describe(&self) -> String {
        let what = match self.kind {
            Kind::Add { delta } => format!("added {delta}"),
            Kind::Read { value, final_read } => {
                let which = if final_read { "final read" } else { "read" };
                if self.status == Status::Ok {
                    format!("{which} of the counter: {value}")
                } else {
                    format!("{which} of the counter")
                }
            }
        };
        describe(self.client, &what, self.node, self.invoke, self.complete, self.status)
    }
}

/// What the checker found, and the figures of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The first violations found (at most [`MAX_LISTED`](super::MAX_LISTED)); none: valid.
    pub violations: Vec<Violation>,
    /// How many violations there are in all.
    pub total_violations: usize,
    /// The sum of the acknowledged adds.
    pub acknowledged_sum: i128,
    /// The range a final read may return: the acknowledged sum plus some unknown adds.
    pub final_bounds: (i128, i128),
    /// Final reads made.
    pub final_reads: usize,
}

impl Report {
    /// No violation.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.total_violations == 0
    }

    /// The verdict in one line.
    #[must_use]
    pub fn summary(&self) -> String {
        let verdict = verdict_word(self.total_violations);
        let (lo, hi) = self.final_bounds;
        format!(
            "{verdict}: acknowledged adds sum to {}, final reads may return {lo} to {hi}, {}",
            self.acknowledged_sum,
            super::count(self.final_reads as u64, "final read", "final reads")
        )
    }
}

/// Checks a counter history; an add of the wrong sign for `flavor` is an error in the
/// history, not a violation of the node's.
pub fn check(history: &[Operation], flavor: Flavor) -> Result<Report, String> {
    let negative = history.iter().find_map(|op| match op.kind {
        Kind::Add { delta } if delta < 0 => Some((op, delta)),
        _ => None,
    });
    if let (Flavor::GrowOnly, Some((op, delta))) = (flavor, negative) {
        return Err(format!(
            "client {} added {delta} {} to a grow-only counter: use the PN counter for negative adds",
            op.client,
            interval(op.invoke, op.complete)
        ));
    }
    let mut findings = Findings::default();
    let (mut ok_sum, mut unknown_neg, mut unknown_pos, mut unknown_count) = (0i128, 0i128, 0i128, 0usize);
    // Adds that may have happened, by invocation: (invoke, delta).
    let mut possible: Vec<(Tick, i128)> = Vec::new();
    for op in history {
        if let Kind::Add { delta } = op.kind {
            let d = i128::from(delta);
            match op.status {
                Status::Ok => ok_sum += d,
                Status::Unknown => {
                    unknown_count += 1;
                    if d < 0 { unknown_neg += d } else { unknown_pos += d }
                }
                Status::Failed => continue,
            }
            possible.push((op.invoke, d));
        }
    }
    possible.sort_unstable();
    // Prefix sums of the positive and the negative parts, for "added by then".
    let mut pos_prefix = vec![0i128];
    let mut neg_prefix = vec![0i128];
    for &(_, d) in &possible {
        pos_prefix.push(pos_prefix.last().copied().unwrap_or(0) + d.max(0));
        neg_prefix.push(neg_prefix.last().copied().unwrap_or(0) + d.min(0));
    }

    let (lo, hi) = (ok_sum + unknown_neg, ok_sum + unknown_pos);
    let mut final_reads = 0;
    for (i, op) in history.iter().enumerate() {
        let Kind::Read { value, final_read } = op.kind else { continue };
        if op.status != Status::Ok {
            continue;
        }
        let v = i128::from(value);
        let done = op.complete.unwrap_or(op.invoke);
        if final_read {
            final_reads += 1;
            if v < lo || v > hi {
                let unknown = match unknown_count {
                    0 => ", and no add is of unknown outcome".to_owned(),
                    1 => format!(", and the 1 add of unknown outcome leaves {lo} to {hi}"),
                    n => format!(", and the {n} adds of unknown outcome leave {lo} to {hi}"),
                };
                findings.push(
                    format!(
                        "node n{}'s final read at tick {done} returned {value}, but the acknowledged adds sum to {ok_sum}{unknown}.",
                        op.node
                    ),
                    vec![i],
                );
            }
            continue;
        }
        // Adds invoked by the end of this read (ties: invoked in the same tick count).
        let by_then = possible.partition_point(|&(t, _)| t <= done);
        let (most, least) = (pos_prefix[by_then], neg_prefix[by_then]);
        let read = format!("node n{}'s read {}", op.node, interval(op.invoke, op.complete));
        if v > most {
            findings
                .push(format!("{read} returned {value}, but the adds invoked by then sum to at most {most}."), vec![i]);
        } else if v < least {
            findings.push(
                format!("{read} returned {value}, but the adds invoked by then sum to at least {least}."),
                vec![i],
            );
        }
    }
    Ok(Report {
        violations: findings.listed,
        total_violations: findings.total,
        acknowledged_sum: ok_sum,
        final_bounds: (lo, hi),
        final_reads,
    })
}
