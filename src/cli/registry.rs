//! The algorithms the command line knows: the built-in ones and a user's own.

use std::any::Any;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use dgame_engine::event::{Event, Observer, OwnedEvent, Shared};
use dgame_engine::message::short_type_name;
use dgame_engine::{Adversary, Config, ConfigError, History, Node, RunError, Script, ServerId, Stats, World};
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
    runner: Runner,
    /// Plays the game of `dgame play` on the calling thread (a world is not `Send`).
    pub(crate) player: fn(crate::web::GameSetup),
    /// The invariants and state hashing, for the node type (`Extras<N>` behind `Any`).
    extras: Arc<dyn Any + Send + Sync>,
    invariant_names: Vec<&'static str>,
    hashable: bool,
}

type Runner = fn(&Config, RunOptions, &(dyn Any + Send + Sync)) -> Result<RunOutput, ConfigError>;

/// Makes a fresh checker of an invariant for each run (a checker may keep state).
type MakeCheck<N> = Arc<dyn Fn() -> Box<dyn FnMut(&[&N]) -> Result<(), String>> + Send + Sync>;

/// What an algorithm declares beyond its node type: invariants, and whether states hash.
struct Extras<N: Node> {
    invariants: Vec<(&'static str, MakeCheck<N>)>,
    track_states: Option<fn(&mut World<N>)>,
}

impl<N: Node> Default for Extras<N> {
    fn default() -> Self {
        Extras { invariants: Vec::new(), track_states: None }
    }
}

impl<N: Node> Clone for Extras<N> {
    fn clone(&self) -> Self {
        Extras { invariants: self.invariants.clone(), track_states: self.track_states }
    }
}

/// How to run one simulation beyond its configuration.
#[derive(Default)]
pub struct RunOptions {
    /// Keep every event.
    pub trace: bool,
    /// Let this adversary decide signals' fates (an explorer's strategy).
    pub adversary: Option<Box<dyn Adversary>>,
    /// Fingerprint the nodes' states after every tick (only for [`hashable`](Algorithm::hashable)
    /// algorithms).
    pub track_states: bool,
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions").field("trace", &self.trace).field("track_states", &self.track_states).finish()
    }
}

/// Passes the adversary the world owns on to a boxed one.
struct Boxed(Box<dyn Adversary>);

impl Adversary for Boxed {
    fn choose(&mut self, signal: &dgame_engine::SignalInfo<'_>, fate: &mut dgame_engine::Fate) {
        self.0.choose(signal, fate);
    }
}

impl Algorithm {
    /// The algorithm whose nodes are `N::default()`.
    pub fn new<N: Node + Default>(name: &'static str, guarantee: &'static str) -> Self {
        Algorithm {
            name,
            guarantee,
            fault_model: "",
            runner: run_world::<N>,
            player: crate::web::run_game::<N>,
            extras: Arc::new(Extras::<N>::default()),
            invariant_names: Vec::new(),
            hashable: false,
        }
    }

    /// Adds an invariant over every node's state, checked after every tick of every run
    /// (`run`, `sweep`, `explore`). `make` makes its checker afresh for each run, so a checker
    /// may remember the tick before:
    ///
    /// ```ignore
    /// Algorithm::new::<Raft>("raft", "linearizable")
    ///     .invariant("one leader per term", || invariants::one_leader_per_term)
    ///     .invariant("a node's tag never goes down", invariants::abd_tag_never_goes_down);
    /// ```
    ///
    /// # Panics
    ///
    /// If `N` is not the algorithm's node type.
    #[must_use]
    pub fn invariant<N: Node, C>(mut self, name: &'static str, make: impl Fn() -> C + Send + Sync + 'static) -> Self
    where
        C: FnMut(&[&N]) -> Result<(), String> + 'static,
    {
        let mut extras = self.extras_of::<N>();
        extras.invariants.push((name, Arc::new(move || Box::new(make()))));
        self.extras = Arc::new(extras);
        self.invariant_names.push(name);
        self
    }

    /// Declares that the node type hashes its state, so that `explore` counts the distinct
    /// states it reached and prunes the exhaustive search by them.
    ///
    /// # Panics
    ///
    /// If `N` is not the algorithm's node type.
    #[must_use]
    pub fn hashable<N: Node + std::hash::Hash>(mut self) -> Self {
        let mut extras = self.extras_of::<N>();
        extras.track_states = Some(World::<N>::track_states);
        self.extras = Arc::new(extras);
        self.hashable = true;
        self
    }

    fn extras_of<N: Node>(&self) -> Extras<N> {
        match self.extras.downcast_ref::<Extras<N>>() {
            Some(e) => e.clone(),
            None => panic!("{}: invariants and `hashable` take the algorithm's own node type", self.name),
        }
    }

    /// The names of its invariants, in the order they are checked.
    pub fn invariant_names(&self) -> Vec<&'static str> {
        self.invariant_names.clone()
    }

    /// Whether its node type hashes its state ([`hashable`](Algorithm::hashable)).
    pub fn is_hashable(&self) -> bool {
        self.hashable
    }

    /// Adds its invariants (and state hashing, when asked) to a world of its node type (the
    /// browser game does this to show a broken invariant). Does nothing for another type.
    pub fn install<N: Node>(&self, world: &mut World<N>, track_states: bool) {
        if let Some(extras) = self.extras.downcast_ref::<Extras<N>>() {
            install(extras, world, track_states);
        }
    }

    /// Runs one simulation of `config`; with `trace`, keeps every event.
    pub fn run(&self, config: &Config, trace: bool) -> Result<RunOutput, ConfigError> {
        self.run_with(config, RunOptions { trace, ..RunOptions::default() })
    }

    /// Runs one simulation of `config` as `options` say.
    pub fn run_with(&self, config: &Config, options: RunOptions) -> Result<RunOutput, ConfigError> {
        (self.runner)(config, options, &*self.extras)
    }

    /// The same, with its fault model.
    #[must_use]
    pub fn with_fault_model(mut self, fault_model: &'static str) -> Self {
        self.fault_model = fault_model;
        self
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
    /// Every decision that differed from the seed's: the choice script that replays the run.
    pub deviations: Script,
    /// A fingerprint of every signal's fate (equal for runs with the same schedule).
    pub schedule: u64,
    /// The nodes' states' fingerprints after each tick (when states were tracked).
    pub states: Vec<u64>,
}

fn install<N: Node>(extras: &Extras<N>, world: &mut World<N>, track_states: bool) {
    for (name, make) in &extras.invariants {
        world.invariant(*name, make());
    }
    if track_states && let Some(track) = extras.track_states {
        track(world);
    }
}

fn run_world<N: Node + Default>(
    config: &Config,
    options: RunOptions,
    extras: &(dyn Any + Send + Sync),
) -> Result<RunOutput, ConfigError> {
    let trace = options.trace;
    let mut world = World::<N>::new(config.clone())?;
    if let Some(extras) = extras.downcast_ref::<Extras<N>>() {
        install(extras, &mut world, options.track_states);
    }
    if let Some(adversary) = options.adversary {
        world.set_adversary(Boxed(adversary));
    }
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
        deviations: world.deviations().clone(),
        schedule: world.schedule_fingerprint(),
        states: world.state_fingerprints().to_vec(),
    })
}

/// Raft's invariants: election safety, log matching, state machine safety.
fn raft_invariants<R: Node + dgame_algorithms::invariants::RaftState>(algorithm: Algorithm) -> Algorithm {
    use dgame_algorithms::invariants as inv;
    algorithm
        .invariant("one leader per term", || inv::one_leader_per_term::<R>)
        .invariant("log matching", || inv::log_matching::<R>)
        .invariant("committed entries never change", inv::committed_entries_never_change::<R>)
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
        use a::invariants as inv;
        let algorithm = match info.name {
            "single-client-sync-replication" => Algorithm::new::<a::SingleClientSyncReplication>(info.name, ""),
            "single-client-versioned-majority" => Algorithm::new::<a::SingleClientVersionedMajority>(info.name, ""),
            "primary-backup" => Algorithm::new::<a::PrimaryBackup>(info.name, ""),
            "abd" => Algorithm::new::<a::Abd>(info.name, "")
                .invariant("a node's tag never goes down", inv::tag_never_goes_down::<a::Abd>),
            "raft" => raft_invariants::<a::Raft>(Algorithm::new::<a::Raft>(info.name, "")),
            "abd-no-write-back" => Algorithm::new::<a::broken::AbdNoWriteBack>(info.name, "")
                .invariant("a node's tag never goes down", inv::tag_never_goes_down::<a::broken::AbdNoWriteBack>),
            "raft-local-reads" => {
                raft_invariants::<a::broken::RaftLocalReads>(Algorithm::new::<a::broken::RaftLocalReads>(info.name, ""))
            }
            "abd-fire-and-forget-repair" => Algorithm::new::<a::broken::AbdFireAndForgetRepair>(info.name, "")
                .invariant(
                    "a node's tag never goes down",
                    inv::tag_never_goes_down::<a::broken::AbdFireAndForgetRepair>,
                ),
            _ => continue,
        };
        all.push(Algorithm { guarantee: info.guarantee, fault_model: info.fault_model, ..algorithm });
    }
    all
}
