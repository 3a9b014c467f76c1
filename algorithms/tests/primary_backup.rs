//! PrimaryBackup: linearizable with many clients, delays and loss; with its primary cut off it
//! is unavailable but never wrong.

mod common;

use common::{all_linearizable, assert_readme_says, base, explain, isolate, percent, run, thousands};
use dgame_algorithms::PrimaryBackup;
use dgame_engine::prelude::*;

/// Three clients, 5% loss: every one of 1000 histories is linearizable.
#[test]
fn linearizable_with_several_clients_and_loss() {
    let t =
        all_linearizable::<PrimaryBackup>("primary-backup, 3 clients, 5% loss", &base(3, 3, 300).loss(0.05), 0..1000);
    assert_eq!((t.ok, t.finished()), (28_999, 35_210), "{t:?}");
    let figure = format!("3 clients, 5% loss: 1,000 seeds linearizable, {} of operations ok", percent(t.ok_fraction()));
    assert_readme_says("primary-backup", &figure);
}

/// Node 1 cut off from everyone at tick 100: every history is still linearizable, and no
/// operation started after the cut succeeds (they fail or time out).
#[test]
fn primary_cut_off_is_unavailable_but_never_wrong() {
    let config = base(3, 3, 300).loss(0.05).cut(isolate(1, 3, 100, None));
    let (mut after, mut refused) = (0, 0);
    for seed in 0..100 {
        let r = run::<PrimaryBackup>(&config, seed);
        assert!(r.verdict.is_linearizable(), "seed {seed}: {}", explain(&r.verdict));
        for op in r.history.operations.iter().filter(|op| op.invoke > 100) {
            after += 1;
            assert!(!matches!(op.outcome, Outcome::Ok(_)), "seed {seed}: {op:?} succeeded with the primary cut off");
            refused += 1;
        }
    }
    println!(
        "primary-backup, primary cut off at 100: 100 runs linearizable; {refused} of {after} operations after the cut failed or timed out"
    );
    assert_eq!(after, 1_214, "clients kept trying after the cut");
    let figure = format!("none of the {} operations started after the cut succeeds", thousands(after));
    assert_readme_says("primary-backup", &figure);
}
