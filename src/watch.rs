//! The wall-clock watchdog every world of this process gets (`--handler-budget`): a handler
//! that runs longer than the budget (a loop that never waits) stops the process with a report
//! naming the node, the handler, the tick and the seed, and exit code 2, since a handler that
//! never returns cannot be stopped otherwise. `run`, `sweep`, `explore`, `replay` and the
//! browser game arm it for each world they build.
//!
//! One thread watches every armed world (a thread per world would cost a sweep a third of its
//! speed): it looks at each world's [`HandlerMonitor`] a few times per budget and reports a
//! handler seen running, the same run of it, for longer than the budget.

use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use dgame_engine::watchdog::{HandlerMonitor, Stuck};
use dgame_engine::{Node, NodeId, World};

/// The default of `--handler-budget`: far beyond any handler that returns.
pub const DEFAULT_HANDLER_BUDGET: Duration = Duration::from_secs(10);

static HANDLER_BUDGET: Mutex<Option<Duration>> = Mutex::new(Some(DEFAULT_HANDLER_BUDGET));

/// Sets the wall-clock budget of one handler for the worlds of this process (`None`: no
/// watchdog).
pub fn set_handler_budget(budget: Option<Duration>) {
    *HANDLER_BUDGET.lock().unwrap_or_else(PoisonError::into_inner) = budget;
}

/// What the watcher knows of one armed world: its monitor, and the handler it last saw
/// running (node, handler, tick) with when it first saw it.
struct Watched {
    monitor: Weak<HandlerMonitor>,
    seen: Option<((NodeId, &'static str, u64), Instant)>,
}

static WATCHED: Mutex<Vec<Watched>> = Mutex::new(Vec::new());
static WATCHER: OnceLock<()> = OnceLock::new();

/// A world being watched; dropping it (with its world) ends the watching.
pub struct Armed(#[allow(dead_code)] Arc<HandlerMonitor>);

/// Watches `world`'s handlers, if a budget is set.
pub fn arm<N: Node>(world: &World<N>) -> Option<Armed> {
    let budget = (*HANDLER_BUDGET.lock().unwrap_or_else(PoisonError::into_inner))?;
    let monitor = world.handler_monitor();
    WATCHED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Watched { monitor: Arc::downgrade(&monitor), seen: None });
    WATCHER.get_or_init(|| {
        std::thread::spawn(move || watch(budget));
    });
    Some(Armed(monitor))
}

fn watch(budget: Duration) -> ! {
    let every = (budget / 4).clamp(Duration::from_millis(10), Duration::from_millis(250));
    loop {
        std::thread::sleep(every);
        let now = Instant::now();
        let mut watched = WATCHED.lock().unwrap_or_else(PoisonError::into_inner);
        watched.retain(|w| w.monitor.strong_count() > 0);
        for w in watched.iter_mut() {
            let Some(stuck) = w.monitor.upgrade().and_then(|m| m.running()) else {
                w.seen = None;
                continue;
            };
            let key = (stuck.node, stuck.endpoint, stuck.tick);
            match w.seen {
                Some((seen, since)) if seen == key => {
                    let running_for = now - since;
                    if running_for >= budget {
                        report(Stuck { running_for, ..stuck }, budget);
                    }
                }
                _ => w.seen = Some((key, now)),
            }
        }
    }
}

fn report(stuck: Stuck, budget: Duration) -> ! {
    eprintln!("error: {stuck}\n(the watchdog's budget is {budget:?} per handler: --handler-budget SECONDS, or never)");
    std::process::exit(2);
}
