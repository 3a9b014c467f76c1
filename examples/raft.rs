//! Raft: a leader is elected, clients are served through it; then the leader is cut off, a
//! new one is elected and serving resumes. Every history checks linearizable.
//!
//! `cargo run --example raft`

use distributed_game::algorithms::Raft;
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
        world.isolate(old)?;
        world.run()?;
        if let Some(new) = world.leader() {
            let term = world.node(new).map(|n| n.term).unwrap_or_default();
            println!("  at tick {}, {new} leads (term {term})", world.now());
        }
        let history = world.history().clone();
        println!("raft, seed {seed}: {}\n  {}", history.summary(), history.check());
    }
    Ok(())
}
