//! ABD under 10% loss, with a minority of nodes cut off for a while: every history checks
//! linearizable, and most operations still succeed.
//!
//! `cargo run --example abd`

use distributed_game::algorithms::Abd;
use distributed_game::checker::Verdict;
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
        report("abd", seed, &history);
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
