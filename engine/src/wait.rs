//! Waiting: the futures that [`AsyncCtx::call`](crate::AsyncCtx::call),
//! [`AsyncCtx::broadcast`](crate::AsyncCtx::broadcast), [`AsyncCtx::sleep`](crate::AsyncCtx::sleep)
//! and [`AsyncCtx::until`](crate::AsyncCtx::until) return.
//!
//! They are the original's waiting requests, `wait_any`, `wait_all` and `wait_for_responses`.
//! A timeout is a value (`Err(Timeout)`, `Err(Partial)`), never a panic; once a future
//! resolves or is dropped, the replies it did not take are discarded when they arrive.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::ids::{NodeId, SignalId, Tick};
use crate::message::Payload;
use slab::Slab;

use crate::node::{Group, NO_GROUP, NodeCore, NodeIo, Waiter, waiter_mut};

/// The wait for a reply ran out of ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout;

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no reply before the timeout")
    }
}

impl std::error::Error for Timeout {}

/// The reply to request `id` (whose waiter is at `key`), if it came; its waiter goes.
#[inline]
fn take_reply<R: 'static>(waiters: &mut Slab<Waiter>, id: SignalId, key: u32) -> Option<R> {
    let reply = waiter_mut(waiters, key, id)?.reply.take()?;
    waiters.remove(key as usize);
    let reply: Box<dyn Payload> = reply;
    Some(*reply.into_any().downcast::<R>().expect("a reply has its request's reply type"))
}

/// When the reply to request `id` came, if it did and is not taken yet.
#[inline]
fn arrived(waiters: &mut Slab<Waiter>, id: SignalId, key: u32) -> Option<Tick> {
    waiter_mut(waiters, key, id).filter(|w| w.reply.is_some()).map(|w| w.arrived)
}

/// The count at `group`, if it is still the one `owner`'s quorum took.
#[inline]
fn own_group(io: &mut NodeIo, group: u32, owner: SignalId) -> Option<&mut Group> {
    io.groups.get_mut(group as usize).filter(|g| g.owner == owner)
}

/// Nobody waits for the reply to request `id` any more.
fn forget(waiters: &mut Slab<Waiter>, id: SignalId, key: u32) {
    if waiter_mut(waiters, key, id).is_some() {
        waiters.remove(key as usize);
    }
}

/// A reply to come. Await it for the reply; `.timeout(ticks)` to give up.
#[must_use = "a call does nothing unless awaited"]
pub struct Call<R> {
    core: Rc<NodeCore>,
    to: NodeId,
    id: SignalId,
    /// Its waiter's key.
    key: u32,
    done: bool,
    _reply: PhantomData<fn() -> R>,
}

impl<R: 'static> Call<R> {
    pub(crate) fn new(core: Rc<NodeCore>, to: NodeId, id: SignalId, key: u32) -> Self {
        Call { core, to, id, key, done: false, _reply: PhantomData }
    }

    /// The node called.
    pub fn to(&self) -> NodeId {
        self.to
    }

    /// Waits at most `ticks` ticks: resolves to `Err(Timeout)` in tick `now + ticks` if no reply
    /// came by then.
    pub fn timeout(self, ticks: Tick) -> TimedCall<R> {
        let deadline = self.core.now().saturating_add(ticks);
        self.core.wake_at(deadline);
        TimedCall { call: self, deadline }
    }
}

impl<R: 'static> Future for Call<R> {
    type Output = R;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<R> {
        self.core.shared.charge_poll();
        let reply = take_reply(&mut self.core.io.borrow_mut().waiters, self.id, self.key);
        match reply {
            Some(r) => {
                self.done = true;
                Poll::Ready(r)
            }
            None => Poll::Pending,
        }
    }
}

impl<R> Drop for Call<R> {
    fn drop(&mut self) {
        if !self.done {
            forget(&mut self.core.io.borrow_mut().waiters, self.id, self.key);
        }
    }
}

/// A [`Call`] with a deadline.
#[must_use = "a call does nothing unless awaited"]
pub struct TimedCall<R> {
    call: Call<R>,
    deadline: Tick,
}

impl<R: 'static> Future for TimedCall<R> {
    type Output = Result<R, Timeout>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.call).poll(cx) {
            Poll::Ready(r) => Poll::Ready(Ok(r)),
            Poll::Pending if self.call.core.now() >= self.deadline => Poll::Ready(Err(Timeout)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The replies a [`Quorum`] collected, with who sent each, in the order they arrived (replies
/// of one tick in the order of the calls).
#[derive(Debug, Clone, PartialEq)]
pub struct Replies<R> {
    items: Vec<(NodeId, R)>,
}

impl<R> Replies<R> {
    /// How many replies.
    pub fn len(&self) -> usize {
        self.items.len()
    }
    /// No replies at all.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// The replies.
    pub fn iter(&self) -> impl Iterator<Item = &R> + Clone {
        self.items.iter().map(|(_, r)| r)
    }
    /// The replies with their senders.
    pub fn with_senders(&self) -> impl Iterator<Item = (NodeId, &R)> + Clone {
        self.items.iter().map(|(n, r)| (*n, r))
    }
    /// The nodes that replied.
    pub fn senders(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.items.iter().map(|(n, _)| *n)
    }
    /// The replies, as `(sender, reply)`.
    pub fn into_vec(self) -> Vec<(NodeId, R)> {
        self.items
    }
}

impl<R> IntoIterator for Replies<R> {
    type Item = R;
    type IntoIter = std::iter::Map<std::vec::IntoIter<(NodeId, R)>, fn((NodeId, R)) -> R>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter().map(|(_, r)| r)
    }
}

impl<'a, R> IntoIterator for &'a Replies<R> {
    type Item = &'a R;
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (NodeId, R)>, fn(&'a (NodeId, R)) -> &'a R>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter().map(|(_, r)| r)
    }
}

/// A [`TimedQuorum`] ran out of ticks before enough replies came: here are those that did.
#[derive(Debug, Clone, PartialEq)]
pub struct Partial<R> {
    /// The replies that arrived in time.
    pub replies: Replies<R>,
}

/// Which replies count towards what is enough.
type Filter<R> = Box<dyn Fn(&R) -> bool>;

#[derive(Clone, Copy)]
enum Need {
    All,
    AtLeast(usize),
}

/// Replies to several requests, awaited together. By default it waits for all of them;
/// `.any()`, `.at_least(k)` and `.matching(pred)` say what is enough, `.timeout(ticks)` how
/// long to wait. It resolves to every reply that arrived (matching or not).
#[must_use = "a quorum does nothing unless awaited"]
pub struct Quorum<R> {
    core: Rc<NodeCore>,
    /// The calls still unanswered: (callee, request, its waiter's key).
    pending: Vec<(NodeId, SignalId, u32)>,
    got: Vec<(NodeId, R)>,
    matched: usize,
    need: Need,
    filter: Option<Filter<R>>,
    /// Its count of replies still to come in the node's groups (`NO_GROUP`: none yet), and the
    /// call that owns that count.
    group: u32,
    owner: SignalId,
}

impl<R: 'static> Quorum<R> {
    pub(crate) fn new(core: Rc<NodeCore>, pending: Vec<(NodeId, SignalId, u32)>) -> Self {
        // One allocation for the replies, however many come (they are at most one per call).
        let got = Vec::with_capacity(pending.len());
        let owner = pending.first().map_or(SignalId(0), |p| p.1);
        Quorum { core, pending, got, matched: 0, need: Need::All, filter: None, group: NO_GROUP, owner }
    }

    /// Wait for every reply (the default).
    pub fn all(mut self) -> Self {
        self.need = Need::All;
        self
    }

    /// Wait for one reply.
    pub fn any(self) -> Self {
        self.at_least(1)
    }

    /// Wait for `k` replies (0: resolve at once). More than were asked for never come: add a
    /// timeout.
    pub fn at_least(mut self, k: usize) -> Self {
        self.need = Need::AtLeast(k);
        self
    }

    /// Wait for enough replies that, with this node, they make a majority of the cluster:
    /// `at_least(cluster_size / 2)` (2 of 4 peers in a cluster of 5). With
    /// [`matching`](Quorum::matching), only matching replies count.
    pub fn majority(self) -> Self {
        let cluster = self.core.shared.nodes.get();
        self.at_least(cluster / 2)
    }

    /// Count only the replies for which `pred` holds towards what is enough.
    pub fn matching(mut self, pred: impl Fn(&R) -> bool + 'static) -> Self {
        self.filter = Some(Box::new(pred));
        self
    }

    /// Waits at most `ticks` ticks: resolves to `Err(Partial)` in tick `now + ticks` if not
    /// enough replies came by then.
    pub fn timeout(self, ticks: Tick) -> TimedQuorum<R> {
        let deadline = self.core.now().saturating_add(ticks);
        self.core.wake_at(deadline);
        TimedQuorum { quorum: self, deadline }
    }

    /// The replies that came within `ticks` ticks: like [`timeout`](Quorum::timeout), but
    /// running out of time is no error. Resolves when enough replies came, or in tick
    /// `now + ticks` with those that did (a reply taken in that tick is in).
    pub fn within(self, ticks: Tick) -> Within<R> {
        Within { timed: self.timeout(ticks) }
    }

    /// Takes the replies that came since the last poll, in the order they arrived: by tick,
    /// and those of one tick in the order of the calls.
    fn collect(&mut self) {
        let Quorum { core, pending, got, matched, filter, .. } = self;
        let first_new = got.len();
        {
            let waiters = &mut core.io.borrow_mut().waiters;
            // One pass per tick the new replies came in: O(calls) each, a slab index per call.
            // (A task is polled when its quorum can resolve, not at every reply, so they may
            // have come over several ticks.)
            let mut tick = pending.iter().filter_map(|&(_, id, key)| arrived(waiters, id, key)).min();
            while let Some(t) = tick {
                tick = None;
                pending.retain(|&(from, id, key)| match arrived(waiters, id, key) {
                    Some(at) if at == t => {
                        got.push((from, take_reply(waiters, id, key).expect("a reply that came")));
                        false
                    }
                    Some(at) => {
                        tick = Some(tick.map_or(at, |n: Tick| n.min(at)));
                        true
                    }
                    None => true,
                });
            }
        }
        // The filter is the user's code: it runs with nothing of the node borrowed.
        match filter {
            None => *matched += got.len() - first_new,
            Some(f) => *matched += got[first_new..].iter().filter(|(_, r)| f(r)).count(),
        }
    }

    /// Before the task waits: how many more replies it needs before a poll can resolve it,
    /// counted by the replies themselves (`NodeSlot::receive_reply`), so that the replies
    /// before that one wake nothing. Not for a quorum with a filter (whether a reply counts
    /// is the user's code, run here), nor for one whose next reply may be enough.
    fn arm(&mut self) {
        if self.filter.is_some() {
            return;
        }
        let short = match self.need {
            Need::All => self.pending.len(),
            Need::AtLeast(k) => k.saturating_sub(self.matched),
        };
        // More than can come: only a deadline ends the wait.
        let short = if short > self.pending.len() { u32::MAX } else { short as u32 };
        let io = &mut *self.core.io.borrow_mut();
        if let Some(g) = own_group(io, self.group, self.owner) {
            g.short = short;
        } else if short > 1 {
            let g = io.groups.insert(Group { owner: self.owner, short });
            let g = u32::try_from(g).expect("fewer than 2^32 quorums waiting on one node");
            for &(_, id, key) in &self.pending {
                if let Some(w) = waiter_mut(&mut io.waiters, key, id) {
                    w.group = g;
                }
            }
            self.group = g;
        }
    }

    /// Gives back its count (a later quorum may take its slot).
    fn disarm(&mut self, io: &mut NodeIo) {
        if own_group(io, self.group, self.owner).is_some() {
            io.groups.remove(self.group as usize);
        }
        self.group = NO_GROUP;
    }

    fn enough(&self) -> bool {
        match self.need {
            Need::All => self.pending.is_empty(),
            Need::AtLeast(k) => self.matched >= k,
        }
    }

    fn finish(&mut self) -> Replies<R> {
        let core = Rc::clone(&self.core);
        let io = &mut *core.io.borrow_mut();
        for (_, id, key) in self.pending.drain(..) {
            forget(&mut io.waiters, id, key);
        }
        self.disarm(io);
        Replies { items: std::mem::take(&mut self.got) }
    }
}

// Nothing in a quorum is ever pinned in place (replies live in a `Vec`).
impl<R> Unpin for Quorum<R> {}

impl<R: 'static> Future for Quorum<R> {
    type Output = Replies<R>;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Replies<R>> {
        self.core.shared.charge_poll();
        self.collect();
        if self.enough() {
            Poll::Ready(self.finish())
        } else {
            self.arm();
            Poll::Pending
        }
    }
}

impl<R> Drop for Quorum<R> {
    fn drop(&mut self) {
        if self.pending.is_empty() && self.group == NO_GROUP {
            return;
        }
        let io = &mut *self.core.io.borrow_mut();
        for (_, id, key) in self.pending.drain(..) {
            forget(&mut io.waiters, id, key);
        }
        if own_group(io, self.group, self.owner).is_some() {
            io.groups.remove(self.group as usize);
        }
    }
}

/// A [`Quorum`] with a deadline.
#[must_use = "a quorum does nothing unless awaited"]
pub struct TimedQuorum<R> {
    quorum: Quorum<R>,
    deadline: Tick,
}

impl<R> Unpin for TimedQuorum<R> {}

impl<R: 'static> Future for TimedQuorum<R> {
    type Output = Result<Replies<R>, Partial<R>>;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        let q = &mut self.quorum;
        q.core.shared.charge_poll();
        q.collect();
        if q.enough() {
            Poll::Ready(Ok(q.finish()))
        } else if q.core.now() >= self.deadline {
            Poll::Ready(Err(Partial { replies: self.quorum.finish() }))
        } else {
            self.quorum.arm();
            Poll::Pending
        }
    }
}

/// A [`Quorum`] that takes what came by its deadline, from [`Quorum::within`].
#[must_use = "a quorum does nothing unless awaited"]
pub struct Within<R> {
    timed: TimedQuorum<R>,
}

impl<R: 'static> Future for Within<R> {
    type Output = Replies<R>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Replies<R>> {
        Pin::new(&mut self.timed).poll(cx).map(|r| r.unwrap_or_else(|partial| partial.replies))
    }
}

/// A pause of a number of ticks, from [`AsyncCtx::sleep`](crate::AsyncCtx::sleep).
#[must_use = "a sleep does nothing unless awaited"]
pub struct Sleep {
    core: Rc<NodeCore>,
    until: Tick,
    registered: bool,
}

impl Sleep {
    pub(crate) fn new(core: Rc<NodeCore>, until: Tick) -> Self {
        Sleep { core, until, registered: false }
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        self.core.shared.charge_poll();
        if self.core.now() >= self.until {
            return Poll::Ready(());
        }
        if !self.registered {
            self.registered = true;
            self.core.wake_at(self.until);
        }
        Poll::Pending
    }
}

/// A wait until a condition on the node's state holds, from
/// [`AsyncCtx::until`](crate::AsyncCtx::until). `.timeout(ticks)` to give up.
///
/// The condition is checked when the future is first polled (if it holds, the wait ends in the
/// same tick), then once in each later turn of the node, in step 3 of the tick (after its inbox
/// and timers), until it holds.
#[must_use = "a wait does nothing unless awaited"]
pub struct Until<N, F> {
    core: Rc<NodeCore>,
    state: Rc<RefCell<N>>,
    cond: F,
}

// The condition is never pinned in place.
impl<N, F> Unpin for Until<N, F> {}

impl<N, F: FnMut(&N) -> bool> Until<N, F> {
    pub(crate) fn new(core: Rc<NodeCore>, state: Rc<RefCell<N>>, cond: F) -> Self {
        Until { core, state, cond }
    }

    /// Waits at most `ticks` ticks: resolves to `Err(Timeout)` in tick `now + ticks` if the
    /// condition did not hold by then (it is checked in that tick first).
    pub fn timeout(self, ticks: Tick) -> TimedUntil<N, F> {
        let deadline = self.core.now() + ticks;
        TimedUntil { until: self, deadline }
    }

    fn holds(&mut self) -> bool {
        let state = self.state.try_borrow().expect("cx.until(...) was awaited inside cx.with(...)");
        (self.cond)(&state)
    }
}

impl<N, F: FnMut(&N) -> bool> Future for Until<N, F> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.holds() {
            return Poll::Ready(());
        }
        self.core.wake_at(self.core.now() + 1);
        Poll::Pending
    }
}

/// An [`Until`] with a deadline.
#[must_use = "a wait does nothing unless awaited"]
pub struct TimedUntil<N, F> {
    until: Until<N, F>,
    deadline: Tick,
}

impl<N, F> Unpin for TimedUntil<N, F> {}

impl<N, F: FnMut(&N) -> bool> Future for TimedUntil<N, F> {
    type Output = Result<(), Timeout>;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        let now = self.until.core.now();
        if self.until.holds() {
            Poll::Ready(Ok(()))
        } else if now >= self.deadline {
            Poll::Ready(Err(Timeout))
        } else {
            self.until.core.wake_at(now + 1);
            Poll::Pending
        }
    }
}
