//! `dgame play`: the game in the browser.
//!
//! One simulation runs natively on a thread of its own (a [`World`](dgame_engine::World) is
//! not `Send`), ticking at the chosen speed. A small HTTP server on the standard library's
//! sockets serves the page (HTML, CSS and JavaScript embedded in the binary: no CDN, no build
//! step), a JSON API to look and to intervene, and a Server-Sent Events stream that pushes the
//! whole state after every tick to every tab watching. Every intervention (a dropped signal, a
//! crashed node) is recorded as a fault at the tick it landed on, so the command line shown on
//! the page replays the game, clicks included. The API is documented in `docs/PLAY.md`.
//!
//! ```no_run
//! use distributed_game::registry::builtin;
//! use distributed_game::engine::Config;
//! use distributed_game::web::{PlayOptions, Server};
//!
//! let abd = builtin().into_iter().find(|a| a.name == "abd").unwrap().game();
//! let server = Server::start(&abd, Config::default(), &PlayOptions::default())?;
//! println!("open {}", server.url());
//! server.wait();
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The map of the module:
//! - `server`: the listener, one thread per connection, [`Server`];
//! - `http`: reading a request and writing a response, nothing more;
//! - `api`: the routes, the JSON commands and their errors;
//! - `game`: the simulation thread, its loop and its commands;
//! - `state`: what the page sees of a world, as JSON;
//! - `hub`: the latest state and the streams of the tabs watching;
//! - `page/`: the page itself.

mod api;
mod game;
mod http;
mod hub;
mod server;
mod state;

use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;

use dgame_engine::Config;

pub use game::{GameSetup, run_game};
pub use server::Server;

/// The fastest the game ticks, in ticks per second.
pub const MAX_SPEED: f64 = 100.0;
/// The slowest the game ticks, in ticks per second.
pub const MIN_SPEED: f64 = 0.1;

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
        }
    }
}

/// The program's name in the commands the page shows, set by [`play`].
static PROGRAM: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub(crate) fn program() -> &'static str {
    PROGRAM.get().map_or("dgame", String::as_str)
}

/// `dgame play`: serves the first of `games` until the process is stopped.
pub fn play(games: &[Game], options: PlayOptions) -> ExitCode {
    let fail = |msg: String| {
        eprintln!("error: {msg}");
        ExitCode::from(2)
    };
    let Some(game) = games.first() else {
        return fail("no game to play".to_owned());
    };
    let _ = PROGRAM.set(options.program.clone());
    let server = match Server::start(game, options.config.clone(), &options) {
        Ok(s) => s,
        Err(e) => {
            return fail(format!("cannot listen on {}:{}: {e} (try another --port)", options.addr, options.port));
        }
    };
    // Tests read this line to find the port; keep its shape.
    println!("dgame play: {} on {}", game.name, server.url());
    println!("open it in a browser; Ctrl-C stops");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    server.wait();
    ExitCode::SUCCESS
}
