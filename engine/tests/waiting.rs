//! Waiting in async handlers: interleaved handlers on one node, calls with timeouts, quorums
//! (`.any()`, `.at_least(k)`, `.majority()`, `.matching(pred)`, `.all()`, `.timeout(n)`,
//! `.within(n)`), `sleep`, `until`, and `call_each`, with exact ticks.
//!
//! The timeline every test here builds on (delay 1): a message injected between ticks `t-1`
//! and `t` (sent in tick `t-1`) lands at the end of tick `t` and is handled in tick `t+1`. So a
//! trigger injected before tick 1 starts its handler on node 1 in tick 2; what it sends then
//! is handled by the peers in tick 4; a peer that sleeps `s` ticks answers in tick `4+s`, and
//! node 1 takes that answer in tick `6+s`.

use std::cell::RefCell;
use std::rc::Rc;

use dgame_engine::prelude::*;
use dgame_engine::{Delay, Event, EventLog, OwnedEvent};

/// Answered with `value` after sleeping `sleep` ticks.
#[derive(Debug, Clone, Message)]
#[reply(u32)]
struct Echo {
    sleep: Tick,
    value: u32,
}

/// Node 1 broadcasts `Echo { sleep, value: 0 }` and waits for every peer.
#[derive(Debug, Clone, Message)]
struct Work {
    label: char,
    sleep: Tick,
}

/// Node 1 calls `to` with `Echo { sleep, value: 7 }`, giving up after `timeout` ticks.
#[derive(Debug, Clone, Message)]
struct AskOne {
    to: NodeId,
    sleep: Tick,
    timeout: Tick,
}

#[derive(Debug, Clone)]
enum Mode {
    Any,
    AtLeast(usize),
    /// At least this many replies whose value is a multiple of 20.
    MatchingAtLeast(usize),
    All,
    AtLeastTimeout(usize, Tick),
    AllTimeout(Tick),
    /// `call_each` to nodes 3 and 2 (in that order), both answering at once.
    SameTick,
    /// `call_each` to nodes 3 and 5 only.
    Subset,
    /// `.majority()`: with node 1, 2 of the 4 peers.
    Majority,
    /// `.matching(multiple of 20).majority()`.
    MatchingMajority,
    /// `.majority()` of a `call_each` to nodes 4 and 5 only: still a majority of the cluster.
    MajorityOfSubset,
    /// `.within(n)`, waiting for all.
    Within(Tick),
    /// `.majority().within(n)`.
    MajorityWithin(Tick),
    /// Every peer, the later ones answering first (node 5 at once, then 4, 3 and 2, two ticks
    /// apart, but 3 and 4 in one tick), awaited with `.all()`.
    AllReversed,
}

/// Node 1 calls each peer `j` with `Echo { sleep: 2 * (j - 2), value: 10 * j }` (so node 2
/// answers first, then 3, 4, 5, two ticks apart) and waits as `Mode` says.
#[derive(Debug, Clone, Message)]
struct RunQuorum(Mode);

/// Sleeps each of these in turn.
#[derive(Debug, Clone, Message)]
struct Nap(Vec<Tick>);

/// Adds one to `bumps`.
#[derive(Debug, Clone, Message)]
struct Bump;

/// Waits until `bumps` reaches `bumps`, giving up after `timeout` ticks if given.
#[derive(Debug, Clone, Message)]
struct WaitFor {
    bumps: u32,
    timeout: Option<Tick>,
}

type Got = Vec<(NodeId, u32)>;

#[derive(Debug, Default)]
struct Probe {
    /// Peers: (tick, value) of every `Echo` they began handling.
    echoes: Vec<(Tick, u32)>,
    /// `Work` handlers running at once, now and at most.
    in_progress: u32,
    most_in_progress: u32,
    works: Vec<(char, Tick, Got)>,
    calls: Vec<(Tick, Result<u32, Timeout>)>,
    quorums: Vec<(Tick, Result<Got, Got>)>,
    naps: Vec<Tick>,
    bumps: u32,
    /// (tick, how many times the condition was checked, outcome) of every `WaitFor`.
    untils: Vec<(Tick, u32, Result<(), Timeout>)>,
}

fn got(replies: &Replies<u32>) -> Got {
    replies.with_senders().map(|(n, &v)| (n, v)).collect()
}

#[node]
impl Probe {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(None)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, _: ClientWriteRequest) -> ClientWriteResponse {
        ClientWriteResponse::ok()
    }

    #[endpoint(Echo)]
    async fn echo(cx: AsyncCtx<Self>, msg: Echo) -> u32 {
        let now = cx.now();
        cx.with(|me| me.echoes.push((now, msg.value)));
        cx.sleep(msg.sleep).await;
        msg.value
    }

    #[endpoint(Work)]
    async fn work(cx: AsyncCtx<Self>, Work { label, sleep }: Work) {
        cx.with(|me| {
            me.in_progress += 1;
            me.most_in_progress = me.most_in_progress.max(me.in_progress);
        });
        let replies = cx.broadcast(Echo { sleep, value: 0 }).all().await;
        let now = cx.now();
        cx.with(|me| {
            me.in_progress -= 1;
            me.works.push((label, now, got(&replies)));
        });
    }

    #[endpoint(AskOne)]
    async fn ask_one(cx: AsyncCtx<Self>, AskOne { to, sleep, timeout }: AskOne) {
        let result = cx.call(to, Echo { sleep, value: 7 }).timeout(timeout).await;
        let now = cx.now();
        cx.with(|me| me.calls.push((now, result)));
    }

    #[endpoint(RunQuorum)]
    async fn run_quorum(cx: AsyncCtx<Self>, RunQuorum(mode): RunQuorum) {
        let each = || {
            cx.peers()
                .iter()
                .map(|&j| (j, Echo { sleep: 2 * (u64::from(j.0) - 2), value: 10 * j.0 }))
                .collect::<Vec<_>>()
        };
        let result = match mode {
            Mode::Any => Ok(cx.call_each(each()).any().await),
            Mode::AtLeast(k) => Ok(cx.call_each(each()).at_least(k).await),
            Mode::MatchingAtLeast(k) => Ok(cx.call_each(each()).matching(|v| v % 20 == 0).at_least(k).await),
            Mode::All => Ok(cx.call_each(each()).all().await),
            Mode::AtLeastTimeout(k, t) => cx.call_each(each()).at_least(k).timeout(t).await,
            Mode::AllTimeout(t) => cx.call_each(each()).all().timeout(t).await,
            Mode::SameTick => {
                let calls = [(NodeId(3), Echo { sleep: 0, value: 30 }), (NodeId(2), Echo { sleep: 0, value: 20 })];
                Ok(cx.call_each(calls).await)
            }
            Mode::Subset => {
                let calls = [(NodeId(3), Echo { sleep: 0, value: 33 }), (NodeId(5), Echo { sleep: 0, value: 55 })];
                Ok(cx.call_each(calls).all().await)
            }
            Mode::Majority => Ok(cx.call_each(each()).majority().await),
            Mode::MatchingMajority => Ok(cx.call_each(each()).matching(|v| v % 20 == 0).majority().await),
            Mode::MajorityOfSubset => {
                let calls = [(NodeId(4), Echo { sleep: 2, value: 44 }), (NodeId(5), Echo { sleep: 0, value: 55 })];
                Ok(cx.call_each(calls).majority().await)
            }
            Mode::Within(t) => Ok(cx.call_each(each()).within(t).await),
            Mode::MajorityWithin(t) => Ok(cx.call_each(each()).majority().within(t).await),
            Mode::AllReversed => {
                let sleep = |j: u32| [4, 2, 2, 0][j as usize - 2];
                let calls: Vec<_> =
                    cx.peers().iter().map(|&j| (j, Echo { sleep: sleep(j.0), value: 10 * j.0 })).collect();
                Ok(cx.call_each(calls).all().await)
            }
        };
        let now = cx.now();
        let result = result.map(|r| got(&r)).map_err(|p| got(&p.replies));
        cx.with(|me| me.quorums.push((now, result)));
    }

    #[endpoint(Bump)]
    fn bump(&mut self, _: Bump) {
        self.bumps += 1;
    }

    #[endpoint(WaitFor)]
    async fn wait_for(cx: AsyncCtx<Self>, WaitFor { bumps, timeout }: WaitFor) {
        let checks = std::cell::Cell::new(0);
        let cond = |me: &Probe| {
            checks.set(checks.get() + 1);
            me.bumps >= bumps
        };
        let result = match timeout {
            None => {
                cx.until(cond).await;
                Ok(())
            }
            Some(t) => cx.until(cond).timeout(t).await,
        };
        let now = cx.now();
        cx.with(|me| me.untils.push((now, checks.get(), result)));
    }

    #[endpoint(Nap)]
    async fn nap(cx: AsyncCtx<Self>, Nap(sleeps): Nap) {
        for s in sleeps {
            cx.sleep(s).await;
            let now = cx.now();
            cx.with(|me| me.naps.push(now));
        }
    }
}

fn world(nodes: u32) -> (World<Probe>, Rc<RefCell<EventLog>>) {
    let config = Config::builder().nodes(nodes).clients(0).delay(Delay::Constant(1)).ticks(100).build().unwrap();
    let mut world = World::<Probe>::new(config).unwrap();
    let log = Rc::new(RefCell::new(EventLog::default()));
    let sink = log.clone();
    world.subscribe(move |e: &Event<'_>| sink.borrow_mut().events.push(e.to_owned_event()));
    (world, log)
}

fn n(i: u32) -> ServerId {
    ServerId::Node(NodeId(i))
}

/// Injects `msg` to node 1 now (it is handled two ticks later).
fn trigger<M: Message>(world: &mut World<Probe>, msg: M) {
    world.inject(ServerId::Gateway, n(1), msg).unwrap();
}

/// (tick, where) of every stale reply.
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

fn quorum(mode: Mode, ticks: Tick) -> (World<Probe>, Rc<RefCell<EventLog>>) {
    let (mut world, log) = world(5);
    trigger(&mut world, RunQuorum(mode));
    world.run_until(ticks).unwrap();
    (world, log)
}

fn quorums(world: &World<Probe>) -> Vec<(Tick, Result<Got, Got>)> {
    world.node(NodeId(1)).unwrap().quorums.clone()
}

#[test]
fn two_requests_on_one_node_both_wait_on_peers_at_once_and_both_complete() {
    let (mut world, log) = world(3);
    trigger(&mut world, Work { label: 'A', sleep: 5 }); // handled at 2; peers answer at 9
    world.tick().unwrap();
    trigger(&mut world, Work { label: 'B', sleep: 0 }); // handled at 3; peers answer at 5
    let mut waiting = Vec::new();
    for _ in 2..=12 {
        world.tick().unwrap();
        waiting.push((world.now(), world.waiting_handlers(NodeId(1)).unwrap()));
    }
    // Both wait in ticks 3..=6; B, started later, finishes first (7), A at 11.
    assert_eq!(waiting, [(2, 1), (3, 2), (4, 2), (5, 2), (6, 2), (7, 1), (8, 1), (9, 1), (10, 1), (11, 0), (12, 0)]);
    let me = world.node(NodeId(1)).unwrap();
    let peers = vec![(NodeId(2), 0), (NodeId(3), 0)];
    assert_eq!(me.works, [('B', 7, peers.clone()), ('A', 11, peers)]);
    assert_eq!((me.most_in_progress, me.in_progress), (2, 0), "both ran between their awaits");
    drop(me);
    assert_eq!(world.node(NodeId(2)).unwrap().echoes, [(4, 0), (5, 0)], "each request reached the peer");
    let on_node_1: Vec<_> = log
        .borrow()
        .events
        .iter()
        .filter_map(|e| match e {
            OwnedEvent::HandlerStarted { tick, node: NodeId(1), handler, endpoint, .. } => {
                Some(format!("{tick}: start {endpoint} #{handler}"))
            }
            OwnedEvent::HandlerFinished { tick, node: NodeId(1), handler, endpoint } => {
                Some(format!("{tick}: end {endpoint} #{handler}"))
            }
            _ => None,
        })
        .collect();
    assert_eq!(on_node_1, ["2: start work #1", "3: start work #2", "7: end work #2", "11: end work #1"]);
}

#[test]
fn a_call_answered_by_the_deadline_tick_is_ok() {
    let (mut world, log) = world(2);
    trigger(&mut world, AskOne { to: NodeId(2), sleep: 0, timeout: 4 }); // called at 2, answer taken at 6
    world.run_until(10).unwrap();
    assert_eq!(world.node(NodeId(1)).unwrap().calls, [(6, Ok(7))]);
    assert_eq!(stale(&log), []);
}

#[test]
fn a_call_times_out_at_call_tick_plus_timeout_and_its_late_reply_is_stale() {
    let (mut world, log) = world(2);
    trigger(&mut world, AskOne { to: NodeId(2), sleep: 1, timeout: 4 }); // the answer would be taken at 7
    world.run_until(5).unwrap();
    assert_eq!(world.node(NodeId(1)).unwrap().calls, []);
    world.tick().unwrap();
    assert_eq!(world.node(NodeId(1)).unwrap().calls, [(6, Err(Timeout))]);
    assert_eq!(world.waiting_handlers(NodeId(1)), Some(0));
    world.run_until(10).unwrap();
    assert_eq!(stale(&log), [(7, n(1))], "the reply arrives at node 1 and is discarded");
    assert_eq!(world.stats().stale_replies, 1);
}

#[test]
fn a_call_to_a_cut_off_node_times_out_exactly() {
    for (label, cut_request) in [("request cut", true), ("reply cut", false)] {
        let (mut world, log) = world(2);
        if cut_request {
            world.isolate(NodeId(2)).unwrap();
        } else {
            world.cut(&[n(2)], &[n(1)], true).unwrap();
        }
        trigger(&mut world, AskOne { to: NodeId(2), sleep: 0, timeout: 9 });
        world.run_until(20).unwrap();
        assert_eq!(world.node(NodeId(1)).unwrap().calls, [(11, Err(Timeout))], "{label}");
        let handled = world.node(NodeId(2)).unwrap().echoes.clone();
        assert_eq!(handled, if cut_request { vec![] } else { vec![(4, 7)] }, "{label}");
        let partition = log
            .borrow()
            .events
            .iter()
            .filter(|e| matches!(e, OwnedEvent::SignalDropped { reason: dgame_engine::DropReason::Partition, .. }))
            .count();
        assert_eq!(partition, 1, "{label}: the one signal over the cut link is dropped");
        assert_eq!(stale(&log), [], "{label}");
    }
}

#[test]
fn any_resolves_with_the_first_reply_and_the_rest_are_stale() {
    let (world, log) = quorum(Mode::Any, 15);
    assert_eq!(quorums(&world), [(6, Ok(vec![(NodeId(2), 20)]))]);
    assert_eq!(stale(&log), [(8, n(1)), (10, n(1)), (12, n(1))]);
}

#[test]
fn at_least_k_resolves_at_the_kth_reply() {
    let (world, log) = quorum(Mode::AtLeast(2), 15);
    assert_eq!(quorums(&world), [(8, Ok(vec![(NodeId(2), 20), (NodeId(3), 30)]))]);
    assert_eq!(stale(&log), [(10, n(1)), (12, n(1))]);
    let (world, _) = quorum(Mode::AtLeast(0), 15);
    assert_eq!(quorums(&world), [(2, Ok(vec![]))], "zero replies are enough at once");
}

#[test]
fn matching_counts_only_the_replies_that_match_but_returns_all() {
    // 20 (node 2) and 40 (node 4) match; 30 (node 3) arrives in between and is kept, not counted.
    let (world, log) = quorum(Mode::MatchingAtLeast(2), 15);
    assert_eq!(quorums(&world), [(10, Ok(vec![(NodeId(2), 20), (NodeId(3), 30), (NodeId(4), 40)]))]);
    assert_eq!(stale(&log), [(12, n(1))]);
}

#[test]
fn all_waits_for_the_last_reply() {
    let (world, log) = quorum(Mode::All, 15);
    let all = vec![(NodeId(2), 20), (NodeId(3), 30), (NodeId(4), 40), (NodeId(5), 50)];
    assert_eq!(quorums(&world), [(12, Ok(all.clone()))]);
    assert_eq!(stale(&log), []);
    let (world, _) = quorum(Mode::AllTimeout(10), 15);
    assert_eq!(quorums(&world), [(12, Ok(all))], "a deadline at 12 still counts the reply taken at 12");
}

#[test]
fn a_quorum_timeout_gives_partial_with_the_replies_that_came() {
    let (world, log) = quorum(Mode::AtLeastTimeout(4, 5), 15);
    assert_eq!(quorums(&world), [(7, Err(vec![(NodeId(2), 20)]))]);
    assert_eq!(stale(&log), [(8, n(1)), (10, n(1)), (12, n(1))]);
    let (world, _) = quorum(Mode::AllTimeout(6), 15);
    assert_eq!(
        quorums(&world),
        [(8, Err(vec![(NodeId(2), 20), (NodeId(3), 30)]))],
        "the reply taken at the deadline is in"
    );
    let (world, _) = quorum(Mode::AtLeastTimeout(3, 100), 15);
    assert_eq!(quorums(&world), [(10, Ok(vec![(NodeId(2), 20), (NodeId(3), 30), (NodeId(4), 40)]))]);
}

#[test]
fn replies_of_one_tick_come_in_the_order_of_the_calls() {
    let (world, _) = quorum(Mode::SameTick, 10);
    assert_eq!(quorums(&world), [(6, Ok(vec![(NodeId(3), 30), (NodeId(2), 20)]))]);
}

#[test]
fn replies_of_several_ticks_come_in_the_order_they_arrived() {
    // The earlier replies need not wake the task (only the last one can complete the quorum),
    // so it may take them all in one poll: still in the order they arrived, those of one
    // tick in the order of the calls.
    let (world, log) = quorum(Mode::AllReversed, 15);
    let arrived = vec![(NodeId(5), 50), (NodeId(3), 30), (NodeId(4), 40), (NodeId(2), 20)];
    assert_eq!(quorums(&world), [(10, Ok(arrived))]);
    assert_eq!(stale(&log), []);
}

#[test]
fn call_each_sends_each_node_its_own_message_and_no_one_else_any() {
    let (world, _) = quorum(Mode::Subset, 10);
    assert_eq!(quorums(&world), [(6, Ok(vec![(NodeId(3), 33), (NodeId(5), 55)]))]);
    let echoes = |i| world.node(NodeId(i)).unwrap().echoes.clone();
    assert_eq!((echoes(2), echoes(3), echoes(4), echoes(5)), (vec![], vec![(4, 33)], vec![], vec![(4, 55)]));
    let (world, _) = quorum(Mode::All, 15);
    for j in 2..=5 {
        assert_eq!(world.node(NodeId(j)).unwrap().echoes, [(4, 10 * j)], "node {j} got its own message");
    }
}

#[test]
fn sleep_resumes_at_exactly_now_plus_n() {
    let (mut world, _) = world(1);
    trigger(&mut world, Nap(vec![3, 0, 1, 5]));
    world.run_until(4).unwrap();
    assert!(world.node(NodeId(1)).unwrap().naps.is_empty());
    assert_eq!(world.waiting_handlers(NodeId(1)), Some(1));
    world.tick().unwrap();
    assert_eq!(world.node(NodeId(1)).unwrap().naps, [5, 5], "slept 3 from tick 2, then 0: the same tick");
    world.run_until(10).unwrap();
    assert_eq!(world.node(NodeId(1)).unwrap().naps, [5, 5, 6]);
    world.tick().unwrap();
    assert_eq!(world.node(NodeId(1)).unwrap().naps, [5, 5, 6, 11]);
    assert_eq!(world.waiting_handlers(NodeId(1)), Some(0));
}

#[test]
fn majority_counts_this_node_and_waits_for_half_the_cluster_of_peers() {
    // Five nodes: node 1 and 2 peers are a majority. Node 2 answers at 6, node 3 at 8.
    let (world, log) = quorum(Mode::Majority, 15);
    assert_eq!(quorums(&world), [(8, Ok(vec![(NodeId(2), 20), (NodeId(3), 30)]))]);
    assert_eq!(stale(&log), [(10, n(1)), (12, n(1))]);
    // Only matching replies count: 20 (node 2, tick 6) and 40 (node 4, tick 10).
    let (world, _) = quorum(Mode::MatchingMajority, 15);
    assert_eq!(quorums(&world), [(10, Ok(vec![(NodeId(2), 20), (NodeId(3), 30), (NodeId(4), 40)]))]);
    // A majority of the cluster, whoever was called: both of the two nodes asked.
    let (world, _) = quorum(Mode::MajorityOfSubset, 15);
    assert_eq!(quorums(&world), [(8, Ok(vec![(NodeId(5), 55), (NodeId(4), 44)]))]);
}

#[test]
fn within_takes_what_came_by_the_deadline_and_is_never_an_error() {
    // Called at tick 2: a deadline of 5 is tick 7, when only node 2 (tick 6) has answered.
    let (world, log) = quorum(Mode::Within(5), 15);
    assert_eq!(quorums(&world), [(7, Ok(vec![(NodeId(2), 20)]))]);
    assert_eq!(stale(&log), [(8, n(1)), (10, n(1)), (12, n(1))]);
    // A reply taken in the deadline's tick (node 3, tick 8) is in.
    let (world, _) = quorum(Mode::Within(6), 15);
    assert_eq!(quorums(&world), [(8, Ok(vec![(NodeId(2), 20), (NodeId(3), 30)]))]);
    // Everything came before the deadline: it resolves at the last reply, not at the deadline.
    let all = vec![(NodeId(2), 20), (NodeId(3), 30), (NodeId(4), 40), (NodeId(5), 50)];
    let (world, _) = quorum(Mode::Within(100), 15);
    assert_eq!(quorums(&world), [(12, Ok(all))]);
    // With `.majority()`: what is enough comes first (tick 8), or the deadline (tick 7).
    let (world, _) = quorum(Mode::MajorityWithin(100), 15);
    assert_eq!(quorums(&world), [(8, Ok(vec![(NodeId(2), 20), (NodeId(3), 30)]))]);
    let (world, _) = quorum(Mode::MajorityWithin(5), 15);
    assert_eq!(quorums(&world), [(7, Ok(vec![(NodeId(2), 20)]))]);
}

fn untils(world: &World<Probe>) -> Vec<(Tick, u32, Result<(), Timeout>)> {
    world.node(NodeId(1)).unwrap().untils.clone()
}

/// Bumps node 1 so that the bump is handled (step 1 of its turn) in tick `at`.
fn bump_at(world: &mut World<Probe>, at: Tick) {
    world.run_until(at - 2).unwrap();
    trigger(world, Bump);
}

#[test]
fn until_holding_at_once_resolves_in_the_same_tick() {
    let (mut world, _) = world(1);
    trigger(&mut world, WaitFor { bumps: 0, timeout: None }); // handled at 2
    world.run_until(5).unwrap();
    assert_eq!(untils(&world), [(2, 1, Ok(()))], "checked once, when first awaited");
}

#[test]
fn until_rechecks_once_per_tick_and_sees_what_the_inbox_changed_that_tick() {
    let (mut world, _) = world(1);
    trigger(&mut world, WaitFor { bumps: 2, timeout: None }); // handled at 2
    bump_at(&mut world, 4);
    bump_at(&mut world, 7);
    world.run_until(6).unwrap();
    assert_eq!(untils(&world), [], "one bump is not enough");
    assert_eq!(world.waiting_handlers(NodeId(1)), Some(1));
    world.run_until(10).unwrap();
    // Checked at 2 (first poll), then once in each of ticks 3..=7: six checks, true at 7.
    assert_eq!(untils(&world), [(7, 6, Ok(()))]);
    assert_eq!(world.waiting_handlers(NodeId(1)), Some(0));
}

#[test]
fn until_times_out_at_start_plus_n_and_a_condition_true_in_that_tick_wins() {
    // Started at 2 with a timeout of 4: the deadline is tick 6.
    for (bump, expected) in [(6, (6, 5, Ok(()))), (7, (6, 5, Err(Timeout))), (3, (3, 2, Ok(())))] {
        let (mut world, _) = world(1);
        trigger(&mut world, WaitFor { bumps: 1, timeout: Some(4) });
        bump_at(&mut world, bump);
        world.run_until(12).unwrap();
        assert_eq!(untils(&world), [expected], "bump handled at {bump}");
    }
    let (mut world, _) = world(1);
    trigger(&mut world, WaitFor { bumps: 1, timeout: Some(0) });
    world.run_until(5).unwrap();
    assert_eq!(untils(&world), [(2, 1, Err(Timeout))], "timeout 0: one check, then the timeout");
}
