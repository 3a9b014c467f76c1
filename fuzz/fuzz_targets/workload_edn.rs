//! Any text given to `dgame check --workload` as EDN, for each of the broadcast, counter,
//! pn-counter and unique-ids readers: an error or a history, never a panic; a history it
//! accepts is checked, and what is written of it reads back equal.
#![no_main]

use distributed_game::checker::workload::detect::detect;
use distributed_game::checker::workload::{Format, WorkloadHistory, WorkloadKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = detect(data, Format::Edn);
    for kind in WorkloadKind::ALL {
        if let Ok(history) = WorkloadHistory::read(data, Format::Edn, kind) {
            let _ = history.check();
            // Written again, the operations are the ones read (clients that overlap their own
            // operations excepted: the format pairs events by process).
            let again = WorkloadHistory::read(history.write(Format::Edn).as_bytes(), Format::Edn, kind)
                .expect("what the EDN writer writes must read back");
            assert_eq!(again.len(), history.len());
        }
    }
});
