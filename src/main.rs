//! `dgame`: see `dgame --help`, and the README.

/// A run allocates a payload, a future or a reply buffer for about every other message it
/// sends: mimalloc's small-object pools make that cheaper than the system allocator's bins.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    distributed_game::cli::main()
}
