//! A wall-clock watchdog for handlers that never return.
//!
//! A handler stuck in a loop that never waits cannot be stopped from inside its thread: the
//! engine cannot preempt it. What the engine does, when asked ([`World::handler_monitor`]), is
//! keep a [`HandlerMonitor`]: a small slot saying which node, handler and tick is running. A
//! [`Watchdog`], spawned on a thread of its own by the program that runs the world (the CLI, the
//! game), reads that slot and calls back when one handler has run longer than its wall-clock
//! budget, so the program can report it (node, handler, tick, seed) and exit.
//!
//! The watchdog only watches: it never changes what the run does, so a run is as deterministic
//! with it as without. The engine itself starts no thread.
//!
//! ```no_run
//! # use dgame_engine::prelude::*;
//! # use dgame_engine::watchdog::Watchdog;
//! # use std::time::Duration;
//! # #[derive(Debug, Default)] struct Register;
//! # #[node] impl Register {
//! #     #[endpoint(ClientReadRequest)] fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse { ClientReadResponse::ok(None) }
//! #     #[endpoint(ClientWriteRequest)] fn write(&mut self, _: ClientWriteRequest) -> ClientWriteResponse { ClientWriteResponse::ok() }
//! # }
//! let mut world = World::<Register>::new(Config::default())?;
//! let _watchdog = Watchdog::spawn(world.handler_monitor(), Duration::from_secs(5), |stuck| {
//!     eprintln!("{stuck}");
//!     std::process::exit(2);
//! });
//! world.run()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`World::handler_monitor`]: crate::World::handler_monitor

use std::fmt;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, fence};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::ids::{NodeId, Tick};

/// Which handler is running, if one is: written by the engine around every handler run and
/// poll, read by a [`Watchdog`]. Writing it takes no lock (a handler run costs a few relaxed
/// stores): the engine's thread is its only writer, and the watchdog reads it as a sequence
/// lock, again when the state it read changed under it.
#[derive(Debug)]
pub struct HandlerMonitor {
    seed: u64,
    node_type: &'static str,
    /// Twice the number of handlers entered, plus one while one runs (two runs of one handler
    /// are told apart by the count).
    state: AtomicU64,
    node: AtomicU32,
    tick: AtomicU64,
    /// The running handler's name, as its index among `names`.
    endpoint: AtomicUsize,
    /// Every handler name the engine has named, in the order it first did: locked only to add
    /// a name (once per name) and to read one for a report.
    names: Mutex<Vec<&'static str>>,
}

#[derive(Debug, Clone, Copy)]
struct Running {
    node: NodeId,
    endpoint: &'static str,
    tick: Tick,
}

/// The index of [`DISPATCH`] among a monitor's names.
pub(crate) const DISPATCH_INDEX: usize = 0;

impl HandlerMonitor {
    pub(crate) fn new(seed: u64, node_type: &'static str) -> Self {
        HandlerMonitor {
            seed,
            node_type,
            state: AtomicU64::new(0),
            node: AtomicU32::new(0),
            tick: AtomicU64::new(0),
            endpoint: AtomicUsize::new(DISPATCH_INDEX),
            names: Mutex::new(vec![DISPATCH]),
        }
    }

    fn names(&self) -> std::sync::MutexGuard<'_, Vec<&'static str>> {
        // A panic while the lock is held cannot leave the list half-written (a push).
        self.names.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a handler name; its index is what [`enter`](HandlerMonitor::enter) takes.
    pub(crate) fn add_name(&self, name: &'static str) -> usize {
        let mut names = self.names();
        names.push(name);
        names.len() - 1
    }

    /// Handler `endpoint` (an index from [`add_name`](HandlerMonitor::add_name)) of `node`
    /// starts running in `tick`.
    pub(crate) fn enter(&self, node: NodeId, endpoint: usize, tick: Tick) {
        // Each run is named once, by the handler itself (`executor.rs`), so every call is a
        // new run.
        let state = self.state.load(Relaxed);
        // Marked as changing (the count moves on) before the fields, done after them.
        self.state.store(((state >> 1) + 1) << 1, Relaxed);
        fence(Release);
        self.node.store(node.0, Relaxed);
        self.tick.store(tick, Relaxed);
        self.endpoint.store(endpoint, Relaxed);
        self.state.store((((state >> 1) + 1) << 1) | 1, Release);
    }

    pub(crate) fn leave(&self) {
        let state = self.state.load(Relaxed);
        self.state.store(state & !1, Release);
    }

    /// The handler running now, if any: (a number that changes with every handler run, what runs).
    fn current(&self) -> Option<(u64, Running)> {
        loop {
            let before = self.state.load(Acquire);
            if before & 1 == 0 {
                return None;
            }
            let (node, tick, endpoint) =
                (self.node.load(Relaxed), self.tick.load(Relaxed), self.endpoint.load(Relaxed));
            fence(Acquire);
            if self.state.load(Relaxed) == before {
                let endpoint = self.names().get(endpoint).copied().unwrap_or(DISPATCH);
                return Some((before >> 1, Running { node: NodeId(node), endpoint, tick }));
            }
            // The engine moved on while we read: read again.
        }
    }

    /// The handler running now, if one is, as a report (with no time spent yet).
    pub fn running(&self) -> Option<Stuck> {
        self.current().map(|(_, r)| self.report(r, Duration::ZERO))
    }

    fn report(&self, r: Running, running_for: Duration) -> Stuck {
        Stuck {
            node: r.node,
            node_type: self.node_type,
            endpoint: r.endpoint,
            tick: r.tick,
            seed: self.seed,
            running_for,
        }
    }
}

/// What the engine names a request's handler before the node's dispatch says which it is.
pub(crate) const DISPATCH: &str = "(dispatch)";

/// A handler that ran past the watchdog's budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stuck {
    /// The node.
    pub node: NodeId,
    /// The node type.
    pub node_type: &'static str,
    /// The endpoint or timer method.
    pub endpoint: &'static str,
    /// The tick it started in.
    pub tick: Tick,
    /// The run's seed.
    pub seed: u64,
    /// How long it had been running when the watchdog noticed.
    pub running_for: Duration,
}

impl fmt::Display for Stuck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tick {} (seed {}): handler `{}` of {} ({}) has not returned after {:.1?}: it probably loops \
             forever without waiting",
            self.tick, self.seed, self.endpoint, self.node, self.node_type, self.running_for
        )
    }
}

/// A thread that watches a [`HandlerMonitor`] and calls back, once, when a handler runs longer
/// than the budget. Dropping it (or [`stop`](Watchdog::stop)) stops the thread.
#[must_use = "the watchdog stops when dropped"]
pub struct Watchdog {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Watches `monitor`: when one handler has been running for `budget` of wall-clock time,
    /// calls `on_stuck` on the watchdog's thread with what it is, then stops watching. The
    /// callback typically prints the report and exits the process (the stuck handler cannot be
    /// stopped otherwise).
    pub fn spawn(
        monitor: Arc<HandlerMonitor>,
        budget: Duration,
        on_stuck: impl FnOnce(Stuck) + Send + 'static,
    ) -> Watchdog {
        let (stop, stopped) = mpsc::channel::<()>();
        // Look often enough to notice within about a quarter of the budget past it.
        let period = (budget / 4).clamp(Duration::from_millis(1), Duration::from_millis(100));
        let thread = std::thread::Builder::new()
            .name("dgame-watchdog".into())
            .spawn(move || {
                let mut seen: Option<(u64, Instant)> = None;
                loop {
                    match stopped.recv_timeout(period) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                    let Some((entered, running)) = monitor.current() else {
                        seen = None;
                        continue;
                    };
                    let since = match seen {
                        Some((e, since)) if e == entered => since,
                        _ => {
                            let now = Instant::now();
                            seen = Some((entered, now));
                            now
                        }
                    };
                    let running_for = since.elapsed();
                    if running_for >= budget {
                        on_stuck(monitor.report(running, running_for));
                        return;
                    }
                }
            })
            .expect("the watchdog's thread starts");
        Watchdog { stop: Some(stop), thread: Some(thread) }
    }

    /// Stops watching and waits for the thread to end.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            // The thread only sleeps and reads the slot; it ends as soon as it sees the stop.
            let _ = t.join();
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shut_down();
    }
}
