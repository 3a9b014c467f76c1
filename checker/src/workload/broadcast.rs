//! The broadcast workload: clients send values to any node and read a node's set of values;
//! at the end of the run, after a quiet period with no new sends, every node is read once more
//! (its *final read*).
//!
//! ```
//! use dgame_checker::workload::Status;
//! use dgame_checker::workload::broadcast::{Operation, check};
//!
//! let history = vec![
//!     Operation::send(1, 2, 100, Some(120), 17, Status::Ok),
//!     Operation::read(2, 1, 985, Some(989), [17], true),
//!     Operation::read(2, 3, 986, Some(990), [], true),
//! ];
//! let report = check(&history);
//! assert_eq!(
//!     report.violations[0].sentence,
//!     "value 17 was acknowledged at tick 120 but node n3's final read at tick 990 lacks it."
//! );
//! ```
//!
//! What must hold:
//! - **Nothing is lost**: every value whose send was acknowledged is in every final read.
//! - **Nothing is made up**: no read holds a value that no client sent (or whose send
//!   failed), or one whose first send began after the read had ended.
//!
//! Values sent with an unknown outcome may or may not be anywhere. Reads before the end may
//! lag: the broadcast is only eventually consistent.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Findings, Status, Violation, describe, interval, median_max, verdict_word};
use crate::history::{ClientId, Tick, Value};

/// What an operation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "type")]
pub enum Kind {
    /// Send a value to the node.
    Send {
        /// The value.
        value: Value,
    },
    /// Read the node's set of values.
    Read {
        /// What it returned (empty unless the read is ok).
        #[serde(default)]
        values: BTreeSet<Value>,
        /// A final read, made after the quiet period at the end of the run.
        #[serde(default, rename = "final")]
        final_read: bool,
    },
}

/// One operation of one client on one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// A send of `value`.
    #[must_use]
    pub fn send(
        client: ClientId,
        node: u64,
        invoke: Tick,
        complete: Option<Tick>,
        value: Value,
        status: Status,
    ) -> Self {
        Operation { client, node, invoke, complete, status, kind: Kind::Send { value } }
    }

    /// An ok read that returned `values` (`final_read`: after the quiet period).
    #[must_use]
    pub fn read(
        client: ClientId,
        node: u64,
        invoke: Tick,
        complete: Option<Tick>,
        values: impl IntoIterator<Item = Value>,
        final_read: bool,
    ) -> Self {
        let values = values.into_iter().collect();
        Operation { client, node, invoke, complete, status: Status::Ok, kind: Kind::Read { values, final_read } }
    }

    /// The operation in words: `client 2 broadcast 7 via n3 at ticks 40-44, ok`, `client 3
    /// final read of 2 values via n1 at ticks 985-989, ok`.
    #[must_use]
    pub fn describe(&self) -> String {
        let what = match &self.kind {
            Kind::Send { value } => format!("broadcast {value}"),
            Kind::Read { values, final_read } => {
                let which = if *final_read { "final read" } else { "read" };
                if self.status == Status::Ok { format!("{which} of {} values", values.len()) } else { which.to_owned() }
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
    /// Distinct values sent.
    pub sent: usize,
    /// Distinct values whose send was acknowledged.
    pub acknowledged: usize,
    /// Acknowledged values missing from at least one final read.
    pub lost: usize,
    /// Nodes with a final read.
    pub final_reads: usize,
    /// How long, from its first send, until an acknowledged value was in every later read of
    /// every node: the median and the maximum over the values that got there.
    pub stable_latency: Option<(Tick, Tick)>,
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
        let latency = match self.stable_latency {
            Some((median, max)) => format!("; seen everywhere after {median} ticks (median), {max} (max)"),
            None => String::new(),
        };
        format!(
            "{verdict}: {}, {} acknowledged, {} lost, {}{latency}",
            super::count(self.sent as u64, "value sent", "values sent"),
            self.acknowledged,
            self.lost,
            super::count(self.final_reads as u64, "final read", "final reads")
        )
    }
}

/// Checks a broadcast history.
#[must_use]
pub fn check(history: &[Operation]) -> Report {
    let mut findings = Findings::default();

    // Each value's sends: the first invocation, the first acknowledgement, failures.
    let mut first_sent: BTreeMap<Value, (Tick, usize)> = BTreeMap::new();
    let mut acked: BTreeMap<Value, (Tick, usize)> = BTreeMap::new();
    let mut failed_only: BTreeMap<Value, usize> = BTreeMap::new();
    for (i, op) in history.iter().enumerate() {
        if let Kind::Send { value } = op.kind {
            match op.status {
                Status::Failed => {
                    failed_only.entry(value).or_insert(i);
                }
                _ => {
                    let e = first_sent.entry(value).or_insert((op.invoke, i));
                    if op.invoke < e.0 {
                        *e = (op.invoke, i);
                    }
                }
            }
            if op.status == Status::Ok {
                let done = op.complete.unwrap_or(op.invoke);
                let e = acked.entry(value).or_insert((done, i));
                if done < e.0 {
                    *e = (done, i);
                }
            }
        }
    }

    // Nothing made up.
    for (i, op) in history.iter().enumerate() {
        let Kind::Read { values, .. } = &op.kind else { continue };
        if op.status != Status::Ok {
            continue;
        }
        let read = format!("node n{}'s read {}", op.node, interval(op.invoke, op.complete));
        for &v in values {
            match first_sent.get(&v) {
                None => match failed_only.get(&v) {
                    Some(&f) => {
                        let s = &history[f];
                        findings.push(
                            format!(
                                "{read} holds {v}, but the only send of {v} (by client {} {}) failed.",
                                s.client,
                                interval(s.invoke, s.complete)
                            ),
                            vec![i, f],
                        );
                    }
                    None => findings.push(format!("{read} holds {v}, which no client sent."), vec![i]),
                },
                Some(&(sent, j)) if op.complete.is_some_and(|c| c < sent) => findings.push(
                    format!("{read} holds {v}, but no client sent {v} before tick {sent}, after that read ended."),
                    vec![i, j],
                ),
                Some(_) => {}
            }
        }
    }

    // Nothing lost: the final reads, one list per value.
    let finals: Vec<usize> = history
        .iter()
        .enumerate()
        .filter(|(_, op)| op.status == Status::Ok && matches!(op.kind, Kind::Read { final_read: true, .. }))
        .map(|(i, _)| i)
        .collect();
    let mut lost = 0;
    for (&v, &(at, j)) in &acked {
        let missing: Vec<usize> = finals
            .iter()
            .copied()
            .filter(|&f| matches!(&history[f].kind, Kind::Read { values, .. } if !values.contains(&v)))
            .collect();
        if missing.is_empty() {
            continue;
        }
        lost += 1;
        let names: Vec<String> = missing
            .iter()
            .map(|&f| {
                let op = &history[f];
                format!("n{} (tick {})", op.node, op.complete.unwrap_or(op.invoke))
            })
            .collect();
        let sentence = if let [f] = missing[..] {
            let op = &history[f];
            format!(
                "value {v} was acknowledged at tick {at} but node n{}'s final read at tick {} lacks it.",
                op.node,
                op.complete.unwrap_or(op.invoke)
            )
        } else {
            format!("value {v} was acknowledged at tick {at} but the final reads of {} lack it.", join(&names))
        };
        findings.push(sentence, std::iter::once(j).chain(missing).collect());
    }

    let final_nodes: BTreeSet<u64> = finals.iter().map(|&f| history[f].node).collect();
    Report {
        violations: findings.listed,
        total_violations: findings.total,
        sent: first_sent.len(),
        acknowledged: acked.len(),
        lost,
        final_reads: final_nodes.len(),
        stable_latency: median_max(stable_latencies(history, &acked, &first_sent)),
    }
}

/// For each acknowledged value: the time from its first send until every node's reads
/// contain it from then on (values that never got there are left out).
fn stable_latencies(
    history: &[Operation],
    acked: &BTreeMap<Value, (Tick, usize)>,
    first_sent: &BTreeMap<Value, (Tick, usize)>,
) -> Vec<Tick> {
    let mut reads: BTreeMap<u64, Vec<(Tick, &BTreeSet<Value>)>> = BTreeMap::new();
    for op in history {
        if let (Kind::Read { values, .. }, Status::Ok, Some(done)) = (&op.kind, op.status, op.complete) {
            reads.entry(op.node).or_default().push((done, values));
        }
    }
    for list in reads.values_mut() {
        list.sort_by_key(|&(t, _)| t);
    }
    let mut out = Vec::new();
    'values: for &v in acked.keys() {
        let mut stable = 0;
        for list in reads.values() {
            // The earliest read from which on every read of this node holds `v`.
            let since = list.iter().rposition(|(_, values)| !values.contains(&v)).map_or(0, |p| p + 1);
            match list.get(since) {
                Some(&(t, _)) => stable = stable.max(t),
                None => continue 'values,
            }
        }
        out.push(stable.saturating_sub(first_sent[&v].0));
    }
    out
}

/// `a`, `a and b`, `a, b and c`.
fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
