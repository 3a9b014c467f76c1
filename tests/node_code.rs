//! A user's node whose code outside its handlers panics, as `dgame run` and `dgame sweep` see
//! it: a constructor (`Default`) that panics as the world is made, or when a crashed node
//! restarts, is reported like a handler's panic (the same exit code, an error naming the node,
//! the tick and the seed, the command that reproduces it), and a sweep counts it per seed and
//! prints its summary. The test runs itself as the child process, to read what the command
//! line prints.

use std::cell::Cell;
use std::process::{Command, ExitCode, Output};

use distributed_game::cli::{Algorithm, main_from};
use distributed_game::prelude::*;

/// Its `Default` panics: no world of it can be made.
#[derive(Debug)]
struct Unbuildable;

impl Default for Unbuildable {
    fn default() -> Self {
        panic!("Unbuildable has no default")
    }
}

#[node]
impl Unbuildable {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(None)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, _: ClientWriteRequest) -> ClientWriteResponse {
        ClientWriteResponse::ok()
    }
}

thread_local! {
    /// How many `OnceOnly` nodes this thread has made: a world runs on one thread.
    static MADE: Cell<u64> = const { Cell::new(0) };
}

/// Its `Default` panics every third time on a thread: in a world of 2 nodes, 1 crash and 1
/// restart, that is at the restart, in every world.
#[derive(Debug)]
struct NoRestart;

impl Default for NoRestart {
    fn default() -> Self {
        let made = MADE.get() + 1;
        MADE.set(made);
        assert!(!made.is_multiple_of(3), "NoRestart cannot be rebuilt");
        NoRestart
    }
}

#[node]
impl NoRestart {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(None)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, _: ClientWriteRequest) -> ClientWriteResponse {
        ClientWriteResponse::ok()
    }
}

/// Panics in its write handler: what the others are compared with.
#[derive(Debug, Default)]
struct WritesPanic;

#[node]
impl WritesPanic {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(None)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, _: ClientWriteRequest) -> ClientWriteResponse {
        panic!("writes are not for me")
    }
}

const CHILD: &str = "DGAME_NODE_CODE_CHILD";

#[test]
fn child() {
    let Ok(args) = std::env::var(CHILD) else { return };
    let algorithms = vec![
        Algorithm::new::<Unbuildable>("unbuildable", "none"),
        Algorithm::new::<NoRestart>("no-restart", "none"),
        Algorithm::new::<WritesPanic>("writes-panic", "none"),
    ];
    let code = main_from(algorithms, args.split('\n'));
    for c in 0..=255u8 {
        if code == ExitCode::from(c) {
            std::process::exit(c.into());
        }
    }
}

/// `dgame ARGS` as the child process: its exit code, stdout, stderr.
fn dgame(args: &[&str]) -> (Option<i32>, String, String) {
    let out: Output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads", "1"])
        .env(CHILD, ["dgame"].iter().chain(args).copied().collect::<Vec<_>>().join("\n"))
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// The line `run` prints on standard error when the run stopped on an error.
fn stopped_line(stderr: &str) -> &str {
    stderr.lines().find(|l| l.starts_with("error: the run stopped: ")).unwrap_or_else(|| panic!("{stderr}"))
}

#[test]
fn a_constructor_that_panics_as_the_world_is_made_is_reported_like_a_handler_panic() {
    let (handler_code, handler_out, handler_err) =
        dgame(&["run", "--algorithm", "writes-panic", "--nodes", "2", "--seed", "5"]);
    let (code, out, err) = dgame(&["run", "--algorithm", "unbuildable", "--nodes", "2", "--seed", "5"]);
    assert_eq!(handler_code, Some(2), "{handler_out}{handler_err}");
    assert_eq!(code, handler_code, "the same exit code as a handler's panic: {out}{err}");
    assert!(stopped_line(&handler_err).contains("handler `write` of node"), "{handler_err}");
    let line = stopped_line(&err);
    assert!(
        line.contains("tick 0 (seed 5): node 1 (Unbuildable): its constructor")
            && line.contains("called to make the world")
            && line.contains("Unbuildable has no default"),
        "{err}"
    );
    assert!(err.contains("reproduce: dgame run --algorithm unbuildable"), "{err}");
    // The report is printed, as for any run that stopped.
    assert!(out.contains("Unbuildable has no default"), "{out}");
}

#[test]
fn a_constructor_that_panics_at_a_restart_is_reported_like_a_handler_panic() {
    let (code, out, err) = dgame(&[
        "run",
        "--algorithm",
        "no-restart",
        "--nodes",
        "2",
        "--seed",
        "6",
        "--fault",
        "crash n1@20",
        "--fault",
        "restart n1@40",
    ]);
    assert_eq!(code, Some(2), "{out}{err}");
    let line = stopped_line(&err);
    assert!(
        line.contains("tick 40 (seed 6): node 1 (NoRestart): its constructor")
            && line.contains("called to restart it")
            && line.contains("NoRestart cannot be rebuilt"),
        "{err}"
    );
}

#[test]
fn a_sweep_counts_panicking_constructors_per_seed_and_prints_its_summary() {
    let (code, out, err) =
        dgame(&["sweep", "--algorithm", "unbuildable", "--nodes", "2", "--seeds", "3..7", "--threads", "2"]);
    assert_eq!(code, Some(2), "errors exit 2: {out}{err}");
    assert!(out.contains("errors         4 (seeds 3, 4, 5, 6)"), "{out}");
    assert!(out.contains("by kind      node code panicked 4"), "{out}");
    assert!(out.contains("first        seed 3 (node code panicked): tick 0 (seed 3): node 1 (Unbuildable)"), "{out}");

    let (code, out, err) = dgame(&[
        "sweep",
        "--algorithm",
        "no-restart",
        "--nodes",
        "2",
        "--seeds",
        "0..4",
        "--threads",
        "2",
        "--fault",
        "crash n2@10",
        "--fault",
        "restart n2@30",
    ]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(out.contains("errors         4 (seeds 0, 1, 2, 3)"), "{out}");
    assert!(out.contains("first        seed 0 (node code panicked): tick 30 (seed 0): node 2 (NoRestart)"), "{out}");
}
