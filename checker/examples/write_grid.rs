//! Writes a history of `generator::grid()` to a file, EDN if its name ends in `.edn`, else
//! JSON lines, for measuring `dgame check` on it.
//!
//! `cargo run --release -p dgame-checker --example write_grid -- 4x100000 h.edn`

use dgame_checker::generator::{generate, grid};
use dgame_checker::{edn, jsonl};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(name), Some(file)) = (args.first(), args.get(1)) else {
        panic!("usage: write_grid NAME FILE");
    };
    let Some((_, config)) = grid().into_iter().find(|(n, _)| n == name) else {
        panic!("no grid history named {name}");
    };
    let h = generate(&config);
    let text = if file.ends_with(".edn") { edn::write(&h) } else { jsonl::write(&h) };
    std::fs::write(file, text).expect("the file can be written");
}
