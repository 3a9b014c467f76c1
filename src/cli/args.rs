//! The flags that describe a run and how they become a [`Config`] (the command line that
//! reproduces one is [`Config::command_line`]).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, ValueEnum};
use dgame_engine::ids::parse_sides;
use dgame_engine::{
    ClientKind, ClockRate, Config, ConfigError, Cut, Delay, LinkDelay, NemesisKind, Scheduled, ServerId, ValueMode,
    Workload,
};

use super::files;

/// The most nodes the command line builds a run with: its own bound, checked before anything
/// is allocated for them (an `--isolate` lists every server).
pub const MAX_NODES: u32 = 10_000;
/// The most clients the command line builds a run with.
pub const MAX_CLIENTS: u32 = 10_000;

/// Flags shared by `run`, `sweep` and `play`. Each one overrides the same key of `--config`.
#[derive(Debug, Clone, Default, Args)]
pub struct RunArgs {
    /// The algorithm to run (`dgame list` shows them; the default is the first listed that
    /// serves the workload).
    #[arg(short, long)]
    pub algorithm: Option<String>,
    /// What the clients ask for: register (the default), kv, broadcast, counter, pn-counter or
    /// unique-ids.
    #[arg(short, long, value_parser = parse_workload)]
    pub workload: Option<Workload>,
    /// The kv workload's number of keys (operations pick one of 1..=KEYS).
    #[arg(long, allow_negative_numbers = true, value_parser = parse_keys)]
    pub keys: Option<u32>,
    /// The quiet period at the end: clients start no operation in its last TICKS ticks; for
    /// broadcast and the counters every fault heals at its start and every node is read once
    /// more halfway through it (default 100 for those, 0 for the others).
    #[arg(long, value_name = "TICKS", allow_negative_numbers = true, value_parser = whole::<u64>("--quiet"))]
    pub quiet: Option<u64>,
    /// A TOML file with any of the keys below (flags given on the command line win); `-` reads
    /// standard input.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How many nodes run the algorithm.
    #[arg(short, long, allow_negative_numbers = true, value_parser = parse_nodes)]
    pub nodes: Option<u32>,
    /// How many clients.
    #[arg(short, long, allow_negative_numbers = true, value_parser = parse_clients)]
    pub clients: Option<u32>,
    /// What clients do.
    #[arg(long, value_enum)]
    pub client_kind: Option<KindArg>,
    /// How many ticks to run.
    #[arg(short, long, allow_negative_numbers = true, value_parser = whole::<u64>("--ticks"))]
    pub ticks: Option<u64>,
    /// The seed that decides every random choice.
    #[arg(short, long, allow_negative_numbers = true, value_parser = whole::<u64>("--seed"))]
    pub seed: Option<u64>,
    /// Ticks a signal takes: `3`, a range `1..3` (both ends included), or a long tail
    /// `exp:MEAN:MAX` (1 tick plus an exponential, capped).
    #[arg(short, long, allow_negative_numbers = true, value_parser = parse_delay)]
    pub delay: Option<Delay>,
    /// The probability that a signal is lost, in [0, 1].
    #[arg(short, long, allow_negative_numbers = true, value_parser = parse_probability)]
    pub loss: Option<f64>,
    /// Ticks the gateway waits for a node (`never` to wait forever).
    #[arg(long, allow_negative_numbers = true, value_parser = parse_timeout)]
    pub gateway_timeout: Option<Timeout>,
    /// Ticks a client waits for the gateway (`never` to wait forever).
    #[arg(long, allow_negative_numbers = true, value_parser = parse_timeout)]
    pub client_timeout: Option<Timeout>,
    /// Clients pause 1..=this many ticks between operations.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>("--max-pause"))]
    pub max_pause: Option<u64>,
    /// Which values clients write: unique (1, 2, 3, ...) or random 1..=9 as in the original.
    #[arg(long, value_enum)]
    pub values: Option<ValuesArg>,
    /// Cut links: `n1,n2|n3@100..200` cuts both ways between {n1,n2} and {n3} from tick 100 to
    /// 200; `n1>n2@50` cuts only n1 -> n2 from tick 50 on. Repeatable.
    #[arg(long = "cut", value_name = "SPEC", value_parser = parse_cut)]
    pub cuts: Vec<Cut>,
    /// Cut a node off from everyone: `n1@100..200`. Repeatable.
    #[arg(long = "isolate", value_name = "SPEC", value_parser = parse_isolate)]
    pub isolates: Vec<(ServerId, u64, Option<u64>)>,
    /// A fault at a tick: `crash n2@100`, `restart n2@150`, `pause n1@40`, `resume n1@60`,
    /// `isolate n3@100`, `cut n1,n2|n3@100`, `heal n1,n2|n3@150`, `heal-all@200`, `drop 57@31`.
    /// Repeatable.
    #[arg(long = "fault", value_name = "FAULT@TICK", value_parser = parse_fault)]
    pub faults: Vec<Scheduled>,
    /// A random nemesis of these kinds (comma-separated: partition, isolate, crash, pause).
    #[arg(long, value_delimiter = ',', value_name = "KINDS")]
    pub nemesis: Vec<NemesisArg>,
    /// The nemesis's mean ticks between faults.
    #[arg(long, value_name = "TICKS", allow_negative_numbers = true, value_parser = whole::<u64>("--nemesis-interval"))]
    pub nemesis_interval: Option<u64>,
    /// The nemesis's mean fault duration.
    #[arg(long, value_name = "TICKS", allow_negative_numbers = true, value_parser = whole::<u64>("--nemesis-duration"))]
    pub nemesis_duration: Option<u64>,
    /// How many nodes each nemesis fault hits (at least 1).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = whole::<u32>("--nemesis-targets"))]
    pub nemesis_targets: Option<u32>,
    /// Ticks at the end with no nemesis fault, everything healed.
    #[arg(long, value_name = "TICKS", allow_negative_numbers = true, value_parser = whole::<u64>("--recovery"))]
    pub recovery: Option<u64>,
    /// The probability that a signal is delivered twice.
    #[arg(long, allow_negative_numbers = true, value_parser = parse_probability)]
    pub duplicate: Option<f64>,
    /// A link's own delay: `n1|n2=10` (both ways) or `n1>n2=exp:5:50` (one way). Repeatable.
    #[arg(long = "link-delay", value_name = "LINK=DELAY", value_parser = parse_link_delay)]
    pub link_delays: Vec<LinkDelay>,
    /// A node's clock rate: `n1=1.5` makes its timers fire 1.5 times as often. Repeatable.
    #[arg(long = "clock-rate", value_name = "NODE=RATE", value_parser = parse_clock_rate)]
    pub clock_rates: Vec<ClockRate>,
    /// Deviations from the seed's decisions, by signal id (a choice script, as `explore`
    /// prints): `57:drop,80:delay=9`; also `deliver`, `dup`, `single`, joined with `+`.
    #[arg(long, value_name = "SCRIPT", value_parser = parse_script)]
    pub deviate: Option<dgame_engine::Script>,
    /// A choice script in a file (the same syntax; commas, spaces or lines between entries,
    /// `#` comments; `-` reads standard input). Combined with `--deviate`, which wins for a
    /// signal both name.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
}

fn parse_workload(s: &str) -> Result<Workload, String> {
    s.parse::<Workload>().map_err(|e| e.to_string())
}

fn parse_script(s: &str) -> Result<dgame_engine::Script, String> {
    s.parse().map_err(|e: dgame_engine::chooser::ParseScriptError| e.to_string())
}

/// A parser for a whole-number flag that names the flag when the value is negative, not a
/// number, or too large (clap alone says "unexpected argument '-1' found").
/// `--keys`, whose bound is the configuration's, not `u32`'s.
fn parse_keys(s: &str) -> Result<u32, String> {
    let max = dgame_engine::config::MAX_KEYS;
    match whole_with_limit::<u64>("--keys", format!("--keys: between 1 and {max} keys"))(s)? {
        n if (1..=u64::from(max)).contains(&n) => Ok(n as u32),
        n => Err(format!("--keys: between 1 and {max} keys, got {n}")),
    }
}

pub fn whole<T>(flag: &'static str) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: FromStr + std::fmt::Display + Bounded + Send + Sync + Clone + 'static,
{
    whole_with_limit(flag, format!("{flag} must be at most {}", T::MAX))
}

/// [`whole`] for a flag whose real bound is below its type's: a number too large for the
/// type gets `limit` (`"--nodes: at most 10000 nodes"`), the flag's own bound, rather than
/// the type's. The caller checks the bound itself for numbers that fit.
pub fn whole_with_limit<T>(
    flag: &'static str,
    limit: String,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: FromStr + Send + Sync + Clone + 'static,
{
    move |s: &str| {
        let t = s.trim();
        if let Ok(v) = t.parse::<T>() {
            return Ok(v);
        }
        if t.strip_prefix('-').is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())) {
            return Err(format!("{flag} must be a non-negative integer, got {t}"));
        }
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{limit}, got {t}"));
        }
        Err(format!("{flag} must be a non-negative integer, got `{t}`"))
    }
}

fn parse_nodes(s: &str) -> Result<u32, String> {
    whole_with_limit("--nodes", format!("--nodes: at most {MAX_NODES} nodes"))(s)
}

fn parse_clients(s: &str) -> Result<u32, String> {
    whole_with_limit("--clients", format!("--clients: at most {MAX_CLIENTS} clients"))(s)
}

/// The largest value of a whole-number flag's type, for its error.
pub trait Bounded {
    /// The largest value.
    const MAX: Self;
}
impl Bounded for u16 {
    const MAX: Self = u16::MAX;
}
impl Bounded for u32 {
    const MAX: Self = u32::MAX;
}
impl Bounded for u64 {
    const MAX: Self = u64::MAX;
}
impl Bounded for usize {
    const MAX: Self = usize::MAX;
}

/// `--nemesis` kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NemesisArg {
    /// Cut a random minority off.
    Partition,
    /// Isolate random nodes.
    Isolate,
    /// Crash random nodes and restart them.
    Crash,
    /// Pause random nodes and resume them.
    Pause,
}

impl From<NemesisArg> for NemesisKind {
    fn from(k: NemesisArg) -> Self {
        match k {
            NemesisArg::Partition => NemesisKind::Partition,
            NemesisArg::Isolate => NemesisKind::Isolate,
            NemesisArg::Crash => NemesisKind::Crash,
            NemesisArg::Pause => NemesisKind::Pause,
        }
    }
}

/// `--client-kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Only reads.
    Read,
    /// Only writes.
    Write,
    /// Both, at random.
    Both,
}

impl From<KindArg> for ClientKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Read => ClientKind::Read,
            KindArg::Write => ClientKind::Write,
            KindArg::Both => ClientKind::Both,
        }
    }
}

/// `--values`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValuesArg {
    /// 1, 2, 3, ...: each value written once.
    Unique,
    /// Random in 1..=9.
    Random,
}

impl From<ValuesArg> for ValueMode {
    fn from(v: ValuesArg) -> Self {
        match v {
            ValuesArg::Unique => ValueMode::Unique,
            ValuesArg::Random => ValueMode::Random,
        }
    }
}

/// A timeout flag: ticks, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout(pub Option<u64>);

fn parse_fault(s: &str) -> Result<Scheduled, String> {
    s.parse().map_err(|e: dgame_engine::fault::ParseFaultError| e.to_string())
}

/// The engine reads a delay; whether it is usable (at least 1 tick, min <= max, below the
/// wheel's size) is `Config::validate`'s one check, reported with the flag's name.
fn parse_delay(s: &str) -> Result<Delay, String> {
    s.parse().map_err(|e: dgame_engine::config::ParseDelayError| e.to_string())
}

fn parse_link_delay(s: &str) -> Result<LinkDelay, String> {
    let (sides, delay) = s.split_once('=').ok_or_else(|| {
        format!("`{s}` is not a link delay: write `n1|n2=10` (both ways) or `n1>n2=exp:5:50` (one way)")
    })?;
    let delay = parse_delay(delay)?;
    let (from, to, one_way) = parse_sides(sides)?;
    Ok(LinkDelay { from, to, one_way, delay })
}

/// Reads `n1=1.5`; the rate's range is `Config::validate`'s to check.
fn parse_clock_rate(s: &str) -> Result<ClockRate, String> {
    let bad = || format!("`{s}` is not a clock rate: write `n1=1.5` (a node, and its rate in (0, 10])");
    let (node, rate) = s.split_once('=').ok_or_else(bad)?;
    let node = match node.parse::<ServerId>() {
        Ok(ServerId::Node(n)) => n,
        _ => return Err(bad()),
    };
    let rate: f64 = rate.trim().parse().map_err(|_| bad())?;
    Ok(ClockRate { node, rate })
}

/// The first item of a short list (`--strategy`, `--nemesis`) that an earlier one repeats.
pub fn listed_twice<T: PartialEq>(items: &[T]) -> Option<&T> {
    items.iter().enumerate().find_map(|(i, k)| items[..i].contains(k).then_some(k))
}

fn parse_probability(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        // `-0` is 0 (and printed so).
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p + 0.0),
        _ => Err(format!("`{s}` is not a probability: write a number between 0 and 1, like 0.1")),
    }
}

fn parse_timeout(s: &str) -> Result<Timeout, String> {
    if s == "never" {
        return Ok(Timeout(None));
    }
    match s.parse::<u64>() {
        Ok(0) | Err(_) => Err(format!("`{s}` is not a timeout: write a number of ticks (at least 1), or `never`")),
        Ok(t) => Ok(Timeout(Some(t))),
    }
}

fn parse_ticks(s: &str) -> Result<(u64, Option<u64>), String> {
    let bad = || format!("`{s}` is not a tick or tick range: write `100` (from tick 100 on) or `100..200`");
    match s.split_once("..") {
        Some((a, b)) => {
            let a: u64 = a.trim().parse().map_err(|_| bad())?;
            let b: u64 = b.trim().trim_start_matches('=').parse().map_err(|_| bad())?;
            if b <= a {
                return Err(format!("the range `{s}` must end after it starts"));
            }
            Ok((a, Some(b)))
        }
        None => Ok((s.trim().parse().map_err(|_| bad())?, None)),
    }
}

fn parse_cut(s: &str) -> Result<Cut, String> {
    let (sides, ticks) = s
        .split_once('@')
        .ok_or_else(|| format!("`{s}` is not a cut: write `n1,n2|n3@100..200` (both ways) or `n1>n2@50` (one way)"))?;
    let (at, heal) = parse_ticks(ticks)?;
    let (from, to, one_way) = parse_sides(sides)?;
    Ok(Cut { from, to, one_way, at, heal })
}

fn parse_isolate(s: &str) -> Result<(ServerId, u64, Option<u64>), String> {
    let (node, ticks) = s.split_once('@').ok_or_else(|| format!("`{s}` is not an isolation: write `n1@100..200`"))?;
    let node: ServerId = node.parse().map_err(|e: dgame_engine::ids::ParseServerIdError| e.to_string())?;
    let (at, heal) = parse_ticks(ticks)?;
    Ok((node, at, heal))
}

impl RunArgs {
    /// The flag that sets a configuration key, if it was given.
    fn flag_for(&self, field: &str) -> Option<&'static str> {
        match field {
            "nodes" => self.nodes.is_some().then_some("--nodes"),
            "clients" => self.clients.is_some().then_some("--clients"),
            "ticks" => self.ticks.is_some().then_some("--ticks"),
            "delay" => self.delay.is_some().then_some("--delay"),
            "loss" => self.loss.is_some().then_some("--loss"),
            "max_pause" => self.max_pause.is_some().then_some("--max-pause"),
            "gateway_timeout" => self.gateway_timeout.is_some().then_some("--gateway-timeout"),
            "client_timeout" => self.client_timeout.is_some().then_some("--client-timeout"),
            "duplicate" => self.duplicate.is_some().then_some("--duplicate"),
            "schedule" => (!self.faults.is_empty()).then_some("--fault"),
            "cuts" if !self.cuts.is_empty() => Some("--cut"),
            "cuts" => (!self.isolates.is_empty()).then_some("--isolate"),
            "links" => (!self.link_delays.is_empty()).then_some("--link-delay"),
            "clock_rates" => (!self.clock_rates.is_empty()).then_some("--clock-rate"),
            "nemesis" => (!self.nemesis.is_empty()).then_some("--nemesis"),
            "keys" => self.keys.is_some().then_some("--keys"),
            "quiet" if self.quiet.is_some() => Some("--quiet"),
            "quiet" => self.ticks.is_some().then_some("--ticks"),
            _ => None,
        }
    }

    /// Says which flag (or which file) a configuration error comes from.
    fn explain(&self, e: &ConfigError) -> String {
        match e {
            ConfigError::Invalid { field, reason } => match (self.flag_for(field), &self.config) {
                (Some(flag), _) => format!("{flag}: {reason}"),
                (None, Some(path)) => format!("{}: `{field}`: {reason}", path.display()),
                (None, None) => e.to_string(),
            },
            _ => e.to_string(),
        }
    }

    /// The configuration: the file's (if any), then each flag given, validated.
    pub fn to_config(&self) -> Result<Config, String> {
        let mut c = match &self.config {
            Some(path) => {
                let text = files::read_config(path)?;
                // Validated once all flags are in: a flag may fix what the file got wrong.
                let c: Config = toml::from_str(&text)
                    .map_err(|e| format!("{}: config file: {}", path.display(), e.to_string().trim_end()))?;
                c
            }
            None => Config::default(),
        };
        macro_rules! set {
            ($($field:ident),*) => { $( if let Some(v) = self.$field { c.$field = v; } )* };
        }
        set!(nodes, clients, ticks, seed, delay, loss, max_pause, duplicate, workload, keys);
        if let Some(q) = self.quiet {
            c.quiet = Some(q);
        }
        if let Some(k) = self.client_kind {
            c.client_kind = k.into();
        }
        if let Some(v) = self.values {
            c.values = v.into();
        }
        if let Some(Timeout(t)) = self.gateway_timeout {
            c.gateway_timeout = t;
        }
        if let Some(Timeout(t)) = self.client_timeout {
            c.client_timeout = t;
        }
        // Bounded before anything is built for them (the isolations below list every server).
        for (flag, key, value, max) in
            [("--nodes", "nodes", c.nodes, MAX_NODES), ("--clients", "clients", c.clients, MAX_CLIENTS)]
        {
            if value > max {
                let from = match (self.flag_for(key), &self.config) {
                    (Some(_), _) | (None, None) => flag.to_owned(),
                    (None, Some(path)) => format!("{}: `{key}`", path.display()),
                };
                return Err(format!("{from}: at most {max} {key}, got {value}"));
            }
        }
        c.cuts.extend(self.cuts.iter().cloned());
        c.schedule.extend(self.faults.iter().cloned());
        // A flag's delay for a link replaces the file's for that link, as flags win over the
        // file's keys: a file entry sharing a link with a flag keeps only its other links.
        let flagged: BTreeSet<(ServerId, ServerId)> = self.link_delays.iter().flat_map(LinkDelay::links).collect();
        c.links = std::mem::take(&mut c.links)
            .into_iter()
            .flat_map(|l| {
                if l.links().all(|k| !flagged.contains(&k)) {
                    return vec![l];
                }
                let rest = l.links().filter(|k| !flagged.contains(k));
                rest.map(|(a, b)| LinkDelay { from: vec![a], to: vec![b], one_way: true, delay: l.delay }).collect()
            })
            .collect();
        c.links.extend(self.link_delays.iter().cloned());
        // A flag's rate for a node replaces the file's, as flags win over the file's keys;
        // two rates for one node among the flags, or in the file, are refused by validation.
        c.clock_rates.retain(|r| !self.clock_rates.iter().any(|f| f.node == r.node));
        c.clock_rates.extend(self.clock_rates.iter().cloned());
        let tuning = self.nemesis_interval.is_some()
            || self.nemesis_duration.is_some()
            || self.nemesis_targets.is_some()
            || self.recovery.is_some();
        // A kind listed twice counts once: likely a slip for another kind.
        if let Some(k) = listed_twice(&self.nemesis) {
            let name = k.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default();
            return Err(format!("--nemesis lists {name} twice: list each kind once"));
        }
        if !self.nemesis.is_empty() || (tuning && c.nemesis.is_some()) {
            let mut n = c.nemesis.clone().unwrap_or_default();
            if !self.nemesis.is_empty() {
                n.kinds = self.nemesis.iter().map(|&k| k.into()).collect();
            }
            n.interval = self.nemesis_interval.unwrap_or(n.interval);
            n.duration = self.nemesis_duration.unwrap_or(n.duration);
            n.targets = self.nemesis_targets.unwrap_or(n.targets);
            n.recovery = self.recovery.unwrap_or(n.recovery);
            c.nemesis = Some(n);
        } else if tuning {
            return Err("--nemesis-interval, --nemesis-duration, --nemesis-targets and --recovery tune a nemesis: add `--nemesis partition,crash` (or a `[nemesis]` table in the config)".into());
        }
        for &(node, at, heal) in &self.isolates {
            // Everyone else, as `World::isolate` does.
            let others: Vec<ServerId> = std::iter::once(ServerId::Gateway)
                .chain((1..=c.nodes).map(|n| ServerId::Node(dgame_engine::NodeId(n))))
                .chain((1..=c.clients).map(|n| ServerId::Client(dgame_engine::ClientId(n))))
                .filter(|&s| s != node)
                .collect();
            c.cuts.push(Cut { from: vec![node], to: others, one_way: false, at, heal });
        }
        if let Some(path) = &self.script {
            let text = super::files::read_limited(path, super::MAX_CONFIG_BYTES, "the choice script")
                .map_err(|e| format!("--script: {e}"))?;
            let script =
                dgame_engine::Script::from_lines(&text).map_err(|e| format!("--script {}: {e}", path.display()))?;
            c.deviations.0.extend(script.0);
        }
        if let Some(script) = &self.deviate {
            c.deviations.0.extend(script.0.clone());
        }
        c.validate().map_err(|e| self.explain(&e))?;
        super::lint::errors(&c)?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        run: RunArgs,
    }

    #[test]
    fn the_command_line_reproduces_the_configuration() {
        let args = T::try_parse_from([
            "t",
            "--nodes",
            "5",
            "--delay",
            "2..4",
            "--loss",
            "0.1",
            "--cut",
            "n1,n2|n3@10..20",
            "--cut",
            "n1>n2@5",
            "--gateway-timeout",
            "never",
            "--seed",
            "9",
            "--deviate",
            "12:drop,30:delay=20+dup",
        ])
        .unwrap();
        let config = args.run.to_config().unwrap();
        let line = config.command_line("dgame", "abd");
        let words: Vec<String> = line.split_whitespace().skip(1).map(|w| w.trim_matches('\'').to_owned()).collect();
        let again = T::try_parse_from(std::iter::once("t".to_owned()).chain(words.into_iter().skip(1))).unwrap();
        assert_eq!(again.run.to_config().unwrap(), config);
        assert!(line.starts_with("dgame run --algorithm abd --seed 9 --nodes 5"), "{line}");
        assert!(line.ends_with("--deviate 12:drop,30:delay=20+dup"), "{line}");
    }

    #[test]
    fn whole_number_flags_name_themselves_when_negative_or_too_big() {
        let ticks = whole::<u64>("--ticks");
        assert_eq!(ticks("-1"), Err("--ticks must be a non-negative integer, got -1".to_owned()));
        assert_eq!(ticks("ten"), Err("--ticks must be a non-negative integer, got `ten`".to_owned()));
        assert_eq!(ticks("7"), Ok(7));
        let port = whole::<u16>("--port");
        assert_eq!(port("65536"), Err("--port must be at most 65535, got 65536".to_owned()));
        // A flag whose bound is below its type's names its own bound, however large the number.
        for big in ["4294967296", "18446744073709551616", "99999999999999999999999999"] {
            assert_eq!(parse_nodes(big), Err(format!("--nodes: at most 10000 nodes, got {big}")));
            assert_eq!(parse_clients(big), Err(format!("--clients: at most 10000 clients, got {big}")));
            assert_eq!(parse_keys(big), Err(format!("--keys: between 1 and 1000000 keys, got {big}")));
        }
        assert_eq!(parse_nodes("5"), Ok(5));
    }
}
