//! What a configuration says that cannot work (errors) or would do nothing (warnings), beyond
//! what [`Config::validate`] refuses: a link from a server to itself, a nemesis that hits no
//! node, a fault after the last tick, a heal with nothing to heal.

use std::collections::BTreeSet;

use dgame_engine::{Config, Fault, NemesisKind, NodeId, ServerId};

fn overlap(from: &[ServerId], to: &[ServerId]) -> Option<ServerId> {
    let to: BTreeSet<&ServerId> = to.iter().collect();
    from.iter().find(|s| to.contains(s)).copied()
}

/// A server named twice on one side (`n1,n1|n2`): it says nothing more than once, so it is
/// more likely a slip for another server than meant.
fn repeated(side: &[ServerId]) -> Option<ServerId> {
    let mut seen = BTreeSet::new();
    side.iter().find(|s| !seen.insert(**s)).copied()
}

/// The errors: each names the flag (or key) and says what to write instead.
pub fn errors(c: &Config) -> Result<(), String> {
    let same = |what: &str, s: ServerId| {
        format!(
            "{what}: {s} is on both sides; a server's link to itself carries nothing, so it cannot be cut or slowed"
        )
    };
    let twice = |what: &str, s: ServerId| {
        format!("{what}: {s} is named twice on one side; name each server once (was another server meant?)")
    };
    for cut in &c.cuts {
        if let Some(s) = overlap(&cut.from, &cut.to) {
            return Err(same("--cut/--isolate (`cuts`)", s));
        }
        if let Some(s) = repeated(&cut.from).or_else(|| repeated(&cut.to)) {
            return Err(twice("--cut (`cuts`)", s));
        }
    }
    for s in &c.schedule {
        if let Fault::Cut { from, to, .. } | Fault::Heal { from, to, .. } = &s.fault {
            if let Some(x) = overlap(from, to) {
                return Err(same(&format!("--fault `{s}` (`schedule`)"), x));
            }
            if let Some(x) = repeated(from).or_else(|| repeated(to)) {
                return Err(twice(&format!("--fault `{s}` (`schedule`)"), x));
            }
        }
    }
    for l in &c.links {
        if let Some(s) = overlap(&l.from, &l.to) {
            return Err(same("--link-delay (`links`)", s));
        }
        if let Some(s) = repeated(&l.from).or_else(|| repeated(&l.to)) {
            return Err(twice("--link-delay (`links`)", s));
        }
    }
    if let Some(n) = &c.nemesis {
        if n.targets == 0 {
            return Err(
                "--nemesis-targets (`nemesis.targets`) must be at least 1: a nemesis fault on no node does nothing"
                    .into(),
            );
        }
        if n.targets > c.nodes {
            return Err(format!(
                "--nemesis-targets (`nemesis.targets`) is {} but there are {} nodes: give at most {}",
                n.targets, c.nodes, c.nodes
            ));
        }
    }
    Ok(())
}

/// The most ticks one core runs per second with nothing happening (17 M measured with no
/// clients): a run of many more ticks than this takes long, whatever it does.
const TICKS_PER_SECOND: u64 = 20_000_000;

/// A warning for a run so long (from `--ticks` alone) that it would seem to hang: at least ten
/// minutes at the fastest a tick goes.
pub fn long_run(c: &Config) -> Option<String> {
    let seconds = c.ticks / TICKS_PER_SECOND;
    if seconds < 600 {
        return None;
    }
    let (amount, unit) = match seconds {
        s if s < 3 * 3600 => (s / 60, "minutes"),
        s if s < 3 * 86_400 => (s / 3600, "hours"),
        s if s < 3 * 31_557_600 => (s / 86_400, "days"),
        s => (s / 31_557_600, "years"),
    };
    Some(format!(
        "a run of {} ticks takes at least {amount} {unit} (one core runs at most about {} M ticks a second, and \
         prints nothing until the end): give fewer --ticks, or Ctrl-C to stop it",
        c.ticks,
        TICKS_PER_SECOND / 1_000_000
    ))
}

/// The warnings: parts of the configuration that are accepted and would silently do nothing
/// (or take far longer than anyone waits).
pub fn warnings(c: &Config) -> Vec<String> {
    let mut w = Vec::new();
    w.extend(long_run(c));
    if c.clients == 0 {
        w.push("no clients (--clients 0): the run invokes no operation, so its verdict says nothing".to_owned());
    } else if c.quiet_ticks() > 0 && c.last_invoke() < c.round_trip() {
        w.push(format!(
            "the quiet period of {} ticks leaves operations only ticks 1-{} of {}, less than a round trip ({} \
             ticks): next to nothing is asked, so the verdict says little; give a shorter --quiet or more --ticks",
            c.quiet_ticks(),
            c.last_invoke(),
            c.ticks,
            c.round_trip()
        ));
    }
    if c.nodes < 3
        && let Some(n) = c.nemesis.as_ref().filter(|n| n.kinds.contains(&NemesisKind::Partition))
    {
        let only = n.kinds.len() == 1;
        w.push(format!(
            "the nemesis's partitions cut a minority of the nodes off, and {} node{} {} none: {}",
            c.nodes,
            if c.nodes == 1 { "" } else { "s" },
            if c.nodes == 1 { "has" } else { "have" },
            if only {
                "it does nothing; give --nodes 3 or more, or --nemesis isolate"
            } else {
                "its partitions do nothing"
            }
        ));
    }
    if let Some(n) = c.nemesis.as_ref().filter(|n| !n.kinds.is_empty())
        && n.recovery >= c.ticks
    {
        w.push(format!(
            "the nemesis stops --recovery {} ticks before the end of a run of {} ticks: it never strikes; give a \
             --recovery below {}",
            n.recovery, c.ticks, c.ticks
        ));
    }
    for s in &c.schedule {
        if s.at > c.ticks {
            w.push(format!("the fault `{s}` is after the last tick ({}): it never happens", c.ticks));
        }
    }
    if c.workload.has_final_reads() {
        let left = c.ticks - c.final_read_tick().unwrap_or(c.ticks);
        let round_trip = c.round_trip();
        if left < round_trip {
            w.push(format!(
                "the final reads start {left} ticks before the end, and a round trip can take {round_trip}: some nodes \
                 may go unread and the check says less; give a --quiet of at least {}",
                2 * round_trip
            ));
        }
        let quiet = c.last_invoke() + 1;
        for s in c.schedule.iter().filter(|s| s.at >= quiet && s.at <= c.ticks) {
            w.push(format!(
                "the fault `{s}` falls in the quiet period (from tick {quiet}), where every fault heals for the final \
                 reads: a crash, a pause or a cut there is healed only by the schedule, and an undo may find nothing \
                 to undo"
            ));
        }
    }
    for cut in &c.cuts {
        if cut.at > c.ticks {
            w.push(format!("a cut starts at tick {}, after the last tick ({}): it never happens", cut.at, c.ticks));
        }
    }
    // A nemesis that cuts links may leave something for a scheduled heal to heal.
    let nemesis_cuts = c
        .nemesis
        .as_ref()
        .is_some_and(|n| n.kinds.iter().any(|k| matches!(k, NemesisKind::Partition | NemesisKind::Isolate)));
    if !nemesis_cuts {
        let mut order: Vec<&dgame_engine::Scheduled> = c.schedule.iter().collect();
        order.sort_by_key(|s| s.at);
        let mut cut: BTreeSet<(ServerId, ServerId)> = BTreeSet::new();
        let mut isolated: BTreeSet<NodeId> = BTreeSet::new();
        for s in order {
            let nothing = match &s.fault {
                Fault::Cut { from, to, one_way } => {
                    for &a in from {
                        for &b in to {
                            cut.insert((a, b));
                            if !one_way {
                                cut.insert((b, a));
                            }
                        }
                    }
                    false
                }
                Fault::Isolate(n) => {
                    isolated.insert(*n);
                    false
                }
                Fault::Rejoin(n) => !isolated.remove(n),
                Fault::Heal { from, to, one_way } => {
                    let mut healed = false;
                    for &a in from {
                        for &b in to {
                            healed |= cut.remove(&(a, b));
                            if !one_way {
                                healed |= cut.remove(&(b, a));
                            }
                        }
                    }
                    let touches_isolated =
                        from.iter().chain(to).any(|s| matches!(s, ServerId::Node(n) if isolated.contains(n)));
                    !healed && !touches_isolated
                }
                Fault::HealAll => {
                    let nothing = cut.is_empty() && isolated.is_empty();
                    cut.clear();
                    isolated.clear();
                    nothing
                }
                _ => false,
            };
            if nothing {
                w.push(format!(
                    "the fault `{s}` has nothing to heal: no scheduled cut or isolation holds those links then \
                     (a heal never reopens a cut of `--cut`/`--isolate`)"
                ));
            }
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(schedule: &[&str]) -> Config {
        Config { schedule: schedule.iter().map(|s| s.parse().unwrap()).collect(), ..Config::default() }
    }

    #[test]
    fn heals_with_nothing_to_heal_are_warned_about_and_real_ones_are_not() {
        assert_eq!(
            warnings(&with(&["isolate n1@10", "rejoin n1@20", "cut n1|n2@30", "heal n1|n2@40"])),
            Vec::<String>::new()
        );
        let w = warnings(&with(&["rejoin n1@20", "heal n1|n2@40", "heal-all@50"]));
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w[0].contains("`rejoin n1@20` has nothing to heal"), "{w:?}");
        let late = warnings(&with(&["crash n1@5000"]));
        assert_eq!(late, ["the fault `crash n1@5000` is after the last tick (1000): it never happens"]);
    }

    #[test]
    fn a_link_from_a_server_to_itself_is_an_error() {
        let e = errors(&with(&["cut n1|n1,n2@5"])).unwrap_err();
        assert!(e.contains("node 1 is on both sides"), "{e}");
        assert!(errors(&with(&["cut n1|n2@5"])).is_ok());
    }

    #[test]
    fn a_server_named_twice_on_one_side_is_an_error() {
        let e = errors(&with(&["cut n1,n1|n2@5"])).unwrap_err();
        assert!(e.contains("--fault `cut n1,n1|n2@5` (`schedule`): node 1 is named twice on one side"), "{e}");
        let e = errors(&with(&["heal n1|n2,c1,n2@5"])).unwrap_err();
        assert!(e.contains("node 2 is named twice"), "{e}");
        let mut c = with(&[]);
        let n = |i| ServerId::Node(NodeId(i));
        c.cuts.push(dgame_engine::Cut {
            from: vec![n(1)],
            to: vec![n(2), n(3), n(3)],
            one_way: false,
            at: 5,
            heal: None,
        });
        assert!(errors(&c).unwrap_err().starts_with("--cut (`cuts`): node 3 is named twice"));
        assert!(errors(&with(&["cut n1,n2|n3@5"])).is_ok());
    }
}
