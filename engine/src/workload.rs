//! Workloads: what the clients ask of the system, and how the answers are judged.
//!
//! A workload is a client protocol (its request and reply types, below and in
//! [`message`](crate::message)), the operations the clients generate with it (in the engine's
//! client), and a checker for the history they record ([`History::check`](crate::History::check)).
//! A node says which workloads it serves with `#[node(workload(kv))]` (the default is the
//! register), and a node that lacks an endpoint a workload needs does not compile.
//!
//! | workload | requests | checked |
//! |---|---|---|
//! | `register` | [`ClientReadRequest`], [`ClientWriteRequest`] | linearizable |
//! | `kv` | [`KvReadRequest`], [`KvWriteRequest`], [`KvCasRequest`] | linearizable, key by key |
//! | `broadcast` | [`BroadcastRequest`], [`BroadcastReadRequest`] | every acknowledged value in every final read; no value never sent |
//! | `counter` | [`CounterAddRequest`] (adds >= 0), [`CounterReadRequest`] | final reads equal the acknowledged adds, within the unknown ones |
//! | `pn-counter` | the same, adds of either sign | the same |
//! | `unique-ids` | [`GenerateRequest`] | no id handed out twice |
//!
//! Every request carries a [`RequestId`]: a node can tell a copy of a request (the network
//! may deliver a signal twice) from a new one, and answer each request once ([`Sessions`]).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::{ClientId, RequestId, Value};
use crate::message::{ClientReadRequest, ClientReadResponse, ClientWriteRequest, ClientWriteResponse, Payload, Status};

/// The key of a register of the key-value store.
pub type Key = u64;

/// What the clients of a run ask for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// One register: read and write (the original's workload).
    #[default]
    Register,
    /// Registers under several keys: read, write and compare-and-set.
    Kv,
    /// Clients send values to any node and read a node's set of values.
    Broadcast,
    /// A grow-only counter: add (zero or more) and read.
    Counter,
    /// A counter with adds of either sign.
    PnCounter,
    /// Hand out ids no one else gets.
    UniqueIds,
}

impl Workload {
    /// Every workload, in the order `dgame list` shows them.
    pub const ALL: [Workload; 6] = [
        Workload::Register,
        Workload::Kv,
        Workload::Broadcast,
        Workload::Counter,
        Workload::PnCounter,
        Workload::UniqueIds,
    ];

    /// Its name on the command line: `register`, `kv`, `broadcast`, `counter`, `pn-counter`,
    /// `unique-ids`.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Register => "register",
            Workload::Kv => "kv",
            Workload::Broadcast => "broadcast",
            Workload::Counter => "counter",
            Workload::PnCounter => "pn-counter",
            Workload::UniqueIds => "unique-ids",
        }
    }

    /// What is checked, in a few words.
    pub fn checked(self) -> &'static str {
        match self {
            Workload::Register => "linearizable",
            Workload::Kv => "linearizable, key by key",
            Workload::Broadcast => "every acknowledged value is in every final read, no read holds a value never sent",
            Workload::Counter | Workload::PnCounter => {
                "final reads equal the sum of acknowledged adds, within the adds of unknown outcome"
            }
            Workload::UniqueIds => "no id is handed out twice",
        }
    }

    /// [`checked`](Workload::checked) for a workload's name (empty for a name that is none).
    pub fn checked_of(name: &str) -> &'static str {
        name.parse::<Workload>().map_or("", Workload::checked)
    }

    /// The request types a node must have endpoints for.
    pub fn requests(self) -> &'static [&'static str] {
        match self {
            Workload::Register => &["ClientReadRequest", "ClientWriteRequest"],
            Workload::Kv => &["KvReadRequest", "KvWriteRequest", "KvCasRequest"],
            Workload::Broadcast => &["BroadcastRequest", "BroadcastReadRequest"],
            Workload::Counter | Workload::PnCounter => &["CounterAddRequest", "CounterReadRequest"],
            Workload::UniqueIds => &["GenerateRequest"],
        }
    }

    /// Whether the run ends with final reads after a quiet period (the workloads that are
    /// checked for convergence rather than linearizability).
    pub fn has_final_reads(self) -> bool {
        matches!(self, Workload::Broadcast | Workload::Counter | Workload::PnCounter)
    }

    /// The quiet period when none is configured: long enough for values to spread over a few
    /// rounds of gossip, and for the final reads to come back (a lost one is read again: with
    /// the default delays a round trip takes at most 16 ticks).
    pub const DEFAULT_QUIET: u64 = 100;
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A workload name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown workload `{0}`: the workloads are register, kv, broadcast, counter, pn-counter and unique-ids")]
pub struct UnknownWorkload(pub String);

impl FromStr for Workload {
    type Err = UnknownWorkload;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().replace('_', "-").to_ascii_lowercase();
        Workload::ALL.into_iter().find(|w| w.name() == wanted).ok_or_else(|| UnknownWorkload(s.to_owned()))
    }
}

// ---- kv ----------------------------------------------------------------------------------

/// Read the register under `key`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, dgame_macros::Message)]
#[reply(ClientReadResponse)]
pub struct KvReadRequest {
    /// Which request.
    pub id: RequestId,
    /// Which register.
    pub key: Key,
}

/// Write `value` under `key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, dgame_macros::Message)]
#[reply(ClientWriteResponse)]
pub struct KvWriteRequest {
    /// Which request.
    pub id: RequestId,
    /// Which register.
    pub key: Key,
    /// The value to write.
    pub value: Value,
}

/// Compare-and-set: if `key` holds `from`, store `to`. Answer
/// [`ClientWriteResponse::fail`] when it does not hold `from` (nothing changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, dgame_macros::Message)]
#[reply(ClientWriteResponse)]
pub struct KvCasRequest {
    /// Which request.
    pub id: RequestId,
    /// Which register.
    pub key: Key,
    /// The value the register must hold.
    pub from: Value,
    /// The value stored when it does.
    pub to: Value,
}

// ---- broadcast ---------------------------------------------------------------------------

/// Add `value` to the set every node should end up with. Answer
/// [`ClientWriteResponse::ok`] once the node has it (and will spread it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, dgame_macros::Message)]
#[reply(ClientWriteResponse)]
pub struct BroadcastRequest {
    /// Which request.
    pub id: RequestId,
    /// The value.
    pub value: Value,
}

/// Which values has this node got?
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, dgame_macros::Message)]
#[reply(BroadcastReadResponse)]
pub struct BroadcastReadRequest {
    /// Which request.
    pub id: RequestId,
}

/// The answer to a [`BroadcastReadRequest`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BroadcastReadResponse {
    /// Whether the read happened.
    pub status: Status,
    /// The values the node has, in any order.
    pub values: Vec<Value>,
}

impl BroadcastReadResponse {
    /// The node has these values.
    pub fn ok(values: impl IntoIterator<Item = Value>) -> Self {
        BroadcastReadResponse { status: Status::Success, values: values.into_iter().collect() }
    }
    /// The read was refused.
    pub fn fail() -> Self {
        BroadcastReadResponse { status: Status::Fail, values: Vec::new() }
    }
    /// Nobody knows (the gateway gave up).
    pub fn unknown() -> Self {
        BroadcastReadResponse { status: Status::Unknown, values: Vec::new() }
    }
}

// ---- counters ----------------------------------------------------------------------------

/// Add `delta` to the counter (never negative in the `counter` workload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, dgame_macros::Message)]
#[reply(ClientWriteResponse)]
pub struct CounterAddRequest {
    /// Which request.
    pub id: RequestId,
    /// How much.
    pub delta: i64,
}

/// What does the counter say here?
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, dgame_macros::Message)]
#[reply(CounterReadResponse)]
pub struct CounterReadRequest {
    /// Which request.
    pub id: RequestId,
}

/// The answer to a [`CounterReadRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CounterReadResponse {
    /// Whether the read happened.
    pub status: Status,
    /// The counter's value.
    pub value: i64,
}

impl CounterReadResponse {
    /// The counter reads `value`.
    pub fn ok(value: i64) -> Self {
        CounterReadResponse { status: Status::Success, value }
    }
    /// The read was refused.
    pub fn fail() -> Self {
        CounterReadResponse { status: Status::Fail, value: 0 }
    }
    /// Nobody knows (the gateway gave up).
    pub fn unknown() -> Self {
        CounterReadResponse { status: Status::Unknown, value: 0 }
    }
}

// ---- unique ids --------------------------------------------------------------------------

/// Hand me an id nobody else ever gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, dgame_macros::Message)]
#[reply(GenerateResponse)]
pub struct GenerateRequest {
    /// Which request.
    pub id: RequestId,
}

/// The answer to a [`GenerateRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct GenerateResponse {
    /// Whether an id was handed out.
    pub status: Status,
    /// The id.
    pub unique_id: u64,
}

impl GenerateResponse {
    /// Here is `unique_id`.
    pub fn ok(unique_id: u64) -> Self {
        GenerateResponse { status: Status::Success, unique_id }
    }
    /// No id was handed out.
    pub fn fail() -> Self {
        GenerateResponse { status: Status::Fail, unique_id: 0 }
    }
    /// Nobody knows (the gateway gave up).
    pub fn unknown() -> Self {
        GenerateResponse { status: Status::Unknown, unique_id: 0 }
    }
}

// ---- what the gateway needs to know of a request -------------------------------------------

/// A client request as the gateway sees it: whose it is, and what to answer when no node does.
pub(crate) struct RequestInfo {
    pub id: RequestId,
    pub unknown: fn() -> Box<dyn Payload>,
}

/// The request id of a client request of any workload, and its "unknown" answer; `None` for
/// anything else.
pub(crate) fn request_info(payload: &dyn Payload) -> Option<RequestInfo> {
    let any = payload.as_any();
    fn unknown_read() -> Box<dyn Payload> {
        Box::new(ClientReadResponse::unknown())
    }
    fn unknown_write() -> Box<dyn Payload> {
        Box::new(ClientWriteResponse::unknown())
    }
    // The register's requests first: they are the common case.
    let (id, unknown): (RequestId, fn() -> Box<dyn Payload>) = if let Some(r) = any.downcast_ref::<ClientWriteRequest>()
    {
        (r.id, unknown_write)
    } else if let Some(r) = any.downcast_ref::<ClientReadRequest>() {
        (r.id, unknown_read)
    } else if let Some(r) = any.downcast_ref::<KvReadRequest>() {
        (r.id, unknown_read)
    } else if let Some(r) = any.downcast_ref::<KvWriteRequest>() {
        (r.id, unknown_write)
    } else if let Some(r) = any.downcast_ref::<KvCasRequest>() {
        (r.id, unknown_write)
    } else if let Some(r) = any.downcast_ref::<BroadcastRequest>() {
        (r.id, unknown_write)
    } else if let Some(r) = any.downcast_ref::<BroadcastReadRequest>() {
        (r.id, || Box::new(BroadcastReadResponse::unknown()))
    } else if let Some(r) = any.downcast_ref::<CounterAddRequest>() {
        (r.id, unknown_write)
    } else if let Some(r) = any.downcast_ref::<CounterReadRequest>() {
        (r.id, || Box::new(CounterReadResponse::unknown()))
    } else if let Some(r) = any.downcast_ref::<GenerateRequest>() {
        (r.id, || Box::new(GenerateResponse::unknown()))
    } else {
        return None;
    };
    Some(RequestInfo { id, unknown })
}

// ---- exactly once ------------------------------------------------------------------------

/// What [`Sessions::begin`] found out about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen<R> {
    /// A new request: serve it (it is now recorded as running), then call
    /// [`Sessions::finish`].
    New,
    /// A copy of the request being served: its answer comes when that one finishes.
    Running,
    /// A copy of a request already answered, with that answer: give it again.
    Answered(R),
    /// A copy of a request older than the client's latest: the client has moved on and nobody
    /// waits for the answer. Serving it again would do it twice.
    Stale,
}

/// Exactly-once bookkeeping, as in the Raft thesis (section 6.3): for each client, its latest
/// request and, once it is served, the answer. A client sends one request at a time, so the
/// latest is all there is to remember.
///
/// ```
/// use dgame_engine::{RequestId, ClientId, Seen, Sessions};
///
/// let mut sessions: Sessions<u64> = Sessions::default();
/// let id = RequestId { client: ClientId(1), seq: 1 };
/// assert_eq!(sessions.begin(id), Seen::New);
/// assert_eq!(sessions.begin(id), Seen::Running); // a copy, while the first is served
/// sessions.finish(id, 7);
/// assert_eq!(sessions.begin(id), Seen::Answered(7)); // a copy, later
/// assert_eq!(sessions.begin(RequestId { seq: 2, ..id }), Seen::New);
/// assert_eq!(sessions.begin(id), Seen::Stale); // a very late copy
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(bound(serialize = "R: Serialize"))]
pub struct Sessions<R> {
    /// Per client: the latest request's sequence number and its answer (`None`: running).
    latest: BTreeMap<ClientId, (u64, Option<R>)>,
}

impl<R> Default for Sessions<R> {
    fn default() -> Self {
        Sessions { latest: BTreeMap::new() }
    }
}

impl<R: Clone> Sessions<R> {
    /// Looks `id` up; a new request is recorded as running.
    pub fn begin(&mut self, id: RequestId) -> Seen<R> {
        match self.latest.get(&id.client) {
            Some((seq, _)) if *seq > id.seq => Seen::Stale,
            Some((seq, None)) if *seq == id.seq => Seen::Running,
            Some((seq, Some(answer))) if *seq == id.seq => Seen::Answered(answer.clone()),
            _ => {
                self.latest.insert(id.client, (id.seq, None));
                Seen::New
            }
        }
    }

    /// Records the answer to `id` (nothing, if the client has sent a newer request since).
    pub fn finish(&mut self, id: RequestId, answer: R) {
        if let Some((seq, slot)) = self.latest.get_mut(&id.client)
            && *seq == id.seq
        {
            *slot = Some(answer);
        }
    }

    /// The answer to `id`, once it has one (`None` while running, and for any request but the
    /// client's latest).
    pub fn answer(&self, id: RequestId) -> Option<R> {
        match self.latest.get(&id.client) {
            Some((seq, Some(answer))) if *seq == id.seq => Some(answer.clone()),
            _ => None,
        }
    }

    /// Whether `id` is neither its client's latest request nor older: a request never seen.
    pub fn is_new(&self, id: RequestId) -> bool {
        self.latest.get(&id.client).is_none_or(|(seq, _)| id.seq > *seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_names_round_trip_and_accept_underscores() {
        for w in Workload::ALL {
            assert_eq!(w.name().parse::<Workload>(), Ok(w));
            assert_eq!(w.to_string(), w.name());
        }
        assert_eq!("pn_counter".parse::<Workload>(), Ok(Workload::PnCounter));
        let e = "queue".parse::<Workload>().unwrap_err().to_string();
        assert!(e.contains("unknown workload `queue`") && e.contains("unique-ids"), "{e}");
    }

    #[test]
    fn every_request_type_is_known_to_the_gateway_with_its_unknown_answer() {
        let id = RequestId { client: ClientId(3), seq: 9 };
        let requests: Vec<Box<dyn Payload>> = vec![
            Box::new(ClientReadRequest { id }),
            Box::new(ClientWriteRequest { id, value: 1 }),
            Box::new(KvReadRequest { id, key: 2 }),
            Box::new(KvWriteRequest { id, key: 2, value: 1 }),
            Box::new(KvCasRequest { id, key: 2, from: 1, to: 2 }),
            Box::new(BroadcastRequest { id, value: 1 }),
            Box::new(BroadcastReadRequest { id }),
            Box::new(CounterAddRequest { id, delta: -1 }),
            Box::new(CounterReadRequest { id }),
            Box::new(GenerateRequest { id }),
        ];
        for r in &requests {
            let info = request_info(&**r).expect("a client request");
            assert_eq!(info.id, id);
            let answer = (info.unknown)();
            let text = format!("{answer:?}");
            assert!(text.contains("Unknown"), "{text}");
        }
        assert!(request_info(&crate::message::Ack).is_none());
    }

    #[test]
    fn a_stale_request_stays_stale_after_a_newer_one_finished() {
        let mut s: Sessions<()> = Sessions::default();
        let first = RequestId { client: ClientId(1), seq: 1 };
        let second = RequestId { seq: 2, ..first };
        assert_eq!(s.begin(first), Seen::New);
        assert_eq!(s.begin(second), Seen::New);
        s.finish(first, ()); // too late: the client moved on
        assert_eq!(s.answer(first), None);
        assert_eq!(s.begin(first), Seen::Stale);
        assert!(!s.is_new(second) && s.is_new(RequestId { seq: 3, ..first }));
        assert!(s.is_new(RequestId { client: ClientId(2), seq: 1 }));
    }
}
