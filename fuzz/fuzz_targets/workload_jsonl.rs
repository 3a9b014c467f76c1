//! Any text given to `dgame check --workload` as JSON lines, for each workload beyond the
//! register: an error or a history, never a panic; a history it accepts is checked and reads
//! back equal from what is written of it.
#![no_main]

use distributed_game::checker::workload::detect::detect;
use distributed_game::checker::workload::{Format, WorkloadHistory, WorkloadKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = detect(data, Format::Jsonl);
    for kind in WorkloadKind::ALL {
        if let Ok(history) = WorkloadHistory::read(data, Format::Jsonl, kind) {
            let _ = history.check();
            let again = WorkloadHistory::read(history.write(Format::Jsonl).as_bytes(), Format::Jsonl, kind)
                .expect("what the JSON-lines writer writes must read back");
            assert_eq!(again, history);
        }
    }
});
