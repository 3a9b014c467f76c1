//! How much memory a run may need, estimated from its configuration before it starts, and
//! the `--memory-limit` it must stay under: a run keeps its whole history for the check (and
//! a broadcast read holds every value seen by then), and an algorithm that asks every node
//! for each operation keeps nodes × clients signals in flight, so a large `--ticks` or
//! `--nodes` with `--clients` would otherwise eat the machine's memory silently.
//!
//! The figures are upper bounds calibrated on this engine's real costs (measured peaks with
//! the built-in algorithms): the history holds at most one operation per client per
//! round trip at the smallest delay (or per timeout, when one is shorter), plus the pause.

use std::sync::atomic::{AtomicU64, Ordering};

use dgame_engine::{ClientKind, Config, Workload};

/// The default limit: 4 GiB.
pub const DEFAULT_LIMIT: u64 = 4 << 30;
/// Stands for `--memory-limit none`.
const NO_LIMIT: u64 = u64::MAX;

static LIMIT: AtomicU64 = AtomicU64::new(DEFAULT_LIMIT);

/// Sets the limit runs are checked against (`None`: no limit).
pub fn set_limit(limit: Option<u64>) {
    LIMIT.store(limit.unwrap_or(NO_LIMIT), Ordering::Relaxed);
}

/// Peak bytes per operation of the history (the world's, the report's copy and the check's):
/// 480-590 measured for the register and kv, 270-280 for the others, with room for a
/// vector's growth.
const OP_BYTES_LINEARIZABLE: u128 = 640;
const OP_BYTES_OTHER: u128 = 320;
/// Bytes per value a broadcast read holds (25 measured).
const VALUE_BYTES: u128 = 32;
/// Bytes per node and client pair of signals in flight (370-430 measured with ABD).
const PAIR_BYTES: u128 = 400;
/// Bytes per node, and per node and peer (its peers list).
const NODE_BYTES: u128 = 1024;
const PEER_BYTES: u128 = 4;
/// What a run needs whatever its size (the allocator's pools, the program).
const BASE_BYTES: u128 = 16 << 20;

/// What a run of a configuration may need, in parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// Operations the history may reach.
    pub operations: u128,
    /// Bytes of the history (operations, and the values broadcast reads hold).
    pub history: u128,
    /// Bytes of the signals in flight and of the nodes.
    pub network: u128,
    /// Ticks of a client's fastest operation and pause.
    pub cycle: u64,
}

impl Estimate {
    /// Everything.
    pub fn total(&self) -> u128 {
        BASE_BYTES + self.history + self.network
    }
}

/// The estimate for one run of `c`.
pub fn estimate(c: &Config) -> Estimate {
    let fastest = c.links.iter().map(|l| l.delay.min()).chain([c.delay.min()]).min().unwrap_or(1).max(1);
    // Four hops, each its delay and a tick to be handled; or a timeout, if shorter.
    let hop = fastest.saturating_add(1);
    let mut op = hop.saturating_mul(4);
    if let Some(g) = c.gateway_timeout {
        op = op.min(hop.saturating_mul(2).saturating_add(g));
    }
    if let Some(t) = c.client_timeout {
        op = op.min(t);
    }
    let cycle = op.max(1).saturating_add(1);
    let (clients, nodes) = (u128::from(c.clients), u128::from(c.nodes));
    let operations = clients * u128::from(c.last_invoke()) / u128::from(cycle) + nodes;
    let per_op =
        if matches!(c.workload, Workload::Register | Workload::Kv) { OP_BYTES_LINEARIZABLE } else { OP_BYTES_OTHER };
    let mut history = operations * per_op;
    if c.workload == Workload::Broadcast {
        let (sends, reads) = match c.client_kind {
            ClientKind::Write => (operations, 0),
            ClientKind::Read => (0, operations),
            ClientKind::Both => (operations / 2, operations / 2),
        };
        // A read holds every value sent before it: half of them on average; a final read all.
        history += (sends * reads / 2 + nodes * sends) * VALUE_BYTES;
    }
    let network = clients * nodes * PAIR_BYTES + nodes * NODE_BYTES + nodes * nodes * PEER_BYTES;
    Estimate { operations, history, network, cycle }
}

/// `bytes` in words: `812 MiB`, `27.4 GiB`.
pub fn size(bytes: u128) -> String {
    const UNITS: [&str; 6] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} bytes"),
        _ if value < 10.0 => format!("{value:.1} {}", UNITS[unit]),
        _ => format!("{value:.0} {}", UNITS[unit]),
    }
}

/// `--memory-limit`: bytes, or no limit.
#[derive(Debug, Clone, Copy)]
pub struct Limit(pub Option<u64>);

/// Parses `--memory-limit` for clap.
pub fn parse_flag(s: &str) -> Result<Limit, String> {
    parse_limit(s).map(Limit)
}

/// Parses `--memory-limit`: `none`, or a size with a unit (`512M`, `4G`, `16GiB`, `1T`, `2P`).
pub fn parse_limit(s: &str) -> Result<Option<u64>, String> {
    let bad = || format!("must be a size like 512M, 4G or 16GiB (units K, M, G, T, P), or `none`, got `{s}`");
    let t = s.trim();
    if t.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let digits = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let scale: u64 = match unit.trim().to_ascii_uppercase().trim_end_matches("IB").trim_end_matches('B') {
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        "P" => 1 << 50,
        _ => return Err(bad()),
    };
    let n: f64 = number.parse().map_err(|_| bad())?;
    let bytes = n * scale as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes >= u64::MAX as f64 {
        return Err(bad());
    }
    Ok(Some(bytes as u64))
}

/// Holds a run of `c` to the limit as it goes (see `guard`) without refusing it beforehand
/// (a replay: it stops at its first difference, however long its configuration says it is).
pub fn hold(c: &Config) {
    let limit = LIMIT.load(Ordering::Relaxed);
    if limit != NO_LIMIT {
        super::guard::arm(limit, estimate(c).total());
    }
}

/// Refuses a configuration whose `copies` runs at once (a sweep's or explore's threads) may
/// need more than the limit, naming the estimate, what it comes from and the fixes; `fewer`
/// writes the setting that runs `n` at once (`--threads n`), when one run fits.
pub fn check(c: &Config, copies: usize, fewer: fn(u128) -> String) -> Result<(), String> {
    let limit = LIMIT.load(Ordering::Relaxed);
    if limit == NO_LIMIT {
        return Ok(());
    }
    let e = estimate(c);
    let copies = copies.max(1) as u128;
    let total = e.total() * copies;
    if total <= u128::from(limit) {
        super::guard::arm(limit, total);
        return Ok(());
    }
    let each = if copies > 1 { format!(" ({copies} runs at once, {} each)", size(e.total())) } else { String::new() };
    let mut parts = Vec::new();
    // Fewer runs at once is the fix that changes nothing else, when one run fits.
    let fit = u128::from(limit) / e.total().max(1);
    if copies > 1 && fit >= 1 {
        parts.push(format!("run at most {fit} at once ({})", fewer(fit)));
    }
    if e.history >= e.network {
        let values = if c.workload == Workload::Broadcast {
            ", and each broadcast read holds every value sent before it"
        } else {
            ""
        };
        parts.push(format!(
            "the history the check needs, up to {} operations ({}, at most one per {} ticks each over {} \
             ticks{values}): {}; give fewer --ticks or --clients",
            e.operations,
            super::plural(c.clients as usize, "client"),
            e.cycle,
            c.last_invoke(),
            size(e.history)
        ));
    } else {
        parts.push(format!(
            "signals in flight, up to {} for {} × {} when every operation asks every node: {}; give fewer \
             --nodes or --clients",
            u128::from(c.clients) * u128::from(c.nodes) * 4,
            super::plural(c.nodes as usize, "node"),
            super::plural(c.clients as usize, "client"),
            size(e.network)
        ));
    }
    Err(format!(
        "this run may need up to {}{each}, above --memory-limit {}: {}, or {}",
        size(total),
        size(u128::from(limit)),
        parts.join("; "),
        raise(total)
    ))
}

/// How to raise the limit to `total`: a size `--memory-limit` takes (the next power of two,
/// in the largest unit that writes it whole), or `none` past the largest size it takes.
pub(super) fn raise(total: u128) -> String {
    const UNITS: [(&str, u32); 5] = [("P", 50), ("T", 40), ("G", 30), ("M", 20), ("K", 10)];
    match total.checked_next_power_of_two().filter(|&p| p < u128::from(u64::MAX)) {
        Some(p) => {
            let bits = p.trailing_zeros();
            let (unit, shift) = UNITS.into_iter().find(|&(_, s)| bits >= s).unwrap_or(("K", 10));
            let n = if bits >= shift { 1u128 << (bits - shift) } else { 1 };
            format!("raise the limit with --memory-limit {n}{unit} (or `none`)")
        }
        None => "lift the limit with --memory-limit none (no size it takes is that large)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_their_units_and_none_is_no_limit() {
        assert_eq!(parse_limit("4G"), Ok(Some(4 << 30)));
        assert_eq!(parse_limit("512MiB"), Ok(Some(512 << 20)));
        assert_eq!(parse_limit("1.5g"), Ok(Some(3 << 29)));
        assert_eq!(parse_limit("none"), Ok(None));
        assert!(parse_limit("lots").unwrap_err().contains("like 512M"));
        assert!(parse_limit("12").is_err(), "a size needs its unit");
        assert_eq!(parse_limit("2P"), Ok(Some(2 << 50)));
        assert_eq!(parse_limit("8192PiB"), Ok(Some(1 << 63)));
        assert_eq!(size(27 << 30), "27 GiB");
        assert_eq!(size(1536 << 20), "1.5 GiB");
    }

    #[test]
    fn the_suggested_limit_is_one_the_flag_takes() {
        for total in [1u128, 1000, 5 << 20, (3 << 30) + 1, 1 << 45, (1 << 50) + 1, 1 << 62, (1 << 63) + 1, u128::MAX] {
            let text = raise(total);
            let value = text.split("--memory-limit ").nth(1).unwrap().split(' ').next().unwrap();
            match parse_limit(value) {
                Ok(Some(bytes)) => assert!(u128::from(bytes) >= total, "{total}: {text}"),
                Ok(None) => assert!(total > 1 << 63, "{total}: {text}"),
                Err(e) => panic!("{total}: {text}: {e}"),
            }
        }
        assert_eq!(raise((3 << 30) + 1), "raise the limit with --memory-limit 4G (or `none`)");
        assert_eq!(raise(1 << 51), "raise the limit with --memory-limit 2P (or `none`)");
        assert_eq!(raise(u128::MAX), "lift the limit with --memory-limit none (no size it takes is that large)");
    }

    #[test]
    fn the_estimate_grows_with_ticks_and_with_nodes_times_clients() {
        let base = Config::default();
        let e = estimate(&base);
        // Default delays 1..3: a round trip of at least 8 ticks and a pause of 1.
        assert_eq!(e.cycle, 9);
        assert_eq!(e.operations, 2 * 1000 / 9 + 3);
        let long = estimate(&Config { ticks: 1000 * 1000, ..base.clone() });
        assert!(long.history > 900 * e.history && long.history < 1100 * e.history, "{long:?} {e:?}");
        let wide = estimate(&Config { nodes: 10_000, clients: 10_000, ..base.clone() });
        assert!(wide.network > 30 << 30, "{wide:?}");
        // Broadcast reads hold the values: quadratic in the ticks.
        let b = |ticks| estimate(&Config { ticks, workload: Workload::Broadcast, ..base.clone() }).history;
        assert!(b(40_000) > 3 * b(20_000), "{} {}", b(40_000), b(20_000));
    }

    #[test]
    fn what_the_readme_and_the_benches_run_fits_the_default_limit() {
        let fits = |c: Config| assert!(estimate(&c).total() < u128::from(DEFAULT_LIMIT), "{c:?}: {:?}", estimate(&c));
        let base = Config::default();
        fits(Config { ticks: 1_000_000, ..base.clone() });
        // benches/whole-run.sh: no timeouts, pauses up to 6.
        let whole = Config { gateway_timeout: None, client_timeout: None, max_pause: 6, ..base.clone() };
        fits(Config { nodes: 5, clients: 3, ticks: 1_000_000, ..whole.clone() });
        fits(Config { nodes: 25, clients: 20, ticks: 100_000, ..whole.clone() });
        fits(Config { nodes: 100, clients: 50, ticks: 40_000, ..whole });
        fits(Config { workload: Workload::Broadcast, ..base.clone() });
        fits(Config { nodes: 10_000, clients: 10, ..base });
    }
}
