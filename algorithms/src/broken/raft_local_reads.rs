//! **RaftLocalReads**: [`Raft`](crate::Raft) whose leader answers reads from its own copy
//! instead of through the log. *Broken on purpose*: find the bug with the checker.
//!
//! - **The bug, in one line**: a leader answers a read with the last committed write it knows,
//!   without checking that it is still the leader, so a deposed leader answers stale values.
//! - **How it shows**: the leader is cut off from the other nodes but not from the gateway.
//!   The others elect a new leader and commit new writes; the old leader, not knowing, still
//!   reads its own copy, and the gateway, hearing both announce themselves, sends it some
//!   reads: a read returns a value overwritten long before it began. (A real fix that keeps
//!   reads off the log is *read-index*: confirm leadership with a heartbeat round first.)
//! - **Guarantee**: none with partitions: writes stay linearizable, reads can be stale.
//! - **Fault model**: [`Raft`](crate::Raft)'s, word for word.
//!
//! This file is `raft.rs` with the type renamed, its `GUARANTEE`, and `read_key` (its doc line
//! and its body) replaced; `algorithms/tests/broken_diffs.rs` checks that nothing else differs.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use dgame_engine::prelude::*;
use serde::Serialize;

/// The guarantee, in one line (for tools).
pub const GUARANTEE: &str = "none with partitions (a deposed leader answers stale reads)";
/// The fault model, in one line (for tools).
pub const FAULT_MODEL: &str = "any delays, loss, partitions, crashes and pauses; live while a majority can talk";
/// The fault model as data: the kinds of fault [`FAULT_MODEL`] names as tolerated.
pub const FAULTS: FaultModel =
    FaultModel::new(&[FaultKind::Loss, FaultKind::Partition, FaultKind::Crash, FaultKind::Pause]);

/// How often a leader sends its followers what they lack (with 1..=3 ticks of delay, a round
/// trip takes 4 to 8 ticks).
const HEARTBEAT: u64 = 3;
/// How long a follower waits for a leader before standing for election, drawn anew each time:
/// several heartbeats, so that a lost one or two do not start an election.
const ELECTION_TIMEOUT: RangeInclusive<Tick> = 12..=24;
/// How long a client request waits for its entry to commit before giving up (by then the
/// gateway has long given up too: default 40 ticks).
const MAX_WAIT: Tick = 100;

/// The key under which the `register` workload's register lives.
const REGISTER: Key = 0;

/// What an entry of the log asks of the state machine, for which client request (the fields
/// are the request's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[allow(missing_docs)]
pub enum Command {
    /// Nothing: a new leader's first entry, to commit the entries of earlier terms.
    Noop,
    /// Write `value` under `key`.
    Write { id: RequestId, key: Key, value: Value },
    /// Read `key` (its value as of this entry).
    Read { id: RequestId, key: Key },
    /// If `key` holds `from`, store `to`.
    Cas { id: RequestId, key: Key, from: Value, to: Value },
}

/// What applying a client's entry answered: kept in the session table for its copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Answer {
    /// A write, or a compare-and-set that matched.
    Done,
    /// A read, of this value.
    Read(Option<Value>),
    /// A compare-and-set that did not match (nothing changed).
    Mismatch,
}

/// One entry of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The term of the leader that created it.
    pub term: u64,
    /// What it does.
    pub command: Command,
}

/// What a node is at the moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Follows the leader of its term (or waits for one).
    #[default]
    Follower,
    /// Stands for election in its term.
    Candidate,
    /// Leads its term.
    Leader,
}

/// A candidate asks for a vote.
#[derive(Debug, Clone, Message)]
#[reply(Vote)]
pub struct RequestVote {
    term: u64,
    candidate: NodeId,
    last_index: usize,
    last_term: u64,
}

/// The answer to [`RequestVote`].
#[derive(Debug, Clone, Copy)]
pub struct Vote {
    term: u64,
    granted: bool,
}

/// The leader sends a follower the entries after `prev_index` (none: a plain heartbeat).
#[derive(Debug, Clone, Message)]
#[reply(Appended)]
pub struct AppendEntries {
    term: u64,
    prev_index: usize,
    prev_term: u64,
    entries: Vec<Entry>,
    leader_commit: usize,
}

/// The answer to [`AppendEntries`]: on success, how far the follower's log now matches the
/// leader's; on failure, a hint of where to retry from.
#[derive(Debug, Clone, Copy)]
pub struct Appended {
    term: u64,
    success: bool,
    match_index: usize,
}

/// A node.
#[derive(Debug, Default, Serialize)]
pub struct RaftLocalReads {
    /// The latest term this node has seen (durable).
    pub term: u64,
    /// Whom it voted for in `term` (durable).
    pub voted_for: Option<NodeId>,
    /// The log (durable); entry `i` (counting from 1, as RaftLocalReads does) is `log[i - 1]`.
    pub log: Vec<Entry>,
    /// The highest index known committed.
    pub commit: usize,
    /// How many entries are applied to the state machine (always `commit` between handlers).
    pub applied: usize,
    /// The state machine: the registers' values, by key.
    pub values: BTreeMap<Key, Value>,
    /// The session table: each client's latest applied request and its answer.
    pub sessions: Sessions<Answer>,
    /// Each client's latest request this node decided on, and whether it logged it (`true`)
    /// or refused it (durable).
    pub seen: BTreeMap<ClientId, (u64, bool)>,
    /// Follower, candidate or leader.
    pub role: Role,
    /// When a follower or candidate stands for election (0: not drawn yet).
    pub election_at: Tick,
    /// Leader only: how far each follower's log is known to match ours.
    pub matched: BTreeMap<NodeId, usize>,
    /// Leader only: the index of the next entry to send each follower.
    pub next: BTreeMap<NodeId, usize>,
}

/// What became of a client request's entry.
pub enum Fate {
    /// Not the leader: nothing was logged.
    Refused,
    /// Committed at this index.
    Committed(usize),
    /// The entry left this node's log, or took too long: it may still commit elsewhere.
    Unknown,
}

impl RaftLocalReads {
    fn last_index(&self) -> usize {
        self.log.len()
    }

    /// The term of entry `i` (0 for the empty prefix, `i == 0`).
    fn term_at(&self, i: usize) -> u64 {
        if i == 0 { 0 } else { self.log[i - 1].term }
    }

    /// Applies the committed entries not applied yet, in log order. A request already applied
    /// (a copy) or older than its client's latest changes nothing. The state machine is not
    /// durable: after a restart it is rebuilt from the log as the node learns the commit index.
    fn apply_committed(&mut self) {
        while self.applied < self.commit {
            self.applied += 1;
            let (id, answer) = match self.log[self.applied - 1].command {
                Command::Noop => continue,
                Command::Write { id, .. } | Command::Read { id, .. } | Command::Cas { id, .. }
                    if self.sessions.begin(id) != Seen::New =>
                {
                    continue;
                }
                Command::Write { id, key, value } => {
                    self.values.insert(key, value);
                    (id, Answer::Done)
                }
                Command::Read { id, key } => (id, Answer::Read(self.values.get(&key).copied())),
                Command::Cas { id, key, from, to } => {
                    if self.values.get(&key) == Some(&from) {
                        self.values.insert(key, to);
                        (id, Answer::Done)
                    } else {
                        (id, Answer::Mismatch)
                    }
                }
            };
            self.sessions.finish(id, answer);
        }
    }

    fn reset_election_timer(&mut self, ctx: &Ctx<Self>) {
        self.election_at = ctx.now() + ctx.random_range(ELECTION_TIMEOUT);
    }

    /// Every message carries its sender's term: a newer term means we are behind, whatever
    /// we were.
    fn observe_term(&mut self, term: u64, ctx: &Ctx<Self>) {
        if term > self.term {
            self.term = term;
            self.voted_for = None;
            if self.role != Role::Follower {
                self.role = Role::Follower;
                self.reset_election_timer(ctx);
            }
        }
    }

    fn become_leader(&mut self, ctx: &Ctx<Self>) {
        self.role = Role::Leader;
        for &peer in ctx.peers().iter() {
            self.next.insert(peer, self.last_index() + 1);
            self.matched.insert(peer, 0);
        }
        // Entries of earlier terms cannot be committed by counting (see `advance_commit`): a
        // no-op of our own term commits them as soon as it is on a majority.
        self.log.push(Entry { term: self.term, command: Command::Noop });
        ctx.notify_leadership();
    }

    /// What follower `peer` lacks, from `next[peer]` on.
    fn append_for(&self, peer: NodeId) -> AppendEntries {
        let next = self.next[&peer];
        AppendEntries {
            term: self.term,
            prev_index: next - 1,
            prev_term: self.term_at(next - 1),
            entries: self.log[next - 1..].to_vec(),
            leader_commit: self.commit,
        }
    }

    /// A follower's answer to the leader of `term`.
    fn on_appended(&mut self, peer: NodeId, reply: Appended, term: u64, ctx: &Ctx<Self>) {
        self.observe_term(reply.term, ctx);
        if self.role != Role::Leader || self.term != term {
            return; // An answer to an earlier leadership of ours: no longer meaningful.
        }
        if reply.success {
            let matched = self.matched[&peer].max(reply.match_index);
            self.matched.insert(peer, matched);
            self.next.insert(peer, matched + 1);
            self.advance_commit(ctx.majority());
        } else {
            // The consistency check failed: step back (to the follower's hint) and retry.
            let next = (reply.match_index + 1).min(self.next[&peer] - 1).max(1);
            self.next.insert(peer, next);
        }
    }

    /// Commits the highest entry of the current term that a majority stores.
    fn advance_commit(&mut self, majority: usize) {
        for n in (self.commit + 1..=self.last_index()).rev() {
            // Only entries of our own term are committed by counting replicas (RaftLocalReads 5.4.2);
            // scanning down, the rest are older still.
            if self.term_at(n) != self.term {
                break;
            }
            let replicas = 1 + self.matched.values().filter(|&&m| m >= n).count();
            if replicas >= majority {
                self.commit = n;
                break;
            }
        }
        self.apply_committed();
    }

    /// Logs `command` if we lead, then waits until it commits (and is applied) or is lost from
    /// our log.
    async fn submit(cx: &AsyncCtx<Self>, id: RequestId, command: Command) -> Fate {
        let logged = cx.with(|me| {
            // Copies of one request get one decision: once refused (`fail`: it never takes
            // effect), a copy must not be logged; once logged, its fate is that entry's.
            match me.seen.get(&id.client) {
                Some(&(seq, _)) if id.seq < seq => return Err(Fate::Refused), // The client moved on.
                Some(&(seq, false)) if seq == id.seq => return Err(Fate::Refused),
                Some(&(seq, true)) if seq == id.seq && me.role != Role::Leader => return Err(Fate::Unknown),
                _ if me.role != Role::Leader => {
                    me.seen.insert(id.client, (id.seq, false));
                    return Err(Fate::Refused);
                }
                _ => {}
            }
            me.log.push(Entry { term: me.term, command });
            me.seen.insert(id.client, (id.seq, true));
            Ok((me.last_index(), me.term))
        });
        let (index, term) = match logged {
            Ok(at) => at,
            Err(fate) => return fate,
        };
        // The next heartbeat carries the entry. Wait until it commits or leaves our log
        // (another leader's entry replaced it: its fate is unknown to us), or we give up. Even
        // if we lose the leadership meanwhile, our log tells the truth: an entry with our term
        // at `index` below the commit index is ours, committed (logs that agree on an entry's
        // index and term agree on everything before it).
        let ours = |me: &Self| me.last_index() >= index && me.term_at(index) == term;
        let _ = cx.until(|me| me.commit >= index || !ours(me)).timeout(MAX_WAIT).await;
        cx.with(|me| if ours(me) && me.commit >= index { Fate::Committed(index) } else { Fate::Unknown })
    }

    /// A read answered from the leader's own copy: the last committed write.
    async fn read_key(cx: &AsyncCtx<Self>, _: RequestId, key: Key) -> ClientReadResponse {
        // BUG: "I am the leader, so my copy is the latest". (`Raft` logs the read and waits.)
        let local = cx.with(|me| (me.role == Role::Leader).then(|| me.values.get(&key).copied()));
        local.map_or_else(ClientReadResponse::fail, ClientReadResponse::ok)
    }

    /// A write or compare-and-set through the log: done once its entry is committed.
    async fn update(cx: &AsyncCtx<Self>, id: RequestId, command: Command) -> ClientWriteResponse {
        match Self::submit(cx, id, command).await {
            Fate::Committed(_) => match cx.with(|me| me.sessions.answer(id)) {
                Some(Answer::Done) => ClientWriteResponse::ok(),
                Some(Answer::Mismatch) => ClientWriteResponse::fail(),
                // Applied for a newer request of the client: this one's answer is lost.
                _ => ClientWriteResponse::unknown(),
            },
            Fate::Refused => ClientWriteResponse::fail(),
            // Not `fail`: the entry may be on other nodes and committed by a later leader.
            // "Unknown" is the honest answer (the gateway has usually given up already).
            Fate::Unknown => ClientWriteResponse::unknown(),
        }
    }

    /// Stands for election: a new term, our own vote, and the others' votes.
    async fn campaign(cx: &AsyncCtx<Self>) {
        let (request, term, timeout) = cx.with(|me| {
            me.term += 1;
            me.role = Role::Candidate;
            me.voted_for = Some(cx.id());
            me.reset_election_timer(cx);
            let request = RequestVote {
                term: me.term,
                candidate: cx.id(),
                last_index: me.last_index(),
                last_term: me.term_at(me.last_index()),
            };
            (request, me.term, me.election_at - cx.now())
        });
        // Wait for a majority of votes granted, or until our next election would start anyway.
        let votes = cx.broadcast(request).matching(|v| v.granted).majority().within(timeout).await;
        cx.with(|me| {
            for vote in &votes {
                me.observe_term(vote.term, cx);
            }
            let granted = 1 + votes.iter().filter(|v| v.granted).count();
            // Still a candidate of that term? (Meanwhile a leader may have shown up.)
            if me.role == Role::Candidate && me.term == term && granted >= cx.majority() {
                me.become_leader(cx);
            }
        });
    }
}

/// What the browser game shows beside the node: `leader t3`.
impl Badge for RaftLocalReads {
    fn badge(&self) -> Option<String> {
        let role = match self.role {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        };
        Some(format!("{role} t{}", self.term))
    }
}

#[node(durable(term, voted_for, log, seen), workload(register, kv))]
impl RaftLocalReads {
    /// A read is an entry of the log too: it returns the value as of its place in the log.
    #[endpoint(ClientReadRequest)]
    async fn read(cx: AsyncCtx<Self>, req: ClientReadRequest) -> ClientReadResponse {
        Self::read_key(&cx, req.id, REGISTER).await
    }

    /// A write succeeds once its entry is committed.
    #[endpoint(ClientWriteRequest)]
    async fn write(cx: AsyncCtx<Self>, req: ClientWriteRequest) -> ClientWriteResponse {
        Self::update(&cx, req.id, Command::Write { id: req.id, key: REGISTER, value: req.value }).await
    }

    /// The key-value store: a read of one key.
    #[endpoint(KvReadRequest)]
    async fn kv_read(cx: AsyncCtx<Self>, req: KvReadRequest) -> ClientReadResponse {
        Self::read_key(&cx, req.id, req.key).await
    }

    /// The key-value store: a write of one key.
    #[endpoint(KvWriteRequest)]
    async fn kv_write(cx: AsyncCtx<Self>, req: KvWriteRequest) -> ClientWriteResponse {
        Self::update(&cx, req.id, Command::Write { id: req.id, key: req.key, value: req.value }).await
    }

    /// The key-value store: compare-and-set, decided when the entry is applied.
    #[endpoint(KvCasRequest)]
    async fn kv_cas(cx: AsyncCtx<Self>, req: KvCasRequest) -> ClientWriteResponse {
        Self::update(&cx, req.id, Command::Cas { id: req.id, key: req.key, from: req.from, to: req.to }).await
    }

    /// Grant a vote to the first up-to-date candidate of a term.
    #[endpoint(RequestVote)]
    fn request_vote(&mut self, ctx: &mut Ctx<Self>, req: RequestVote) -> Vote {
        self.observe_term(req.term, ctx);
        let ours = (self.term_at(self.last_index()), self.last_index());
        let up_to_date = (req.last_term, req.last_index) >= ours;
        let granted = req.term == self.term && self.voted_for.is_none_or(|v| v == req.candidate) && up_to_date;
        if granted {
            self.voted_for = Some(req.candidate);
            self.reset_election_timer(ctx);
        }
        Vote { term: self.term, granted }
    }

    /// A follower takes the leader's entries if its log passes the consistency check.
    #[endpoint(AppendEntries)]
    fn append_entries(&mut self, ctx: &mut Ctx<Self>, req: AppendEntries) -> Appended {
        self.observe_term(req.term, ctx);
        if req.term < self.term {
            return Appended { term: self.term, success: false, match_index: 0 }; // A deposed leader.
        }
        // The leader of our term: follow it, and do not stand for election for a while.
        self.role = Role::Follower;
        self.reset_election_timer(ctx);
        if req.prev_index > self.last_index() || self.term_at(req.prev_index) != req.prev_term {
            // Our log does not have the entry before the new ones: retry from earlier.
            let hint = self.last_index().min(req.prev_index - 1);
            return Appended { term: self.term, success: false, match_index: hint };
        }
        for (i, entry) in req.entries.iter().enumerate() {
            let index = req.prev_index + 1 + i;
            if index <= self.last_index() && self.term_at(index) != entry.term {
                self.log.truncate(index - 1); // A conflict: drop it and all that follows.
            }
            if index > self.last_index() {
                self.log.push(*entry);
            }
        }
        // Only up to the last new entry do we know our log matches the leader's.
        let last_new = req.prev_index + req.entries.len();
        self.commit = self.commit.max(req.leader_commit.min(last_new));
        self.apply_committed();
        Appended { term: self.term, success: true, match_index: last_new }
    }

    /// Every tick: a follower or candidate whose election timeout has passed stands.
    #[timer(interval = 1)]
    async fn election_timer(cx: AsyncCtx<Self>) {
        let stand = cx.with(|me| {
            if me.election_at == 0 {
                me.reset_election_timer(&cx);
            }
            me.role != Role::Leader && cx.now() >= me.election_at
        });
        if stand {
            Self::campaign(&cx).await;
        }
    }

    /// Every few ticks the leader sends each follower what it lacks, and counts who has what.
    #[timer(interval = 3)] // = HEARTBEAT (an attribute takes a literal)
    async fn heartbeat(cx: AsyncCtx<Self>) {
        let Some((term, calls)) = cx.with(|me| {
            (me.role == Role::Leader)
                .then(|| (me.term, cx.peers().iter().map(|&p| (p, me.append_for(p))).collect::<Vec<_>>()))
        }) else {
            return;
        };
        cx.notify_leadership();
        // Take the answers that come within two heartbeats; the next heartbeat retries the rest.
        let replies = cx.call_each(calls).within(2 * HEARTBEAT).await;
        cx.with(|me| {
            for (peer, &reply) in replies.with_senders() {
                me.on_appended(peer, reply, term, &cx);
            }
        });
    }
}
