//! Typed persistence: the fields named in `#[node(durable(...))]` survive a crash, the others
//! are rebuilt; `#[init]` sees the restored fields.

use dgame_engine::prelude::*;
use dgame_engine::{Delay, Fault};

/// What the node promised: survives crashes.
#[derive(Debug, Default, Clone, PartialEq)]
struct Promises {
    term: u64,
    log: Vec<u32>,
}

#[derive(Debug, Clone, Message)]
struct Append(u32);

#[derive(Debug, Default)]
struct Journal {
    promises: Promises,
    /// Also durable: a second field, of another type.
    appends: usize,
    /// Volatile.
    cache: Vec<u32>,
    /// What `#[init]` saw, each time it ran (volatile, so only the latest run's).
    seen_at_init: Vec<(Promises, usize, String)>,
    /// Set by `World::with_nodes`'s closure: a restart rebuilds it.
    label: String,
}

#[node(durable(promises, appends))]
impl Journal {
    #[init]
    fn recover(&mut self) {
        self.seen_at_init.push((self.promises.clone(), self.appends, self.label.clone()));
    }

    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(None)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, _: ClientWriteRequest) -> ClientWriteResponse {
        ClientWriteResponse::ok()
    }

    #[endpoint(Append)]
    fn append(&mut self, Append(x): Append) {
        self.promises.log.push(x); // in place: nothing is copied anywhere
        self.promises.term = u64::from(x);
        self.appends += 1;
        self.cache.push(x);
    }
}

fn world() -> World<Journal> {
    let config = Config::builder().nodes(2).clients(0).delay(Delay::Constant(1)).ticks(100).build().unwrap();
    let mut made = 0;
    World::with_nodes(config, move |id| {
        made += 1;
        Journal { label: format!("n{} build {made}", id.0), ..Journal::default() }
    })
    .unwrap()
}

#[test]
fn a_restart_restores_the_durable_fields_and_rebuilds_the_rest() {
    let mut world = world();
    let to = ServerId::Node(NodeId(2));
    for x in [4, 5, 6] {
        world.inject(ServerId::Gateway, to, Append(x)).unwrap();
    }
    world.run_until(3).unwrap();
    let promises = Promises { term: 6, log: vec![4, 5, 6] };
    let fresh = (Promises::default(), 0, "n2 build 2".to_owned());
    assert_eq!(world.node(NodeId(2)).unwrap().seen_at_init, [fresh], "the first init sees the node as built");

    world.apply(Fault::Crash(NodeId(2))).unwrap();
    world.run_until(5).unwrap();
    world.apply(Fault::Restart(NodeId(2))).unwrap();
    world.tick().unwrap();
    let me = world.node(NodeId(2)).unwrap();
    assert_eq!((&me.promises, me.appends), (&promises, 3), "the durable fields are back");
    assert_eq!(me.cache, Vec::<u32>::new(), "the volatile field is rebuilt");
    assert_eq!(me.label, "n2 build 3", "the node was rebuilt by the world's closure");
    assert_eq!(me.seen_at_init, [(promises.clone(), 3, "n2 build 3".to_owned())], "init sees the restored fields");
    drop(me);

    // And again: what it appends after the restart is durable too.
    world.inject(ServerId::Gateway, to, Append(7)).unwrap();
    world.run_until(10).unwrap();
    world.apply(Fault::Crash(NodeId(2))).unwrap();
    world.apply(Fault::Restart(NodeId(2))).unwrap();
    world.tick().unwrap();
    let me = world.node(NodeId(2)).unwrap();
    assert_eq!((me.promises.log.as_slice(), me.appends), ([4, 5, 6, 7].as_slice(), 4));
    assert_eq!(world.node(NodeId(1)).unwrap().promises, Promises::default(), "node 1 never heard anything");
}
