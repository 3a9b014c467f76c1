//! The clients' history: every operation with the ticks it started and ended and how it ended.
//! It is the input of the linearizability checker.

use serde::{Deserialize, Serialize};

use crate::ids::{ClientId, NodeId, Tick, Value};
use crate::workload::{Key, Workload};

/// What a client asked for (and, for the reads of the workloads beyond registers, what it got:
/// a register's read returns its value in [`Outcome::Ok`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "f", content = "value")]
pub enum OpKind {
    /// Read the register.
    Read,
    /// Write this value.
    Write(Value),
    /// Read the register under `key` (the value read is in [`Outcome::Ok`]).
    KvRead {
        /// Which register.
        key: Key,
    },
    /// Write `value` under `key`.
    KvWrite {
        /// Which register.
        key: Key,
        /// The value.
        value: Value,
    },
    /// If `key` holds `from`, store `to`.
    KvCas {
        /// Which register.
        key: Key,
        /// The value it must hold.
        from: Value,
        /// The value stored.
        to: Value,
    },
    /// Broadcast a value.
    Broadcast(Value),
    /// Read a node's set of values.
    BroadcastRead {
        /// Made after the quiet period, to see where values ended up.
        final_read: bool,
        /// What it returned (when ok), ascending.
        values: Vec<Value>,
    },
    /// Add to the counter.
    Add(i64),
    /// Read the counter.
    CounterRead {
        /// Made after the quiet period, to see where the counter ended up.
        final_read: bool,
        /// What it returned (when ok).
        value: Option<i64>,
    },
    /// Ask for a unique id.
    Generate {
        /// The id handed out (when ok).
        unique_id: Option<u64>,
    },
}

impl OpKind {
    /// Whether the operation only reads (its failure or loss changes nothing).
    pub fn is_read(&self) -> bool {
        matches!(self, OpKind::Read | OpKind::KvRead { .. } | OpKind::BroadcastRead { .. } | OpKind::CounterRead { .. })
    }
}

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum Outcome {
    /// Still waiting for an answer.
    Pending,
    /// It took effect. For a read, the value read (`None`: the empty register).
    Ok(Option<Value>),
    /// It certainly did not take effect (a node answered [`Status::Fail`](crate::Status::Fail)).
    Failed,
    /// Nobody knows: the gateway or the client timed out. It may have taken effect or not.
    Unknown,
}

/// One client operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// Its index in the history.
    pub index: usize,
    /// Who.
    pub client: ClientId,
    /// What.
    pub kind: OpKind,
    /// The tick the client sent the request.
    pub invoke: Tick,
    /// The tick the client got the answer or gave up (`None` while pending).
    pub complete: Option<Tick>,
    /// How it ended.
    pub outcome: Outcome,
    /// The node the gateway sent the request to (`None`: it never got that far).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeId>,
}

impl Operation {
    /// A short label as the viewer shows it: `R5`, `R∅`, `W7`, with `?` for unknown and `!`
    /// for failed, `…` while pending.
    pub fn label(&self) -> String {
        let mut label = String::new();
        self.write_label(&mut label);
        label
    }

    /// Writes [`label`](Operation::label) into `out`, replacing what was there (and reusing its
    /// memory).
    pub fn write_label(&self, out: &mut String) {
        use std::fmt::Write;
        out.clear();
        // Writing to a String cannot fail.
        let _ = match &self.kind {
            OpKind::Read => write!(out, "R"),
            OpKind::Write(v) => write!(out, "W{v}"),
            OpKind::KvRead { key } => write!(out, "R[{key}]"),
            OpKind::KvWrite { key, value } => write!(out, "W[{key}]{value}"),
            OpKind::KvCas { key, from, to } => write!(out, "C[{key}]{from}>{to}"),
            OpKind::Broadcast(v) => write!(out, "B{v}"),
            OpKind::BroadcastRead { final_read, .. } => write!(out, "{}", if *final_read { "F" } else { "S" }),
            OpKind::Add(d) => write!(out, "{d:+}"),
            OpKind::CounterRead { final_read, .. } => write!(out, "{}", if *final_read { "F" } else { "=" }),
            OpKind::Generate { .. } => write!(out, "G"),
        };
        let _ = match (&self.kind, self.outcome) {
            (OpKind::Read | OpKind::KvRead { .. }, Outcome::Ok(Some(v))) => write!(out, "{v}"),
            (OpKind::Read | OpKind::KvRead { .. }, Outcome::Ok(None)) => write!(out, "∅"),
            (OpKind::BroadcastRead { values, .. }, Outcome::Ok(_)) => write!(out, "{{{}}}", values.len()),
            (OpKind::CounterRead { value: Some(v), .. }, Outcome::Ok(_)) => write!(out, "{v}"),
            (OpKind::Generate { unique_id: Some(u) }, Outcome::Ok(_)) => write!(out, "{u}"),
            (_, Outcome::Ok(_)) => Ok(()),
            (_, Outcome::Failed) => write!(out, "!"),
            (_, Outcome::Unknown) => write!(out, "?"),
            (_, Outcome::Pending) => write!(out, "…"),
        };
    }
}

/// Every client operation of a run, in the order they were invoked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// The workload the clients ran.
    #[serde(default)]
    pub workload: Workload,
    /// The operations.
    pub operations: Vec<Operation>,
}

/// How many operations of a history ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OpCounts {
    /// Took effect ([`Outcome::Ok`]).
    pub ok: usize,
    /// Certainly did not ([`Outcome::Failed`]).
    pub failed: usize,
    /// Nobody knows ([`Outcome::Unknown`]: a timeout).
    pub unknown: usize,
    /// Still waiting at the end ([`Outcome::Pending`]).
    pub pending: usize,
}

impl OpCounts {
    /// Every operation.
    pub fn total(&self) -> usize {
        self.ok + self.failed + self.unknown + self.pending
    }

    /// The share of operations that succeeded, in `[0, 1]`; `None` with no operation at all.
    pub fn availability(&self) -> Option<f64> {
        (self.total() > 0).then(|| self.ok as f64 / self.total() as f64)
    }
}

impl History {
    /// How many operations ended each way.
    pub fn counts(&self) -> OpCounts {
        let mut c = OpCounts::default();
        for op in &self.operations {
            match op.outcome {
                Outcome::Ok(_) => c.ok += 1,
                Outcome::Failed => c.failed += 1,
                Outcome::Unknown => c.unknown += 1,
                Outcome::Pending => c.pending += 1,
            }
        }
        c
    }

    /// Whether clients asked and nothing succeeded: availability 0% (a node that never replies,
    /// a cluster that never reaches a quorum). `false` for a history with no operation.
    pub fn nothing_succeeded(&self) -> bool {
        !self.operations.is_empty() && !self.operations.iter().any(|op| matches!(op.outcome, Outcome::Ok(_)))
    }

    /// One line for people: `40 operations: 35 ok, 0 failed, 4 unknown, 1 pending; first: W1 R1 W2 …`.
    pub fn summary(&self) -> String {
        let OpCounts { ok, failed, unknown, pending } = self.counts();
        let first: Vec<String> = self.operations.iter().take(12).map(Operation::label).collect();
        let more = if self.operations.len() > 12 { " …" } else { "" };
        format!(
            "{} operations: {ok} ok, {failed} failed, {unknown} unknown, {pending} pending; first: {}{more}",
            self.operations.len(),
            first.join(" ")
        )
    }

    /// The history of a register or key-value workload in the linearizability checker's
    /// terms: the same operations at the same indices; pending operations count as unknown
    /// (they may have taken effect); times are ticks. Operations of other workloads are left
    /// out (see [`History::check`]).
    pub fn to_checker(&self) -> dgame_checker::History {
        use dgame_checker as c;
        let ops = self
            .operations
            .iter()
            .filter_map(|op| {
                let (key, kind) = match op.kind {
                    OpKind::Read => (None, c::OpKind::Read),
                    OpKind::Write(v) => (None, c::OpKind::Write(v)),
                    OpKind::KvRead { key } => (Some(key), c::OpKind::Read),
                    OpKind::KvWrite { key, value } => (Some(key), c::OpKind::Write(value)),
                    OpKind::KvCas { key, from, to } => (Some(key), c::OpKind::Cas { expected: from, new: to }),
                    _ => return None,
                };
                let outcome = match (op.kind.is_read(), op.outcome) {
                    (true, Outcome::Ok(v)) => c::Outcome::Ok { read: v },
                    (false, Outcome::Ok(_)) => c::Outcome::Ok { read: None },
                    (_, Outcome::Failed) => c::Outcome::Failed,
                    (_, Outcome::Unknown | Outcome::Pending) => c::Outcome::Unknown,
                };
                Some(c::Operation {
                    client: u64::from(op.client.0),
                    key,
                    kind,
                    invoke: op.invoke,
                    complete: op.complete,
                    outcome,
                })
            })
            .collect();
        c::History::from_ops(ops)
    }

    /// The history of a broadcast workload in its checker's terms.
    pub fn to_broadcast(&self) -> Vec<dgame_checker::workload::broadcast::Operation> {
        use dgame_checker::workload::broadcast::{Kind, Operation as Op};
        self.workload_ops(|op| match &op.kind {
            OpKind::Broadcast(value) => Some(Kind::Send { value: *value }),
            OpKind::BroadcastRead { final_read, values } => {
                Some(Kind::Read { values: values.iter().copied().collect(), final_read: *final_read })
            }
            _ => None,
        })
        .map(|(client, node, invoke, complete, status, kind)| Op { client, node, invoke, complete, status, kind })
        .collect()
    }

    /// The history of a counter workload in its checker's terms.
    pub fn to_counter(&self) -> Vec<dgame_checker::workload::counter::Operation> {
        use dgame_checker::workload::counter::{Kind, Operation as Op};
        self.workload_ops(|op| match op.kind {
            OpKind::Add(delta) => Some(Kind::Add { delta }),
            OpKind::CounterRead { final_read, value } => Some(Kind::Read { value: value.unwrap_or(0), final_read }),
            _ => None,
        })
        .map(|(client, node, invoke, complete, status, kind)| Op { client, node, invoke, complete, status, kind })
        .collect()
    }

    /// The history of a unique-ids workload in its checker's terms.
    pub fn to_unique_ids(&self) -> Vec<dgame_checker::workload::unique_ids::Operation> {
        use dgame_checker::workload::unique_ids::Operation as Op;
        self.workload_ops(|op| match op.kind {
            OpKind::Generate { unique_id } => Some(unique_id),
            _ => None,
        })
        .map(|(client, node, invoke, complete, status, id)| Op {
            client,
            node,
            invoke,
            complete,
            status,
            id: id.map(|u| u.to_string()),
        })
        .collect()
    }

    /// The operations `kind` picks, with what every workload checker wants of them: client,
    /// node, ticks and status (pending ones are unknown).
    fn workload_ops<'a, K: 'a>(
        &'a self,
        kind: impl Fn(&Operation) -> Option<K> + 'a,
    ) -> impl Iterator<Item = (u64, u64, Tick, Option<Tick>, dgame_checker::workload::Status, K)> + 'a {
        use dgame_checker::workload::Status;
        self.operations.iter().filter_map(move |op| {
            let status = match op.outcome {
                Outcome::Ok(_) => Status::Ok,
                Outcome::Failed => Status::Failed,
                Outcome::Unknown | Outcome::Pending => Status::Unknown,
            };
            let node = op.node.map_or(0, |n| u64::from(n.0));
            Some((u64::from(op.client.0), node, op.invoke, op.complete, status, kind(op)?))
        })
    }

    /// The history of a broadcast, counter or unique-ids workload in its checker's terms
    /// (`None` for the register and the key-value store: see [`History::to_checker`]). Pending
    /// operations are unknown; an operation that reached no node has node 0.
    pub fn to_workload(&self) -> Option<dgame_checker::workload::WorkloadHistory> {
        use dgame_checker::workload::WorkloadHistory as W;
        Some(match self.workload {
            Workload::Register | Workload::Kv => return None,
            Workload::Broadcast => W::Broadcast(self.to_broadcast()),
            Workload::Counter => W::Counter(self.to_counter()),
            Workload::PnCounter => W::PnCounter(self.to_counter()),
            Workload::UniqueIds => W::UniqueIds(self.to_unique_ids()),
        })
    }

    /// Checks the history as its workload says: linearizability for the register and the
    /// key-value store (with the checker's default budgets of steps and memory, but no time
    /// limit: the verdict of a seed must not depend on how fast the machine is, so a run that
    /// is too hard gives `Unknown` after the same number of steps everywhere), the workload's
    /// own checks for the others ([`WorkloadHistory::check`](dgame_checker::workload::WorkloadHistory::check),
    /// which `dgame check --workload` uses too, so that a run and its history file get the
    /// same sentences).
    pub fn check(&self) -> dgame_checker::Verdict {
        match self.to_workload() {
            Some(history) => history.check(),
            None => dgame_checker::check(&self.to_checker(), &dgame_checker::Options::default().max_time(None)),
        }
    }
}

impl Operation {
    /// The operation in words: `client 2 broadcast 7 via n3 at ticks 40-44, ok`.
    pub fn describe(&self) -> String {
        let what = match &self.kind {
            OpKind::Read => "read the register".to_owned(),
            OpKind::Write(v) => format!("wrote {v}"),
            OpKind::KvRead { key } => format!("read key {key}"),
            OpKind::KvWrite { key, value } => format!("wrote {value} to key {key}"),
            OpKind::KvCas { key, from, to } => format!("compare-and-set key {key} from {from} to {to}"),
            OpKind::Broadcast(v) => format!("broadcast {v}"),
            OpKind::BroadcastRead { final_read, values } => {
                let which = if *final_read { "final read" } else { "read" };
                format!("{which} of {} values", values.len())
            }
            OpKind::Add(d) => format!("added {d}"),
            OpKind::CounterRead { final_read, value } => {
                let which = if *final_read { "final read" } else { "read" };
                match value {
                    Some(v) => format!("{which} of the counter: {v}"),
                    None => format!("{which} of the counter"),
                }
            }
            OpKind::Generate { unique_id } => match unique_id {
                Some(u) => format!("got id {u}"),
                None => "asked for an id".to_owned(),
            },
        };
        let via = self.node.map(|n| format!(" via n{}", n.0)).unwrap_or_default();
        let when = match self.complete {
            Some(c) if c == self.invoke => format!("at tick {c}"),
            Some(c) => format!("at ticks {}-{c}", self.invoke),
            None => format!("from tick {}", self.invoke),
        };
        let how = match self.outcome {
            Outcome::Ok(Some(v)) if self.kind.is_read() => format!("ok, {v}"),
            Outcome::Ok(_) => "ok".to_owned(),
            Outcome::Failed => "failed".to_owned(),
            Outcome::Unknown => "unknown".to_owned(),
            Outcome::Pending => "pending".to_owned(),
        };
        format!("client {} {what}{via} {when}, {how}", self.client.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(index: usize, outcome: Outcome) -> Operation {
        Operation { index, client: ClientId(1), kind: OpKind::Read, invoke: 1, complete: Some(2), outcome, node: None }
    }

    #[test]
    fn counts_name_each_outcome_and_availability_is_the_share_that_succeeded() {
        let h = History {
            workload: Workload::Register,
            operations: vec![
                op(0, Outcome::Ok(None)),
                op(1, Outcome::Unknown),
                op(2, Outcome::Failed),
                op(3, Outcome::Unknown),
                op(4, Outcome::Pending),
            ],
        };
        assert_eq!(h.counts(), OpCounts { ok: 1, failed: 1, unknown: 2, pending: 1 });
        assert_eq!(h.counts().total(), 5);
        assert_eq!(h.counts().availability(), Some(0.2));
        assert_eq!(History::default().counts().availability(), None);
    }

    #[test]
    fn nothing_succeeded_when_clients_asked_and_no_operation_was_ok() {
        let failing =
            History { workload: Workload::Register, operations: vec![op(0, Outcome::Unknown), op(1, Outcome::Failed)] };
        assert!(failing.nothing_succeeded());
        let one = History {
            workload: Workload::Register,
            operations: vec![op(0, Outcome::Unknown), op(1, Outcome::Ok(Some(3)))],
        };
        assert!(!one.nothing_succeeded());
        assert!(!History::default().nothing_succeeded(), "no operation is not an outage");
    }
}
