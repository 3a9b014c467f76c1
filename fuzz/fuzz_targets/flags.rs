//! Any command line of `dgame run` flags: clap's error or ours, or a configuration that
//! validates; never a panic.
#![no_main]

use clap::Parser;
use distributed_game::cli::RunArgs;
use libfuzzer_sys::fuzz_target;

#[derive(Parser)]
struct Flags {
    #[command(flatten)]
    run: RunArgs,
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let args = std::iter::once("dgame").chain(text.split(['\n', ' ', '\0']).filter(|a| !a.is_empty()).take(32));
    if let Ok(flags) = Flags::try_parse_from(args) {
        if let Ok(config) = flags.run.to_config() {
            let _ = config.validate();
        }
    }
});
