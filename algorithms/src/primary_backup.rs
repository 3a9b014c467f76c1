//! **PrimaryBackup**: node 1 is the primary and serves every request; the other nodes are
//! backups that hold a copy.
//!
//! Node 1 tells the gateway it is the leader (and repeats it, in case the message is lost), so
//! the gateway sends it every client request. A write is applied at the primary, numbered, and
//! copied to every backup; the primary answers once every backup has it, retrying the ones that
//! did not answer. Reads are answered by the primary alone. The network may deliver a client's
//! write twice: the primary keeps each client's latest write in a session table
//! ([`Sessions`]), so a copy is not applied again (by then a later write may have replaced it)
//! but answered as the first was. A backup that gets a client request
//! (before the gateway heard of the primary) refuses it: it did nothing, so `fail` is honest.
//!
//! - **Guarantee**: linearizable with any number of clients: one node orders everything, and a
//!   read sees every write the primary has applied.
//! - **Fault model**: any delays and loss; partitions cost availability, never safety, and
//!   there are no crashes or pauses. There is no failover: when the primary is cut off the
//!   register is unavailable (every request times out), and while a backup is cut off writes
//!   block (they time out, their outcome unknown); it never answers a wrong value.
//!
//! Why wait for the backups at all, if only the primary answers? So that every acknowledged
//! write survives on every node: a failover (which this sample leaves out) could then promote
//! any backup. Doing that safely is what [`Raft`](crate::Raft) is about.

use dgame_engine::prelude::*;
use serde::Serialize;

/// The guarantee, in one line (for tools).
pub const GUARANTEE: &str = "linearizable with any number of clients";
/// The fault model, in one line (for tools).
pub const FAULT_MODEL: &str =
    "delays, loss and partitions; unavailable (never wrong) while the primary or a backup is cut off";
/// The fault model as data: the kinds of fault [`FAULT_MODEL`] names as tolerated.
pub const FAULTS: FaultModel = FaultModel::new(&[FaultKind::Loss, FaultKind::Partition]);

/// The primary: always node 1.
pub const PRIMARY: NodeId = NodeId(1);

/// How long a copy of a write waits for the first copy's answer before saying "unknown" (the
/// first may have been lost in a crash, or the client have moved on; the gateway gives up
/// after 40 ticks anyway).
const COPY_WAIT: Tick = 100;

/// How long the primary waits for the backups before sending again to those that did not
/// answer (a round trip takes at most 2 x 3 ticks of delay plus 2 ticks of handling).
const RETRY: Tick = 10;

/// How often the primary repeats its announcement to the gateway.
const ANNOUNCE_EVERY: u64 = 10;

/// The primary's `seq`th write, for a backup to apply.
#[derive(Debug, Clone, Copy, Message)]
#[reply(Ack)]
pub struct Update {
    seq: u64,
    value: Value,
}

/// A node: the primary or a backup.
#[derive(Debug, Default, Serialize)]
pub struct PrimaryBackup {
    /// The register's value here.
    pub value: Option<Value>,
    /// How many writes this node has applied (the number of the last one).
    pub seq: u64,
    /// The primary: each client's latest write and its answer.
    pub sessions: Sessions<ClientWriteResponse>,
}

#[node]
impl PrimaryBackup {
    /// Reads are answered by the primary from its own copy.
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, ctx: &mut Ctx<Self>, _: ClientReadRequest) -> ClientReadResponse {
        if ctx.id() == PRIMARY { ClientReadResponse::ok(self.value) } else { ClientReadResponse::fail() }
    }

    /// The primary applies the write, then waits until every backup has it.
    #[endpoint(ClientWriteRequest)]
    async fn write(cx: AsyncCtx<Self>, req: ClientWriteRequest) -> ClientWriteResponse {
        if cx.id() != PRIMARY {
            return ClientWriteResponse::fail();
        }
        match cx.with(|me| me.sessions.begin(req.id)) {
            Seen::New => {}
            // A copy: answer when the first copy is done.
            Seen::Running => {
                let _ = cx.until(|me| me.sessions.answer(req.id).is_some()).timeout(COPY_WAIT).await;
                return cx.with(|me| me.sessions.answer(req.id)).unwrap_or_else(ClientWriteResponse::unknown);
            }
            Seen::Answered(answer) => return answer,
            Seen::Stale => return ClientWriteResponse::unknown(),
        }
        // Applied at once: from here on reads see it. That is linearizable, since the write
        // is in progress (it takes effect now, before it is acknowledged).
        let update = cx.with(|me| {
            me.seq += 1;
            me.value = Some(req.value);
            Update { seq: me.seq, value: req.value }
        });
        let mut missing: Vec<NodeId> = cx.peers().to_vec();
        while !missing.is_empty() {
            let replies = cx.call_each(missing.iter().map(|&b| (b, update))).within(RETRY).await;
            let acked: Vec<NodeId> = replies.senders().collect();
            missing.retain(|b| !acked.contains(b));
        }
        cx.with(|me| me.sessions.finish(req.id, ClientWriteResponse::ok()));
        ClientWriteResponse::ok()
    }

    /// A backup applies the primary's writes in order; a late copy of an older one is ignored.
    #[endpoint(Update)]
    fn update(&mut self, u: Update) -> Ack {
        if u.seq > self.seq {
            self.seq = u.seq;
            self.value = Some(u.value);
        }
        Ack
    }

    /// The primary announces itself at its first tick and every few ticks after.
    #[timer(interval = 1)]
    fn announce(&mut self, ctx: &mut Ctx<Self>) {
        if ctx.id() == PRIMARY && ctx.local_time() % ANNOUNCE_EVERY == 1 {
            ctx.notify_leadership();
        }
    }
}
