//! How the checker reads failed compare-and-sets and how long it may search.

use std::time::Duration;

use crate::history::TimeUnit;

/// Checker settings. `Options::default()` is Jepsen's semantics with a budget that stops
/// any search within seconds and a few hundred megabytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Options {
    /// Read a failed compare-and-set as "it executed and the compare did not match" (the
    /// register did not hold `expected` at some moment inside the operation) instead of
    /// "it did not take effect". Off by default, as in Jepsen.
    pub strict_failed_cas: bool,
    /// Search steps allowed per key (one step tries one operation); `None`: unlimited.
    pub max_steps: Option<u64>,
    /// Wall-clock time allowed for the whole check; `None`: unlimited. A time budget makes
    /// "unknown" verdicts depend on the machine; use `max_steps` where that matters.
    pub max_time: Option<Duration>,
    /// Bytes the memo of visited search states may use per key before the check gives up.
    pub max_memory_bytes: usize,
    /// Shrink a violation to a minimal set of operations before explaining it. Off, the
    /// explanation is the search's own conflict (every operation up to its last dead end),
    /// found at no extra cost: `dgame check --no-explain`.
    pub minimize: bool,
    /// Search steps that shrinking a violation may take in total; past them the
    /// explanation keeps the smallest set found so far (still a violation, maybe not
    /// minimal). The verdict itself does not depend on this.
    pub max_explain_steps: u64,
    /// Overrides the history's time unit in explanations.
    pub time_unit: Option<TimeUnit>,
    /// Check keys of a multi-key history in parallel (rayon).
    pub parallel: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            strict_failed_cas: false,
            max_steps: Some(50_000_000),
            max_time: Some(Duration::from_secs(60)),
            max_memory_bytes: 512 * 1024 * 1024,
            minimize: true,
            max_explain_steps: 20_000_000,
            time_unit: None,
            parallel: true,
        }
    }
}

impl Options {
    /// The default options.
    pub fn new() -> Self {
        Options::default()
    }

    /// Sets [`Options::strict_failed_cas`].
    pub fn strict_failed_cas(mut self, on: bool) -> Self {
        self.strict_failed_cas = on;
        self
    }

    /// Sets [`Options::max_steps`].
    pub fn max_steps(mut self, steps: Option<u64>) -> Self {
        self.max_steps = steps;
        self
    }

    /// Sets [`Options::max_time`] (and nothing else; see [`Options::time_limit`]).
    pub fn max_time(mut self, time: Option<Duration>) -> Self {
        self.max_time = time;
        self
    }

    /// A wall-clock limit in place of the step budget: sets [`Options::max_time`] to
    /// `limit` and lifts [`Options::max_steps`] (`None`), so that a longer limit really
    /// searches longer (the default 50 M steps stop most searches within seconds). The
    /// memory budget and [`Options::max_explain_steps`] still apply; the explanation also
    /// stops at the limit. This is what `dgame check --time-limit` means.
    pub fn time_limit(self, limit: Duration) -> Self {
        self.max_time(Some(limit)).max_steps(None)
    }

    /// Sets [`Options::max_memory_bytes`].
    pub fn max_memory_bytes(mut self, bytes: usize) -> Self {
        self.max_memory_bytes = bytes;
        self
    }

    /// Sets [`Options::minimize`].
    pub fn minimize(mut self, on: bool) -> Self {
        self.minimize = on;
        self
    }

    /// Sets [`Options::max_explain_steps`].
    pub fn max_explain_steps(mut self, steps: u64) -> Self {
        self.max_explain_steps = steps;
        self
    }

    /// Sets [`Options::time_unit`].
    pub fn time_unit(mut self, unit: TimeUnit) -> Self {
        self.time_unit = Some(unit);
        self
    }

    /// Sets [`Options::parallel`].
    pub fn parallel(mut self, on: bool) -> Self {
        self.parallel = on;
        self
    }
}
