//! Any text given to `--config`: an error naming the key, or a configuration that runs. Runs
//! are kept short (few ticks, few servers) so that the fuzzer explores the configuration, not
//! the simulation; build with `-a` so that tick arithmetic is overflow-checked.
#![no_main]

use distributed_game::algorithms::Abd;
use distributed_game::engine::{Config, World};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(mut config) = Config::from_toml(text) else { return };
    config.ticks = config.ticks.min(300);
    config.nodes = config.nodes.min(7);
    config.clients = config.clients.min(5);
    if config.validate().is_err() {
        return;
    }
    if let Ok(mut world) = World::<Abd>::new(config) {
        let _ = world.run();
    }
});
