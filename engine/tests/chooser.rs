//! The chooser: a choice script replays exactly the run an adversary drove, the wheel makes
//! room for long delays, and invariants stop a run at the exact tick they break.

use std::cell::RefCell;
use std::rc::Rc;

use dgame_engine::event::SharedObserver as Shared;
use dgame_engine::prelude::*;
use dgame_engine::{
    Adversary, Choice, Delay, Event, EventKind, EventLog, Fate, History, Interest, Observer, OwnedEvent, Script,
    SignalId, SignalInfo,
};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
struct Versioned {
    value: Option<Value>,
    version: u64,
}

#[derive(Debug, Clone, Message)]
#[reply(Versioned)]
struct GetVersioned;

#[derive(Debug, Clone, Message)]
#[reply(Ack)]
struct Store(Versioned);

/// A two-phase majority register whose waits time out.
#[derive(Debug, Default, Hash)]
struct Majority {
    current: Versioned,
}

#[node]
impl Majority {
    #[endpoint(ClientReadRequest)]
    async fn read(cx: AsyncCtx<Self>, _: ClientReadRequest) -> ClientReadResponse {
        match cx.broadcast(GetVersioned).at_least(cx.peers().len() / 2).timeout(10).await {
            Ok(replies) => {
                let newest = cx.with(|me| replies.iter().chain([&me.current]).max_by_key(|v| v.version).copied());
                ClientReadResponse::ok(newest.and_then(|v| v.value))
            }
            Err(_) => ClientReadResponse { status: Status::Unknown, value: None },
        }
    }

    #[endpoint(ClientWriteRequest)]
    async fn write(cx: AsyncCtx<Self>, req: ClientWriteRequest) -> ClientWriteResponse {
        let Ok(versions) = cx.broadcast(GetVersioned).at_least(cx.peers().len() / 2).timeout(10).await else {
            return ClientWriteResponse { status: Status::Unknown };
        };
        let next = cx.with(|me| {
            let top = versions.iter().map(|v| v.version).chain([me.current.version]).max();
            me.current = Versioned { value: Some(req.value), version: top.unwrap_or(0) + 1 };
            me.current
        });
        match cx.broadcast(Store(next)).at_least(cx.peers().len() / 2).timeout(10).await {
            Ok(_) => ClientWriteResponse::ok(),
            Err(_) => ClientWriteResponse { status: Status::Unknown },
        }
    }

    #[endpoint(GetVersioned)]
    fn get_versioned(&mut self, _: GetVersioned) -> Versioned {
        self.current
    }

    #[endpoint(Store)]
    fn store(&mut self, Store(v): Store) -> Ack {
        if v.version > self.current.version {
            self.current = v;
        }
        Ack
    }
}

/// Drops every `Store` to node 2, and holds every third other signal back 30 ticks (longer
/// than the configuration's delays, so the wheel must grow), and duplicates some.
struct Meddler;

impl Adversary for Meddler {
    fn choose(&mut self, s: &SignalInfo<'_>, fate: &mut Fate) {
        if s.message.type_name().ends_with("Store") && s.to == ServerId::Node(NodeId(2)) {
            fate.lost = true;
        } else if s.id.0.is_multiple_of(3) {
            fate.delay = 30;
        } else if s.id.0.is_multiple_of(7) && s.copy_of.is_none() {
            fate.duplicate = true;
        }
    }
}

fn config(seed: u64) -> Config {
    Config::builder().nodes(3).clients(3).ticks(300).seed(seed).loss(0.05).duplicate(0.02).build().unwrap()
}

fn events(config: Config, adversary: Option<Meddler>) -> (Vec<OwnedEvent>, Script, u64) {
    let mut world = World::<Majority>::new(config).unwrap();
    if let Some(a) = adversary {
        world.set_adversary(a);
    }
    let log = Rc::new(RefCell::new(EventLog::default()));
    world.subscribe(Shared(log.clone()));
    world.run().unwrap();
    let events = std::mem::take(&mut log.borrow_mut().events);
    (events, world.deviations().clone(), world.schedule_fingerprint())
}

#[test]
fn a_choice_script_replays_the_identical_event_stream_of_the_run_it_came_from() {
    for seed in 0..20 {
        let (driven, script, fingerprint) = events(config(seed), Some(Meddler));
        assert!(script.len() > 50, "seed {seed}: the adversary deviated only {} signals", script.len());
        let (plain, none, plain_fingerprint) = events(config(seed), None);
        assert!(none.is_empty());
        assert_ne!(driven, plain, "seed {seed}: the adversary changed nothing");
        assert_ne!(fingerprint, plain_fingerprint);
        // The script, written out and read back, replays every event.
        let text = script.to_string();
        let replay = Config { deviations: text.parse().unwrap(), ..config(seed) };
        let (replayed, again, replay_fingerprint) = events(replay, None);
        assert_eq!(replayed, driven, "seed {seed}: the script did not replay the run");
        assert_eq!(again, script, "seed {seed}: the replay's deviations differ");
        assert_eq!(replay_fingerprint, fingerprint);
    }
}

#[test]
fn a_script_survives_the_configuration_file() {
    let c = Config { deviations: "5:drop,9:delay=40+dup".parse().unwrap(), ..config(1) };
    let back = Config::from_toml(&c.to_toml()).unwrap();
    assert_eq!(back, c);
    assert!(c.to_toml().contains("deviations = \"5:drop,9:delay=40+dup\""), "{}", c.to_toml());
    assert!(!config(1).to_toml().contains("deviations"));
}

#[test]
fn a_scripted_drop_and_delay_happen_to_exactly_those_signals() {
    let base = Config::builder().nodes(3).clients(1).ticks(40).delay(Delay::Constant(2)).build().unwrap();
    let script: Script = [(SignalId(3), Choice::DROP), (SignalId(4), Choice::delay(17))].into_iter().collect();
    let (events, realized, _) = events(Config { deviations: script.clone(), ..base }, None);
    assert_eq!(realized, script);
    let sent = |id: u64| {
        events.iter().find_map(|e| match e {
            OwnedEvent::SignalSent { signal, tick, arrival, .. } if signal.0 == id => Some((*tick, *arrival)),
            _ => None,
        })
    };
    let (t4, a4) = sent(4).unwrap();
    assert_eq!(a4, t4 + 17);
    assert!(events.iter().any(|e| matches!(e, OwnedEvent::SignalDropped { signal, .. } if signal.0 == 3)));
    let (t5, a5) = sent(5).unwrap();
    assert_eq!(a5, t5 + 2, "signals the script does not name keep the seed's fate");
}

#[test]
fn a_broken_invariant_stops_the_run_at_the_exact_tick_with_every_state() {
    // Plant a break: the invariant says no version reaches 3. Find the first tick a node's
    // version is 3 by watching, then check the run stops exactly there.
    let c = config(4);
    let mut watch = World::<Majority>::new(c.clone()).unwrap();
    let mut first = None;
    while watch.now() < c.ticks {
        watch.tick().unwrap();
        if (1..=3).any(|n| watch.node(NodeId(n)).unwrap().current.version >= 3) {
            first = Some(watch.now());
            break;
        }
    }
    let first = first.expect("some write reaches version 3 in 300 ticks");
    let mut world = World::<Majority>::new(c).unwrap();
    world.invariant("versions stay below 3", |nodes: &[&Majority]| {
        match nodes.iter().position(|n| n.current.version >= 3) {
            Some(i) => Err(format!("n{} has version {}", i + 1, nodes[i].current.version)),
            None => Ok(()),
        }
    });
    let err = world.run().unwrap_err();
    match &err {
        RunError::InvariantBroken { tick, invariant, message, states, .. } => {
            assert_eq!(*tick, first);
            assert_eq!(invariant, "versions stay below 3");
            assert!(message.contains("version 3"), "{message}");
            assert_eq!(states.len(), 3);
            assert!(states[0].starts_with("n1: Majority"), "{states:?}");
        }
        other => panic!("expected an invariant break, got {other}"),
    }
    assert_eq!(world.now(), first);
    assert!(err.to_string().contains("\"versions stay below 3\" is broken"), "{err}");
}

#[test]
fn a_panicking_invariant_is_a_broken_one() {
    let mut world = World::<Majority>::new(config(2)).unwrap();
    world.invariant("panics", |_: &[&Majority]| panic!("oops"));
    let err = world.run().unwrap_err();
    assert!(matches!(&err, RunError::InvariantBroken { tick: 1, message, .. } if message.contains("oops")), "{err}");
}

#[test]
fn state_fingerprints_follow_the_states() {
    let mut a = World::<Majority>::new(config(3)).unwrap();
    a.track_states();
    a.run().unwrap();
    let mut b = World::<Majority>::new(config(3)).unwrap();
    b.track_states();
    b.run().unwrap();
    assert_eq!(a.state_fingerprints().len(), 300);
    assert_eq!(a.state_fingerprints(), b.state_fingerprints());
    let distinct: std::collections::BTreeSet<_> = a.state_fingerprints().iter().collect();
    assert!(distinct.len() > 10, "states change as writes land: {}", distinct.len());
}

/// Everything but the sends, as an observer that does not ask for `SignalSent`: with no loss,
/// copies, link delays, cuts or adversary, the world then takes its plain send path.
struct AllButSends(Rc<RefCell<EventLog>>);

impl Observer for AllButSends {
    fn on_event(&mut self, event: &Event<'_>) {
        self.0.borrow_mut().on_event(event);
    }

    fn interest(&self) -> Interest {
        Interest::ALL.without(EventKind::SignalSent)
    }
}

/// The events of a run but its sends, its history and its schedule's fingerprint; `sends`
/// subscribes an observer of every event too (which makes every send take the general path).
fn run_without_sends(config: Config, sends: bool) -> (Vec<OwnedEvent>, History, u64) {
    let mut world = World::<Majority>::new(config).unwrap();
    let log = Rc::new(RefCell::new(EventLog::default()));
    world.subscribe(AllButSends(log.clone()));
    if sends {
        world.subscribe(|_: &Event<'_>| {});
    }
    world.run().unwrap();
    let events = std::mem::take(&mut log.borrow_mut().events);
    (events, world.history().clone(), world.schedule_fingerprint())
}

#[test]
fn the_plain_send_path_runs_exactly_as_the_general_one() {
    let delays = [Delay::Uniform { min: 1, max: 3 }, Delay::Constant(2), Delay::Exponential { mean: 3, max: 30 }];
    for seed in 0..12 {
        let delay = delays[seed as usize % delays.len()];
        let config = Config::builder().nodes(3).clients(3).ticks(300).seed(seed).delay(delay).build().unwrap();
        let (plain, plain_history, plain_fingerprint) = run_without_sends(config.clone(), false);
        let (general, general_history, general_fingerprint) = run_without_sends(config, true);
        assert!(plain.iter().filter(|e| matches!(e, OwnedEvent::SignalDelivered { .. })).count() > 100);
        assert_eq!(plain, general, "seed {seed}: the plain path changed the run");
        assert_eq!(plain_history, general_history);
        assert_eq!(plain_fingerprint, general_fingerprint);
    }
}
