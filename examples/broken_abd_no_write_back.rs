//! ABD with its read's write-back removed (a deliberately broken variant): the network loses
//! what node 1 propagates to nodes 3, 4 and 5, and the checker finds a read going back in time.
//!
//! `cargo run --example broken_abd_no_write_back`

use distributed_game::algorithms::broken::AbdNoWriteBack;
use distributed_game::algorithms::broken::abd_no_write_back::Propagate;
use distributed_game::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for seed in 0..100 {
        let config = Config::builder().nodes(5).clients(4).ticks(300).seed(seed).build()?;
        let mut world = World::<AbdNoWriteBack>::new(config)?;
        while world.now() < 300 {
            world.tick()?;
            // The adversary: node 1's Propagate messages reach node 2 only.
            let doomed: Vec<_> = world
                .in_flight()
                .iter()
                .filter(|s| {
                    s.from == NodeId(1).into() && s.to != NodeId(2).into() && s.message.as_any().is::<Propagate>()
                })
                .map(|s| s.id)
                .collect();
            for id in doomed {
                world.drop_signal(id)?;
            }
        }
        let history = world.history().clone();
        if history.check().is_violation() {
            println!("abd-no-write-back, seed {seed}: {}\n  {}", history.summary(), history.check());
            return Ok(());
        }
    }
    println!("no violation found in 100 seeds");
    Ok(())
}
