//! Porcupine's 102 etcd histories get their known verdicts (strict failed compare-and-sets).
//! They live outside the crate (`../shared/data/porcupine-etcd` from the workspace root);
//! without them the test says so and passes.

use std::path::PathBuf;

use dgame_checker::{Options, Verdict, check, edn, validate_order};

#[test]
fn every_etcd_history_gets_its_known_verdict() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/porcupine-etcd");
    let Ok(verdicts) = std::fs::read_to_string(dir.join("verdicts.tsv")) else {
        eprintln!("skipped: no etcd histories at {}", dir.display());
        return;
    };
    let options = Options::default().strict_failed_cas(true).max_time(None);
    let mut seen = 0;
    for line in verdicts.lines().filter(|l| !l.trim().is_empty()) {
        let (name, expected) = line.split_once('\t').expect("name<TAB>verdict");
        let history = edn::read_from(std::fs::File::open(dir.join(name)).expect("file")).expect("parses");
        let verdict = check(&history, &options);
        match (&verdict, expected.trim()) {
            (Verdict::Linearizable { witness }, "linearizable") => {
                for order in witness {
                    validate_order(&history, order.key, &order.ops, &options).expect("valid witness");
                }
            }
            (Verdict::NotLinearizable { explanation }, "not-linearizable") => {
                let core: Vec<_> = explanation.ops.iter().filter(|i| !explanation.context.contains(i)).collect();
                assert!(!core.is_empty() && core.len() <= 16, "{name}: {explanation:?}");
            }
            _ => panic!("{name}: expected {expected}, got {verdict}"),
        }
        seen += 1;
    }
    assert_eq!(seen, 102);
}
