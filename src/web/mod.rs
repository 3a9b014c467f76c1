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
//! use distributed_game::cli::builtin;
//! use distributed_game::engine::Config;
//! use distributed_game::web::{PlayOptions, Server};
//!
//! let abd = builtin().into_iter().find(|a| a.name == "abd").unwrap();
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

pub(crate) use game::{GameSetup, run_game};
pub use server::Server;

use crate::cli::{Algorithm, RunArgs};

/// The fastest the game ticks, in ticks per second.
pub const MAX_SPEED: f64 = 100.0;
/// The slowest the game ticks, in ticks per second.
pub const MIN_SPEED: f64 = 0.1;

/// How to serve a game.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayOptions {
    /// The address to listen on (127.0.0.1: this machine only).
    pub addr: IpAddr,
    /// The port (0: any free port; [`Server::url`] tells which).
    pub port: u16,
    /// Ticks per second.
    pub speed: f64,
    /// Start paused (at tick 0) instead of running.
    pub paused: bool,
}

impl Default for PlayOptions {
    fn default() -> Self {
        PlayOptions { addr: IpAddr::V4(Ipv4Addr::LOCALHOST), port: 8080, speed: 5.0, paused: false }
    }
}

/// The flags of `dgame play`: the run's, and where to serve.
#[derive(Debug, Clone, clap::Args)]
pub struct PlayArgs {
    /// The run: the same flags as `dgame run`.
    #[command(flatten)]
    pub run: RunArgs,
    /// The port to serve on (0: any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// The address to listen on. The default serves this machine only; `0.0.0.0` serves
    /// anyone who can reach it, and anyone can then drop signals and crash nodes.
    #[arg(long, default_value = "127.0.0.1")]
    pub addr: IpAddr,
    /// Ticks per second at the start (the page can change it).
    #[arg(long, default_value_t = 5.0, value_parser = parse_speed)]
    pub speed: f64,
    /// Start paused at tick 0.
    #[arg(long)]
    pub paused: bool,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (MIN_SPEED..=MAX_SPEED).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a speed: write ticks per second between {MIN_SPEED} and {MAX_SPEED}, like 5")),
    }
}

/// `dgame play`: serves the game until the process is stopped.
pub fn play(algorithms: &[Algorithm], args: &PlayArgs) -> ExitCode {
    let fail = |msg: String| {
        eprintln!("error: {msg}");
        ExitCode::from(2)
    };
    let algorithm = match crate::cli::choose(algorithms, args.run.algorithm.as_deref()) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let config = match args.run.to_config() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let options = PlayOptions { addr: args.addr, port: args.port, speed: args.speed, paused: args.paused };
    let server = match Server::start(algorithm, config, &options) {
        Ok(s) => s,
        Err(e) => return fail(format!("cannot listen on {}:{}: {e} (try another --port)", args.addr, args.port)),
    };
    // Tests read this line to find the port; keep its shape.
    println!("dgame play: {} on {}", algorithm.name, server.url());
    println!("open it in a browser; Ctrl-C stops");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    server.wait();
    ExitCode::SUCCESS
}
