//! What the engine does with extreme values and misbehaving user code: deadlines past the end of
//! time are never; sizes are bounded before memory is spent; a panicking constructor or `Debug`
//! and a handler that loops forever stop the run with an error naming the node; every way to
//! cause a fault is recorded. (Tests run with overflow checks on: an overflow would panic.)

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use dgame_engine::config::{MAX_CLIENTS, MAX_NODES};
use dgame_engine::prelude::*;
use dgame_engine::{Delay, Event, EventLog, NodeStatus, OwnedEvent, WorldError};

/// Answered at once with 7.
#[derive(Debug, Clone, Message)]
#[reply(u32)]
struct Question;

/// Node 1 calls `to` with a `Question`, waiting at most `timeout` ticks.
#[derive(Debug, Clone, Message)]
struct Ask {
    to: NodeId,
    timeout: Tick,
}

/// Node 1 asks every peer a `Question`, waiting for all of them at most `timeout` ticks.
#[derive(Debug, Clone, Message)]
struct AskAll {
    timeout: Tick,
}

/// Sleeps this many ticks, then notes the tick.
#[derive(Debug, Clone, Message)]
struct Nap(Tick);

/// Loops on `sleep(0)`, which is ready at once, forever.
#[derive(Debug, Clone, Message)]
struct Spin;

/// One-way, handled by a sync endpoint.
#[derive(Debug, Clone, Message)]
struct Ping;

/// Makes the node's `Debug` panic from now on.
#[derive(Debug, Clone, Message)]
struct BreakDebug;

#[derive(Default)]
struct Probe {
    value: Option<Value>,
    asked: Vec<(Tick, Result<u32, Timeout>)>,
    asked_all: Vec<(Tick, usize, bool)>,
    naps: Vec<Tick>,
    pings: u32,
    broken_debug: bool,
}

impl fmt::Debug for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        assert!(!self.broken_debug, "this state cannot be shown");
        write!(f, "Probe({:?})", self.value)
    }
}

#[node]
impl Probe {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.value)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, req: ClientWriteRequest) -> ClientWriteResponse {
        self.value = Some(req.value);
        ClientWriteResponse::ok()
    }

    #[endpoint(Question)]
    fn question(&mut self, _: Question) -> u32 {
        7
    }

    #[endpoint(Ask)]
    async fn ask(cx: AsyncCtx<Self>, Ask { to, timeout }: Ask) {
        let answer = cx.call(to, Question).timeout(timeout).await;
        cx.with(|me| me.asked.push((cx.now(), answer)));
    }

    #[endpoint(AskAll)]
    async fn ask_all(cx: AsyncCtx<Self>, AskAll { timeout }: AskAll) {
        let replies = cx.broadcast(Question).timeout(timeout).await;
        let (n, complete) = match &replies {
            Ok(r) => (r.len(), true),
            Err(p) => (p.replies.len(), false),
        };
        cx.with(|me| me.asked_all.push((cx.now(), n, complete)));
    }

    #[endpoint(Nap)]
    async fn nap(cx: AsyncCtx<Self>, Nap(ticks): Nap) {
        cx.sleep(ticks).await;
        cx.with(|me| me.naps.push(cx.now()));
    }

    #[endpoint(Spin)]
    async fn spin(cx: AsyncCtx<Self>, _: Spin) {
        loop {
            cx.sleep(0).await;
        }
    }

    #[endpoint(Ping)]
    fn ping(&mut self, _: Ping) {
        self.pings += 1;
    }

    #[endpoint(BreakDebug)]
    fn break_debug(&mut self, _: BreakDebug) {
        self.broken_debug = true;
    }
}

fn config(nodes: u32, clients: u32) -> Config {
    Config::builder().nodes(nodes).clients(clients).delay(Delay::Constant(1)).ticks(200).build().unwrap()
}

fn n(i: u32) -> ServerId {
    ServerId::Node(NodeId(i))
}

fn logged(world: &mut World<Probe>) -> Rc<RefCell<EventLog>> {
    let log = Rc::new(RefCell::new(EventLog::default()));
    let sink = log.clone();
    world.subscribe(move |e: &Event<'_>| sink.borrow_mut().events.push(e.to_owned_event()));
    log
}

// ---- Deadlines past the end of time are never ----

#[test]
fn a_gateway_timeout_of_u64_max_never_fires_and_operations_succeed() {
    let cfg = Config { gateway_timeout: Some(u64::MAX), client_timeout: None, ..config(1, 2) };
    let mut world = World::<Probe>::new(cfg).unwrap();
    let history = world.run().unwrap();
    let counts = history.counts();
    assert!(counts.ok > 20, "{counts:?}");
    assert_eq!((counts.unknown, counts.failed), (0, 0), "{}", history.summary());
}

#[test]
fn a_client_timeout_of_u64_max_never_fires_and_operations_succeed() {
    let cfg = Config { gateway_timeout: None, client_timeout: Some(u64::MAX), ..config(1, 2) };
    let mut world = World::<Probe>::new(cfg).unwrap();
    let history = world.run().unwrap();
    let counts = history.counts();
    assert!(counts.ok > 20, "{counts:?}");
    assert_eq!((counts.unknown, counts.failed), (0, 0), "{}", history.summary());
}

#[test]
fn a_pause_of_up_to_u64_max_ticks_ends_past_the_end_of_time() {
    let cfg = Config { max_pause: u64::MAX, ..config(1, 3) };
    let mut world = World::<Probe>::new(cfg).unwrap();
    let history = world.run().unwrap();
    // Each client's first operation completes; the pause after it outlasts the run.
    assert_eq!(history.operations.len(), 3, "{}", history.summary());
    assert!(history.operations.iter().all(|op| matches!(op.outcome, Outcome::Ok(_))));
}

#[test]
fn sleeping_u64_max_ticks_never_wakes() {
    let mut world = World::<Probe>::new(config(1, 0)).unwrap();
    world.inject(ServerId::Gateway, n(1), Nap(u64::MAX)).unwrap();
    world.inject(ServerId::Gateway, n(1), Nap(3)).unwrap();
    world.run_until(100).unwrap();
    assert_eq!(world.node(NodeId(1)).unwrap().naps, [5], "only the 3-tick nap ends (handled at 2)");
    assert_eq!(world.waiting_handlers(NodeId(1)), Some(1), "the long one still sleeps");
}

#[test]
fn a_call_with_a_timeout_of_u64_max_gets_its_reply_and_otherwise_waits_forever() {
    let mut world = World::<Probe>::new(config(3, 0)).unwrap();
    world.isolate(NodeId(3)).unwrap();
    world.inject(ServerId::Gateway, n(1), Ask { to: NodeId(2), timeout: u64::MAX }).unwrap();
    world.inject(ServerId::Gateway, n(1), Ask { to: NodeId(3), timeout: u64::MAX }).unwrap();
    world.run_until(150).unwrap();
    // Handled at 2, asked at 2, answered at 4, resumed at 6; node 3 never hears the question.
    assert_eq!(world.node(NodeId(1)).unwrap().asked, [(6, Ok(7))]);
    assert_eq!(world.waiting_handlers(NodeId(1)), Some(1));
}

#[test]
fn a_quorum_with_a_timeout_of_u64_max_gets_its_replies_and_otherwise_waits_forever() {
    let mut world = World::<Probe>::new(config(3, 0)).unwrap();
    world.inject(ServerId::Gateway, n(1), AskAll { timeout: u64::MAX }).unwrap();
    world.run_until(20).unwrap();
    assert_eq!(world.node(NodeId(1)).unwrap().asked_all, [(6, 2, true)]);
    world.isolate(NodeId(3)).unwrap();
    world.inject(ServerId::Gateway, n(1), AskAll { timeout: u64::MAX }).unwrap();
    world.run_until(150).unwrap();
    assert_eq!(world.node(NodeId(1)).unwrap().asked_all.len(), 1, "the second waits for node 3 forever");
    assert_eq!(world.waiting_handlers(NodeId(1)), Some(1));
}

// ---- Sizes are bounded before memory is spent ----

#[test]
fn too_many_nodes_or_clients_are_refused_naming_the_field_and_the_limit() {
    for (nodes, clients, expected) in [
        (MAX_NODES + 1, 1, format!("`nodes`: at most {MAX_NODES} nodes, got {}", MAX_NODES + 1)),
        (u32::MAX, 1, format!("`nodes`: at most {MAX_NODES} nodes, got {}", u32::MAX)),
        (3, MAX_CLIENTS + 1, format!("`clients`: at most {MAX_CLIENTS} clients, got {}", MAX_CLIENTS + 1)),
        (3, u32::MAX, format!("`clients`: at most {MAX_CLIENTS} clients, got {}", u32::MAX)),
    ] {
        let err = Config::builder().nodes(nodes).clients(clients).build().unwrap_err().to_string();
        assert_eq!(err, expected);
        let err = World::<Probe>::new(Config { nodes, clients, ..Config::default() }).err().unwrap();
        assert_eq!(err.to_string(), expected);
    }
}

#[test]
fn a_world_of_the_most_nodes_and_clients_builds_and_runs() {
    let cfg = Config::builder().nodes(MAX_NODES).clients(MAX_CLIENTS).ticks(3).build().unwrap();
    let mut world = World::<Probe>::new(cfg).unwrap();
    world.run().unwrap();
    assert_eq!(world.node_count(), MAX_NODES as usize);
    assert_eq!(world.history().operations.len(), MAX_CLIENTS as usize, "every client started one operation");
}

#[test]
fn a_nemesis_over_a_billion_ticks_is_drawn_as_the_run_goes() {
    let nemesis = Nemesis { kinds: vec![NemesisKind::Crash], interval: 1, duration: 1, ..Nemesis::default() };
    let cfg = Config { ticks: 1_000_000_000, nemesis: Some(nemesis), ..config(3, 1) };
    let mut world = World::<Probe>::new(cfg).unwrap();
    let ahead = world.planned_faults(100);
    assert!(ahead.len() > 20 && ahead.iter().all(|s| s.at <= 100), "{ahead:?}");
    let log = logged(&mut world);
    world.run_until(100).unwrap();
    let applied: Vec<String> = log
        .borrow()
        .events
        .iter()
        .filter_map(|e| match e {
            OwnedEvent::Fault { tick, fault, .. } => Some(format!("{fault}@{tick}")),
            _ => None,
        })
        .collect();
    let planned: Vec<String> = ahead.iter().map(|s| s.to_string()).collect();
    assert_eq!(applied, planned, "the faults previewed are the faults applied");
    assert!(world.planned_faults(100).is_empty(), "they are no longer to come");
}

// ---- User code outside handlers ----

#[test]
fn a_constructor_that_panics_as_the_world_is_made_stops_the_run_before_its_first_tick() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let seen = log.clone();
    let cfg = Config { seed: 11, ..config(3, 1) };
    let mut world = World::with_nodes(cfg, move |id| {
        seen.borrow_mut().push(id);
        assert!(id != NodeId(2), "node 2 cannot be built");
        Probe::default()
    })
    .expect("the configuration is valid: the panic is the run's error, not the configuration's");
    assert_eq!(*log.borrow(), [NodeId(1), NodeId(2)], "no node is made after the one that panicked");
    let stopped = world.error().cloned().expect("the run has stopped before it started");
    let RunError::NodeCodePanicked { tick, seed, node, node_type, what, message } = &stopped else {
        panic!("{stopped:?}")
    };
    assert_eq!((*tick, *seed, *node, node_type.as_str()), (0, 11, NodeId(2), "Probe"));
    assert_eq!(what, RunError::CONSTRUCTOR_AT_START);
    assert!(message.contains("node 2 cannot be built"), "{message}");
    assert!(stopped.to_string().contains("node 2 (Probe): its constructor"), "{stopped}");
    assert_eq!(world.run().err(), Some(stopped.clone()));
    assert_eq!(world.now(), 0, "no tick ran");
    assert_eq!(world.crash(NodeId(1)), Err(WorldError::Stopped(stopped)));
    assert!(world.history().operations.is_empty());
}

/// Its `Default` panics: no world of it can be made.
#[derive(Debug)]
struct Unbuildable;

impl Default for Unbuildable {
    fn default() -> Self {
        panic!("Unbuildable has no default")
    }
}

#[node]
impl Unbuildable {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(None)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, _: ClientWriteRequest) -> ClientWriteResponse {
        ClientWriteResponse::ok()
    }
}

#[test]
fn a_default_that_panics_as_the_world_is_made_is_the_first_ticks_error() {
    let mut world = World::<Unbuildable>::new(config(2, 1)).unwrap();
    let err = world.tick().unwrap_err();
    assert!(matches!(&err, RunError::NodeCodePanicked { tick: 0, node: NodeId(1), .. }), "{err:?}");
    assert!(err.to_string().contains("Unbuildable has no default"), "{err}");
}

#[test]
fn a_constructor_that_panics_at_a_restart_stops_the_run_naming_the_node() {
    let made = Rc::new(RefCell::new(0));
    let count = made.clone();
    let make = move |_| {
        *count.borrow_mut() += 1;
        assert!(*count.borrow() <= 2, "cannot build another");
        Probe::default()
    };
    let mut world = World::with_nodes(config(2, 1), make).unwrap();
    world.run_until(10).unwrap();
    world.crash(NodeId(2)).unwrap();
    let err = world.restart(NodeId(2)).unwrap_err();
    let WorldError::Stopped(stopped) = err else { panic!("{err:?}") };
    let RunError::NodeCodePanicked { tick, node, what, message, .. } = &stopped else { panic!("{stopped:?}") };
    assert_eq!((*tick, *node, what.as_str()), (10, NodeId(2), RunError::CONSTRUCTOR));
    assert!(message.contains("cannot build another"), "{message}");
    assert_eq!(world.tick(), Err(stopped.clone()), "the run has stopped");
    assert_eq!(world.crash(NodeId(1)), Err(WorldError::Stopped(stopped)));
    assert_eq!(*made.borrow(), 3);
}

#[test]
fn a_scheduled_restart_whose_constructor_panics_stops_the_run_at_its_tick() {
    let cfg = Config::builder()
        .nodes(2)
        .clients(1)
        .ticks(100)
        .fault(20, Fault::Crash(NodeId(1)))
        .fault(30, Fault::Restart(NodeId(1)))
        .seed(4)
        .build()
        .unwrap();
    let mut made = 0;
    let mut world = World::with_nodes(cfg, move |_| {
        made += 1;
        assert!(made <= 2, "cannot build another");
        Probe::default()
    })
    .unwrap();
    let err = world.run().unwrap_err();
    assert!(matches!(err, RunError::NodeCodePanicked { tick: 30, node: NodeId(1), seed: 4, .. }), "{err:?}");
    assert!(err.to_string().contains("node 1 (Probe): its constructor"), "{err}");
}

#[test]
fn a_debug_of_the_state_that_panics_stops_the_run_instead_of_unwinding_through_it() {
    let mut world = World::<Probe>::new(config(2, 0)).unwrap();
    let _log = logged(&mut world);
    world.run_until(3).unwrap();
    assert_eq!(world.node_debug(NodeId(2)), Some(Ok("Probe(None)".to_owned())));
    world.inject(ServerId::Gateway, n(2), BreakDebug).unwrap();
    // Delivered at 4, handled at 5, where the state is shown to the observer.
    let err = world.run_until(10).unwrap_err();
    let RunError::NodeCodePanicked { tick: 5, node: NodeId(2), what, message, .. } = &err else { panic!("{err:?}") };
    assert_eq!(what, RunError::STATE_DEBUG);
    assert!(message.contains("this state cannot be shown"), "{message}");
    assert!(err.to_string().contains("the `Debug` of the node's state panicked"), "{err}");
    let Some(Err(inspected)) = world.node_debug(NodeId(2)) else { panic!("the Debug panics") };
    assert!(matches!(inspected, RunError::NodeCodePanicked { node: NodeId(2), .. }), "{inspected:?}");
    assert_eq!(world.node_debug(NodeId(9)), None);
}

// ---- Handlers that loop forever (the deterministic budget; the watchdog is in watchdog.rs) ----

#[test]
fn an_async_handler_that_rewakes_itself_forever_runs_out_of_the_turn_budget() {
    let stop = || {
        let cfg = Config { turn_budget: 10_000, seed: 3, ..config(2, 0) };
        let mut world = World::<Probe>::new(cfg).unwrap();
        world.inject(ServerId::Gateway, n(2), Spin).unwrap();
        world.run_until(10).unwrap_err()
    };
    let err = stop();
    assert_eq!(
        err,
        RunError::TurnBudgetExceeded {
            tick: 2,
            seed: 3,
            node: NodeId(2),
            node_type: "Probe".into(),
            endpoint: "spin".into()
        }
    );
    assert_eq!(stop(), err, "deterministic");
    assert!(err.to_string().contains("handler `spin` of node 2 (Probe) ran past the turn budget"), "{err}");
}

#[test]
fn the_turn_budget_counts_handler_runs() {
    let pings = |budget| {
        let cfg = Config { turn_budget: budget, ..config(1, 0) };
        let mut world = World::<Probe>::new(cfg).unwrap();
        world.run_until(1).unwrap();
        for _ in 0..5 {
            world.inject(ServerId::Gateway, n(1), Ping).unwrap();
        }
        world.run_until(3).map(|()| world.node(NodeId(1)).unwrap().pings)
    };
    assert_eq!(pings(5), Ok(5));
    assert!(
        matches!(pings(4), Err(RunError::TurnBudgetExceeded { tick: 3, endpoint, .. }) if endpoint == "(dispatch)")
    );
}

// ---- Every way to cause a fault is recorded ----

#[test]
fn every_direct_fault_goes_through_the_recorded_path() {
    let mut world = World::<Probe>::new(config(3, 1)).unwrap();
    let log = logged(&mut world);
    world.run_until(2).unwrap();
    let flying = world.inject(ServerId::Gateway, n(1), Ping).unwrap();
    world.drop_signal(flying).unwrap();
    world.cut(&[n(1)], &[n(2)], false).unwrap();
    world.heal(&[n(1)], &[n(2)], false).unwrap();
    world.isolate(NodeId(3)).unwrap();
    world.rejoin(NodeId(3)).unwrap();
    world.cut(&[n(1)], &[n(3)], true).unwrap();
    world.heal_all().unwrap();
    world.crash(NodeId(1)).unwrap();
    world.restart(NodeId(1)).unwrap();
    world.pause(NodeId(2)).unwrap();
    assert_eq!(world.node_status(NodeId(2)), Some(NodeStatus::Paused));
    world.resume(NodeId(2)).unwrap();
    world.apply(Fault::Crash(NodeId(3))).unwrap();
    let faults: Vec<(Tick, String)> = log
        .borrow()
        .events
        .iter()
        .filter_map(|e| match e {
            OwnedEvent::Fault { tick, fault, .. } => Some((*tick, fault.clone())),
            _ => None,
        })
        .collect();
    let expected = [
        format!("drop {}", flying.0),
        "cut n1|n2".into(),
        "heal n1|n2".into(),
        "isolate n3".into(),
        "rejoin n3".into(),
        "cut n1>n3".into(),
        "heal-all".into(),
        "crash n1".into(),
        "restart n1".into(),
        "pause n2".into(),
        "resume n2".into(),
        "crash n3".into(),
    ];
    assert_eq!(faults, expected.clone().map(|f| (2, f)));
    // A refused fault is not recorded.
    assert!(world.crash(NodeId(3)).is_err());
    assert_eq!(world.cut(&[n(1)], &[n(7)], false), Err(WorldError::NoSuchServer(n(7))));
    assert_eq!(log.borrow().events.iter().filter(|e| matches!(e, OwnedEvent::Fault { .. })).count(), expected.len());
}

// ---- A node that never replies ----

/// Never answers a client.
#[derive(Debug, Default)]
struct Silent;

#[node]
impl Silent {
    #[endpoint(ClientReadRequest)]
    async fn read(_cx: AsyncCtx<Self>, _: ClientReadRequest) -> ClientReadResponse {
        std::future::pending().await
    }

    #[endpoint(ClientWriteRequest)]
    async fn write(_cx: AsyncCtx<Self>, _: ClientWriteRequest) -> ClientWriteResponse {
        std::future::pending().await
    }
}

#[test]
fn a_node_that_never_replies_gives_a_history_where_nothing_succeeded() {
    let mut world = World::<Silent>::new(config(1, 2)).unwrap();
    let history = world.run().unwrap();
    assert!(history.nothing_succeeded(), "{}", history.summary());
    assert_eq!(history.counts().availability(), Some(0.0));
    let mut working = World::<Probe>::new(config(1, 2)).unwrap();
    assert!(!working.run().unwrap().nothing_succeeded());
}
