//! The original's first sample: linearizable with one client; with two, the checker finds a
//! violation and explains it.
//!
//! `cargo run --example single_client_sync_replication`

use distributed_game::algorithms::SingleClientSyncReplication;
use distributed_game::checker::Verdict;
use distributed_game::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for clients in [1, 2] {
        for seed in 1..=3 {
            let config = Config::builder().nodes(3).clients(clients).ticks(300).seed(seed).build()?;
            let mut world = World::<SingleClientSyncReplication>::new(config)?;
            let history = world.run()?.clone();
            report(&format!("sync replication, {clients} client(s)"), seed, &history);
        }
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
