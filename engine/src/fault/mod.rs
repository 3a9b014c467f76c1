//! Faults and interventions: what can happen to a world besides its own messages, applied now
//! ([`World::apply`](crate::World::apply)) or at a tick (a [`Scheduled`] fault, from the
//! configuration's `schedule`, a click in the viewer, or the random [`Nemesis`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::{NodeId, ServerId, SignalId, Tick, format_sides, parse_sides};

mod model;
mod nemesis;
pub(crate) mod schedule;

pub use model::{FaultKind, FaultModel};
pub(crate) use nemesis::NemesisPlanner;
pub use nemesis::{Nemesis, NemesisKind};

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
