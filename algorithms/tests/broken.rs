//! The deliberately broken variants: the checker catches each.

mod common;

use common::{assert_readme_says, base, explain, run_dropping_from_node1, run_leader_split, sentence};
use dgame_algorithms::broken::{AbdNoWriteBack, RaftLocalReads, abd_no_write_back};

/// ABD without the read's write-back. The network loses what node 1 propagates to nodes 3, 4
/// and 5, so node 1's writes reach only nodes 1 and 2, a minority. A read that hears node 1 or
/// 2 returns the new value; a later read that hears only nodes 3, 4 and 5 returns the old one.
#[test]
fn abd_without_write_back_is_caught() {
    let config = base(5, 4, 300);
    let found = (0..100)
        .map(|seed| run_dropping_from_node1::<AbdNoWriteBack, abd_no_write_back::Propagate>(&config, seed))
        .find(|r| r.verdict.is_violation());
    let r = found.expect("a new-then-old pair of reads must show up");
    println!("abd-no-write-back: seed {} is not linearizable: {}", r.seed, explain(&r.verdict));
    assert_eq!(r.seed, 32);
    let figure = format!("non-linearizable at seed {} (the first of 0..100): \"{}\"", r.seed, sentence(&r.verdict));
    assert_readme_says("abd-no-write-back", &figure);
}

/// Raft reading from the leader's copy: cut the leader off from the other nodes (not from
/// the gateway) and it answers stale reads.
#[test]
fn raft_with_local_reads_is_caught() {
    let config = base(5, 3, 300);
    let found = (0..100)
        .filter_map(|seed| run_leader_split::<RaftLocalReads>(&config, seed, 80))
        .find(|r| r.verdict.is_violation());
    let r = found.expect("a deposed leader's stale read must show up");
    println!("raft-local-reads: seed {} is not linearizable: {}", r.seed, explain(&r.verdict));
    assert_eq!(r.seed, 0);
    let figure = format!("non-linearizable at seed {} (the first of 0..100): \"{}\"", r.seed, sentence(&r.verdict));
    assert_readme_says("raft-local-reads", &figure);
}
