//! The simulation thread: it owns the world, ticks it at the chosen speed, carries out the
//! commands the HTTP threads send, records every intervention, and publishes the state.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use dgame_engine::event::{Event, Observer, SharedObserver as Shared};
use dgame_engine::message::short_type_name;
use dgame_engine::{
    Config, DropReason, Fault, History, Node, NodeId, NodeStatus, Outcome, Scheduled, ServerId, SignalId, World,
    WorldError,
};
use serde::{Deserialize, Serialize};

use super::hub::{CloseOnDrop, Hub};
use super::state;
use crate::report::VerdictReport;

/// Everything the game thread needs, sent to it when it starts.
pub struct GameSetup {
    pub(crate) algorithm: &'static str,
    pub(crate) config: Config,
    pub(crate) speed: f64,
    pub(crate) paused: bool,
    pub(crate) commands: Receiver<Envelope>,
    pub(crate) hub: Arc<Hub>,
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
    Speed(f64),
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

/// What a command did (one line) and the state after it (JSON).
pub(crate) type Reply = Result<(String, Arc<str>), ApiError>;

/// A command with where to send its outcome.
pub(crate) struct Envelope {
    pub command: Command,
    pub reply: Sender<Reply>,
}

/// An entry of the event log the page shows.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LogEntry {
    /// Counts up from 1 over the whole game, so a tab knows which entries are new.
    pub seq: u64,
    pub tick: u64,
    /// `drop`, `fault`, `leader`, `operation`, `error` or `game`.
    pub kind: &'static str,
    pub text: String,
    /// Whether a person did it (a click), not the configuration or the network.
    pub by_user: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<DropReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<ServerId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<ServerId>,
}

/// How many log entries the state carries.
const LOG_LEN: usize = 120;

/// Watches the world's events for the log, the routes of signals (to say where a dropped one
/// was), and whether the history changed.
#[derive(Default)]
pub(crate) struct Recorder {
    pub log: VecDeque<LogEntry>,
    seq: u64,
    routes: HashMap<SignalId, (ServerId, ServerId, String)>,
    pub history_changed: bool,
    /// Set while a person's intervention is applied.
    pub by_user: bool,
    /// The node the latest fault crashed (the drops that follow at once are its inbox's).
    crashing: Option<NodeId>,
}

impl Recorder {
    pub fn push(&mut self, tick: u64, kind: &'static str, text: String) -> &mut LogEntry {
        self.seq += 1;
        if self.log.len() == LOG_LEN {
            self.log.pop_front();
        }
        let by_user = self.by_user;
        self.log.push_back(LogEntry {
            seq: self.seq,
            tick,
            kind,
            text,
            by_user,
            signal: None,
            reason: None,
            from: None,
            to: None,
        });
        self.log.back_mut().expect("just pushed")
    }
}

impl Observer for Recorder {
    fn on_event(&mut self, event: &Event<'_>) {
        match *event {
            Event::SignalSent { signal, from, to, message, .. } => {
                self.crashing = None;
                self.routes.insert(signal, (from, to, short_type_name(message.type_name()).into_owned()));
            }
            Event::SignalDelivered { signal, .. } => {
                self.routes.remove(&signal);
            }
            Event::SignalDropped { tick, signal, reason } => {
                let why = match reason {
                    DropReason::Loss => "lost by the network",
                    DropReason::Partition => "lost on a cut link",
                    DropReason::ById => "dropped",
                    DropReason::Crashed => "lost: its recipient has crashed",
                };
                let route = self.routes.remove(&signal);
                let crashing = self.crashing;
                let text = match (&route, crashing) {
                    (Some((from, to, ty)), _) => format!("#{} {ty} {} → {} {why}", signal.0, from.short(), to.short()),
                    // Delivered but not yet handled: it was in the inbox of the node crashing now.
                    (None, Some(n)) => format!("#{} in n{}'s inbox lost: n{} crashed", signal.0, n.0, n.0),
                    (None, None) => format!("#{} {why}", signal.0),
                };
                let e = self.push(tick, "drop", text);
                e.signal = Some(signal.0);
                e.reason = Some(reason);
                e.from = route.as_ref().map(|r| r.0);
                e.to = route.as_ref().map(|r| r.1).or(crashing.map(ServerId::Node));
            }
            // A dropped signal has its own entry, with where it was.
            Event::Fault { fault: Fault::Drop(_), .. } => {}
            Event::Fault { tick, fault } => {
                self.crashing = match fault {
                    Fault::Crash(n) => Some(*n),
                    _ => None,
                };
                let text = fault.to_string();
                self.push(tick, "fault", text);
            }
            Event::LeaderChanged { tick, leader } => {
                self.push(tick, "leader", format!("the gateway now routes to n{}", leader.0));
            }
            Event::OperationInvoked { .. } => self.history_changed = true,
            Event::OperationCompleted { tick, operation } => {
                self.history_changed = true;
                let what = match operation.outcome {
                    Outcome::Failed => Some("failed"),
                    Outcome::Unknown => Some("timed out (unknown)"),
                    _ => None,
                };
                if let Some(what) = what {
                    let text = format!("c{} {} {what}", operation.client.0, operation.label());
                    self.push(tick, "operation", text);
                }
            }
            _ => {}
        }
    }
}

/// One game: a world and what the page needs besides it.
pub(crate) struct Game<N: Node> {
    pub algorithm: &'static str,
    pub world: World<N>,
    /// The configuration the game started from (without the clicks).
    pub base: Config,
    /// The interventions so far, each at the tick it acts from.
    pub clicks: Vec<Scheduled>,
    pub recorder: Rc<RefCell<Recorder>>,
    pub verdict: VerdictReport,
    /// Counts games since the server started (a restart makes a new one).
    pub number: u64,
    pub running: bool,
    pub speed: f64,
}

impl<N: Node + Default> Game<N> {
    fn new(algorithm: &'static str, base: Config, number: u64, log: VecDeque<LogEntry>, seq: u64) -> Self {
        let mut world = World::<N>::new(base.clone()).expect("the configuration was validated");
        let recorder = Rc::new(RefCell::new(Recorder { log, seq, ..Recorder::default() }));
        world.subscribe(Shared(recorder.clone()));
        Game {
            algorithm,
            world,
            base,
            clicks: Vec::new(),
            recorder,
            verdict: VerdictReport::Linearizable,
            number,
            running: false,
            speed: 5.0,
        }
    }
}

impl<N: Node> Game<N> {
    /// Whether the game can go on.
    pub fn finished(&self) -> bool {
        self.world.now() >= self.base.ticks || self.world.error().is_some()
    }

    /// The configuration that replays the game so far, clicks included. A click between tick
    /// `t` and `t + 1` is a fault at `t + 1`, and acts before the faults the configuration
    /// itself schedules at that tick: clicks go first (the world sorts faults stably).
    pub fn replay_config(&self) -> Config {
        let mut c = self.base.clone();
        c.schedule = self.clicks.iter().chain(&self.base.schedule).cloned().collect();
        // The nemesis plans from the run's length, so with one the length must stay.
        if c.nemesis.is_none() && self.world.now() > 0 {
            c.ticks = self.world.now();
        }
        c
    }

    fn tick(&mut self) {
        if self.finished() {
            self.running = false;
            return;
        }
        if let Err(e) = self.world.tick() {
            let now = self.world.now();
            self.recorder.borrow_mut().push(now, "error", format!("the run stopped: {e}"));
            self.running = false;
            self.verdict = VerdictReport::Error { error: e.to_string() };
            return;
        }
        if self.finished() {
            self.running = false;
        }
        self.check();
    }

    /// Runs the checker again if the history changed.
    fn check(&mut self) {
        if !std::mem::take(&mut self.recorder.borrow_mut().history_changed) {
            return;
        }
        self.verdict = verdict_of(self.world.history());
    }

    /// Applies a person's intervention now and records it at the next tick.
    fn intervene(&mut self, fault: Fault) -> Result<String, ApiError> {
        if self.finished() {
            return Err(ApiError::new(409, "the game is over: restart it to play on"));
        }
        self.recorder.borrow_mut().by_user = true;
        let result = self.world.apply(fault.clone());
        self.recorder.borrow_mut().by_user = false;
        result.map_err(|e| match e {
            WorldError::NoSuchSignal(_) | WorldError::NoSuchServer(_) => ApiError::new(404, e.to_string()),
            WorldError::InvalidFault(_) | WorldError::Stopped(_) => ApiError::new(409, e.to_string()),
        })?;
        let scheduled = Scheduled { at: self.world.now() + 1, fault };
        let text = scheduled.to_string();
        self.clicks.push(scheduled);
        Ok(text)
    }

    fn node_fault(&self, node: u32, action: NodeAction) -> Result<Fault, ApiError> {
        let id = NodeId(node);
        if self.world.node_status(id).is_none() {
            return Err(ApiError::new(
                404,
                format!("there is no node {node}: nodes are numbered 1 to {}", self.world.node_count()),
            ));
        }
        let me = ServerId::Node(id);
        Ok(match action {
            NodeAction::Crash => Fault::Crash(id),
            NodeAction::Restart => Fault::Restart(id),
            NodeAction::Pause => Fault::Pause(id),
            NodeAction::Resume => Fault::Resume(id),
            NodeAction::Isolate => Fault::Isolate(id),
            NodeAction::Heal => {
                if !self.world.cut_links().any(|(a, b)| a == me || b == me) {
                    return Err(ApiError::new(409, format!("{id} is not cut off from anyone")));
                }
                Fault::Rejoin(id)
            }
        })
    }
}

/// The checker's verdict on a history so far (a pending operation may or may not take effect).
pub(crate) fn verdict_of(history: &History) -> VerdictReport {
    let options = dgame_checker::Options::default().max_time(Some(Duration::from_secs(2)));
    VerdictReport::of(&dgame_checker::check(&history.to_checker(), &options))
}

/// A seed for "new seed": small enough to read and type.
fn fresh_seed(old: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(old);
    let seed = h.finish() % 100_000;
    if seed == old { seed + 1 } else { seed }
}

/// The game thread's body, for node type `N`.
pub fn run_game<N: Node + Default>(setup: GameSetup) {
    let GameSetup { algorithm, config, speed, paused, commands, hub } = setup;
    // However this thread ends (a panic in a node's `Debug` included), the streams end too.
    let _close = CloseOnDrop(hub.clone());
    let mut game = Game::<N>::new(algorithm, config, 1, VecDeque::new(), 0);
    game.speed = speed;
    game.running = !paused;
    game.recorder.borrow_mut().push(0, "game", format!("game 1: {algorithm}, seed {}", game.base.seed));
    game.check_initial();
    hub.publish(state::to_json(&game));
    let mut next_tick = Instant::now() + interval(game.speed);
    loop {
        let received = if game.running {
            commands.recv_timeout(next_tick.saturating_duration_since(Instant::now()))
        } else {
            commands.recv().map_err(|_| RecvTimeoutError::Disconnected)
        };
        match received {
            Ok(Envelope { command: Command::Quit, .. }) | Err(RecvTimeoutError::Disconnected) => break,
            Ok(Envelope { command, reply }) => {
                let was_running = game.running;
                let outcome = handle(&mut game, command);
                let json = state::to_json(&game);
                hub.publish(json.clone());
                let _ = reply.send(outcome.map(|did| (did, json.into())));
                if game.running && !was_running {
                    next_tick = Instant::now() + interval(game.speed);
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                game.tick();
                hub.publish(state::to_json(&game));
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

impl<N: Node> Game<N> {
    fn check_initial(&mut self) {
        self.verdict = verdict_of(self.world.history());
    }
}

fn interval(speed: f64) -> Duration {
    Duration::from_secs_f64(1.0 / speed)
}

fn handle<N: Node + Default>(game: &mut Game<N>, command: Command) -> Result<String, ApiError> {
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
                return Err(ApiError::new(409, "the game is over: restart it to play on"));
            }
            game.running = true;
            Ok(format!("running from tick {}", game.world.now()))
        }
        Command::Step => {
            if game.finished() {
                return Err(ApiError::new(409, "the game is over: restart it to play on"));
            }
            game.running = false;
            game.tick();
            Ok(format!("ran tick {}", game.world.now()))
        }
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
        Command::Restart(choice) => {
            let mut base = game.base.clone();
            base.seed = match choice {
                SeedChoice::Same => base.seed,
                SeedChoice::New => fresh_seed(base.seed),
                SeedChoice::Given(s) => s,
            };
            let (log, seq) = {
                let r = game.recorder.borrow();
                (r.log.clone(), r.seq)
            };
            let number = game.number + 1;
            let mut fresh = Game::<N>::new(game.algorithm, base, number, log, seq);
            fresh.speed = game.speed;
            fresh.running = game.running || game.finished();
            let text = format!("game {number}: {}, seed {}", game.algorithm, fresh.base.seed);
            fresh.recorder.borrow_mut().push(0, "game", text.clone());
            fresh.check_initial();
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
