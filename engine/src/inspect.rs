//! Looking at a world between ticks: its configuration, counters, servers, nodes, signals in
//! flight and faults to come. Nothing here changes the run.

use std::cell::Ref;
use std::sync::Arc;

use crate::catch::caught_debug;
use crate::config::Config;
use crate::error::RunError;
use crate::executor::{NodeSlot, NodeStatus};
use crate::fault::Scheduled;
use crate::history::History;
use crate::ids::{ClientId, NodeId, ServerId, Tick};
use crate::network::{InFlight, Stats};
use crate::node::Node;
use crate::watchdog::HandlerMonitor;
use crate::world::World;

impl<N: Node> World<N> {
    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The clients' history so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The counters of the run so far.
    pub fn stats(&self) -> Stats {
        self.wire.stats
    }

    /// The signals sent so far by message type: the type's full Rust name
    /// ([`short_type_name`](crate::message::short_type_name) shortens it) and how many, in name
    /// order.
    pub fn sent_by_type(&self) -> Vec<(&'static str, u64)> {
        let mut counts: std::collections::BTreeMap<&'static str, u64> = std::collections::BTreeMap::new();
        for (name, n) in self.wire.sent_by_type.iter() {
            *counts.entry(name).or_insert(0) += n;
        }
        counts.into_iter().collect()
    }

    /// The error that stopped the run, if one did.
    pub fn error(&self) -> Option<&RunError> {
        self.failed.as_ref()
    }

    fn slot(&self, id: NodeId) -> Option<&NodeSlot<N>> {
        self.nodes.get(id.index())
    }

    /// Whether a node runs, has crashed or is paused.
    pub fn node_status(&self, id: NodeId) -> Option<NodeStatus> {
        Some(self.slot(id)?.status)
    }

    /// The faults to come up to tick `until` (the schedule's and the nemesis's), in the order
    /// they will be tried. The nemesis draws its faults as the run reaches them, so this works
    /// them out from where it is now: it costs time in proportion to the faults up to `until`,
    /// and gives the same answer at every call. A nemesis fault that the schedule will have
    /// called off by then (see ARCHITECTURE.md) is still listed.
    pub fn planned_faults(&self, until: Tick) -> Vec<Scheduled> {
        let schedule = self.schedule[self.next_scheduled..].iter().take_while(|s| s.at <= until);
        let nemesis = self.nemesis.as_ref().map(|p| p.preview(until)).unwrap_or_default();
        let mut planned: Vec<Scheduled> = schedule.cloned().chain(nemesis.into_iter().map(|(s, _)| s)).collect();
        // Stable: within a tick, the schedule's faults come first, as when they are applied.
        planned.sort_by_key(|s| s.at);
        planned
    }

    /// Every server: the gateway, the nodes, the clients.
    pub fn servers(&self) -> impl Iterator<Item = ServerId> + '_ {
        std::iter::once(ServerId::Gateway)
            .chain((0..self.nodes.len()).map(|n| ServerId::Node(NodeId::from_index(n))))
            .chain((0..self.clients.len()).map(|c| ServerId::Client(ClientId::from_index(c))))
    }

    /// How many nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// A node's state, to look at (do not hold it across a tick). To format it, prefer
    /// [`node_debug`](World::node_debug), which catches a panicking `Debug`.
    pub fn node(&self, id: NodeId) -> Option<Ref<'_, N>> {
        let slot = self.slot(id)?;
        Some(slot.ctx.state.borrow())
    }

    /// A node's state as data, for viewers: its `serde::Serialize` form if its type has one,
    /// else its `Debug` text as a string. A panic in that code gives
    /// `{"error": "..."}` instead of unwinding.
    pub fn node_state(&self, id: NodeId) -> Option<serde_json::Value> {
        let state = self.slot(id)?.ctx.state.try_borrow().ok()?;
        Some(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| state.__state())).unwrap_or_else(|panic| {
            serde_json::json!({ "error": format!("the state of {} panicked: {}", N::__NAME, crate::catch::panic_message(&*panic)) })
        }))
    }

    /// A node's [`Badge`](crate::Badge) (`"leader t3"`), if its type implements it. A panic in
    /// the badge gives `"badge panicked: ..."` instead of unwinding.
    pub fn node_badge(&self, id: NodeId) -> Option<String> {
        let state = self.slot(id)?.ctx.state.try_borrow().ok()?;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| state.__badge()))
            .unwrap_or_else(|panic| Some(format!("badge panicked: {}", crate::catch::panic_message(&*panic))))
    }

    /// A node's state formatted with `Debug` (`None`: no such node). A panic in the node type's
    /// `Debug` is caught and returned as [`RunError::NodeCodePanicked`] naming the node and
    /// [`RunError::STATE_DEBUG`], instead of unwinding into the caller.
    pub fn node_debug(&self, id: NodeId) -> Option<Result<String, RunError>> {
        let slot = self.slot(id)?;
        let state = slot.ctx.state.borrow();
        Some(caught_debug(&*state).map_err(|message| self.node_code_panicked(id, RunError::STATE_DEBUG, message)))
    }

    /// A node's local clock: the value its next turn will see (1 before its first turn).
    pub fn local_time(&self, id: NodeId) -> Option<u64> {
        let slot = self.slot(id)?;
        Some(slot.ctx.core.local_time.get())
    }

    /// How many handlers are waiting on a node (async handlers between awaits).
    pub fn waiting_handlers(&self, id: NodeId) -> Option<usize> {
        Some(self.slot(id)?.waiting())
    }

    /// How many delivered signals wait in a server's inbox for its next turn.
    pub fn inbox_len(&self, server: ServerId) -> Option<usize> {
        Some(match server {
            ServerId::Gateway => self.gateway.inbox.len(),
            ServerId::Node(n) => self.slot(n)?.inbox.len(),
            ServerId::Client(c) => self.clients.get(c.index())?.inbox.len(),
        })
    }

    /// What a client shows: its last operation's label (`R5`, `W3`, `W4…`, `R?`), empty before
    /// its first.
    pub fn client_display(&self, id: ClientId) -> Option<String> {
        let client = self.clients.get(id.index())?;
        Some(client.last_op.map(|op| self.history.operations[op].label()).unwrap_or_default())
    }

    /// The node the gateway routes to, once one announced itself.
    pub fn leader(&self) -> Option<NodeId> {
        self.gateway.leader
    }

    /// The cut links (`from`, `to`), in order.
    pub fn cut_links(&self) -> impl Iterator<Item = (ServerId, ServerId)> + '_ {
        self.wire.network.cuts()
    }

    /// The signals in flight, in sending order.
    pub fn in_flight(&self) -> Vec<InFlight<'_>> {
        let mut v: Vec<_> = self.wire.network.in_flight().collect();
        v.sort_by_key(|s| s.id);
        v
    }

    /// How many signals are in flight.
    pub fn in_flight_count(&self) -> usize {
        self.wire.network.in_flight_count()
    }

    /// The slot that says which handler is running, for a [`Watchdog`](crate::watchdog::Watchdog)
    /// on another thread. Asking for it turns the bookkeeping on (a few nanoseconds per handler
    /// run); a world that never asks pays nothing.
    pub fn handler_monitor(&self) -> Arc<HandlerMonitor> {
        self.wire.shared.monitor.get_or_init(|| Arc::new(HandlerMonitor::new(self.config.seed, N::__NAME))).clone()
    }
}
