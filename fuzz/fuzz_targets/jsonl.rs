//! Any text given to `dgame check` as JSON lines: an error or a history, never a panic; a
//! history it accepts is checked within a small budget and round-trips.
#![no_main]

use distributed_game::checker::{Options, check, jsonl};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(history) = jsonl::parse(&text) {
        let _ = check(&history, &Options::default().max_steps(Some(10_000)));
        let again = jsonl::parse(&jsonl::write(&history)).expect("jsonl::write output must parse");
        assert_eq!(again.ops.len(), history.ops.len());
    }
});
