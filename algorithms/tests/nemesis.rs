//! ABD and Raft under a random nemesis that partitions, crashes and pauses nodes (issue 7):
//! every history stays linearizable, operations still complete, and a restarted Raft node
//! comes back with what it promised.

mod common;

use common::{Totals, assert_readme_says, base, explain, percent, thousands};
use dgame_algorithms::raft::Role;
use dgame_algorithms::{Abd, Raft};
use dgame_engine::prelude::*;
use dgame_engine::{ConfigBuilder, Event, Fault, Nemesis, NemesisKind};

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
    assert_eq!((crashes, t.ok, t.finished()), (1_648, 22_485, 28_133), "{t:?}");
    let figure =
        format!("500 seeds, {} crashes, all linearizable, {} ok", thousands(crashes), percent(t.ok_fraction()));
    assert_readme_says("abd", &figure);
}

#[test]
fn raft_stays_linearizable_and_live_under_crashes_partitions_and_pauses() {
    let (t, crashes) = survive::<Raft>("raft under the nemesis", 0..500);
    assert_eq!((crashes, t.ok, t.finished()), (1_648, 23_064, 33_205), "{t:?}");
    let figure =
        format!("500 seeds, {} crashes, all linearizable, {} ok", thousands(crashes), percent(t.ok_fraction()));
    assert_readme_says("raft", &figure);
}

/// What Raft promised survives a crash, and nothing else: a leader crashed at tick 150 and
/// restarted at 200 comes back, in its first turn, with exactly its term, vote and log, as a
/// follower that knows no commit yet; and the run stays linearizable.
#[test]
fn raft_keeps_its_term_vote_and_log_through_a_crash() {
    let config = base(3, 2, 400).seed(3).build().unwrap();
    let mut world = World::<Raft>::new(config).unwrap();
    world.run_until(150).unwrap();
    let leader = world.leader().expect("a leader by tick 150");
    let promised = |w: &World<Raft>| {
        let me = w.node(leader).unwrap();
        (me.term, me.voted_for, me.log.clone())
    };
    let before = promised(&world);
    assert!(before.0 > 0 && !before.2.is_empty(), "the leader has promised something: {before:?}");
    world.apply(Fault::Crash(leader)).unwrap();
    world.run_until(200).unwrap();
    world.apply(Fault::Restart(leader)).unwrap();
    world.tick().unwrap();
    assert_eq!(promised(&world), before, "term, vote and log are back as they were");
    let me = world.node(leader).unwrap();
    assert_eq!((me.role, me.commit, me.matched.len()), (Role::Follower, 0, 0), "the rest starts over");
    drop(me);
    world.run().unwrap();
    let verdict = world.history().check();
    assert!(verdict.is_linearizable(), "{}", explain(&verdict));
}
