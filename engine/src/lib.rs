//! The engine of **distributed-game**: a deterministic tick simulator in which a replication
//! algorithm, written as a [`Node`], runs among a gateway and clients over a network where
//! every message takes time and may be lost.
//!
//! ```
//! use dgame_engine::prelude::*;
//!
//! /// A single node that keeps the register: trivially linearizable.
//! #[derive(Debug, Default)]
//! struct Register {
//!     value: Option<Value>,
//! }
//!
//! #[node]
//! impl Register {
//!     #[endpoint(ClientReadRequest)]
//!     fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
//!         ClientReadResponse::ok(self.value)
//!     }
//!
//!     #[endpoint(ClientWriteRequest)]
//!     fn write(&mut self, req: ClientWriteRequest) -> ClientWriteResponse {
//!         self.value = Some(req.value);
//!         ClientWriteResponse::ok()
//!     }
//! }
//!
//! let config = Config::builder().nodes(1).clients(3).ticks(200).seed(42).build()?;
//! let mut world = World::<Register>::new(config)?;
//! let history = world.run()?;
//! assert!(history.operations.iter().all(|op| op.outcome != Outcome::Failed));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The map of the crate:
//! - [`World`]: builds a world from a [`Config`] and runs it tick by tick.
//! - [`Node`], [`Ctx`], [`AsyncCtx`]: what a node is and what its handlers can do; the futures of
//!   [`wait`] for waiting on replies.
//! - [`message`]: the [`Message`] trait and the register's client protocol; [`workload`]: the
//!   other workloads' protocols, and [`Sessions`] for answering each request once.
//! - [`event`]: the event stream for viewers and traces.
//! - [`history`]: the clients' operations, the checker's input.
//! - [`fault`]: faults, scheduled or random ([`Nemesis`]), applied with [`World::apply`].
//! - [`watchdog`]: a wall-clock watchdog for handlers that never return (opt-in, on its own
//!   thread).
#![deny(clippy::await_holding_refcell_ref)]
#![warn(missing_docs)]

extern crate self as dgame_engine;

mod apply;
mod catch;
pub mod chooser;
mod client;
mod command_line;
pub mod config;
mod error;
pub mod event;
mod executor;
pub mod fault;
mod gateway;
pub mod history;
pub mod ids;
mod inspect;
pub mod message;
mod network;
mod node;
mod rng;
mod shared;
pub mod wait;
pub mod watchdog;
pub mod workload;
mod world;

pub use chooser::{Adversary, Choice, Fate, Script, SignalInfo};
pub use config::{
    ClientKind, ClockRate, Config, ConfigBuilder, ConfigError, Cut, Delay, InvalidValue, LinkDelay, ValueMode,
};
pub use dgame_macros::{Message, endpoint, init, node, timer};
pub use error::{RunError, WorldError};
pub use event::{DropReason, Event, EventKind, EventLog, Interest, Observer, OwnedEvent, SharedObserver, SignalKind};
pub use executor::NodeStatus;
pub use fault::{Fault, FaultKind, FaultModel, Nemesis, NemesisKind, Scheduled};
pub use history::{History, OpCounts, OpKind, Operation, Outcome};
pub use ids::{ClientId, NodeId, RequestId, ServerId, SignalId, Tick, Value};
pub use message::{
    Ack, ClientReadRequest, ClientReadResponse, ClientWriteRequest, ClientWriteResponse, LeaderNotification, Message,
    Payload, Status,
};
pub use network::{InFlight, Stats};
pub use node::{AsyncCtx, Badge, Ctx, Node};
pub use wait::{Partial, Replies, Timeout};
pub use workload::{
    BroadcastReadRequest, BroadcastReadResponse, BroadcastRequest, CounterAddRequest, CounterReadRequest,
    CounterReadResponse, GenerateRequest, GenerateResponse, Key, KvCasRequest, KvReadRequest, KvWriteRequest, Seen,
    Sessions, Workload,
};
pub use world::World;

#[doc(hidden)]
pub use node::{__private, Action, Handled, TimerSpec};

/// Everything a node's author needs: `use dgame_engine::prelude::*;`.
pub mod prelude {
    pub use crate::workload::{
        BroadcastReadRequest, BroadcastReadResponse, BroadcastRequest, CounterAddRequest, CounterReadRequest,
        CounterReadResponse, GenerateRequest, GenerateResponse, Key, KvCasRequest, KvReadRequest, KvWriteRequest, Seen,
        Sessions, Workload,
    };
    pub use crate::{
        Ack, AsyncCtx, Badge, ClientId, ClientKind, ClientReadRequest, ClientReadResponse, ClientWriteRequest,
        ClientWriteResponse, Config, Ctx, Delay, Fault, FaultKind, FaultModel, History, LeaderNotification, Message,
        Nemesis, NemesisKind, Node, NodeId, OpKind, Outcome, Partial, Replies, RequestId, RunError, Scheduled,
        ServerId, Status, Tick, Timeout, Value, World, endpoint, init, node, timer,
    };
}
