//! The engine's speed on the standard scenario: 5 nodes running a two-phase quorum algorithm
//! (the sketch of ARCHITECTURE.md), 3 clients, delays uniform in 1..=3. Throughput is
//! delivered messages per second; the 1,000-node case shows that the cost per message does
//! not grow with the size of the world.
//!
//! `cargo bench -p dgame-engine --bench engine`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dgame_engine::prelude::*;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
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

#[derive(Debug, Default)]
struct VersionedMajority {
    current: Versioned,
}

#[node]
impl VersionedMajority {
    #[endpoint(ClientReadRequest)]
    async fn read(cx: AsyncCtx<Self>, _: ClientReadRequest) -> ClientReadResponse {
        let replies = cx.broadcast(GetVersioned).at_least(cx.peers().len() / 2).await;
        let newest = cx.with(|me| replies.iter().chain([&me.current]).max_by_key(|v| v.version).copied());
        ClientReadResponse::ok(newest.and_then(|v| v.value))
    }

    #[endpoint(ClientWriteRequest)]
    async fn write(cx: AsyncCtx<Self>, req: ClientWriteRequest) -> ClientWriteResponse {
        let versions = cx.broadcast(GetVersioned).at_least(cx.peers().len() / 2).await;
        let next = cx.with(|me| {
            let top = versions.iter().map(|v| v.version).chain([me.current.version]).max();
            me.current = Versioned { value: Some(req.value), version: top.unwrap_or(0) + 1 };
            me.current
        });
        cx.broadcast(Store(next)).at_least(versions.len()).await;
        ClientWriteResponse::ok()
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

fn run(nodes: u32, ticks: u64) -> u64 {
    let config = Config::builder().nodes(nodes).clients(3).ticks(ticks).seed(1).build().unwrap();
    let mut world = World::<VersionedMajority>::new(config).unwrap();
    world.run().unwrap();
    world.stats().delivered
}

fn engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("delivered messages");
    group.sample_size(20);
    for (nodes, ticks) in [(5, 20_000), (1_000, 400)] {
        let delivered = run(nodes, ticks);
        group.throughput(Throughput::Elements(delivered));
        group.bench_with_input(BenchmarkId::new("nodes", nodes), &(nodes, ticks), |b, &(n, t)| b.iter(|| run(n, t)));
    }
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
