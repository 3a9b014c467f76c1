//! The clients' history: every operation with the ticks it started and ended and how it ended.
//! It is the input of the linearizability checker.

use serde::{Deserialize, Serialize};

use crate::ids::{ClientId, Tick, Value};

/// What a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "f", content = "value")]
pub enum OpKind {
    /// Read the register.
    Read,
    /// Write this value.
    Write(Value),
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
    /// memory: the clients relabel themselves at every operation).
    pub fn write_label(&self, out: &mut String) {
        use std::fmt::Write;
        out.clear();
        match self.kind {
            OpKind::Read => out.push('R'),
            OpKind::Write(v) => write!(out, "W{v}").expect("a String takes any text"),
        }
        match (self.kind, self.outcome) {
            (OpKind::Read, Outcome::Ok(Some(v))) => write!(out, "{v}").expect("a String takes any text"),
            (OpKind::Read, Outcome::Ok(None)) => out.push('∅'),
            (_, Outcome::Ok(_)) => {}
            (_, Outcome::Failed) => out.push('!'),
            (_, Outcome::Unknown) => out.push('?'),
            (_, Outcome::Pending) => out.push('…'),
        }
    }
}

/// Every client operation of a run, in the order they were invoked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
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

    /// The history in the checker's terms: the same operations at the same indices; pending
    /// operations count as unknown (they may have taken effect); times are ticks.
    pub fn to_checker(&self) -> dgame_checker::History {
        use dgame_checker as c;
        let ops = self
            .operations
            .iter()
            .map(|op| c::Operation {
                client: u64::from(op.client.0),
                key: None,
                kind: match op.kind {
                    OpKind::Read => c::OpKind::Read,
                    OpKind::Write(v) => c::OpKind::Write(v),
                },
                invoke: op.invoke,
                complete: op.complete,
                outcome: match (op.kind, op.outcome) {
                    (OpKind::Read, Outcome::Ok(v)) => c::Outcome::Ok { read: v },
                    (OpKind::Write(_), Outcome::Ok(_)) => c::Outcome::Ok { read: None },
                    (_, Outcome::Failed) => c::Outcome::Failed,
                    (_, Outcome::Unknown | Outcome::Pending) => c::Outcome::Unknown,
                },
            })
            .collect();
        c::History::from_ops(ops)
    }

    /// Checks the history for linearizability with the checker's default budgets of steps and
    /// memory, but no time limit: the verdict of a seed must not depend on how fast the machine
    /// is (a run that is too hard gives `Unknown` after the same number of steps everywhere).
    pub fn check(&self) -> dgame_checker::Verdict {
        dgame_checker::check(&self.to_checker(), &dgame_checker::Options::default().max_time(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(index: usize, outcome: Outcome) -> Operation {
        Operation { index, client: ClientId(1), kind: OpKind::Read, invoke: 1, complete: Some(2), outcome }
    }

    #[test]
    fn counts_name_each_outcome_and_availability_is_the_share_that_succeeded() {
        let h = History {
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
        let failing = History { operations: vec![op(0, Outcome::Unknown), op(1, Outcome::Failed)] };
        assert!(failing.nothing_succeeded());
        let one = History { operations: vec![op(0, Outcome::Unknown), op(1, Outcome::Ok(Some(3)))] };
        assert!(!one.nothing_succeeded());
        assert!(!History::default().nothing_succeeded(), "no operation is not an outage");
    }
}
