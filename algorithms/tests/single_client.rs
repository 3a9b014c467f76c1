//! The original's two samples: correct with one client, shown wrong with two.

mod common;

use common::{all_linearizable, assert_readme_says, base, find_violation, thousands};
use dgame_algorithms::{SingleClientSyncReplication, SingleClientVersionedMajority};

/// One client, no loss: every one of 1000 histories is linearizable.
#[test]
fn sync_replication_is_linearizable_with_one_client() {
    let t = all_linearizable::<SingleClientSyncReplication>("sync-replication, 1 client", &base(3, 1, 300), 0..1000);
    assert_eq!(t.failed + t.unknown, 0, "without loss every operation completes");
    assert_eq!(t.ok, 16_894);
    let figure = format!("1 client: 1,000 seeds, all linearizable, all {} finished operations ok", thousands(t.ok));
    assert_readme_says("single-client-sync-replication", &figure);
}

/// Two clients: a violation at seed 1.
#[test]
fn sync_replication_breaks_with_two_clients() {
    let found = find_violation::<SingleClientSyncReplication>("sync-replication, 2 clients", &base(3, 2, 300), 0..100);
    let r = found.expect("two racing writes leave nodes with different values: a violation must show up");
    assert_eq!(r.seed, 1);
    assert_readme_says("single-client-sync-replication", "2 clients: the first violation at seed 1");
}

/// One client, no loss: every one of 1000 histories is linearizable.
#[test]
fn versioned_majority_is_linearizable_with_one_client() {
    let t =
        all_linearizable::<SingleClientVersionedMajority>("versioned-majority, 1 client", &base(3, 1, 300), 0..1000);
    assert_eq!(t.failed + t.unknown, 0, "without loss every operation completes");
    assert_eq!(t.ok, 13_096);
    let figure = format!("1 client: 1,000 seeds, all linearizable, all {} finished operations ok", thousands(t.ok));
    assert_readme_says("single-client-versioned-majority", &figure);
}

/// Three clients: a violation at seed 11.
#[test]
fn versioned_majority_breaks_with_several_clients() {
    let found =
        find_violation::<SingleClientVersionedMajority>("versioned-majority, 3 clients", &base(3, 3, 300), 0..100);
    let r = found.expect("two writes picking the same version must show up as a violation");
    assert_eq!(r.seed, 11);
    assert_readme_says("single-client-versioned-majority", "3 clients: the first violation at seed 11");
}
