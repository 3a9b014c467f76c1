//! **distributed-game**: write a replication algorithm as a [`Node`](prelude::Node), run it
//! among a gateway and clients over a network where every message takes time and may be lost,
//! and get the clients' history, every event, and (with the checker) a verdict.
//!
//! ```
//! use distributed_game::prelude::*;
//!
//! #[derive(Debug, Default)]
//! struct Register { value: Option<Value> }
//!
//! #[node]
//! impl Register {
//!     #[endpoint(ClientReadRequest)]
//!     fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
//!         ClientReadResponse::ok(self.value)
//!     }
//!     #[endpoint(ClientWriteRequest)]
//!     fn write(&mut self, req: ClientWriteRequest) -> ClientWriteResponse {
//!         self.value = Some(req.value);
//!         ClientWriteResponse::ok()
//!     }
//! }
//!
//! let mut world = World::<Register>::new(Config::builder().nodes(1).seed(3).build()?)?;
//! world.run()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate is the facade: [`engine`] is the simulator, [`checker`] the linearizability
//! checker, [`algorithms`] the sample algorithms. Its own modules, each depending only on
//! those before it:
//! - [`report`]: what a run produced and its report (operations, availability, latency,
//!   messages, drops, faults, verdict);
//! - [`web`]: the browser game (`dgame play`);
//! - [`registry`]: the algorithms a binary knows ([`registry::Algorithm`], [`registry::builtin`]);
//! - [`cli`]: the `dgame` command line, flags in and text out.

extern crate self as distributed_game;

pub use dgame_algorithms as algorithms;
pub use dgame_checker as checker;
pub use dgame_engine as engine;

/// The path the macros' generated code uses when a crate depends on `distributed-game` alone.
#[doc(hidden)]
pub use dgame_engine as __engine;

/// Everything a node's author needs: `use distributed_game::prelude::*;`.
pub mod prelude {
    pub use dgame_engine::prelude::*;
}

/// `eprintln!` that cannot panic: when standard error cannot be written (closed with `2>&-`,
/// `2>/dev/full`, a pipe whose reader left), what it says is lost, and the command goes on to
/// end with its own exit code instead of a panic's 101. Every message of this crate to
/// standard error goes through it.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
#[allow(unused_imports)] // (used by the modules below; none of them needs to import it)
pub(crate) use eprintln;

pub mod cli;
pub mod explore;
pub mod registry;
pub mod report;
pub mod watch;
pub mod web;

/// The README's Rust examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
