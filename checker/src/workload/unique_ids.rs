//! The unique-ids workload: clients ask any node for an id; no id may be handed out twice,
//! over crashes and restarts too.
//!
//! ```
//! use dgame_checker::workload::Status;
//! use dgame_checker::workload::unique_ids::{Operation, check};
//!
//! let history = vec![
//!     Operation::generate(1, 2, 10, Some(12), Status::Ok, Some("n2-7")),
//!     Operation::generate(3, 2, 300, Some(305), Status::Ok, Some("n2-7")),
//! ];
//! let report = check(&history);
//! assert_eq!(
//!     report.violations[0].sentence,
//!     "id \"n2-7\" was handed out twice: to client 1 by node n2 at ticks 10-12, and to client 3 \
//!      by node n2 at ticks 300-305."
//! );
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Findings, Status, Violation, describe, interval, verdict_word};
use crate::history::{ClientId, Tick};

/// One request for an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// The client that asked.
    pub client: ClientId,
    /// The node that served it (shown as `n{node}`; 0: the request reached no node).
    pub node: u64,
    /// When the client asked.
    pub invoke: Tick,
    /// When it heard back (`None`: never).
    pub complete: Option<Tick>,
    /// How it ended.
    pub status: Status,
    /// The id handed out (when ok).
    #[serde(default)]
    pub id: Option<String>,
}

impl Operation {
    /// A request that got `id`.
    #[must_use]
    pub fn generate(
        client: ClientId,
        node: u64,
        invoke: Tick,
        complete: Option<Tick>,
        status: Status,
        id: Option<&str>,
    ) -> Self {
        Operation { client, node, invoke, complete, status, id: id.map(str::to_owned) }
    }

    /// The operation in words: `client 1 got id 17 via n2 at ticks 10-12, ok` (an id that is
    /// not a number is quoted), `client 3 asked for an id via n1 from tick 20, unknown`.
    #[must_use]
    pub fn describe(&self) -> String {
        let what = match (&self.id, self.status) {
            (Some(id), Status::Ok) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
                format!("got id {id}")
            }
            (Some(id), Status::Ok) => format!("got id {id:?}"),
            _ => "asked for an id".to_owned(),
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
    /// Ids handed out (ok requests).
    pub handed_out: usize,
    /// Distinct ids among them.
    pub distinct: usize,
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
        format!(
            "{verdict}: {} handed out, {} distinct",
            super::count(self.handed_out as u64, "id", "ids"),
            self.distinct
        )
    }
}

/// Checks a unique-ids history. An ok request without an id is a violation too (the node
/// said "here is your id" and gave none).
#[must_use]
pub fn check(history: &[Operation]) -> Report {
    let mut findings = Findings::default();
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    let mut handed_out = 0;
    let who =
        |op: &Operation| format!("to client {} by node n{} {}", op.client, op.node, interval(op.invoke, op.complete));
    for (i, op) in history.iter().enumerate() {
        if op.status != Status::Ok {
            continue;
        }
        let Some(id) = op.id.as_deref() else {
            findings.push(format!("a request answered {} carried no id.", who(op)), vec![i]);
            continue;
        };
        handed_out += 1;
        match first.get(id) {
            Some(&j) => findings
                .push(format!("id {id:?} was handed out twice: {}, and {}.", who(&history[j]), who(op)), vec![j, i]),
            None => {
                first.insert(id, i);
            }
        }
    }
    Report { violations: findings.listed, total_violations: findings.total, handed_out, distinct: first.len() }
}
