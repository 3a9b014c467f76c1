//! A handler that loops forever without waiting: the command line's watchdog stops the process
//! with a report naming the node, the handler, the tick and the seed, and exit code 2, instead
//! of hanging silently. The test runs itself as the child process (a stuck handler cannot be
//! stopped inside a test's own process).

use std::process::Command;

use distributed_game::cli::{Algorithm, main_from};
use distributed_game::prelude::*;

/// Answers reads, and spins forever on the first write.
#[derive(Debug, Default)]
struct Spinner {
    spins: u64,
}

#[node]
impl Spinner {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(None)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, _: ClientWriteRequest) -> ClientWriteResponse {
        loop {
            self.spins = std::hint::black_box(self.spins.wrapping_add(1));
        }
    }
}

const CHILD: &str = "DGAME_WATCHDOG_CHILD";

#[test]
fn child() {
    let Ok(args) = std::env::var(CHILD) else { return };
    let algorithms = vec![Algorithm::new::<Spinner>("spinner", "none")];
    let code = main_from(algorithms, args.split(' '));
    if code == std::process::ExitCode::from(2) {
        std::process::exit(2); // a usage error, reported on stderr
    }
    panic!("the run returned {code:?} instead of being stopped by the watchdog");
}

fn run_child(args: &str) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads", "1"])
        .env(CHILD, args)
        .output()
        .unwrap()
}

#[test]
fn a_handler_that_never_returns_is_reported_and_the_process_exits_2() {
    for command in [
        "dgame run --client-kind write --seed 5 --handler-budget 0.5",
        "dgame sweep --seeds 0..10 --client-kind write --handler-budget 0.5",
    ] {
        let out = run_child(command);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        assert!(stderr.contains("handler `write` of node 1 (Spinner)"), "{command}: {stderr}");
        assert!(stderr.contains("has not returned after"), "{command}: {stderr}");
        assert!(stderr.contains("--handler-budget"), "{command}: {stderr}");
    }
}

#[test]
fn a_sweep_counts_a_stuck_handler_as_its_seeds_error_and_prints_its_summary() {
    // One thread: seed 3 gets stuck, and the seeds after it are not started.
    let out = run_child("dgame sweep --seeds 3..10 --threads 1 --client-kind write --handler-budget 0.5");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "the sweep's exit code for errors: {stdout}{stderr}");
    assert!(stdout.contains("spinner: 1 seeds in"), "{stdout}");
    assert!(
        stdout
            .contains("STOPPED        at seed 3, whose handler `write` of node 1 never returned: 6 of 7 seeds not run"),
        "{stdout}"
    );
    assert!(stdout.contains("errors         1 (seeds 3)"), "{stdout}");
    assert!(stdout.contains("by kind      handler never returned 1"), "{stdout}");
    let first = stdout.lines().find(|l| l.contains("first        seed 3")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        first.contains("(handler never returned): tick")
            && first.contains("(seed 3): handler `write` of node 1 (Spinner) has not returned after")
            && first.contains("--handler-budget"),
        "{first}"
    );
    assert!(stdout.contains("reproduce any seed: dgame run --algorithm spinner"), "{stdout}");
    assert!(stderr.contains("error: seed 3: tick"), "said at once, too: {stderr}");

    // Two threads: every seed that started is counted (each gets stuck), and JSON says so.
    let out = run_child("dgame sweep --seeds 0..50 --threads 2 --client-kind write --handler-budget 0.5 --json");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    // The test harness of the child writes around it.
    let json = stdout.find('{').and_then(|a| Some(&stdout[a..=stdout.rfind('}')?])).unwrap_or_default();
    let summary: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let errors = summary["errors"]["count"].as_u64().unwrap();
    assert!((1..=2).contains(&errors), "{summary}");
    assert_eq!(summary["seeds_run"].as_u64(), Some(errors), "{summary}");
    assert_eq!(summary["errors_by_kind"]["handler never returned"].as_u64(), Some(errors), "{summary}");
    assert!(summary["stopped"].as_str().is_some_and(|s| s.contains("never returned")), "{summary}");
}

#[test]
fn a_bad_budget_is_refused() {
    let out = run_child("dgame run --handler-budget -3");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--handler-budget"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
