//! What the page shows of a node: its state as a tree, and a short status for its badge.
//!
//! The engine has `World::node_state` (the node's `Serialize` output, or its `Debug` text) and
//! `World::node_badge`; the page does not draw the `Serialize` trees yet (its time-travel test
//! fails with them), so [`node_state`] and [`node_badge`] still read the node's `Debug` text
//! into a tree. Switching them to the engine's hooks is one call each, once the page takes
//! those trees.
//!
//! A node's `Debug` (or `Serialize`) is the user's code: a panic in it is caught here and shown
//! as the node's state, and the game goes on.

use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};

use dgame_engine::{Node, NodeId, World};
use serde_json::{Map, Value};

/// A value's `Debug` text; a panic in it becomes `Err` with the panic's message.
pub(crate) fn debug_text(value: &dyn Debug) -> Result<String, String> {
    catch_unwind(AssertUnwindSafe(|| format!("{value:?}"))).map_err(|p| panic_message(&*p))
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    let what = p.downcast_ref::<&str>().map(|s| (*s).to_owned()).or_else(|| p.downcast_ref::<String>().cloned());
    format!("its Debug panicked: {}", what.unwrap_or_else(|| "(no message)".into()))
}

/// A node's state: a tree (objects, arrays, numbers, strings) when it can be read as one, its
/// `Debug` text as a string otherwise; `Err` when showing it panicked. `None`: no such node.
pub(crate) fn node_state<N: Node>(world: &World<N>, id: NodeId) -> Option<Result<Value, String>> {
    let node = world.node(id)?;
    Some(debug_text(&*node).map(|text| parse_debug(&text).unwrap_or(Value::String(text))))
}

/// A node's short status (`leader t3`), from its state: a `role` and a `term` when it has them.
pub(crate) fn node_badge(state: &Value) -> Option<String> {
    let role = state.get("role")?.as_str()?.to_lowercase();
    match state.get("term").or_else(|| state.get("current_term")).and_then(Value::as_u64) {
        Some(term) => Some(format!("{role} t{term}")),
        None => Some(role),
    }
}

/// Reads a Rust `{:?}` text into a tree: `Name { a: 1 }` an object, `[..]` and sets arrays,
/// `{k: v}` maps objects, `Some(x)` is `x`, `None` null, a variant with fields `{"Variant": ..}`,
/// other words strings. `None` when the text is not what `derive(Debug)` writes.
pub(crate) fn parse_debug(text: &str) -> Option<Value> {
    let mut p = Reader { s: text.as_bytes(), i: 0 };
    let v = p.value()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn text(&self, from: usize) -> String {
        String::from_utf8_lossy(&self.s[from..self.i]).into_owned()
    }

    fn value(&mut self) -> Option<Value> {
        self.ws();
        match self.peek()? {
            b'"' => self.string(),
            b'\'' => {
                let start = self.i;
                self.i += 1;
                while self.peek()? != b'\'' {
                    self.i += if self.peek()? == b'\\' { 2 } else { 1 };
                }
                self.i += 1;
                Some(Value::String(self.text(start)))
            }
            b'[' => {
                self.i += 1;
                Some(Value::Array(self.items(b']')?))
            }
            b'(' => {
                self.i += 1;
                let items = self.items(b')')?;
                Some(if items.len() == 1 { items.into_iter().next()? } else { Value::Array(items) })
            }
            b'{' => {
                self.i += 1;
                self.map_or_set()
            }
            _ => self.word(),
        }
    }

    fn string(&mut self) -> Option<Value> {
        let start = self.i;
        self.i += 1;
        loop {
            match self.peek()? {
                b'\\' => self.i += 2,
                b'"' => break,
                _ => self.i += 1,
            }
        }
        self.i += 1;
        serde_json::from_str::<String>(&self.text(start))
            .ok()
            .map(Value::String)
            .or(Some(Value::String(self.text(start))))
    }

    /// Values separated by commas up to `close`.
    fn items(&mut self, close: u8) -> Option<Vec<Value>> {
        let mut out = Vec::new();
        loop {
            if self.eat(close) {
                return Some(out);
            }
            out.push(self.value()?);
            if !self.eat(b',') {
                return self.eat(close).then_some(out);
            }
        }
    }

    fn map_or_set(&mut self) -> Option<Value> {
        let mut map = Map::new();
        let mut set = Vec::new();
        loop {
            if self.eat(b'}') {
                return Some(if map.is_empty() && !set.is_empty() { Value::Array(set) } else { Value::Object(map) });
            }
            let key = self.value()?;
            if self.eat(b':') {
                let v = self.value()?;
                let key = match key {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                map.insert(key, v);
            } else {
                set.push(key);
            }
            if !self.eat(b',') {
                self.eat(b'}').then_some(())?;
                return Some(if map.is_empty() && !set.is_empty() { Value::Array(set) } else { Value::Object(map) });
            }
        }
    }

    /// A number, a word, or a name followed by fields (`Name { .. }`) or a tuple (`Name(..)`).
    fn word(&mut self) -> Option<Value> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || matches!(c, b'_' | b':' | b'.' | b'-' | b'+' | b'<' | b'>') {
                // A path (`a::B`) goes on; a lone colon (`field: value`) ends the word.
                if c == b':' {
                    if self.s.get(self.i + 1) != Some(&b':') {
                        break;
                    }
                    self.i += 1;
                }
                self.i += 1;
            } else {
                break;
            }
        }
        if self.i == start {
            return None;
        }
        let word = self.text(start);
        let name = word.rsplit("::").next().unwrap_or(&word).to_owned();
        let save = self.i;
        self.ws();
        match self.peek() {
            Some(b'{') if !name.starts_with(|c: char| c.is_ascii_digit()) => {
                self.i += 1;
                let fields = self.map_or_set()?;
                Some(fields)
            }
            Some(b'(') if self.i == save => {
                self.i += 1;
                let items = self.items(b')')?;
                Some(match (name.as_str(), items.len()) {
                    ("Some" | "Ok" | "Box" | "Rc" | "Arc" | "RefCell" | "Cell", 1) => items.into_iter().next()?,
                    // A newtype around a number (`NodeId(2)`) reads best as Rust writes it.
                    (_, 1) if !items[0].is_object() && !items[0].is_array() => {
                        Value::String(format!("{name}({})", scalar_text(&items[0])))
                    }
                    (_, 1) => single(name, items.into_iter().next()?),
                    _ => single(name, Value::Array(items)),
                })
            }
            _ => {
                self.i = save;
                Some(match word.as_str() {
                    "None" => Value::Null,
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => serde_json::from_str::<serde_json::Number>(&word)
                        .ok()
                        .map(Value::Number)
                        .unwrap_or(Value::String(name)),
                })
            }
        }
    }
}

fn single(name: String, v: Value) -> Value {
    let mut m = Map::new();
    m.insert(name, v);
    Value::Object(m)
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn derive_debug_texts_read_as_trees() {
        let t = r#"Raft { term: 3, voted_for: Some(NodeId(2)), log: [Entry { term: 1, command: Write(5) }, Entry { term: 3, command: Read }], commit: 1, role: Leader, matched: {NodeId(1): 2, NodeId(3): 0}, name: "a \"b\"", x: -1.5, set: {1, 2}, empty: [], t: (1, 'c') }"#;
        assert_eq!(
            parse_debug(t).unwrap(),
            json!({"term": 3, "voted_for": "NodeId(2)",
                   "log": [{"term": 1, "command": "Write(5)"}, {"term": 3, "command": "Read"}],
                   "commit": 1, "role": "Leader", "matched": {"NodeId(1)": 2, "NodeId(3)": 0},
                   "name": "a \"b\"", "x": -1.5, "set": [1, 2], "empty": [], "t": [1, "'c'"]})
        );
        assert_eq!(node_badge(&parse_debug(t).unwrap()).as_deref(), Some("leader t3"));
        assert_eq!(
            parse_debug("Abd { current: Tagged { tag: (1, 2), value: None } }").unwrap()["current"]["value"],
            json!(null)
        );
        assert!(parse_debug("not { debug").is_none());
    }

    #[test]
    fn a_panicking_debug_is_an_error() {
        struct Bad;
        impl Debug for Bad {
            fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                panic!("boom")
            }
        }
        assert!(debug_text(&Bad).unwrap_err().contains("boom"));
    }
}
