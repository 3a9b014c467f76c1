//! Errors that stop a run.

use crate::ids::{NodeId, ServerId, Tick};

/// Why a run stopped early. The world keeps the error: every later tick returns it again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// A message reached a server that has no endpoint for its type.
    #[error(
        "tick {tick} (seed {seed}): {server} ({server_type}) has no endpoint for `{message_type}` (sent by {from}: {message}); \
         add a method with `#[endpoint({message_type})]` to {server_type}'s `#[node]` impl, or stop sending it there"
    )]
    NoEndpoint {
        /// When.
        tick: Tick,
        /// The run's seed.
        seed: u64,
        /// Where the message arrived.
        server: ServerId,
        /// What that server is (the node type, `Gateway` or `Client`).
        server_type: String,
        /// The message's type.
        message_type: String,
        /// The message, formatted with `Debug`.
        message: String,
        /// Who sent it.
        from: ServerId,
    },
    /// A handler panicked.
    #[error("tick {tick} (seed {seed}): handler `{endpoint}` of {node} ({node_type}) panicked: {message}")]
    HandlerPanicked {
        /// When.
        tick: Tick,
        /// The run's seed.
        seed: u64,
        /// Which node.
        node: NodeId,
        /// The node type.
        node_type: String,
        /// The endpoint or timer method.
        endpoint: String,
        /// The panic's message.
        message: String,
    },
    /// A node's code outside its handlers panicked: its constructor (`Default`, or the closure
    /// given to [`World::with_nodes`](crate::World::with_nodes)) called to make the world (the
    /// run stops before its first tick, at tick 0) or to restart the node, or the `Debug` of its
    /// state, formatted for an observer or an inspection.
    #[error("tick {tick} (seed {seed}): {node} ({node_type}): {what} panicked: {message}")]
    NodeCodePanicked {
        /// When.
        tick: Tick,
        /// The run's seed.
        seed: u64,
        /// Which node.
        node: NodeId,
        /// The node type.
        node_type: String,
        /// What of the node's code ran: [`RunError::CONSTRUCTOR_AT_START`],
        /// [`RunError::CONSTRUCTOR`] or [`RunError::STATE_DEBUG`].
        what: String,
        /// The panic's message.
        message: String,
    },
    /// A node's turn made more handler runs and polls than
    /// [`Config::turn_budget`](crate::Config::turn_budget) allows: a handler loops without end.
    #[error(
        "tick {tick} (seed {seed}): handler `{endpoint}` of {node} ({node_type}) ran past the turn budget (too many \
         handler runs and waits in one turn): it probably loops forever on a wait that is ready at once, like \
         `cx.sleep(0)`; raise `turn_budget` if the work is real"
    )]
    TurnBudgetExceeded {
        /// When.
        tick: Tick,
        /// The run's seed.
        seed: u64,
        /// Which node.
        node: NodeId,
        /// The node type.
        node_type: String,
        /// The endpoint or timer method running when the budget ran out.
        endpoint: String,
    },
    /// A message was sent to a server that does not exist.
    #[error(
        "tick {tick} (seed {seed}): {from} sent `{message_type}` to {to}, which does not exist (there are {nodes} nodes and {clients} clients)"
    )]
    NoSuchServer {
        /// When.
        tick: Tick,
        /// The run's seed.
        seed: u64,
        /// The sender.
        from: ServerId,
        /// The missing recipient.
        to: ServerId,
        /// The message's type.
        message_type: String,
        /// How many nodes there are.
        nodes: usize,
        /// How many clients there are.
        clients: usize,
    },
    /// A scheduled fault could not be applied.
    #[error("tick {tick} (seed {seed}): the scheduled fault `{fault}` cannot be applied: {reason}")]
    InvalidFault {
        /// When.
        tick: Tick,
        /// The run's seed.
        seed: u64,
        /// The fault, as written in a schedule.
        fault: String,
        /// Why not.
        reason: String,
    },
    /// An invariant declared with [`World::invariant`](crate::World::invariant) did not hold
    /// at the end of a tick.
    #[error("tick {tick} (seed {seed}): the invariant \"{invariant}\" is broken: {message}")]
    InvariantBroken {
        /// The tick at whose end it did not hold.
        tick: Tick,
        /// The run's seed.
        seed: u64,
        /// Its name.
        invariant: String,
        /// What the invariant said was wrong.
        message: String,
        /// Every node's state then (`n1: ...`, with `Debug`), in id order.
        states: Vec<String>,
    },
}

impl RunError {
    /// [`RunError::NodeCodePanicked`]'s `what` when the node's constructor panicked as the
    /// world was made (the run stops before its first tick).
    pub const CONSTRUCTOR_AT_START: &'static str =
        "its constructor (`Default`, or the closure given to `World::with_nodes`) called to make the world";
    /// [`RunError::NodeCodePanicked`]'s `what` when the node's constructor panicked at a restart.
    pub const CONSTRUCTOR: &'static str =
        "its constructor (`Default`, or the closure given to `World::with_nodes`) called to restart it";
    /// [`RunError::NodeCodePanicked`]'s `what` when the `Debug` of the node's state panicked.
    pub const STATE_DEBUG: &'static str = "the `Debug` of the node's state";
}

/// A request to the world that cannot be carried out (the run goes on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    /// No signal with this id is in flight.
    #[error("{0} is not in flight (it was delivered or dropped, or never existed)")]
    NoSuchSignal(crate::SignalId),
    /// No such server.
    #[error("{0} does not exist")]
    NoSuchServer(ServerId),
    /// The fault does not fit the node's state (crash a crashed node, resume a running one).
    #[error("{0}")]
    InvalidFault(String),
    /// The run has stopped (this request, or an earlier tick, ran into this error).
    #[error("the run has stopped: {0}")]
    Stopped(RunError),
}
