//! ABD: linearizable with many clients, loss and a minority cut off; live under loss.

mod common;

use common::{all_linearizable, assert_readme_says, base, isolate, percent};
use dgame_algorithms::Abd;

/// Five nodes, three clients, 10% loss: every one of 1000 histories is linearizable, and 67.6%
/// of the finished operations succeed. (About the most possible: a request and its answer
/// cross four lossy hops, client -> gateway -> node -> gateway -> client, that let through
/// 0.9^4 = 66%, and the rest end unknown; ABD itself loses almost nothing, since every phase
/// retries.)
#[test]
fn linearizable_and_live_with_several_clients_and_loss() {
    let t = all_linearizable::<Abd>("abd, 5 nodes, 3 clients, 10% loss", &base(5, 3, 300).loss(0.1), 0..1000);
    assert_eq!((t.ok, t.finished()), (15_844, 23_444), "{t:?}");
    assert_readme_says(
        "abd",
        &format!("10% loss: 1,000 seeds linearizable, {} of operations ok", percent(t.ok_fraction())),
    );
}

/// Two of five nodes cut off (from everyone, the gateway included) from tick 50 to 200:
/// every history is linearizable, and operations still complete.
#[test]
fn linearizable_with_a_minority_cut_off() {
    let config = base(5, 3, 300).loss(0.05).cut(isolate(2, 5, 50, Some(200))).cut(isolate(4, 5, 50, Some(200)));
    let t = all_linearizable::<Abd>("abd, nodes 2 and 4 cut off 50..200, 5% loss", &config, 0..500);
    assert_eq!((t.ok, t.finished()), (7_914, 11_956), "the majority keeps serving: {t:?}");
    assert_readme_says(
        "abd",
        &format!("2 of 5 nodes cut off: 500 seeds linearizable, {} ok", percent(t.ok_fraction())),
    );
}

/// The adversary that breaks [`AbdNoWriteBack`](dgame_algorithms::broken::AbdNoWriteBack):
/// what node 1 propagates reaches only node 2. ABD stays linearizable: a read that sees node
/// 1's value writes it back to a majority before answering.
#[test]
fn linearizable_when_a_writer_reaches_only_a_minority() {
    let config = base(5, 4, 300);
    for seed in 0..500 {
        let r = common::run_dropping_from_node1::<Abd, dgame_algorithms::abd::Propagate>(&config, seed);
        assert!(r.verdict.is_linearizable(), "seed {seed}: {}", common::explain(&r.verdict));
    }
    println!("abd, node 1's propagation lost to 3 of 4 peers: 500 runs, all linearizable");
}
