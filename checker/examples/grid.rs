//! Runs the benchmark grid once and prints each verdict and time; with an argument, runs
//! only the case of that name (for measuring peak memory with `/usr/bin/time -v`).
//!
//! `cargo run --release -p dgame-checker --example grid [-- NAME]`

use std::time::Instant;

use dgame_checker::generator::{generate, grid};
use dgame_checker::{Options, Verdict, check};

/// `dgame check` allocates with mimalloc: so do these figures, which stand beside Porcupine's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let only = std::env::args().nth(1);
    for (name, config) in grid() {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let history = generate(&config);
        let start = Instant::now();
        let verdict = check(&history, &Options::default());
        let took = start.elapsed();
        let start = Instant::now();
        let _ = check(&history, &Options::default().minimize(false));
        let bare = start.elapsed();
        let v = match &verdict {
            Verdict::Linearizable { .. } => "linearizable".to_string(),
            Verdict::NotLinearizable { explanation } => {
                format!("NOT linearizable ({} ops): {}", explanation.ops.len(), explanation.sentence)
            }
            Verdict::Unknown { reason, .. } => format!("unknown: {reason}"),
            other => other.to_string(),
        };
        println!("{name:30} {took:>12.3?} (verdict without explanation {bare:>12.3?})  {v}");
    }
}
