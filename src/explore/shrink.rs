//! Shrinking a failing run's schedule: its faults and deviations, by delta debugging, then its
//! size (loss, duplication, ticks, clients, nodes), keeping the seed and the same violation.

use dgame_engine::{Config, Fault, Scheduled, Script, ServerId};
use serde::Serialize;

use super::strategy::quiet_from;
use super::{Violation, classify, run_guarded};
use crate::cli::Algorithm;

/// The size of a run, before and after shrinking.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Size {
    /// Ticks.
    pub ticks: u64,
    /// Clients.
    pub clients: u32,
    /// Nodes.
    pub nodes: u32,
    /// Faults (scheduled, the nemesis's and the configured cuts, counted as the run applied them).
    pub faults: usize,
    /// Deviations of the choice script.
    pub deviations: usize,
    /// Operations in the history.
    pub operations: usize,
}

/// A run made smaller.
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The smallest failing configuration found.
    pub config: Config,
    /// Its size before.
    pub before: Size,
    /// After.
    pub after: Size,
    /// Runs the shrinker made.
    pub runs: u64,
}

/// The most runs the shrinker makes (it stops with what it has).
const MAX_RUNS: u64 = 4_000;

struct Shrinker<'a> {
    algorithm: &'a Algorithm,
    want: &'a Violation,
    runs: u64,
}

impl Shrinker<'_> {
    /// Whether `c` fails the same way; the configuration that does and its size if so. A
    /// deviation of a signal sent in the quiet period is left out first: a shorter run's quiet
    /// period starts earlier, and fewer clients or nodes number the signals anew, but the
    /// explorer makes no choice there (see [`quiet_from`]).
    fn fails(&mut self, c: &Config) -> Option<(Config, Size)> {
        if self.runs >= MAX_RUNS || c.validate().is_err() {
            return None;
        }
        self.runs += 1;
        let (mut out, eligible) = run_guarded(self.algorithm, c, None, false).ok()?;
        let mut c = c.clone();
        if quiet_from(&c).is_some() && c.deviations.iter().any(|(id, _)| id.0 > eligible) {
            c.deviations = c.deviations.iter().filter(|(id, _)| id.0 <= eligible).collect();
            self.runs += 1;
            out = self.algorithm.run(&c).ok()?;
        }
        let verdict = out.error.is_none().then(|| out.history.check());
        let v = classify(&out, verdict.as_ref())?;
        let sz = size(&c, out.faults.len(), out.history.operations.len());
        v.same_kind(self.want).then_some((c, sz))
    }
}

fn size(c: &Config, faults: usize, operations: usize) -> Size {
    Size { ticks: c.ticks, clients: c.clients, nodes: c.nodes, faults, deviations: c.deviations.len(), operations }
}

/// Delta debugging (Zeller's ddmin): a smallest subset of `items` for which `test` still holds,
/// removing halves, then quarters, ... and single items.
fn ddmin<T: Clone>(mut items: Vec<T>, mut test: impl FnMut(&[T]) -> bool) -> Vec<T> {
    if items.is_empty() {
        return items;
    }
    if test(&[]) {
        return Vec::new();
    }
    let mut n = 2;
    while items.len() >= 2 {
        let chunk = items.len().div_ceil(n);
        let mut reduced = false;
        // Later chunks first: removing a late deviation leaves the signal ids before it alone.
        for i in (0..n).rev() {
            let lo = (i * chunk).min(items.len());
            let hi = ((i + 1) * chunk).min(items.len());
            if lo == hi {
                continue;
            }
            let complement: Vec<T> = items[..lo].iter().chain(&items[hi..]).cloned().collect();
            if test(&complement) {
                items = complement;
                n = (n - 1).max(2);
                reduced = true;
                break;
            }
        }
        if !reduced {
            if n >= items.len() {
                break;
            }
            n = (n * 2).min(items.len());
        }
    }
    if items.len() == 1 && test(&[]) {
        items.clear();
    }
    items
}

/// The faults grouped into episodes: a fault with its undoing (crash and restart, pause and
/// resume, isolate and rejoin, a cut and its heal), removed together.
fn episodes(schedule: &[Scheduled]) -> Vec<Vec<Scheduled>> {
    let mut groups: Vec<Vec<Scheduled>> = Vec::new();
    let undoes = |start: &Fault, end: &Fault| match (start, end) {
        (Fault::Crash(a), Fault::Restart(b))
        | (Fault::Pause(a), Fault::Resume(b))
        | (Fault::Isolate(a), Fault::Rejoin(b)) => a == b,
        (Fault::Cut { from, to, one_way }, Fault::Heal { from: f, to: t, one_way: o }) => {
            from == f && to == t && one_way == o
        }
        (Fault::Cut { .. } | Fault::Isolate(_), Fault::HealAll) => true,
        _ => false,
    };
    for s in schedule {
        let open = groups.iter_mut().rev().find(|g| g.len() == 1 && undoes(&g[0].fault, &s.fault));
        match open {
            Some(g) => g.push(s.clone()),
            None => groups.push(vec![s.clone()]),
        }
    }
    groups
}

/// Whether a fault only undoes another (a heal is never a fault of its own).
fn undoes(f: &Fault) -> bool {
    matches!(f, Fault::Restart(_) | Fault::Resume(_) | Fault::Rejoin(_) | Fault::Heal { .. } | Fault::HealAll)
}

fn names_node_above(s: &Scheduled, nodes: u32) -> bool {
    s.fault.nodes().iter().any(|n| n.0 > nodes)
}

/// Shrinks `failing` (which fails with `want`): faults and deviations first, then the rest.
pub fn shrink(algorithm: &Algorithm, failing: &Config, want: &Violation) -> Shrunk {
    let mut s = Shrinker { algorithm, want, runs: 0 };
    let out = algorithm.run(failing).expect("the failing configuration ran");
    let before = size(failing, out.faults.len(), out.history.operations.len());
    let mut best = failing.clone();
    let mut best_size = before;

    // The nemesis's faults and the configured cuts, as the run applied them, become explicit
    // scheduled faults (so each can be removed, and the command line lists them).
    if best.nemesis.is_some() || !best.cuts.is_empty() {
        let schedule: Option<Vec<Scheduled>> =
            out.faults.iter().map(|f| format!("{}@{}", f.fault, f.tick).parse().ok()).collect();
        if let Some(schedule) = schedule {
            let explicit = Config { nemesis: None, cuts: Vec::new(), schedule, ..best.clone() };
            if let Some(found) = s.fails(&explicit) {
                (best, best_size) = found;
            }
        }
    }
    // The tick the violation showed: nothing after it matters.
    if let Some(end) = want.end_tick(&out.history)
        && end < best.ticks
    {
        let shorter = Config { ticks: end, ..best.clone() };
        if let Some(found) = s.fails(&shorter) {
            (best, best_size) = found;
        }
    }
    // Deviations of signals the run never sent change nothing.
    if let Ok(out) = algorithm.run(&best) {
        let sent = out.stats.sent;
        let c = Config { deviations: best.deviations.iter().filter(|(id, _)| id.0 <= sent).collect(), ..best.clone() };
        if c.deviations.len() < best.deviations.len()
            && let Some(found) = s.fails(&c)
        {
            (best, best_size) = found;
        }
    }
    loop {
        let start = best_size;
        // Faults, an episode at a time and in halves.
        let groups = episodes(&best.schedule);
        if !groups.is_empty() {
            let base = best.clone();
            let kept = ddmin(groups, |g| {
                let c = Config { schedule: g.iter().flatten().cloned().collect(), ..base.clone() };
                s.fails(&c).is_some()
            });
            let c = Config { schedule: kept.into_iter().flatten().collect(), ..best.clone() };
            if let Some(found) = s.fails(&c) {
                (best, best_size) = found;
            }
        }
        // Deviations, one at a time and in halves.
        if !best.deviations.is_empty() {
            let base = best.clone();
            let items: Vec<_> = best.deviations.iter().collect();
            let kept = ddmin(items, |d| {
                let c = Config { deviations: d.iter().copied().collect::<Script>(), ..base.clone() };
                s.fails(&c).is_some()
            });
            let c = Config { deviations: kept.into_iter().collect(), ..best.clone() };
            if let Some(found) = s.fails(&c) {
                (best, best_size) = found;
            }
        }
        // The network's randomness, then the size.
        let mut candidates = Vec::new();
        if best.loss > 0.0 {
            candidates.push(Config { loss: 0.0, ..best.clone() });
        }
        if best.duplicate > 0.0 {
            candidates.push(Config { duplicate: 0.0, ..best.clone() });
        }
        if best.nemesis.is_some() {
            candidates.push(Config { nemesis: None, ..best.clone() });
        }
        let t = best.ticks;
        for ticks in [t / 2, t * 3 / 4, t.saturating_sub(t / 10), t.saturating_sub(1)] {
            if ticks > 0 && ticks < t {
                let mut c = Config { ticks, ..best.clone() };
                c.schedule.retain(|f| f.at <= ticks);
                // A shorter run's quiet period starts earlier: a fault the longer run had before
                // its own must not land in it (its undoing may: the engine heals everything then).
                if let Some(from) = quiet_from(&c) {
                    c.schedule.retain(|f| f.at < from || undoes(&f.fault));
                    c.cuts.retain(|cut| cut.at < from);
                }
                candidates.push(c);
            }
        }
        if best.clients > 1 {
            let mut c = Config { clients: best.clients - 1, ..best.clone() };
            let gone = |x: &ServerId| matches!(x, ServerId::Client(id) if id.0 > c.clients);
            c.cuts.retain(|cut| !cut.from.iter().chain(&cut.to).any(gone));
            candidates.push(c);
        }
        if best.nodes > 1 {
            let mut c = Config { nodes: best.nodes - 1, ..best.clone() };
            let nodes = c.nodes;
            c.schedule.retain(|f| !names_node_above(f, nodes));
            let gone = |x: &ServerId| matches!(x, ServerId::Node(id) if id.0 > nodes);
            c.cuts.retain(|cut| !cut.from.iter().chain(&cut.to).any(gone));
            c.clock_rates.retain(|r| r.node.0 <= nodes);
            c.links.retain(|l| !l.from.iter().chain(&l.to).any(gone));
            candidates.push(c);
        }
        for c in candidates {
            if let Some(found) = s.fails(&c) {
                (best, best_size) = found;
                break;
            }
        }
        if best_size == start || s.runs >= MAX_RUNS {
            break;
        }
    }
    Shrunk { config: best, before, after: best_size, runs: s.runs }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddmin_finds_the_two_items_that_matter() {
        let items: Vec<u32> = (0..40).collect();
        let mut tests = 0;
        let kept = ddmin(items, |s| {
            tests += 1;
            s.contains(&7) && s.contains(&31)
        });
        assert_eq!(kept, vec![7, 31]);
        assert!(tests < 60, "{tests} tests");
        assert_eq!(ddmin(vec![1, 2, 3], |_| true), Vec::<i32>::new());
        assert_eq!(ddmin(vec![1, 2, 3], |s| s.len() == 3), vec![1, 2, 3]);
    }

    #[test]
    fn a_fault_and_its_undoing_are_one_episode() {
        let s: Vec<Scheduled> = ["crash n1@10", "pause n2@12", "restart n1@20", "resume n2@30", "crash n1@40"]
            .iter()
            .map(|t| t.parse().unwrap())
            .collect();
        let g = episodes(&s);
        let text: Vec<Vec<String>> = g.iter().map(|e| e.iter().map(ToString::to_string).collect()).collect();
        assert_eq!(
            text,
            vec![vec!["crash n1@10", "restart n1@20"], vec!["pause n2@12", "resume n2@30"], vec!["crash n1@40"]]
        );
    }
}
