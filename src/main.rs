//! `dgame`: see `dgame --help`, and the README.

fn main() -> std::process::ExitCode {
    distributed_game::cli::main()
}
