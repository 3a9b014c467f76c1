//! Primary-backup: linearizable with several clients and loss; then the primary is cut off,
//! and every later operation fails or times out, none returns a wrong value.
//!
//! `cargo run --example primary_backup`

use distributed_game::algorithms::PrimaryBackup;
use distributed_game::checker::Verdict;
use distributed_game::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for seed in 1..=3 {
        let config = Config::builder().nodes(3).clients(3).ticks(300).loss(0.05).seed(seed).build()?;
        let mut world = World::<PrimaryBackup>::new(config)?;
        world.run_until(200)?;
        world.isolate(NodeId(1));
        world.run()?;
        let history = world.history().clone();
        report("primary-backup (primary cut off at tick 200)", seed, &history);
        let late_ok =
            history.operations.iter().filter(|op| op.invoke > 200 && matches!(op.outcome, Outcome::Ok(_))).count();
        println!("  operations started after the cut that succeeded: {late_ok}");
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
