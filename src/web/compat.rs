//! The one place the game uses what the neutral modules provide: the verdict and latency
//! reports (`crate::report`) and the reproduction command (`Config::command_line`).

pub(crate) use crate::report::{Latency, VerdictReport};

/// The command that replays `config` with `algorithm`, as `program` is called.
pub(crate) fn command_line(program: &str, algorithm: &str, config: &dgame_engine::Config) -> String {
    config.command_line(program, algorithm)
}
