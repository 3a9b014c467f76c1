//! The configuration of a run: a plain struct, a builder, TOML and JSON, and validation that
//! names the field that is wrong.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::chooser::Script;
use crate::fault::{Nemesis, Scheduled};
use crate::ids::{ServerId, Tick};

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
    /// Deviations from the seed's decisions, by signal id (`"57:drop,80:delay=9"`): the
    /// choice script an explorer found (see [`Script`]).
    #[serde(skip_serializing_if = "Script::is_empty")]
    pub deviations: Script,
}

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
            deviations: Script::default(),
        }
    }
}

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

/// Why a delay could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a delay: write a whole number of ticks like `3`, a range like `1..3` (both ends included), \
     or a long tail `exp:MEAN:MAX` like `exp:3:30`"
)]
pub struct ParseDelayError(pub String);

impl FromStr for Delay {
    type Err = ParseDelayError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseDelayError(s.to_owned());
        let t = s.trim();
        if let Some(rest) = t.strip_prefix("exp:") {
            let (mean, max) = rest.split_once(':').ok_or_else(err)?;
            let mean: Tick = mean.trim().parse().map_err(|_| err())?;
            let max: Tick = max.trim().parse().map_err(|_| err())?;
            if mean == 0 || max < mean {
                return Err(err());
            }
            return Ok(Delay::Exponential { mean, max });
        }
        if let Some((a, b)) = t.split_once("..") {
            let b = b.strip_prefix('=').unwrap_or(b);
            let min = a.trim().parse().map_err(|_| err())?;
            let max = b.trim().parse().map_err(|_| err())?;
            Ok(if min == max { Delay::Constant(min) } else { Delay::Uniform { min, max } })
        } else {
            t.parse().map(Delay::Constant).map_err(|_| err())
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

    /// Checks that this configuration can run.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, reason: String| Err(ConfigError::Invalid { field, reason });
        if self.nodes == 0 {
            return bad("nodes", "there must be at least 1 node".into());
        }
        if self.delay.min() == 0 {
            return bad("delay", "a signal takes at least 1 tick; use a delay of 1 or more".into());
        }
        if self.delay.min() > self.delay.max() {
            return bad(
                "delay",
                format!(
                    "the minimum {} is above the maximum {}; write it as `{}..{}`",
                    self.delay.min(),
                    self.delay.max(),
                    self.delay.max(),
                    self.delay.min()
                ),
            );
        }
        if let Delay::Exponential { mean, max } = self.delay
            && (mean == 0 || max < mean)
        {
            return bad("delay", format!("`exp:{mean}:{max}` needs a mean of at least 1 and a cap at least the mean"));
        }
        if self.delay.max() > MAX_DELAY {
            return bad("delay", format!("at most {MAX_DELAY} ticks, got {}", self.delay.max()));
        }
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
        let node_exists = |n: crate::NodeId| (1..=self.nodes).contains(&n.0);
        for s in &self.schedule {
            if s.at == 0 {
                return bad("schedule", format!("`{s}`: faults happen at tick 1 or later"));
            }
            if let Some(n) = s.fault.nodes().into_iter().find(|&n| !node_exists(n)) {
                return bad("schedule", format!("`{s}`: {n} does not exist (there are {} nodes)", self.nodes));
            }
        }
        if let Some(n) = &self.nemesis {
            if n.interval == 0 || n.duration == 0 {
                return bad("nemesis", "`interval` and `duration` are at least 1 tick".into());
            }
            if n.kinds.is_empty() {
                return bad("nemesis", "give at least one kind: partition, isolate, crash or pause".into());
            }
        }
        let exists = |s: &ServerId| match *s {
            ServerId::Gateway => true,
            ServerId::Node(n) => (1..=self.nodes).contains(&n.0),
            ServerId::Client(c) => (1..=self.clients).contains(&c.0),
        };
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
            if l.delay.min() == 0 || l.delay.min() > l.delay.max() || l.delay.max() > MAX_DELAY {
                return bad(
                    "links",
                    format!("the delay `{}` is not a usable delay (1 to {MAX_DELAY} ticks, min <= max)", l.delay),
                );
            }
        }
        for c in &self.clock_rates {
            if !node_exists(c.node) {
                return bad("clock_rates", format!("{} does not exist (there are {} nodes)", c.node, self.nodes));
            }
            if !(c.rate > 0.0 && c.rate <= 10.0) {
                return bad("clock_rates", format!("a clock rate is in (0, 10], got {}", c.rate));
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
                let exists = match *s {
                    ServerId::Gateway => true,
                    ServerId::Node(n) => (1..=self.nodes).contains(&n.0),
                    ServerId::Client(c) => (1..=self.clients).contains(&c.0),
                };
                if !exists {
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
    /// Sets [`Config::deviations`].
    deviations: Script,
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
