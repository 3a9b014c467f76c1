//! Raft: linearizable with many clients, loss and partitions; elects a new leader when its
//! leader is cut off, and keeps serving.

mod common;

use common::{all_linearizable, assert_readme_says, base, explain, isolate, percent};
use dgame_algorithms::Raft;
use dgame_algorithms::raft::Role;
use dgame_engine::prelude::*;

/// Five nodes, three clients, 5% loss: every one of 1000 histories is linearizable, and 68.6%
/// of the finished operations succeed.
#[test]
fn linearizable_and_live_with_several_clients_and_loss() {
    let t = all_linearizable::<Raft>("raft, 5 nodes, 3 clients, 5% loss", &base(5, 3, 300).loss(0.05), 0..1000);
    assert_eq!((t.ok, t.finished()), (21_682, 31_606), "{t:?}");
    assert_readme_says("raft", &format!("5% loss: 1,000 seeds linearizable, {} ok", percent(t.ok_fraction())));
}

/// Nodes 1 and 2 cut off from tick 60 to 180, then node 3 from 200 on, with 5% loss: every
/// history is linearizable, and leadership moves to where a majority is.
#[test]
fn linearizable_through_partitions() {
    let config = base(5, 3, 300)
        .loss(0.05)
        .cut(isolate(1, 5, 60, Some(180)))
        .cut(isolate(2, 5, 60, Some(180)))
        .cut(isolate(3, 5, 200, None));
    let t = all_linearizable::<Raft>("raft, 5 nodes, partitions, 5% loss", &config, 0..500);
    assert_eq!((t.ok, t.finished()), (7_242, 14_404), "{t:?}");
    assert_readme_says("raft", &format!("Partitions: 500 seeds linearizable, {} ok", percent(t.ok_fraction())));
}

/// The leader is cut off at tick 80: the others elect a new one, which serves clients.
#[test]
fn elects_a_new_leader_when_the_leader_is_cut_off() {
    let mut served = 0;
    let mut after = 0;
    let mut elected_in = Vec::new();
    for seed in 0..100 {
        let config = base(5, 3, 300).loss(0.02).seed(seed).build().unwrap();
        let mut world = World::<Raft>::new(config).unwrap();
        world.run_until(80).unwrap();
        let old = world.leader().unwrap_or_else(|| panic!("seed {seed}: no leader by tick 80"));
        world.isolate(old).expect("the leader exists");
        let mut new_leader_at = None;
        while world.now() < 300 {
            world.tick().unwrap();
            if new_leader_at.is_none() && world.leader().is_some_and(|l| l != old) {
                new_leader_at = Some(world.now());
            }
        }
        let at = new_leader_at.unwrap_or_else(|| panic!("seed {seed}: no new leader after cutting off {old}"));
        let new = world.leader().unwrap();
        assert_eq!(world.node(new).unwrap().role, Role::Leader, "seed {seed}");
        elected_in.push(at - 80);
        let history = world.history();
        let verdict = history.check();
        assert!(verdict.is_linearizable(), "seed {seed}: {}", explain(&verdict));
        for op in history.operations.iter().filter(|op| op.invoke > at) {
            after += 1;
            if matches!(op.outcome, Outcome::Ok(_)) {
                served += 1;
            }
        }
    }
    elected_in.sort_unstable();
    println!(
        "raft, leader cut off at tick 80 (100 seeds): new leader known to the gateway after {}..{} ticks (median {}); {served} of {after} operations after that succeeded",
        elected_in[0],
        elected_in[elected_in.len() - 1],
        elected_in[elected_in.len() / 2]
    );
    assert!(served * 2 > after, "the new leader serves most operations");
    let (min, max, median) = (elected_in[0], elected_in[elected_in.len() - 1], elected_in[elected_in.len() / 2]);
    assert_eq!((min, max, median, served, after), (17, 110, 24, 1_813, 2_198));
    let figure = format!("a new leader within {min}–{max} ticks (median {median}) in 100 of 100 seeds");
    assert_readme_says("raft", &figure);
}

/// The scenario that breaks [`RaftLocalReads`](dgame_algorithms::broken::RaftLocalReads): the
/// leader cut off from the other nodes but not from the gateway. Real Raft stays linearizable:
/// the old leader cannot commit, so it never answers.
#[test]
fn a_leader_cut_off_from_the_nodes_answers_nothing_stale() {
    let config = base(5, 3, 300);
    let mut runs = 0;
    for seed in 0..100 {
        if let Some(r) = common::run_leader_split::<Raft>(&config, seed, 80) {
            assert!(r.verdict.is_linearizable(), "seed {seed}: {}", explain(&r.verdict));
            runs += 1;
        }
    }
    println!("raft, leader cut off from the nodes at tick 80: {runs} runs, all linearizable");
    assert!(runs >= 95);
}

/// What the browser game shows of a Raft node: its badge (role and term) and its state as data,
/// the log as rows of term and command.
#[test]
fn a_node_shows_its_role_and_term_as_a_badge_and_its_log_as_data() {
    let config = base(3, 2, 100).seed(1).build().unwrap();
    let mut world = World::<Raft>::new(config).unwrap();
    world.run().unwrap();
    let leader = world.leader().unwrap();
    let (term, log_len) = (world.node(leader).unwrap().term, world.node(leader).unwrap().log.len());
    assert_eq!(world.node_badge(leader), Some(format!("leader t{term}")));
    let follower = NodeId(if leader == NodeId(1) { 2 } else { 1 });
    assert_eq!(world.node_badge(follower), Some(format!("follower t{term}")));
    let state = world.node_state(leader).unwrap();
    assert_eq!(state["role"], "leader");
    assert_eq!(state["term"], term);
    let log = state["log"].as_array().expect("the log is an array");
    assert_eq!(log.len(), log_len);
    assert_eq!(log[0], serde_json::json!({ "term": log[0]["term"], "command": "Noop" }), "the first leader's no-op");
    assert!(log.iter().any(|e| e["command"].get("Write").is_some()), "writes carry their value: {log:?}");
    assert!(state["matched"].as_object().is_some_and(|m| m.len() == 2), "per-follower progress, by node id");
}
