//! Telling a misspelt key from an extra one.
//!
//! The history formats ignore keys they do not read, so that files written by other tools
//! (Jepsen's `:index`, `:error`, `:node`; a logger's own fields) check as they are. But a
//! key that is one slip away from a key the format reads (`"vlaue"`, `"kye"`, `:tyep`,
//! `"Complete"`) almost surely meant that key, and ignoring it changes the verdict: a read
//! whose value went unread, operations of separate registers checked as one. Those are
//! refused, naming the key meant.

/// The key of `known` that `key` is most likely a misspelling of, if it is one: `key` is
/// not itself known, and differs from a known key only in case, `-` for `_`, or by one
/// edit (a letter added, dropped, changed, or two neighbours swapped); by two edits for a
/// known key of six letters or more. Known keys shorter than three letters (`f`) are only
/// matched in case (`F`): one edit away from them is almost any short key.
#[must_use]
pub(crate) fn misspelt<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    if known.contains(&key) {
        return None;
    }
    let plain = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let key_plain = plain(key);
    known.iter().copied().find(|k| {
        let k_plain = plain(k);
        if k_plain == key_plain {
            return true;
        }
        let allowed = match k.chars().count() {
            0..=2 => 0,
            3..=5 => 1,
            _ => 2,
        };
        allowed > 0 && edits_within(&key_plain, &k_plain, allowed)
    })
}

/// Whether `a` becomes `b` in at most `limit` edits: insertions, deletions, substitutions
/// and swaps of neighbours (the optimal string alignment distance).
fn edits_within(a: &str, b: &str, limit: usize) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > limit {
        return false;
    }
    // Three rows of the distance table: the one before the previous, the previous, this one.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut row: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1).min(row[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            row[j] = d;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut row);
    }
    previous[b.len()] <= limit
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTER: [&str; 7] = ["client", "f", "value", "invoke", "complete", "outcome", "key"];

    #[test]
    fn slips_of_one_letter_are_misspellings() {
        for (key, meant) in [
            ("vlaue", "value"),
            ("kye", "key"),
            ("compelte", "complete"),
            ("Value", "value"),
            ("F", "f"),
            ("invoked", "invoke"),
            ("outcom", "outcome"),
            ("clinet", "client"),
            ("keys", "key"),
            ("complet", "complete"),
            ("compleet", "complete"),
            ("cleint", "client"),
            ("incoke", "invoke"),
            ("comlpete", "complete"),
            ("completd", "complete"),
        ] {
            assert_eq!(misspelt(key, &REGISTER), Some(meant), "{key}");
        }
        assert_eq!(misspelt("time-unit", &["time_unit"]), Some("time_unit"));
        assert_eq!(misspelt("tyep", &["process", "type", "f", "value", "time"]), Some("type"));
    }

    #[test]
    fn known_keys_and_keys_far_from_them_are_not() {
        for key in REGISTER {
            assert_eq!(misspelt(key, &REGISTER), None, "{key}");
        }
        // Keys other tools write beside ours.
        for key in ["index", "process", "type", "time", "error", "node", "g", "x", "ff", "debug", "ts", "id", "op"] {
            assert_eq!(misspelt(key, &REGISTER), None, "{key}");
        }
        for key in ["index", "error", "node", "final?", "debug", "wall-clock"] {
            assert_eq!(misspelt(key, &["process", "type", "f", "value", "time", "dgame/open"]), None, "{key}");
        }
    }

    #[test]
    fn the_distance_counts_swaps_as_one_edit() {
        assert!(edits_within("ab", "ba", 1));
        assert!(!edits_within("abc", "cba", 1));
        assert!(edits_within("abc", "cba", 2));
        assert!(edits_within("", "ab", 2));
        assert!(!edits_within("", "abc", 2));
        assert!(edits_within("kitten", "sitting", 3));
        assert!(!edits_within("kitten", "sitting", 2));
    }
}
