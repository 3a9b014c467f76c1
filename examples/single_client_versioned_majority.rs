//! The original's second sample: linearizable with one client; with three, the checker finds a
//! violation and explains it.
//!
//! `cargo run --example single_client_versioned_majority`

use distributed_game::algorithms::SingleClientVersionedMajority;
use distributed_game::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for clients in [1, 3] {
        for seed in 1..=3 {
            let config = Config::builder().nodes(3).clients(clients).ticks(300).seed(seed).build()?;
            let mut world = World::<SingleClientVersionedMajority>::new(config)?;
            let history = world.run()?.clone();
            println!(
                "{}, seed {seed}: {}\n  {}",
                &format!("versioned majority, {clients} client(s)"),
                history.summary(),
                history.check()
            );
        }
    }
    Ok(())
}
