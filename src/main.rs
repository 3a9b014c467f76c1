//! `dgame`: see `dgame --help`, and the README.

/// A run allocates a payload, a future or a reply buffer for about every other message it
/// sends: mimalloc's small-object pools make that cheaper than the system allocator's bins.
/// Counted, so that a run that goes over `--memory-limit` stops with an error
/// (`cli::guard`) instead of running the machine out of memory.
#[global_allocator]
static ALLOCATOR: distributed_game::cli::guard::Counted<mimalloc::MiMalloc> =
    distributed_game::cli::guard::Counted(mimalloc::MiMalloc);

fn main() -> std::process::ExitCode {
    distributed_game::cli::main()
}
