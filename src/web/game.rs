//! The simulation thread: it owns the world, ticks it at the chosen speed, carries out the
//! commands the server sends, records every intervention, travels in time, and publishes the
//! state.
//!
//! A game is its configuration and its record: the clicks, each a fault at the tick it acts
//! from. The run is deterministic, so the world at any tick is the world rebuilt from the record
//! and run to that tick: that is how the timeline goes back. Acting in the past forks: the clicks
//! and ticks after it are discarded and the new click ends the record.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use dgame_engine::event::SharedObserver as Shared;
use dgame_engine::{
    Config, Fault, History, Node, NodeId, NodeStatus, Scheduled, ServerId, SignalId, World, WorldError,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::oneshot;

use super::compat::VerdictReport;
use super::hub::{CloseOnDrop, Hub};
use super::record::Recorder;
use super::state;

/// Everything the game thread needs, handed to it when it starts.
pub struct GameSetup {
    pub(crate) algorithm: &'static str,
    pub(crate) config: Config,
    pub(crate) speed: f64,
    pub(crate) paused: bool,
    pub(crate) program: String,
    pub(crate) commands: Receiver<Envelope>,
    pub(crate) hub: Arc<Hub>,
}

impl std::fmt::Debug for GameSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GameSetup").field("algorithm", &self.algorithm).finish_non_exhaustive()
    }
}

/// What a node menu can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NodeAction {
    Crash,
    Restart,
    Pause,
    Resume,
    Isolate,
    Heal,
}

/// Which seed a restarted game uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeedChoice {
    Same,
    New,
    Given(u64),
}

/// A command from the page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Command {
    Drop(u64),
    Node(u32, NodeAction),
    Pause,
    Resume,
    Step,
    Back,
    Seek(u64),
    Speed(f64),
    PauseOnViolation(bool),
    Restart(SeedChoice),
    Quit,
}

/// A refused command: an HTTP status and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into() }
    }
}

/// What a command did (one line) and the state after it.
pub(crate) type Reply = Result<(String, Arc<Value>), ApiError>;

/// A command with where to send its outcome.
pub(crate) struct Envelope {
    pub command: Command,
    pub reply: oneshot::Sender<Reply>,
}

/// The last fork: acting at tick `at` discarded what came after it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Fork {
    pub at: u64,
    /// Ticks played after `at` and discarded.
    pub ticks: u64,
    /// Clicks after `at` discarded.
    pub clicks: usize,
}

/// The node states at one tick, kept to tell what changed, and their badges.
pub(crate) struct States {
    pub tick: u64,
    pub timeline: u64,
    pub values: Vec<Result<Value, String>>,
    pub badges: Vec<Option<String>>,
}

/// One game: a world and what the page needs besides it.
pub(crate) struct Session<N: Node> {
    pub algorithm: &'static str,
    pub program: String,
    pub world: World<N>,
    /// The configuration the game started from (without the clicks).
    pub base: Config,
    /// The record: the interventions, each at the tick it acts from.
    pub clicks: Vec<Scheduled>,
    pub recorder: Rc<RefCell<Recorder>>,
    pub verdict: VerdictReport,
    /// The tick the verdict became "not linearizable" on this timeline.
    pub violation_at: Option<u64>,
    /// Counts games since the server started (a restart makes a new one).
    pub number: u64,
    /// Counts rebuilds of the world (a seek back, a fork) within the game.
    pub timeline: u64,
    pub running: bool,
    pub speed: f64,
    /// The furthest tick played on this record: the timeline's end.
    pub head: u64,
    pub fork: Option<Fork>,
    pub pause_on_violation: bool,
    /// The node states as last shown at the tick before the current one, and as last shown.
    pub before: Option<States>,
    pub current: Option<States>,
    /// The `Debug` texts of the signals in flight, made once per signal.
    pub signal_texts: std::collections::BTreeMap<u64, String>,
    /// The `--handler-budget` watchdog of the current world.
    _watchdog: Option<crate::watch::Armed>,
}

impl<N: Node + Default> Session<N> {
    fn new(algorithm: &'static str, program: String, base: Config, number: u64) -> Self {
        let (world, recorder) = build::<N>(&base, &[]);
        let mut s = Session {
            algorithm,
            program,
            world,
            base,
            clicks: Vec::new(),
            recorder,
            verdict: VerdictReport::Linearizable,
            violation_at: None,
            number,
            timeline: 0,
            running: false,
            speed: 5.0,
            head: 0,
            fork: None,
            pause_on_violation: true,
            before: None,
            current: None,
            signal_texts: Default::default(),
            _watchdog: None,
        };
        s._watchdog = crate::watch::arm(&s.world);
        s.log_start();
        s.verdict = verdict_of(s.world.history());
        s
    }

    fn log_start(&mut self) {
        let text = format!("game {}: {}, seed {}", self.number, self.algorithm, self.base.seed);
        self.recorder.borrow_mut().push(0, "game", text);
    }

    /// Rebuilds the world from the record and runs it to `tick`.
    fn rebuild(&mut self, tick: u64) {
        let (world, recorder) = build::<N>(&self.base, &self.clicks);
        self.world = world;
        self._watchdog = crate::watch::arm(&self.world);
        self.recorder = recorder;
        self.timeline += 1;
        self.log_start();
        // The history up to `tick` is the same on the rebuilt world (what is kept of the record
        // is the same up to there), so a violation seen by then still stands.
        self.violation_at = self.violation_at.filter(|&v| v <= tick);
        self.verdict = VerdictReport::Linearizable;
        self.before = None;
        self.current = None;
        // A signal id names another message on another timeline.
        self.signal_texts.clear();
        self.run_to(tick);
    }

    /// Runs forward to `tick` (paused: no pause on violation, one verdict at the end).
    fn run_to(&mut self, tick: u64) {
        while self.world.now() < tick && !self.finished() {
            if self.world.now() + 1 == tick {
                self.before = Some(self.states());
            }
            if !self.tick_world() {
                break;
            }
        }
        self.recorder.borrow_mut().history_changed = true;
        self.check();
    }
}

/// A world for `base` with the record's clicks scheduled, and its recorder.
fn build<N: Node + Default>(base: &Config, clicks: &[Scheduled]) -> (World<N>, Rc<RefCell<Recorder>>) {
    let mut config = base.clone();
    // Clicks first: at one tick they act before the configuration's faults (the sort is stable).
    config.schedule = clicks.iter().chain(&base.schedule).cloned().collect();
    let mut world = World::<N>::new(config).expect("the configuration was validated, and every click fitted");
    let recorder = Rc::new(RefCell::new(Recorder::new(clicks)));
    world.subscribe(Shared(recorder.clone()));
    (world, recorder)
}

impl<N: Node> Session<N> {
    /// Whether the game can go on.
    pub fn finished(&self) -> bool {
        self.world.now() >= self.base.ticks || self.world.error().is_some()
    }

    /// The configuration that replays the game as shown: up to the current tick, clicks
    /// included. Without a nemesis that is the record's clicks and `--ticks` the current tick;
    /// with one, whose plan depends on the run's length, the faults it made are written out
    /// instead, so the command runs exactly the ticks shown with exactly those faults. A game
    /// with a quiet period (the workloads with final reads, or `--quiet`) is another run when
    /// cut short, since the quiet period is the run's last ticks: its command is the whole run,
    /// with the clicks up to the tick shown ([`Session::replays_whole_run`]).
    pub fn replay_config(&self) -> Config {
        let now = self.world.now();
        let mut c = self.base.clone();
        if self.replays_whole_run() {
            // The same length keeps the nemesis's plan too: the game's own configuration, with
            // the clicks made so far.
            c.schedule = self.clicks.iter().filter(|s| s.at <= now + 1).chain(&self.base.schedule).cloned().collect();
            return c;
        }
        if c.nemesis.is_some() {
            c.nemesis = None;
            let r = self.recorder.borrow();
            c.schedule = r.applied.iter().filter(|s| s.at <= now + 1).cloned().collect();
            c.schedule.extend(self.base.schedule.iter().filter(|s| s.at > now).cloned());
        } else {
            c.schedule = self.clicks.iter().filter(|s| s.at <= now + 1).chain(&self.base.schedule).cloned().collect();
        }
        // A click made at tick `now` acts from `now + 1`: it stays, so the command shows it.
        if now > 0 {
            c.ticks = now;
            c.schedule.retain(|s| s.at <= now + 1);
        }
        c
    }

    /// Whether the reproduce command must run the game's whole length: its quiet period (the
    /// last ticks of the run, where clients stop and faults heal) moves with `--ticks`, so a
    /// run stopped at the tick shown would be a different run.
    pub fn replays_whole_run(&self) -> bool {
        self.base.quiet_ticks() > 0
    }

    /// What the page says beside the command when it runs further than the tick shown.
    pub fn command_note(&self) -> Option<String> {
        self.replays_whole_run().then(|| {
            format!(
                "The whole run of {} ticks: its quiet period is its last {} ticks, so a shorter --ticks would be \
                 another run. The game shown is this run at tick {}.",
                self.base.ticks,
                self.base.quiet_ticks(),
                self.world.now()
            )
        })
    }

    /// Runs one tick of the world; `false` when the run stopped.
    fn tick_world(&mut self) -> bool {
        if let Err(e) = self.world.tick() {
            let now = self.world.now();
            self.recorder.borrow_mut().push(now, "error", format!("the run stopped: {e}"));
            self.running = false;
            self.verdict = VerdictReport::Error { error: e.to_string() };
            return false;
        }
        self.head = self.head.max(self.world.now());
        true
    }

    /// The live tick: runs one tick, checks, and pauses on a violation if asked to.
    fn tick(&mut self) {
        if self.finished() {
            self.running = false;
            return;
        }
        self.before = self.current.take().filter(|s| s.tick == self.world.now() && s.timeline == self.timeline);
        if !self.tick_world() {
            return;
        }
        let was_violation = self.violation_at.is_some();
        self.check();
        if !was_violation && self.violation_at.is_some() && self.pause_on_violation && self.running {
            self.running = false;
            let now = self.world.now();
            self.recorder.borrow_mut().push(
                now,
                "verdict",
                format!("paused at tick {now}: the history is not linearizable"),
            );
        }
        if self.finished() {
            self.running = false;
        }
    }

    /// Runs the checker again if the history changed.
    fn check(&mut self) {
        if !std::mem::take(&mut self.recorder.borrow_mut().history_changed) {
            return;
        }
        if matches!(self.verdict, VerdictReport::Error { .. }) {
            return;
        }
        self.verdict = verdict_of(self.world.history());
        if self.verdict.is_violation() && self.violation_at.is_none() {
            self.violation_at = Some(self.world.now());
        }
    }

    /// The node states now (computed once per tick and timeline).
    pub fn states(&self) -> States {
        let n = self.world.node_count() as u32;
        let values =
            (1..=n).map(|i| super::hooks::node_state(&self.world, NodeId(i)).unwrap_or(Ok(Value::Null))).collect();
        let badges = (1..=n).map(|i| super::hooks::node_badge(&self.world, NodeId(i))).collect();
        States { tick: self.world.now(), timeline: self.timeline, values, badges }
    }

    /// Whether `id` has a cut link to or from each of `others`: how many of its peers (the
    /// gateway and the other nodes) it cannot reach, and how many peers it has.
    pub fn unreachable(&self, id: NodeId) -> (Vec<ServerId>, usize) {
        let me = ServerId::Node(id);
        let cuts: Vec<(ServerId, ServerId)> = self.world.cut_links().collect();
        let peers: Vec<ServerId> = std::iter::once(ServerId::Gateway)
            .chain((1..=self.world.node_count() as u32).map(|n| ServerId::Node(NodeId(n))))
            .filter(|&p| p != me)
            .collect();
        let cut = peers.iter().copied().filter(|&p| cuts.contains(&(me, p)) || cuts.contains(&(p, me))).collect();
        (cut, peers.len())
    }

    /// Cut off: it cannot reach more than half of its peers.
    pub fn cut_off(&self, id: NodeId) -> bool {
        let (cut, peers) = self.unreachable(id);
        peers > 0 && cut.len() * 2 > peers
    }

    fn isolated(&self, id: NodeId) -> bool {
        let me = ServerId::Node(id);
        let cuts: Vec<(ServerId, ServerId)> = self.world.cut_links().collect();
        let (_, peers) = self.unreachable(id);
        let all = std::iter::once(ServerId::Gateway)
            .chain((1..=self.world.node_count() as u32).map(|n| ServerId::Node(NodeId(n))))
            .filter(|&p| p != me)
            .all(|p| cuts.contains(&(me, p)) && cuts.contains(&(p, me)));
        peers > 0 && all
    }

    fn node_fault(&self, node: u32, action: NodeAction) -> Result<Fault, ApiError> {
        let id = NodeId(node);
        if self.world.node_status(id).is_none() {
            return Err(ApiError::new(
                404,
                format!("there is no node {node}: nodes are numbered 1 to {}", self.world.node_count()),
            ));
        }
        Ok(match action {
            NodeAction::Crash => Fault::Crash(id),
            NodeAction::Restart => Fault::Restart(id),
            NodeAction::Pause => Fault::Pause(id),
            NodeAction::Resume => Fault::Resume(id),
            NodeAction::Isolate => {
                if self.isolated(id) {
                    return Err(ApiError::new(409, format!("{id} is already isolated: heal it first")));
                }
                Fault::Isolate(id)
            }
            NodeAction::Heal => {
                if !self.cut_off(id) {
                    let (cut, _) = self.unreachable(id);
                    let why = if cut.is_empty() {
                        format!("{id} is not cut off from anyone")
                    } else {
                        let names: Vec<String> = cut.iter().map(|s| s.short().to_string()).collect();
                        format!(
                            "{id} is not cut off: it reaches most of its peers (not {}); heal the node that is",
                            names.join(", ")
                        )
                    };
                    return Err(ApiError::new(409, why));
                }
                Fault::Rejoin(id)
            }
        })
    }
}

impl<N: Node + Default> Session<N> {
    /// Applies a person's intervention now and records it at the next tick. In the past, it
    /// forks: what came after is discarded first.
    fn intervene(&mut self, fault: Fault) -> Result<String, ApiError> {
        if self.finished() {
            return Err(ApiError::new(409, "the game is over: restart it, or go back on the timeline to play on"));
        }
        let now = self.world.now();
        if now < self.head {
            let later = self.clicks.iter().filter(|c| c.at > now).count();
            // Check it fits before discarding anything (a refused click forks nothing).
            if later > 0 {
                let kept: Vec<Scheduled> = self.clicks.iter().filter(|c| c.at <= now).cloned().collect();
                let (saved_clicks, saved_head) = (std::mem::replace(&mut self.clicks, kept), self.head);
                self.rebuild(now);
                if let Err(e) = self.try_apply(fault.clone()).and_then(|()| self.fits_the_schedule(&fault)) {
                    self.clicks = saved_clicks;
                    self.head = saved_head;
                    self.rebuild(now);
                    return Err(e);
                }
                self.record_fork(now, saved_head - now, later);
                return Ok(self.record_click(fault));
            }
            self.apply_fitting(&fault)?;
            let discarded = self.head - now;
            self.record_fork(now, discarded, 0);
            return Ok(self.record_click(fault));
        }
        self.apply_fitting(&fault)?;
        Ok(self.record_click(fault))
    }

    /// Applies a click that fits the world and the schedule; one that fits the world only is
    /// undone (the world rebuilt from the record as it was).
    fn apply_fitting(&mut self, fault: &Fault) -> Result<(), ApiError> {
        self.try_apply(fault.clone())?;
        if let Err(e) = self.fits_the_schedule(fault) {
            let now = self.world.now();
            self.rebuild(now);
            return Err(e);
        }
        Ok(())
    }

    /// Refuses a click after which the game's schedule (its clicks, this one, and the
    /// configuration's faults) would not validate: a click that fits the world now but leaves a
    /// later fault of the configuration unable to work (a restart of a node the click already
    /// restarted). The world is rebuilt from that schedule when the timeline moves.
    fn fits_the_schedule(&self, fault: &Fault) -> Result<(), ApiError> {
        let now = self.world.now();
        // The clicks kept: acting in the past discards those after it.
        let forks = now < self.head && self.clicks.iter().any(|c| c.at > now);
        let kept = self.clicks.iter().filter(|c| !forks || c.at <= now);
        let click = Scheduled { at: now + 1, fault: fault.clone() };
        let mut config = self.base.clone();
        config.schedule = kept.chain([&click]).chain(&self.base.schedule).cloned().collect();
        config.validate().map_err(|e| match e {
            dgame_engine::ConfigError::Invalid { reason, .. } => {
                ApiError::new(409, format!("`{click}` would leave the game's faults unable to run: {reason}"))
            }
            other => ApiError::new(409, other.to_string()),
        })
    }

    fn record_fork(&mut self, at: u64, ticks: u64, clicks: usize) {
        self.head = at;
        self.fork = Some(Fork { at, ticks, clicks });
        let text = format!(
            "forked at tick {at}: the {ticks} tick{} after it{} discarded",
            if ticks == 1 { "" } else { "s" },
            if clicks > 0 {
                format!(" and {clicks} click{} were", if clicks == 1 { "" } else { "s" })
            } else {
                " were".into()
            }
        );
        self.recorder.borrow_mut().push(at, "game", text);
    }

    fn try_apply(&mut self, fault: Fault) -> Result<(), ApiError> {
        self.recorder.borrow_mut().by_user = true;
        let result = self.world.apply(fault);
        self.recorder.borrow_mut().by_user = false;
        result.map_err(|e| match e {
            WorldError::NoSuchSignal(_) | WorldError::NoSuchServer(_) => ApiError::new(404, e.to_string()),
            WorldError::InvalidFault(_) | WorldError::Stopped(_) => ApiError::new(409, e.to_string()),
        })
    }

    fn record_click(&mut self, fault: Fault) -> String {
        let scheduled = Scheduled { at: self.world.now() + 1, fault };
        let text = scheduled.to_string();
        self.recorder.borrow_mut().clicks.insert(text.clone());
        self.clicks.push(scheduled);
        // A click changes what the nodes and the history look like from here on.
        self.recorder.borrow_mut().history_changed = true;
        self.check();
        text
    }

    /// Shows tick `tick` of this record (at most the timeline's end).
    fn seek(&mut self, tick: u64) -> Result<String, ApiError> {
        if tick > self.head {
            return Err(ApiError::new(
                400,
                format!("tick {tick} has not been played: the timeline goes from 0 to {}", self.head),
            ));
        }
        self.running = false;
        let now = self.world.now();
        if tick > now && self.world.error().is_none() {
            self.run_to(tick);
        } else if tick != now {
            self.rebuild(tick);
        }
        Ok(format!("showing tick {}", self.world.now()))
    }
}

/// The checker's verdict on a history so far (a pending operation may or may not take effect).
pub(crate) fn verdict_of(history: &History) -> VerdictReport {
    match history.workload {
        // Linearizability can be hard: bounded in time, so that the page stays responsive.
        dgame_engine::Workload::Register | dgame_engine::Workload::Kv => {
            let options = dgame_checker::Options::default().max_time(Some(Duration::from_secs(2)));
            VerdictReport::of(&dgame_checker::check(&history.to_checker(), &options))
        }
        // The other workloads' checks are linear in the history.
        _ => VerdictReport::of(&history.check()),
    }
}

/// A seed for "new seed": small enough to read and type.
fn fresh_seed(old: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(old);
    let seed = h.finish() % 100_000;
    if seed == old { seed + 1 } else { seed }
}

/// The state as JSON, or, if showing it panicked in a way the hooks did not catch, the error.
fn publish<N: Node>(game: &mut Session<N>, hub: &Hub) -> Arc<Value> {
    let value = Arc::new(state::to_json(game));
    hub.publish((*value).clone());
    value
}

/// The game thread's body, for node type `N`.
pub fn run_game<N: Node + Default>(setup: GameSetup) {
    // A handler that never returns leaves this thread stuck in it: the watchdog halts the game
    // from its own thread (the page shows why, commands are refused) and the server serves on.
    let hub = setup.hub.clone();
    let on_stuck: crate::watch::OnStuck = Arc::new(move |stuck, budget| {
        let why = format!("{stuck} ({})", crate::watch::budget_hint(budget));
        hub.halt(&why, |last| halted_state(last, stuck.tick, &why));
    });
    crate::watch::reporting_to(on_stuck, || play::<N>(setup));
}

/// The last state of a game halted because of `why` at `tick`: the one before it, stopped,
/// with the error as a run that stops on one shows it.
fn halted_state(last: &Value, tick: u64, why: &str) -> Value {
    let mut state = last.clone();
    if let Value::Object(s) = &mut state {
        s.insert("running".into(), Value::Bool(false));
        s.insert("finished".into(), Value::Bool(true));
        s.insert("error".into(), Value::String(why.to_owned()));
        s.insert("verdict".into(), serde_json::json!({ "verdict": "error", "error": why }));
        if let Some(Value::Array(log)) = s.get_mut("log") {
            let seq = log.iter().filter_map(|e| e["seq"].as_u64()).max().unwrap_or(0) + 1;
            let text = format!("the run stopped: {why}");
            log.push(serde_json::json!({ "seq": seq, "tick": tick, "kind": "error", "text": text, "by_user": false }));
        }
    }
    state
}

fn play<N: Node + Default>(setup: GameSetup) {
    let GameSetup { algorithm, config, speed, paused, program, commands, hub } = setup;
    // However this thread ends (a panic in a node's constructor included), the streams end too.
    let _close = CloseOnDrop(hub.clone());
    let mut game = Session::<N>::new(algorithm, program, config, 1);
    game.speed = speed;
    game.running = !paused;
    publish(&mut game, &hub);
    let mut next_tick = Instant::now() + interval(game.speed);
    loop {
        let received = if game.running {
            commands.recv_timeout(next_tick.saturating_duration_since(Instant::now()))
        } else {
            commands.recv().map_err(|_| RecvTimeoutError::Disconnected)
        };
        match received {
            Ok(Envelope { command: Command::Quit, .. }) | Err(RecvTimeoutError::Disconnected) => break,
            // The handler the watchdog gave up on returned after all: the game stays halted.
            Ok(Envelope { reply, .. }) if let Some(why) = hub.halted() => {
                game.running = false;
                let _ = reply.send(Err(halted_error(&why)));
            }
            Ok(Envelope { command, reply }) => {
                let was_running = game.running;
                let old_speed = game.speed;
                let outcome = handle(&mut game, command);
                let state = publish(&mut game, &hub);
                let _ = reply.send(outcome.map(|did| (did, state)));
                if game.running && (!was_running || game.speed != old_speed) {
                    // A new speed takes effect at once: the next tick is one new interval away
                    // at most, not where the old speed had put it.
                    let soon = Instant::now() + interval(game.speed);
                    if !was_running || soon < next_tick {
                        next_tick = soon;
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) if hub.halted().is_some() => game.running = false,
            Err(RecvTimeoutError::Timeout) => {
                game.tick();
                publish(&mut game, &hub);
                let now = Instant::now();
                next_tick += interval(game.speed);
                // After a stall (a slow checker, a suspended laptop), do not race to catch up.
                if next_tick < now {
                    next_tick = now + interval(game.speed);
                }
            }
        }
    }
}

/// What a command gets once the game has halted because of `why`.
pub(crate) fn halted_error(why: &str) -> ApiError {
    ApiError::new(503, format!("the game has stopped: {why}; fix the handler and start the game again"))
}

fn interval(speed: f64) -> Duration {
    Duration::from_secs_f64(1.0 / speed)
}

const OVER: &str = "the game is over: restart it, or go back on the timeline to play on";

fn handle<N: Node + Default>(game: &mut Session<N>, command: Command) -> Result<String, ApiError> {
    match command {
        Command::Drop(id) => game.intervene(Fault::Drop(SignalId(id))),
        Command::Node(node, action) => {
            let fault = game.node_fault(node, action)?;
            game.intervene(fault)
        }
        Command::Pause => {
            game.running = false;
            Ok(format!("paused at tick {}", game.world.now()))
        }
        Command::Resume => {
            if game.finished() {
                return Err(ApiError::new(409, OVER));
            }
            game.running = true;
            Ok(format!("running from tick {}", game.world.now()))
        }
        Command::Step => {
            if game.finished() {
                return Err(ApiError::new(409, OVER));
            }
            game.running = false;
            game.tick();
            Ok(format!("ran tick {}", game.world.now()))
        }
        Command::Back => {
            let now = game.world.now();
            if now == 0 {
                return Err(ApiError::new(409, "this is tick 0: there is nothing before it"));
            }
            game.seek(now - 1)
        }
        Command::Seek(tick) => game.seek(tick),
        Command::Speed(speed) => {
            if !(super::MIN_SPEED..=super::MAX_SPEED).contains(&speed) {
                return Err(ApiError::new(
                    400,
                    format!("a speed is between {} and {} ticks per second", super::MIN_SPEED, super::MAX_SPEED),
                ));
            }
            game.speed = speed;
            Ok(format!("{speed} ticks per second"))
        }
        Command::PauseOnViolation(on) => {
            game.pause_on_violation = on;
            Ok(format!("pause on violation {}", if on { "on" } else { "off" }))
        }
        Command::Restart(choice) => {
            let mut base = game.base.clone();
            base.seed = match choice {
                SeedChoice::Same => base.seed,
                SeedChoice::New => fresh_seed(base.seed),
                SeedChoice::Given(s) => s,
            };
            let number = game.number + 1;
            let mut fresh = Session::<N>::new(game.algorithm, game.program.clone(), base, number);
            fresh.speed = game.speed;
            fresh.running = game.running || game.finished();
            fresh.pause_on_violation = game.pause_on_violation;
            let text = format!("game {number}: {}, seed {}", game.algorithm, fresh.base.seed);
            *game = fresh;
            Ok(text)
        }
        Command::Quit => Ok("bye".into()),
    }
}

/// What the page shows of a node's status.
pub(crate) fn status_name(s: NodeStatus) -> &'static str {
    match s {
        NodeStatus::Up => "up",
        NodeStatus::Crashed => "crashed",
        NodeStatus::Paused => "paused",
    }
}
