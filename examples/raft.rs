//! Raft: a leader is elected, clients are served through it; then the leader is cut off, a
//! new one is elected and serving resumes. Every history checks linearizable.
//!
//! `cargo run --example raft`

use distributed_game::algorithms::Raft;
use distributed_game::checker::Verdict;
use distributed_game::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for seed in 1..=3 {
        let config = Config::builder().nodes(5).clients(3).ticks(400).loss(0.05).seed(seed).build()?;
        let mut world = World::<Raft>::new(config)?;
        world.run_until(150)?;
        let Some(old) = world.leader() else {
            println!("raft, seed {seed}: no leader by tick 150");
            continue;
        };
        println!("raft, seed {seed}: {old} leads at tick 150; cutting it off");
        world.isolate(old);
        world.run()?;
        if let Some(new) = world.leader() {
            let term = world.node(new).map(|n| n.term).unwrap_or_default();
            println!("  at tick {}, {new} leads (term {term})", world.now());
        }
        let history = world.history().clone();
        report("raft", seed, &history);
    }
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
