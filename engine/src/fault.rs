//! Faults and interventions: what can happen to a world besides its own messages, applied now
//! ([`World::apply`](crate::World::apply)) or at a tick (a [`Scheduled`] fault, from the
//! configuration's `schedule`, a click in the viewer, or the random [`Nemesis`]).

use std::fmt;
use std::str::FromStr;

use rand::RngExt;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::{NodeId, ServerId, SignalId, Tick, format_sides, parse_sides};
use crate::rng::SimRng;

/// One fault or intervention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Drop this signal while it is in flight.
    Drop(SignalId),
    /// Cut the links from every server of `from` to every server of `to` (and back, unless
    /// `one_way`).
    Cut {
        /// One side.
        from: Vec<ServerId>,
        /// The other side.
        to: Vec<ServerId>,
        /// Only `from` -> `to`.
        one_way: bool,
    },
    /// Heal what the same `Cut` cut.
    Heal {
        /// One side.
        from: Vec<ServerId>,
        /// The other side.
        to: Vec<ServerId>,
        /// Only `from` -> `to`.
        one_way: bool,
    },
    /// Cut a node off from every other server, both ways.
    Isolate(NodeId),
    /// Heal what `Isolate` cut.
    Rejoin(NodeId),
    /// Heal every cut link.
    HealAll,
    /// Crash a node: it loses its state and every handler in progress; signals to it are lost.
    Crash(NodeId),
    /// Restart a crashed node from its durable store.
    Restart(NodeId),
    /// Pause a node: it handles nothing, its timers stop, messages wait in its inbox.
    Pause(NodeId),
    /// Resume a paused node.
    Resume(NodeId),
}

/// A fault applied at the start of tick `at` (before the gateway's turn), which is the same
/// moment as "between tick `at - 1` and tick `at`": where a click in the viewer lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    /// The tick.
    pub at: Tick,
    /// The fault.
    pub fault: Fault,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |id: &NodeId| format!("n{}", id.0);
        match self {
            Fault::Drop(s) => write!(f, "drop {}", s.0),
            Fault::Cut { from, to, one_way } => write!(f, "cut {}", format_sides(from, to, *one_way)),
            Fault::Heal { from, to, one_way } => write!(f, "heal {}", format_sides(from, to, *one_way)),
            Fault::Isolate(id) => write!(f, "isolate {}", n(id)),
            Fault::Rejoin(id) => write!(f, "rejoin {}", n(id)),
            Fault::HealAll => f.write_str("heal-all"),
            Fault::Crash(id) => write!(f, "crash {}", n(id)),
            Fault::Restart(id) => write!(f, "restart {}", n(id)),
            Fault::Pause(id) => write!(f, "pause {}", n(id)),
            Fault::Resume(id) => write!(f, "resume {}", n(id)),
        }
    }
}

impl fmt::Display for Scheduled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.fault, self.at)
    }
}

/// Why a fault could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a fault: write one of `crash n2@100`, `restart n2@150`, `pause n1@40`, `resume n1@60`, \
     `isolate n3@100`, `rejoin n3@150`, `cut n1,n2|n3@100` (both ways) or `cut n1>n2@100` (one way), \
     `heal n1,n2|n3@150`, \
     `heal-all@200`, `drop 57@31` (a signal id)"
)]
pub struct ParseFaultError(pub String);

fn parse_node(s: &str) -> Option<NodeId> {
    match s.parse::<ServerId>().ok()? {
        ServerId::Node(n) => Some(n),
        _ => None,
    }
}

impl FromStr for Fault {
    type Err = ParseFaultError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseFaultError(s.to_owned());
        let t = s.trim();
        if t == "heal-all" {
            return Ok(Fault::HealAll);
        }
        let (verb, arg) = t.split_once(char::is_whitespace).ok_or_else(err)?;
        let arg = arg.trim();
        Ok(match verb {
            "drop" => Fault::Drop(SignalId(arg.parse().map_err(|_| err())?)),
            "crash" => Fault::Crash(parse_node(arg).ok_or_else(err)?),
            "restart" => Fault::Restart(parse_node(arg).ok_or_else(err)?),
            "pause" => Fault::Pause(parse_node(arg).ok_or_else(err)?),
            "resume" => Fault::Resume(parse_node(arg).ok_or_else(err)?),
            "isolate" => Fault::Isolate(parse_node(arg).ok_or_else(err)?),
            "rejoin" => Fault::Rejoin(parse_node(arg).ok_or_else(err)?),
            "cut" => {
                let (from, to, one_way) = parse_sides(arg).map_err(|_| err())?;
                Fault::Cut { from, to, one_way }
            }
            "heal" => {
                let (from, to, one_way) = parse_sides(arg).map_err(|_| err())?;
                Fault::Heal { from, to, one_way }
            }
            _ => return Err(err()),
        })
    }
}

impl FromStr for Scheduled {
    type Err = ParseFaultError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (fault, at) = s.rsplit_once('@').ok_or_else(|| ParseFaultError(s.to_owned()))?;
        let at = at.trim().parse().map_err(|_| ParseFaultError(s.to_owned()))?;
        Ok(Scheduled { at, fault: fault.parse().map_err(|_| ParseFaultError(s.to_owned()))? })
    }
}

impl Serialize for Scheduled {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Scheduled {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

impl Fault {
    /// The nodes this fault names (to check they exist).
    pub fn nodes(&self) -> Vec<NodeId> {
        match self {
            Fault::Isolate(n)
            | Fault::Rejoin(n)
            | Fault::Crash(n)
            | Fault::Restart(n)
            | Fault::Pause(n)
            | Fault::Resume(n) => vec![*n],
            Fault::Cut { from, to, .. } | Fault::Heal { from, to, .. } => from
                .iter()
                .chain(to)
                .filter_map(|s| match s {
                    ServerId::Node(n) => Some(*n),
                    _ => None,
                })
                .collect(),
            Fault::Drop(_) | Fault::HealAll => Vec::new(),
        }
    }

    /// A one-word name of the fault's kind, for summaries.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Drop(_) => "drop",
            Fault::Cut { .. } | Fault::Isolate(_) => "partition",
            Fault::Heal { .. } | Fault::Rejoin(_) | Fault::HealAll => "heal",
            Fault::Crash(_) => "crash",
            Fault::Restart(_) => "restart",
            Fault::Pause(_) => "pause",
            Fault::Resume(_) => "resume",
        }
    }
}

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

impl Nemesis {
    /// The faults this nemesis makes for a run of `ticks` ticks with `nodes` nodes, each with
    /// the number of the episode it belongs to (a fault and its undoing share one).
    pub(crate) fn plan(&self, rng: &mut SimRng, nodes: u32, ticks: Tick) -> Vec<(Scheduled, usize)> {
        let mut out = Vec::new();
        if self.kinds.is_empty() || nodes == 0 {
            return out;
        }
        let stop = ticks.saturating_sub(self.recovery);
        let around =
            |rng: &mut SimRng, mean: Tick| rng.random_range(mean.div_ceil(2).max(1)..=mean.saturating_add(mean / 2));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_faults_parse_and_print_back() {
        for text in [
            "crash n2@100",
            "restart n2@150",
            "pause n1@40",
            "resume n1@60",
            "isolate n3@100",
            "rejoin n3@150",
            "cut n1,n2|gateway,n3@100",
            "cut n1>n2@7",
            "heal n1,n2|gateway,n3@150",
            "heal-all@200",
            "drop 57@31",
        ] {
            let s: Scheduled = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(s.to_string(), text);
        }
        for bad in ["crash@1", "crash c1@3", "explode n1@3", "crash n1", "drop x@3"] {
            assert!(bad.parse::<Scheduled>().is_err(), "{bad} should not parse");
        }
    }
}
