//! `dgame play` end to end, in a real headless Chromium driven by `playwright-core`
//! (`tests/e2e/play.mjs`): the page draws the nodes, signals move, a click drops a signal,
//! space pauses, a step runs one tick and Back goes one back, the timeline seeks, acting in the
//! past forks, an operation jumps to its tick, the diagram lights an operation's messages and a
//! violation's, a node's state reads as a tree (a Raft log as rows of entries), the layout holds at 1366x768 and 1024x768, and
//! the frame rates at 5 nodes and at 25 nodes are printed. It saves the screenshot
//! `docs/play.png`.
//!
//! It needs Debian's `chromium` (or `CHROMIUM=/path`), `node`, and `npm ci` run in `tests/e2e`.
//! Without them it skips with a message, unless `CI=true`, where it fails.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Kills the child process when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn missing_tools(e2e: &Path, chromium: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    if !chromium.exists() {
        missing.push(format!(
            "{} (install it: `apt-get install -y --no-install-recommends chromium`, or set CHROMIUM)",
            chromium.display()
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("node (Node.js 18 or later)".to_owned());
    }
    if !e2e.join("node_modules/playwright-core/package.json").exists() {
        missing.push(format!("playwright-core (run `npm ci` in {})", e2e.display()));
    }
    missing
}

/// Starts `dgame play` with `args` on a free port; returns it and its URL.
fn start(args: &[&str]) -> (Killed, String) {
    let mut dgame = Killed(
        Command::new(env!("CARGO_BIN_EXE_dgame"))
            .arg("play")
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("dgame play starts"),
    );
    // `dgame play` prints its URL first; read it on a thread so a silent server cannot hang us.
    let stdout = dgame.0.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(line)) = lines.next() {
            let _ = tx.send(line);
        }
        for _ in lines {}
    });
    let line = rx.recv_timeout(Duration::from_secs(30)).expect("dgame play prints its URL");
    let url =
        line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("no URL in `{line}`"));
    (dgame, url.to_owned())
}

#[test]
fn the_page_plays_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let e2e = root.join("tests/e2e");
    let chromium = PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned()));
    let missing = missing_tools(&e2e, &chromium);
    if !missing.is_empty() {
        let msg = format!("the browser test needs: {}", missing.join("; "));
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("SKIPPED the_page_plays_in_headless_chromium: {msg}");
        return;
    }

    // Three games: the one a player plays, a big one for the frame rate, and a broken one.
    let abd = ["--algorithm", "abd", "--nodes", "5", "--seed", "7", "--clients", "3", "--speed", "5"];
    let big = [
        "--algorithm",
        "raft",
        "--nodes",
        "25",
        "--clients",
        "20",
        "--delay",
        "4..12",
        "--seed",
        "1",
        "--speed",
        "100",
        "--paused",
    ];
    let bug = [
        "--algorithm",
        "single-client-versioned-majority",
        "--clients",
        "3",
        "--seed",
        "11",
        "--speed",
        "100",
        "--paused",
    ];
    let servers: Vec<(Killed, String)> = [&abd[..], &big[..], &bug[..]].iter().map(|args| start(args)).collect();
    let urls: Vec<&str> = servers.iter().map(|(_, url)| url.as_str()).collect();

    let screenshot = root.join("docs/play.png");
    let mut node = Killed(
        Command::new("node")
            .arg("play.mjs")
            .args(&urls)
            .arg(&screenshot)
            .current_dir(&e2e)
            .env("CHROMIUM", &chromium)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node starts"),
    );
    // Drain its output on threads, so a chatty failure cannot fill a pipe and stall it.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let out = drain(node.0.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err = drain(node.0.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = node.0.try_wait().expect("waits for node") {
            break status;
        }
        assert!(Instant::now() < deadline, "the browser test took more than 5 minutes");
        std::thread::sleep(Duration::from_millis(100));
    };
    let (out, err) = (out.join().unwrap_or_default(), err.join().unwrap_or_default());
    println!("{out}");
    drop(servers);
    assert!(status.success(), "the browser test failed ({status}):\n{out}\n{err}");
    assert!(out.contains("ok - the page logged no errors"), "{out}");
    assert!(screenshot.exists());
}
