//! What a newcomer on a fresh machine meets first: the toolchain pin, and the two commands at
//! the top of the README, which `.ci/run` must run as they are.

use std::path::Path;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// A version number in `rust-toolchain.toml` makes rustup download that release, which fails
/// on a machine whose rustup knows only `stable` (and has no internet): pin the channel, and
/// state the minimum in `Cargo.toml`.
#[test]
fn the_toolchain_is_pinned_by_channel_and_the_minimum_by_rust_version() {
    let toolchain: toml::Table = read("rust-toolchain.toml").parse().unwrap();
    let channel = toolchain["toolchain"]["channel"].as_str().unwrap();
    assert_eq!(channel, "stable", "rust-toolchain.toml must say channel = \"stable\"");
    let components = toolchain["toolchain"]["components"].as_array().unwrap();
    for needed in ["rustfmt", "clippy"] {
        assert!(components.iter().any(|c| c.as_str() == Some(needed)), "{needed} missing from components");
    }
    let manifest: toml::Table = read("Cargo.toml").parse().unwrap();
    assert_eq!(manifest["workspace"]["package"]["rust-version"].as_str(), Some("1.95"));
}

/// The README opens with the main job and the tests; CI runs the same test command.
#[test]
fn the_readme_opens_with_the_two_commands_and_ci_runs_the_second() {
    let readme = read("README.md");
    let block = readme.split("```sh\n").nth(1).and_then(|rest| rest.split("```").next()).unwrap();
    let commands: Vec<&str> =
        block.lines().map(|line| line.split('#').next().unwrap().trim()).filter(|c| !c.is_empty()).collect();
    assert_eq!(commands, ["cargo run --release", "cargo test --workspace"]);
    let ci = read(".ci/run");
    assert!(
        ci.lines().any(|line| line.trim() == "cargo test --workspace"),
        ".ci/run must run the README's test command"
    );
    assert!(!ci.contains("toolchain link"), ".ci/run must not need a toolchain of its own: a newcomer runs the README");
}
