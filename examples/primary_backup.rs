//! Primary-backup: linearizable with several clients and loss; then the primary is cut off,
//! and every later operation fails or times out, none returns a wrong value.
//!
//! `cargo run --example primary_backup`

use distributed_game::algorithms::PrimaryBackup;
use distributed_game::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for seed in 1..=3 {
        let config = Config::builder().nodes(3).clients(3).ticks(300).loss(0.05).seed(seed).build()?;
        let mut world = World::<PrimaryBackup>::new(config)?;
        world.run_until(200)?;
        world.isolate(NodeId(1))?;
        world.run()?;
        let history = world.history().clone();
        println!(
            "primary-backup (primary cut off at tick 200), seed {seed}: {}\n  {}",
            history.summary(),
            history.check()
        );
        let late_ok =
            history.operations.iter().filter(|op| op.invoke > 200 && matches!(op.outcome, Outcome::Ok(_))).count();
        println!("  operations started after the cut that succeeded: {late_ok}");
    }
    Ok(())
}
