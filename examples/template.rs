//! A template for your own algorithm: copy this file (to `examples/mine.rs`, say), change the
//! node, and run it with `cargo run --release --example mine`: your node gets the whole `dgame`
//! command line (run, sweep with shrinking, replay, check, and the browser game).
//!
//! The node below is a working start: a majority register *without* the fixes of ABD. Every
//! node keeps a versioned value; a read asks a majority for theirs and takes the newest; a
//! write asks a majority for their versions and stores one above them on a majority. With
//! several clients it is not linearizable: run it and read why, then fix it (see
//! `algorithms/src/abd.rs` for one answer).

use distributed_game::cli::{Algorithm, builtin, main_with};
use distributed_game::prelude::*;

// ---------------------------------------------------------------------------------------------
// 1. Messages between your nodes. Each is a plain type with `#[derive(Debug, Clone, Message)]`;
//    `#[reply(T)]` says what its handler answers (no `#[reply]`: fire and forget).
// ---------------------------------------------------------------------------------------------

/// A value with its version (version 0: never written).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
struct Versioned {
    value: Option<Value>,
    version: u64,
}

/// "What do you have?"
#[derive(Debug, Clone, Message)]
#[reply(Versioned)]
struct Get;

/// "Keep this if it is newer."
#[derive(Debug, Clone, Message)]
#[reply(Ack)]
struct Store(Versioned);

// ---------------------------------------------------------------------------------------------
// 2. The node's state: a struct. `Default` makes `World::new` able to build it. Deriving
//    `serde::Serialize` lets the browser game draw it as a tree (without it, it shows `Debug`).
//    A crash loses it all but the fields named in `#[node(durable(...))]` below.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, serde::Serialize)]
struct MyNode {
    current: Versioned,
}

/// Optional: a few characters the browser game shows beside the node.
impl Badge for MyNode {
    fn badge(&self) -> Option<String> {
        Some(format!("v{}", self.current.version))
    }
}

// ---------------------------------------------------------------------------------------------
// 3. The handlers. `#[node]` on the impl; `#[endpoint(Message)]` on each handler, and the two
//    client endpoints are required. Two shapes:
//    - sync:  `fn name(&mut self, msg: M) -> Reply` (add `ctx: &mut Ctx<Self>` after `&mut self`
//      to send messages, know the time, draw random numbers). Runs to the end at once.
//    - async: `async fn name(cx: AsyncCtx<Self>, msg: M) -> Reply`. Can wait: `cx.call(node, msg)`,
//      `cx.broadcast(msg)` (then `.majority()`, `.at_least(k)`, `.any()`, `.matching(..)`;
//      `.timeout(ticks)` to get an error when time runs out, `.within(ticks)` to take what came),
//      `cx.sleep(ticks)`, `cx.until(|me| condition)`. Reach the state with `cx.with(|me| ...)`:
//      between two waits, other handlers run and may change it.
//    `#[timer(interval = N)]` runs a method every N ticks of the node's clock; `#[init]` runs
//    one in the node's first turn and after each restart.
//    `#[node(durable(current))]`: `current` survives a crash (change it in place, as any field).
//    Answer a client `fail()` only when the operation certainly did not take effect; when in
//    doubt, let it time out. The network may deliver a request twice: every request carries
//    `req.id` (client and sequence number), and `Sessions` answers each once (see part 4).
// ---------------------------------------------------------------------------------------------

#[node(durable(current))]
impl MyNode {
    #[endpoint(ClientReadRequest)]
    async fn read(cx: AsyncCtx<Self>, _: ClientReadRequest) -> ClientReadResponse {
        // Enough peers that, with this node, they are a majority.
        let replies = cx.broadcast(Get).majority().await;
        let newest = cx.with(|me| replies.iter().copied().chain([me.current]).max_by_key(|v| v.version));
        // TODO: ABD writes `newest` back to a majority here, before answering. Why?
        ClientReadResponse::ok(newest.and_then(|v| v.value))
    }

    #[endpoint(ClientWriteRequest)]
    async fn write(cx: AsyncCtx<Self>, req: ClientWriteRequest) -> ClientWriteResponse {
        let replies = cx.broadcast(Get).majority().await;
        // TODO: two writers can pick the same version here. How does ABD break the tie?
        let stored = cx.with(|me| {
            let version = replies.iter().map(|v| v.version).chain([me.current.version]).max().unwrap_or(0) + 1;
            me.current = Versioned { value: Some(req.value), version };
            me.current
        });
        cx.broadcast(Store(stored)).majority().await;
        ClientWriteResponse::ok()
    }

    #[endpoint(Get)]
    fn get(&mut self, _: Get) -> Versioned {
        self.current
    }

    #[endpoint(Store)]
    fn store(&mut self, Store(v): Store) -> Ack {
        if v.version > self.current.version {
            self.current = v;
        }
        Ack
    }

    // A timer, to show the shape; this one only looks at the clock.
    #[timer(interval = 10)]
    fn every_ten_ticks(&mut self, ctx: &mut Ctx<Self>) {
        let _ = ctx.local_time();
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Another workload. A node serves the register unless `#[node(workload(...))]` names others:
//    `kv` (KvReadRequest, KvWriteRequest, KvCasRequest), `broadcast` (BroadcastRequest,
//    BroadcastReadRequest), `counter` and `pn_counter` (CounterAddRequest, CounterReadRequest),
//    `unique_ids` (GenerateRequest). Leaving out one of its endpoints is a compile error that
//    names it. Run it with `--workload counter`; `dgame list` shows what each algorithm serves.
//    This counter counts only the adds its own node got: the final reads after the quiet
//    period disagree, and the checker says which read lacks what. Make the nodes share their
//    counts (see `algorithms/src/g_counter.rs` for one answer).
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, serde::Serialize)]
struct MyCounter {
    total: i64,
    /// Each client's latest add, so that a copy of one is not counted twice.
    sessions: Sessions<ClientWriteResponse>,
}

#[node(workload(counter))]
impl MyCounter {
    #[endpoint(CounterAddRequest)]
    fn add(&mut self, req: CounterAddRequest) -> ClientWriteResponse {
        match self.sessions.begin(req.id) {
            Seen::New => {}
            Seen::Answered(answer) => return answer,
            Seen::Running | Seen::Stale => return ClientWriteResponse::unknown(),
        }
        self.total += req.delta;
        // TODO: tell the other nodes.
        self.sessions.finish(req.id, ClientWriteResponse::ok());
        ClientWriteResponse::ok()
    }

    #[endpoint(CounterReadRequest)]
    fn read(&mut self, _: CounterReadRequest) -> CounterReadResponse {
        CounterReadResponse::ok(self.total)
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Run it and check it, with the whole `dgame` command line for your node:
//      cargo run --release --example template                       one run: report and verdict
//      cargo run --release --example template -- sweep --seeds 0..1000   many seeds, shrunk failure
//      cargo run --release --example template -- run --seed 7 --loss 0.05 --nemesis crash
//      cargo run --release --example template -- run -a mine-counter --workload counter
//      cargo run --release --example template -- --help             everything else
//    One seed decides every random choice, so a failing seed replays exactly. (To drive a
//    world from Rust instead: `World::<MyNode>::new(config)?.run()?.check()`.)
// ---------------------------------------------------------------------------------------------

fn main() -> std::process::ExitCode {
    // The first algorithm is the default one; the built-in ones stay available to compare.
    let mut algorithms = vec![
        Algorithm::new::<MyNode>("mine", "a majority register without ABD's fixes"),
        Algorithm::new::<MyCounter>("mine-counter", "a counter that keeps its adds to itself"),
    ];
    algorithms.extend(builtin());
    main_with(algorithms)
}
