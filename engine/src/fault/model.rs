//! A fault model as data: which kinds of fault an algorithm claims to tolerate, so that a tool
//! (the explorer) can inject only those, and say which it left out.

use std::fmt;
use std::str::FromStr;

use crate::fault::NemesisKind;

/// A kind of fault an algorithm may claim to tolerate. Delays are not one: every algorithm
/// must live with messages that take time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// Messages lost on the wire (`--loss`, a dropped signal).
    Loss,
    /// Messages the network delivers twice (`--duplicate`).
    Duplication,
    /// Links cut and healed: partitions, one-way cuts, a node isolated (`--cut`, `--isolate`,
    /// the nemesis's `partition` and `isolate`).
    Partition,
    /// A node crashed and restarted, keeping only its durable fields.
    Crash,
    /// A node paused and resumed (its clock stops meanwhile).
    Pause,
}

impl FaultKind {
    /// Every kind, in a fixed order.
    pub const ALL: [FaultKind; 5] =
        [FaultKind::Loss, FaultKind::Duplication, FaultKind::Partition, FaultKind::Crash, FaultKind::Pause];

    /// Its name on the command line: `loss`, `duplication`, `partition`, `crash`, `pause`.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Loss => "loss",
            FaultKind::Duplication => "duplication",
            FaultKind::Partition => "partition",
            FaultKind::Crash => "crash",
            FaultKind::Pause => "pause",
        }
    }

    /// The same, for people, in the plural: `crashes`, `partitions`.
    pub fn plural(self) -> &'static str {
        match self {
            FaultKind::Loss => "loss",
            FaultKind::Duplication => "duplication",
            FaultKind::Partition => "partitions",
            FaultKind::Crash => "crashes",
            FaultKind::Pause => "pauses",
        }
    }

    /// The kind of fault a nemesis kind makes.
    pub fn of_nemesis(kind: NemesisKind) -> FaultKind {
        match kind {
            NemesisKind::Partition | NemesisKind::Isolate => FaultKind::Partition,
            NemesisKind::Crash => FaultKind::Crash,
            NemesisKind::Pause => FaultKind::Pause,
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        FaultKind::ALL
            .into_iter()
            .find(|k| k.name() == t || k.plural() == t)
            .ok_or_else(|| format!("`{s}` is not a kind of fault: write loss, duplication, partition, crash or pause"))
    }
}

/// The kinds of fault an algorithm claims to tolerate (besides delays, which every one must).
///
/// ```
/// use dgame_engine::{FaultKind, FaultModel};
///
/// const FAULTS: FaultModel = FaultModel::new(&[FaultKind::Loss, FaultKind::Partition]);
/// assert!(FAULTS.tolerates(FaultKind::Loss) && !FAULTS.tolerates(FaultKind::Crash));
/// assert_eq!(FAULTS.to_string(), "delays, loss, partitions");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FaultModel(u8);

impl FaultModel {
    /// Delays only.
    pub const DELAYS_ONLY: FaultModel = FaultModel(0);
    /// Every kind of fault.
    pub const ALL: FaultModel = FaultModel::new(&FaultKind::ALL);

    /// The model that tolerates exactly `kinds` (and delays).
    pub const fn new(kinds: &[FaultKind]) -> FaultModel {
        let mut bits = 0;
        let mut i = 0;
        while i < kinds.len() {
            bits |= kinds[i].bit();
            i += 1;
        }
        FaultModel(bits)
    }

    /// Whether it tolerates `kind`.
    pub const fn tolerates(self, kind: FaultKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// It, with `kind` too.
    #[must_use]
    pub const fn with(self, kind: FaultKind) -> FaultModel {
        FaultModel(self.0 | kind.bit())
    }

    /// The kinds it tolerates, in [`FaultKind::ALL`]'s order.
    pub fn kinds(self) -> Vec<FaultKind> {
        FaultKind::ALL.into_iter().filter(|&k| self.tolerates(k)).collect()
    }

    /// The kinds it does not tolerate.
    pub fn missing(self) -> Vec<FaultKind> {
        FaultKind::ALL.into_iter().filter(|&k| !self.tolerates(k)).collect()
    }
}

impl fmt::Display for FaultModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = vec!["delays"];
        parts.extend(self.kinds().into_iter().map(FaultKind::plural));
        f.write_str(&parts.join(", "))
    }
}

impl FromStr for FaultModel {
    type Err = String;
    /// `all`, or kinds separated by commas (`loss,partition`); `none` is delays only.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "all" => Ok(FaultModel::ALL),
            "none" | "delays" => Ok(FaultModel::DELAYS_ONLY),
            // Nothing written is not a way of saying `none`: an empty value is more likely a
            // variable that was not set than a choice.
            t if t.split(',').all(|p| p.trim().is_empty()) => Err(format!(
                "{s:?} names no kind of fault: write `all`, `none` for delays only, or some of loss, \
                 duplication, partition, crash, pause, comma-separated"
            )),
            t => t.split(',').filter(|p| !p.trim().is_empty()).try_fold(FaultModel::DELAYS_ONLY, |m, p| {
                let k = p.parse::<FaultKind>().map_err(|e| format!("{e}; or `all`, or `none` for delays only"))?;
                // Listed twice, a kind counts once: likely a slip for another kind.
                if m.kinds().contains(&k) {
                    return Err(format!("{s:?} lists {k} twice: list each kind once"));
                }
                Ok(m.with(k))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_is_its_kinds_and_reads_back_from_its_names() {
        let m = FaultModel::new(&[FaultKind::Crash, FaultKind::Loss]);
        assert_eq!(m.kinds(), vec![FaultKind::Loss, FaultKind::Crash]);
        assert_eq!(m.missing(), vec![FaultKind::Duplication, FaultKind::Partition, FaultKind::Pause]);
        assert_eq!("crash, loss".parse::<FaultModel>(), Ok(m));
        assert_eq!("crashes,loss".parse::<FaultModel>(), Ok(m));
        assert_eq!("all".parse::<FaultModel>(), Ok(FaultModel::ALL));
        assert_eq!("none".parse::<FaultModel>(), Ok(FaultModel::DELAYS_ONLY));
        assert!("crash,flood".parse::<FaultModel>().unwrap_err().contains("`flood` is not a kind of fault"));
        for empty in ["", " ", ",", " , "] {
            assert!(empty.parse::<FaultModel>().unwrap_err().contains("names no kind of fault"), "{empty:?}");
        }
        assert_eq!(FaultModel::ALL.to_string(), "delays, loss, duplication, partitions, crashes, pauses");
        assert_eq!(FaultModel::DELAYS_ONLY.to_string(), "delays");
        assert_eq!(FaultKind::of_nemesis(NemesisKind::Isolate), FaultKind::Partition);
    }
}
