//! The client side of the workloads (issue 11): what clients ask for, the quiet period and its
//! final reads, and the gateway's handling of copies of a request.

use std::collections::{BTreeMap, BTreeSet};

use dgame_engine::prelude::*;
use dgame_engine::{Event, NodeStatus, Operation};

/// A broadcast node that keeps what it is sent and tells no one: each node's set is its own.
#[derive(Debug, Default)]
struct Keeper {
    values: BTreeSet<Value>,
}

#[node(workload(broadcast))]
impl Keeper {
    #[endpoint(BroadcastRequest)]
    fn broadcast(&mut self, req: BroadcastRequest) -> ClientWriteResponse {
        self.values.insert(req.value);
        ClientWriteResponse::ok()
    }

    #[endpoint(BroadcastReadRequest)]
    fn read(&mut self, _: BroadcastReadRequest) -> BroadcastReadResponse {
        BroadcastReadResponse::ok(self.values.iter().copied())
    }
}

/// One node holding every key: trivially linearizable.
#[derive(Debug, Default)]
struct Store {
    values: BTreeMap<Key, Value>,
}

#[node(workload(kv))]
impl Store {
    #[endpoint(KvReadRequest)]
    fn read(&mut self, req: KvReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.values.get(&req.key).copied())
    }

    #[endpoint(KvWriteRequest)]
    fn write(&mut self, req: KvWriteRequest) -> ClientWriteResponse {
        self.values.insert(req.key, req.value);
        ClientWriteResponse::ok()
    }

    #[endpoint(KvCasRequest)]
    fn cas(&mut self, req: KvCasRequest) -> ClientWriteResponse {
        if self.values.get(&req.key) == Some(&req.from) {
            self.values.insert(req.key, req.to);
            ClientWriteResponse::ok()
        } else {
            ClientWriteResponse::fail()
        }
    }
}

/// A register node that records every request id it is sent.
#[derive(Debug, Default)]
struct Recorder {
    value: Option<Value>,
    seen: Vec<RequestId>,
}

#[node]
impl Recorder {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, req: ClientReadRequest) -> ClientReadResponse {
        self.seen.push(req.id);
        ClientReadResponse::ok(self.value)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, req: ClientWriteRequest) -> ClientWriteResponse {
        self.seen.push(req.id);
        self.value = Some(req.value);
        ClientWriteResponse::ok()
    }
}

fn broadcast(nodes: u32, clients: u32, ticks: Tick) -> dgame_engine::ConfigBuilder {
    Config::builder().workload(Workload::Broadcast).nodes(nodes).clients(clients).ticks(ticks)
}

#[test]
fn final_reads_read_every_node_once_halfway_through_the_quiet_period() {
    // Two nodes each for two clients, read one after the other in the last 30 ticks.
    let config = broadcast(4, 2, 200).quiet(Some(60)).seed(1).build().unwrap();
    let mut world = World::<Keeper>::new(config).unwrap();
    world.run().unwrap();
    let ops = &world.history().operations;
    let finals: Vec<&Operation> =
        ops.iter().filter(|op| matches!(op.kind, OpKind::BroadcastRead { final_read: true, .. })).collect();
    let nodes: Vec<u32> = finals.iter().map(|op| op.node.expect("a final read went to a node").0).collect();
    assert_eq!(nodes.iter().copied().collect::<BTreeSet<_>>(), (1..=4).collect(), "one final read per node");
    assert_eq!(nodes.len(), 4);
    assert!(finals.iter().all(|op| matches!(op.outcome, Outcome::Ok(_))));
    assert!(finals.iter().all(|op| op.invoke >= 170), "final reads start at tick 200 - 60/2");
    for op in ops.iter().filter(|op| !matches!(op.kind, OpKind::BroadcastRead { final_read: true, .. })) {
        assert!(op.invoke <= 140, "no new operation in the quiet period: {op:?}");
    }
    // Each node kept what it was sent, and nothing spread: the checker sees values missing.
    let verdict = world.history().check();
    assert!(verdict.is_violation(), "{verdict}");
    assert!(verdict.to_string().contains("final read"), "{verdict}");
    // Broadcast values are unique, whatever `values` says.
    let sent: Vec<Value> =
        ops.iter().filter_map(|op| if let OpKind::Broadcast(v) = op.kind { Some(v) } else { None }).collect();
    assert_eq!(sent.iter().collect::<BTreeSet<_>>().len(), sent.len());
}

#[test]
fn the_quiet_period_heals_every_fault_as_recorded_faults() {
    let config = broadcast(3, 1, 200)
        .fault(50, Fault::Crash(NodeId(2)))
        .fault(60, Fault::Pause(NodeId(3)))
        .fault(70, Fault::Isolate(NodeId(1)))
        .seed(2)
        .build()
        .unwrap();
    let mut world = World::<Keeper>::new(config).unwrap();
    let healed = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = healed.clone();
    world.subscribe(move |e: &Event<'_>| {
        if let Event::Fault { tick, fault } = e {
            sink.borrow_mut().push((*tick, fault.to_string()));
        }
    });
    world.run().unwrap();
    let heals: Vec<String> = healed.borrow().iter().filter(|(t, _)| *t == 101).map(|(_, f)| f.clone()).collect();
    assert_eq!(heals, ["heal-all", "restart n2", "resume n3"], "at tick 200 - 100 + 1");
    for n in 1..=3 {
        assert_eq!(world.node_status(NodeId(n)), Some(NodeStatus::Up));
    }
}

#[test]
fn a_quiet_period_not_shorter_than_the_run_is_refused_naming_both() {
    let e = broadcast(3, 1, 50).build().unwrap_err().to_string();
    assert!(e.contains("quiet period (100 ticks)") && e.contains("the run (50 ticks)"), "{e}");
    let e = Config::builder().ticks(100).quiet(Some(100)).build().unwrap_err().to_string();
    assert!(e.contains("quiet period (100 ticks)"), "{e}");
    assert!(Config::builder().ticks(100).quiet(Some(99)).build().is_ok());
    assert!(Config::builder().workload(Workload::Kv).keys(0).build().unwrap_err().to_string().contains("keys"));
}

#[test]
fn kv_clients_address_every_key_and_offer_the_value_last_seen_to_compare_and_set() {
    let config =
        Config::builder().workload(Workload::Kv).keys(4).nodes(1).clients(3).ticks(600).seed(9).build().unwrap();
    let mut world = World::<Store>::new(config).unwrap();
    world.run().unwrap();
    let ops = &world.history().operations;
    let keys: BTreeSet<Key> = ops
        .iter()
        .filter_map(|op| match op.kind {
            OpKind::KvRead { key } | OpKind::KvWrite { key, .. } | OpKind::KvCas { key, .. } => Some(key),
            _ => None,
        })
        .collect();
    assert_eq!(keys, (1..=4).collect());
    let cas_ok =
        ops.iter().filter(|op| matches!(op.kind, OpKind::KvCas { .. }) && op.outcome == Outcome::Ok(None)).count();
    let cas_failed =
        ops.iter().filter(|op| matches!(op.kind, OpKind::KvCas { .. }) && op.outcome == Outcome::Failed).count();
    assert!(cas_ok > 0 && cas_failed > 0, "some swaps match, some do not: {cas_ok} ok, {cas_failed} failed");
    let verdict = world.history().check();
    assert!(verdict.is_linearizable(), "{verdict}");
}

#[test]
fn counters_add_what_their_workload_allows_and_ids_are_asked_for() {
    for (workload, negative) in [(Workload::Counter, false), (Workload::PnCounter, true)] {
        let config = Config::builder().workload(workload).clients(3).ticks(400).seed(4).build().unwrap();
        let deltas: Vec<i64> =
            client_ops(&config).iter().filter_map(|k| if let OpKind::Add(d) = k { Some(*d) } else { None }).collect();
        assert!(!deltas.is_empty());
        assert_eq!(deltas.iter().any(|&d| d < 0), negative, "{workload}: {deltas:?}");
    }
    let config = Config::builder().workload(Workload::UniqueIds).ticks(100).build().unwrap();
    assert!(client_ops(&config).iter().all(|k| matches!(k, OpKind::Generate { .. })));
}

/// The operations clients of `config` invoke, against a node that answers nothing.
fn client_ops(config: &Config) -> Vec<OpKind> {
    #[derive(Debug, Default)]
    struct Silent;
    #[node(workload(counter, pn_counter, unique_ids))]
    impl Silent {
        #[endpoint(CounterAddRequest)]
        async fn add(cx: AsyncCtx<Self>, _: CounterAddRequest) -> ClientWriteResponse {
            cx.sleep(1_000_000).await;
            ClientWriteResponse::unknown()
        }
        #[endpoint(CounterReadRequest)]
        fn read(&mut self, _: CounterReadRequest) -> CounterReadResponse {
            CounterReadResponse::ok(0)
        }
        #[endpoint(GenerateRequest)]
        fn generate(&mut self, _: GenerateRequest) -> GenerateResponse {
            GenerateResponse::fail()
        }
    }
    let mut world = World::<Silent>::new(config.clone()).unwrap();
    world.run().unwrap();
    world.history().operations.iter().map(|op| op.kind.clone()).collect()
}

#[test]
fn the_gateway_sends_every_copy_of_a_request_to_one_node_and_makes_one_operation_of_it() {
    // Every signal is delivered twice: client to gateway, gateway to node, and back.
    let config = Config::builder().nodes(3).clients(2).ticks(300).duplicate(1.0).seed(5).build().unwrap();
    let mut world = World::<Recorder>::new(config).unwrap();
    world.run().unwrap();
    let mut at: BTreeMap<RequestId, BTreeSet<u32>> = BTreeMap::new();
    let mut copies = 0;
    for n in 1..=3 {
        let node = world.node(NodeId(n)).unwrap();
        copies += node.seen.len();
        for id in &node.seen {
            at.entry(*id).or_default().insert(n);
        }
    }
    assert!(copies >= 2 * at.len(), "each request arrived at least twice");
    assert!(at.values().all(|nodes| nodes.len() == 1), "every copy of a request at one node: {at:?}");
    // A client's k-th operation is its request k: every copy of the request of an operation
    // that went to node n arrived at n alone, and no node saw a request no operation made.
    let ops = &world.history().operations;
    let mut seq = BTreeMap::new();
    let mut made = BTreeSet::new();
    for op in ops {
        let k = seq.entry(op.client).or_insert(0);
        *k += 1;
        let id = RequestId { client: op.client, seq: *k };
        made.insert(id);
        if let Some(n) = op.node {
            assert_eq!(at.get(&id), Some(&BTreeSet::from([n.0])), "{op:?}");
        }
    }
    assert!(at.keys().all(|id| made.contains(id)), "{at:?}");
    assert!(ops.iter().filter(|op| op.node.is_some()).count() > 40);
}
