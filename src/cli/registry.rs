//! The algorithms the command line knows: the built-in ones and a user's own.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use dgame_engine::event::{Event, Observer, OwnedEvent, Shared};
use dgame_engine::message::short_type_name;
use dgame_engine::{Config, ConfigError, History, Node, RunError, ServerId, Stats, World};
use serde::Serialize;

/// An algorithm the command line can run: a node type with a name and its promise.
///
/// ```ignore
/// distributed_game::cli::main_with(vec![Algorithm::new::<MyNode>("my-node", "linearizable, I hope")]);
/// ```
#[derive(Clone)]
pub struct Algorithm {
    /// Its name on the command line (`--algorithm NAME`).
    pub name: &'static str,
    /// What it promises, in one line.
    pub guarantee: &'static str,
    /// Under which faults (one line; may be empty).
    pub fault_model: &'static str,
    runner: fn(&Config, bool) -> Result<RunOutput, ConfigError>,
    /// Plays the game of `dgame play` on the calling thread (a world is not `Send`).
    pub(crate) player: fn(crate::web::GameSetup),
}

impl Algorithm {
    /// The algorithm whose nodes are `N::default()`.
    pub fn new<N: Node + Default>(name: &'static str, guarantee: &'static str) -> Self {
        Algorithm { name, guarantee, fault_model: "", runner: run_world::<N>, player: crate::web::run_game::<N> }
    }

    /// The same, with its fault model.
    #[must_use]
    pub fn with_fault_model(mut self, fault_model: &'static str) -> Self {
        self.fault_model = fault_model;
        self
    }

    /// The game of this algorithm for [`web::play`](crate::web::play).
    pub fn game(&self) -> crate::web::Game {
        crate::web::Game {
            name: self.name,
            guarantee: self.guarantee,
            fault_model: self.fault_model,
            start: self.player,
        }
    }

    /// Runs one simulation of `config`; with `trace`, keeps every event.
    pub fn run(&self, config: &Config, trace: bool) -> Result<RunOutput, ConfigError> {
        (self.runner)(config, trace)
    }
}

impl std::fmt::Debug for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Algorithm").field("name", &self.name).finish_non_exhaustive()
    }
}

/// Signals counted by who they travel between.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MessageCounts {
    /// Between a client and the gateway.
    pub client_gateway: u64,
    /// Between the gateway and a node.
    pub gateway_node: u64,
    /// Between two nodes.
    pub node_node: u64,
    /// By message type (short Rust name), in name order.
    pub by_type: BTreeMap<String, u64>,
}

#[derive(Default)]
struct Counter {
    client_gateway: u64,
    gateway_node: u64,
    node_node: u64,
    // Keyed by the full type name, which is a `&'static str`: no formatting per message.
    by_type: HashMap<&'static str, u64>,
}

impl Observer for Counter {
    fn on_event(&mut self, event: &Event<'_>) {
        if let Event::SignalSent { from, to, message, .. } = *event {
            match (from, to) {
                (ServerId::Node(_), ServerId::Node(_)) => self.node_node += 1,
                (ServerId::Client(_), _) | (_, ServerId::Client(_)) => self.client_gateway += 1,
                _ => self.gateway_node += 1,
            }
            *self.by_type.entry(message.type_name()).or_default() += 1;
        }
    }
}

/// What one simulation produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The clients' operations.
    pub history: History,
    /// The engine's counters.
    pub stats: Stats,
    /// Signals by route and type.
    pub messages: MessageCounts,
    /// The error that stopped the run early, if any.
    pub error: Option<RunError>,
    /// Every event, when asked for.
    pub trace: Option<Vec<OwnedEvent>>,
    /// The last tick that ran.
    pub ticks_run: u64,
    /// The faults that happened, and when the system was unhealthy.
    pub faults: Vec<super::faults::FaultRecord>,
    /// The operations that overlapped a fault (indices into the history).
    pub ops_during_faults: Vec<usize>,
}

fn run_world<N: Node + Default>(config: &Config, trace: bool) -> Result<RunOutput, ConfigError> {
    let mut world = World::<N>::new(config.clone())?;
    let counter = Rc::new(RefCell::new(Counter::default()));
    world.subscribe(Shared(counter.clone()));
    let faults = Rc::new(RefCell::new(super::faults::FaultLog::default()));
    world.subscribe(Shared(faults.clone()));
    let log = Rc::new(RefCell::new(dgame_engine::EventLog::default()));
    if trace {
        world.subscribe(Shared(log.clone()));
    }
    let error = world.run().err();
    let mut faults = faults.borrow_mut();
    faults.finish(world.now());
    let ops_during_faults = faults.overlapping(world.history(), world.now());
    let c = counter.borrow();
    let mut by_type = BTreeMap::new();
    for (name, n) in &c.by_type {
        *by_type.entry(short_type_name(name).into_owned()).or_insert(0) += n;
    }
    Ok(RunOutput {
        history: world.history().clone(),
        stats: world.stats(),
        messages: MessageCounts {
            client_gateway: c.client_gateway,
            gateway_node: c.gateway_node,
            node_node: c.node_node,
            by_type,
        },
        error,
        trace: trace.then(|| std::mem::take(&mut log.borrow_mut().events)),
        ticks_run: world.now(),
        faults: std::mem::take(&mut faults.faults),
        ops_during_faults,
    })
}

/// The algorithms that come with distributed-game, the strongest first (the first is what
/// `dgame` runs by default).
pub fn builtin() -> Vec<Algorithm> {
    use dgame_algorithms as a;
    let mut all = Vec::new();
    let mut infos: Vec<&a::AlgorithmInfo> = a::ALL.iter().collect();
    // ABD first, then Raft, then the rest in the crate's (teaching) order.
    infos.sort_by_key(|i| match i.name {
        "abd" => 0,
        "raft" => 1,
        _ => 2,
    });
    for info in infos {
        type Fns = (fn(&Config, bool) -> Result<RunOutput, ConfigError>, fn(crate::web::GameSetup));
        macro_rules! fns {
            ($t:ty) => {
                (run_world::<$t>, crate::web::run_game::<$t>)
            };
        }
        let (runner, player): Fns = match info.name {
            "single-client-sync-replication" => fns!(a::SingleClientSyncReplication),
            "single-client-versioned-majority" => fns!(a::SingleClientVersionedMajority),
            "primary-backup" => fns!(a::PrimaryBackup),
            "abd" => fns!(a::Abd),
            "raft" => fns!(a::Raft),
            "abd-no-write-back" => fns!(a::broken::AbdNoWriteBack),
            "raft-local-reads" => fns!(a::broken::RaftLocalReads),
            _ => continue,
        };
        all.push(Algorithm {
            name: info.name,
            guarantee: info.guarantee,
            fault_model: info.fault_model,
            runner,
            player,
        });
    }
    all
}
