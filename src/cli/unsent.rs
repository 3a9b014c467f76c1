//! Which signals of a run's choice script (`--deviate`, `--script`) the run never sent: a
//! deviation for one of them did nothing, which `run` says after the run.

use std::collections::BTreeSet;

use dgame_engine::event::{Event, EventKind, Interest, Observer};
use dgame_engine::{Config, Script};

/// Most signal ids a warning lists.
const LISTED: usize = 10;

/// Watches the signals sent for the ones a choice script names.
#[derive(Debug, Default)]
pub struct ScriptWatch {
    /// The ids the script names that no signal has had yet.
    unsent: BTreeSet<u64>,
    /// Signals sent, and the highest id among them.
    sent: u64,
    highest: u64,
}

impl ScriptWatch {
    /// A watch for the signals `script` names.
    pub fn new(script: &Script) -> Self {
        ScriptWatch { unsent: script.iter().map(|(id, _)| id.0).collect(), ..ScriptWatch::default() }
    }

    /// The warning, if the script named signals the run never sent.
    pub fn warning(&self) -> Option<String> {
        let n = self.unsent.len();
        if n == 0 {
            return None;
        }
        let mut ids: Vec<String> = self.unsent.iter().take(LISTED).map(u64::to_string).collect();
        if n > LISTED {
            ids.push(format!("and {} more", n - LISTED));
        }
        let (them, did) = if n == 1 { ("signal", "its deviation did") } else { ("signals", "their deviations did") };
        let sent = match self.sent {
            0 => "the run sent no signal".to_owned(),
            1 => "the run sent 1 signal (id 1)".to_owned(),
            s if s == self.highest => format!("the run sent {s} signals (ids 1 to {s})"),
            s => format!("the run sent {s} signals (the highest id {})", self.highest),
        };
        Some(format!(
            "the choice script (--deviate/--script) names {them} {} that the run never sent: {did} nothing; \
             {sent}; --trace-out FILE lists every signal with its id",
            ids.join(", ")
        ))
    }
}

impl Observer for ScriptWatch {
    fn interest(&self) -> Interest {
        Interest::NONE.with(EventKind::SignalSent)
    }

    fn on_event(&mut self, event: &Event<'_>) {
        if let Event::SignalSent { signal, .. } = event {
            self.sent += 1;
            self.highest = self.highest.max(signal.0);
            if !self.unsent.is_empty() {
                self.unsent.remove(&signal.0);
            }
        }
    }
}

/// Two observers as one (a run takes one), each given only the events it wants.
pub struct Both {
    observers: [(Box<dyn Observer>, Interest); 2],
}

impl Both {
    /// `a` and `b`, in that order.
    pub fn new(a: Box<dyn Observer>, b: Box<dyn Observer>) -> Self {
        let (ia, ib) = (a.interest(), b.interest());
        Both { observers: [(a, ia), (b, ib)] }
    }
}

impl Observer for Both {
    fn interest(&self) -> Interest {
        self.observers[0].1.union(self.observers[1].1)
    }

    fn on_event(&mut self, event: &Event<'_>) {
        let kind = event.kind();
        for (observer, interest) in &mut self.observers {
            if interest.contains(kind) {
                observer.on_event(event);
            }
        }
    }
}

/// Whether a run of `config` needs a watch (it has a choice script).
pub fn needed(config: &Config) -> bool {
    !config.deviations.is_empty()
}
