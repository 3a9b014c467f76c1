//! What the page shows of a node: its state as a tree, and a short status for its badge.
//!
//! Both come from the engine: [`World::node_state`] (the node's `Serialize` form, or its `Debug`
//! text as a string when its type has no `Serialize`) and [`World::node_badge`] (its
//! [`Badge`](dgame_engine::Badge), if its type has one). A node's `Debug`, `Serialize` and badge
//! are the user's code: the engine catches a panic in them, and the page shows it as the node's
//! state error while the game goes on.

use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};

use dgame_engine::{Node, NodeId, World};
use serde_json::Value;

/// A value's `Debug` text; a panic in it becomes `Err` with the panic's message.
pub(crate) fn debug_text(value: &dyn Debug) -> Result<String, String> {
    catch_unwind(AssertUnwindSafe(|| format!("{value:?}"))).map_err(|p| panic_message(&*p))
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    let what = p.downcast_ref::<&str>().map(|s| (*s).to_owned()).or_else(|| p.downcast_ref::<String>().cloned());
    format!("its Debug panicked: {}", what.unwrap_or_else(|| "(no message)".into()))
}

/// A node's state: a tree when its type is `Serialize`, its `Debug` text as a string otherwise;
/// `Err` when showing it panicked. `None`: no such node.
pub(crate) fn node_state<N: Node>(world: &World<N>, id: NodeId) -> Option<Result<Value, String>> {
    world.node_status(id)?;
    // `None` here: the node's state is borrowed (not between ticks); show nothing rather than fail.
    Some(world.node_state(id).map_or(Ok(Value::Null), |v| match caught_panic(&v) {
        Some(message) => Err(message.to_owned()),
        None => Ok(v),
    }))
}

/// The engine's stand-in for a state whose code panicked: `{"error": "the state of T panicked:
/// ..."}` and nothing else.
fn caught_panic(v: &Value) -> Option<&str> {
    let o = v.as_object().filter(|o| o.len() == 1)?;
    o.get("error")?.as_str().filter(|e| e.starts_with("the state of ") && e.contains(" panicked: "))
}

/// A node's short status (`leader t3`): its type's [`Badge`](dgame_engine::Badge), if any.
pub(crate) fn node_badge<N: Node>(world: &World<N>, id: NodeId) -> Option<String> {
    world.node_badge(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_engines_stand_in_for_a_panic_is_an_error() {
        assert_eq!(
            caught_panic(&json!({"error": "the state of Fragile panicked: boom"})),
            Some("the state of Fragile panicked: boom")
        );
        // A node's own field named `error` is its state.
        assert_eq!(caught_panic(&json!({"error": "timeout"})), None);
        assert_eq!(caught_panic(&json!({"error": "the state of x panicked: y", "term": 1})), None);
        assert_eq!(caught_panic(&json!("the state of x panicked: y")), None);
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
