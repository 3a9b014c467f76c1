//! Whether the crashes, restarts, pauses and resumes of a schedule can be carried out, decided
//! before the run: walked in tick order, each node's status is followed (as a set of the
//! statuses it may have, since a nemesis may crash or pause nodes at ticks the schedule cannot
//! know), and a fault that the world would refuse whatever that status is (`restart n2` of a
//! node no fault crashed) is an error, instead of a run that stops when it reaches it.
//!
//! What the world tolerates is tolerated here too: in the quiet period of a workload with final
//! reads everything has healed, and undoing a fault there may find nothing to undo. A fault the
//! world might refuse only in some of the statuses a nemesis allows is left to the run.

use std::collections::BTreeMap;

use super::{Fault, NemesisKind, Scheduled};
use crate::config::Config;
use crate::ids::NodeId;

/// The statuses a node may have at a point of the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Possible {
    up: bool,
    crashed: bool,
    paused: bool,
}

const UP: Possible = Possible { up: true, crashed: false, paused: false };
const NONE: Possible = Possible { up: false, crashed: false, paused: false };

impl Possible {
    /// What a nemesis of these kinds can make of these statuses, at any tick: crash a node
    /// that has not crashed and restart it, pause a running node and resume it.
    fn under_nemesis(mut self, crashes: bool, pauses: bool) -> Self {
        loop {
            let before = self;
            if crashes {
                self.crashed |= self.up || self.paused;
                self.up |= self.crashed;
            }
            if pauses {
                self.paused |= self.up;
                self.up |= self.paused;
            }
            if self == before {
                return self;
            }
        }
    }

    fn union(self, other: Possible) -> Possible {
        Possible {
            up: self.up || other.up,
            crashed: self.crashed || other.crashed,
            paused: self.paused || other.paused,
        }
    }

    /// The statuses after `fault` from these, counting only those it can be carried out from
    /// (from the others the world refuses it); `None` for a fault that is not a node's status.
    fn after(self, fault: &Fault) -> Option<Possible> {
        Some(match fault {
            // A crash works on a running or a paused node.
            Fault::Crash(_) => Possible { crashed: self.up || self.paused, ..NONE },
            Fault::Restart(_) => Possible { up: self.crashed, ..NONE },
            Fault::Pause(_) => Possible { paused: self.up, ..NONE },
            Fault::Resume(_) => Possible { up: self.paused, ..NONE },
            _ => return None,
        })
    }

    /// The status, said for a person (the first of them when it may be several).
    fn name(self) -> &'static str {
        if self.crashed {
            "crashed"
        } else if self.paused {
            "paused"
        } else {
            "running"
        }
    }
}

/// What a fault needs, for the error: `has not crashed`.
fn needs(fault: &Fault) -> &'static str {
    match fault {
        Fault::Crash(_) => "has already crashed",
        Fault::Restart(_) => "has not crashed",
        Fault::Pause(_) => "is not running",
        _ => "is not paused",
    }
}

/// Checks the node faults of `config.schedule` (see the module's documentation); the error
/// names the fault and why it cannot work.
pub(crate) fn check(config: &Config) -> Result<(), String> {
    let kinds = config.nemesis.as_ref().map_or(&[][..], |n| &n.kinds[..]);
    let (crashes, pauses) = (kinds.contains(&NemesisKind::Crash), kinds.contains(&NemesisKind::Pause));
    let final_reads = config.workload.has_final_reads();
    let last_invoke = config.last_invoke();
    let mut faults: Vec<&Scheduled> = config.schedule.iter().filter(|s| s.at <= config.ticks).collect();
    // As the world applies them: by tick, those of one tick in the order given.
    faults.sort_by_key(|s| s.at);
    // The nodes a fault touched so far (the others are running, or what the nemesis made of
    // them), each with the last fault that changed it.
    let mut nodes: BTreeMap<NodeId, (Possible, &Scheduled)> = BTreeMap::new();
    let mut healed = false;
    for s in faults {
        let (Some(&node), Some(_)) = (s.fault.nodes().first(), UP.after(&s.fault)) else { continue };
        // The quiet period begins after the faults of its first tick: every node runs again.
        if final_reads && !healed && s.at > last_invoke + 1 {
            nodes.clear();
            healed = true;
        }
        let (before, by) = match nodes.get(&node) {
            Some(&(p, by)) => (p.under_nemesis(crashes, pauses), Some(by)),
            None => (UP.under_nemesis(crashes, pauses), None),
        };
        let after = before.after(&s.fault).expect("a node's status fault");
        let undo = matches!(s.fault, Fault::Restart(_) | Fault::Resume(_));
        // The world lets undoing a fault find nothing to undo in the quiet period.
        let tolerated = undo && final_reads && s.at > last_invoke;
        if after == NONE && !tolerated {
            let why = match by {
                Some(by) => format!("`{by}` left it {}", before.name()),
                None => {
                    let nemesis = match (&s.fault, config.nemesis.is_some()) {
                        (Fault::Restart(_), true) => ", and the nemesis crashes no node: its kinds lack `crash`",
                        (Fault::Resume(_), true) => ", and the nemesis pauses no node: its kinds lack `pause`",
                        _ => "",
                    };
                    format!("no fault of the schedule touches {node} before it{nemesis}")
                }
            };
            return Err(format!("`{s}` cannot work: {node} {} at tick {} ({why})", needs(&s.fault), s.at));
        }
        // Where a tolerated undo finds nothing to undo, nothing changes.
        let refused = match s.fault {
            Fault::Restart(_) => Possible { crashed: false, ..before },
            _ => Possible { paused: false, ..before },
        };
        let now = if tolerated { after.union(refused) } else { after };
        nodes.insert(node, (now, s));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ConfigError};
    use crate::fault::{Nemesis, NemesisKind};
    use crate::workload::Workload;

    fn config(faults: &[&str]) -> Config {
        Config { schedule: faults.iter().map(|f| f.parse().unwrap()).collect(), ..Config::default() }
    }

    #[track_caller]
    fn refused(config: &Config, why: &str) {
        match config.validate() {
            Err(ConfigError::Invalid { field: "schedule", reason }) => assert!(reason.contains(why), "{reason}"),
            other => panic!("{:?}: refused for {why:?}, got {other:?}", config.schedule),
        }
    }

    #[track_caller]
    fn accepted(config: &Config) {
        assert_eq!(config.validate(), Ok(()), "{:?}", config.schedule);
    }

    fn with_nemesis(mut config: Config, kinds: &[NemesisKind]) -> Config {
        config.nemesis = Some(Nemesis { kinds: kinds.to_vec(), ..Nemesis::default() });
        config
    }

    #[test]
    fn undoing_what_no_fault_did_or_doing_it_twice_is_refused_naming_the_fault() {
        refused(
            &config(&["restart n2@100"]),
            "`restart n2@100` cannot work: node 2 has not crashed at tick 100 (no fault of the schedule touches node 2",
        );
        refused(&config(&["crash n2@100", "crash n2@110"]), "`crash n2@110` cannot work: node 2 has already crashed");
        refused(&config(&["crash n2@100", "crash n2@110"]), "(`crash n2@100` left it crashed)");
        refused(&config(&["resume n1@10"]), "`resume n1@10` cannot work: node 1 is not paused");
        refused(&config(&["pause n1@5", "crash n1@6", "resume n1@7"]), "(`crash n1@6` left it crashed)");
        refused(&config(&["crash n1@5", "pause n1@6"]), "`pause n1@6` cannot work: node 1 is not running");
        refused(&config(&["crash n1@5", "restart n1@9", "restart n1@12"]), "`restart n1@12`");
        // In tick order, whatever order they are given in.
        refused(&config(&["restart n3@50", "crash n3@60"]), "`restart n3@50` cannot work");
    }

    #[test]
    fn schedules_that_work_are_accepted() {
        accepted(&config(&["crash n2@100", "restart n2@150", "crash n2@200", "restart n2@250"]));
        accepted(&config(&["pause n1@40", "resume n1@60", "pause n1@70", "crash n1@80", "restart n1@90"]));
        accepted(&config(&["crash n1@5", "crash n2@5", "restart n2@6", "restart n1@7", "drop 57@3"]));
        accepted(&config(&["restart n3@60", "crash n3@50"]));
        // Past the last tick nothing happens (a warning says so elsewhere).
        accepted(&config(&["restart n2@5000"]));
    }

    #[test]
    fn what_a_nemesis_may_have_done_is_left_to_the_run() {
        let crash = [NemesisKind::Crash];
        accepted(&with_nemesis(config(&["restart n2@100"]), &crash));
        accepted(&with_nemesis(config(&["crash n2@100", "crash n2@110"]), &crash));
        accepted(&with_nemesis(config(&["resume n1@10"]), &[NemesisKind::Pause]));
        accepted(&with_nemesis(config(&["pause n1@5"]), &crash));
        // A nemesis that cannot do it changes nothing.
        refused(&with_nemesis(config(&["restart n2@100"]), &[NemesisKind::Pause]), "its kinds lack `crash`");
        refused(&with_nemesis(config(&["resume n2@100"]), &[NemesisKind::Partition]), "its kinds lack `pause`");
        refused(&with_nemesis(config(&["crash n2@100", "crash n2@110"]), &[NemesisKind::Pause]), "already crashed");
    }

    #[test]
    fn the_quiet_period_heals_and_an_undo_in_it_may_find_nothing() {
        let counter = |faults: &[&str]| Config { workload: Workload::Counter, ..config(faults) };
        // 1,000 ticks, a quiet period of 100: clients stop after tick 900, every node heals at 901.
        accepted(&counter(&["restart n2@950"]));
        accepted(&counter(&["resume n2@901"]));
        accepted(&counter(&["crash n2@100", "restart n2@950"]));
        accepted(&counter(&["crash n2@100", "crash n2@950"]));
        accepted(&counter(&["pause n2@100", "crash n2@950", "restart n2@960"]));
        refused(&counter(&["restart n2@900"]), "`restart n2@900` cannot work");
        refused(&counter(&["crash n2@950", "crash n2@960"]), "`crash n2@960` cannot work");
        // The register has no final reads: its quiet period heals nothing.
        refused(&Config { quiet: Some(100), ..config(&["restart n2@950"]) }, "`restart n2@950` cannot work");
    }
}
