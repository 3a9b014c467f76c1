//! The network: signals in flight on a timing wheel, loss, and cut links ([`Network`]); the
//! send path every server uses ([`Wire`]); cutting and healing links ([`cuts`]).
//!
//! A signal sent in tick `t` with a delay of `d` ticks is due at the end of tick `t + d`: the
//! wheel has one slot per tick (modulo its size, which exceeds the longest delay), so sending
//! and delivering cost O(1) whatever the size of the world.

use std::collections::{BTreeMap, BTreeSet};

use rand::RngExt;

use crate::config::{Config, Delay};
use crate::event::SignalKind;
use crate::ids::{ServerId, SignalId, Tick};
use crate::message::Payload;
use crate::rng::{SimRng, Stream, stream};

pub(crate) mod counts;
pub(crate) mod cuts;
mod wire;

pub use wire::Stats;
pub(crate) use wire::{Wire, emit};

/// A message on its way.
#[derive(Debug)]
pub(crate) struct Signal {
    pub id: SignalId,
    pub from: ServerId,
    pub to: ServerId,
    pub kind: SignalKind,
    pub sent: Tick,
    pub arrival: Tick,
    /// Decided when sent; the signal travels and vanishes at its arrival tick.
    pub lost: bool,
    /// Where the requester keeps its waiter for the reply (a request's, and its reply's, which
    /// carries it back): the key into the node's slab of waiters, so that a reply finds its
    /// waiter without a lookup by id. [`NO_WAITER`] when nobody waits.
    pub waiter: u32,
    /// For a duplicate: the signal it copies (its replies answer that one).
    pub copy_of: Option<SignalId>,
    pub payload: Box<dyn Payload>,
}

/// The [`Signal::waiter`] of a signal nobody waits on in a slab.
pub(crate) const NO_WAITER: u32 = u32::MAX;

/// A signal in flight, as a viewer sees it.
#[derive(Debug, Clone, Copy)]
pub struct InFlight<'a> {
    /// Its id.
    pub id: SignalId,
    /// Sender.
    pub from: ServerId,
    /// Recipient.
    pub to: ServerId,
    /// Request, reply or one-way.
    pub kind: SignalKind,
    /// The tick it was sent.
    pub sent: Tick,
    /// The tick at whose end it arrives.
    pub arrival: Tick,
    /// What it carries.
    pub message: &'a dyn Payload,
}

pub(crate) struct Network {
    /// Delays of particular directed links.
    overrides: BTreeMap<(ServerId, ServerId), Delay>,
    duplicate: f64,
    duplicate_rng: SimRng,
    wheel: Vec<Vec<Signal>>,
    mask: u64,
    in_flight: usize,
    cuts: BTreeSet<(ServerId, ServerId)>,
    delay: Delay,
    loss: f64,
    delay_rng: SimRng,
    loss_rng: SimRng,
}

impl Network {
    pub fn new(config: &Config) -> Self {
        let (seed, delay, loss) = (config.seed, config.delay, config.loss);
        let mut overrides = BTreeMap::new();
        for l in &config.links {
            for &a in &l.from {
                for &b in &l.to {
                    overrides.insert((a, b), l.delay);
                    if !l.one_way {
                        overrides.insert((b, a), l.delay);
                    }
                }
            }
        }
        let longest = overrides.values().map(Delay::max).chain([delay.max()]).max().unwrap_or(1);
        let slots = (longest + 1).next_power_of_two();
        Network {
            overrides,
            duplicate: config.duplicate,
            duplicate_rng: stream(seed, Stream::Duplicate),
            wheel: (0..slots).map(|_| Vec::new()).collect(),
            mask: slots - 1,
            in_flight: 0,
            cuts: BTreeSet::new(),
            delay,
            loss,
            delay_rng: stream(seed, Stream::Delay),
            loss_rng: stream(seed, Stream::Loss),
        }
    }

    /// Makes a signal sent at tick `now`: draws its delay and whether it will be lost.
    #[inline(always)]
    pub fn make(
        &mut self,
        now: Tick,
        id: SignalId,
        from: ServerId,
        to: ServerId,
        kind: SignalKind,
        payload: Box<dyn Payload>,
    ) -> Signal {
        let delay = if self.overrides.is_empty() {
            self.delay
        } else {
            self.overrides.get(&(from, to)).copied().unwrap_or(self.delay)
        };
        let delay = self.draw(delay);
        // Drawn for every signal, cut or not, so that cutting a link does not change the fate
        // of the signals on other links.
        let lost = self.loss > 0.0 && self.loss_rng.random_bool(self.loss);
        Signal {
            id,
            from,
            to,
            kind,
            sent: now,
            arrival: now.saturating_add(delay),
            lost,
            waiter: NO_WAITER,
            copy_of: None,
            payload,
        }
    }

    #[inline]
    fn draw(&mut self, delay: Delay) -> Tick {
        match delay {
            Delay::Constant(d) => d,
            Delay::Uniform { min, max } => self.delay_rng.random_range(min..=max),
            Delay::Exponential { mean, max } => {
                // Inverse transform: 1 + Exp(mean - 1), rounded (so the mean stays `mean`);
                // `1 - u` is in (0, 1].
                let u: f64 = self.delay_rng.random();
                let extra = -(1.0 - u).ln() * (mean as f64 - 1.0);
                (1 + (extra + 0.5) as Tick).min(max)
            }
        }
    }

    /// Whether nothing but its delay decides a signal's fate: no loss, no copies, no link of
    /// its own delay, no cut link (see [`Wire::flush`]).
    #[inline]
    pub fn is_plain(&self) -> bool {
        self.loss == 0.0 && self.duplicate == 0.0 && self.overrides.is_empty() && self.cuts.is_empty()
    }

    /// The arrival of a signal sent at `now` when [`is_plain`](Network::is_plain) holds: the
    /// delay drawn as [`make`](Network::make) draws it (and no loss to draw).
    #[inline(always)]
    pub fn arrival_plain(&mut self, now: Tick) -> Tick {
        let delay = self.draw(self.delay);
        now.saturating_add(delay)
    }

    /// Puts a signal on the wire when [`is_plain`](Network::is_plain) holds (no link is cut).
    #[inline(always)]
    pub fn push_plain(&mut self, signal: Signal) {
        self.wheel[(signal.arrival & self.mask) as usize].push(signal);
        self.in_flight += 1;
    }

    /// Whether the signal just made is also delivered a second time (a draw for every signal).
    #[inline]
    pub fn duplicates(&mut self) -> bool {
        self.duplicate > 0.0 && self.duplicate_rng.random_bool(self.duplicate)
    }

    /// Makes room on the wheel for signals of `delay` ticks (a choice script or an adversary
    /// may give delays longer than the configuration's).
    pub fn grow(&mut self, delay: Tick) {
        let slots = (delay + 1).next_power_of_two();
        if slots <= self.wheel.len() as u64 {
            return;
        }
        let old = std::mem::replace(&mut self.wheel, (0..slots).map(|_| Vec::new()).collect());
        self.mask = slots - 1;
        // Each old slot holds one arrival tick, in sending order: re-bucketing keeps that order.
        for signal in old.into_iter().flatten() {
            self.wheel[(signal.arrival & self.mask) as usize].push(signal);
        }
    }

    /// Puts a signal on the wire, or gives it back if its link is cut.
    #[inline]
    pub fn insert(&mut self, signal: Signal) -> Result<(), Signal> {
        if self.is_cut(signal.from, signal.to) {
            return Err(signal);
        }
        self.wheel[(signal.arrival & self.mask) as usize].push(signal);
        self.in_flight += 1;
        Ok(())
    }

    /// Whether any signal is due at the end of tick `now`.
    #[inline]
    pub fn any_due(&self, now: Tick) -> bool {
        !self.wheel[(now & self.mask) as usize].is_empty()
    }

    /// Takes the signals due at the end of tick `now`, in the order they were sent.
    #[inline]
    pub fn take_due(&mut self, now: Tick, into: &mut Vec<Signal>) {
        let slot = &mut self.wheel[(now & self.mask) as usize];
        debug_assert!(slot.iter().all(|s| s.arrival == now));
        self.in_flight -= slot.len();
        if into.is_empty() {
            // Swapping moves no signal, and the slot keeps a buffer with room for the next.
            std::mem::swap(into, slot);
        } else {
            into.append(slot);
        }
    }

    /// How many signals are in flight.
    pub fn in_flight_count(&self) -> usize {
        self.in_flight
    }

    /// Every signal in flight, in no particular order.
    pub fn in_flight(&self) -> impl Iterator<Item = InFlight<'_>> {
        self.wheel.iter().flatten().map(|s| InFlight {
            id: s.id,
            from: s.from,
            to: s.to,
            kind: s.kind,
            sent: s.sent,
            arrival: s.arrival,
            message: &*s.payload,
        })
    }

    /// Whether the signal `id` is in flight.
    pub fn contains(&self, id: SignalId) -> bool {
        self.wheel.iter().flatten().any(|s| s.id == id)
    }

    /// Removes the signal `id` if it is in flight.
    pub fn remove(&mut self, id: SignalId) -> Option<Signal> {
        for slot in &mut self.wheel {
            if let Some(i) = slot.iter().position(|s| s.id == id) {
                self.in_flight -= 1;
                // `remove`, not `swap_remove`: the rest of the slot stays in sending order.
                return Some(slot.remove(i));
            }
        }
        None
    }

    #[inline]
    pub fn is_cut(&self, from: ServerId, to: ServerId) -> bool {
        !self.cuts.is_empty() && self.cuts.contains(&(from, to))
    }

    /// Cuts the link `from -> to`; returns false if it was already cut. The signals in flight on
    /// it are removed and appended to `dropped`.
    pub fn cut(&mut self, from: ServerId, to: ServerId, dropped: &mut Vec<Signal>) -> bool {
        if !self.cuts.insert((from, to)) {
            return false;
        }
        for slot in &mut self.wheel {
            let mut i = 0;
            while i < slot.len() {
                if slot[i].from == from && slot[i].to == to {
                    dropped.push(slot.remove(i));
                    self.in_flight -= 1;
                } else {
                    i += 1;
                }
            }
        }
        true
    }

    /// Heals the link `from -> to`; returns false if it was not cut.
    pub fn heal(&mut self, from: ServerId, to: ServerId) -> bool {
        self.cuts.remove(&(from, to))
    }

    /// The cut links, in order.
    pub fn cuts(&self) -> impl Iterator<Item = (ServerId, ServerId)> + '_ {
        self.cuts.iter().copied()
    }
}
