//! **SingleClientVersionedMajority**, the original's second sample, ported as it was.
//!
//! Every node stores a value with a version. A read asks the other nodes for theirs, waits for
//! half of them (rounded down), adds its own, and answers the value of the highest version.
//! A write asks the others for their versions the same way, takes the highest plus one, stores
//! the value locally, sends it to every other node and waits for as many acknowledgements as it
//! had version answers. With the node itself, each step hears from a majority, and any two
//! majorities share a node: that is why a read finds the latest write.
//!
//! - **Guarantee**: linearizable with **one client** and no loss.
//! - **Fault model**: none. Under loss an operation may wait forever (the gateway gives up).
//! - **Flaws** (kept on purpose): with several clients two concurrent writes can read the same
//!   highest version and pick the same new version for different values; nodes keep whichever
//!   came first, so reads disagree depending on which majority they hear. Reads also do not
//!   write back, so a read can see a write that a later read misses (see [`Abd`](crate::Abd)
//!   for the fix of both).

use dgame_engine::prelude::*;
use serde::Serialize;

/// The guarantee, in one line (for tools).
pub const GUARANTEE: &str = "linearizable with one client";
/// The fault model, in one line (for tools).
pub const FAULT_MODEL: &str = "no loss (a lost message can block an operation until the gateway gives up)";
/// The fault model as data: the kinds of fault [`FAULT_MODEL`] names as tolerated.
pub const FAULTS: FaultModel = FaultModel::DELAYS_ONLY;

/// A value with its version; version 0 is the empty register.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Versioned {
    /// The value (`None` until the first write).
    pub value: Option<Value>,
    /// Its version: one more than the highest the writer saw.
    pub version: u64,
}

/// Asks a node for its value and version.
#[derive(Debug, Clone, Message)]
#[reply(Versioned)]
pub struct GetVersioned;

/// Asks a node for its version only.
#[derive(Debug, Clone, Message)]
#[reply(u64)]
pub struct GetVersion;

/// Asks a node to store a versioned value.
#[derive(Debug, Clone, Message)]
#[reply(Ack)]
pub struct Store(Versioned);

/// The node.
#[derive(Debug, Default, Serialize)]
pub struct SingleClientVersionedMajority {
    /// What this node holds.
    pub current: Versioned,
}

#[node]
impl SingleClientVersionedMajority {
    /// Hear from half the others plus this node (a majority), answer the newest value.
    #[endpoint(ClientReadRequest)]
    async fn read(cx: AsyncCtx<Self>, _: ClientReadRequest) -> ClientReadResponse {
        let replies = cx.broadcast(GetVersioned).at_least(cx.peers().len() / 2).await;
        // `with` runs after the wait: our own value is read as it is now, not as it was.
        let newest = cx.with(|me| replies.iter().chain([&me.current]).max_by_key(|v| v.version).copied());
        ClientReadResponse::ok(newest.and_then(|v| v.value))
    }

    /// Hear the versions of a majority, pick the next one, store it on a majority.
    #[endpoint(ClientWriteRequest)]
    async fn write(cx: AsyncCtx<Self>, req: ClientWriteRequest) -> ClientWriteResponse {
        let versions = cx.broadcast(GetVersion).at_least(cx.peers().len() / 2).await;
        let heard = versions.len();
        // The flaw: another client's write may be doing exactly this at the same time, with
        // the same answers, and choose the same version.
        let stored = cx.with(|me| {
            let version = versions.iter().copied().chain([me.current.version]).max().unwrap_or(0) + 1;
            me.current = Versioned { value: Some(req.value), version };
            me.current
        });
        cx.broadcast(Store(stored)).at_least(heard).await;
        ClientWriteResponse::ok()
    }

    /// Our value and version.
    #[endpoint(GetVersioned)]
    fn get_versioned(&mut self, _: GetVersioned) -> Versioned {
        self.current
    }

    /// Our version.
    #[endpoint(GetVersion)]
    fn get_version(&mut self, _: GetVersion) -> u64 {
        self.current.version
    }

    /// Keep the newer of what we have and what we are sent (a late, older store is ignored).
    #[endpoint(Store)]
    fn store(&mut self, Store(v): Store) -> Ack {
        if v.version > self.current.version {
            self.current = v;
        }
        Ack
    }
}
