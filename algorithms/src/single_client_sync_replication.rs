//! **SingleClientSyncReplication**, the original's first sample, ported as it was.
//!
//! A write stores the value on the node that received it, sends it to every other node, and
//! answers once all of them acknowledged. A read answers with the local value.
//!
//! - **Guarantee**: linearizable with **one client** and no loss: the client's next operation
//!   starts only after its write reached every node, so any node it asks has that write.
//! - **Fault model**: none. Under loss a write waits for an acknowledgement that never comes
//!   (the gateway gives up and the write is unknown, which is still honest).
//! - **Flaw** (the point of the name): with two clients, two writes race. Node 1 takes 7 and
//!   node 2 takes 8; each then applies the other's value last, so node 1 ends with 8 and node 2
//!   with 7 forever, and reads that alternate between them see 8, 7, 8...

use dgame_engine::prelude::*;
use serde::Serialize;

/// The guarantee, in one line (for tools).
pub const GUARANTEE: &str = "linearizable with one client";
/// The fault model, in one line (for tools).
pub const FAULT_MODEL: &str = "no loss (a lost message blocks a write until the gateway gives up)";
/// The fault model as data: the kinds of fault [`FAULT_MODEL`] names as tolerated.
pub const FAULTS: FaultModel = FaultModel::DELAYS_ONLY;

/// A node's copy of a write, sent to every other node.
#[derive(Debug, Clone, Message)]
#[reply(Ack)]
pub struct Replicate(Value);

/// The node: one value, no versions.
#[derive(Debug, Default, Serialize)]
pub struct SingleClientSyncReplication {
    /// The register's value here (`None` until the first write).
    pub value: Option<Value>,
}

#[node]
impl SingleClientSyncReplication {
    /// Reads are local: whatever this node has.
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.value)
    }

    /// Store locally, copy to everyone, wait for every acknowledgement.
    #[endpoint(ClientWriteRequest)]
    async fn write(cx: AsyncCtx<Self>, req: ClientWriteRequest) -> ClientWriteResponse {
        cx.with(|me| me.value = Some(req.value));
        // `.all()` is the default: wait for every peer. One lost message and this never ends.
        cx.broadcast(Replicate(req.value)).all().await;
        ClientWriteResponse::ok()
    }

    /// Another node's write: overwrite blindly (there is nothing to compare).
    #[endpoint(Replicate)]
    fn replicate(&mut self, Replicate(value): Replicate) -> Ack {
        self.value = Some(value);
        Ack
    }
}
