//! Invariants of the sample algorithms: properties of all nodes' states that hold after every
//! tick of a correct run, whatever the network does. `dgame run`, `sweep` and `explore` check
//! them (they are declared in the command line's registry), and a broken one stops the run
//! with the tick and every node's state, usually long before a client sees a wrong value.
//!
//! Each is generic over a small view trait ([`RaftState`], [`AbdState`]) so that a variant of
//! an algorithm (a broken one, or yours) gets them by implementing the view.

use std::fmt::Debug;

use crate::abd::{Abd, Tag};
use crate::broken::{AbdFireAndForgetRepair, AbdNoWriteBack, RaftLocalReads};
use crate::raft::{self, Raft};

/// What the Raft invariants look at in a node.
pub trait RaftState {
    /// A log entry.
    type Entry: PartialEq + Clone + Debug;
    /// The node's current term.
    fn term(&self) -> u64;
    /// Whether it leads its term.
    fn leads(&self) -> bool;
    /// Its log (entry `i`, counting from 1, at `[i - 1]`).
    fn log(&self) -> &[Self::Entry];
    /// The term of an entry.
    fn entry_term(entry: &Self::Entry) -> u64;
    /// The highest index it knows committed.
    fn commit(&self) -> usize;
}

macro_rules! raft_state {
    ($t:ty, $entry:ty, $role:path) => {
        impl RaftState for $t {
            type Entry = $entry;
            fn term(&self) -> u64 {
                self.term
            }
            fn leads(&self) -> bool {
                self.role == $role
            }
            fn log(&self) -> &[$entry] {
                &self.log
            }
            fn entry_term(entry: &$entry) -> u64 {
                entry.term
            }
            fn commit(&self) -> usize {
                self.commit
            }
        }
    };
}

raft_state!(Raft, raft::Entry, raft::Role::Leader);
raft_state!(RaftLocalReads, crate::broken::raft_local_reads::Entry, crate::broken::raft_local_reads::Role::Leader);

/// **Election safety**: at most one node leads any term (Raft, figure 3).
pub fn one_leader_per_term<R: RaftState>(nodes: &[&R]) -> Result<(), String> {
    let mut leaders: Vec<(u64, usize)> =
        nodes.iter().enumerate().filter(|(_, n)| n.leads()).map(|(i, n)| (n.term(), i)).collect();
    leaders.sort_unstable();
    for pair in leaders.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(format!("n{} and n{} both lead term {}", pair[0].1 + 1, pair[1].1 + 1, pair[0].0));
        }
    }
    Ok(())
}

/// How much of a log the log invariants check at a tick. Checking every entry of every log at
/// every tick would cost a log's length per tick, and a long run's time would grow with the
/// square of its length: so the whole log is checked while it is short, and then the newest
/// [`RECENT`] entries at every tick and the whole log every `length / FULL_EVERY` ticks. A
/// change to an old entry that lasts is still found, up to that many ticks late (one made in a
/// run's last ticks, or undone before the next whole check, may go unreported).
struct Pace {
    tick: u64,
    /// Whether this tick checks whole logs.
    whole: bool,
    /// The tick of the next check of whole logs.
    next_whole: u64,
}

/// See [`Pace`]: logs up to this many entries are checked whole at every tick.
const FULL_EVERY: usize = 64;
/// See [`Pace`]: the newest entries checked at every tick.
const RECENT: usize = 16;

impl Pace {
    fn new() -> Self {
        Pace { tick: 0, whole: true, next_whole: 0 }
    }

    /// Moves to the next tick, whose longest log has `len` entries.
    fn next_tick(&mut self, len: usize) {
        self.tick += 1;
        self.whole = self.tick >= self.next_whole;
        if self.whole {
            self.next_whole = self.tick + (len / FULL_EVERY).max(1) as u64;
        }
    }

    /// The first index (from 0) to check, this tick, of a log of `len` entries.
    fn start(&self, len: usize) -> usize {
        if self.whole || len <= FULL_EVERY { 0 } else { len - RECENT }
    }
}

/// **Log matching**: if two logs hold an entry of the same index and term, they are equal up
/// to that index (Raft, figure 3). Makes a fresh checker for each run: it checks the newest
/// entries at every tick and whole logs every length/64 ticks, so that a long run stays linear.
pub fn log_matching<R: RaftState>() -> impl FnMut(&[&R]) -> Result<(), String> {
    let mut pace = Pace::new();
    move |nodes: &[&R]| {
        pace.next_tick(nodes.iter().map(|n| n.log().len()).max().unwrap_or(0));
        for (i, a) in nodes.iter().enumerate() {
            for (j, b) in nodes.iter().enumerate().skip(i + 1) {
                let (la, lb) = (a.log(), b.log());
                // The highest index with the same term in both: everything before must agree.
                let Some(k) =
                    (0..la.len().min(lb.len())).rev().find(|&k| R::entry_term(&la[k]) == R::entry_term(&lb[k]))
                else {
                    continue;
                };
                if let Some(d) = (pace.start(k + 1)..=k).find(|&d| la[d] != lb[d]) {
                    return Err(format!(
                        "n{} and n{} both have an entry of term {} at index {}, but differ at index {}: {:?} and {:?}",
                        i + 1,
                        j + 1,
                        R::entry_term(&la[k]),
                        k + 1,
                        d + 1,
                        la[d],
                        lb[d]
                    ));
                }
            }
        }
        Ok(())
    }
}

/// **State machine safety**, as a checker that remembers: an entry a node once knew
/// committed is never replaced, on it or on any node that commits that index. Needs the
/// ticks before, so it makes a fresh checker for each run; it paces itself as
/// [`log_matching`] does.
pub fn committed_entries_never_change<R: RaftState>() -> impl FnMut(&[&R]) -> Result<(), String> {
    let mut committed: Vec<R::Entry> = Vec::new();
    let mut pace = Pace::new();
    move |nodes: &[&R]| {
        pace.next_tick(committed.len());
        for (i, n) in nodes.iter().enumerate() {
            let Some(prefix) = n.log().get(..n.commit()) else {
                return Err(format!(
                    "n{} says index {} is committed but its log has {} entries",
                    i + 1,
                    n.commit(),
                    n.log().len()
                ));
            };
            let start = pace.start(prefix.len().min(committed.len()));
            let changed = prefix.iter().zip(&committed).skip(start).position(|(a, b)| a != b).map(|d| d + start);
            if let Some(d) = changed {
                return Err(format!(
                    "index {} was committed as {:?}, but n{} now has {:?} committed there",
                    d + 1,
                    committed[d],
                    i + 1,
                    prefix[d]
                ));
            }
            if prefix.len() > committed.len() {
                committed.extend_from_slice(&prefix[committed.len()..]);
            }
        }
        Ok(())
    }
}

/// What the ABD invariant looks at in a node.
pub trait AbdState {
    /// The tag type (ordered).
    type Tag: Ord + Copy + Debug;
    /// The node's current tag.
    fn tag(&self) -> Self::Tag;
}

impl AbdState for Abd {
    type Tag = Tag;
    fn tag(&self) -> Tag {
        self.current.tag
    }
}

impl AbdState for AbdNoWriteBack {
    type Tag = crate::broken::abd_no_write_back::Tag;
    fn tag(&self) -> Self::Tag {
        self.current.tag
    }
}

impl AbdState for AbdFireAndForgetRepair {
    type Tag = crate::broken::abd_fire_and_forget_repair::Tag;
    fn tag(&self) -> Self::Tag {
        self.current.tag
    }
}

/// **A node's tag never goes down** (from one tick to the next, crashes and restarts
/// included: a replica that acknowledged a tag must not forget it). A checker that
/// remembers the tick before.
pub fn tag_never_goes_down<A: AbdState>() -> impl FnMut(&[&A]) -> Result<(), String> {
    let mut before: Vec<A::Tag> = Vec::new();
    move |nodes: &[&A]| {
        let now: Vec<A::Tag> = nodes.iter().map(|n| n.tag()).collect();
        for (i, (b, n)) in before.iter().zip(&now).enumerate() {
            if n < b {
                return Err(format!("n{}'s tag went down from {b:?} to {n:?}", i + 1));
            }
        }
        before = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The entries the log invariants look at over a run whose log grows by one entry every
    /// five ticks: bounded per tick (so the run is linear), and the whole log now and then.
    fn checked_over(ticks: u64) -> (u64, u64) {
        let mut pace = Pace::new();
        let (mut total, mut whole) = (0, 0);
        for t in 1..=ticks {
            let len = (t / 5) as usize;
            pace.next_tick(len);
            let start = pace.start(len);
            total += (len - start) as u64;
            whole += u64::from(start == 0 && len > FULL_EVERY);
        }
        (total, whole)
    }

    #[test]
    fn pacing_keeps_the_log_checks_linear_in_the_run_and_still_checks_whole_logs() {
        let (small, whole_small) = checked_over(100_000);
        let (large, whole_large) = checked_over(1_000_000);
        // Ten times the ticks, about ten times the work (unpaced, it was a hundred times).
        assert!(large < 11 * small, "{small} then {large}");
        assert!(large / 1_000_000 <= (FULL_EVERY + RECENT) as u64, "{} entries per tick", large / 1_000_000);
        assert!(whole_small > 100 && whole_large > whole_small, "{whole_small} {whole_large}");
    }

    #[test]
    fn short_logs_are_checked_whole_at_every_tick_and_long_ones_at_intervals() {
        let mut pace = Pace::new();
        pace.next_tick(10 * FULL_EVERY);
        assert_eq!(pace.start(10 * FULL_EVERY), 0, "the first tick checks whole logs");
        pace.next_tick(10 * FULL_EVERY);
        assert_eq!(pace.start(10 * FULL_EVERY), 10 * FULL_EVERY - RECENT);
        assert_eq!(pace.start(FULL_EVERY), 0, "a short log is always whole");
        for _ in 2..10 {
            pace.next_tick(10 * FULL_EVERY);
        }
        pace.next_tick(10 * FULL_EVERY);
        assert_eq!(pace.start(10 * FULL_EVERY), 0, "every tenth tick for a log ten times FULL_EVERY");
    }
}
