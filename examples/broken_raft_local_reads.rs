//! Raft whose leader reads its own copy (a deliberately broken variant): the leader is cut
//! off from the other nodes, but not from the gateway, and answers stale reads.
//!
//! `cargo run --example broken_raft_local_reads`

use distributed_game::algorithms::broken::RaftLocalReads;
use distributed_game::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for seed in 0..100 {
        let config = Config::builder().nodes(5).clients(3).ticks(300).seed(seed).build()?;
        let mut world = World::<RaftLocalReads>::new(config)?;
        world.run_until(80)?;
        let Some(leader) = world.leader() else { continue };
        let others: Vec<ServerId> = (1..=5).map(NodeId).filter(|&n| n != leader).map(ServerId::from).collect();
        world.cut(&[leader.into()], &others, false)?;
        world.run()?;
        let history = world.history().clone();
        if history.check().is_violation() {
            println!("{leader} was cut off from the other nodes at tick 80");
            println!("raft-local-reads, seed {seed}: {}\n  {}", history.summary(), history.check());
            return Ok(());
        }
    }
    println!("no violation found in 100 seeds");
    Ok(())
}
