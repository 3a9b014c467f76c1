//! The wall-clock watchdog every world of this process gets (`--handler-budget`): a handler
//! that runs longer than the budget (a loop that never waits) is reported naming the node, the
//! handler, the tick and the seed. `run`, `sweep`, `explore`, `replay` and the browser game arm
//! it for each world they build.
//!
//! A handler that never returns cannot be stopped, so by default the report ends the process
//! (exit code 2). A caller that can go on without that thread says where the report goes
//! instead, with [`reporting_to`]: `sweep` counts the seed as an error and prints its summary,
//! the game halts, shows the error on the page and keeps serving. The stuck thread spins on
//! until the process ends.
//!
//! One thread watches every armed world (a thread per world would cost a sweep a third of its
//! speed): it looks at each world's [`HandlerMonitor`] a few times per budget and reports a
//! handler seen running, the same run of it, for longer than the budget.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use dgame_engine::watchdog::{HandlerMonitor, Stuck};
use dgame_engine::{Node, NodeId, World};

/// The default of `--handler-budget`: far beyond any handler that returns.
pub const DEFAULT_HANDLER_BUDGET: Duration = Duration::from_secs(10);

static HANDLER_BUDGET: Mutex<Option<Duration>> = Mutex::new(Some(DEFAULT_HANDLER_BUDGET));

/// Sets the wall-clock budget of one handler for the worlds of this process armed from now on
/// (`None`: no watchdog).
pub fn set_handler_budget(budget: Option<Duration>) {
    *HANDLER_BUDGET.lock().unwrap_or_else(PoisonError::into_inner) = budget;
}

/// The budget worlds armed now get (`None`: no watchdog).
pub fn handler_budget() -> Option<Duration> {
    *HANDLER_BUDGET.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where a stuck handler is reported, on the watcher's thread, with the budget it ran past.
pub type OnStuck = Arc<dyn Fn(Stuck, Duration) + Send + Sync>;

thread_local! {
    /// Where the worlds armed on this thread report a stuck handler (`None`: end the process).
    static ON_STUCK: RefCell<Option<OnStuck>> = const { RefCell::new(None) };
}

/// Runs `f` with the worlds armed on this thread inside it reporting a stuck handler to
/// `on_stuck` instead of ending the process. The stuck handler's thread does not come back:
/// whoever waits for it must stop waiting when `on_stuck` is called.
pub fn reporting_to<R>(on_stuck: OnStuck, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<OnStuck>);
    impl Drop for Restore {
        fn drop(&mut self) {
            ON_STUCK.with(|h| *h.borrow_mut() = self.0.take());
        }
    }
    let _restore = Restore(ON_STUCK.with(|h| h.borrow_mut().replace(on_stuck)));
    f()
}

/// The report's hint: what the budget is and how to change it.
pub fn budget_hint(budget: Duration) -> String {
    format!("the watchdog's budget is {budget:?} per handler: --handler-budget SECONDS, or never")
}

/// What the watcher knows of one armed world: its monitor, its budget, where to report, and
/// the handler it last saw running (node, handler, tick) with when it first saw it.
struct Watched {
    monitor: Weak<HandlerMonitor>,
    budget: Duration,
    on_stuck: Option<OnStuck>,
    seen: Option<((NodeId, &'static str, u64), Instant)>,
}

static WATCHED: Mutex<Vec<Watched>> = Mutex::new(Vec::new());
static WATCHER: OnceLock<()> = OnceLock::new();

/// A world being watched; dropping it (with its world) ends the watching.
pub struct Armed(#[allow(dead_code)] Arc<HandlerMonitor>);

/// Watches `world`'s handlers, if a budget is set.
pub fn arm<N: Node>(world: &World<N>) -> Option<Armed> {
    let budget = handler_budget()?;
    let monitor = world.handler_monitor();
    let on_stuck = ON_STUCK.with(|h| h.borrow().clone());
    WATCHED.lock().unwrap_or_else(PoisonError::into_inner).push(Watched {
        monitor: Arc::downgrade(&monitor),
        budget,
        on_stuck,
        seen: None,
    });
    WATCHER.get_or_init(|| {
        std::thread::Builder::new().name("dgame-watchdog".into()).spawn(watch).expect("the watchdog's thread starts");
    });
    Some(Armed(monitor))
}

/// How often the watcher looks when the smallest budget watched is `budget`.
fn period(budget: Duration) -> Duration {
    (budget / 4).clamp(Duration::from_millis(10), Duration::from_millis(250))
}

fn watch() {
    let mut every = period(DEFAULT_HANDLER_BUDGET);
    loop {
        std::thread::sleep(every);
        let now = Instant::now();
        let mut reports = Vec::new();
        {
            let mut watched = WATCHED.lock().unwrap_or_else(PoisonError::into_inner);
            watched.retain(|w| w.monitor.strong_count() > 0);
            watched.retain_mut(|w| {
                let Some(stuck) = w.monitor.upgrade().and_then(|m| m.running()) else {
                    w.seen = None;
                    return true;
                };
                let key = (stuck.node, stuck.endpoint, stuck.tick);
                match w.seen {
                    Some((seen, since)) if seen == key && now - since >= w.budget => {
                        let stuck = Stuck { running_for: now - since, ..stuck };
                        match &w.on_stuck {
                            // Reported once: the world is no longer watched.
                            Some(on_stuck) => {
                                reports.push((on_stuck.clone(), stuck, w.budget));
                                false
                            }
                            None => exit(&stuck, w.budget),
                        }
                    }
                    Some((seen, _)) if seen == key => true,
                    _ => {
                        w.seen = Some((key, now));
                        true
                    }
                }
            });
            every = period(watched.iter().map(|w| w.budget).min().unwrap_or(DEFAULT_HANDLER_BUDGET));
        }
        // Outside the lock: a report may arm another world.
        for (on_stuck, stuck, budget) in reports {
            on_stuck(stuck, budget);
        }
    }
}

fn exit(stuck: &Stuck, budget: Duration) -> ! {
    eprintln!("error: {stuck}\n({})", budget_hint(budget));
    std::process::exit(2);
}
