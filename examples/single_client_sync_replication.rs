//! The original's first sample: linearizable with one client; with two, the checker finds a
//! violation and explains it.
//!
//! `cargo run --example single_client_sync_replication`

use distributed_game::algorithms::SingleClientSyncReplication;
use distributed_game::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for clients in [1, 2] {
        for seed in 1..=3 {
            let config = Config::builder().nodes(3).clients(clients).ticks(300).seed(seed).build()?;
            let mut world = World::<SingleClientSyncReplication>::new(config)?;
            let history = world.run()?.clone();
            println!(
                "{}, seed {seed}: {}\n  {}",
                &format!("sync replication, {clients} client(s)"),
                history.summary(),
                history.check()
            );
        }
    }
    Ok(())
}
