//! The random nemesis: what it may do, and its planner, which draws one episode (a fault and its
//! undoing) at a time, when the run reaches it, from the nemesis's own random stream.

use std::collections::VecDeque;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::fault::{Fault, Scheduled};
use crate::ids::{NodeId, ServerId, Tick};
use crate::rng::SimRng;

/// What the random nemesis may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NemesisKind {
    /// Cut a random minority of the nodes off from the rest (the gateway stays with the rest).
    Partition,
    /// Cut random nodes off from everyone.
    Isolate,
    /// Crash random nodes, and restart them when the fault ends.
    Crash,
    /// Pause random nodes, and resume them when the fault ends.
    Pause,
}

/// A random nemesis, deterministic from the seed: every ~`interval` ticks it starts a fault of
/// a random kind on `targets` random nodes, lasting ~`duration` ticks; one fault at a time.
/// It stops `recovery` ticks before the end of the run, healing everything, so that the
/// operations in progress can finish (as Jepsen does).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Nemesis {
    /// The kinds to choose from.
    pub kinds: Vec<NemesisKind>,
    /// The mean number of ticks between the end of one fault and the start of the next.
    pub interval: Tick,
    /// The mean duration of a fault.
    pub duration: Tick,
    /// How many nodes each fault hits (a partition cuts off at most a minority regardless).
    pub targets: u32,
    /// Ticks at the end of the run with no fault.
    pub recovery: Tick,
}

impl Default for Nemesis {
    fn default() -> Self {
        Nemesis {
            kinds: vec![NemesisKind::Partition, NemesisKind::Crash],
            interval: 200,
            duration: 100,
            targets: 1,
            recovery: 100,
        }
    }
}

/// The nemesis's faults, drawn lazily: an episode is drawn when the run needs to know its first
/// fault, so a long run costs memory for one episode, not for its whole plan. The draws are
/// made in the order the whole plan would make them, so the faults are those of drawing the
/// plan up front, for the same seed.
#[derive(Clone)]
pub(crate) struct NemesisPlanner {
    nemesis: Nemesis,
    rng: SimRng,
    nodes: u32,
    /// No fault starts at or after this tick (the run's end less the recovery).
    stop: Tick,
    /// When the next episode to draw starts; `None`: no more.
    next_start: Option<Tick>,
    /// The number of the next episode with faults.
    episode: usize,
    /// Faults drawn and not yet taken, in order, with their episode.
    drawn: VecDeque<(Scheduled, usize)>,
}

impl NemesisPlanner {
    /// The planner of `nemesis` for a run of `ticks` ticks with `nodes` nodes.
    pub fn new(nemesis: Nemesis, mut rng: SimRng, nodes: u32, ticks: Tick) -> Self {
        let stop = ticks.saturating_sub(nemesis.recovery);
        let next_start = if nemesis.kinds.is_empty() || nodes == 0 {
            None
        } else {
            Some(around(&mut rng, nemesis.interval)).filter(|&t| t < stop)
        };
        NemesisPlanner { nemesis, rng, nodes, stop, next_start, episode: 0, drawn: VecDeque::new() }
    }

    /// The next fault, with its episode (a fault and its undoing share one).
    pub fn peek(&mut self) -> Option<&(Scheduled, usize)> {
        while self.drawn.is_empty()
            && let Some(t) = self.next_start
        {
            self.draw_episode(t);
        }
        self.drawn.front()
    }

    /// Takes the next fault if it is due at `now`.
    pub fn pop_due(&mut self, now: Tick) -> Option<(Scheduled, usize)> {
        if self.peek()?.0.at <= now { self.drawn.pop_front() } else { None }
    }

    /// The faults to come up to tick `until`, without taking them.
    pub fn preview(&self, until: Tick) -> Vec<(Scheduled, usize)> {
        let mut ahead = self.clone();
        std::iter::from_fn(|| ahead.pop_due(until)).collect()
    }

    /// Draws the episode starting at `t` (which may hit no node and make no fault), and when the
    /// next one starts.
    fn draw_episode(&mut self, t: Tick) {
        let n = &self.nemesis;
        let rng = &mut self.rng;
        let kind = n.kinds[rng.random_range(0..n.kinds.len())];
        let end = t.saturating_add(around(rng, n.duration)).min(self.stop);
        let nodes = self.nodes;
        let mut all: Vec<NodeId> = (1..=nodes).map(NodeId).collect();
        let count = match kind {
            NemesisKind::Partition => n.targets.min((nodes - 1) / 2),
            _ => n.targets.min(nodes),
        } as usize;
        // A partial Fisher-Yates shuffle picks `count` distinct nodes.
        for i in 0..count {
            let j = rng.random_range(i..all.len());
            all.swap(i, j);
        }
        let next = end.saturating_add(around(rng, n.interval));
        self.next_start = Some(next).filter(|&t| t < self.stop);
        let (chosen, rest) = all.split_at(count);
        let mut chosen = chosen.to_vec();
        chosen.sort();
        if chosen.is_empty() {
            return;
        }
        let (start, finish) = episode(kind, &chosen, rest);
        let episode = self.episode;
        self.episode += 1;
        self.drawn.extend(start.into_iter().map(|fault| (Scheduled { at: t, fault }, episode)));
        self.drawn.extend(finish.into_iter().map(|fault| (Scheduled { at: end, fault }, episode)));
    }
}

/// A whole number of ticks around `mean`: uniform in half to one and a half times it.
fn around(rng: &mut SimRng, mean: Tick) -> Tick {
    rng.random_range(mean.div_ceil(2).max(1)..=mean.saturating_add(mean / 2))
}

/// The faults that start an episode of `kind` on the `chosen` nodes, and those that undo it.
fn episode(kind: NemesisKind, chosen: &[NodeId], rest: &[NodeId]) -> (Vec<Fault>, Vec<Fault>) {
    match kind {
        NemesisKind::Partition => {
            let from: Vec<ServerId> = chosen.iter().map(|&n| ServerId::Node(n)).collect();
            let mut to: Vec<ServerId> = rest.iter().map(|&n| ServerId::Node(n)).collect();
            to.sort();
            to.insert(0, ServerId::Gateway);
            let cut = Fault::Cut { from: from.clone(), to: to.clone(), one_way: false };
            (vec![cut], vec![Fault::Heal { from, to, one_way: false }])
        }
        NemesisKind::Isolate => {
            (chosen.iter().map(|&n| Fault::Isolate(n)).collect(), chosen.iter().map(|&n| Fault::Rejoin(n)).collect())
        }
        NemesisKind::Crash => {
            (chosen.iter().map(|&n| Fault::Crash(n)).collect(), chosen.iter().map(|&n| Fault::Restart(n)).collect())
        }
        NemesisKind::Pause => {
            (chosen.iter().map(|&n| Fault::Pause(n)).collect(), chosen.iter().map(|&n| Fault::Resume(n)).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, stream};

    impl Nemesis {
        /// The faults this nemesis makes for a run of `ticks` ticks with `nodes` nodes, each with
        /// the number of the episode it belongs to (a fault and its undoing share one).
        fn eager_plan(&self, rng: &mut SimRng, nodes: u32, ticks: Tick) -> Vec<(Scheduled, usize)> {
            let mut out = Vec::new();
            if self.kinds.is_empty() || nodes == 0 {
                return out;
            }
            let stop = ticks.saturating_sub(self.recovery);
            let around = |rng: &mut SimRng, mean: Tick| {
                rng.random_range(mean.div_ceil(2).max(1)..=mean.saturating_add(mean / 2))
            };
            let mut t = around(rng, self.interval);
            while t < stop {
                let kind = self.kinds[rng.random_range(0..self.kinds.len())];
                let end = t.saturating_add(around(rng, self.duration)).min(stop);
                let mut all: Vec<NodeId> = (1..=nodes).map(NodeId).collect();
                let count = match kind {
                    NemesisKind::Partition => self.targets.min((nodes - 1) / 2),
                    _ => self.targets.min(nodes),
                } as usize;
                // A partial Fisher-Yates shuffle picks `count` distinct nodes.
                for i in 0..count {
                    let j = rng.random_range(i..all.len());
                    all.swap(i, j);
                }
                let (chosen, rest) = all.split_at(count);
                let mut chosen = chosen.to_vec();
                chosen.sort();
                if chosen.is_empty() {
                    t = end.saturating_add(around(rng, self.interval));
                    continue;
                }
                let (start, finish): (Vec<Fault>, Vec<Fault>) = match kind {
                    NemesisKind::Partition => {
                        let from: Vec<ServerId> = chosen.iter().map(|&n| ServerId::Node(n)).collect();
                        let mut to: Vec<ServerId> = rest.iter().map(|&n| ServerId::Node(n)).collect();
                        to.sort();
                        to.insert(0, ServerId::Gateway);
                        let cut = Fault::Cut { from: from.clone(), to: to.clone(), one_way: false };
                        (vec![cut], vec![Fault::Heal { from, to, one_way: false }])
                    }
                    NemesisKind::Isolate => (
                        chosen.iter().map(|&n| Fault::Isolate(n)).collect(),
                        chosen.iter().map(|&n| Fault::Rejoin(n)).collect(),
                    ),
                    NemesisKind::Crash => (
                        chosen.iter().map(|&n| Fault::Crash(n)).collect(),
                        chosen.iter().map(|&n| Fault::Restart(n)).collect(),
                    ),
                    NemesisKind::Pause => (
                        chosen.iter().map(|&n| Fault::Pause(n)).collect(),
                        chosen.iter().map(|&n| Fault::Resume(n)).collect(),
                    ),
                };
                let episode = out.last().map_or(0, |(_, e)| e + 1);
                out.extend(start.into_iter().map(|fault| (Scheduled { at: t, fault }, episode)));
                out.extend(finish.into_iter().map(|fault| (Scheduled { at: end, fault }, episode)));
                t = end.saturating_add(around(rng, self.interval));
            }
            out
        }
    }

    fn lazily(nemesis: &Nemesis, seed: u64, nodes: u32, ticks: Tick) -> Vec<(Scheduled, usize)> {
        let mut planner = NemesisPlanner::new(nemesis.clone(), stream(seed, Stream::Nemesis), nodes, ticks);
        std::iter::from_fn(|| planner.pop_due(Tick::MAX)).collect()
    }

    #[test]
    fn the_lazy_plan_is_the_plan_drawn_up_front() {
        let kinds = [NemesisKind::Partition, NemesisKind::Isolate, NemesisKind::Crash, NemesisKind::Pause];
        for seed in 0..20 {
            for (k, nodes) in [(1, 5), (2, 3), (4, 1), (3, 7), (4, 2)] {
                let nemesis = Nemesis {
                    kinds: kinds[..k].to_vec(),
                    interval: 1 + seed % 40,
                    duration: 1 + seed % 25,
                    targets: 1 + (seed % 3) as u32,
                    recovery: 30,
                };
                let eager = nemesis.eager_plan(&mut stream(seed, Stream::Nemesis), nodes, 800);
                assert!(!eager.is_empty() || nodes < 3);
                assert_eq!(lazily(&nemesis, seed, nodes, 800), eager, "seed {seed}, {nodes} nodes, {nemesis:?}");
            }
        }
    }

    #[test]
    fn a_preview_takes_nothing_and_a_long_run_holds_one_episode_at_a_time() {
        let nemesis = Nemesis { kinds: vec![NemesisKind::Crash], interval: 1, duration: 1, ..Nemesis::default() };
        let mut planner = NemesisPlanner::new(nemesis, stream(1, Stream::Nemesis), 3, 1_000_000_000);
        let ahead = planner.preview(100);
        assert!(ahead.len() > 20 && ahead.iter().all(|(s, _)| s.at <= 100), "{ahead:?}");
        assert_eq!(planner.preview(100), ahead);
        let mut taken = Vec::new();
        for now in 1..=100 {
            while let Some(f) = planner.pop_due(now) {
                taken.push(f);
            }
            assert!(planner.drawn.len() <= 2, "one episode's undoing at most, not the plan");
        }
        assert_eq!(taken, ahead);
    }
}
