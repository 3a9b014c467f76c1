//! The one place the game uses what the command line's modules provide today: the verdict and
//! latency reports and the reproduction command. They are moving (`crate::report`,
//! `Config::command_line`); when they have, only this file changes.

pub(crate) use crate::cli::{Latency, VerdictReport};

/// The command that replays `config` with `algorithm`, as `program` is called.
pub(crate) fn command_line(_program: &str, algorithm: &str, config: &dgame_engine::Config) -> String {
    // Today's `command_line` knows the program's name by itself (`cli::set_program`).
    crate::cli::command_line(algorithm, config)
}
