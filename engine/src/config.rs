//! The configuration of a run: a plain struct, a builder, TOML and JSON, and validation that
//! names the field that is wrong.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::chooser::Script;
use crate::fault::{Nemesis, Scheduled};
use crate::ids::{ServerId, Tick};
use crate::workload::Workload;

/// Everything that decides a run, together with the seed. Equal configurations give equal runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Drives every random choice (delays, loss, client choices, node randomness).
    pub seed: u64,
    /// How many nodes run the algorithm (ids 1..=nodes).
    pub nodes: u32,
    /// How many clients (ids 1..=clients).
    pub clients: u32,
    /// What the clients do.
    pub client_kind: ClientKind,
    /// How many ticks [`World::run`](crate::World::run) runs.
    pub ticks: Tick,
    /// How long a signal takes.
    pub delay: Delay,
    /// The probability that a signal is lost, in `[0, 1]`.
    pub loss: f64,
    /// Ticks the gateway waits for a node before answering the client with
    /// [`Status::Unknown`](crate::Status::Unknown); `None` waits forever (the original).
    #[serde(with = "ticks_or_never")]
    pub gateway_timeout: Option<Tick>,
    /// Ticks a client waits for the gateway before recording its operation as unknown;
    /// `None` waits forever (the original, where one lost message froze a client).
    #[serde(with = "ticks_or_never")]
    pub client_timeout: Option<Tick>,
    /// After each answer a client pauses a uniform 1..=`max_pause` ticks.
    pub max_pause: Tick,
    /// Which values the clients write.
    pub values: ValueMode,
    /// Links cut during the run.
    pub cuts: Vec<Cut>,
    /// Faults at given ticks (`"crash n2@100"`, `"restart n2@150"`, `"drop 57@31"`, ...).
    pub schedule: Vec<Scheduled>,
    /// A random nemesis, deterministic from the seed.
    pub nemesis: Option<Nemesis>,
    /// The probability that a signal is delivered twice (the copy with its own delay).
    pub duplicate: f64,
    /// Delays of particular links, instead of `delay`.
    pub links: Vec<LinkDelay>,
    /// Nodes whose local clock runs at another rate than 1 (timers fire faster or slower).
    pub clock_rates: Vec<ClockRate>,
    /// The most handler runs and polls of waits a node may make in one turn. A handler that
    /// goes past it loops without end (an async handler waiting on something ready at once,
    /// over and over): the run stops with
    /// [`RunError::TurnBudgetExceeded`](crate::RunError::TurnBudgetExceeded) naming it.
    pub turn_budget: u64,
    /// Deviations from the seed's decisions, by signal id (`"57:drop,80:delay=9"`): the
    /// choice script an explorer found (see [`Script`]).
    #[serde(skip_serializing_if = "Script::is_empty")]
    pub deviations: Script,
    /// What the clients ask for: the register (the default), or another workload.
    #[serde(skip_serializing_if = "is_default")]
    pub workload: Workload,
    /// The `kv` workload's keys: each operation picks one of keys `1..=keys`.
    #[serde(skip_serializing_if = "is_default_keys")]
    pub keys: u32,
    /// The quiet period at the end of the run: clients start no operation in its ticks, and for
    /// the workloads with final reads (broadcast, counters) every fault heals at its start and
    /// every node is read once more halfway through it. `None`: no quiet period for the
    /// register, kv and unique ids, [`Workload::DEFAULT_QUIET`] ticks for the others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quiet: Option<Tick>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn is_default_keys(k: &u32) -> bool {
    *k == DEFAULT_KEYS
}

/// The default [`Config::keys`].
pub const DEFAULT_KEYS: u32 = 3;
/// The most keys a `kv` run may have.
pub const MAX_KEYS: u32 = 1_000_000;

/// The delay of the links from every server of `from` to every server of `to` (and back,
/// unless `one_way`): a slow or fast link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkDelay {
    /// One side.
    pub from: Vec<ServerId>,
    /// The other side.
    pub to: Vec<ServerId>,
    /// Only `from` -> `to`.
    #[serde(default)]
    pub one_way: bool,
    /// Their delay.
    pub delay: Delay,
}

impl LinkDelay {
    /// The directed links it sets: `from` to `to`, and back unless `one_way` (a server's link
    /// to itself left out: it carries nothing).
    pub fn links(&self) -> impl Iterator<Item = (ServerId, ServerId)> + '_ {
        crate::network::cuts::links(&self.from, &self.to, self.one_way)
    }
}

/// A node whose local clock advances `rate` ticks per global tick (1 is normal; 0.5 makes its
/// timers fire half as often, 2 twice as often).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockRate {
    /// The node.
    pub node: crate::NodeId,
    /// Local ticks per global tick, in (0, 10].
    pub rate: f64,
}

impl ClockRate {
    /// The fastest clock rate.
    pub const MAX: f64 = 10.0;

    /// A clock rate for `node`, if it can be used: a node id of 1 or more, and a rate in
    /// (0, [`ClockRate::MAX`]].
    pub fn new(node: crate::NodeId, rate: f64) -> Result<ClockRate, InvalidValue> {
        let c = ClockRate { node, rate };
        c.validate()?;
        Ok(c)
    }

    /// Checks that this clock rate can be used (whether the node exists is the configuration's
    /// to check).
    pub fn validate(&self) -> Result<(), InvalidValue> {
        if self.node.0 == 0 {
            return Err(InvalidValue("nodes count from 1: write `n1` for the first".into()));
        }
        if !(self.rate > 0.0 && self.rate <= Self::MAX) {
            return Err(InvalidValue(format!("a clock rate is in (0, {}], got {}", Self::MAX, self.rate)));
        }
        Ok(())
    }
}

impl fmt::Display for ClockRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}={}", self.node.0, self.rate)
    }
}

/// Why a clock rate could not be read: what was written and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a clock rate: {reason}")]
pub struct ParseClockRateError {
    /// What was written.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FromStr for ClockRate {
    type Err = ParseClockRateError;

    /// Reads `n1=1.5`: a node, and its rate in (0, 10].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| ParseClockRateError { text: s.to_owned(), reason };
        let syntax = || err("write `n1=1.5` (a node, and its rate in (0, 10])".into());
        let (node, rate) = s.split_once('=').ok_or_else(syntax)?;
        let node = match node.parse::<ServerId>() {
            Ok(ServerId::Node(n)) => n,
            _ => return Err(syntax()),
        };
        let rate: f64 = rate.trim().parse().map_err(|_| syntax())?;
        ClockRate::new(node, rate).map_err(|e| err(e.0))
    }
}

/// A value (a delay, a clock rate) the engine cannot run with, and why; [`InvalidValue::in_field`]
/// names the field it was found in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

impl InvalidValue {
    /// The configuration error of this value in `field`.
    pub fn in_field(self, field: &'static str) -> ConfigError {
        ConfigError::Invalid { field, reason: self.0 }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 0,
            nodes: 3,
            clients: 2,
            client_kind: ClientKind::Both,
            ticks: 1_000,
            delay: Delay::Uniform { min: 1, max: 3 },
            loss: 0.0,
            gateway_timeout: Some(40),
            client_timeout: Some(60),
            max_pause: 3,
            values: ValueMode::Unique,
            cuts: Vec::new(),
            schedule: Vec::new(),
            nemesis: None,
            duplicate: 0.0,
            links: Vec::new(),
            clock_rates: Vec::new(),
            turn_budget: DEFAULT_TURN_BUDGET,
            deviations: Script::default(),
            workload: Workload::Register,
            keys: DEFAULT_KEYS,
            quiet: None,
        }
    }
}

/// The default [`Config::turn_budget`]: far more than any real turn needs (a node answering a
/// thousand messages in a tick uses a few thousand), and reached in a fraction of a second by a
/// handler that loops.
pub const DEFAULT_TURN_BUDGET: u64 = 1_000_000;

/// What a client does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientKind {
    /// Only reads.
    Read,
    /// Only writes.
    Write,
    /// Reads or writes, chosen at random each time.
    Both,
}

/// Which values clients write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueMode {
    /// 1, 2, 3, ... in the order writes are issued: every value is written once, so a history
    /// says exactly which write a read saw.
    Unique,
    /// A random value in 1..=9, as in the original.
    Random,
}

/// How many ticks a signal takes. Written `3` (constant) or `"1..3"` / `"1..=3"` (uniform,
/// both ends included) in files and on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delay {
    /// Every signal takes exactly this many ticks.
    Constant(Tick),
    /// A uniform whole number of ticks in `[min, max]`.
    Uniform {
        /// The fewest ticks.
        min: Tick,
        /// The most ticks.
        max: Tick,
    },
    /// A long tail: 1 tick plus an exponentially distributed number of ticks (rounded), so that
    /// the mean is about `mean` before the cap at `max`. Written `exp:MEAN:MAX`, like `exp:3:30`.
    Exponential {
        /// The mean delay before the cap, in ticks (at least 1).
        mean: Tick,
        /// The most ticks.
        max: Tick,
    },
}

impl Delay {
    /// The longest a signal can take.
    pub fn max(&self) -> Tick {
        match *self {
            Delay::Constant(d) => d,
            Delay::Uniform { max, .. } | Delay::Exponential { max, .. } => max,
        }
    }
    /// The shortest a signal can take.
    pub fn min(&self) -> Tick {
        match *self {
            Delay::Constant(d) => d,
            Delay::Uniform { min, .. } => min,
            Delay::Exponential { .. } => 1,
        }
    }

    /// Checks that signals can take this delay: at least 1 tick, at most [`MAX_DELAY`], a
    /// minimum no greater than the maximum, an exponential mean of at least 1 and within its
    /// cap. [`FromStr`] and [`Config::validate`] both call it.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        let bad = |reason: String| Err(InvalidValue(reason));
        if let Delay::Exponential { mean, max } = *self
            && (mean == 0 || max < mean)
        {
            return bad(format!("`exp:{mean}:{max}` needs a mean of at least 1 and a cap at least the mean"));
        }
        let (min, max) = (self.min(), self.max());
        if min == 0 {
            return bad("a signal takes at least 1 tick; use a delay of 1 or more".into());
        }
        if min > max {
            return bad(format!("the minimum {min} is above the maximum {max}; write it as `{max}..{min}`"));
        }
        if max > MAX_DELAY {
            return bad(format!("at most {MAX_DELAY} ticks, got {max}"));
        }
        Ok(())
    }
}

impl fmt::Display for Delay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Delay::Constant(d) => write!(f, "{d}"),
            Delay::Uniform { min, max } => write!(f, "{min}..{max}"),
            Delay::Exponential { mean, max } => write!(f, "exp:{mean}:{max}"),
        }
    }
}

/// Why a delay could not be read: what was written and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a delay: {reason}")]
pub struct ParseDelayError {
    /// What was written.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FromStr for Delay {
    type Err = ParseDelayError;

    /// Reads `3`, `1..3`, `1..=3` or `exp:3:30`, and [validates](Delay::validate) it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let delay = Self::parse_syntax(s).ok_or_else(|| ParseDelayError {
            text: s.to_owned(),
            reason: "write a whole number of ticks like `3`, a range like `1..3` (both ends included), \
                     or a long tail `exp:MEAN:MAX` like `exp:3:30`"
                .into(),
        })?;
        delay.validate().map_err(|e| ParseDelayError { text: s.to_owned(), reason: e.0 })?;
        Ok(delay)
    }
}

impl Delay {
    fn parse_syntax(s: &str) -> Option<Delay> {
        let t = s.trim();
        if let Some(rest) = t.strip_prefix("exp:") {
            let (mean, max) = rest.split_once(':')?;
            return Some(Delay::Exponential { mean: mean.trim().parse().ok()?, max: max.trim().parse().ok()? });
        }
        if let Some((a, b)) = t.split_once("..") {
            let b = b.strip_prefix('=').unwrap_or(b);
            let min = a.trim().parse().ok()?;
            let max = b.trim().parse().ok()?;
            Some(if min == max { Delay::Constant(min) } else { Delay::Uniform { min, max } })
        } else {
            t.parse().ok().map(Delay::Constant)
        }
    }
}

impl Serialize for Delay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Delay::Constant(d) => s.serialize_u64(*d),
            Delay::Uniform { .. } | Delay::Exponential { .. } => s.serialize_str(&self.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Delay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Ticks(u64),
            Text(String),
        }
        match Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected a whole number of ticks like 3, or a range like \"1..3\"")
        })? {
            Raw::Ticks(t) => Ok(Delay::Constant(t)),
            Raw::Text(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// A cut in the network: no signal goes from any server of `from` to any of `to` (nor back,
/// unless `one_way`) from the start of tick `at` to the start of tick `heal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cut {
    /// One side.
    pub from: Vec<ServerId>,
    /// The other side.
    pub to: Vec<ServerId>,
    /// Cut only the direction `from` -> `to`.
    #[serde(default)]
    pub one_way: bool,
    /// The first tick the cut is in place.
    pub at: Tick,
    /// The first tick the link works again; `None`: never.
    #[serde(default)]
    pub heal: Option<Tick>,
}

/// A configuration that cannot run, naming the field and how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// A field has a value that cannot work.
    #[error("`{field}`: {reason}")]
    Invalid {
        /// The field (as in the TOML file).
        field: &'static str,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The TOML text could not be read.
    #[error("config file: {0}")]
    Toml(String),
    /// The JSON text could not be read.
    #[error("config JSON: {0}")]
    Json(String),
}

/// The most ticks a signal may take (the network's timing wheel has this many slots).
pub const MAX_DELAY: Tick = 100_000;

/// The most nodes a configuration may have. A node costs about a kilobyte before it runs
/// (its state, tasks, inbox and random stream), and every node's turn comes every tick.
pub const MAX_NODES: u32 = 10_000;

/// The most clients a configuration may have (each has one operation at a time in flight).
pub const MAX_CLIENTS: u32 = 10_000;

impl Config {
    /// A builder, starting from the defaults.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder(Config::default())
    }

    /// Reads a TOML configuration; missing fields take their defaults, unknown ones are errors.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let c: Config = toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string().trim_end().to_owned()))?;
        c.validate()?;
        Ok(c)
    }

    /// Reads a JSON configuration; missing fields take their defaults, unknown ones are errors.
    pub fn from_json(text: &str) -> Result<Config, ConfigError> {
        let c: Config = serde_json::from_str(text).map_err(|e| ConfigError::Json(e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    /// The configuration as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a Config always serializes")
    }

    /// Whether the server is one of this configuration's.
    fn has(&self, s: ServerId) -> bool {
        match s {
            ServerId::Gateway => true,
            ServerId::Node(n) => n.index() < self.nodes as usize,
            ServerId::Client(c) => c.index() < self.clients as usize,
        }
    }

    /// Checks that this configuration can run.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, reason: String| Err(ConfigError::Invalid { field, reason });
        if self.nodes == 0 {
            return bad("nodes", "there must be at least 1 node".into());
        }
        if self.nodes > MAX_NODES {
            return bad("nodes", format!("at most {MAX_NODES} nodes, got {}", self.nodes));
        }
        if self.clients > MAX_CLIENTS {
            return bad("clients", format!("at most {MAX_CLIENTS} clients, got {}", self.clients));
        }
        if self.turn_budget == 0 {
            return bad("turn_budget", "a node needs at least 1 handler run per turn".into());
        }
        self.delay.validate().map_err(|e| e.in_field("delay"))?;
        if !(0.0..=1.0).contains(&self.loss) || self.loss.is_nan() {
            return bad("loss", format!("a probability between 0 and 1, got {}", self.loss));
        }
        if self.max_pause == 0 {
            return bad("max_pause", "clients pause at least 1 tick between operations; use 1 or more".into());
        }
        if self.gateway_timeout == Some(0) || self.client_timeout == Some(0) {
            let field = if self.gateway_timeout == Some(0) { "gateway_timeout" } else { "client_timeout" };
            return bad(field, "a timeout is at least 1 tick; write \"never\" to wait forever".into());
        }
        for (field, p) in [("duplicate", self.duplicate)] {
            if !(0.0..=1.0).contains(&p) || p.is_nan() {
                return bad(field, format!("a probability between 0 and 1, got {p}"));
            }
        }
        if self.keys == 0 || self.keys > MAX_KEYS {
            return bad("keys", format!("between 1 and {MAX_KEYS} keys, got {}", self.keys));
        }
        let quiet = self.quiet_ticks();
        if quiet > 0 && quiet >= self.ticks {
            return bad(
                "quiet",
                format!(
                    "the quiet period ({quiet} ticks) is not shorter than the run ({} ticks): give more ticks or a \
                     shorter quiet period",
                    self.ticks
                ),
            );
        }
        let node_exists = |n: crate::NodeId| n.index() < self.nodes as usize;
        for s in &self.schedule {
            if s.at == 0 {
                return bad("schedule", format!("`{s}`: faults happen at tick 1 or later"));
            }
            if let Some(n) = s.fault.nodes().into_iter().find(|&n| !node_exists(n)) {
                return bad("schedule", format!("`{s}`: {n} does not exist (there are {} nodes)", self.nodes));
            }
        }
        crate::fault::schedule::check(self).map_err(|reason| ConfigError::Invalid { field: "schedule", reason })?;
        if let Some(n) = &self.nemesis {
            if n.interval == 0 || n.duration == 0 {
                return bad("nemesis", "`interval` and `duration` are at least 1 tick".into());
            }
            if n.kinds.is_empty() {
                return bad("nemesis", "give at least one kind: partition, isolate, crash or pause".into());
            }
        }
        let exists = |s: &ServerId| self.has(*s);
        let counts = format!("there are {} nodes and {} clients", self.nodes, self.clients);
        for s in &self.schedule {
            if let crate::Fault::Cut { from, to, .. } | crate::Fault::Heal { from, to, .. } = &s.fault
                && let Some(missing) = from.iter().chain(to).find(|x| !exists(x))
            {
                return bad("schedule", format!("`{s}`: {missing} does not exist ({counts})"));
            }
        }
        for l in &self.links {
            if let Some(missing) = l.from.iter().chain(&l.to).find(|x| !exists(x)) {
                return bad("links", format!("{missing} does not exist ({counts})"));
            }
            l.delay
                .validate()
                .map_err(|e| InvalidValue(format!("the delay `{}`: {}", l.delay, e.0)).in_field("links"))?;
        }
        // A link given two different delays has one delay: which was meant cannot be known
        // (the network would silently take the last).
        let mut given: BTreeMap<(ServerId, ServerId), &LinkDelay> = BTreeMap::new();
        for l in &self.links {
            for link in l.links() {
                match given.insert(link, l) {
                    Some(first) if first.delay != l.delay => {
                        return bad(
                            "links",
                            format!(
                                "the link {} -> {} is given two delays ({} and {}): give each link one delay",
                                link.0, link.1, first.delay, l.delay
                            ),
                        );
                    }
                    _ => {}
                }
            }
        }
        for c in &self.clock_rates {
            if !node_exists(c.node) {
                return bad("clock_rates", format!("{} does not exist (there are {} nodes)", c.node, self.nodes));
            }
            c.validate().map_err(|e| e.in_field("clock_rates"))?;
        }
        // A node given two rates has one clock: which rate was meant cannot be known.
        for (i, c) in self.clock_rates.iter().enumerate() {
            if let Some(first) = self.clock_rates[..i].iter().find(|d| d.node == c.node) {
                return bad(
                    "clock_rates",
                    format!("{} is given twice (rates {} and {}): give each node one rate", c.node, first.rate, c.rate),
                );
            }
        }
        for cut in &self.cuts {
            if cut.from.is_empty() || cut.to.is_empty() {
                return bad("cuts", "each cut needs servers on both sides (`from` and `to`)".into());
            }
            if cut.at == 0 {
                return bad("cuts", "a cut starts at tick 1 or later (tick 0 is before the first tick): write `at = 1` to cut from the start".into());
            }
            if cut.heal.is_some_and(|h| h <= cut.at) {
                return bad("cuts", format!("a cut at tick {} must heal after it, not at {:?}", cut.at, cut.heal));
            }
            for s in cut.from.iter().chain(&cut.to) {
                if !self.has(*s) {
                    return bad(
                        "cuts",
                        format!("{s} does not exist (there are {} nodes and {} clients)", self.nodes, self.clients),
                    );
                }
            }
        }
        Ok(())
    }
}

impl Config {
    /// The quiet period's length in ticks (see [`Config::quiet`]).
    pub fn quiet_ticks(&self) -> Tick {
        self.quiet.unwrap_or(if self.workload.has_final_reads() { Workload::DEFAULT_QUIET } else { 0 })
    }

    /// The longest a signal can take, on any link (the default delay and the links' own).
    pub fn max_delay(&self) -> Tick {
        self.links.iter().map(|l| l.delay.max()).fold(self.delay.max(), Tick::max)
    }

    /// How long a round trip from a client to a node and back can take: four hops, and the
    /// turns between them.
    pub fn round_trip(&self) -> Tick {
        4 * self.max_delay() + 4
    }

    /// The last tick in which a client may start an operation.
    pub fn last_invoke(&self) -> Tick {
        self.ticks.saturating_sub(self.quiet_ticks())
    }

    /// The tick of the final reads, halfway through the quiet period (`None`: the workload has
    /// none).
    pub fn final_read_tick(&self) -> Option<Tick> {
        self.workload.has_final_reads().then(|| self.ticks - self.quiet_ticks() / 2)
    }
}

/// Builds a [`Config`] step by step; [`build`](ConfigBuilder::build) validates it.
#[derive(Debug, Clone)]
#[must_use]
pub struct ConfigBuilder(Config);

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {
        impl ConfigBuilder {
            $( $(#[$doc])* pub fn $name(mut self, v: $ty) -> Self { self.0.$name = v; self } )*
        }
    };
}

setters! {
    /// Sets [`Config::seed`].
    seed: u64,
    /// Sets [`Config::nodes`].
    nodes: u32,
    /// Sets [`Config::clients`].
    clients: u32,
    /// Sets [`Config::client_kind`].
    client_kind: ClientKind,
    /// Sets [`Config::ticks`].
    ticks: Tick,
    /// Sets [`Config::delay`].
    delay: Delay,
    /// Sets [`Config::loss`].
    loss: f64,
    /// Sets [`Config::gateway_timeout`].
    gateway_timeout: Option<Tick>,
    /// Sets [`Config::client_timeout`].
    client_timeout: Option<Tick>,
    /// Sets [`Config::max_pause`].
    max_pause: Tick,
    /// Sets [`Config::values`].
    values: ValueMode,
    /// Sets [`Config::nemesis`].
    nemesis: Option<Nemesis>,
    /// Sets [`Config::duplicate`].
    duplicate: f64,
    /// Sets [`Config::turn_budget`].
    turn_budget: u64,
    /// Sets [`Config::deviations`].
    deviations: Script,
    /// Sets [`Config::workload`].
    workload: Workload,
    /// Sets [`Config::keys`].
    keys: u32,
    /// Sets [`Config::quiet`].
    quiet: Option<Tick>,
}

impl ConfigBuilder {
    /// Adds a cut (see [`Cut`]).
    pub fn cut(mut self, cut: Cut) -> Self {
        self.0.cuts.push(cut);
        self
    }
    /// Adds a scheduled fault.
    pub fn fault(mut self, at: Tick, fault: crate::Fault) -> Self {
        self.0.schedule.push(Scheduled { at, fault });
        self
    }
    /// Gives links their own delay (see [`LinkDelay`]).
    pub fn link_delay(mut self, link: LinkDelay) -> Self {
        self.0.links.push(link);
        self
    }
    /// Makes a node's clock run at `rate` (see [`ClockRate`]).
    pub fn clock_rate(mut self, node: crate::NodeId, rate: f64) -> Self {
        self.0.clock_rates.push(ClockRate { node, rate });
        self
    }
    /// The configuration, if it can run.
    pub fn build(self) -> Result<Config, ConfigError> {
        self.0.validate()?;
        Ok(self.0)
    }
}

mod ticks_or_never {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(t) => s.serialize_u64(*t),
            None => s.serialize_str("never"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Ticks(u64),
            Text(String),
        }
        match Raw::deserialize(d) {
            Ok(Raw::Ticks(t)) => Ok(Some(t)),
            Ok(Raw::Text(s)) if s == "never" => Ok(None),
            _ => Err(serde::de::Error::custom("expected a whole number of ticks, or \"never\"")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_parse_constant_and_inclusive_ranges() {
        assert_eq!("3".parse(), Ok(Delay::Constant(3)));
        assert_eq!("1..3".parse(), Ok(Delay::Uniform { min: 1, max: 3 }));
        assert_eq!("1..=3".parse(), Ok(Delay::Uniform { min: 1, max: 3 }));
        assert!("1..x".parse::<Delay>().is_err());
        assert!("fast".parse::<Delay>().is_err());
    }

    #[test]
    fn parsing_a_delay_validates_it_as_the_configuration_does() {
        for (text, reason) in [
            ("0", "a signal takes at least 1 tick"),
            ("5..3", "the minimum 5 is above the maximum 3; write it as `3..5`"),
            ("0..2", "a signal takes at least 1 tick"),
            ("exp:0:3", "needs a mean of at least 1"),
            ("exp:5:3", "a cap at least the mean"),
            ("100001", "at most 100000 ticks, got 100001"),
        ] {
            let err = text.parse::<Delay>().unwrap_err();
            assert_eq!(err.text, text);
            assert!(err.reason.contains(reason), "{text}: {err}");
            let delay = Delay::parse_syntax(text).expect("well formed");
            assert_eq!(delay.validate().unwrap_err().0, err.reason, "one check for both");
            let config = Config { delay, ..Config::default() };
            assert_eq!(config.validate(), Err(ConfigError::Invalid { field: "delay", reason: err.reason.clone() }));
            let link = LinkDelay { from: vec![ServerId::Gateway], to: vec![ServerId::Gateway], one_way: false, delay };
            let err = Config { links: vec![link], ..Config::default() }.validate().unwrap_err().to_string();
            assert!(err.starts_with("`links`: the delay") && err.contains(reason), "{err}");
        }
        let syntax = "fast".parse::<Delay>().unwrap_err().to_string();
        assert!(syntax.starts_with("`fast` is not a delay: write a whole number of ticks"), "{syntax}");
        assert_eq!("exp:3:30".parse(), Ok(Delay::Exponential { mean: 3, max: 30 }));
    }

    #[test]
    fn clock_rates_parse_and_validate_in_one_place() {
        assert_eq!("n2=1.5".parse(), Ok(ClockRate { node: crate::NodeId(2), rate: 1.5 }));
        assert_eq!(ClockRate::new(crate::NodeId(1), 0.5).map(|c| c.to_string()), Ok("n1=0.5".to_owned()));
        for (text, reason) in [
            ("n1=0", "a clock rate is in (0, 10], got 0"),
            ("n1=10.5", "a clock rate is in (0, 10], got 10.5"),
            ("n1=NaN", "a clock rate is in (0, 10], got NaN"),
            ("c1=1", "write `n1=1.5`"),
            ("n1", "write `n1=1.5`"),
        ] {
            let err = text.parse::<ClockRate>().unwrap_err();
            assert!(err.reason.contains(reason), "{text}: {err}");
        }
        assert!(ClockRate::new(crate::NodeId(0), 1.0).is_err());
        let bad = ClockRate { node: crate::NodeId(1), rate: 11.0 };
        let err = Config { clock_rates: vec![bad], ..Config::default() }.validate().unwrap_err();
        assert_eq!(err.to_string(), "`clock_rates`: a clock rate is in (0, 10], got 11");
    }

    #[test]
    fn toml_round_trips_and_defaults_fill_the_rest() {
        let c =
            Config::builder().nodes(5).delay(Delay::Uniform { min: 2, max: 4 }).gateway_timeout(None).build().unwrap();
        let back = Config::from_toml(&c.to_toml()).unwrap();
        assert_eq!(back, c);
        let partial = Config::from_toml("nodes = 7\ndelay = \"2..5\"\n").unwrap();
        assert_eq!(partial.nodes, 7);
        assert_eq!(partial.delay, Delay::Uniform { min: 2, max: 5 });
        assert_eq!(partial.clients, Config::default().clients);
        let json = Config::from_json(r#"{"nodes": 2, "gateway_timeout": "never"}"#).unwrap();
        assert_eq!(json.gateway_timeout, None);
    }

    #[test]
    fn errors_name_the_field() {
        let cases: Vec<(Result<Config, ConfigError>, &str)> = vec![
            (Config::builder().nodes(0).build(), "`nodes`"),
            (
                Config::builder().delay(Delay::Uniform { min: 5, max: 3 }).build(),
                "`delay`: the minimum 5 is above the maximum 3",
            ),
            (Config::builder().delay(Delay::Constant(0)).build(), "`delay`"),
            (Config::builder().loss(1.5).build(), "`loss`"),
            (Config::builder().max_pause(0).build(), "`max_pause`"),
            (Config::builder().client_timeout(Some(0)).build(), "`client_timeout`"),
            (Config::builder().turn_budget(0).build(), "`turn_budget`"),
            (Config::from_toml("nodez = 3"), "unknown field `nodez`"),
            (Config::from_toml("delay = \"fast\""), "delay"),
            (Config::from_toml("loss = 2.0"), "`loss`"),
        ];
        for (result, expected) in cases {
            let err = result.expect_err(expected).to_string();
            assert!(err.contains(expected), "{err:?} should mention {expected:?}");
        }
    }

    #[test]
    fn a_node_with_two_clock_rates_is_refused() {
        use crate::NodeId;
        let rate = |n, rate| ClockRate { node: NodeId(n), rate };
        let c = Config { clock_rates: vec![rate(1, 2.0), rate(2, 2.0), rate(1, 3.0)], ..Config::default() };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "`clock_rates`: node 1 is given twice (rates 2 and 3): give each node one rate"
        );
    }

    #[test]
    fn cuts_must_name_existing_servers() {
        let cut = Cut {
            from: vec!["n1".parse().unwrap()],
            to: vec!["n9".parse().unwrap()],
            one_way: false,
            at: 1,
            heal: None,
        };
        let err = Config::builder().cut(cut).build().unwrap_err().to_string();
        assert!(err.contains("node 9 does not exist"), "{err}");
    }
}
