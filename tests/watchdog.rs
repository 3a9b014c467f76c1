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

/// One HTTP exchange on a connection of its own: the status and the body as JSON (or as a
/// string when it is not JSON).
fn http(addr: &str, method: &str, path: &str, body: Option<&str>) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    // Far beyond an answer's time: a hung server fails the test instead of hanging it.
    s.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let request = match body {
        Some(b) => format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
            b.len()
        ),
        None => format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    };
    s.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or_else(|| panic!("{response:?}"));
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("{head}"));
    let json = serde_json::from_str(body).unwrap_or_else(|_| serde_json::Value::String(body.to_owned()));
    (status, json)
}

/// Kills the child when the test ends, however it ends.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_stuck_handler_in_play_halts_the_game_with_a_clear_error_and_the_server_answers_on() {
    use std::io::BufRead;
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads", "1"])
        .env(CHILD, "dgame play --port 0 --paused --nodes 2 --client-kind write --seed 4 --handler-budget 0.5")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let mut lines = std::io::BufReader::new(child.0.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("the game starts and says where").unwrap();
        if let Some(url) = line.split("dgame play: spinner on http://").nth(1) {
            break url.trim_end_matches('/').to_owned();
        }
    };
    let step = || http(&addr, "POST", "/api/step", Some("{}"));
    // Tick by tick, until the first write reaches node 1, whose handler never returns.
    let (status, answer) = (0..100).map(|_| step()).find(|(status, _)| *status != 200).expect("a write arrives");
    assert_eq!(status, 503, "{answer}");
    let error = answer["error"].as_str().unwrap_or_else(|| panic!("{answer}"));
    assert!(error.starts_with("the game has stopped: tick "), "{error}");
    assert!(error.contains("handler `write` of node 1 (Spinner) has not returned after"), "{error}");
    assert!(error.contains("--handler-budget"), "{error}");

    // The server answers on: the state says why the game stopped, as the page shows it.
    let (status, state) = http(&addr, "GET", "/api/state", None);
    assert_eq!(status, 200, "{state}");
    let shown = state["error"].as_str().unwrap_or_else(|| panic!("{state}"));
    assert!(shown.contains("handler `write` of node 1 (Spinner) has not returned"), "{shown}");
    assert_eq!((&state["running"], &state["finished"]), (&serde_json::json!(false), &serde_json::json!(true)));
    assert_eq!(state["verdict"]["verdict"], "error", "{state}");
    let logged = state["log"].as_array().unwrap().last().unwrap();
    assert_eq!(logged["kind"], "error", "{logged}");
    // Commands are refused at once with the same reason, and the page is still served.
    for command in ["/api/step", "/api/resume", "/api/back"] {
        let (status, answer) = http(&addr, "POST", command, Some("{}"));
        assert_eq!(status, 503, "{command}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains("handler `write` of node 1"), "{command}: {answer}");
    }
    let (status, page) = http(&addr, "GET", "/", None);
    assert_eq!(status, 200, "{page}");
    assert_eq!(http(&addr, "GET", "/api/state", None).1["tick"], state["tick"], "the game stays where it stopped");
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
