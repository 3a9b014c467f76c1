//! Duplication (issue 11): the network may deliver a signal twice. Every client request carries
//! a request id, the gateway sends the copies of a request to one node, and Raft, ABD and
//! primary-backup answer each request once. Before that, each of the runs pinned below gave a
//! history that is not linearizable.

mod common;

use common::{all_linearizable, base, explain, run};
use dgame_algorithms::{Abd, PrimaryBackup, Raft};
use dgame_engine::prelude::*;
use dgame_engine::{ConfigBuilder, Nemesis, NemesisKind};

/// Loss, duplication and a nemesis of `kinds` (the CLI's `--nemesis` defaults otherwise):
/// `dgame sweep --duplicate 0.05 --loss 0.05 --nemesis partition,crash --ticks 300`.
fn faulty(kinds: &[NemesisKind]) -> ConfigBuilder {
    base(3, 2, 300).loss(0.05).duplicate(0.05).nemesis(Some(Nemesis { kinds: kinds.to_vec(), ..Nemesis::default() }))
}

const PARTITION_CRASH: &[NemesisKind] = &[NemesisKind::Partition, NemesisKind::Crash];

#[test]
fn primary_backup_with_a_duplicated_write_is_linearizable() {
    // `dgame run --algorithm primary-backup --seed 35 --clients 5 --ticks 14 --duplicate 0.05`:
    // the gateway used to send the two copies of one write to two nodes (the backup failed
    // it, the primary applied it) and relay the first answer, "failed".
    let r = run::<PrimaryBackup>(&base(3, 5, 14).duplicate(0.05), 35);
    assert!(r.verdict.is_linearizable(), "{}", explain(&r.verdict));
    assert!(r.history.operations.iter().any(|op| matches!(op.kind, OpKind::Write(_))), "the run writes");
}

#[test]
fn raft_and_abd_with_duplicates_loss_and_a_nemesis_are_linearizable_on_the_seeds_that_broke_them() {
    // Seed 290 broke Raft (a copy refused by a follower that became leader was logged by the
    // second copy) and seed 223 broke ABD (a copy written again, after a newer write).
    let raft = run::<Raft>(&faulty(PARTITION_CRASH), 290);
    assert!(raft.verdict.is_linearizable(), "raft: {}", explain(&raft.verdict));
    let abd = run::<Abd>(&faulty(PARTITION_CRASH), 223);
    assert!(abd.verdict.is_linearizable(), "abd: {}", explain(&abd.verdict));
}

#[test]
fn raft_survives_500_seeds_of_duplication_loss_partitions_and_crashes() {
    let totals = all_linearizable::<Raft>("raft", &faulty(PARTITION_CRASH), 0..500);
    assert!(totals.ok > 0, "operations succeed");
}

#[test]
fn raft_serves_the_key_value_store_over_500_seeds_of_duplication_loss_partitions_and_crashes() {
    let config = faulty(PARTITION_CRASH).workload(Workload::Kv).keys(3);
    let totals = all_linearizable::<Raft>("raft kv", &config, 0..500);
    assert!(totals.ok > 0, "operations succeed");
}

#[test]
fn abd_survives_500_seeds_of_duplication_loss_partitions_and_crashes() {
    let totals = all_linearizable::<Abd>("abd", &faulty(PARTITION_CRASH), 0..500);
    assert!(totals.ok > 0, "operations succeed");
}

#[test]
fn primary_backup_survives_500_seeds_of_duplication_loss_and_partitions() {
    // Its fault model has no crashes: a crashed primary comes back empty.
    let totals = all_linearizable::<PrimaryBackup>("primary-backup", &faulty(&[NemesisKind::Partition]), 0..500);
    assert!(totals.ok > 0, "operations succeed");
}

#[test]
fn a_copy_of_a_write_is_applied_once_by_raft() {
    // Every signal duplicated: each write reaches the leader twice (at least), yet the log's
    // state machine applies each request once, and every read sees one of the writes.
    let config = base(3, 2, 200).duplicate(1.0);
    let mut world = World::<Raft>::new(config.seed(3).build().unwrap()).unwrap();
    world.run().unwrap();
    let verdict = world.history().check();
    assert!(verdict.is_linearizable(), "{}", explain(&verdict));
    let leader = (1..=3).map(NodeId).find(|&n| world.node(n).unwrap().commit > 0).unwrap();
    let node = world.node(leader).unwrap();
    let writes = |pred: &dyn Fn(&dgame_algorithms::raft::Command) -> bool| {
        node.log[..node.commit].iter().filter(|e| pred(&e.command)).count()
    };
    let logged = writes(&|c| matches!(c, dgame_algorithms::raft::Command::Write { .. }));
    let mut ids: Vec<RequestId> = node.log[..node.commit]
        .iter()
        .filter_map(|e| match e.command {
            dgame_algorithms::raft::Command::Write { id, .. } => Some(id),
            _ => None,
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert!(logged > ids.len(), "some write was logged twice ({logged} entries, {} requests)", ids.len());
}

#[test]
fn the_readme_quotes_these_seeds_and_counts() {
    let readme = include_str!("../../README.md").split_whitespace().collect::<Vec<_>>().join(" ");
    for quoted in [
        "500 seeds each of `raft` (register and kv) and `abd`, and of `primary-backup` with partitions",
        "seeds 290 (Raft), 223 (ABD) and the issue's primary-backup seed 35",
        "With 5% duplication, 5% loss and a partition/crash nemesis",
    ] {
        assert!(readme.contains(quoted), "README.md must say: {quoted}");
    }
}
