//! ABD and Raft under a random nemesis that partitions, crashes and pauses nodes (issue 7):
//! every history stays linearizable, operations still complete, and Raft's durable store holds
//! what it promised.

mod common;

use common::{Totals, base, explain};
use dgame_algorithms::raft::Entry;
use dgame_algorithms::{Abd, Raft};
use dgame_engine::prelude::*;
use dgame_engine::{ConfigBuilder, Event, Fault, Nemesis, NemesisKind, NodeStatus};

/// A fault every ~60 ticks, lasting ~40, on up to 2 of 5 nodes (a partition cuts off at most
/// 2): crashes, partitions and pauses, then 100 calm ticks at the end.
fn nemesis() -> Nemesis {
    Nemesis {
        kinds: vec![NemesisKind::Partition, NemesisKind::Crash, NemesisKind::Pause],
        interval: 60,
        duration: 40,
        targets: 2,
        recovery: 100,
    }
}

fn config() -> ConfigBuilder {
    base(5, 3, 600).loss(0.02).nemesis(Some(nemesis()))
}

/// Runs `seeds`, asserting each history linearizable; counts the faults that happened.
fn survive<N: Node + Default>(name: &str, seeds: std::ops::Range<u64>) -> (Totals, usize) {
    let mut totals = Totals::default();
    let mut crashes = 0;
    for seed in seeds {
        let config = config().seed(seed).build().unwrap();
        let mut world = World::<N>::new(config).unwrap();
        let seen = std::rc::Rc::new(std::cell::Cell::new(0));
        let count = seen.clone();
        world.subscribe(move |e: &Event<'_>| {
            if let Event::Fault { fault: Fault::Crash(_), .. } = e {
                count.set(count.get() + 1);
            }
        });
        world.run().unwrap_or_else(|e| panic!("{name}, seed {seed}: {e}"));
        let history = world.history().clone();
        let verdict = history.check();
        assert!(verdict.is_linearizable(), "{name}, seed {seed}: {}", explain(&verdict));
        totals.add(&common::Run { seed, history, verdict });
        crashes += seen.get();
    }
    println!(
        "{name}: {} runs with {crashes} crashes, {} operations, {:.1}% of the finished ones ok; all linearizable",
        totals.runs,
        totals.ops,
        100.0 * totals.ok_fraction()
    );
    (totals, crashes)
}

#[test]
fn abd_stays_linearizable_and_live_under_crashes_partitions_and_pauses() {
    let (t, crashes) = survive::<Abd>("abd under the nemesis", 0..500);
    assert!(crashes >= 500, "the nemesis really crashed nodes: {crashes}");
    assert!(t.ok_fraction() >= 0.5, "operations still complete: {t:?}");
}

#[test]
fn raft_stays_linearizable_and_live_under_crashes_partitions_and_pauses() {
    let (t, crashes) = survive::<Raft>("raft under the nemesis", 0..500);
    assert!(crashes >= 500, "the nemesis really crashed nodes: {crashes}");
    assert!(t.ok_fraction() >= 0.4, "operations still complete: {t:?}");
}

/// What Raft promised is on disk: after every tick, each running node's durable term, vote and
/// log equal its own; and a crashed leader comes back with its term and its log.
#[test]
fn raft_persists_its_term_vote_and_log() {
    let config = base(3, 2, 400).seed(3).build().unwrap();
    let mut world = World::<Raft>::new(config).unwrap();
    let mut crashed_leader = None;
    for _ in 0..400 {
        world.tick().unwrap();
        for n in (1..=3).map(NodeId) {
            if world.node_status(n) != Some(NodeStatus::Up) {
                continue;
            }
            let me = world.node(n).unwrap();
            let (term, vote, log) = world
                .durable(n, |d| {
                    (d.get::<u64>("term"), d.get::<Option<NodeId>>("voted_for"), d.get::<Vec<Entry>>("log"))
                })
                .unwrap();
            // Once it has promised anything (a term above 0), all of it is on disk.
            if me.term > 0 {
                assert_eq!(
                    (term, vote, log.as_ref()),
                    (Some(me.term), Some(me.voted_for), Some(&me.log)),
                    "{n} at tick {}",
                    world.now()
                );
            }
        }
        if world.now() == 150 {
            let leader = world.leader().expect("a leader by tick 150");
            let before = (world.node(leader).unwrap().term, world.node(leader).unwrap().log.clone());
            world.apply(Fault::Crash(leader)).unwrap();
            crashed_leader = Some((leader, before));
        }
        if world.now() == 200 {
            let (leader, (term, log)) = crashed_leader.clone().unwrap();
            world.apply(Fault::Restart(leader)).unwrap();
            world.tick().unwrap();
            let me = world.node(leader).unwrap();
            assert!(me.term >= term, "the term survives the crash");
            assert!(me.log.len() >= log.len() && me.log[..log.len()] == log[..], "the log survives the crash");
        }
    }
    assert!(crashed_leader.is_some(), "the test crashed a leader");
    let history = world.history().clone();
    assert!(history.check().is_linearizable());
}
