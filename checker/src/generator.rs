//! Seeded histories that are linearizable by construction, with optional injected anomalies.
//!
//! Every operation gets a linearization point, strictly increasing across the history, and
//! an interval around it that does not overlap the same client's other operations; the
//! register is applied at the points, so reads return what a real register would. One seed
//! reproduces the same history on every platform (the generator is SplitMix64, in-crate).
//!
//! ```
//! use dgame_checker::generator::{Anomaly, GenConfig, generate};
//! use dgame_checker::{Options, check};
//!
//! let good = generate(&GenConfig { clients: 4, ops: 200, seed: 7, ..GenConfig::default() });
//! assert!(check(&good, &Options::default()).is_linearizable());
//!
//! let bad = generate(&GenConfig { anomaly: Some(Anomaly::StaleRead), ..GenConfig::default() });
//! assert!(check(&bad, &Options::default()).is_violation());
//! ```

use crate::history::{History, OpKind, Operation, Outcome, TimeUnit, Value};

/// An anomaly to inject into an otherwise linearizable history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anomaly {
    /// A read late in the history returns a value that was overwritten before it began.
    StaleRead,
    /// A read returns a value that no operation ever wrote.
    NeverWrittenRead,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct GenConfig {
    /// Concurrent clients (at least 1).
    pub clients: usize,
    /// Operations in total.
    pub ops: usize,
    /// Registers (1: a single-register history without keys).
    pub keys: usize,
    /// Fraction of operations that are reads (the rest are writes or compare-and-sets).
    pub read_fraction: f64,
    /// Fraction of non-read operations that are compare-and-sets.
    pub cas_fraction: f64,
    /// Writes that time out (outcome unknown, never completed). They did take effect, as
    /// timed-out writes in real systems often do, so later reads may observe them.
    pub timed_out_writes: usize,
    /// Write values drawn from `1..=n` (so reused) instead of unique values.
    pub value_reuse: Option<u64>,
    /// Operations that fail (outcome failed, no effect), as a fraction of writes.
    pub failed_fraction: f64,
    /// An anomaly to inject.
    pub anomaly: Option<Anomaly>,
    /// The seed.
    pub seed: u64,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            clients: 5,
            ops: 1000,
            keys: 1,
            read_fraction: 0.5,
            cas_fraction: 0.0,
            timed_out_writes: 0,
            value_reuse: None,
            failed_fraction: 0.0,
            anomaly: None,
            seed: 1,
        }
    }
}

/// SplitMix64: tiny, fast, and stable forever.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        crate::wgl::mix64(self.0.wrapping_sub(0x9E37_79B9_7F4A_7C15))
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p && p > 0.0
    }
}

/// Generates a history; linearizable unless `config.anomaly` is set, in which case it is
/// not (if the history is long enough to hold the anomaly: a few dozen operations).
pub fn generate(config: &GenConfig) -> History {
    let mut rng = Rng(config.seed ^ 0xD1B5_4A32_D192_ED03);
    let clients = config.clients.max(1);
    let keys = config.keys.max(1);
    let spread = 2 * clients as u64 + 2;
    let mut next_free = vec![0u64; clients];
    let mut state: Vec<Option<Value>> = vec![None; keys];
    let mut next_value: Value = 1;
    let mut now: u64 = spread;
    let mut ops: Vec<Operation> = Vec::with_capacity(config.ops);
    let mut writes: Vec<usize> = Vec::new();

    for _ in 0..config.ops {
        now += 1 + rng.below(2);
        let mut c = rng.below(clients as u64) as usize;
        if next_free[c] > now {
            // Someone else, or wait for the first client to be free.
            c = (0..clients).min_by_key(|&i| next_free[i]).unwrap_or(0);
            now = now.max(next_free[c]);
        }
        let earliest = next_free[c].max(now.saturating_sub(spread));
        let invoke = earliest + rng.below(now - earliest + 1);
        let complete = now + rng.below(spread);
        next_free[c] = complete + 1;
        let k = rng.below(keys as u64) as usize;
        let key = (keys > 1).then_some(k as u64);
        let fresh = |rng: &mut Rng, next_value: &mut Value| match config.value_reuse {
            Some(n) => 1 + rng.below(n.max(1)),
            None => {
                *next_value += 1;
                *next_value - 1
            }
        };
        let mut op = if rng.chance(config.read_fraction) {
            Operation::read(c as u64, invoke, complete, state[k])
        } else if rng.chance(config.cas_fraction) {
            let expected = match state[k] {
                Some(v) if rng.chance(0.5) => v,
                _ => fresh(&mut rng, &mut next_value),
            };
            let new = fresh(&mut rng, &mut next_value);
            if state[k] == Some(expected) {
                state[k] = Some(new);
                Operation::cas(c as u64, invoke, complete, expected, new)
            } else {
                Operation::cas(c as u64, invoke, complete, expected, new).failed()
            }
        } else {
            let v = fresh(&mut rng, &mut next_value);
            if rng.chance(config.failed_fraction) {
                Operation::write(c as u64, invoke, complete, v).failed()
            } else {
                state[k] = Some(v);
                writes.push(ops.len());
                Operation::write(c as u64, invoke, complete, v)
            }
        };
        if let Some(key) = key {
            op = op.with_key(key);
        }
        ops.push(op);
    }

    // Time out some writes. One that "did not take effect" must not be observed, so only
    // writes that nobody read can be undone; the others took effect.
    let mut timed_out = 0;
    let mut attempts = 0;
    while timed_out < config.timed_out_writes && !writes.is_empty() && attempts < 100 * config.timed_out_writes {
        attempts += 1;
        let w = writes[rng.below(writes.len() as u64) as usize];
        if ops[w].outcome == Outcome::Unknown {
            continue;
        }
        ops[w] = ops[w].unknown();
        timed_out += 1;
    }

    match config.anomaly {
        Some(Anomaly::StaleRead) => inject_stale_read(&mut ops),
        Some(Anomaly::NeverWrittenRead) => {
            if let Some(r) = ops.iter().rposition(|o| o.kind == OpKind::Read && matches!(o.outcome, Outcome::Ok { .. }))
            {
                ops[r].outcome = Outcome::Ok { read: Some(u64::MAX) };
            }
        }
        None => {}
    }
    History { ops, time_unit: TimeUnit::Ticks }
}

/// Makes a late read return a value that was certainly overwritten before it began: a value
/// whose every write finished before another completed write began (which itself finished
/// before the read began), or began only after the read ended.
fn inject_stale_read(ops: &mut [Operation]) {
    let written = |o: &Operation| match (o.kind, o.outcome) {
        (_, Outcome::Failed) => None,
        (OpKind::Write(v), _) | (OpKind::Cas { new: v, .. }, _) => Some(v),
        _ => None,
    };
    let start = ops.len() * 2 / 3;
    for r in (start..ops.len()).chain(0..start).take(200) {
        if ops[r].kind != OpKind::Read || !matches!(ops[r].outcome, Outcome::Ok { .. }) {
            continue;
        }
        let (key, r_invoke, r_end) = (ops[r].key, ops[r].invoke, ops[r].complete.unwrap_or(u64::MAX));
        let completed = |o: &Operation| matches!(o.outcome, Outcome::Ok { .. }) && o.key == key;
        // The latest-finishing completed write that finished before the read began.
        let Some(new) = ops
            .iter()
            .filter(|o| completed(o) && written(o).is_some() && o.complete.is_some_and(|c| c < r_invoke))
            .max_by_key(|o| o.complete)
            .copied()
        else {
            continue;
        };
        let mut candidates: Vec<&Operation> = ops
            .iter()
            .filter(|o| completed(o) && o.complete.is_some_and(|c| c < new.invoke) && written(o) != written(&new))
            .collect();
        candidates.sort_by_key(|o| std::cmp::Reverse(o.complete));
        let value = candidates.iter().take(20).filter_map(|o| written(o)).find(|&v| {
            ops.iter().filter(|w| w.key == key && written(w) == Some(v)).all(|w| {
                let before_new = completed(w) && w.complete.is_some_and(|c| c < new.invoke);
                before_new || w.invoke > r_end
            })
        });
        if let Some(v) = value {
            ops[r].outcome = Outcome::Ok { read: Some(v) };
            return;
        }
    }
}

/// The benchmark grid (see `docs/CHECKER.md`): a name and the settings of each history.
///
/// Unique values unless the name says `reuse`; `stale` ones hold one stale read and are not
/// linearizable; `cas` ones mix in compare-and-sets, which keeps them off the polynomial
/// path.
#[must_use]
pub fn grid() -> Vec<(&'static str, GenConfig)> {
    let base = GenConfig::default();
    let stale = Some(Anomaly::StaleRead);
    vec![
        ("16x1000", GenConfig { clients: 16, ops: 1_000, ..base.clone() }),
        ("24x10000", GenConfig { clients: 24, ops: 10_000, ..base.clone() }),
        ("4x100000", GenConfig { clients: 4, ops: 100_000, ..base.clone() }),
        (
            "5x1000-8timeouts-stale",
            GenConfig { clients: 5, ops: 1_000, timed_out_writes: 8, anomaly: stale, ..base.clone() },
        ),
        (
            "5x1000-16timeouts-stale",
            GenConfig { clients: 5, ops: 1_000, timed_out_writes: 16, anomaly: stale, ..base.clone() },
        ),
        ("cas-16x1000", GenConfig { clients: 16, ops: 1_000, cas_fraction: 0.3, ..base.clone() }),
        (
            "cas-5x1000-16timeouts-stale",
            GenConfig {
                clients: 5,
                ops: 1_000,
                cas_fraction: 0.3,
                timed_out_writes: 16,
                anomaly: stale,
                ..base.clone()
            },
        ),
        (
            "reuse-5x1000-16timeouts",
            GenConfig { clients: 5, ops: 1_000, value_reuse: Some(10), timed_out_writes: 16, ..base.clone() },
        ),
        (
            "reuse-5x1000-16timeouts-stale",
            GenConfig {
                clients: 5,
                ops: 1_000,
                value_reuse: Some(10),
                timed_out_writes: 16,
                anomaly: stale,
                ..base.clone()
            },
        ),
        ("keys8-16x10000", GenConfig { clients: 16, ops: 10_000, keys: 8, cas_fraction: 0.2, ..base.clone() }),
        ("reuse9-24x1000", GenConfig { clients: 24, ops: 1_000, value_reuse: Some(9), ..base.clone() }),
        ("reuse9-28x1000", GenConfig { clients: 28, ops: 1_000, value_reuse: Some(9), ..base.clone() }),
        ("reuse9-64x1000", GenConfig { clients: 64, ops: 1_000, value_reuse: Some(9), ..base.clone() }),
        (
            "reuse9-5x10000-16timeouts-stale",
            GenConfig { clients: 5, ops: 10_000, value_reuse: Some(9), timed_out_writes: 16, anomaly: stale, ..base },
        ),
    ]
}
