//! What every handle of a world shares with the engine: the clock, the signal id counter, the
//! handlers' outbox, the node count, the turn budget and the watchdog's slot.

use std::cell::{Cell, OnceCell, RefCell};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::ids::{NodeId, SignalId, Tick};
use crate::node::Outgoing;
use crate::watchdog::HandlerMonitor;

/// Slots of the direct-mapped table of handler names (a power of two).
const NAME_SLOTS: usize = 16;

/// The payload a handler unwinds with when its node's turn runs out of budget; the executor
/// turns it into [`RunError::TurnBudgetExceeded`](crate::RunError::TurnBudgetExceeded).
pub(crate) struct BudgetExhausted;

/// The whole world's state that handlers can reach (through their node's core).
pub(crate) struct WorldShared {
    pub now: Cell<Tick>,
    pub next_signal: Cell<u64>,
    pub outbox: RefCell<Vec<Outgoing>>,
    /// How many nodes there are: their ids are `1..=nodes`.
    pub nodes: Cell<usize>,
    /// What is left of the running node's turn budget (handler runs and polls).
    budget_left: Cell<u64>,
    /// The slot a wall-clock watchdog reads, if one was asked for.
    pub monitor: OnceCell<Arc<HandlerMonitor>>,
    /// The monitor's index of each handler name, by the name's address and length: a
    /// direct-mapped table in front of a map (a lookup per handler run cost 5% of a run).
    monitor_cache: [Cell<(usize, usize, usize)>; NAME_SLOTS],
    monitor_names: RefCell<FxHashMap<(usize, usize), usize>>,
}

impl WorldShared {
    pub fn new() -> Self {
        WorldShared {
            now: Cell::new(0),
            next_signal: Cell::new(1),
            outbox: RefCell::new(Vec::new()),
            nodes: Cell::new(0),
            budget_left: Cell::new(u64::MAX),
            monitor: OnceCell::new(),
            monitor_cache: std::array::from_fn(|_| Cell::new((0, 0, 0))),
            monitor_names: RefCell::new(FxHashMap::default()),
        }
    }

    pub fn next_signal_id(&self) -> SignalId {
        let id = self.next_signal.get();
        self.next_signal.set(id + 1);
        SignalId(id)
    }

    /// Gives the node whose turn starts `budget` handler runs and polls.
    pub fn start_turn(&self, budget: u64) {
        self.budget_left.set(budget);
    }

    /// Spends one unit of the turn's budget; `false` once it is spent.
    pub fn charge(&self) -> bool {
        match self.budget_left.get() {
            0 => false,
            left => {
                self.budget_left.set(left - 1);
                true
            }
        }
    }

    /// Spends one unit of the turn's budget from inside a handler's wait (a future polled by
    /// the executor); once it is spent, unwinds out of the handler to the executor, which
    /// stops the run. `resume_unwind` does not run the panic hook: nothing is printed.
    pub fn charge_poll(&self) {
        if !self.charge() {
            std::panic::resume_unwind(Box::new(BudgetExhausted));
        }
    }

    /// Tells the watchdog (if any) which handler runs now.
    #[inline]
    pub fn handler_entered(&self, node: NodeId, endpoint: &'static str) {
        if let Some(m) = self.monitor.get() {
            let key = (endpoint.as_ptr() as usize, endpoint.len());
            // Fibonacci hashing of the address: the top bits pick the slot.
            let slot =
                ((key.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - NAME_SLOTS.trailing_zeros())) as usize;
            let index = match self.monitor_cache[slot].get() {
                (ptr, len, index) if (ptr, len) == key => index,
                _ => self.name_index(m, slot, endpoint),
            };
            m.enter(node, index, self.now.get());
        }
    }

    /// The monitor's index of a handler name the table did not have in its slot.
    #[cold]
    #[inline(never)]
    fn name_index(&self, m: &HandlerMonitor, slot: usize, endpoint: &'static str) -> usize {
        let key = (endpoint.as_ptr() as usize, endpoint.len());
        let index = *self.monitor_names.borrow_mut().entry(key).or_insert_with(|| {
            if endpoint == crate::watchdog::DISPATCH { crate::watchdog::DISPATCH_INDEX } else { m.add_name(endpoint) }
        });
        self.monitor_cache[slot].set((key.0, key.1, index));
        index
    }

    /// Tells the watchdog (if any) that no handler runs.
    #[inline]
    pub fn handler_left(&self) {
        if let Some(m) = self.monitor.get() {
            m.leave();
        }
    }
}
