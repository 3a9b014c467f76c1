//! The latest state, and the streams of the tabs watching the game.
//!
//! Each state is complete, so a tab needs only the newest one: every subscriber has a slot that
//! holds the newest state it has not sent yet. A slow tab skips states rather than falling
//! behind, and always ends up showing the latest one.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

#[derive(Default)]
struct Slot {
    /// The newest state not yet taken, and whether the hub closed.
    inner: Mutex<(Option<Arc<str>>, bool)>,
    ready: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a subscriber's wait gave.
pub(crate) enum Next {
    /// The newest state since the last one taken.
    State(Arc<str>),
    /// Nothing new in the time given.
    Idle,
    /// The game is over: no more states.
    Closed,
}

/// One tab's stream of states.
pub(crate) struct Subscription {
    slot: Arc<Slot>,
}

impl Subscription {
    /// Waits at most `timeout` for a state newer than the last one taken.
    pub fn next(&self, timeout: Duration) -> Next {
        let guard = lock(&self.slot.inner);
        let (mut guard, _) = self
            .slot
            .ready
            .wait_timeout_while(guard, timeout, |(state, closed)| state.is_none() && !*closed)
            .unwrap_or_else(PoisonError::into_inner);
        match guard.0.take() {
            Some(state) => Next::State(state),
            None if guard.1 => Next::Closed,
            None => Next::Idle,
        }
    }
}

#[derive(Default)]
struct Inner {
    latest: Arc<str>,
    subscribers: Vec<Weak<Slot>>,
    closed: bool,
}

/// The game thread publishes; HTTP threads read the latest state or subscribe to it.
#[derive(Default)]
pub(crate) struct Hub {
    inner: Mutex<Inner>,
}

impl Hub {
    /// Makes `state` the latest and hands it to every subscriber (replacing what it has not
    /// sent yet).
    pub fn publish(&self, state: String) {
        let state: Arc<str> = state.into();
        let mut inner = lock(&self.inner);
        inner.latest = state.clone();
        inner.subscribers.retain(|weak| match weak.upgrade() {
            Some(slot) => {
                lock(&slot.inner).0 = Some(state.clone());
                slot.ready.notify_one();
                true
            }
            None => false,
        });
    }

    /// The latest state.
    pub fn latest(&self) -> Arc<str> {
        lock(&self.inner).latest.clone()
    }

    /// Every state from now on, starting with the latest. `None` once the hub is closed.
    pub fn subscribe(&self) -> Option<Subscription> {
        // One lock for the check and the registration: a `close` cannot slip in between.
        let mut inner = lock(&self.inner);
        if inner.closed {
            return None;
        }
        let slot = Arc::new(Slot { inner: Mutex::new((Some(inner.latest.clone()), false)), ready: Condvar::new() });
        inner.subscribers.push(Arc::downgrade(&slot));
        Some(Subscription { slot })
    }

    /// How many streams are open.
    pub fn watchers(&self) -> usize {
        lock(&self.inner).subscribers.iter().filter(|w| w.strong_count() > 0).count()
    }

    /// Ends every stream (after each has sent the state it holds).
    pub fn close(&self) {
        let mut inner = lock(&self.inner);
        inner.closed = true;
        for slot in inner.subscribers.drain(..).filter_map(|w| w.upgrade()) {
            lock(&slot.inner).1 = true;
            slot.ready.notify_one();
        }
    }
}

/// Closes the hub when dropped: the game thread holds one, so its streams end however it
/// ends, a panic included.
pub(crate) struct CloseOnDrop(pub Arc<Hub>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_subscriber_gets_the_newest_state_and_then_the_end() {
        let hub = Hub::default();
        hub.publish("a".into());
        let sub = hub.subscribe().unwrap();
        for s in ["b", "c", "d"] {
            hub.publish(s.into());
        }
        assert!(matches!(sub.next(Duration::ZERO), Next::State(s) if &*s == "d"), "skips to the newest");
        assert!(matches!(sub.next(Duration::from_millis(1)), Next::Idle));
        hub.publish("e".into());
        hub.close();
        assert!(matches!(sub.next(Duration::ZERO), Next::State(s) if &*s == "e"), "the last state still arrives");
        assert!(matches!(sub.next(Duration::ZERO), Next::Closed));
        assert!(hub.subscribe().is_none());
    }

    #[test]
    fn dropped_subscribers_stop_counting() {
        let hub = Hub::default();
        let a = hub.subscribe().unwrap();
        let _b = hub.subscribe().unwrap();
        assert_eq!(hub.watchers(), 2);
        drop(a);
        assert_eq!(hub.watchers(), 1);
    }
}
