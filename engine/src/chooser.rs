//! The choices of a run: the seed decides each signal's delay, loss and duplication; a
//! *choice script* ([`Script`], the configuration's `deviations`) and an [`Adversary`] may
//! decide otherwise. Every decision that differs from the seed's is recorded
//! ([`World::deviations`]), so a run an adversary drove replays from its script alone.
//!
//! Signal ids count up in sending order, so they are the same in two runs as long as every
//! earlier decision was the same: a script keyed by signal id replays exactly.
//!
//! Also here: invariants over the nodes' states, checked after every tick
//! ([`World::invariant`]), and the fingerprints an explorer counts (distinct schedules,
//! distinct states).

use std::cell::Ref;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::MAX_DELAY;
use crate::error::RunError;
use crate::event::SignalKind;
use crate::executor::NodeStatus;
use crate::ids::{ServerId, SignalId, Tick};
use crate::message::Payload;
use crate::network::{Network, Signal};
use crate::node::Node;
use crate::world::World;

/// What becomes of one signal: how many ticks it takes, whether it is lost, whether the
/// network delivers a copy too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fate {
    /// Ticks on the wire (at least 1).
    pub delay: Tick,
    /// Lost at its arrival tick.
    pub lost: bool,
    /// Also delivered a second time (a copy with its own id and delay). Always false for a
    /// copy.
    pub duplicate: bool,
}

/// A deviation from the seed's decision for one signal: only the parts that differ.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Choice {
    /// Another delay.
    pub delay: Option<Tick>,
    /// Lose it (`Some(true)`, written `drop`) or deliver it although the seed lost it
    /// (`Some(false)`, written `deliver`).
    pub lost: Option<bool>,
    /// Duplicate it (`dup`) or not although the seed did (`single`).
    pub duplicate: Option<bool>,
}

impl Choice {
    /// A choice that drops the signal.
    pub const DROP: Choice = Choice { delay: None, lost: Some(true), duplicate: None };

    /// A choice that gives the signal this delay.
    pub fn delay(ticks: Tick) -> Choice {
        Choice { delay: Some(ticks), ..Choice::default() }
    }

    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Choice::default()
    }

    /// Applies it to a fate.
    pub fn apply(&self, fate: &mut Fate) {
        if let Some(d) = self.delay {
            fate.delay = d;
        }
        if let Some(l) = self.lost {
            fate.lost = l;
        }
        if let Some(d) = self.duplicate {
            fate.duplicate = d;
        }
    }

    /// What turns `from` into `to`.
    pub fn between(from: Fate, to: Fate) -> Choice {
        Choice {
            delay: (from.delay != to.delay).then_some(to.delay),
            lost: (from.lost != to.lost).then_some(to.lost),
            duplicate: (from.duplicate != to.duplicate).then_some(to.duplicate),
        }
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        match self.lost {
            Some(true) => parts.push("drop".to_owned()),
            Some(false) => parts.push("deliver".to_owned()),
            None => {}
        }
        if let Some(d) = self.delay {
            parts.push(format!("delay={d}"));
        }
        match self.duplicate {
            Some(true) => parts.push("dup".to_owned()),
            Some(false) => parts.push("single".to_owned()),
            None => {}
        }
        f.write_str(&parts.join("+"))
    }
}

/// Where in a choice script an entry is: its place among the entries (`--deviate`), or the
/// line of a script file (`--script`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The n-th entry, from 1.
    Entry(usize),
    /// Line n of a file, from 1.
    Line(usize),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Entry(n) => write!(f, "entry {n}"),
            Place::Line(n) => write!(f, "line {n}"),
        }
    }
}

/// Why a choice script could not be read. Each names the entry that is wrong and where it is,
/// never the whole script (an explorer's script has thousands of entries).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseScriptError {
    /// Not written as a script.
    #[error(
        "`{entry}` ({place} of the choice script) is not a deviation: write deviations by signal id, separated \
         by commas, like `57:drop,80:delay=9`; a deviation is `drop`, `deliver`, `delay=N` (1 to {MAX_DELAY} \
         ticks), `dup` or `single`, several joined with `+` (`80:delay=9+dup`)"
    )]
    Malformed {
        /// The entry (cut short if long).
        entry: String,
        /// Where it is.
        place: Place,
    },
    /// One signal given twice (only one entry could count).
    #[error(
        "the choice script gives signal {signal} twice (again in {place}): write one entry per signal, its \
         deviations joined with `+` (`{signal}:delay=9+dup`)"
    )]
    Repeated {
        /// The signal's id.
        signal: u64,
        /// Where the second entry is.
        place: Place,
    },
    /// Signal 0, which no run sends (ids start at 1).
    #[error(
        "the choice script names signal 0 in `{entry}` ({place}): signal ids start at 1 (--trace-out FILE lists \
         every signal with its id)"
    )]
    SignalZero {
        /// The entry that names it.
        entry: String,
        /// Where it is.
        place: Place,
    },
    /// Two parts of one entry that decide the same thing (only one could count).
    #[error(
        "the choice script says both `{first}` and `{second}` in `{entry}` ({place}): keep one; an entry takes at \
         most one of `drop`/`deliver`, one `delay=N` and one of `dup`/`single`"
    )]
    Conflicting {
        /// The entry.
        entry: String,
        /// Where it is.
        place: Place,
        /// The part given first.
        first: String,
        /// The part that contradicts (or repeats) it.
        second: String,
    },
}

/// An entry as an error shows it: whole up to 60 characters, cut short beyond.
fn shown(entry: &str) -> String {
    match entry.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &entry[..i]),
        None => entry.to_owned(),
    }
}

/// A choice script: deviations from the seed's decisions, by signal id. Written
/// `57:drop,80:delay=9` on the command line and in files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Script(pub BTreeMap<SignalId, Choice>);

impl Script {
    /// No deviation.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many signals it deviates.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The deviation for `signal`, if any.
    pub fn get(&self, signal: SignalId) -> Option<&Choice> {
        self.0.get(&signal)
    }

    /// Adds (or replaces) the deviation for `signal`.
    pub fn insert(&mut self, signal: SignalId, choice: Choice) {
        if choice.is_empty() {
            self.0.remove(&signal);
        } else {
            self.0.insert(signal, choice);
        }
    }

    /// The deviations in signal order.
    pub fn iter(&self) -> impl Iterator<Item = (SignalId, Choice)> + '_ {
        self.0.iter().map(|(&s, &c)| (s, c))
    }

    /// The longest delay it gives a signal.
    pub fn max_delay(&self) -> Tick {
        self.0.values().filter_map(|c| c.delay).max().unwrap_or(0)
    }
}

impl FromIterator<(SignalId, Choice)> for Script {
    fn from_iter<I: IntoIterator<Item = (SignalId, Choice)>>(iter: I) -> Self {
        let mut s = Script::default();
        for (id, c) in iter {
            s.insert(id, c);
        }
        s
    }
}

impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(s, c)| format!("{}:{c}", s.0)).collect();
        f.write_str(&parts.join(","))
    }
}

impl FromStr for Script {
    type Err = ParseScriptError;
    /// Entries separated by commas, spaces or new lines.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let items = s.split([',', '\n', ' ']).map(str::trim).filter(|i| !i.is_empty() && !i.starts_with('#'));
        Script::from_entries(items.enumerate().map(|(i, item)| (Place::Entry(i + 1), item)))
    }
}

impl Script {
    /// Reads a script file: entries separated by commas, spaces or new lines, `#` starting a
    /// comment to the end of its line; an error names the line.
    pub fn from_lines(text: &str) -> Result<Self, ParseScriptError> {
        let lines = text.lines().enumerate().map(|(n, l)| (n + 1, l.split('#').next().unwrap_or("")));
        let items = lines.flat_map(|(n, l)| l.split([',', ' ']).map(move |i| (Place::Line(n), i.trim())));
        Script::from_entries(items.filter(|(_, i)| !i.is_empty()))
    }

    fn from_entries<'a>(items: impl Iterator<Item = (Place, &'a str)>) -> Result<Self, ParseScriptError> {
        let mut script = Script::default();
        for (place, item) in items {
            let err = || ParseScriptError::Malformed { entry: shown(item), place };
            let (id, what) = item.split_once(':').ok_or_else(err)?;
            let id = SignalId(id.trim().parse().map_err(|_| err())?);
            if id.0 == 0 {
                return Err(ParseScriptError::SignalZero { entry: shown(item), place });
            }
            let mut choice = Choice::default();
            // The part that set each of loss, delay and duplication: a second one for the same
            // would silently win.
            let mut given: [Option<&str>; 3] = [None; 3];
            for part in what.split('+').map(str::trim) {
                let which = match part {
                    "drop" | "deliver" => {
                        choice.lost = Some(part == "drop");
                        0
                    }
                    "dup" | "single" => {
                        choice.duplicate = Some(part == "dup");
                        2
                    }
                    _ => {
                        let d = part.strip_prefix("delay=").ok_or_else(err)?;
                        let d: Tick = d.trim().parse().map_err(|_| err())?;
                        if !(1..=MAX_DELAY).contains(&d) {
                            return Err(err());
                        }
                        choice.delay = Some(d);
                        1
                    }
                };
                if let Some(first) = given[which].replace(part) {
                    return Err(ParseScriptError::Conflicting {
                        entry: shown(item),
                        place,
                        first: shown(first),
                        second: shown(part),
                    });
                }
            }
            if choice.is_empty() {
                return Err(err());
            }
            if script.0.contains_key(&id) {
                return Err(ParseScriptError::Repeated { signal: id.0, place });
            }
            script.insert(id, choice);
        }
        Ok(script)
    }
}

impl Serialize for Script {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Script {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// A signal as an [`Adversary`] sees it when it is sent.
#[derive(Debug, Clone, Copy)]
pub struct SignalInfo<'a> {
    /// Its id.
    pub id: SignalId,
    /// The tick it is sent.
    pub tick: Tick,
    /// Sender.
    pub from: ServerId,
    /// Recipient.
    pub to: ServerId,
    /// Request, reply or one-way.
    pub kind: SignalKind,
    /// What it carries (`type_name()` names its type).
    pub message: &'a dyn Payload,
    /// For a copy the network made: the signal it copies.
    pub copy_of: Option<SignalId>,
}

/// Decides signals' fates instead of the seed: an explorer's strategy. It is asked about
/// every signal when it is sent, after the configuration's script, and may change `fate`.
/// What it changes is recorded as a [`Script`], so the run replays without it.
pub trait Adversary {
    /// Decides the fate of `signal` (which the seed, then the script, made `fate`).
    fn choose(&mut self, signal: &SignalInfo<'_>, fate: &mut Fate);
}

type Check<N> = Box<dyn FnMut(&[&N]) -> Result<(), String>>;

struct Invariant<N> {
    name: String,
    check: Check<N>,
}

/// The send path's part of choosing: the script, the adversary, what was chosen.
#[derive(Default)]
pub(crate) struct SignalChooser {
    script: Script,
    adversary: Option<Box<dyn Adversary>>,
    realized: Script,
    schedule_hash: u64,
}

impl SignalChooser {
    pub(crate) fn new(script: Script) -> Self {
        SignalChooser { script, ..SignalChooser::default() }
    }

    /// Whether neither a script nor an adversary may change a signal's fate.
    #[inline]
    pub(crate) fn is_plain(&self) -> bool {
        self.script.is_empty() && self.adversary.is_none()
    }

    /// What [`choose`](SignalChooser::choose) does for a signal that is neither lost nor
    /// copied when [`is_plain`](SignalChooser::is_plain) holds: only the fingerprint moves
    /// (the configuration's delays are within `1..=MAX_DELAY`, checked by `Config::validate`).
    #[inline(always)]
    pub(crate) fn note_plain(&mut self, id: SignalId, sent: Tick, arrival: Tick) {
        debug_assert!((1..=MAX_DELAY).contains(&(arrival - sent)));
        self.schedule_hash = mix(self.schedule_hash, id.0 ^ (arrival << 20));
    }

    /// Decides a signal's fate: the seed's (already in `signal` and `duplicate`), then the
    /// script's, then the adversary's; records what differs. `duplicate` is `None` for a copy.
    #[inline]
    pub(crate) fn choose(&mut self, network: &mut Network, signal: &mut Signal, duplicate: Option<&mut bool>) {
        // Without a script or an adversary (every run but the explorer's) the seed's fate
        // stands and only the fingerprint moves: the same as the general case, in a few
        // instructions per signal.
        if self.script.is_empty()
            && self.adversary.is_none()
            && (1..=MAX_DELAY).contains(&(signal.arrival - signal.sent))
        {
            self.schedule_hash =
                mix(self.schedule_hash, signal.id.0 ^ (signal.arrival << 20) ^ (u64::from(signal.lost) << 62));
            if duplicate.is_some_and(|d| *d) {
                self.schedule_hash = mix(self.schedule_hash, 1);
            }
            return;
        }
        self.choose_deviating(network, signal, duplicate);
    }

    #[inline(never)]
    fn choose_deviating(&mut self, network: &mut Network, signal: &mut Signal, duplicate: Option<&mut bool>) {
        let seeded = Fate {
            delay: signal.arrival - signal.sent,
            lost: signal.lost,
            duplicate: duplicate.as_deref().copied().unwrap_or(false),
        };
        let mut fate = seeded;
        if !self.script.is_empty()
            && let Some(choice) = self.script.get(signal.id)
        {
            choice.apply(&mut fate);
        }
        if let Some(adversary) = &mut self.adversary {
            let info = SignalInfo {
                id: signal.id,
                tick: signal.sent,
                from: signal.from,
                to: signal.to,
                kind: signal.kind,
                message: &*signal.payload,
                copy_of: signal.copy_of,
            };
            adversary.choose(&info, &mut fate);
        }
        if duplicate.is_none() {
            fate.duplicate = false;
        }
        fate.delay = fate.delay.clamp(1, MAX_DELAY);
        if fate != seeded {
            self.realized.insert(signal.id, Choice::between(seeded, fate));
            network.grow(fate.delay);
            signal.arrival = signal.sent + fate.delay;
            signal.lost = fate.lost;
            if let Some(d) = duplicate {
                *d = fate.duplicate;
            }
        }
        self.schedule_hash =
            mix(self.schedule_hash, signal.id.0 ^ (signal.arrival << 20) ^ (u64::from(fate.lost) << 62));
        if fate.duplicate {
            self.schedule_hash = mix(self.schedule_hash, 1);
        }
    }
}

/// The world's part: the invariants checked after every tick, and the states' fingerprints.
pub(crate) struct Invariants<N> {
    invariants: Vec<Invariant<N>>,
    state_hash: Option<fn(&N) -> u64>,
    states: Vec<u64>,
}

impl<N> Default for Invariants<N> {
    fn default() -> Self {
        Invariants { invariants: Vec::new(), state_hash: None, states: Vec::new() }
    }
}

/// A small, stable mix (splitmix64's finalizer) for fingerprints.
#[inline]
fn mix(h: u64, v: u64) -> u64 {
    let mut z = (h ^ v).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn hash_of<T: Hash>(t: &T) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    t.hash(&mut h);
    h.finish()
}

impl<N: Node> World<N> {
    /// Lets `adversary` decide the fate of every signal from now on (after the configuration's
    /// script). What it changes is recorded in [`deviations`](World::deviations).
    pub fn set_adversary(&mut self, adversary: impl Adversary + 'static) {
        self.wire.chooser.adversary = Some(Box::new(adversary));
    }

    /// Every decision of this run that differs from the seed's, by signal id: the script that,
    /// given as the configuration's `deviations` with the same seed, replays this run exactly.
    pub fn deviations(&self) -> &Script {
        &self.wire.chooser.realized
    }

    /// A fingerprint of every signal's fate so far (id, arrival, loss, duplication): two runs
    /// with the same fingerprint delivered the same signals at the same ticks.
    pub fn schedule_fingerprint(&self) -> u64 {
        self.wire.chooser.schedule_hash
    }

    /// Declares an invariant over every node's state, checked at the end of every tick from
    /// now on (nodes in id order; a crashed node keeps its last state until it restarts).
    /// When it returns `Err(why)` the run stops with [`RunError::InvariantBroken`], naming it,
    /// the tick, `why` and every node's state.
    ///
    /// `check` may keep state of its own (it is `FnMut`): "a node's tag never goes down"
    /// remembers the tags of the tick before.
    ///
    /// ```
    /// # use dgame_engine::prelude::*;
    /// # #[derive(Debug, Default)] struct Register { value: Option<Value> }
    /// # #[node] impl Register {
    /// #     #[endpoint(ClientReadRequest)]
    /// #     fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse { ClientReadResponse::ok(self.value) }
    /// #     #[endpoint(ClientWriteRequest)]
    /// #     fn write(&mut self, w: ClientWriteRequest) -> ClientWriteResponse { self.value = Some(w.value); ClientWriteResponse::ok() }
    /// # }
    /// let mut world = World::<Register>::new(Config::builder().nodes(1).ticks(50).build()?)?;
    /// world.invariant("values only go up", {
    ///     let mut last = None;
    ///     move |nodes: &[&Register]| {
    ///         let now = nodes[0].value;
    ///         if now < last { return Err(format!("{last:?} then {now:?}")) }
    ///         last = now;
    ///         Ok(())
    ///     }
    /// });
    /// // Two clients' writes can land out of order, so this invariant is wrong; the run says so.
    /// match world.run() {
    ///     Err(RunError::InvariantBroken { invariant, tick, message, .. }) => {
    ///         assert_eq!(invariant, "values only go up");
    ///         println!("tick {tick}: {message}"); // tick 22: Some(2) then Some(1)
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn invariant(
        &mut self,
        name: impl Into<String>,
        check: impl FnMut(&[&N]) -> Result<(), String> + 'static,
    ) -> &mut Self {
        self.invariants.invariants.push(Invariant { name: name.into(), check: Box::new(check) });
        self
    }

    /// The fingerprint of every node's state (and status) at the end of each tick so far,
    /// once [`track_states`](World::track_states) was called.
    pub fn state_fingerprints(&self) -> &[u64] {
        &self.invariants.states
    }

    /// The end of a tick: the invariants, and the state's fingerprint.
    pub(crate) fn after_tick(&mut self) -> Result<(), RunError> {
        if self.invariants.invariants.is_empty() && self.invariants.state_hash.is_none() {
            return Ok(());
        }
        let states: Vec<Ref<'_, N>> = self.nodes.iter().map(|s| s.ctx.state.borrow()).collect();
        let nodes: Vec<&N> = states.iter().map(|r| &**r).collect();
        if let Some(hash) = self.invariants.state_hash {
            let mut h = 0;
            for (slot, n) in self.nodes.iter().zip(&nodes) {
                let status = match slot.status {
                    NodeStatus::Up => 0,
                    NodeStatus::Crashed => 1,
                    NodeStatus::Paused => 2,
                };
                h = mix(mix(h, hash(n)), status);
            }
            self.invariants.states.push(h);
        }
        let mut broken = None;
        for inv in &mut self.invariants.invariants {
            let verdict = catch_unwind(AssertUnwindSafe(|| (inv.check)(&nodes)))
                .unwrap_or_else(|p| Err(format!("the invariant panicked: {}", crate::catch::panic_message(&*p))));
            if let Err(why) = verdict {
                broken = Some((inv.name.clone(), why));
                break;
            }
        }
        let Some((invariant, message)) = broken else { return Ok(()) };
        Err(RunError::InvariantBroken {
            tick: self.now(),
            seed: self.config.seed,
            invariant,
            message,
            states: nodes.iter().enumerate().map(|(i, n)| format!("n{}: {n:?}", i + 1)).collect(),
        })
    }
}

impl<N: Node + Hash> World<N> {
    /// Keeps a fingerprint of every node's state (its `Hash`) at the end of each tick, for an
    /// explorer to count the distinct states it reached ([`state_fingerprints`](World::state_fingerprints)).
    pub fn track_states(&mut self) {
        self.invariants.state_hash = Some(hash_of::<N>);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_parse_and_print_back() {
        let s: Script = "57:drop,80:delay=9,81:delay=4+dup,90:deliver+single".parse().unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(s.get(SignalId(57)), Some(&Choice::DROP));
        assert_eq!(s.to_string(), "57:drop,80:delay=9,81:delay=4+dup,90:deliver+single");
        assert_eq!(s.to_string().parse::<Script>().unwrap(), s);
        assert!("".parse::<Script>().unwrap().is_empty());
        for bad in ["57", "x:drop", "57:explode", "57:delay=0", "57:delay=x", "57:"] {
            assert!(bad.parse::<Script>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn signal_zero_and_parts_of_one_entry_that_contradict_or_repeat_are_refused() {
        let e = "0:drop".parse::<Script>().unwrap_err();
        assert_eq!(e, ParseScriptError::SignalZero { entry: "0:drop".into(), place: Place::Entry(1) });
        assert!(e.to_string().contains("signal ids start at 1"), "{e}");
        for (script, entry, n, first, second) in [
            ("5:drop+deliver", "5:drop+deliver", 1, "drop", "deliver"),
            ("5:deliver+drop", "5:deliver+drop", 1, "deliver", "drop"),
            ("1:dup,5:delay=3+delay=90", "5:delay=3+delay=90", 2, "delay=3", "delay=90"),
            ("5:dup+dup", "5:dup+dup", 1, "dup", "dup"),
            ("5:single+delay=2+dup", "5:single+delay=2+dup", 1, "single", "dup"),
            ("5:drop+drop", "5:drop+drop", 1, "drop", "drop"),
        ] {
            let e = script.parse::<Script>().unwrap_err();
            let want = ParseScriptError::Conflicting {
                entry: entry.into(),
                place: Place::Entry(n),
                first: first.into(),
                second: second.into(),
            };
            assert_eq!(e, want, "{script}");
            assert!(e.to_string().contains(&format!("both `{first}` and `{second}` in `{entry}`")), "{e}");
        }
        // An error names the wrong entry and where it is, not the whole script.
        let long: String = (1..=5000).map(|i| format!("{i}:drop,")).collect::<String>() + "7:explode";
        let e = long.parse::<Script>().unwrap_err();
        assert_eq!(e, ParseScriptError::Malformed { entry: "7:explode".into(), place: Place::Entry(5001) });
        assert!(e.to_string().len() < 400, "{e}");
        let e = "1:drop\n# a comment: 2:drop\n\n2:dup 1:delay=4 # again\n".parse::<Script>();
        assert!(e.is_err(), "a comment is a file's, not --deviate's");
        let e = Script::from_lines("1:drop\n# a comment: 2:drop\n\n2:dup 1:delay=4 # again\n").unwrap_err();
        assert_eq!(e, ParseScriptError::Repeated { signal: 1, place: Place::Line(4) });
        let e = Script::from_lines(&format!("1:drop\n2:{}\n", "x".repeat(1000))).unwrap_err();
        assert!(e.to_string().starts_with(&format!("`2:{}...` (line 2 of", "x".repeat(58))), "{e}");
        // One part of each kind is what the recorder writes, and reads back.
        let all = Choice { delay: Some(3), lost: Some(true), duplicate: Some(true) };
        let s: Script = format!("5:{all}").parse().unwrap();
        assert_eq!(s.get(SignalId(5)), Some(&all));
    }

    #[test]
    fn a_choice_is_the_difference_between_two_fates() {
        let a = Fate { delay: 2, lost: false, duplicate: false };
        let b = Fate { delay: 9, lost: false, duplicate: true };
        let c = Choice::between(a, b);
        assert_eq!(c.to_string(), "delay=9+dup");
        let mut x = a;
        c.apply(&mut x);
        assert_eq!(x, b);
        assert!(Choice::between(a, a).is_empty());
    }
}
