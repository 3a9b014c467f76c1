//! The algorithms a binary knows, the built-in ones and a user's own: each a node type behind
//! `fn` pointers, one to run a world for a report and one to play it in the browser.

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use dgame_engine::event::{Event, Observer, SharedObserver};
use dgame_engine::{Adversary, Config, ConfigError, FaultModel, Node, Workload, World};

use crate::report::RunObserver;
/// What [`Algorithm::run`] returns; defined beside the report built from it.
pub use crate::report::RunOutput;
use crate::web::{Game, GameSetup, run_game};

/// An algorithm the command line can run: a node type with a name and its promise.
///
/// ```
/// # use distributed_game::prelude::*;
/// # #[derive(Debug, Default)] struct MyNode;
/// # #[node] impl MyNode {
/// #   #[endpoint(ClientReadRequest)] fn r(&mut self, _: ClientReadRequest) -> ClientReadResponse { ClientReadResponse::ok(None) }
/// #   #[endpoint(ClientWriteRequest)] fn w(&mut self, _: ClientWriteRequest) -> ClientWriteResponse { ClientWriteResponse::ok() }
/// # }
/// use distributed_game::registry::Algorithm;
///
/// let mine = Algorithm::new::<MyNode>("my-node", "linearizable, I hope").with_fault_model("no loss");
/// let out = mine.run(&Config::builder().nodes(1).ticks(50).build()?)?;
/// assert!(out.error.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Algorithm {
    /// Its name on the command line (`--algorithm NAME`).
    pub name: &'static str,
    /// What it promises, in one line.
    pub guarantee: &'static str,
    /// Under which faults (one line; may be empty).
    pub fault_model: &'static str,
    /// The same as data: the kinds of fault it claims to tolerate (`None`: it does not say,
    /// and `explore` injects every kind).
    pub faults: Option<FaultModel>,
    runner: Runner,
    start: fn(GameSetup),
    /// The invariants and state hashing, for the node type (`Extras<N>` behind `Any`).
    extras: Arc<dyn Any + Send + Sync>,
    invariant_names: Vec<&'static str>,
    hashable: bool,
    /// The workloads its node type serves (`#[node(workload(...))]`).
    pub workloads: &'static [Workload],
}

/// Runs a world of one node type, as the options say.
/// `stop`, when given, is asked after every tick whether to end the run there.
type Runner =
    fn(&Config, RunOptions, Option<&dyn Fn() -> bool>, &(dyn Any + Send + Sync)) -> Result<RunOutput, ConfigError>;

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
    /// An observer that sees every event as it happens (a trace written as the run goes).
    pub observer: Option<Box<dyn Observer>>,
    /// Let this adversary decide signals' fates (an explorer's strategy).
    pub adversary: Option<Box<dyn Adversary>>,
    /// Fingerprint the nodes' states after every tick (only for [`hashable`](Algorithm::hashable)
    /// algorithms).
    pub track_states: bool,
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions").field("track_states", &self.track_states).finish_non_exhaustive()
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
            faults: None,
            runner: run_world::<N>,
            start: run_game::<N>,
            extras: Arc::new(Extras::<N>::default()),
            invariant_names: Vec::new(),
            hashable: false,
            workloads: N::__WORKLOADS,
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

    /// Runs one simulation of `config` as `options` say.
    pub fn run_with(&self, config: &Config, options: RunOptions) -> Result<RunOutput, ConfigError> {
        (self.runner)(config, options, None, &*self.extras)
    }

    /// The same, ending the run after the first tick at whose end `stop` says so (a replay
    /// that has seen a difference need not run to the end); the output is the run so far
    /// (`ticks_run` says how far it went).
    pub fn run_with_stop(
        &self,
        config: &Config,
        options: RunOptions,
        stop: &dyn Fn() -> bool,
    ) -> Result<RunOutput, ConfigError> {
        (self.runner)(config, options, Some(stop), &*self.extras)
    }

    /// The same, with its fault model.
    #[must_use]
    pub fn with_fault_model(mut self, fault_model: &'static str) -> Self {
        self.fault_model = fault_model;
        self
    }

    /// The same, with the kinds of fault it claims to tolerate, as data: `dgame explore`
    /// injects only those (and what the configuration asks for) unless told `--inject all`.
    ///
    /// ```
    /// # use distributed_game::prelude::*;
    /// # #[derive(Debug, Default)] struct MyNode;
    /// # #[node] impl MyNode {
    /// #   #[endpoint(ClientReadRequest)] fn r(&mut self, _: ClientReadRequest) -> ClientReadResponse { ClientReadResponse::ok(None) }
    /// #   #[endpoint(ClientWriteRequest)] fn w(&mut self, _: ClientWriteRequest) -> ClientWriteResponse { ClientWriteResponse::ok() }
    /// # }
    /// use distributed_game::engine::{FaultKind, FaultModel};
    /// use distributed_game::registry::Algorithm;
    ///
    /// let mine = Algorithm::new::<MyNode>("my-node", "linearizable, I hope")
    ///     .with_fault_model("delays and loss")
    ///     .with_faults(FaultModel::new(&[FaultKind::Loss]));
    /// assert!(!mine.faults.unwrap().tolerates(FaultKind::Crash));
    /// ```
    #[must_use]
    pub fn with_faults(mut self, faults: FaultModel) -> Self {
        self.faults = Some(faults);
        self
    }

    /// Runs one simulation of `config` for its report.
    pub fn run(&self, config: &Config) -> Result<RunOutput, ConfigError> {
        self.run_with(config, RunOptions::default())
    }

    /// The same, with `observer` seeing every event as it happens (a trace written as the run
    /// goes, a replay compared event by event).
    pub fn run_observed(&self, config: &Config, observer: Box<dyn Observer>) -> Result<RunOutput, ConfigError> {
        self.run_with(config, RunOptions { observer: Some(observer), ..RunOptions::default() })
    }

    /// Whether it serves `workload`.
    pub fn serves(&self, workload: Workload) -> bool {
        self.workloads.contains(&workload)
    }

    /// The workloads it serves, for people: `register, kv`.
    pub fn workload_names(&self) -> String {
        self.workloads.iter().map(|w| w.name()).collect::<Vec<_>>().join(", ")
    }

    /// The game of this algorithm for [`web::play`](crate::web::play).
    pub fn game(&self) -> Game {
        Game { name: self.name, guarantee: self.guarantee, fault_model: self.fault_model, start: self.start }
    }
}

impl std::fmt::Debug for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Algorithm").field("name", &self.name).finish_non_exhaustive()
    }
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
    stop: Option<&dyn Fn() -> bool>,
    extras: &(dyn Any + Send + Sync),
) -> Result<RunOutput, ConfigError> {
    let mut world = World::<N>::new(config.clone())?;
    if let Some(extras) = extras.downcast_ref::<Extras<N>>() {
        install(extras, &mut world, options.track_states);
    }
    if let Some(adversary) = options.adversary {
        world.set_adversary(Boxed(adversary));
    }
    let observer = options.observer;
    let _watchdog = crate::watch::arm(&world);
    let watch = Rc::new(RefCell::new(RunObserver::default()));
    world.subscribe(SharedObserver(watch.clone()));
    if let Some(mut observer) = observer {
        world.subscribe(move |e: &Event<'_>| observer.on_event(e));
    }
    let error = match stop {
        None => world.run().err(),
        Some(stop) => loop {
            if world.now() >= config.ticks {
                break None;
            }
            if let Err(e) = world.tick() {
                break Some(e);
            }
            if stop() {
                break None;
            }
        },
    };
    let mut watch = watch.borrow_mut();
    let (faults, ops_during_faults) = watch.finish_faults(world.history(), world.now());
    Ok(RunOutput {
        history: world.history().clone(),
        stats: world.stats(),
        messages: crate::report::MessageCounts::of(&world.stats(), &world.sent_by_type()),
        error,
        ticks_run: world.now(),
        faults,
        ops_during_faults,
        deviations: world.deviations().clone(),
        schedule: world.schedule_fingerprint(),
        states: world.state_fingerprints().to_vec(),
    })
}

/// The algorithms that come with distributed-game, the strongest first (the first is what
/// `dgame` runs by default). Each entry names its type and the constants of its module once.
pub fn builtin() -> Vec<Algorithm> {
    use dgame_algorithms as a;
    use dgame_algorithms::invariants as inv;
    macro_rules! entry {
        ($name:literal, $module:path, $node:ty) => {{
            use $module as m;
            Algorithm::new::<$node>($name, m::GUARANTEE).with_fault_model(m::FAULT_MODEL).with_faults(m::FAULTS)
        }};
    }
    // Raft's: election safety, log matching, state machine safety; ABD's: tags only grow.
    fn raft<R: Node + inv::RaftState>(algorithm: Algorithm) -> Algorithm {
        algorithm
            .invariant("one leader per term", || inv::one_leader_per_term::<R>)
            .invariant("log matching", inv::log_matching::<R>)
            .invariant("committed entries never change", inv::committed_entries_never_change::<R>)
    }
    fn abd<A: Node + inv::AbdState>(algorithm: Algorithm) -> Algorithm {
        algorithm.invariant("a node's tag never goes down", inv::tag_never_goes_down::<A>)
    }
    vec![
        abd::<a::Abd>(entry!("abd", a::abd, a::Abd)),
        raft::<a::Raft>(entry!("raft", a::raft, a::Raft)),
        entry!("single-client-sync-replication", a::single_client_sync_replication, a::SingleClientSyncReplication),
        entry!(
            "single-client-versioned-majority",
            a::single_client_versioned_majority,
            a::SingleClientVersionedMajority
        ),
        entry!("primary-backup", a::primary_backup, a::PrimaryBackup),
        abd::<a::broken::AbdNoWriteBack>(entry!(
            "abd-no-write-back",
            a::broken::abd_no_write_back,
            a::broken::AbdNoWriteBack
        )),
        raft::<a::broken::RaftLocalReads>(entry!(
            "raft-local-reads",
            a::broken::raft_local_reads,
            a::broken::RaftLocalReads
        )),
        abd::<a::broken::AbdFireAndForgetRepair>(entry!(
            "abd-fire-and-forget-repair",
            a::broken::abd_fire_and_forget_repair,
            a::broken::AbdFireAndForgetRepair
        )),
        // The workloads beyond the register: broadcast, counters, unique ids.
        entry!("broadcast-gossip", a::broadcast_gossip, a::BroadcastGossip),
        entry!("broadcast-flood", a::broadcast_flood, a::BroadcastFlood),
        entry!("g-counter", a::g_counter, a::GCounter),
        entry!("pn-counter", a::pn_counter, a::PnCounter),
        entry!("unique-ids", a::unique_ids, a::UniqueIds),
        entry!("broadcast-no-retry", a::broken::broadcast_no_retry, a::broken::BroadcastNoRetry),
        entry!("g-counter-sum-merge", a::broken::g_counter_sum_merge, a::broken::GCounterSumMerge),
        entry!("unique-ids-volatile", a::broken::unique_ids_volatile, a::broken::UniqueIdsVolatile),
    ]
}

/// The algorithm named `name`, or the first one when none is named.
pub fn choose<'a>(algorithms: &'a [Algorithm], name: Option<&str>) -> Result<&'a Algorithm, String> {
    choose_for(algorithms, name, Workload::Register)
}

/// The algorithm named `name`, which must serve `workload`; with no name, the first that
/// serves it.
pub fn choose_for<'a>(
    algorithms: &'a [Algorithm],
    name: Option<&str>,
    workload: Workload,
) -> Result<&'a Algorithm, String> {
    let serving = || {
        let names: Vec<&str> = algorithms.iter().filter(|a| a.serves(workload)).map(|a| a.name).collect();
        if names.is_empty() { "none does".to_owned() } else { format!("those that do: {}", names.join(", ")) }
    };
    match name {
        Some(name) => {
            let a = find(algorithms, name)?;
            if a.serves(workload) {
                Ok(a)
            } else {
                let add = a.workloads.first().map_or(String::new(), |w| format!(": give `--workload {}`", w.name()));
                Err(format!(
                    "algorithm `{}` does not serve the `{workload}` workload (it serves {}{add}); {}",
                    a.name,
                    a.workload_names(),
                    serving()
                ))
            }
        }
        None if algorithms.is_empty() => Err("no algorithm to run: give main_with at least one".to_owned()),
        None => algorithms
            .iter()
            .find(|a| a.serves(workload))
            .ok_or_else(|| format!("no algorithm serves the `{workload}` workload: give one with --algorithm")),
    }
}

/// Finds an algorithm by name, or says which exist.
pub fn find<'a>(algorithms: &'a [Algorithm], name: &str) -> Result<&'a Algorithm, String> {
    algorithms.iter().find(|a| a.name == name).ok_or_else(|| {
        let names: Vec<&str> = algorithms.iter().map(|a| a.name).collect();
        format!("unknown algorithm `{name}`; the algorithms are: {}", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_algorithm_is_built_in_once_with_its_guarantee_abd_first() {
        let built = builtin();
        assert_eq!(built.len(), dgame_algorithms::ALL.len());
        for info in dgame_algorithms::ALL {
            let matching: Vec<&Algorithm> = built.iter().filter(|a| a.name == info.name).collect();
            assert_eq!(matching.len(), 1, "{} is built in once", info.name);
            assert_eq!((matching[0].guarantee, matching[0].fault_model), (info.guarantee, info.fault_model));
            assert_eq!(matching[0].faults, Some(info.faults), "{}", info.name);
        }
        assert_eq!((built[0].name, built[1].name), ("abd", "raft"));
    }

    #[test]
    fn the_observer_counts_every_signal_by_route_and_type() {
        let abd = &builtin()[0];
        let out = abd.run(&Config::builder().ticks(200).seed(3).build().unwrap()).unwrap();
        let m = &out.messages;
        assert_eq!(m.client_gateway + m.gateway_node + m.node_node, out.stats.sent);
        assert_eq!(m.by_type.values().sum::<u64>(), out.stats.sent);
        assert!(m.by_type.contains_key("ClientReadRequest"), "{:?}", m.by_type);
    }
}
