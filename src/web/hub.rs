//! The latest state, and the streams of the tabs watching the game.
//!
//! The game thread publishes each state into a `tokio::sync::watch` channel, which holds only the
//! newest: a tab that reads slowly skips states rather than queueing them, so what a slow tab
//! costs is bounded (the newest state, and the last one it was sent, to diff against). With each
//! state comes the patch from the one before, made once for every tab that is up to date.

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;
use tokio::sync::watch;

use super::patch;

/// One published state.
#[derive(Clone, Default)]
pub(crate) struct Snapshot {
    /// Counts states up from 1 (0: nothing published yet).
    pub version: u64,
    pub state: Arc<Value>,
    /// The patch from state `version - 1` to this one (`None`: unchanged, or the first).
    pub patch: Option<Arc<str>>,
    /// The game thread has ended: no more states.
    pub closed: bool,
    /// The game has stopped for good, its thread stuck in a handler that never returns: why.
    /// No state comes after this one.
    pub halted: Option<Arc<str>>,
}

/// The game thread publishes; the server's tasks read the latest state or wait for the next.
pub(crate) struct Hub {
    tx: watch::Sender<Snapshot>,
    /// Publishing reads the latest state and replaces it: one publisher at a time (the game
    /// thread, and the watchdog's when it halts the game).
    publishing: Mutex<()>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub { tx: watch::Sender::new(Snapshot::default()), publishing: Mutex::new(()) }
    }
}

impl Hub {
    /// Makes `state` the latest (unless the game has halted).
    pub fn publish(&self, state: Value) {
        let _one = self.publishing.lock().unwrap_or_else(PoisonError::into_inner);
        if self.tx.borrow().halted.is_none() {
            self.replace(state, None);
        }
    }

    /// Stops the game for good because of `why`: the last state is `last(the latest state)`.
    pub fn halt(&self, why: &str, last: impl FnOnce(&Value) -> Value) {
        let _one = self.publishing.lock().unwrap_or_else(PoisonError::into_inner);
        let state = last(&self.tx.borrow().state);
        self.replace(state, Some(Arc::from(why)));
    }

    fn replace(&self, state: Value, halted: Option<Arc<str>>) {
        let prev = self.tx.borrow().clone();
        // Diffing costs a walk over both states: only when someone watches.
        let patch = if self.tx.receiver_count() > 0 && prev.version > 0 {
            patch::diff(&prev.state, &state).map(|p| Arc::from(p.to_string()))
        } else {
            None
        };
        let version = prev.version + 1;
        self.tx.send_replace(Snapshot { version, state: Arc::new(state), patch, closed: prev.closed, halted });
    }

    /// Why the game has halted, if it has.
    pub fn halted(&self) -> Option<Arc<str>> {
        self.tx.borrow().halted.clone()
    }

    /// The latest state.
    pub fn latest(&self) -> Snapshot {
        self.tx.borrow().clone()
    }

    /// A receiver of every state from now on.
    pub fn subscribe(&self) -> watch::Receiver<Snapshot> {
        self.tx.subscribe()
    }

    /// How many streams are open.
    pub fn watchers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Ends every stream.
    pub fn close(&self) {
        self.tx.send_modify(|s| s.closed = true);
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

/// What a tab is sent next, given the last state it was sent.
pub(crate) fn next_event(last: Option<&Snapshot>, now: &Snapshot) -> Option<(&'static str, String)> {
    match last {
        None => Some(("state", now.state.to_string())),
        Some(last) if last.version == now.version => None,
        Some(last) if last.version + 1 == now.version => now
            .patch
            .as_ref()
            .map(|p| ("patch", p.to_string()))
            .or_else(|| patch::diff(&last.state, &now.state).map(|p| ("patch", p.to_string()))),
        Some(last) => patch::diff(&last.state, &now.state).map(|p| ("patch", p.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_slow_reader_is_sent_the_difference_to_the_newest_state() {
        let hub = Hub::default();
        hub.publish(json!({"tick": 0}));
        let rx = hub.subscribe();
        let first = rx.borrow().clone();
        assert_eq!(next_event(None, &first).unwrap(), ("state", r#"{"tick":0}"#.to_owned()));
        for t in 1..=3 {
            hub.publish(json!({"tick": t}));
        }
        let now = rx.borrow().clone();
        assert_eq!(now.version, 4, "the channel holds only the newest");
        let (kind, p) = next_event(Some(&first), &now).unwrap();
        assert_eq!((kind, p.as_str()), ("patch", r#"{"o":{"tick":{"=":3}}}"#));
        assert!(next_event(Some(&now), &now).is_none());
        assert_eq!(hub.watchers(), 1);
        hub.close();
        assert!(rx.borrow().closed);
    }
}
