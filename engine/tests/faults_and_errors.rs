//! Faults (loss, cuts, drops by id, timeouts) and the errors that stop a run (no endpoint, a
//! panicking handler, a missing server), plus leadership, client kinds, values and TOML.
//!
//! Timeline with delay 1 (docs/ARCHITECTURE.md): a signal sent in tick `t` lands at the end
//! of tick `t + 1` and is handled in tick `t + 2`. A client's first request leaves in tick 1,
//! the gateway forwards it in tick 3, the node handles it in tick 5.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use dgame_engine::prelude::*;
use dgame_engine::{Cut, Delay, DropReason, Event, EventLog, OwnedEvent, SignalId, SignalKind, ValueMode, WorldError};

#[derive(Debug, Clone, Message)]
#[reply(u32)]
struct Question;

#[derive(Debug, Clone, Message)]
struct Ping(u32);

/// Nobody has an endpoint for this.
#[derive(Debug, Clone, Message)]
struct Stray(#[allow(dead_code)] u8);

#[derive(Debug, Clone, Message)]
struct Boom(String);

#[derive(Debug, Clone, Message)]
struct BoomLater;

#[derive(Debug, Clone, Message)]
struct SendNowhere;

/// What a node's write endpoint does before it answers.
#[derive(Debug, Clone, Copy, Default)]
enum WriteMode {
    /// Nothing: it answers at once.
    #[default]
    Store,
    /// Calls its first peer, waiting at most this long.
    CallPeer(Tick),
    /// Waits for more replies than there are peers: it never answers.
    Unreachable,
}

#[derive(Debug, Default)]
struct Probe {
    mode: WriteMode,
    /// Pings this node every tick.
    ping: Option<NodeId>,
    claim_leadership: bool,
    value: Option<Value>,
    client_requests: u32,
    /// (tick handled, tick sent).
    pings: Vec<(Tick, u32)>,
}

#[node]
impl Probe {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        self.client_requests += 1;
        ClientReadResponse::ok(self.value)
    }

    #[endpoint(ClientWriteRequest)]
    async fn write(cx: AsyncCtx<Self>, req: ClientWriteRequest) -> ClientWriteResponse {
        let mode = cx.with(|me| {
            me.client_requests += 1;
            me.mode
        });
        match mode {
            WriteMode::Store => {}
            WriteMode::CallPeer(timeout) => {
                let peer = cx.peers()[0];
                let _ = cx.call(peer, Question).timeout(timeout).await;
            }
            WriteMode::Unreachable => {
                let _ = cx.broadcast(Question).at_least(cx.cluster_size()).await;
            }
        }
        cx.with(|me| me.value = Some(req.value));
        ClientWriteResponse::ok()
    }

    #[endpoint(Question)]
    fn question(&mut self, _: Question) -> u32 {
        42
    }

    #[endpoint(Ping)]
    fn ping(&mut self, ctx: &mut Ctx<Self>, Ping(sent): Ping) {
        self.pings.push((ctx.now(), sent));
    }

    #[endpoint(Boom)]
    fn boom(&mut self, Boom(why): Boom) {
        panic!("{why}");
    }

    #[endpoint(BoomLater)]
    async fn boom_later(cx: AsyncCtx<Self>, _: BoomLater) {
        cx.sleep(2).await;
        panic!("gave up after a nap at tick {}", cx.now());
    }

    #[endpoint(SendNowhere)]
    fn send_nowhere(&mut self, ctx: &mut Ctx<Self>, _: SendNowhere) {
        ctx.send(NodeId(9), Ping(0));
    }

    #[timer(interval = 1)]
    fn every_tick(&mut self, ctx: &mut Ctx<Self>) {
        if let Some(to) = self.ping {
            ctx.send(to, Ping(ctx.now() as u32));
        }
        if std::mem::take(&mut self.claim_leadership) {
            ctx.notify_leadership();
        }
    }
}

fn config(nodes: u32, clients: u32) -> Config {
    Config::builder().seed(77).nodes(nodes).clients(clients).delay(Delay::Constant(1)).ticks(100).build().unwrap()
}

fn n(i: u32) -> ServerId {
    ServerId::Node(NodeId(i))
}

fn c(i: u32) -> ServerId {
    ServerId::Client(ClientId(i))
}

fn logged(world: &mut World<Probe>) -> Rc<RefCell<EventLog>> {
    let log = Rc::new(RefCell::new(EventLog::default()));
    let sink = log.clone();
    world.subscribe(move |e: &Event<'_>| sink.borrow_mut().events.push(e.to_owned_event()));
    log
}

fn stale(log: &RefCell<EventLog>) -> Vec<(Tick, ServerId)> {
    log.borrow()
        .events
        .iter()
        .filter_map(|e| match *e {
            OwnedEvent::StaleReply { tick, at, .. } => Some((tick, at)),
            _ => None,
        })
        .collect()
}

fn drops(log: &RefCell<EventLog>) -> Vec<(Tick, SignalId, DropReason)> {
    log.borrow()
        .events
        .iter()
        .filter_map(|e| match *e {
            OwnedEvent::SignalDropped { tick, signal, reason } => Some((tick, signal, reason)),
            _ => None,
        })
        .collect()
}

fn delivered(log: &RefCell<EventLog>) -> Vec<SignalId> {
    log.borrow()
        .events
        .iter()
        .filter_map(|e| match *e {
            OwnedEvent::SignalDelivered { signal, .. } => Some(signal),
            _ => None,
        })
        .collect()
}

fn pings(world: &World<Probe>, i: u32) -> Vec<(Tick, u32)> {
    world.node(NodeId(i)).unwrap().pings.clone()
}

/// Every node in the given write mode.
fn with_mode(config: Config, mode: WriteMode) -> World<Probe> {
    World::with_nodes(config, move |_| Probe { mode, ..Probe::default() }).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Loss

#[test]
fn total_loss_delivers_nothing_and_every_operation_ends_unknown_at_the_client_timeout() {
    let cfg = Config {
        loss: 1.0,
        delay: Delay::Uniform { min: 1, max: 3 },
        gateway_timeout: Some(5),
        client_timeout: Some(10),
        ..config(3, 3)
    };
    let mut world = World::<Probe>::new(cfg).unwrap();
    let log = logged(&mut world);
    world.run().unwrap();
    let stats = world.stats();
    assert_eq!(stats.delivered, 0);
    assert!(delivered(&log).is_empty());
    assert_eq!(stats.dropped_loss, stats.sent - world.in_flight_count() as u64, "everything that landed was lost");
    let ops = &world.history().operations;
    assert!(ops.len() >= 3 * 7, "clients keep going: {} operations", ops.len());
    for op in ops {
        match op.complete {
            Some(done) => assert_eq!((op.outcome, done), (Outcome::Unknown, op.invoke + 10), "{op:?}"),
            None => assert!(
                op.outcome == Outcome::Pending && op.invoke > 90,
                "only the last operations are pending: {op:?}"
            ),
        }
    }
    assert!(world.node(NodeId(1)).unwrap().client_requests == 0);
}

// ---------------------------------------------------------------------------------------------
// Cuts

#[test]
fn a_one_way_cut_blocks_one_direction_and_heal_restores_it() {
    let mut world = World::<Probe>::new(config(2, 0)).unwrap();
    let log = logged(&mut world);
    world.cut(&[n(1)], &[n(2)], true).unwrap();
    assert_eq!(world.cut_links().collect::<Vec<_>>(), [(n(1), n(2))]);
    let forth = world.inject(n(1), n(2), Ping(0)).unwrap();
    world.inject(n(2), n(1), Ping(0)).unwrap();
    assert_eq!(drops(&log), [(0, forth, DropReason::Partition)], "dropped when sent");
    world.run_until(4).unwrap();
    assert_eq!((pings(&world, 1), pings(&world, 2)), (vec![(2, 0)], vec![]));
    world.heal(&[n(1)], &[n(2)], true).unwrap();
    assert_eq!(world.cut_links().count(), 0);
    world.inject(n(1), n(2), Ping(4)).unwrap();
    world.run_until(8).unwrap();
    assert_eq!(pings(&world, 2), [(6, 4)]);
}

#[test]
fn a_two_way_cut_blocks_both_directions_and_heal_restores_both() {
    let mut world = World::<Probe>::new(config(2, 0)).unwrap();
    let log = logged(&mut world);
    world.cut(&[n(1)], &[n(2)], false).unwrap();
    assert_eq!(world.cut_links().collect::<Vec<_>>(), [(n(1), n(2)), (n(2), n(1))]);
    let a = world.inject(n(1), n(2), Ping(0)).unwrap();
    let b = world.inject(n(2), n(1), Ping(0)).unwrap();
    world.run_until(4).unwrap();
    assert_eq!(drops(&log), [(0, a, DropReason::Partition), (0, b, DropReason::Partition)]);
    assert_eq!((pings(&world, 1), pings(&world, 2)), (vec![], vec![]));
    world.heal(&[n(2)], &[n(1)], false).unwrap(); // either side names the same two-way link
    world.inject(n(1), n(2), Ping(4)).unwrap();
    world.inject(n(2), n(1), Ping(4)).unwrap();
    world.run_until(8).unwrap();
    assert_eq!((pings(&world, 1), pings(&world, 2)), (vec![(6, 4)], vec![(6, 4)]));
}

#[test]
fn a_cut_drops_what_is_in_flight_on_the_link_and_a_heal_does_not_bring_it_back() {
    let cfg = Config { delay: Delay::Constant(5), ..config(3, 0) };
    let mut world = World::<Probe>::new(cfg).unwrap();
    let log = logged(&mut world);
    let cut_off = world.inject(n(1), n(2), Ping(0)).unwrap();
    let other = world.inject(n(3), n(2), Ping(0)).unwrap();
    world.tick().unwrap();
    world.cut(&[n(1)], &[n(2)], true).unwrap();
    assert_eq!(drops(&log), [(1, cut_off, DropReason::Partition)]);
    assert_eq!(world.in_flight().iter().map(|s| s.id).collect::<Vec<_>>(), [other]);
    world.heal_all().unwrap();
    world.run_until(10).unwrap();
    assert_eq!(delivered(&log), [other]);
    assert_eq!(pings(&world, 2), [(6, 0)]);
}

#[test]
fn isolate_cuts_a_node_off_from_every_server_both_ways_until_heal_all() {
    let mut world = World::<Probe>::new(config(3, 1)).unwrap();
    let log = logged(&mut world);
    world.isolate(NodeId(2)).unwrap();
    let others = [ServerId::Gateway, n(1), n(3), c(1)];
    let expected: BTreeSet<_> = others.iter().flat_map(|&o| [(o, n(2)), (n(2), o)]).collect();
    assert_eq!(world.cut_links().collect::<BTreeSet<_>>(), expected);
    let cuts = log.borrow().events.iter().filter(|e| matches!(e, OwnedEvent::LinkCut { tick: 0, .. })).count();
    assert_eq!(cuts, 8);
    world.inject(n(1), n(2), Ping(0)).unwrap();
    world.inject(n(2), n(3), Ping(0)).unwrap();
    world.inject(ServerId::Gateway, n(2), Ping(0)).unwrap();
    world.inject(n(1), n(3), Ping(0)).unwrap();
    world.run_until(3).unwrap();
    assert_eq!((pings(&world, 2), pings(&world, 3)), (vec![], vec![(2, 0)]));
    assert_eq!(world.stats().dropped_partition, 3);
    world.heal_all().unwrap();
    assert_eq!(world.cut_links().count(), 0);
    let heals = log.borrow().events.iter().filter(|e| matches!(e, OwnedEvent::LinkHealed { tick: 3, .. })).count();
    assert_eq!(heals, 8);
    world.inject(n(1), n(2), Ping(3)).unwrap();
    world.run_until(5).unwrap();
    assert_eq!(pings(&world, 2), [(5, 3)]);
}

#[test]
fn scheduled_cuts_apply_at_their_tick_and_heal_at_theirs() {
    // Node 1 pings node 2 every tick; the link is cut in ticks 3, 4 and 5.
    let cut = Cut { from: vec![n(1)], to: vec![n(2)], one_way: false, at: 3, heal: Some(6) };
    let cfg = Config { cuts: vec![cut], ..config(2, 0) };
    let mut world =
        World::with_nodes(cfg, |id| Probe { ping: (id == NodeId(1)).then_some(NodeId(2)), ..Probe::default() })
            .unwrap();
    let log = logged(&mut world);
    let mut links = Vec::new();
    for _ in 1..=10 {
        world.tick().unwrap();
        links.push(world.cut_links().count());
    }
    assert_eq!(links, [0, 0, 2, 2, 2, 0, 0, 0, 0, 0]);
    // Sent at 1: handled at 3. Sent at 2: in flight when cut. Sent at 3, 4, 5: dropped when
    // sent. Sent at 6 onwards: delivered.
    assert_eq!(pings(&world, 2), [(3, 1), (8, 6), (9, 7), (10, 8)]);
    let dropped: Vec<_> = drops(&log).iter().map(|&(tick, _, reason)| (tick, reason)).collect();
    assert_eq!(dropped, [3, 3, 4, 5].map(|t| (t, DropReason::Partition)));
    let link_events: Vec<_> = log
        .borrow()
        .events
        .iter()
        .filter_map(|e| match *e {
            OwnedEvent::LinkCut { tick, from, to } => Some(("cut", tick, from, to)),
            OwnedEvent::LinkHealed { tick, from, to } => Some(("heal", tick, from, to)),
            _ => None,
        })
        .collect();
    assert_eq!(
        link_events,
        [("cut", 3, n(1), n(2)), ("cut", 3, n(2), n(1)), ("heal", 6, n(1), n(2)), ("heal", 6, n(2), n(1))]
    );
}

#[test]
fn a_scheduled_one_way_cut_without_heal_lasts_to_the_end() {
    let cut = Cut { from: vec![n(1)], to: vec![n(2)], one_way: true, at: 2, heal: None };
    let cfg = Config { cuts: vec![cut], ..config(2, 0) };
    let mut world = World::with_nodes(cfg, |id| Probe { ping: Some(NodeId(3 - id.0)), ..Probe::default() }).unwrap();
    world.run_until(50).unwrap();
    assert_eq!(pings(&world, 2), [], "even the ping sent in tick 1 was still in flight at the start of tick 2");
    assert_eq!(pings(&world, 1).len(), 48, "node 2 -> node 1 still works");
    assert_eq!(world.cut_links().collect::<Vec<_>>(), [(n(1), n(2))]);
}

#[test]
fn overlapping_scheduled_cuts_keep_a_link_cut_while_any_of_them_covers_it() {
    // Pings sent in tick t reach node 2 in tick t + 2, unless the link is cut in tick t or t + 1.
    let window = |at, heal| Cut { from: vec![n(1)], to: vec![n(2)], one_way: true, at, heal: Some(heal) };
    let cases = [
        ("back to back, later one listed first", vec![window(8, 12), window(4, 8)]),
        ("back to back, in order", vec![window(4, 8), window(8, 12)]),
        ("nested", vec![window(4, 12), window(6, 8)]),
        ("overlapping", vec![window(4, 9), window(7, 12)]),
    ];
    for (label, cuts) in cases {
        let cfg = Config { cuts, ..config(2, 0) };
        let mut world =
            World::with_nodes(cfg, |id| Probe { ping: (id == NodeId(1)).then_some(NodeId(2)), ..Probe::default() })
                .unwrap();
        let mut links = Vec::new();
        for _ in 1..=14 {
            world.tick().unwrap();
            links.push(world.cut_links().count());
        }
        assert_eq!(links, [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0], "{label}: cut in ticks 4..=11");
        assert_eq!(pings(&world, 2), [(3, 1), (4, 2), (14, 12)], "{label}");
    }
}

#[test]
fn a_scheduled_cut_at_tick_0_is_refused_rather_than_ignored() {
    // Tick 0 is before the first tick: such a cut would never apply.
    let cut = Cut { from: vec![n(1)], to: vec![n(2)], one_way: true, at: 0, heal: Some(5) };
    let err = World::<Probe>::new(Config { cuts: vec![cut.clone()], ..config(2, 0) }).err().expect("refused");
    assert!(err.to_string().starts_with("`cuts`: a cut starts at tick 1 or later"), "{err}");
    let mut world = World::with_nodes(Config { cuts: vec![Cut { at: 1, ..cut }], ..config(2, 0) }, |id| Probe {
        ping: (id == NodeId(1)).then_some(NodeId(2)),
        ..Probe::default()
    })
    .unwrap();
    world.run_until(8).unwrap();
    assert_eq!(pings(&world, 2), [(7, 5), (8, 6)], "pings sent in ticks 1..=4 are cut off");
}

// ---------------------------------------------------------------------------------------------
// Drops by id

#[test]
fn drop_signal_drops_a_signal_in_flight_once_and_never_delivers_it() {
    let cfg = Config { delay: Delay::Constant(5), ..config(2, 0) };
    let mut world = World::<Probe>::new(cfg).unwrap();
    let log = logged(&mut world);
    let doomed = world.inject(n(1), n(2), Ping(0)).unwrap();
    let kept = world.inject(n(1), n(2), Ping(0)).unwrap();
    world.run_until(2).unwrap();
    world.drop_signal(doomed).unwrap();
    assert_eq!(drops(&log), [(2, doomed, DropReason::ById)]);
    assert_eq!(world.in_flight().iter().map(|s| s.id).collect::<Vec<_>>(), [kept]);
    assert_eq!(world.drop_signal(doomed), Err(WorldError::NoSuchSignal(doomed)), "already dropped");
    assert_eq!(world.drop_signal(SignalId(999)), Err(WorldError::NoSuchSignal(SignalId(999))), "never sent");
    world.run_until(10).unwrap();
    assert_eq!(delivered(&log), [kept]);
    assert_eq!(pings(&world, 2), [(6, 0)]);
    assert_eq!(world.drop_signal(kept), Err(WorldError::NoSuchSignal(kept)), "already delivered");
    assert_eq!(world.stats().dropped_by_id, 1);
    assert_eq!(
        WorldError::NoSuchSignal(kept).to_string(),
        "signal 2 is not in flight (it was delivered or dropped, or never existed)"
    );
}

// ---------------------------------------------------------------------------------------------
// Timeouts of the gateway and the clients

/// Two nodes that cannot reach each other, one writing client.
fn cut_pair(
    gateway_timeout: Option<Tick>,
    client_timeout: Option<Tick>,
    mode: WriteMode,
) -> (World<Probe>, Rc<RefCell<EventLog>>) {
    let cfg = Config { client_kind: ClientKind::Write, gateway_timeout, client_timeout, ..config(2, 1) };
    let mut world = with_mode(cfg, mode);
    let log = logged(&mut world);
    world.cut(&[n(1)], &[n(2)], false).unwrap();
    (world, log)
}

#[test]
fn the_gateway_times_out_a_node_waiting_on_a_cut_off_peer_and_its_late_answer_is_stale() {
    // Invoke at 1; forwarded at 3 (gateway deadline 3 + 10 = 13); node 1 calls node 2 at 5
    // (dropped) and answers when its own call times out at 5 + 20 = 25. The gateway's Timeout
    // leaves at 13 and reaches the client at 15; node 1's answer reaches the gateway at 27.
    let (mut world, log) = cut_pair(Some(10), Some(30), WriteMode::CallPeer(20));
    world.run_until(14).unwrap();
    assert_eq!(world.history().operations[0].outcome, Outcome::Pending);
    world.tick().unwrap();
    let op = &world.history().operations[0];
    assert_eq!((&op.kind, op.invoke, op.complete, op.outcome), (&OpKind::Write(1), 1, Some(15), Outcome::Unknown));
    assert_eq!(world.client_display(ClientId(1)).as_deref(), Some("W1?"));
    assert_eq!(world.waiting_handlers(NodeId(1)), Some(1), "the node still waits on its peer");
    world.run_until(26).unwrap();
    assert_eq!(world.waiting_handlers(NodeId(1)), Some(0), "it answered at 25");
    world.run_until(40).unwrap();
    assert_eq!(stale(&log).first(), Some(&(27, ServerId::Gateway)));
    assert_eq!(world.node(NodeId(1)).unwrap().value, Some(1), "the write did happen, late");
}

#[test]
fn the_gateway_times_out_a_node_waiting_for_a_quorum_that_cannot_be_met() {
    let cfg =
        Config { client_kind: ClientKind::Write, gateway_timeout: Some(10), client_timeout: Some(30), ..config(3, 1) };
    let mut world = with_mode(cfg, WriteMode::Unreachable);
    let log = logged(&mut world);
    world.run().unwrap();
    let ops = &world.history().operations;
    assert!(ops.len() >= 5, "{ops:?}");
    for op in ops.iter().filter(|op| op.complete.is_some()) {
        assert_eq!((op.outcome, op.complete), (Outcome::Unknown, Some(op.invoke + 14)), "{op:?}");
    }
    assert_eq!((ops[0].invoke, ops[0].complete), (1, Some(15)));
    assert!(stale(&log).iter().all(|&(_, at)| at != ServerId::Gateway), "the nodes never answer");
    let waiting: usize = (1..=3).map(|i| world.waiting_handlers(NodeId(i)).unwrap()).sum();
    assert_eq!(waiting, ops.len(), "every write still waits on its node");
}

#[test]
fn without_a_gateway_timeout_the_client_gives_up_and_the_late_answer_is_stale_at_the_gateway() {
    // Client deadline 1 + 12 = 13. Node 1 answers at 25, when the client has long sent its
    // next request: the gateway, which has no timeout of its own, knows the answer is for a
    // request the client gave up on, and drops it at 27.
    let (mut world, log) = cut_pair(None, Some(12), WriteMode::CallPeer(20));
    world.run_until(12).unwrap();
    assert_eq!(world.history().operations[0].outcome, Outcome::Pending);
    world.tick().unwrap();
    let op = &world.history().operations[0];
    assert_eq!((op.invoke, op.complete, op.outcome), (1, Some(13), Outcome::Unknown));
    world.run_until(40).unwrap();
    assert!(world.history().operations[1].invoke < 27, "the client had moved on by then");
    assert_eq!(stale(&log).first(), Some(&(27, ServerId::Gateway)));
    let relayed = log.borrow().events.iter().any(|e| {
        matches!(e, OwnedEvent::SignalSent { tick: 27, from: ServerId::Gateway, to, kind: SignalKind::Reply { .. }, .. } if *to == c(1))
    });
    assert!(!relayed, "an answer nobody waits for is not relayed");
}

#[test]
fn with_no_timeouts_at_all_a_lost_answer_freezes_the_client_as_in_the_original() {
    let (mut world, _) = cut_pair(None, None, WriteMode::Unreachable);
    world.run().unwrap();
    let ops = &world.history().operations;
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0].outcome, Outcome::Pending);
}

// ---------------------------------------------------------------------------------------------
// Errors that stop the run

#[test]
fn a_message_without_an_endpoint_stops_the_run_with_an_error_saying_how_to_fix_it() {
    let mut world = World::<Probe>::new(config(2, 0)).unwrap();
    world.inject(ServerId::Gateway, n(1), Stray(3)).unwrap();
    world.tick().unwrap();
    let err = world.tick().unwrap_err();
    let RunError::NoEndpoint { tick, seed, server, ref server_type, ref message_type, from, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (tick, seed, server, server_type.as_str(), message_type.as_str(), from),
        (2, 77, n(1), "Probe", "Stray", ServerId::Gateway)
    );
    let text = err.to_string();
    for part in [
        "tick 2",
        "seed 77",
        "node 1 (Probe)",
        "no endpoint for `Stray`",
        "Stray(3)",
        "#[endpoint(Stray)]",
        "Probe's `#[node]` impl",
    ] {
        assert!(text.contains(part), "{text:?} should mention {part:?}");
    }
    assert_eq!(world.error(), Some(&err));
    assert_eq!(world.tick(), Err(err.clone()), "later ticks return the same error");
    assert_eq!(world.run().unwrap_err(), err);
    assert_eq!(world.now(), 2, "no tick runs after the error");
}

#[test]
fn the_gateway_and_clients_have_no_endpoint_for_other_messages() {
    let mut world = World::<Probe>::new(config(1, 1)).unwrap();
    world.inject(n(1), ServerId::Gateway, Stray(1)).unwrap();
    world.run_until(1).unwrap();
    let err = world.tick().unwrap_err();
    assert!(
        matches!(err, RunError::NoEndpoint { server: ServerId::Gateway, ref server_type, .. } if server_type == "Gateway"),
        "{err:?}"
    );
    assert!(err.to_string().contains("gateway (Gateway) has no endpoint for `Stray`"), "{err}");

    let cfg = Config { client_kind: ClientKind::Read, ..config(1, 1) };
    let mut world = World::<Probe>::new(cfg).unwrap();
    world.inject(n(1), c(1), Ping(1)).unwrap();
    world.run_until(1).unwrap();
    let err = world.tick().unwrap_err();
    assert!(
        matches!(err, RunError::NoEndpoint { server: ServerId::Client(ClientId(1)), ref server_type, .. } if server_type == "Client"),
        "{err:?}"
    );
}

#[test]
fn a_panic_in_a_sync_handler_stops_the_run_with_node_endpoint_tick_and_seed() {
    let mut world = World::<Probe>::new(config(2, 0)).unwrap();
    world.run_until(3).unwrap();
    world.inject(ServerId::Gateway, n(2), Boom("kaput".into())).unwrap();
    world.tick().unwrap();
    let err = world.tick().unwrap_err();
    let expected = RunError::HandlerPanicked {
        tick: 5,
        seed: 77,
        node: NodeId(2),
        node_type: "Probe".into(),
        endpoint: "boom".into(),
        message: "kaput".into(),
    };
    assert_eq!(err, expected);
    assert_eq!(err.to_string(), "tick 5 (seed 77): handler `boom` of node 2 (Probe) panicked: kaput");
    assert_eq!(world.tick(), Err(expected));
    // The process is fine: another world runs.
    let mut other = World::<Probe>::new(config(2, 1)).unwrap();
    other.run().unwrap();
    assert!(other.history().operations.len() > 10);
}

#[test]
fn a_panic_in_an_async_handler_after_an_await_stops_the_run_at_that_tick() {
    let mut world = World::<Probe>::new(config(2, 0)).unwrap();
    world.inject(ServerId::Gateway, n(1), BoomLater).unwrap();
    world.run_until(3).unwrap(); // started at 2, sleeps until 4
    assert_eq!(world.waiting_handlers(NodeId(1)), Some(1));
    let err = world.tick().unwrap_err();
    let RunError::HandlerPanicked { tick, seed, node, ref endpoint, ref message, .. } = err else { panic!("{err:?}") };
    assert_eq!(
        (tick, seed, node, endpoint.as_str(), message.as_str()),
        (4, 77, NodeId(1), "boom_later", "gave up after a nap at tick 4")
    );
    assert_eq!(world.run().unwrap_err(), err);
}

#[test]
fn sending_to_a_node_that_does_not_exist_stops_the_run() {
    let mut world = World::<Probe>::new(config(2, 0)).unwrap();
    world.inject(ServerId::Gateway, n(1), SendNowhere).unwrap();
    world.tick().unwrap();
    let err = world.tick().unwrap_err();
    let expected = RunError::NoSuchServer {
        tick: 2,
        seed: 77,
        from: n(1),
        to: n(9),
        message_type: "Ping".into(),
        nodes: 2,
        clients: 0,
    };
    assert_eq!(err, expected);
    assert_eq!(
        err.to_string(),
        "tick 2 (seed 77): node 1 sent `Ping` to node 9, which does not exist (there are 2 nodes and 0 clients)"
    );
    assert_eq!(world.tick(), Err(expected));
}

#[test]
fn injecting_to_a_server_that_does_not_exist_is_refused() {
    let mut world = World::<Probe>::new(config(2, 0)).unwrap();
    let err = world.inject(n(1), c(3), Ping(0)).unwrap_err();
    assert!(matches!(err, RunError::NoSuchServer { to, clients: 0, .. } if to == c(3)), "{err:?}");
    assert_eq!(world.stats().sent, 0, "nothing was sent");
}

// ---------------------------------------------------------------------------------------------
// Leadership, values, client kinds, configuration files

#[test]
fn a_leader_notification_makes_the_gateway_route_every_request_to_the_leader() {
    let cfg = Config { delay: Delay::Uniform { min: 1, max: 3 }, ..config(3, 3) };
    let mut world =
        World::with_nodes(cfg, |id| Probe { claim_leadership: id == NodeId(2), ..Probe::default() }).unwrap();
    let log = logged(&mut world);
    // Sent at 1 with a delay of 1..=3: the gateway learns it at tick 3, 4 or 5.
    let mut learned = None;
    while learned.is_none() {
        world.tick().unwrap();
        learned = world.leader().map(|l| (world.now(), l));
    }
    let (at, leader) = learned.unwrap();
    assert_eq!(leader, NodeId(2));
    let changes: Vec<_> = log
        .borrow()
        .events
        .iter()
        .filter_map(|e| match *e {
            OwnedEvent::LeaderChanged { tick, leader } => Some((tick, leader)),
            _ => None,
        })
        .collect();
    assert_eq!(changes, [(at, NodeId(2))]);
    world.run().unwrap();
    // Every request the gateway forwards once it knows the leader goes to node 2.
    let mut known = false;
    let mut forwarded = Vec::new();
    for e in &log.borrow().events {
        match *e {
            OwnedEvent::LeaderChanged { .. } => known = true,
            OwnedEvent::SignalSent {
                from: ServerId::Gateway,
                to: ServerId::Node(to),
                kind: SignalKind::Request,
                ..
            } if known => forwarded.push(to),
            _ => {}
        }
    }
    assert!(forwarded.len() > 15, "{} requests", forwarded.len());
    assert!(forwarded.iter().all(|&to| to == NodeId(2)), "every request goes to the leader");
    let ok = world.history().operations.iter().filter(|op| matches!(op.outcome, Outcome::Ok(_))).count();
    assert!(ok > 15, "{ok} operations ok");
}

#[test]
fn with_delay_1_the_leader_gets_even_the_first_requests() {
    // Node 2's notification and the clients' first requests all leave in tick 1 and reach the
    // gateway together, the notification first (nodes send before clients).
    let mut world =
        World::with_nodes(config(3, 3), |id| Probe { claim_leadership: id == NodeId(2), ..Probe::default() }).unwrap();
    world.run_until(2).unwrap();
    assert_eq!(world.leader(), None);
    world.tick().unwrap();
    assert_eq!(world.leader(), Some(NodeId(2)));
    world.run().unwrap();
    let requests = |i| world.node(NodeId(i)).unwrap().client_requests;
    assert_eq!((requests(1), requests(3)), (0, 0));
    assert_eq!(requests(2) as usize, world.history().operations.iter().filter(|op| op.complete.is_some()).count());
}

fn written(world: &World<Probe>) -> Vec<Value> {
    world
        .history()
        .operations
        .iter()
        .filter_map(|op| match op.kind {
            OpKind::Write(v) => Some(v),
            _ => None,
        })
        .collect()
}

#[test]
fn values_are_unique_by_default_and_one_to_nine_when_random() {
    let cfg = Config { client_kind: ClientKind::Write, ..config(2, 3) };
    let mut world = World::<Probe>::new(cfg.clone()).unwrap();
    world.run().unwrap();
    let values = written(&world);
    assert!(values.len() > 30);
    assert_eq!(values, (1..=values.len() as Value).collect::<Vec<_>>(), "1, 2, 3, ... in invocation order");

    let mut world = World::<Probe>::new(Config { values: ValueMode::Random, ..cfg }).unwrap();
    world.run().unwrap();
    let values = written(&world);
    assert!(values.len() > 30);
    assert!(values.iter().all(|v| (1..=9).contains(v)), "{values:?}");
    let distinct: BTreeSet<_> = values.iter().collect();
    assert!(distinct.len() > 3 && distinct.len() < values.len(), "random values repeat: {values:?}");
}

#[test]
fn clients_read_write_or_both_as_configured() {
    let kinds = |kind| {
        let mut world = World::<Probe>::new(Config { client_kind: kind, ..config(2, 2) }).unwrap();
        world.run().unwrap();
        let ops = &world.history().operations;
        assert!(ops.len() > 20, "{kind:?}: {} operations", ops.len());
        assert!(ops.iter().filter(|op| op.complete.is_some()).all(|op| matches!(op.outcome, Outcome::Ok(_))));
        let reads = ops.iter().filter(|op| op.kind == OpKind::Read).count();
        (reads, ops.len() - reads)
    };
    let (reads, writes) = kinds(ClientKind::Read);
    assert!(reads > 0 && writes == 0);
    let (reads, writes) = kinds(ClientKind::Write);
    assert!(reads == 0 && writes > 0);
    let (reads, writes) = kinds(ClientKind::Both);
    assert!(reads > 5 && writes > 5, "{reads} reads, {writes} writes");
}

#[test]
fn a_config_from_toml_runs_exactly_like_the_same_config_from_the_builder() {
    let cut = Cut { from: vec![n(1)], to: vec![n(2), ServerId::Gateway], one_way: false, at: 10, heal: Some(40) };
    let built = Config::builder()
        .seed(3)
        .nodes(3)
        .clients(2)
        .client_kind(ClientKind::Both)
        .ticks(150)
        .delay(Delay::Uniform { min: 1, max: 3 })
        .loss(0.1)
        .gateway_timeout(Some(20))
        .client_timeout(Some(30))
        .max_pause(4)
        .values(ValueMode::Unique)
        .cut(cut)
        .build()
        .unwrap();
    let text = r#"
        seed = 3
        nodes = 3
        clients = 2
        client_kind = "both"
        ticks = 150
        delay = "1..3"
        loss = 0.1
        gateway_timeout = 20
        client_timeout = 30
        max_pause = 4
        values = "unique"

        [[cuts]]
        from = ["n1"]
        to = ["n2", "gateway"]
        at = 10
        heal = 40
    "#;
    let loaded = Config::from_toml(text).unwrap();
    assert_eq!(loaded, built);
    assert_eq!(Config::from_toml(&built.to_toml()).unwrap(), built);
    let trace = |cfg: Config| {
        let mut world = World::<Probe>::new(cfg).unwrap();
        let log = logged(&mut world);
        world.run().unwrap();
        let history = world.history().clone();
        drop(world);
        (log.borrow().to_json_lines(), history)
    };
    let (a, ha) = trace(built);
    let (b, hb) = trace(loaded);
    assert!(a == b, "the event streams differ");
    assert_eq!(ha, hb);
    assert!(a.lines().count() > 500 && a.contains("link_cut") && a.contains("\"reason\":\"loss\""));
}
