//! The report model: what one run produced ([`RunOutput`]), and the report of it
//! ([`Report`]: operations, availability, latency, messages, drops, faults, verdict), shared
//! by the command line and the browser game.

mod faults;
mod observe;

use std::fmt::Write as _;

use dgame_checker::Verdict;
use dgame_engine::{Config, History, OpKind, Outcome, RunError, Stats, Workload};
use serde::{Deserialize, Serialize};

pub use faults::{FaultLog, FaultRecord};
pub use observe::{MessageCounts, RunObserver};

/// What one simulation produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The clients' operations.
    pub history: History,
    /// The engine's counters.
    pub stats: Stats,
    /// Signals by route and type.
    pub messages: MessageCounts,
    /// The error that stopped the run early, if any.
    pub error: Option<RunError>,
    /// The last tick that ran.
    pub ticks_run: u64,
    /// The faults that happened, and when the system was unhealthy.
    pub faults: Vec<FaultRecord>,
    /// The operations that overlapped a fault (indices into the history).
    pub ops_during_faults: Vec<usize>,
    /// Every decision that differed from the seed's: the choice script that replays the run.
    pub deviations: dgame_engine::Script,
    /// A fingerprint of every signal's fate (equal for runs with the same schedule).
    pub schedule: u64,
    /// The nodes' states' fingerprints after each tick (when states were tracked).
    pub states: Vec<u64>,
}

/// The kind of a run error in words (`handler panicked`, `no endpoint`, ...), to count errors
/// by kind. Read from the variant's name, so a kind the engine adds later is named too.
pub fn error_kind(error: &RunError) -> String {
    let debug = format!("{error:?}");
    let variant = debug.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("error");
    let mut words = String::new();
    for (i, c) in variant.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            words.push(' ');
        }
        words.push(c.to_ascii_lowercase());
    }
    words
}

/// Latency figures in ticks, over the operations that succeeded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Slowest.
    pub max: u64,
}

impl Latency {
    /// The percentiles of `samples` (nearest rank); all zero when empty.
    pub fn of(mut samples: Vec<u64>) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_unstable();
        let rank = |p: f64| samples[(((p * samples.len() as f64).ceil() as usize).max(1) - 1).min(samples.len() - 1)];
        Latency { p50: rank(0.50), p90: rank(0.90), p99: rank(0.99), max: samples[samples.len() - 1] }
    }
}

/// The checker's verdict, as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum VerdictReport {
    /// Linearizable.
    Linearizable,
    /// Not linearizable, with the operations at fault.
    NotLinearizable {
        /// The sentence.
        explanation: String,
        /// The operations, in words.
        operations: Vec<String>,
        /// Their indices in the history.
        indices: Vec<usize>,
    },
    /// A workload checked for other properties than linearizability passed its checks.
    Valid {
        /// The workload.
        workload: String,
        /// Its checker's summary, with the figures.
        summary: String,
    },
    /// Such a workload failed its checks.
    Invalid {
        /// The workload.
        workload: String,
        /// The first violation's sentence.
        explanation: String,
        /// Its operations, in words.
        operations: Vec<String>,
        /// Their indices in the history.
        indices: Vec<usize>,
        /// How many violations there are in all.
        total: usize,
        /// The checker's summary, with the figures.
        summary: String,
    },
    /// The checker's budget ran out.
    Unknown {
        /// Which budget.
        reason: String,
    },
    /// An invariant of the algorithm did not hold at the end of a tick (the run stopped).
    InvariantBroken {
        /// Its name.
        invariant: String,
        /// The tick.
        tick: u64,
        /// What was wrong.
        message: String,
        /// Every node's state then.
        states: Vec<String>,
    },
    /// The run stopped with an error before the end.
    Error {
        /// The error.
        error: String,
    },
}

impl VerdictReport {
    /// The verdict of a run: its invariant break or error if it stopped on one, else the
    /// checker's `verdict` (none: the history was not checked).
    pub fn of_run(error: Option<&RunError>, verdict: Option<&Verdict>) -> VerdictReport {
        match (error, verdict) {
            (Some(RunError::InvariantBroken { tick, invariant, message, states, .. }), _) => {
                VerdictReport::InvariantBroken {
                    invariant: invariant.clone(),
                    tick: *tick,
                    message: message.clone(),
                    states: states.clone(),
                }
            }
            (Some(e), _) => VerdictReport::Error { error: e.to_string() },
            (None, Some(v)) => VerdictReport::of(v),
            (None, None) => VerdictReport::Unknown { reason: "not checked".into() },
        }
    }

    /// From the checker's verdict.
    pub fn of(v: &Verdict) -> Self {
        match v {
            Verdict::Linearizable { .. } => VerdictReport::Linearizable,
            Verdict::NotLinearizable { explanation } => VerdictReport::NotLinearizable {
                explanation: explanation.sentence.clone(),
                operations: explanation.op_descriptions.clone(),
                indices: explanation.ops.clone(),
            },
            Verdict::Valid { workload, summary } => {
                VerdictReport::Valid { workload: (*workload).to_owned(), summary: summary.clone() }
            }
            Verdict::Invalid { workload, explanation, total, summary } => VerdictReport::Invalid {
                workload: (*workload).to_owned(),
                explanation: explanation.sentence.clone(),
                operations: explanation.op_descriptions.clone(),
                indices: explanation.ops.clone(),
                total: *total,
                summary: summary.clone(),
            },
            Verdict::Unknown { reason, .. } => VerdictReport::Unknown { reason: reason.clone() },
        }
    }

    /// The operations a violation names (indices into the history); none for any other verdict.
    pub fn violation_indices(&self) -> &[usize] {
        match self {
            VerdictReport::NotLinearizable { indices, .. } | VerdictReport::Invalid { indices, .. } => indices,
            _ => &[],
        }
    }

    /// Whether the history broke what its workload promises (or an invariant broke).
    pub fn is_violation(&self) -> bool {
        matches!(
            self,
            VerdictReport::NotLinearizable { .. }
                | VerdictReport::Invalid { .. }
                | VerdictReport::InvariantBroken { .. }
        )
    }

    /// The exit code: 0 linearizable, 1 not, 2 unknown or error.
    pub fn exit_code(&self) -> u8 {
        match self {
            VerdictReport::Linearizable | VerdictReport::Valid { .. } => 0,
            VerdictReport::NotLinearizable { .. }
            | VerdictReport::Invalid { .. }
            | VerdictReport::InvariantBroken { .. } => 1,
            VerdictReport::Unknown { .. } | VerdictReport::Error { .. } => 2,
        }
    }
}

/// The operation counts, the availability (ok / finished) and the latency of the successful
/// operations of a history: the figures a report and a sweep share.
pub fn figures(h: &History) -> (Operations, f64, Latency) {
    let dgame_engine::OpCounts { ok, failed, unknown, pending } = h.counts();
    let finished = ok + failed + unknown;
    let latency = Latency::of(
        h.operations
            .iter()
            .filter(|op| matches!(op.outcome, Outcome::Ok(_)))
            .filter_map(|op| op.complete.map(|c| c - op.invoke))
            .collect(),
    );
    let availability = if finished == 0 { 0.0 } else { ok as f64 / finished as f64 };
    (Operations { total: h.operations.len(), ok, failed, unknown, pending }, availability, latency)
}

/// Operation counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Operations {
    /// All invoked.
    pub total: usize,
    /// Succeeded.
    pub ok: usize,
    /// Certainly did not take effect.
    pub failed: usize,
    /// Timed out: may or may not have taken effect.
    pub unknown: usize,
    /// Still waiting when the run ended.
    pub pending: usize,
}

/// Dropped signals by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Dropped {
    /// Lost by the network.
    pub loss: u64,
    /// On a cut link.
    pub partition: u64,
    /// Dropped by id.
    pub by_id: u64,
    /// Sent to a crashed node.
    pub crashed: u64,
}

/// Everything `dgame run` reports (and `--json` prints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The algorithm.
    pub algorithm: String,
    /// The configuration.
    pub config: Config,
    /// Ticks that ran.
    pub ticks_run: u64,
    /// Operations by outcome.
    pub operations: Operations,
    /// ok / (ok + failed + unknown): the share of finished operations that succeeded.
    pub availability: f64,
    /// Latency of successful operations, in ticks.
    pub latency: Latency,
    /// Signals sent.
    pub messages: u64,
    /// Signals sent per operation invoked.
    pub messages_per_operation: f64,
    /// Signals by route and by type.
    pub message_breakdown: MessageCounts,
    /// Replies that came after their waiter gave up.
    pub stale_replies: u64,
    /// Dropped signals.
    pub dropped: Dropped,
    /// Signals duplicated by the network.
    pub duplicated: u64,
    /// The faults that happened, in order.
    pub faults: Vec<FaultRecord>,
    /// The operations (indices) that overlapped a fault: a crashed or paused node, a cut link,
    /// or a signal dropped by hand.
    pub operations_during_faults: Vec<usize>,
    /// The checker's verdict.
    pub verdict: VerdictReport,
    /// The broadcast workload: node-to-node messages per value broadcast.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages_per_value: Option<f64>,
    /// A workload with final reads: the nodes no final read reached (the check says nothing
    /// of where they ended up).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread_nodes: Vec<u32>,
    /// The command that reproduces this run.
    pub reproduce: String,
}

impl Report {
    /// Builds the report of a run of `algorithm` from the checker's `verdict` (none when the
    /// run stopped on an error); `program` names the binary in the command that reproduces it.
    pub fn new(program: &str, algorithm: &str, config: &Config, out: &RunOutput, verdict: Option<&Verdict>) -> Report {
        let (operations, availability, latency) = figures(&out.history);
        let verdict = VerdictReport::of_run(out.error.as_ref(), verdict);
        let total = operations.total;
        Report {
            algorithm: algorithm.to_owned(),
            config: config.clone(),
            ticks_run: out.ticks_run,
            operations,
            availability,
            latency,
            messages: out.stats.sent,
            messages_per_operation: if total == 0 { 0.0 } else { out.stats.sent as f64 / total as f64 },
            message_breakdown: out.messages.clone(),
            stale_replies: out.stats.stale_replies,
            dropped: Dropped {
                loss: out.stats.dropped_loss,
                partition: out.stats.dropped_partition,
                by_id: out.stats.dropped_by_id,
                crashed: out.stats.dropped_crashed,
            },
            duplicated: out.stats.duplicated,
            faults: out.faults.clone(),
            operations_during_faults: out.ops_during_faults.clone(),
            verdict,
            messages_per_value: (config.workload == Workload::Broadcast).then(|| {
                let values = out.history.operations.iter().filter(|op| matches!(op.kind, OpKind::Broadcast(_))).count();
                if values == 0 { 0.0 } else { out.messages.node_node as f64 / values as f64 }
            }),
            unread_nodes: unread_nodes(config, &out.history),
            reproduce: config.command_line(program, algorithm),
        }
    }

    /// When no operation succeeded, a sentence that says so: such a run is linearizable
    /// because nothing happened, and its verdict alone would not show it.
    pub fn no_success_warning(&self) -> Option<String> {
        let o = &self.operations;
        (o.total > 0 && o.ok == 0).then(|| {
            format!(
                "no operation succeeded ({} invoked: {} failed, {} unknown, {} pending; availability 0%): \
                 the verdict holds only because nothing took effect visibly",
                o.total, o.failed, o.unknown, o.pending
            )
        })
    }

    /// When some nodes had no final read, a sentence that says so: their state went unchecked.
    pub fn unread_warning(&self) -> Option<String> {
        (!self.unread_nodes.is_empty()).then(|| {
            let nodes: Vec<String> = self.unread_nodes.iter().map(|n| format!("n{n}")).collect();
            format!(
                "no final read reached {} of {} nodes ({}): the check says nothing of where they ended up; a longer \
                 --quiet gives the final reads more time",
                nodes.len(),
                self.config.nodes,
                nodes.join(", ")
            )
        })
    }

    /// The report for people.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let c = &self.config;
        let o = &self.operations;
        let workload =
            if c.workload == Workload::Register { String::new() } else { format!(" ({} workload)", c.workload) };
        let _ = writeln!(
            s,
            "{}{workload} with {} {} and {} {}, {} ticks, seed {}, delay {}, loss {}",
            self.algorithm,
            c.nodes,
            if c.nodes == 1 { "node" } else { "nodes" },
            c.clients,
            if c.clients == 1 { "client" } else { "clients" },
            self.ticks_run,
            c.seed,
            c.delay,
            c.loss
        );
        let _ = writeln!(
            s,
            "operations   {} invoked: {} ok, {} failed, {} unknown, {} pending",
            o.total, o.ok, o.failed, o.unknown, o.pending
        );
        let _ = writeln!(s, "availability {:.1}% of finished operations succeeded", self.availability * 100.0);
        if let Some(w) = self.no_success_warning() {
            let _ = writeln!(s, "  WARNING    {w}");
        }
        if let Some(w) = self.unread_warning() {
            let _ = writeln!(s, "  WARNING    {w}");
        }
        let l = &self.latency;
        let _ = writeln!(s, "latency      p50 {} / p90 {} / p99 {} / max {} ticks", l.p50, l.p90, l.p99, l.max);
        let m = &self.message_breakdown;
        let _ = writeln!(
            s,
            "messages     {} sent, {:.1} per operation: {} client-gateway, {} gateway-node, {} node-node",
            self.messages, self.messages_per_operation, m.client_gateway, m.gateway_node, m.node_node
        );
        if let Some(per) = self.messages_per_value {
            let _ = writeln!(s, "  per value  {per:.1} node-node messages per value broadcast");
        }
        let types: Vec<String> = m.by_type.iter().map(|(t, n)| format!("{t} {n}")).collect();
        let _ = writeln!(s, "  by type    {}", types.join(", "));
        let d = &self.dropped;
        let _ = writeln!(
            s,
            "dropped      {} lost, {} on cut links, {} to crashed nodes, {} by id; {} duplicated; {} stale replies",
            d.loss, d.partition, d.crashed, d.by_id, self.duplicated, self.stale_replies
        );
        if self.faults.is_empty() {
            let _ = writeln!(s, "faults       none");
        } else {
            let shown: Vec<String> = self.faults.iter().take(8).map(|f| format!("{}@{}", f.fault, f.tick)).collect();
            let more =
                if self.faults.len() > 8 { format!(", and {} more", self.faults.len() - 8) } else { String::new() };
            let _ = writeln!(s, "faults       {}: {}{more}", self.faults.len(), shown.join(", "));
            let _ = writeln!(
                s,
                "             {} of {} operations overlapped a fault",
                self.operations_during_faults.len(),
                o.total
            );
        }
        match &self.verdict {
            VerdictReport::Linearizable => {
                let _ = writeln!(s, "verdict      LINEARIZABLE");
            }
            VerdictReport::NotLinearizable { explanation, operations, .. } => {
                let _ = writeln!(s, "verdict      NOT LINEARIZABLE");
                let _ = writeln!(s, "  {explanation}");
                for op in operations {
                    let _ = writeln!(s, "    - {op}");
                }
            }
            VerdictReport::Valid { workload, summary } => {
                let _ = writeln!(s, "verdict      VALID ({workload}: {})", Workload::checked_of(workload));
                let _ = writeln!(s, "  {summary}");
            }
            VerdictReport::Invalid { workload, explanation, operations, total, summary, .. } => {
                let more = if *total > 1 { format!(", the first of {total}") } else { String::new() };
                let _ = writeln!(s, "verdict      INVALID ({workload}{more})");
                let _ = writeln!(s, "  {explanation}");
                for op in operations {
                    let _ = writeln!(s, "    - {op}");
                }
                let _ = writeln!(s, "  {summary}");
            }
            VerdictReport::Unknown { reason } => {
                let _ = writeln!(s, "verdict      UNKNOWN ({reason})");
            }
            VerdictReport::InvariantBroken { invariant, tick, message, states } => {
                let _ = writeln!(s, "verdict      INVARIANT BROKEN: \"{invariant}\" at tick {tick}");
                let _ = writeln!(s, "  {message}");
                for state in states {
                    let _ = writeln!(s, "    - {state}");
                }
            }
            VerdictReport::Error { error } => {
                let _ = writeln!(s, "verdict      none: the run stopped: {error}");
            }
        }
        let _ = writeln!(s, "reproduce    {}", self.reproduce);
        s
    }
}

/// The nodes of a workload with final reads that no successful final read reached.
fn unread_nodes(config: &Config, history: &History) -> Vec<u32> {
    if !config.workload.has_final_reads() {
        return Vec::new();
    }
    let read: std::collections::BTreeSet<u32> = history
        .operations
        .iter()
        .filter(|op| {
            matches!(
                op.kind,
                OpKind::BroadcastRead { final_read: true, .. } | OpKind::CounterRead { final_read: true, .. }
            ) && matches!(op.outcome, Outcome::Ok(_))
        })
        .filter_map(|op| op.node.map(|n| n.0))
        .collect();
    (1..=config.nodes).filter(|n| !read.contains(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let l = Latency::of((1..=100).collect());
        assert_eq!(l, Latency { p50: 50, p90: 90, p99: 99, max: 100 });
        assert_eq!(Latency::of(vec![7]), Latency { p50: 7, p90: 7, p99: 7, max: 7 });
        assert_eq!(Latency::of(vec![]), Latency::default());
    }
}
