//! Parses the `4x100000` history (EDN or JSON lines) RUNS times, for `perf stat` or
//! `valgrind --tool=callgrind` comparisons of the readers.
//!
//! `cargo run --release -p dgame-checker --example parse_time -- edn|jsonl [RUNS]`

use dgame_checker::generator::{GenConfig, generate};
use dgame_checker::{edn, jsonl};

fn main() {
    let format = std::env::args().nth(1).unwrap_or_else(|| "edn".into());
    let runs: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let h = generate(&GenConfig { clients: 4, ops: 100_000, ..GenConfig::default() });
    let text = if format == "edn" { edn::write(&h) } else { jsonl::write(&h) };
    let start = std::time::Instant::now();
    for _ in 0..runs {
        let n = if format == "edn" {
            edn::parse(&text).map(|h| h.len()).ok()
        } else {
            jsonl::parse(&text).map(|h| h.len()).ok()
        };
        assert_eq!(n, Some(h.len()));
    }
    println!("{format}: {:?} per parse", start.elapsed() / runs as u32);
}
