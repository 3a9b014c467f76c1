//! Properties of the network and the request/reply protocol over random worlds: random sizes,
//! delays, loss, scheduled cuts, and cuts, heals and drops by id made between ticks.
//!
//! The event stream is replayed against a model of the network: every signal sent is delivered
//! exactly once at its arrival tick, or dropped exactly once, or still in flight at the end; a
//! dropped signal is never delivered; a cut link carries nothing; every reply answers a
//! request its recipient sent, once. And a run is a function of its configuration and seed.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use dgame_engine::prelude::*;
use dgame_engine::{Cut, Delay, DropReason, Event, EventLog, OwnedEvent, SignalId, SignalKind, Stats};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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

/// Fire and forget: a node tells its peers the newest version it knows.
#[derive(Debug, Clone, Message)]
struct Gossip(u64);

/// A two-phase majority register (ARCHITECTURE.md's sketch) whose waits time out, plus a
/// gossip timer for one-way signals.
#[derive(Debug, Default)]
struct Majority {
    current: Versioned,
    newest_heard: u64,
}

#[node]
impl Majority {
    #[endpoint(ClientReadRequest)]
    async fn read(cx: AsyncCtx<Self>, _: ClientReadRequest) -> ClientReadResponse {
        let need = cx.peers().len() / 2;
        match cx.broadcast(GetVersioned).at_least(need).timeout(10).await {
            Ok(replies) => {
                let newest = cx.with(|me| replies.iter().chain([&me.current]).max_by_key(|v| v.version).copied());
                ClientReadResponse::ok(newest.and_then(|v| v.value))
            }
            Err(_) => ClientReadResponse { status: Status::Unknown, value: None },
        }
    }

    #[endpoint(ClientWriteRequest)]
    async fn write(cx: AsyncCtx<Self>, req: ClientWriteRequest) -> ClientWriteResponse {
        let need = cx.peers().len() / 2;
        let Ok(versions) = cx.broadcast(GetVersioned).at_least(need).timeout(10).await else {
            return ClientWriteResponse { status: Status::Unknown };
        };
        let next = cx.with(|me| {
            let top = versions.iter().map(|v| v.version).chain([me.current.version]).max();
            me.current = Versioned { value: Some(req.value), version: top.unwrap_or(0) + 1 };
            me.current
        });
        match cx.broadcast(Store(next)).at_least(need).timeout(10).await {
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

    #[endpoint(Gossip)]
    fn gossip(&mut self, Gossip(version): Gossip) {
        self.newest_heard = self.newest_heard.max(version);
    }

    #[timer(interval = 7)]
    fn tell(&mut self, ctx: &mut Ctx<Self>) {
        ctx.send_to_peers(Gossip(self.current.version));
    }
}

/// Something done to the world between two ticks. Server numbers are taken modulo the number
/// of servers (0 is the gateway, then the nodes, then the clients).
#[derive(Debug, Clone)]
enum Click {
    /// Drop the in-flight signal at this index (modulo their number), if any.
    Drop(usize),
    Cut(u8, u8, bool),
    Heal(u8, u8, bool),
    Isolate(u8),
    HealAll,
}

/// A cut of the configuration: (from, to, one_way, at, heal after how many ticks).
type ScheduledCut = (Vec<u8>, Vec<u8>, bool, Tick, Option<Tick>);

#[derive(Debug, Clone)]
struct Scenario {
    seed: u64,
    nodes: u32,
    clients: u32,
    delay: Delay,
    loss: f64,
    ticks: Tick,
    cuts: Vec<ScheduledCut>,
    /// (before which tick, what).
    clicks: Vec<(Tick, Click)>,
}

impl Scenario {
    fn server(&self, k: u8) -> ServerId {
        let k = u32::from(k) % (1 + self.nodes + self.clients);
        if k == 0 {
            ServerId::Gateway
        } else if k <= self.nodes {
            ServerId::Node(NodeId(k))
        } else {
            ServerId::Client(ClientId(k - self.nodes))
        }
    }

    fn config(&self) -> Config {
        let mut builder = Config::builder()
            .seed(self.seed)
            .nodes(self.nodes)
            .clients(self.clients)
            .delay(self.delay)
            .loss(self.loss)
            .ticks(self.ticks)
            .gateway_timeout(Some(15))
            .client_timeout(Some(25));
        for (from, to, one_way, at, heal) in &self.cuts {
            let from: Vec<_> = from.iter().map(|&k| self.server(k)).collect();
            let to: Vec<_> = to.iter().map(|&k| self.server(k)).collect();
            builder = builder.cut(Cut { from, to, one_way: *one_way, at: *at, heal: heal.map(|h| at + h) });
        }
        builder.build().expect("the generated configuration is valid")
    }
}

fn delay() -> impl Strategy<Value = Delay> {
    prop_oneof![
        (1u64..=6).prop_map(Delay::Constant),
        (1u64..=6, 1u64..=6).prop_map(|(a, b)| Delay::Uniform { min: a.min(b), max: a.max(b) }),
    ]
}

fn click() -> impl Strategy<Value = Click> {
    prop_oneof![
        4 => any::<usize>().prop_map(Click::Drop),
        2 => (any::<u8>(), any::<u8>(), any::<bool>()).prop_map(|(a, b, w)| Click::Cut(a, b, w)),
        2 => (any::<u8>(), any::<u8>(), any::<bool>()).prop_map(|(a, b, w)| Click::Heal(a, b, w)),
        1 => any::<u8>().prop_map(Click::Isolate),
        1 => Just(Click::HealAll),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let sizes = (any::<u64>(), 1u32..=6, 0u32..=4, delay(), prop_oneof![Just(0.0), 0.0..0.5f64], 50u64..=150);
    sizes.prop_flat_map(|(seed, nodes, clients, delay, loss, ticks)| {
        let servers = || proptest::collection::vec(any::<u8>(), 1..=3);
        let cut = (servers(), servers(), any::<bool>(), 1..ticks, proptest::option::of(1..ticks));
        let cuts = proptest::collection::vec(cut, 0..=3);
        let clicks = proptest::collection::vec((0..ticks, click()), 0..=20);
        (cuts, clicks).prop_map(move |(cuts, clicks)| Scenario {
            seed,
            nodes,
            clients,
            delay,
            loss,
            ticks,
            cuts,
            clicks,
        })
    })
}

/// What a run left behind.
struct RunResult {
    log: EventLog,
    in_flight: BTreeSet<SignalId>,
    stats: Stats,
    /// `World::sent_by_type`, with the names made short.
    by_type: BTreeMap<String, u64>,
}

fn run(s: &Scenario) -> RunResult {
    let mut world = World::<Majority>::new(s.config()).unwrap();
    let log = Rc::new(RefCell::new(EventLog::default()));
    let sink = log.clone();
    world.subscribe(move |e: &Event<'_>| sink.borrow_mut().events.push(e.to_owned_event()));
    for t in 0..s.ticks {
        for (_, click) in s.clicks.iter().filter(|(at, _)| *at == t) {
            match *click {
                Click::Drop(k) => {
                    let flying = world.in_flight();
                    if !flying.is_empty() {
                        let id = flying[k % flying.len()].id;
                        world.drop_signal(id).expect("a signal in flight can be dropped");
                    }
                }
                Click::Cut(a, b, one_way) => world.cut(&[s.server(a)], &[s.server(b)], one_way).expect("servers exist"),
                Click::Heal(a, b, one_way) => {
                    world.heal(&[s.server(a)], &[s.server(b)], one_way).expect("servers exist")
                }
                Click::Isolate(k) => world.isolate(NodeId(u32::from(k) % s.nodes + 1)).expect("the node exists"),
                Click::HealAll => world.heal_all().expect("always fits"),
            }
        }
        world.tick().expect("the majority node never fails the run");
    }
    let in_flight = world.in_flight().iter().map(|f| f.id).collect();
    let stats = world.stats();
    let mut by_type = BTreeMap::new();
    for (name, n) in world.sent_by_type() {
        *by_type.entry(dgame_engine::message::short_type_name(name).into_owned()).or_insert(0) += n;
    }
    drop(world);
    let log = Rc::try_unwrap(log).expect("the world is gone").into_inner();
    RunResult { log, in_flight, stats, by_type }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Delivered(Tick),
    Dropped(Tick, DropReason),
}

struct Sig {
    from: ServerId,
    to: ServerId,
    kind: SignalKind,
    sent: Tick,
    arrival: Tick,
    sent_while_cut: bool,
    cut_in_flight: bool,
    fate: Option<Fate>,
    replied: bool,
}

/// Replays the events against a model of the network; panics on the first violation.
fn check(s: &Scenario, out: &RunResult) {
    let (min, max) = (s.delay.min(), s.delay.max());
    let mut sigs: BTreeMap<SignalId, Sig> = BTreeMap::new();
    let mut cut: BTreeSet<(ServerId, ServerId)> = BTreeSet::new();
    let mut counts = Stats::default();
    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    for e in &out.log.events {
        match *e {
            OwnedEvent::SignalSent { tick, signal, from, to, kind, arrival, ref message_type, .. } => {
                *by_type.entry(message_type.clone()).or_insert(0) += 1;
                match (from, to) {
                    (ServerId::Node(_), ServerId::Node(_)) => counts.sent_node_node += 1,
                    (ServerId::Client(_), _) | (_, ServerId::Client(_)) => counts.sent_client_gateway += 1,
                    _ => counts.sent_gateway_node += 1,
                }
                assert!(!sigs.contains_key(&signal), "{signal} sent twice");
                assert!(sigs.last_key_value().is_none_or(|(&last, _)| last < signal), "ids grow: {signal}");
                let d = arrival - tick;
                assert!((min..=max).contains(&d), "{signal} takes {d} ticks, outside {min}..={max}");
                if let SignalKind::Reply { to: request } = kind {
                    let req =
                        sigs.get_mut(&request).unwrap_or_else(|| panic!("{signal} answers {request}, never sent"));
                    assert_eq!(req.kind, SignalKind::Request, "{signal} answers {request}, which is not a request");
                    assert_eq!((req.from, req.to), (to, from), "{signal} answers {request} of another pair");
                    assert!(
                        matches!(req.fate, Some(Fate::Delivered(_))),
                        "{signal} answers {request} before it arrived"
                    );
                    assert!(!req.replied, "{request} answered twice");
                    req.replied = true;
                }
                let sent_while_cut = cut.contains(&(from, to));
                sigs.insert(
                    signal,
                    Sig {
                        from,
                        to,
                        kind,
                        sent: tick,
                        arrival,
                        sent_while_cut,
                        cut_in_flight: false,
                        fate: None,
                        replied: false,
                    },
                );
                counts.sent += 1;
            }
            OwnedEvent::SignalDelivered { tick, signal, to } => {
                let sig = sigs.get_mut(&signal).expect("delivered signals were sent");
                assert_eq!(sig.fate, None, "{signal} delivered after {:?}", sig.fate);
                assert_eq!(tick, sig.arrival, "{signal} delivered at {tick}, due at {}", sig.arrival);
                assert_eq!(to, sig.to, "{signal} delivered to the wrong server");
                assert!(
                    !sig.sent_while_cut,
                    "{signal} sent over the cut link {} -> {} was delivered",
                    sig.from, sig.to
                );
                assert!(!sig.cut_in_flight, "{signal} in flight when {} -> {} was cut was delivered", sig.from, sig.to);
                assert!(!cut.contains(&(sig.from, sig.to)), "{signal} delivered over a cut link");
                sig.fate = Some(Fate::Delivered(tick));
                counts.delivered += 1;
            }
            OwnedEvent::SignalDropped { tick, signal, reason } => {
                let sig = sigs.get_mut(&signal).expect("dropped signals were sent");
                assert_eq!(sig.fate, None, "{signal} dropped after {:?}", sig.fate);
                match reason {
                    DropReason::Loss => {
                        assert_eq!(tick, sig.arrival, "{signal} is lost at its arrival tick");
                        assert!(!sig.sent_while_cut && !sig.cut_in_flight, "{signal} was cut, not lost");
                        counts.dropped_loss += 1;
                    }
                    DropReason::Partition => {
                        assert!(sig.sent_while_cut || sig.cut_in_flight, "{signal} dropped for a cut it never met");
                        if sig.sent_while_cut {
                            assert_eq!(tick, sig.sent, "{signal} sent over a cut link is dropped when sent");
                        }
                        assert!(tick <= sig.arrival);
                        counts.dropped_partition += 1;
                    }
                    DropReason::ById => {
                        assert!(sig.sent <= tick && tick < sig.arrival, "{signal} dropped by id while in flight");
                        counts.dropped_by_id += 1;
                    }
                    DropReason::Crashed => panic!("{signal} dropped for a crash, but these worlds never crash"),
                }
                sig.fate = Some(Fate::Dropped(tick, reason));
            }
            OwnedEvent::LinkCut { from, to, .. } => {
                assert!(cut.insert((from, to)), "{from} -> {to} cut twice");
                for sig in sigs.values_mut().filter(|g| g.fate.is_none() && (g.from, g.to) == (from, to)) {
                    sig.cut_in_flight = true;
                }
            }
            OwnedEvent::LinkHealed { from, to, .. } => {
                assert!(cut.remove(&(from, to)), "{from} -> {to} healed but not cut");
            }
            OwnedEvent::StaleReply { signal, at, .. } => {
                let sig = &sigs[&signal];
                assert!(matches!(sig.kind, SignalKind::Reply { .. }), "{signal} is stale but no reply");
                assert!(
                    matches!(sig.fate, Some(Fate::Delivered(_))) && sig.to == at,
                    "{signal} stale where it never arrived"
                );
                counts.stale_replies += 1;
            }
            OwnedEvent::HandlerStarted { node, signal, .. } => {
                if let Some(signal) = signal {
                    let sig = &sigs[&signal];
                    assert!(
                        matches!(sig.fate, Some(Fate::Delivered(_))) && sig.to == ServerId::Node(node),
                        "{signal} handled where it never arrived"
                    );
                    assert!(!matches!(sig.kind, SignalKind::Reply { .. }), "a reply started a handler");
                }
                counts.handlers += 1;
            }
            _ => {}
        }
    }
    for (id, sig) in &sigs {
        if sig.cut_in_flight || sig.sent_while_cut {
            assert!(
                matches!(sig.fate, Some(Fate::Dropped(_, DropReason::Partition | DropReason::ById))),
                "{id} met a cut but ended {:?}",
                sig.fate
            );
        }
        assert_eq!(
            sig.fate.is_none(),
            out.in_flight.contains(id),
            "{id} ended {:?}; in flight at the end: {}",
            sig.fate,
            out.in_flight.contains(id)
        );
    }
    assert!(out.in_flight.iter().all(|id| sigs.contains_key(id)), "everything in flight was sent");
    assert_eq!(counts, out.stats, "the counters agree with the events");
    assert_eq!(by_type, out.by_type, "the counts by message type agree with the events");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn signals_are_delivered_once_on_time_or_dropped_once_and_cut_links_carry_nothing(s in scenario()) {
        let out = run(&s);
        check(&s, &out);
    }

    #[test]
    fn scheduled_cuts_hold_exactly_while_one_of_them_covers_the_link(s in scenario()) {
        let config = s.config();
        let mut world = World::<Majority>::new(config.clone()).unwrap();
        for _ in 0..s.ticks {
            world.tick().unwrap();
            let now = world.now();
            let mut expected = BTreeSet::new();
            for c in config.cuts.iter().filter(|c| c.at <= now && c.heal.is_none_or(|h| h > now)) {
                for &a in &c.from {
                    for &b in &c.to {
                        expected.extend([(a, b)].into_iter().chain((!c.one_way).then_some((b, a))).filter(|(x, y)| x != y));
                    }
                }
            }
            prop_assert_eq!(world.cut_links().collect::<BTreeSet<_>>(), expected, "after tick {}", now);
        }
    }

    #[test]
    fn the_same_seed_and_configuration_give_the_same_event_stream(s in scenario()) {
        let a = run(&s).log.to_json_lines();
        let b = run(&s).log.to_json_lines();
        prop_assert!(a == b, "two runs of {s:?} differ");
    }
}

#[test]
fn the_checks_see_real_traffic_drops_and_cuts() {
    // A fixed scenario with every kind of fate, so that the properties are not vacuous.
    let s = Scenario {
        seed: 5,
        nodes: 3,
        clients: 2,
        delay: Delay::Uniform { min: 1, max: 4 },
        loss: 0.1,
        ticks: 150,
        cuts: vec![(vec![1], vec![2, 3], false, 30, Some(20))],
        clicks: (0..150)
            .step_by(10)
            .map(|t| (t, Click::Drop(t as usize)))
            .chain([(60, Click::Isolate(1)), (80, Click::HealAll)])
            .collect(),
    };
    let out = run(&s);
    check(&s, &out);
    let st = out.stats;
    assert!(st.delivered > 100 && st.dropped_loss > 5 && st.dropped_partition > 0 && st.dropped_by_id > 10, "{st:?}");
    assert!(st.stale_replies > 0 && st.handlers > 50, "{st:?}");
    let replies = out
        .log
        .events
        .iter()
        .filter(|e| matches!(e, OwnedEvent::SignalSent { kind: SignalKind::Reply { .. }, .. }))
        .count();
    assert!(replies > 20, "{replies} replies");
}

#[test]
fn different_seeds_give_different_event_streams() {
    let streams: BTreeSet<String> = (0..12)
        .map(|seed| {
            let s = Scenario {
                seed,
                nodes: 3,
                clients: 2,
                delay: Delay::Uniform { min: 1, max: 3 },
                loss: 0.1,
                ticks: 80,
                cuts: vec![],
                clicks: vec![],
            };
            run(&s).log.to_json_lines()
        })
        .collect();
    assert_eq!(streams.len(), 12, "every seed gives its own run");
}

#[test]
fn a_run_depends_on_the_seed_alone_not_on_the_process() {
    // The same stream from a fresh world, built after other worlds ran (no global state).
    let s = Scenario {
        seed: 99,
        nodes: 5,
        clients: 3,
        delay: Delay::Uniform { min: 1, max: 5 },
        loss: 0.3,
        ticks: 100,
        cuts: vec![],
        clicks: vec![],
    };
    let first = run(&s).log.to_json_lines();
    let _other = run(&Scenario { seed: 1, ..s.clone() });
    assert_eq!(run(&s).log.to_json_lines(), first);
}
