//! Cut links: cutting and healing them on the network, and the configuration's cuts, which
//! come and go at their ticks and which no heal lifts before their time.

use crate::config::Cut;
use crate::event::{DropReason, Event};
use crate::fault::Fault;
use crate::ids::{ServerId, Tick};
use crate::network::{Wire, emit};

/// The directed links from every server of `from` to every one of `to` (and back, unless
/// `one_way`), a server's link to itself excepted.
pub(crate) fn links<'a>(
    from: &'a [ServerId],
    to: &'a [ServerId],
    one_way: bool,
) -> impl Iterator<Item = (ServerId, ServerId)> + 'a {
    let forth = from.iter().flat_map(move |&a| to.iter().map(move |&b| (a, b)));
    let back = to.iter().flat_map(move |&b| from.iter().map(move |&a| (b, a))).filter(move |_| !one_way);
    forth.chain(back).filter(|(a, b)| a != b)
}

/// Cuts these links. Signals in flight on them are lost now (in sending order); signals sent on
/// them later are lost when sent.
pub(crate) fn cut(wire: &mut Wire, links: impl Iterator<Item = (ServerId, ServerId)>) {
    let now = wire.now();
    let mut dropped = Vec::new();
    for (a, b) in links {
        if wire.network.cut(a, b, &mut dropped) {
            emit!(wire, Event::LinkCut { tick: now, from: a, to: b });
        }
    }
    dropped.sort_by_key(|s| s.id);
    for s in dropped {
        emit!(wire, Event::SignalDropped { tick: now, signal: s.id, reason: DropReason::Partition });
        wire.stats.dropped_partition += 1;
    }
}

/// The configuration's cuts.
pub(crate) struct Cuts {
    configured: Vec<Cut>,
}

impl Cuts {
    pub fn new(configured: Vec<Cut>) -> Self {
        Cuts { configured }
    }

    /// Whether a configured cut starts or ends at tick `now` (most ticks: no, in a branch).
    #[inline]
    pub fn any_due(&self, now: Tick) -> bool {
        !self.configured.is_empty() && self.configured.iter().any(|c| c.at == now || c.heal == Some(now))
    }

    /// The faults the configuration's cuts make at tick `now`: heals first, then the new cuts.
    pub fn due(&self, now: Tick) -> Vec<Fault> {
        let heals = self.configured.iter().filter(|c| c.heal == Some(now)).map(|c| Fault::Heal {
            from: c.from.clone(),
            to: c.to.clone(),
            one_way: c.one_way,
        });
        let cuts = self.configured.iter().filter(|c| c.at == now).map(|c| Fault::Cut {
            from: c.from.clone(),
            to: c.to.clone(),
            one_way: c.one_way,
        });
        heals.chain(cuts).collect()
    }

    /// Whether a cut of the configuration holds `link` at tick `now`.
    fn holds(&self, now: Tick, link: (ServerId, ServerId)) -> bool {
        self.configured.iter().any(|c| {
            c.at <= now && c.heal.is_none_or(|h| h > now) && links(&c.from, &c.to, c.one_way).any(|l| l == link)
        })
    }

    /// Heals these links, except those a configured cut still holds: a heal never undoes the
    /// configured scenario, and overlapping or back-to-back cuts hold whatever their order.
    pub fn heal(&self, wire: &mut Wire, links: impl Iterator<Item = (ServerId, ServerId)>) {
        let now = wire.now();
        for (a, b) in links {
            if !self.holds(now, (a, b)) && wire.network.heal(a, b) {
                emit!(wire, Event::LinkHealed { tick: now, from: a, to: b });
            }
        }
    }
}
