//! The wall-clock watchdog every world of this process gets (`--handler-budget`): a handler
//! that runs longer than the budget (a loop that never waits) stops the process with a report
//! naming the node, the handler, the tick and the seed, and exit code 2, since a handler that
//! never returns cannot be stopped otherwise. `run`, `sweep`, `explore`, `replay` and the
//! browser game arm it for each world they build.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use dgame_engine::watchdog::Watchdog;
use dgame_engine::{Node, World};

/// The default of `--handler-budget`: far beyond any handler that returns.
pub const DEFAULT_HANDLER_BUDGET: Duration = Duration::from_secs(10);

static HANDLER_BUDGET: Mutex<Option<Duration>> = Mutex::new(Some(DEFAULT_HANDLER_BUDGET));

/// Sets the wall-clock budget of one handler for the worlds of this process (`None`: no
/// watchdog).
pub fn set_handler_budget(budget: Option<Duration>) {
    *HANDLER_BUDGET.lock().unwrap_or_else(PoisonError::into_inner) = budget;
}

/// Watches `world`'s handlers, if a budget is set; the watchdog stops when dropped.
pub fn arm<N: Node>(world: &World<N>) -> Option<Watchdog> {
    let budget = (*HANDLER_BUDGET.lock().unwrap_or_else(PoisonError::into_inner))?;
    Some(Watchdog::spawn(world.handler_monitor(), budget, move |stuck| {
        eprintln!(
            "error: {stuck}\n(the watchdog's budget is {budget:?} per handler: --handler-budget SECONDS, or never)"
        );
        std::process::exit(2);
    }))
}
