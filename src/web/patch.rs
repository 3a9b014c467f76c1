//! The difference between two JSON states: what the stream sends after the first state.
//!
//! A patch is JSON too, one of:
//! - `{"=": V}`: the value is now `V`;
//! - `{"o": {KEY: PATCH, ..}, "d": [KEY, ..]}`: an object whose listed keys changed (`d`:
//!   removed keys, left out when none);
//! - `{"a": [[INDEX, PATCH], ..], "n": LENGTH}`: an array now `LENGTH` long whose listed
//!   elements changed (an index past the old end is a new element, `{"=": V}`);
//! - `{"k": FIELD, "d": [KEY, ..], "u": [[KEY, PATCH], ..], "+": [V, ..]}`: an array of objects
//!   told apart by `FIELD` (`id` or `seq`): the elements with the keys in `d` left, those in `u`
//!   changed, and `+` came at the end. This is how the signals in flight (a few leave, a few
//!   come) and the event log (a sliding window) travel in a few bytes.
//!
//! `page/app.js` applies them (`applyPatch`); a test here applies them in Rust the same way.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

/// The patch that turns `old` into `new`; `None` when they are equal.
///
/// One walk over both: each level says whether anything under it changed, rather than comparing
/// the subtrees for equality first and then again on the way down (a state is ~2,000 messages at
/// 25 nodes, diffed every tick).
pub(crate) fn diff(old: &Value, new: &Value) -> Option<Value> {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut changed = Map::new();
            let mut kept = 0;
            for (k, v) in b {
                match a.get(k) {
                    Some(old_v) => {
                        kept += 1;
                        if let Some(p) = diff(old_v, v) {
                            changed.insert(k.clone(), p);
                        }
                    }
                    None => {
                        changed.insert(k.clone(), json!({ "=": v }));
                    }
                }
            }
            // Some of `a`'s keys are not in `b` exactly when fewer than all of them were kept.
            let gone: Vec<&String> =
                if kept < a.len() { a.keys().filter(|k| !b.contains_key(*k)).collect() } else { Vec::new() };
            if changed.is_empty() && gone.is_empty() {
                return None;
            }
            let mut out = json!({ "o": changed });
            if !gone.is_empty() {
                out["d"] = json!(gone);
            }
            Some(out)
        }
        (Value::Array(a), Value::Array(b)) => keyed(a, b).unwrap_or_else(|| positional(a, b)),
        _ if old == new => None,
        _ => Some(json!({ "=": new })),
    }
}

fn positional(a: &[Value], b: &[Value]) -> Option<Value> {
    let mut changes = Vec::new();
    for (i, v) in b.iter().enumerate() {
        match a.get(i) {
            Some(old) => {
                if let Some(p) = diff(old, v) {
                    changes.push(json!([i, p]));
                }
            }
            None => changes.push(json!([i, { "=": v }])),
        }
    }
    if changes.is_empty() && a.len() == b.len() {
        return None;
    }
    Some(json!({ "a": changes, "n": b.len() }))
}

/// An element's key: its `id` or `seq`, a number or a string (compared without formatting it).
#[derive(PartialEq, Eq, Hash)]
enum Key<'v> {
    Number(&'v serde_json::Number),
    Text(&'v str),
}

/// The key of an element by `field`, when it is a string or a number.
fn key_of<'v>(v: &'v Value, field: &str) -> Option<Key<'v>> {
    match v.get(field)? {
        Value::Number(n) => Some(Key::Number(n)),
        Value::String(s) => Some(Key::Text(s)),
        _ => None,
    }
}

/// The keyed patch, when both arrays are objects with a unique `id` (or `seq`) and `b` is `a`
/// with some elements gone, some changed and some added at the end. `Some(None)`: nothing changed.
fn keyed(a: &[Value], b: &[Value]) -> Option<Option<Value>> {
    let probe = a.first().or(b.first())?;
    let field = ["id", "seq"].into_iter().find(|f| key_of(probe, f).is_some())?;
    let ka: Vec<Key> = a.iter().map(|x| key_of(x, field)).collect::<Option<_>>()?;
    let kb: Vec<Key> = b.iter().map(|x| key_of(x, field)).collect::<Option<_>>()?;
    let old: HashMap<&Key, usize> = ka.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let new: HashSet<&Key> = kb.iter().collect();
    if old.len() != ka.len() || new.len() != kb.len() {
        return None;
    }
    let survivors: Vec<usize> = (0..a.len()).filter(|&i| new.contains(&ka[i])).collect();
    let mut next = survivors.iter();
    let (mut updates, mut added) = (Vec::new(), Vec::new());
    for (j, k) in kb.iter().enumerate() {
        match old.get(k) {
            Some(&i) => {
                // An old element after a new one, or out of order: not this shape.
                if !added.is_empty() || next.next() != Some(&i) {
                    return None;
                }
                if let Some(p) = diff(&a[i], &b[j]) {
                    updates.push(json!([a[i][field], p]));
                }
            }
            None => added.push(b[j].clone()),
        }
    }
    let gone: Vec<&Value> = (0..a.len()).filter(|&i| !new.contains(&ka[i])).map(|i| &a[i][field]).collect();
    if gone.is_empty() && updates.is_empty() && added.is_empty() {
        return Some(None);
    }
    Some(Some(json!({ "k": field, "d": gone, "u": updates, "+": added })))
}

/// Applies `patch` to `old` (what the page does; here for the tests).
#[cfg(test)]
pub(crate) fn apply(old: &Value, patch: &Value) -> Value {
    if let Some(v) = patch.get("=") {
        return v.clone();
    }
    if let Some(changed) = patch.get("o").and_then(Value::as_object) {
        let mut out = old.as_object().cloned().unwrap_or_default();
        for k in patch.get("d").and_then(Value::as_array).into_iter().flatten() {
            out.remove(k.as_str().unwrap_or_default());
        }
        for (k, p) in changed {
            let v = apply(out.get(k).unwrap_or(&Value::Null), p);
            out.insert(k.clone(), v);
        }
        return Value::Object(out);
    }
    if let Some(changes) = patch.get("a").and_then(Value::as_array) {
        let n = patch["n"].as_u64().unwrap_or(0) as usize;
        let mut out: Vec<Value> = old.as_array().cloned().unwrap_or_default();
        out.resize(n, Value::Null);
        for c in changes {
            let i = c[0].as_u64().unwrap_or(0) as usize;
            out[i] = apply(&out[i], &c[1]);
        }
        return Value::Array(out);
    }
    let field = patch["k"].as_str().unwrap_or("id");
    let gone: Vec<&Value> = patch["d"].as_array().map(|d| d.iter().collect()).unwrap_or_default();
    let updates: Vec<(&Value, &Value)> =
        patch["u"].as_array().map(|u| u.iter().map(|x| (&x[0], &x[1])).collect()).unwrap_or_default();
    let mut out: Vec<Value> = old
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| !gone.contains(&&e[field]))
        .map(|e| updates.iter().find(|(k, _)| **k == e[field]).map_or_else(|| e.clone(), |(_, p)| apply(e, p)))
        .collect();
    out.extend(patch["+"].as_array().into_iter().flatten().cloned());
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(a: Value, b: Value) -> Value {
        let p = diff(&a, &b).expect("they differ");
        assert_eq!(apply(&a, &p), b, "patch {p}");
        p
    }

    #[test]
    fn patches_turn_the_old_state_into_the_new_one() {
        assert_eq!(diff(&json!({"a": 1}), &json!({"a": 1})), None);
        let p = round_trip(json!({"tick": 1, "x": [1, 2], "gone": true}), json!({"tick": 2, "x": [1, 2, 3]}));
        assert_eq!(p, json!({"o": {"tick": {"=": 2}, "x": {"a": [[2, {"=": 3}]], "n": 3}}, "d": ["gone"]}));
        round_trip(json!([1, 2, 3]), json!([1]));
        round_trip(json!({"a": [{"b": 1}]}), json!({"a": "now a string"}));
    }

    #[test]
    fn keyed_arrays_send_only_what_left_changed_or_came() {
        let a = json!([{"id": 1, "v": "a"}, {"id": 2, "v": "b"}, {"id": 3, "v": "c"}]);
        let b = json!([{"id": 1, "v": "a"}, {"id": 3, "v": "C"}, {"id": 4, "v": "d"}]);
        let p = round_trip(a, b);
        assert_eq!(p, json!({"k": "id", "d": [2], "u": [[3, {"o": {"v": {"=": "C"}}}]], "+": [{"id": 4, "v": "d"}]}));
        // Reordered: not the keyed shape, still a correct patch.
        round_trip(json!([{"id": "n1"}, {"id": "n2"}]), json!([{"id": "n2"}, {"id": "n1"}]));
        round_trip(json!([{"seq": 1}, {"seq": 2}]), json!([{"seq": 2}, {"seq": 3}, {"seq": 4}]));
    }

    #[test]
    fn equal_values_have_no_patch_at_any_depth() {
        for v in [json!([{"id": 1, "x": [1, 2]}]), json!([1, 2]), json!({"a": {"b": [null]}}), json!("s"), json!([])] {
            assert_eq!(diff(&v, &v.clone()), None, "{v}");
        }
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (0u64..4).prop_map(Value::from),
            "[ab]{0,2}".prop_map(Value::from)
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-c]|id|seq", inner.clone(), 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                // Arrays of keyed objects, as the state's signals, messages and log are.
                proptest::collection::btree_map(0u64..6, inner, 0..4)
                    .prop_map(|m| { Value::Array(m.into_iter().map(|(id, v)| json!({"id": id, "v": v})).collect()) }),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn any_patch_turns_the_old_value_into_the_new_one(a in json_value(), b in json_value()) {
            match diff(&a, &b) {
                None => proptest::prop_assert_eq!(&a, &b),
                Some(p) => proptest::prop_assert_eq!(apply(&a, &p), b),
            }
        }
    }
}
