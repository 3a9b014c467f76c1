//! The flags that describe a run, how they become a [`Config`], and the command line that
//! reproduces a configuration.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use dgame_engine::ids::{format_sides, parse_sides};
use dgame_engine::{
    ClientKind, ClockRate, Config, Cut, Delay, LinkDelay, Nemesis, NemesisKind, Scheduled, ServerId, ValueMode,
};

/// Flags shared by `run`, `sweep` and `play`. Each one overrides the same key of `--config`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The algorithm to run (`dgame list` shows them; the default is the first listed).
    #[arg(short, long)]
    pub algorithm: Option<String>,
    /// A TOML file with any of the keys below (flags given on the command line win).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How many nodes run the algorithm.
    #[arg(short, long)]
    pub nodes: Option<u32>,
    /// How many clients.
    #[arg(short, long)]
    pub clients: Option<u32>,
    /// What clients do.
    #[arg(long, value_enum)]
    pub client_kind: Option<KindArg>,
    /// How many ticks to run.
    #[arg(short, long)]
    pub ticks: Option<u64>,
    /// The seed that decides every random choice.
    #[arg(short, long)]
    pub seed: Option<u64>,
    /// Ticks a signal takes: `3`, a range `1..3` (both ends included), or a long tail
    /// `exp:MEAN:MAX` (1 tick plus an exponential, capped).
    #[arg(short, long, value_parser = parse_delay)]
    pub delay: Option<Delay>,
    /// The probability that a signal is lost, in [0, 1].
    #[arg(short, long, value_parser = parse_probability)]
    pub loss: Option<f64>,
    /// Ticks the gateway waits for a node (`never` to wait forever).
    #[arg(long, value_parser = parse_timeout)]
    pub gateway_timeout: Option<Timeout>,
    /// Ticks a client waits for the gateway (`never` to wait forever).
    #[arg(long, value_parser = parse_timeout)]
    pub client_timeout: Option<Timeout>,
    /// Clients pause 1..=this many ticks between operations.
    #[arg(long)]
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
    #[arg(long, value_name = "TICKS")]
    pub nemesis_interval: Option<u64>,
    /// The nemesis's mean fault duration.
    #[arg(long, value_name = "TICKS")]
    pub nemesis_duration: Option<u64>,
    /// How many nodes each nemesis fault hits.
    #[arg(long, value_name = "N")]
    pub nemesis_targets: Option<u32>,
    /// Ticks at the end with no nemesis fault, everything healed.
    #[arg(long, value_name = "TICKS")]
    pub recovery: Option<u64>,
    /// The probability that a signal is delivered twice.
    #[arg(long, value_parser = parse_probability)]
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
    /// `#` comments). Combined with `--deviate`, which wins for a signal both name.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
}

fn parse_script(s: &str) -> Result<dgame_engine::Script, String> {
    s.parse().map_err(|e: dgame_engine::chooser::ParseScriptError| e.to_string())
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

fn parse_fault(s: &str) -> Result<Scheduled, String> {
    s.parse().map_err(|e: dgame_engine::fault::ParseFaultError| e.to_string())
}

fn parse_link_delay(s: &str) -> Result<LinkDelay, String> {
    let (sides, delay) = s.split_once('=').ok_or_else(|| {
        format!("`{s}` is not a link delay: write `n1|n2=10` (both ways) or `n1>n2=exp:5:50` (one way)")
    })?;
    let delay = parse_delay(delay)?;
    let (from, to, one_way) = parse_sides(sides)?;
    Ok(LinkDelay { from, to, one_way, delay })
}

fn parse_clock_rate(s: &str) -> Result<ClockRate, String> {
    let bad = || format!("`{s}` is not a clock rate: write `n1=1.5` (a node, and its rate in (0, 10])");
    let (node, rate) = s.split_once('=').ok_or_else(bad)?;
    let node = match node.parse::<ServerId>() {
        Ok(ServerId::Node(n)) => n,
        _ => return Err(bad()),
    };
    let rate: f64 = rate.trim().parse().map_err(|_| bad())?;
    if !(rate > 0.0 && rate <= 10.0) {
        return Err(bad());
    }
    Ok(ClockRate { node, rate })
}

/// A timeout flag: ticks, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout(pub Option<u64>);

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

/// `--values`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValuesArg {
    /// 1, 2, 3, ...: each value written once.
    Unique,
    /// Random in 1..=9.
    Random,
}

fn parse_delay(s: &str) -> Result<Delay, String> {
    let d: Delay = s.parse().map_err(|e: dgame_engine::config::ParseDelayError| e.to_string())?;
    if d.min() == 0 {
        return Err("a signal takes at least 1 tick".into());
    }
    if d.min() > d.max() {
        return Err(format!("the minimum {} is above the maximum {}", d.min(), d.max()));
    }
    Ok(d)
}

fn parse_probability(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
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
    /// The configuration: the file's (if any), then each flag given.
    pub fn to_config(&self) -> Result<Config, String> {
        let mut c = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                Config::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => Config::default(),
        };
        macro_rules! set {
            ($($field:ident),*) => { $( if let Some(v) = self.$field { c.$field = v; } )* };
        }
        set!(nodes, clients, ticks, seed, delay, loss, max_pause);
        if let Some(k) = self.client_kind {
            c.client_kind = match k {
                KindArg::Read => ClientKind::Read,
                KindArg::Write => ClientKind::Write,
                KindArg::Both => ClientKind::Both,
            };
        }
        if let Some(v) = self.values {
            c.values = match v {
                ValuesArg::Unique => ValueMode::Unique,
                ValuesArg::Random => ValueMode::Random,
            };
        }
        if let Some(Timeout(t)) = self.gateway_timeout {
            c.gateway_timeout = t;
        }
        if let Some(Timeout(t)) = self.client_timeout {
            c.client_timeout = t;
        }
        c.cuts.extend(self.cuts.iter().cloned());
        c.schedule.extend(self.faults.iter().cloned());
        c.links.extend(self.link_delays.iter().cloned());
        c.clock_rates.extend(self.clock_rates.iter().cloned());
        set!(duplicate);
        let tuning = self.nemesis_interval.is_some()
            || self.nemesis_duration.is_some()
            || self.nemesis_targets.is_some()
            || self.recovery.is_some();
        if !self.nemesis.is_empty() || (tuning && c.nemesis.is_some()) {
            let mut n = c.nemesis.clone().unwrap_or_default();
            if !self.nemesis.is_empty() {
                n.kinds = self
                    .nemesis
                    .iter()
                    .map(|k| match k {
                        NemesisArg::Partition => NemesisKind::Partition,
                        NemesisArg::Isolate => NemesisKind::Isolate,
                        NemesisArg::Crash => NemesisKind::Crash,
                        NemesisArg::Pause => NemesisKind::Pause,
                    })
                    .collect();
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
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let lines: Vec<&str> = text.lines().map(|l| l.split('#').next().unwrap_or("")).collect();
            let script = parse_script(&lines.join(",")).map_err(|e| format!("{}: {e}", path.display()))?;
            c.deviations.0.extend(script.0);
        }
        if let Some(script) = &self.deviate {
            c.deviations.0.extend(script.0.clone());
        }
        c.validate().map_err(|e| format!("{e}"))?;
        Ok(c)
    }
}

/// The program's name in reproduction commands: `dgame`, or a user's own binary's name.
static PROGRAM: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Names the program for [`command_line`] (the file name it was started as).
pub fn set_program(argv0: &std::ffi::OsStr) {
    let name = std::path::Path::new(argv0).file_stem().map(|s| s.to_string_lossy().into_owned());
    let _ = PROGRAM.set(name.filter(|n| !n.is_empty()).unwrap_or_else(|| "dgame".to_owned()));
}

/// The `dgame run` command line that reproduces `config` with `algorithm` (flags for every
/// value that differs from the default).
pub fn command_line(algorithm: &str, config: &Config) -> String {
    let d = Config::default();
    let program = PROGRAM.get().map_or("dgame", String::as_str);
    let mut out = format!("{program} run --algorithm {algorithm}");
    let mut push = |flag: &str, value: String| {
        out.push_str(&format!(" --{flag} {value}"));
    };
    push("seed", config.seed.to_string());
    if config.nodes != d.nodes {
        push("nodes", config.nodes.to_string());
    }
    if config.clients != d.clients {
        push("clients", config.clients.to_string());
    }
    if config.client_kind != d.client_kind {
        push("client-kind", format!("{:?}", config.client_kind).to_lowercase());
    }
    if config.ticks != d.ticks {
        push("ticks", config.ticks.to_string());
    }
    if config.delay != d.delay {
        push("delay", config.delay.to_string());
    }
    if config.loss != d.loss {
        push("loss", config.loss.to_string());
    }
    let timeout = |t: Option<u64>| t.map_or("never".to_owned(), |t| t.to_string());
    if config.gateway_timeout != d.gateway_timeout {
        push("gateway-timeout", timeout(config.gateway_timeout));
    }
    if config.client_timeout != d.client_timeout {
        push("client-timeout", timeout(config.client_timeout));
    }
    if config.max_pause != d.max_pause {
        push("max-pause", config.max_pause.to_string());
    }
    if config.values != d.values {
        push("values", format!("{:?}", config.values).to_lowercase());
    }
    if config.duplicate != d.duplicate {
        push("duplicate", config.duplicate.to_string());
    }
    for l in &config.links {
        push("link-delay", format!("'{}={}'", format_sides(&l.from, &l.to, l.one_way), l.delay));
    }
    for c in &config.clock_rates {
        push("clock-rate", format!("n{}={}", c.node.0, c.rate));
    }
    if let Some(n) = &config.nemesis {
        let nd = Nemesis::default();
        let kinds: Vec<String> = n.kinds.iter().map(|k| format!("{k:?}").to_lowercase()).collect();
        push("nemesis", kinds.join(","));
        if n.interval != nd.interval {
            push("nemesis-interval", n.interval.to_string());
        }
        if n.duration != nd.duration {
            push("nemesis-duration", n.duration.to_string());
        }
        if n.targets != nd.targets {
            push("nemesis-targets", n.targets.to_string());
        }
        if n.recovery != nd.recovery {
            push("recovery", n.recovery.to_string());
        }
    }
    for f in &config.schedule {
        push("fault", format!("'{f}'"));
    }
    for cut in &config.cuts {
        let ticks = match cut.heal {
            Some(h) => format!("{}..{h}", cut.at),
            None => cut.at.to_string(),
        };
        push("cut", format!("'{}@{ticks}'", format_sides(&cut.from, &cut.to, cut.one_way)));
    }
    if !config.deviations.is_empty() {
        push("deviate", format!("'{}'", config.deviations));
    }
    out
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
        let line = command_line("abd", &config);
        let words: Vec<String> = line.split_whitespace().skip(1).map(|w| w.trim_matches('\'').to_owned()).collect();
        let again = T::try_parse_from(std::iter::once("t".to_owned()).chain(words.into_iter().skip(1))).unwrap();
        assert_eq!(again.run.to_config().unwrap(), config);
        assert!(line.starts_with("dgame run --algorithm abd --seed 9 --nodes 5"), "{line}");
        assert!(line.ends_with("--deviate '12:drop,30:delay=20+dup'"), "{line}");
    }
}
