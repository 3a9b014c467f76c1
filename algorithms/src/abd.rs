//! **ABD** (Attiya, Bar-Noy, Dolev, 1995), multi-writer version: an atomic register kept on
//! every node, where each operation talks to a majority.
//!
//! Each node stores a value with a **tag** `(version, writer)`. Tags are totally ordered
//! (version first, then the writer's id breaks ties), so two writers can never produce equal
//! tags for different values: that fixes
//! [`SingleClientVersionedMajority`](crate::SingleClientVersionedMajority)'s first flaw.
//!
//! Any node coordinates any operation, in two phases, each with a majority (this node and
//! enough peers):
//! - **Write**: (1) ask a majority for their tags; (2) store the value with tag
//!   `(highest version + 1, my id)` on a majority.
//! - **Read**: (1) ask a majority for their tagged values and take the highest; (2) **write it
//!   back** to a majority before answering. Without the write-back, a read could return a value
//!   that only a minority has, and a later read, hearing a different majority, the older one:
//!   see [`AbdNoWriteBack`](crate::broken::AbdNoWriteBack).
//!
//! Every phase retries on timeout, so a lost message only delays it.
//!
//! **Exactly once.** The network may deliver a client's write twice, and a second copy run as a
//! write of its own would store the value again with a higher tag, perhaps over a newer write.
//! So the coordinator keeps each client's latest write in a session table ([`Sessions`]) and
//! a copy answers what the first did. Reads need no such care: reading twice changes nothing.
//!
//! A replica's tagged value is **durable** (`#[node(durable(current, sessions))]`): it
//! survives a crash, as it was when the replica last acknowledged. Without that, a replica that
//! acknowledged a write and then crashed would come back empty, and the majority that "has"
//! the write might no longer have it. The session table is durable too, or a copy of a write
//! delivered after a restart would write again.
//!
//! - **Guarantee**: linearizable with any number of clients.
//! - **Fault model**: any delays, any loss, any minority of nodes cut off, crashed or paused
//!   (then only the operations the gateway sends to such a node time out). Operations complete
//!   while a majority can talk.

use dgame_engine::prelude::*;
use serde::Serialize;

/// The guarantee, in one line (for tools).
pub const GUARANTEE: &str = "linearizable with any number of clients";
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
pub struct Abd {
    /// This replica's tagged value (durable).
    pub current: Tagged,
    /// The latest write each client asked this node to coordinate, and its answer (durable).
    pub sessions: Sessions<ClientWriteResponse>,
}

impl Abd {
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
impl Abd {
    /// Read the newest value of a majority, make sure a majority has it, answer it.
    #[endpoint(ClientReadRequest)]
    async fn read(cx: AsyncCtx<Self>, _: ClientReadRequest) -> ClientReadResponse {
        let newest = Self::query(&cx).await;
        // The write-back: once we answer, any later read's majority meets one that has it.
        Self::propagate(&cx, newest).await;
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
