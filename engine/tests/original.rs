//! The scenarios of the original's test suite (ORIGINAL.md, "The original's tests"), with
//! exact ticks under the semantics of docs/ARCHITECTURE.md: a signal sent in tick t with a
//! delay of d ticks lands in its recipient's inbox at the end of tick t + d, and the recipient
//! handles it in its turn of tick t + d + 1.

use std::cell::RefCell;
use std::rc::Rc;

use dgame_engine::prelude::*;
use dgame_engine::{Delay, EventLog, OwnedEvent, SignalKind};

#[derive(Debug, Clone, Message)]
struct Ping(u32);

#[derive(Debug, Clone, Message)]
#[reply(u32)]
struct Question;

/// A node that records what reaches it, and (node 1 only) sends or asks node 2 once when told.
#[derive(Debug, Default)]
struct Probe {
    pings: Vec<(Tick, u32)>,
    writes: Vec<Value>,
    questions_answered_at: Vec<Tick>,
    answer: Option<(Tick, u32)>,
    timer_fired: u32,
    send_ping: bool,
    ask: bool,
}

#[node]
impl Probe {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.writes.last().copied())
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, req: ClientWriteRequest) -> ClientWriteResponse {
        self.writes.push(req.value);
        ClientWriteResponse::ok()
    }

    #[endpoint(Ping)]
    fn ping(&mut self, ctx: &mut Ctx<Self>, Ping(n): Ping) {
        self.pings.push((ctx.now(), n));
    }

    #[endpoint(Question)]
    fn question(&mut self, ctx: &mut Ctx<Self>, _: Question) -> u32 {
        self.questions_answered_at.push(ctx.now());
        42
    }

    #[timer(interval = 1)]
    fn every_tick(&mut self, ctx: &mut Ctx<Self>) {
        if std::mem::take(&mut self.send_ping) {
            ctx.send(NodeId(2), Ping(7));
        }
    }

    #[timer(interval = 3)]
    fn every_third(&mut self) {
        self.timer_fired += 1;
    }

    #[timer(interval = 1)]
    async fn maybe_ask(cx: AsyncCtx<Self>) {
        if !cx.with(|me| std::mem::take(&mut me.ask)) {
            return;
        }
        let answer = cx.call(NodeId(2), Question).await;
        let now = cx.now();
        cx.with(|me| me.answer = Some((now, answer)));
    }
}

fn config(nodes: u32, clients: u32) -> Config {
    Config::builder().nodes(nodes).clients(clients).delay(Delay::Constant(1)).ticks(100).build().unwrap()
}

fn n(i: u32) -> ServerId {
    ServerId::Node(NodeId(i))
}

#[test]
fn a_signal_of_duration_5_arrives_after_exactly_5_ticks_and_is_then_gone() {
    let cfg = Config { delay: Delay::Constant(5), ..config(2, 0) };
    let mut world = World::<Probe>::new(cfg).unwrap();
    world.inject(n(1), n(2), Ping(1)).unwrap(); // sent at tick 0
    for tick in 1..=4 {
        world.tick().unwrap();
        assert_eq!(world.in_flight_count(), 1, "still travelling after tick {tick}");
        assert_eq!(world.inbox_len(n(2)), Some(0));
    }
    world.tick().unwrap(); // tick 5: it arrives
    assert_eq!(world.in_flight_count(), 0, "gone from the network once delivered");
    assert_eq!(world.inbox_len(n(2)), Some(1));
    assert!(world.node(NodeId(2)).unwrap().pings.is_empty(), "delivered, not yet handled");
    world.tick().unwrap();
    assert_eq!(world.node(NodeId(2)).unwrap().pings, [(6, 1)]);
}

#[test]
fn node_to_node_sent_at_tick_1_arrives_at_2_and_is_handled_at_3() {
    let mut world =
        World::with_nodes(config(2, 0), |id| Probe { send_ping: id == NodeId(1), ..Probe::default() }).unwrap();
    world.tick().unwrap(); // tick 1: node 1's timer sends
    let sent: Vec<_> = world.in_flight().iter().map(|s| (s.from, s.to, s.sent, s.arrival)).collect();
    assert_eq!(sent, [(n(1), n(2), 1, 2)]);
    world.tick().unwrap(); // tick 2: it arrives
    assert_eq!(world.inbox_len(n(2)), Some(1));
    assert!(world.node(NodeId(2)).unwrap().pings.is_empty(), "node 2 has not handled it yet");
    world.tick().unwrap(); // tick 3: node 2 handles it
    assert_eq!(world.node(NodeId(2)).unwrap().pings, [(3, 7)]);
}

#[test]
fn a_node_added_later_fires_its_interval_3_timer_on_its_own_clock() {
    let mut world = World::<Probe>::new(config(1, 0)).unwrap();
    world.run_until(2).unwrap();
    let late = world.add_node(Probe::default());
    assert_eq!(late, NodeId(2));
    world.run_until(10).unwrap(); // 8 more ticks: local clock 1..=8
    assert_eq!(world.node(late).unwrap().timer_fired, 2);
    assert_eq!(world.node(NodeId(1)).unwrap().timer_fired, 3, "node 1's clock is 2 ticks ahead");
    world.tick().unwrap(); // local clock 9
    assert_eq!(world.node(late).unwrap().timer_fired, 3);
}

#[test]
fn waiting_for_a_reply_resumes_the_tick_after_it_arrives() {
    let mut world = World::with_nodes(config(2, 0), |id| Probe { ask: id == NodeId(1), ..Probe::default() }).unwrap();
    world.tick().unwrap(); // tick 1: node 1 asks and waits
    assert_eq!(world.waiting_handlers(NodeId(1)), Some(1));
    world.tick().unwrap(); // tick 2: the question arrives
    assert_eq!(world.inbox_len(n(2)), Some(1));
    world.tick().unwrap(); // tick 3: node 2 answers
    assert_eq!(world.node(NodeId(2)).unwrap().questions_answered_at, [3]);
    world.tick().unwrap(); // tick 4: the answer arrives; node 1 has not resumed
    assert_eq!(world.inbox_len(n(1)), Some(1));
    assert_eq!(world.node(NodeId(1)).unwrap().answer, None);
    world.tick().unwrap(); // tick 5: node 1 resumes with it
    assert_eq!(world.node(NodeId(1)).unwrap().answer, Some((5, 42)));
    assert_eq!(world.waiting_handlers(NodeId(1)), Some(0));
}

#[test]
fn the_gateway_forwards_a_client_write_with_its_value() {
    let cfg = Config { client_kind: ClientKind::Read, ..config(1, 1) };
    let mut world = World::<Probe>::new(cfg).unwrap();
    // Request 1 of client 1 is its first read: this write comes from client 1 as its 9th.
    let id = RequestId { client: ClientId(1), seq: 9 };
    world.inject(ServerId::Client(ClientId(1)), ServerId::Gateway, ClientWriteRequest { id, value: 5 }).unwrap();
    world.run_until(4).unwrap(); // gateway at tick 2, node at tick 4
    assert_eq!(world.node(NodeId(1)).unwrap().writes, [5]);
}

#[test]
fn the_gateway_goes_round_robin_over_the_nodes() {
    let cfg = Config { client_kind: ClientKind::Read, ..config(2, 3) };
    let mut world = World::<Probe>::new(cfg).unwrap();
    // One write from each client, later in its sequence than its own reads.
    for value in [1, 2, 3] {
        let client = ClientId(value as u32);
        let id = RequestId { client, seq: 100 };
        world.inject(ServerId::Client(client), ServerId::Gateway, ClientWriteRequest { id, value }).unwrap();
    }
    world.run_until(6).unwrap();
    assert_eq!(world.node(NodeId(1)).unwrap().writes, [1, 3]);
    assert_eq!(world.node(NodeId(2)).unwrap().writes, [2]);
}

#[test]
fn a_read_goes_client_gateway_node_gateway_client_in_7_ticks() {
    let cfg = Config { client_kind: ClientKind::Read, ..config(1, 1) };
    let mut world = World::<Probe>::new(cfg).unwrap();
    let log = Rc::new(RefCell::new(EventLog::default()));
    let sink = log.clone();
    world.subscribe(move |e: &dgame_engine::Event<'_>| sink.borrow_mut().events.push(e.to_owned_event()));
    world.run_until(7).unwrap();
    assert_eq!(world.inbox_len(ServerId::Client(ClientId(1))), Some(0));
    world.tick().unwrap(); // tick 8: the answer lands, 7 ticks after the request left
    assert_eq!(world.inbox_len(ServerId::Client(ClientId(1))), Some(1));
    world.tick().unwrap();
    let op = &world.history().operations[0];
    assert_eq!((&op.kind, op.invoke, op.complete, op.outcome), (&OpKind::Read, 1, Some(9), Outcome::Ok(None)));
    let hops: Vec<_> = log
        .borrow()
        .events
        .iter()
        .filter_map(|e| match e {
            OwnedEvent::SignalSent { tick, from, to, kind, .. } => {
                Some((*tick, *from, *to, matches!(kind, SignalKind::Reply { .. })))
            }
            _ => None,
        })
        .take(4)
        .collect();
    let (c, g) = (ServerId::Client(ClientId(1)), ServerId::Gateway);
    assert_eq!(hops, [(1, c, g, false), (3, g, n(1), false), (5, n(1), g, true), (7, g, c, true)]);
}

#[test]
fn a_write_only_clients_first_tick_sends_a_write_to_the_gateway() {
    let cfg = Config { client_kind: ClientKind::Write, ..config(1, 1) };
    let mut world = World::<Probe>::new(cfg).unwrap();
    world.tick().unwrap();
    let flying = world.in_flight();
    assert_eq!(flying.len(), 1);
    assert_eq!((flying[0].from, flying[0].to), (ServerId::Client(ClientId(1)), ServerId::Gateway));
    assert_eq!(
        format!("{:?}", flying[0].message),
        "ClientWriteRequest { id: RequestId { client: ClientId(1), seq: 1 }, value: 1 }"
    );
}
