//! ABD under 10% loss, with a minority of nodes cut off for a while: every history checks
//! linearizable, and most operations still succeed.
//!
//! `cargo run --example abd`

use distributed_game::algorithms::Abd;
use distributed_game::engine::Cut;
use distributed_game::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Nodes 4 and 5 are cut off from everyone from tick 100 to tick 250.
    let minority: Vec<ServerId> = vec![NodeId(4).into(), NodeId(5).into()];
    let rest: Vec<ServerId> = vec![NodeId(1).into(), NodeId(2).into(), NodeId(3).into(), ServerId::Gateway];
    for seed in 1..=3 {
        let config = Config::builder()
            .nodes(5)
            .clients(3)
            .ticks(400)
            .loss(0.1)
            .seed(seed)
            .cut(Cut { from: minority.clone(), to: rest.clone(), one_way: false, at: 100, heal: Some(250) })
            .build()?;
        let mut world = World::<Abd>::new(config)?;
        let history = world.run()?.clone();
        println!("abd, seed {seed}: {}\n  {}", history.summary(), history.check());
    }
    Ok(())
}
