//! The sample algorithms of **distributed-game**, written exactly as a user would
//! write them: through `dgame_engine::prelude::*`, nothing else.
//!
//! Read them in this order:
//!
//! 1. [`SingleClientSyncReplication`] and [`SingleClientVersionedMajority`]: faithful ports of
//!    the original's two samples, flaws included; each is correct only with one client.
//! 2. [`PrimaryBackup`]: node 1 serves everything and copies writes to every backup.
//! 3. [`Abd`]: the multi-writer atomic register of Attiya, Bar-Noy and Dolev: quorums, tags,
//!    and reads that write back.
//! 4. [`Raft`]: a register replicated by a Raft log: elections on timers, log replication,
//!    commit on majority, reads through the log.
//! 5. The workloads beyond the register, where no consensus is needed:
//!    [`BroadcastFlood`] (send every value to every peer once: fine without loss) and
//!    [`BroadcastGossip`] (send each peer what it has not acknowledged, until it does);
//!    [`GCounter`] and [`PnCounter`], counters as state-based CRDTs; [`UniqueIds`], a node's
//!    id and a durable counter.
//! 6. [`broken`]: variants with a one-line bug each, for learners to find with the checker.
//!
//! Every algorithm's documentation states its guarantee and its fault model; the tests in
//! `algorithms/tests/` run each over hundreds of seeds and have the checker judge every
//! history. [`ALL`] lists them for tools.
#![warn(missing_docs)]

pub mod abd;
pub mod broadcast_flood;
pub mod broadcast_gossip;
pub mod broken;
pub mod g_counter;
pub mod invariants;
pub mod pn_counter;
pub mod primary_backup;
pub mod raft;
pub mod single_client_sync_replication;
pub mod single_client_versioned_majority;
pub mod unique_ids;

pub use abd::Abd;
pub use broadcast_flood::BroadcastFlood;
pub use broadcast_gossip::BroadcastGossip;
pub use g_counter::GCounter;
pub use pn_counter::PnCounter;
pub use primary_backup::PrimaryBackup;
pub use raft::Raft;
pub use single_client_sync_replication::SingleClientSyncReplication;
pub use single_client_versioned_majority::SingleClientVersionedMajority;
pub use unique_ids::UniqueIds;

/// What a tool needs to know about one sample algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlgorithmInfo {
    /// Its name on the command line, in kebab-case (`abd`, `raft`, ...).
    pub name: &'static str,
    /// The Rust type implementing it, within this crate (`Abd`, `broken::AbdNoWriteBack`, ...).
    pub type_name: &'static str,
    /// What it promises.
    pub guarantee: &'static str,
    /// Under which faults the promise holds.
    pub fault_model: &'static str,
    /// The same as data: the kinds of fault `fault_model` names as tolerated.
    pub faults: dgame_engine::FaultModel,
    /// Whether it is one of the deliberately broken variants.
    pub broken: bool,
}

/// Every sample algorithm, in reading order.
pub const ALL: &[AlgorithmInfo] = &[
    AlgorithmInfo {
        name: "single-client-sync-replication",
        type_name: "SingleClientSyncReplication",
        guarantee: single_client_sync_replication::GUARANTEE,
        fault_model: single_client_sync_replication::FAULT_MODEL,
        faults: single_client_sync_replication::FAULTS,
        broken: false,
    },
    AlgorithmInfo {
        name: "single-client-versioned-majority",
        type_name: "SingleClientVersionedMajority",
        guarantee: single_client_versioned_majority::GUARANTEE,
        fault_model: single_client_versioned_majority::FAULT_MODEL,
        faults: single_client_versioned_majority::FAULTS,
        broken: false,
    },
    AlgorithmInfo {
        name: "primary-backup",
        type_name: "PrimaryBackup",
        guarantee: primary_backup::GUARANTEE,
        fault_model: primary_backup::FAULT_MODEL,
        faults: primary_backup::FAULTS,
        broken: false,
    },
    AlgorithmInfo {
        name: "abd",
        type_name: "Abd",
        guarantee: abd::GUARANTEE,
        fault_model: abd::FAULT_MODEL,
        faults: abd::FAULTS,
        broken: false,
    },
    AlgorithmInfo {
        name: "raft",
        type_name: "Raft",
        guarantee: raft::GUARANTEE,
        fault_model: raft::FAULT_MODEL,
        faults: raft::FAULTS,
        broken: false,
    },
    AlgorithmInfo {
        name: "abd-no-write-back",
        type_name: "broken::AbdNoWriteBack",
        guarantee: broken::abd_no_write_back::GUARANTEE,
        fault_model: broken::abd_no_write_back::FAULT_MODEL,
        faults: broken::abd_no_write_back::FAULTS,
        broken: true,
    },
    AlgorithmInfo {
        name: "raft-local-reads",
        type_name: "broken::RaftLocalReads",
        guarantee: broken::raft_local_reads::GUARANTEE,
        fault_model: broken::raft_local_reads::FAULT_MODEL,
        faults: broken::raft_local_reads::FAULTS,
        broken: true,
    },
    AlgorithmInfo {
        name: "abd-fire-and-forget-repair",
        type_name: "broken::AbdFireAndForgetRepair",
        guarantee: broken::abd_fire_and_forget_repair::GUARANTEE,
        fault_model: broken::abd_fire_and_forget_repair::FAULT_MODEL,
        faults: broken::abd_fire_and_forget_repair::FAULTS,
        broken: true,
    },
    AlgorithmInfo {
        name: "broadcast-flood",
        type_name: "BroadcastFlood",
        guarantee: broadcast_flood::GUARANTEE,
        fault_model: broadcast_flood::FAULT_MODEL,
        faults: broadcast_flood::FAULTS,
        broken: false,
    },
    AlgorithmInfo {
        name: "broadcast-gossip",
        type_name: "BroadcastGossip",
        guarantee: broadcast_gossip::GUARANTEE,
        fault_model: broadcast_gossip::FAULT_MODEL,
        faults: broadcast_gossip::FAULTS,
        broken: false,
    },
    AlgorithmInfo {
        name: "g-counter",
        type_name: "GCounter",
        guarantee: g_counter::GUARANTEE,
        fault_model: g_counter::FAULT_MODEL,
        faults: g_counter::FAULTS,
        broken: false,
    },
    AlgorithmInfo {
        name: "pn-counter",
        type_name: "PnCounter",
        guarantee: pn_counter::GUARANTEE,
        fault_model: pn_counter::FAULT_MODEL,
        faults: pn_counter::FAULTS,
        broken: false,
    },
    AlgorithmInfo {
        name: "unique-ids",
        type_name: "UniqueIds",
        guarantee: unique_ids::GUARANTEE,
        fault_model: unique_ids::FAULT_MODEL,
        faults: unique_ids::FAULTS,
        broken: false,
    },
    AlgorithmInfo {
        name: "broadcast-no-retry",
        type_name: "broken::BroadcastNoRetry",
        guarantee: broken::broadcast_no_retry::GUARANTEE,
        fault_model: broken::broadcast_no_retry::FAULT_MODEL,
        faults: broken::broadcast_no_retry::FAULTS,
        broken: true,
    },
    AlgorithmInfo {
        name: "g-counter-sum-merge",
        type_name: "broken::GCounterSumMerge",
        guarantee: broken::g_counter_sum_merge::GUARANTEE,
        fault_model: broken::g_counter_sum_merge::FAULT_MODEL,
        faults: broken::g_counter_sum_merge::FAULTS,
        broken: true,
    },
    AlgorithmInfo {
        name: "unique-ids-volatile",
        type_name: "broken::UniqueIdsVolatile",
        guarantee: broken::unique_ids_volatile::GUARANTEE,
        fault_model: broken::unique_ids_volatile::FAULT_MODEL,
        faults: broken::unique_ids_volatile::FAULTS,
        broken: true,
    },
];

/// The algorithm named `name` (kebab-case, as in [`ALL`]).
pub fn find(name: &str) -> Option<&'static AlgorithmInfo> {
    ALL.iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_found() {
        for a in ALL {
            assert!(a.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{}", a.name);
            assert_eq!(find(a.name), Some(a));
            assert!(!a.guarantee.is_empty() && !a.fault_model.is_empty());
        }
        assert_eq!(ALL.iter().filter(|a| a.broken).count(), 6);
    }

    /// The kinds of fault a fault model's text claims: the words before its first `;` or `(`
    /// name what it tolerates (`no loss` tolerates nothing but delays); what follows explains.
    fn claimed(text: &str) -> dgame_engine::FaultModel {
        use dgame_engine::{FaultKind, FaultModel};
        let clause = text.split([';', '(']).next().unwrap_or_default();
        if clause.trim_start().starts_with("no ") {
            return FaultModel::DELAYS_ONLY;
        }
        let words = [
            (FaultKind::Loss, "loss"),
            (FaultKind::Duplication, "duplication"),
            (FaultKind::Partition, "partition"),
            (FaultKind::Crash, "crash"),
            (FaultKind::Pause, "pause"),
        ];
        words.into_iter().filter(|(_, w)| clause.contains(w)).fold(FaultModel::DELAYS_ONLY, |m, (k, _)| m.with(k))
    }

    #[test]
    fn each_structured_fault_model_names_what_its_text_names() {
        for a in ALL {
            assert_eq!(a.faults, claimed(a.fault_model), "{}: `{}` against {}", a.name, a.fault_model, a.faults);
        }
        let by_name = |n: &str| find(n).unwrap().faults;
        assert_eq!(by_name("primary-backup").to_string(), "delays, loss, partitions");
        assert_eq!(by_name("single-client-sync-replication").to_string(), "delays");
        assert_eq!(by_name("broadcast-flood").to_string(), "delays, duplication");
        // A broken variant keeps its correct version's fault model.
        for (broken, correct) in [
            ("abd-no-write-back", "abd"),
            ("raft-local-reads", "raft"),
            ("abd-fire-and-forget-repair", "abd"),
            ("broadcast-no-retry", "broadcast-gossip"),
            ("g-counter-sum-merge", "g-counter"),
            ("unique-ids-volatile", "unique-ids"),
        ] {
            assert_eq!(by_name(broken), by_name(correct), "{broken}");
        }
    }
}
