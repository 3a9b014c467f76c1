//! The original's two samples: correct with one client, shown wrong with two.

mod common;

use common::{all_linearizable, base, find_violation};
use dgame_algorithms::{SingleClientSyncReplication, SingleClientVersionedMajority};

/// One client, no loss: every one of 1000 histories is linearizable.
#[test]
fn sync_replication_is_linearizable_with_one_client() {
    let t = all_linearizable::<SingleClientSyncReplication>("sync-replication, 1 client", &base(3, 1, 300), 0..1000);
    assert_eq!(t.failed + t.unknown, 0, "without loss every operation completes");
}

/// Two clients: a violation within the first 100 seeds.
#[test]
fn sync_replication_breaks_with_two_clients() {
    let found = find_violation::<SingleClientSyncReplication>("sync-replication, 2 clients", &base(3, 2, 300), 0..100);
    assert!(found.is_some(), "two racing writes leave nodes with different values: a violation must show up");
}

/// One client, no loss: every one of 1000 histories is linearizable.
#[test]
fn versioned_majority_is_linearizable_with_one_client() {
    let t =
        all_linearizable::<SingleClientVersionedMajority>("versioned-majority, 1 client", &base(3, 1, 300), 0..1000);
    assert_eq!(t.failed + t.unknown, 0, "without loss every operation completes");
}

/// Two or three clients: a violation within the first 100 seeds.
#[test]
fn versioned_majority_breaks_with_several_clients() {
    let found =
        find_violation::<SingleClientVersionedMajority>("versioned-majority, 3 clients", &base(3, 3, 300), 0..100);
    assert!(found.is_some(), "two writes picking the same version must show up as a violation");
}
