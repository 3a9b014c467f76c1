//! Every shared Jepsen history is judged right within the default budget.

use std::path::PathBuf;

use dgame_checker::{Options, Verdict, check, edn, validate_order};

fn files(kind: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/jepsen/cas-register").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "edn"))
        .collect();
    files.sort();
    files
}

fn judge(path: &PathBuf) -> Verdict {
    let text = std::fs::read_to_string(path).expect("readable history");
    let history = edn::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let verdict = check(&history, &Options::default());
    if let Verdict::Linearizable { witness } = &verdict {
        for order in witness {
            validate_order(&history, order.key, &order.ops, &Options::default())
                .unwrap_or_else(|e| panic!("{}: invalid witness: {e}", path.display()));
        }
    }
    verdict
}

#[test]
fn every_good_history_is_linearizable() {
    let files = files("good");
    assert_eq!(files.len(), 113);
    let wrong: Vec<String> = files
        .iter()
        .filter_map(|p| {
            let v = judge(p);
            (!v.is_linearizable()).then(|| format!("{}: {v:?}", p.display()))
        })
        .collect();
    assert!(wrong.is_empty(), "misjudged: {wrong:#?}");
}

#[test]
fn every_bad_history_is_not_linearizable() {
    let files = files("bad");
    assert_eq!(files.len(), 7);
    for p in &files {
        match judge(p) {
            Verdict::NotLinearizable { explanation } => {
                assert!(!explanation.ops.is_empty(), "{}", p.display());
                assert!(!explanation.sentence.is_empty(), "{}", p.display());
                eprintln!("{}: {} ({} ops)", p.display(), explanation.sentence, explanation.ops.len());
            }
            other => panic!("{}: expected a violation, got {other:?}", p.display()),
        }
    }
}
