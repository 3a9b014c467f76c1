//! Any text given to `dgame check` as Jepsen EDN: an error or a history, never a panic; a
//! history it accepts is checked within a small budget.
#![no_main]

use distributed_game::checker::{Options, check, edn};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(history) = edn::parse(&text) {
        let _ = check(&history, &Options::default().max_steps(Some(10_000)));
        // What we write, we read back.
        let again = edn::parse(&edn::write(&history)).expect("edn::write output must parse");
        assert_eq!(again.ops.len(), history.ops.len());
    }
});
