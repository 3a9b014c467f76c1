//! The latest state, and the streams of the tabs watching the game.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};

/// How many states may wait for a slow tab before it skips some: each state is complete, so a
/// tab that skips one loses nothing but a frame.
const BACKLOG: usize = 8;

/// The game thread publishes; HTTP threads read the latest state or subscribe to all of them.
#[derive(Default)]
pub(crate) struct Hub {
    latest: Mutex<Arc<str>>,
    subscribers: Mutex<Vec<SyncSender<Arc<str>>>>,
    closed: Mutex<bool>,
}

impl Hub {
    /// Makes `state` the latest and sends it to every subscriber.
    pub fn publish(&self, state: String) {
        let state: Arc<str> = state.into();
        *self.latest.lock().unwrap_or_else(PoisonError::into_inner) = state.clone();
        self.subscribers.lock().unwrap_or_else(PoisonError::into_inner).retain(|s| match s.try_send(state.clone()) {
            Ok(()) | Err(TrySendError::Full(_)) => true,
            Err(TrySendError::Disconnected(_)) => false,
        });
    }

    /// The latest state.
    pub fn latest(&self) -> Arc<str> {
        self.latest.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Every state from now on, starting with the latest. `None` once the hub is closed.
    pub fn subscribe(&self) -> Option<Receiver<Arc<str>>> {
        if *self.closed.lock().unwrap_or_else(PoisonError::into_inner) {
            return None;
        }
        let (tx, rx) = mpsc::sync_channel(BACKLOG);
        let _ = tx.try_send(self.latest());
        self.subscribers.lock().unwrap_or_else(PoisonError::into_inner).push(tx);
        Some(rx)
    }

    /// How many streams are open.
    pub fn watchers(&self) -> usize {
        self.subscribers.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Ends every stream.
    pub fn close(&self) {
        *self.closed.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.subscribers.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}
