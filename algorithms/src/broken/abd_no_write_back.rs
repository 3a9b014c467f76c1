//! **AbdNoWriteBack**: [`Abd`](crate::Abd) whose reads skip the write-back. *Broken on
//! purpose*: find the bug with the checker.
//!
//! - **The bug, in one line**: a read answers the newest value it heard without first storing
//!   it on a majority, so a later read can miss a value an earlier read already returned.
//! - **How it shows**: a write is half done (its value is on one node of five). Read A hears
//!   that node and returns the new value; read B, starting after A ended, hears a majority
//!   without it and returns the old value: new, then old. Not linearizable.
//! - **Guarantee**: none with several clients: reads can go back in time (with one client it
//!   is [`Abd`](crate::Abd)'s).
//! - **Fault model**: [`Abd`](crate::Abd)'s, word for word.
//!
//! This file is `abd.rs` with the type renamed, its `GUARANTEE`, and the write-back of `read`
//! (two lines) replaced by the `BUG` comment; `algorithms/tests/broken_diffs.rs` checks that
//! nothing else differs.

use dgame_engine::prelude::*;
use serde::Serialize;

/// The guarantee, in one line (for tools).
pub const GUARANTEE: &str = "none with several clients (reads can go back in time)";
/// The fault model, in one line (for tools).
pub const FAULT_MODEL: &str = "any delays, loss, partitions, crashes and pauses; live while a majority can talk";
/// The fault model as data: the kinds of fault [`FAULT_MODEL`] names as tolerated.
pub const FAULTS: FaultModel =
    FaultModel::new(&[FaultKind::Loss, FaultKind::Partition, FaultKind::Crash, FaultKind::Pause]);

/// How long a copy of a write waits for the first copy's answer before saying "unknown" (the
/// first may have been lost in a crash, or the client have moved on; the gateway gives up
/// after 40 ticks anyway).
const COPY_WAIT: Tick = 100;

/// How long a phase waits for a majority before asking again (a round trip takes at most
/// 2 x 3 ticks of delay plus 2 ticks of handling).
const RETRY: Tick = 10;

/// A write's identity and place in the order: compared by version, then writer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Tag {
    /// One more than the highest version the writer saw.
    pub version: u64,
    /// The node that coordinated the write: breaks ties between concurrent writers.
    pub writer: u32,
}

/// A value with its tag; the default (tag `(0, 0)`, no value) is the empty register.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tagged {
    /// Its tag.
    pub tag: Tag,
    /// The value (`None`: never written).
    pub value: Option<Value>,
}

/// Phase 1: what is your tagged value?
#[derive(Debug, Clone, Message)]
#[reply(Tagged)]
pub struct Query;

/// Phase 2: keep this tagged value if it is newer than yours.
#[derive(Debug, Clone, Message)]
#[reply(Ack)]
pub struct Propagate(Tagged);

/// A node: one replica of the register.
#[derive(Debug, Default, Serialize)]
pub struct AbdNoWriteBack {
    /// This replica's tagged value (durable).
    pub current: Tagged,
    /// The latest write each client asked this node to coordinate, and its answer (durable).
    pub sessions: Sessions<ClientWriteResponse>,
}

impl AbdNoWriteBack {
    /// Keeps `t` if it is newer than what we have.
    fn adopt(&mut self, t: Tagged) {
        if t.tag > self.current.tag {
            self.current = t;
        }
    }

    /// Phase 1: the highest tagged value of a majority (this node included).
    async fn query(cx: &AsyncCtx<Self>) -> Tagged {
        loop {
            if let Ok(replies) = cx.broadcast(Query).majority().timeout(RETRY).await {
                return cx
                    .with(|me| replies.iter().copied().chain([me.current]).max_by_key(|t| t.tag).unwrap_or_default());
            }
            // Too few answers in time (lost messages, a cut): ask everyone again.
        }
    }

    /// Phase 2: `t` is stored on a majority (this node included) when this returns.
    async fn propagate(cx: &AsyncCtx<Self>, t: Tagged) {
        cx.with(|me| me.adopt(t));
        while cx.broadcast(Propagate(t)).majority().timeout(RETRY).await.is_err() {}
    }
}

#[node(durable(current, sessions))]
impl AbdNoWriteBack {
    /// Read the newest value of a majority, make sure a majority has it, answer it.
    #[endpoint(ClientReadRequest)]
    async fn read(cx: AsyncCtx<Self>, _: ClientReadRequest) -> ClientReadResponse {
        let newest = Self::query(&cx).await;
        // BUG: no write-back. (`Abd` writes `newest` back to a majority here, before answering.)
        ClientReadResponse::ok(newest.value)
    }

    /// Learn the highest version of a majority, store the value above it on a majority.
    #[endpoint(ClientWriteRequest)]
    async fn write(cx: AsyncCtx<Self>, req: ClientWriteRequest) -> ClientWriteResponse {
        match cx.with(|me| me.sessions.begin(req.id)) {
            Seen::New => {}
            // A copy: answer when the first copy is done (if it ever is: it may have been lost
            // in a crash, and then the gateway gives up).
            Seen::Running => {
                let _ = cx.until(|me| me.sessions.answer(req.id).is_some()).timeout(COPY_WAIT).await;
                return cx.with(|me| me.sessions.answer(req.id)).unwrap_or_else(ClientWriteResponse::unknown);
            }
            Seen::Answered(answer) => return answer,
            Seen::Stale => return ClientWriteResponse::unknown(),
        }
        let highest = Self::query(&cx).await;
        let tag = Tag { version: highest.tag.version + 1, writer: cx.id().0 };
        Self::propagate(&cx, Tagged { tag, value: Some(req.value) }).await;
        cx.with(|me| me.sessions.finish(req.id, ClientWriteResponse::ok()));
        ClientWriteResponse::ok()
    }

    /// Phase 1 at a replica.
    #[endpoint(Query)]
    fn query_endpoint(&mut self, _: Query) -> Tagged {
        self.current
    }

    /// Phase 2 at a replica.
    #[endpoint(Propagate)]
    fn propagate_endpoint(&mut self, Propagate(t): Propagate) -> Ack {
        self.adopt(t);
        Ack
    }
}
