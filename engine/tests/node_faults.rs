//! Faults of machines and of the network beyond loss and cuts: crash and restart with a
//! durable store, pause and resume, duplication, long-tailed and per-link delays, clock drift,
//! scheduled faults and the random nemesis.

use std::cell::RefCell;
use std::rc::Rc;

use dgame_engine::prelude::*;
use dgame_engine::{
    ClockRate, Delay, DropReason, Event, EventLog, Fault, LinkDelay, Nemesis, NemesisKind, NodeStatus, OwnedEvent,
    RunError, Scheduled, SignalId, WorldError,
};

#[derive(Debug, Clone, Message)]
struct Note(u32);

#[derive(Debug, Clone, Message)]
#[reply(u32)]
struct Ask;

/// Counts what it hears; `kept` is durable (it survives a crash), `volatile` is not.
#[derive(Debug, Default)]
struct Keeper {
    volatile: u32,
    kept: u32,
    heard: Vec<(Tick, u32)>,
    ticks: Vec<u64>,
    inits: u32,
    ask: bool,
    answer: Option<u32>,
}

#[node(durable(kept))]
impl Keeper {
    #[init]
    fn start(&mut self) {
        self.inits += 1;
    }

    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(None)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, _: ClientWriteRequest) -> ClientWriteResponse {
        ClientWriteResponse::ok()
    }

    #[endpoint(Note)]
    fn note(&mut self, ctx: &mut Ctx<Self>, Note(n): Note) {
        self.heard.push((ctx.now(), n));
        self.volatile += 1;
        self.kept += 1;
    }

    #[endpoint(Ask)]
    fn ask(&mut self, _: Ask) -> u32 {
        7
    }

    #[timer(interval = 2)]
    fn every_other(&mut self, ctx: &mut Ctx<Self>) {
        self.ticks.push(ctx.local_time());
    }

    #[timer(interval = 1)]
    async fn maybe_ask(cx: AsyncCtx<Self>) {
        if !cx.with(|me| std::mem::take(&mut me.ask)) {
            return;
        }
        let answer = cx.call(NodeId(2), Ask).await;
        cx.with(|me| me.answer = Some(answer));
    }
}

fn config(nodes: u32) -> Config {
    Config::builder().nodes(nodes).clients(0).delay(Delay::Constant(1)).ticks(100).build().unwrap()
}

fn n(i: u32) -> ServerId {
    ServerId::Node(NodeId(i))
}

fn logged(world: &mut World<Keeper>) -> Rc<RefCell<EventLog>> {
    let log = Rc::new(RefCell::new(EventLog::default()));
    let sink = log.clone();
    world.subscribe(move |e: &Event<'_>| sink.borrow_mut().events.push(e.to_owned_event()));
    log
}

#[test]
fn a_crash_loses_volatile_state_keeps_durable_state_and_restart_resumes_service() {
    let mut world = World::<Keeper>::new(config(2)).unwrap();
    let log = logged(&mut world);
    for k in 0..3 {
        world.inject(n(1), n(2), Note(k)).unwrap();
    }
    world.run_until(3).unwrap(); // sent at 0, in the inbox at 1, handled at 2
    assert_eq!((world.node(NodeId(2)).unwrap().volatile, world.node(NodeId(2)).unwrap().kept), (3, 3));

    world.apply(Fault::Crash(NodeId(2))).unwrap();
    assert_eq!(world.node_status(NodeId(2)), Some(NodeStatus::Crashed));
    let note = world.inject(n(1), n(2), Note(9)).unwrap();
    world.run_until(6).unwrap();
    assert!(
        log.borrow().events.iter().any(
            |e| matches!(e, OwnedEvent::SignalDropped { signal, reason: DropReason::Crashed, .. } if *signal == note)
        ),
        "a signal reaching a crashed node is lost"
    );
    assert_eq!(world.node(NodeId(2)).unwrap().heard.len(), 3, "nothing reaches a crashed node");
    let timer_ticks = world.node(NodeId(2)).unwrap().ticks.len();

    world.apply(Fault::Restart(NodeId(2))).unwrap();
    world.tick().unwrap(); // first turn after the restart: `#[init]` runs, `kept` is back
    let me = world.node(NodeId(2)).unwrap();
    assert_eq!((me.volatile, me.kept, me.inits), (0, 3, 1), "volatile state is gone, durable state is back");
    assert!(me.heard.is_empty());
    assert!(me.ticks.len() <= timer_ticks);
    drop(me);
    world.inject(n(1), n(2), Note(10)).unwrap();
    world.run_until(10).unwrap();
    let me = world.node(NodeId(2)).unwrap();
    assert_eq!((me.volatile, me.kept), (1, 4), "it serves again after the restart");
    assert_eq!(me.ticks.first(), Some(&2), "its local clock restarted at 1: the interval-2 timer fires at 2");
}

#[test]
fn a_crash_ends_the_waits_of_the_handlers_in_progress() {
    let mut world = World::with_nodes(config(2), |id| Keeper { ask: id == NodeId(1), ..Keeper::default() }).unwrap();
    world.tick().unwrap(); // node 1 asks node 2 and waits
    assert_eq!(world.waiting_handlers(NodeId(1)), Some(1));
    world.apply(Fault::Crash(NodeId(1))).unwrap();
    assert_eq!(world.waiting_handlers(NodeId(1)), Some(0), "the waiting handler is gone");
    world.run_until(6).unwrap(); // node 2's answer arrives at a crashed node and is lost
    world.apply(Fault::Restart(NodeId(1))).unwrap();
    world.run_until(10).unwrap();
    assert_eq!(world.node(NodeId(1)).unwrap().answer, None, "nobody resumes with the old answer");
    assert_eq!(world.stats().dropped_crashed, 1);
}

#[test]
fn a_pause_holds_messages_and_timers_and_releases_them_in_order() {
    let mut world = World::<Keeper>::new(config(2)).unwrap();
    world.run_until(4).unwrap();
    let fired = world.node(NodeId(2)).unwrap().ticks.clone();
    assert_eq!(fired, [2, 4]);
    world.apply(Fault::Pause(NodeId(2))).unwrap();
    for k in 0..3 {
        world.inject(n(1), n(2), Note(k)).unwrap();
    }
    world.run_until(10).unwrap();
    assert_eq!(world.inbox_len(n(2)), Some(3), "messages wait in the inbox");
    assert!(world.node(NodeId(2)).unwrap().heard.is_empty());
    assert_eq!(world.node(NodeId(2)).unwrap().ticks, fired, "no timer fires while paused");
    assert_eq!(world.local_time(NodeId(2)), Some(5), "its clock stopped");
    world.apply(Fault::Resume(NodeId(2))).unwrap();
    world.tick().unwrap();
    let me = world.node(NodeId(2)).unwrap();
    assert_eq!(me.heard, [(11, 0), (11, 1), (11, 2)], "released in order on resume");
    assert_eq!(me.ticks, [2, 4], "local clock 5 fires no interval-2 timer");
}

#[test]
fn faults_that_do_not_fit_are_refused_and_the_run_goes_on() {
    let mut world = World::<Keeper>::new(config(2)).unwrap();
    assert!(
        matches!(world.apply(Fault::Restart(NodeId(1))), Err(WorldError::InvalidFault(m)) if m == "node 1 has not crashed")
    );
    assert!(matches!(world.apply(Fault::Resume(NodeId(1))), Err(WorldError::InvalidFault(_))));
    assert_eq!(world.apply(Fault::Crash(NodeId(7))), Err(WorldError::NoSuchServer(n(7))));
    world.apply(Fault::Crash(NodeId(1))).unwrap();
    assert!(matches!(world.apply(Fault::Crash(NodeId(1))), Err(WorldError::InvalidFault(_))));
    assert!(matches!(world.apply(Fault::Pause(NodeId(1))), Err(WorldError::InvalidFault(_))));
    world.tick().unwrap();
}

#[test]
fn a_scheduled_fault_that_cannot_fit_is_refused_before_the_run() {
    let cfg = Config { schedule: vec!["restart n1@3".parse().unwrap()], ..config(2) };
    let err = World::<Keeper>::new(cfg).err().expect("refused");
    assert!(
        err.to_string().contains("`schedule`: `restart n1@3` cannot work: node 1 has not crashed at tick 3"),
        "{err}"
    );
}

/// One that may fit, depending on what the nemesis did (here it did not crash n1 by tick 3),
/// is left to the run, which stops on it with a clear error.
#[test]
fn a_scheduled_fault_that_does_not_fit_stops_the_run_with_a_clear_error() {
    let nemesis = Nemesis { kinds: vec![NemesisKind::Crash], interval: 1000, ..Nemesis::default() };
    let cfg = Config { schedule: vec!["restart n1@3".parse().unwrap()], nemesis: Some(nemesis), ..config(2) };
    let mut world = World::<Keeper>::new(cfg).unwrap();
    let err = world.run().unwrap_err();
    assert!(matches!(&err, RunError::InvalidFault { tick: 3, .. }), "{err}");
    assert!(
        err.to_string().contains("the scheduled fault `restart n1@3` cannot be applied: node 1 has not crashed"),
        "{err}"
    );
}

#[test]
fn scheduled_faults_apply_exactly_at_their_ticks() {
    let schedule: Vec<Scheduled> =
        ["pause n2@3", "resume n2@6", "crash n1@4", "restart n1@8", "isolate n2@9", "heal-all@12"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
    let mut world = World::<Keeper>::new(Config { schedule, ..config(2) }).unwrap();
    let log = logged(&mut world);
    let mut seen = Vec::new();
    for t in 1..=13 {
        world.tick().unwrap();
        seen.push((
            t,
            world.node_status(NodeId(1)).unwrap(),
            world.node_status(NodeId(2)).unwrap(),
            world.cut_links().count(),
        ));
    }
    use NodeStatus::*;
    let expected = [
        (1, Up, Up, 0),
        (2, Up, Up, 0),
        (3, Up, Paused, 0),
        (4, Crashed, Paused, 0),
        (5, Crashed, Paused, 0),
        (6, Crashed, Up, 0),
        (7, Crashed, Up, 0),
        (8, Up, Up, 0),
        (9, Up, Up, 4),
        (10, Up, Up, 4),
        (11, Up, Up, 4),
        (12, Up, Up, 0),
        (13, Up, Up, 0),
    ];
    assert_eq!(seen, expected);
    let faults: Vec<(Tick, String)> = log
        .borrow()
        .events
        .iter()
        .filter_map(|e| match e {
            OwnedEvent::Fault { tick, fault, .. } => Some((*tick, fault.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(faults.len(), 6);
    assert_eq!(faults[1], (4, "crash n1".to_owned()), "the stream names each fault at its tick");
}

#[test]
fn duplicates_arrive_twice_with_independent_delays_and_the_stream_says_so() {
    let cfg = Config { duplicate: 1.0, delay: Delay::Uniform { min: 1, max: 9 }, ..config(2) };
    let mut world = World::<Keeper>::new(cfg).unwrap();
    let log = logged(&mut world);
    let mut originals = Vec::new();
    for k in 0..20 {
        originals.push(world.inject(n(1), n(2), Note(k)).unwrap());
    }
    world.run_until(30).unwrap();
    let events = log.borrow().events.clone();
    let arrival = |id| {
        events.iter().find_map(|e| match e {
            OwnedEvent::SignalSent { signal, arrival, .. } if *signal == id => Some(*arrival),
            _ => None,
        })
    };
    let copies: Vec<(SignalId, SignalId)> = events
        .iter()
        .filter_map(|e| match e {
            OwnedEvent::SignalDuplicated { signal, of, .. } => Some((*signal, *of)),
            _ => None,
        })
        .collect();
    assert_eq!(copies.len(), 20);
    assert!(copies.iter().map(|c| c.1).eq(originals.iter().copied()));
    let differ = copies.iter().filter(|(copy, of)| arrival(*copy) != arrival(*of)).count();
    assert!(differ > 5, "the copies draw their own delays: {differ} of 20 differ");
    let mut heard: Vec<u32> = world.node(NodeId(2)).unwrap().heard.iter().map(|h| h.1).collect();
    heard.sort();
    assert_eq!(heard, (0..20).flat_map(|k| [k, k]).collect::<Vec<_>>(), "every note arrived twice");
}

#[test]
fn a_duplicated_request_is_answered_twice_and_the_second_answer_is_stale() {
    let cfg = Config { duplicate: 1.0, ..config(2) };
    let mut world = World::with_nodes(cfg, |id| Keeper { ask: id == NodeId(1), ..Keeper::default() }).unwrap();
    world.run_until(12).unwrap();
    assert_eq!(world.node(NodeId(1)).unwrap().answer, Some(7));
    assert!(world.stats().stale_replies >= 1);
}

#[test]
fn long_tailed_delays_stay_within_their_cap_and_have_a_tail() {
    let cfg = Config { delay: Delay::Exponential { mean: 4, max: 40 }, ..config(2) };
    let mut world = World::<Keeper>::new(cfg).unwrap();
    let log = logged(&mut world);
    for k in 0..400 {
        world.inject(n(1), n(2), Note(k)).unwrap();
    }
    let delays: Vec<u64> = log
        .borrow()
        .events
        .iter()
        .filter_map(|e| match e {
            OwnedEvent::SignalSent { tick, arrival, .. } => Some(arrival - tick),
            _ => None,
        })
        .collect();
    assert!(delays.iter().all(|d| (1..=40).contains(d)));
    let mean = delays.iter().sum::<u64>() as f64 / delays.len() as f64;
    assert!((3.0..5.0).contains(&mean), "mean {mean}");
    assert!(delays.iter().filter(|&&d| d >= 12).count() >= 2, "a tail beyond three means");
    assert!(delays.iter().filter(|&&d| d == 1).count() > 50, "and most are short");
}

#[test]
fn a_slow_link_takes_its_own_delay_and_the_others_keep_theirs() {
    let slow = LinkDelay { from: vec![n(1)], to: vec![n(2)], one_way: true, delay: Delay::Constant(9) };
    let cfg = Config { links: vec![slow], ..config(3) };
    let mut world = World::<Keeper>::new(cfg).unwrap();
    world.inject(n(1), n(2), Note(1)).unwrap();
    world.inject(n(2), n(1), Note(2)).unwrap();
    world.inject(n(1), n(3), Note(3)).unwrap();
    let arrivals: Vec<(ServerId, ServerId, Tick)> =
        world.in_flight().iter().map(|s| (s.from, s.to, s.arrival)).collect();
    assert_eq!(arrivals, [(n(1), n(2), 9), (n(2), n(1), 1), (n(1), n(3), 1)]);
}

#[test]
fn a_drifting_clock_fires_timers_faster_or_slower() {
    let cfg = Config {
        clock_rates: vec![ClockRate { node: NodeId(1), rate: 2.0 }, ClockRate { node: NodeId(2), rate: 0.5 }],
        ..config(3)
    };
    let mut world = World::<Keeper>::new(cfg).unwrap();
    world.run_until(20).unwrap();
    let fired = |i| world.node(NodeId(i)).unwrap().ticks.len();
    assert_eq!((fired(1), fired(2), fired(3)), (20, 5, 10));
    assert_eq!(world.local_time(NodeId(1)), Some(41));
    assert_eq!(world.local_time(NodeId(2)), Some(11));
}

#[test]
fn the_random_nemesis_is_the_same_for_equal_seeds_and_differs_across_seeds() {
    let plan = |seed| {
        let nemesis = Nemesis {
            kinds: vec![NemesisKind::Partition, NemesisKind::Crash, NemesisKind::Pause, NemesisKind::Isolate],
            interval: 30,
            duration: 20,
            targets: 2,
            recovery: 50,
        };
        let cfg = Config { seed, nemesis: Some(nemesis), ticks: 600, ..config(5) };
        World::<Keeper>::new(cfg).unwrap().planned_faults(600)
    };
    let a = plan(1);
    assert_eq!(a, plan(1));
    assert_ne!(a, plan(2));
    assert!(a.len() >= 10, "{} faults", a.len());
    assert!(a.iter().all(|s| s.at < 550), "no fault in the last `recovery` ticks");
    for kind in ["partition", "crash", "pause"] {
        assert!(a.iter().any(|s| s.fault.kind() == kind), "some {kind} among {a:?}");
    }
    // Every fault is undone: each crash has its restart, each pause its resume.
    let count = |k: &str| a.iter().filter(|s| s.fault.kind() == k).count();
    assert_eq!(count("crash"), count("restart"));
    assert_eq!(count("pause"), count("resume"));
    // And it runs: the faults happen, and the world ends healed.
    let cfg =
        Config { seed: 1, nemesis: Some(Nemesis { targets: 2, ..Nemesis::default() }), ticks: 1_000, ..config(5) };
    let mut world = World::<Keeper>::new(cfg).unwrap();
    world.run().unwrap();
    assert!((1..=5).all(|i| world.node_status(NodeId(i)) == Some(NodeStatus::Up)));
    assert_eq!(world.cut_links().count(), 0);
}

#[test]
fn the_nemesis_yields_to_the_schedule_when_they_collide() {
    // Find the nemesis's first crash, then schedule a crash of the same node just before it:
    // the nemesis's crash and its restart are skipped, the schedule's stand, the run goes on.
    let nemesis = Nemesis { kinds: vec![NemesisKind::Crash], interval: 30, duration: 20, ..Nemesis::default() };
    let cfg = Config { nemesis: Some(nemesis), ticks: 300, ..config(3) };
    let plan = World::<Keeper>::new(cfg.clone()).unwrap().planned_faults(300);
    let first = plan.iter().find(|s| matches!(s.fault, Fault::Crash(_))).unwrap().clone();
    let Fault::Crash(victim) = first.fault else { unreachable!() };
    let schedule = vec![Scheduled { at: first.at - 1, fault: Fault::Crash(victim) }];
    let mut world = World::<Keeper>::new(Config { schedule, ..cfg }).unwrap();
    world.run_until(first.at + 30).unwrap();
    assert_eq!(world.node_status(victim), Some(NodeStatus::Crashed), "only the schedule restarts it, and it does not");
    world.run().unwrap();
}
