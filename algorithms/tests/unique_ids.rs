//! The unique-ids sample: no id handed out twice under loss, duplication, partitions, crashes
//! and pauses; the variant whose counter is not durable is caught after a crash.

mod common;

use common::{assert_readme_says, base, explain, nemesis, run, run_measured, sentence, thousands};
use dgame_algorithms::broken::UniqueIdsVolatile;
use dgame_algorithms::{UniqueIds, unique_ids};
use dgame_checker::Verdict;
use dgame_checker::workload::unique_ids as checker;
use dgame_engine::prelude::*;
use dgame_engine::{ConfigBuilder, NemesisKind};

/// Three nodes, three clients, 300 ticks, 5% loss, 5% duplication, and a nemesis that
/// partitions, crashes and pauses one node at a time.
fn faulty() -> ConfigBuilder {
    base(3, 3, 300).workload(Workload::UniqueIds).loss(0.05).duplicate(0.05).nemesis(Some(nemesis(&[
        NemesisKind::Partition,
        NemesisKind::Crash,
        NemesisKind::Pause,
    ])))
}

#[test]
fn no_id_is_handed_out_twice_under_loss_duplication_partitions_crashes_and_pauses() {
    let (mut handed_out, mut crashes) = (0, 0);
    for seed in 0..500 {
        let m = run_measured::<UniqueIds>(&faulty(), seed, |_| {});
        assert!(m.run.verdict.is_ok(), "seed {seed}: {}", explain(&m.run.verdict));
        let report = checker::check(&m.run.history.to_unique_ids());
        assert_eq!(report.handed_out, report.distinct);
        handed_out += report.handed_out;
        crashes += m.crashes;
    }
    println!("unique-ids under the nemesis: 500 seeds valid, {handed_out} ids handed out, {crashes} crashes");
    assert_eq!((handed_out, crashes), (14_466, 689));
    assert_readme_says(
        "unique-ids",
        &format!(
            "5% loss, 5% duplication, partitions, crashes ({crashes}) and pauses: 500 seeds valid, {} ids handed out, all distinct",
            thousands(handed_out)
        ),
    );
}

/// Node `n`'s ids are `n x 1,000,000,000 + k`, and a restarted node goes on from its count.
#[test]
fn a_restarted_node_goes_on_counting() {
    let config = base(3, 2, 200).workload(Workload::UniqueIds).seed(2).build().unwrap();
    let mut world = World::<UniqueIds>::new(config).unwrap();
    world.run_until(100).unwrap();
    let next = world.node(NodeId(1)).unwrap().next;
    assert!(next > 0, "n1 handed out ids");
    world.apply(Fault::Crash(NodeId(1))).unwrap();
    world.run_until(110).unwrap();
    world.apply(Fault::Restart(NodeId(1))).unwrap();
    world.tick().unwrap();
    assert_eq!(world.node(NodeId(1)).unwrap().next, next);
    world.run().unwrap();
    let ids: Vec<u64> = world
        .history()
        .operations
        .iter()
        .filter(|op| op.node == Some(NodeId(1)))
        .filter_map(|op| match op.kind {
            OpKind::Generate { unique_id } => unique_id,
            _ => None,
        })
        .collect();
    assert!(ids.len() as u64 > next, "n1 handed out ids after its restart too");
    assert!(ids.iter().all(|id| id / unique_ids::PER_NODE == 1), "{ids:?}");
    assert!(world.history().check().is_ok());
}

/// Without a durable counter a node restarts from 0 and hands out its first ids again.
#[test]
fn unique_ids_volatile_is_caught_after_a_crash() {
    let config = base(3, 2, 300)
        .workload(Workload::UniqueIds)
        .fault(100, Fault::Crash(NodeId(1)))
        .fault(120, Fault::Restart(NodeId(1)));
    let r = run::<UniqueIdsVolatile>(&config, 0);
    assert!(matches!(r.verdict, Verdict::Invalid { workload: "unique-ids", .. }), "{}", explain(&r.verdict));
    println!("unique-ids-volatile: seed 0 is invalid: {}", explain(&r.verdict));
    let said = sentence(&r.verdict);
    assert_eq!(
        said,
        "id \"1000000000\" was handed out twice: to client 1 by node n1 at ticks 1-13, and to client 1 by node n1 at ticks 131-139."
    );
    assert_readme_says(
        "unique-ids-volatile",
        &format!("n1 crashed at tick 100, restarted at 120: invalid at seed 0: \"{said}\""),
    );
    // The same run with the durable counter is valid; and without a crash the volatile one is.
    assert!(run::<UniqueIds>(&config, 0).verdict.is_ok());
    let no_crash = base(3, 2, 300)
        .workload(Workload::UniqueIds)
        .loss(0.05)
        .duplicate(0.05)
        .nemesis(Some(nemesis(&[NemesisKind::Partition, NemesisKind::Pause])));
    for seed in 0..100 {
        let r = run::<UniqueIdsVolatile>(&no_crash, seed);
        assert!(r.verdict.is_ok(), "seed {seed}: {}", explain(&r.verdict));
    }
}

/// `dgame run --workload unique-ids`, seed 0.
#[test]
fn the_readme_figure_of_a_default_run() {
    let m = run_measured::<UniqueIds>(&Config::builder().workload(Workload::UniqueIds), 0, |_| {});
    let summary = match &m.run.verdict {
        Verdict::Valid { summary, .. } => summary.clone(),
        other => panic!("{}", explain(other)),
    };
    let figure = format!("(seed 0): {summary}; {} node-node messages", m.node_messages);
    println!("unique-ids: {figure}");
    assert_eq!(m.node_messages, 0, "a node needs nobody to hand out an id");
    assert_readme_says("unique-ids", &figure);
}
