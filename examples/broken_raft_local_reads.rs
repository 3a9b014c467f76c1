//! Raft whose leader reads its own copy (a deliberately broken variant): the leader is cut
//! off from the other nodes, but not from the gateway, and answers stale reads.
//!
//! `cargo run --example broken_raft_local_reads`

use distributed_game::algorithms::broken::RaftLocalReads;
use distributed_game::checker::Verdict;
use distributed_game::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for seed in 0..100 {
        let config = Config::builder().nodes(5).clients(3).ticks(300).seed(seed).build()?;
        let mut world = World::<RaftLocalReads>::new(config)?;
        world.run_until(80)?;
        let Some(leader) = world.leader() else { continue };
        let others: Vec<ServerId> = (1..=5).map(NodeId).filter(|&n| n != leader).map(ServerId::from).collect();
        world.cut(&[leader.into()], &others, false);
        world.run()?;
        let history = world.history().clone();
        if history.check().is_violation() {
            println!("{leader} was cut off from the other nodes at tick 80");
            report("raft-local-reads", seed, &history);
            return Ok(());
        }
    }
    println!("no violation found in 100 seeds");
    Ok(())
}

/// Prints a run's outcome counts, its first operations, and the checker's verdict.
fn report(name: &str, seed: u64, history: &History) {
    let (ok, failed, unknown, pending) = history.counts();
    let labels: Vec<String> = history.operations.iter().take(12).map(|op| op.label()).collect();
    println!(
        "{name}, seed {seed}: {} operations: {ok} ok, {failed} failed, {unknown} unknown, {pending} pending",
        history.operations.len()
    );
    println!("  first operations: {}", labels.join(" "));
    match history.check() {
        Verdict::Linearizable { .. } => println!("  linearizable"),
        Verdict::NotLinearizable { explanation } => {
            println!("  NOT linearizable: {}", explanation.sentence);
            for op in &explanation.op_descriptions {
                println!("    {op}");
            }
        }
        Verdict::Unknown { reason, .. } => println!("  the checker gave up: {reason}"),
    }
}
