//! `dgame play`: the game in the browser.
//!
//! One simulation runs natively on a thread of its own (a [`World`](dgame_engine::World) is
//! not `Send`), ticking at the chosen speed. An [axum](https://docs.rs/axum) server on a small
//! tokio runtime serves the page (HTML, CSS and JavaScript embedded in the binary: no CDN, no
//! build step), a JSON API to look and to intervene, and a Server-Sent Events stream that sends
//! every tab the state once, then only what changed. Every intervention (a dropped signal, a
//! crashed node) is recorded as a fault at the tick it acts from, so the command line shown on
//! the page replays the game, clicks included; since a run is deterministic, the game can also
//! be rewound to any past tick and, by acting there, forked. The API is documented in
//! `docs/PLAY.md`.
//!
//! ```no_run
//! use distributed_game::engine::Config;
//! use distributed_game::web::{Game, PlayOptions, Server, run_game};
//! # use distributed_game::prelude::*;
//! # #[derive(Debug, Default)] struct MyNode;
//! # #[node] impl MyNode {
//! #   #[endpoint(ClientReadRequest)] fn r(&mut self, _: ClientReadRequest) -> ClientReadResponse { ClientReadResponse::ok(None) }
//! #   #[endpoint(ClientWriteRequest)] fn w(&mut self, _: ClientWriteRequest) -> ClientWriteResponse { ClientWriteResponse::ok() }
//! # }
//!
//! let game = Game { name: "my-node", guarantee: "none", fault_model: "", start: run_game::<MyNode> };
//! let server = Server::start(&game, Config::default(), &PlayOptions::default())?;
//! println!("open {}", server.url());
//! server.wait();
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The map of the module:
//! - `server`: the runtime, the listener and [`Server`];
//! - `api`: the routes, the guards (Host, Origin, content type), the JSON commands and errors;
//! - `game`: the simulation thread, its loop, its commands, time travel;
//! - `record`: what the game thread remembers of a run (the log, the messages, the faults);
//! - `state`: what the page sees of a world, as JSON;
//! - `patch`: the difference between two states, which is what the stream sends;
//! - `hub`: the latest state, handed to the streams;
//! - `hooks`, `compat`: the two places that stand in for code another module will provide;
//! - `page/`: the page itself.

mod api;
mod compat;
mod game;
mod hooks;
mod hub;
mod patch;
mod record;
mod server;
mod state;

use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;
use std::time::Duration;

use dgame_engine::Config;

pub use game::{GameSetup, run_game};
pub use server::Server;

/// The fastest the game ticks, in ticks per second.
pub const MAX_SPEED: f64 = 100.0;
/// The slowest the game ticks, in ticks per second.
pub const MIN_SPEED: f64 = 0.1;

/// How long a client has, by default, to send a request's head, then its body
/// ([`PlayOptions::request_timeout`]).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A game that can be played: an algorithm's name, its promise, and the function that plays
/// it on the calling thread (a world is not `Send`), usually [`run_game::<N>`](run_game).
#[derive(Debug, Clone, Copy)]
pub struct Game {
    /// Its name (`--algorithm NAME`).
    pub name: &'static str,
    /// What it promises, in one line.
    pub guarantee: &'static str,
    /// Under which faults (may be empty).
    pub fault_model: &'static str,
    /// Plays the game.
    pub start: fn(GameSetup),
}

/// How to serve a game.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayOptions {
    /// The game's configuration (validated before serving).
    pub config: Config,
    /// The address to listen on (127.0.0.1: this machine only).
    pub addr: IpAddr,
    /// The port (0: any free port; [`Server::url`] tells which).
    pub port: u16,
    /// Ticks per second.
    pub speed: f64,
    /// Start paused (at tick 0) instead of running.
    pub paused: bool,
    /// The program's name in the command that replays a game (`dgame`).
    pub program: String,
    /// How long a client has to send a request's head once it has started one, and then its
    /// body once the head has arrived (10 s): a slow or silent one is answered 408 (or, for a
    /// head, closed) and costs nothing after.
    pub request_timeout: Duration,
}

impl Default for PlayOptions {
    fn default() -> Self {
        PlayOptions {
            config: Config::default(),
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            speed: 5.0,
            paused: false,
            program: "dgame".to_owned(),
            request_timeout: REQUEST_TIMEOUT,
        }
    }
}

/// `dgame play`: serves the first of `games` with `options` until the process is stopped.
/// A configuration or an address that does not work is reported on standard error, exit code 2.
pub fn play(games: &[Game], options: PlayOptions) -> ExitCode {
    let fail = |msg: String| {
        eprintln!("error: {msg}");
        ExitCode::from(2)
    };
    let Some(game) = games.first() else {
        return fail("no game to play".to_owned());
    };
    let server = match Server::start(game, options.config.clone(), &options) {
        Ok(s) => s,
        Err(e) => {
            let hint = match e.kind() {
                std::io::ErrorKind::AddrInUse => "try another --port",
                std::io::ErrorKind::AddrNotAvailable => {
                    "--addr must be an address of this machine: 127.0.0.1 (the default), or 0.0.0.0 for all"
                }
                std::io::ErrorKind::PermissionDenied => "ports below 1024 need more rights: try --port 8080",
                _ => "try another --port or --addr",
            };
            return fail(format!("cannot serve on {}:{}: {e} ({hint})", options.addr, options.port));
        }
    };
    // Tests read the first line to find the port; keep its shape. Nobody can find the game
    // when it cannot be said where it is (`> /dev/full`, a closed pipe): stop, as the other
    // commands do when their output cannot be written.
    let banner = format!("dgame play: {} on {}\nopen it in a browser; Ctrl-C stops\n", game.name, server.url());
    let written = {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        out.write_all(banner.as_bytes()).and_then(|()| out.flush())
    };
    if let Err(e) = written {
        drop(server);
        return fail(format!("cannot write the output: {e}"));
    }
    server.wait();
    ExitCode::SUCCESS
}
