//! A node's state as data (`World::node_state`: `Serialize` if the type has it, else its
//! `Debug` text) and its badge (`World::node_badge`), with panics in user code caught.

use dgame_engine::prelude::*;
use serde_json::json;

/// Serializable, with a badge.
#[derive(Debug, Default, serde::Serialize)]
struct Shown {
    term: u64,
    log: Vec<(u64, char)>,
    peers: std::collections::BTreeMap<NodeId, usize>,
}

impl Badge for Shown {
    fn badge(&self) -> Option<String> {
        Some(format!("t{}", self.term))
    }
}

/// Only `Debug`, no badge.
#[derive(Debug, Default)]
#[allow(dead_code)] // read only through `Debug`
struct Plain {
    hits: u32,
}

/// A `Serialize`, `Debug` and badge that all panic.
#[derive(Default)]
struct Fragile;

impl std::fmt::Debug for Fragile {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("no Debug today")
    }
}

impl serde::Serialize for Fragile {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        panic!("no Serialize today")
    }
}

impl Badge for Fragile {
    fn badge(&self) -> Option<String> {
        panic!("no badge today")
    }
}

macro_rules! client_endpoints {
    ($t:ty) => {
        #[node]
        impl $t {
            #[endpoint(ClientReadRequest)]
            fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
                ClientReadResponse::ok(None)
            }
            #[endpoint(ClientWriteRequest)]
            fn write(&mut self, _: ClientWriteRequest) -> ClientWriteResponse {
                ClientWriteResponse::ok()
            }
        }
    };
}
client_endpoints!(Shown);
client_endpoints!(Plain);
client_endpoints!(Fragile);

fn config() -> Config {
    Config::builder().nodes(2).clients(0).ticks(10).build().unwrap()
}

#[test]
fn a_serializable_node_is_shown_as_its_data_with_its_badge() {
    let world = World::<Shown>::with_nodes(config(), |id| Shown {
        term: u64::from(id.0) + 2,
        log: vec![(1, 'w'), (3, 'r')],
        peers: [(NodeId(2), 7)].into(),
    })
    .unwrap();
    assert_eq!(
        world.node_state(NodeId(1)),
        Some(json!({ "term": 3, "log": [[1, "w"], [3, "r"]], "peers": { "2": 7 } }))
    );
    assert_eq!(world.node_badge(NodeId(2)).as_deref(), Some("t4"));
    assert_eq!(world.node_state(NodeId(3)), None, "no such node");
    assert_eq!(world.node_badge(NodeId(0)), None);
}

#[test]
fn a_node_without_serialize_is_shown_as_its_debug_text_and_without_a_badge() {
    let world = World::<Plain>::with_nodes(config(), |_| Plain { hits: 5 }).unwrap();
    assert_eq!(world.node_state(NodeId(1)), Some(json!("Plain { hits: 5 }")));
    assert_eq!(world.node_badge(NodeId(1)), None);
}

#[test]
fn a_panic_in_the_nodes_serialize_or_badge_is_an_error_value_not_an_unwind() {
    let world = World::<Fragile>::new(config()).unwrap();
    let state = world.node_state(NodeId(1)).unwrap();
    assert_eq!(state, json!({ "error": "the state of Fragile panicked: no Serialize today" }));
    assert_eq!(world.node_badge(NodeId(1)).as_deref(), Some("badge panicked: no badge today"));
}
