//! Checks one history file (Jepsen EDN, or JSON lines if it ends in `.jsonl`) and prints the
//! verdict and how long it took.
//!
//! `cargo run --release -p dgame-checker --example check_file -- FILE...`

use std::time::Instant;

use dgame_checker::{Options, Verdict, check, edn, jsonl};

fn main() {
    let mut failed = false;
    for path in std::env::args().skip(1) {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(2);
            }
        };
        let parsed = if path.ends_with(".jsonl") {
            jsonl::parse(&text).map_err(|e| e.to_string())
        } else {
            edn::parse(&text).map_err(|e| e.to_string())
        };
        let history = match parsed {
            Ok(h) => h,
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(2);
            }
        };
        let start = Instant::now();
        let verdict = check(&history, &Options::default());
        let took = start.elapsed();
        match verdict {
            Verdict::Linearizable { .. } => println!("{path}: linearizable ({took:?})"),
            Verdict::NotLinearizable { explanation } => {
                failed = true;
                println!("{path}: NOT linearizable ({took:?}): {}", explanation.sentence);
                for d in explanation.op_descriptions {
                    println!("  - {d}");
                }
            }
            Verdict::Unknown { reason, .. } => println!("{path}: unknown ({took:?}): {reason}"),
            // `check` judges registers; the other workloads have their own checkers.
            other => println!("{path}: {other} ({took:?})"),
        }
    }
    if failed {
        std::process::exit(1);
    }
}
