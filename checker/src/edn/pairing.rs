//! The rules every EDN reader applies to the events of each process, whatever the workload:
//! every event has `:time` or none does; a process runs one operation at a time; a
//! completion comes no earlier than its invocation. [`Pairing`] keeps what these rules need
//! of each process, so that the register's reader and the workloads' refuse the same
//! histories with the same words.

use std::collections::HashMap;

use super::EdnError;

/// An operation a process has invoked and not completed yet: what the reader keeps of it,
/// and the time and line of its invocation.
pub(crate) struct Invoked<T> {
    /// The reader's own record of the operation.
    pub(crate) op: T,
    /// When it was invoked (the event's `:time`, or its position).
    pub(crate) time: u64,
    /// The line of the invocation.
    pub(crate) line: usize,
}

/// Pairs each process's invocations with its completions, event by event, refusing what
/// the rules above refuse. `T` is what the reader keeps of an open operation.
pub(crate) struct Pairing<T> {
    /// Whether the first event had `:time`, and its line: the pattern every event follows.
    first: Option<(bool, usize)>,
    /// The events seen so far: the next one's position.
    events: u64,
    /// Process -> its open operation.
    open: HashMap<u64, Invoked<T>>,
    /// Process -> the time and line of its latest completion, in timed histories.
    completed: HashMap<u64, (u64, usize)>,
}

impl<T> Pairing<T> {
    pub(crate) fn new() -> Self {
        Pairing { first: None, events: 0, open: HashMap::new(), completed: HashMap::new() }
    }

    /// The time of the next event, on `line` with `time` as its `:time`: that time, or in a
    /// history without `:time` the event's position (0, 1, 2, ...). An error if the event
    /// breaks the first event's pattern: a history given `:time` on some events only has no
    /// times to use (its positions would be taken instead, silently changing the order of
    /// its operations).
    pub(crate) fn time(&mut self, line: usize, time: Option<u64>) -> Result<u64, EdnError> {
        let pos = self.events;
        self.events += 1;
        let (timed, first_line) = *self.first.get_or_insert((time.is_some(), line));
        if timed == time.is_some() {
            return Ok(time.unwrap_or(pos));
        }
        let (this, first) = if timed { ("no :time", "has one") } else { ("a :time", "has none") };
        Err(EdnError::Event {
            line,
            message: format!(
                "this event has {this}, but the first event (line {first_line}) {first}; give every event a :time or \
                 none (without :time, the events' positions are their times)"
            ),
        })
    }

    /// Whether the events have `:time` (no events: not).
    pub(crate) fn timed(&self) -> bool {
        self.first.is_some_and(|(timed, _)| timed)
    }

    /// `process` invokes `op` at `time`, on `line`. An error if its previous operation is
    /// still open, or, with `:time`, completed after `time` (the overlap JSON lines refuses).
    pub(crate) fn invoke(&mut self, line: usize, process: u64, time: u64, op: T) -> Result<(), EdnError> {
        if let Some(open) = self.open.get(&process) {
            return Err(EdnError::Event {
                line,
                message: format!(
                    "process {process} invokes an operation while its operation invoked on line {} is still open; a \
                     process runs one operation at a time: complete that one before this line (:ok, :fail, or :info \
                     if its outcome is unknown), or give this invocation another process (Jepsen gives a crashed \
                     process a new one)",
                    open.line
                ),
            });
        }
        if let Some(&(done, done_line)) = self.completed.get(&process)
            && time < done
        {
            return Err(EdnError::Event {
                line,
                message: format!(
                    "process {process} invokes an operation at time {time}, before its previous operation completed \
                     at time {done} (line {done_line}); a process runs one operation at a time: fix the times"
                ),
            });
        }
        self.open.insert(process, Invoked { op, time, line });
        Ok(())
    }

    /// The operation `process` has open, taken out for the completion being read (`None`:
    /// it has none; see [`never_invoked`]). Give it to [`Pairing::complete`].
    pub(crate) fn take(&mut self, process: u64) -> Option<Invoked<T>> {
        self.open.remove(&process)
    }

    /// `process` completes `invoked` (from [`Pairing::take`]) at `time`, on `line`. An
    /// error if that is before its invocation.
    pub(crate) fn complete(
        &mut self,
        line: usize,
        process: u64,
        time: u64,
        invoked: &Invoked<T>,
    ) -> Result<(), EdnError> {
        if time < invoked.time {
            return Err(EdnError::Event {
                line,
                message: format!(
                    "process {process} completes at time {time}, before it invoked the operation at time {} (line {}); \
                     a completion cannot come before its invocation",
                    invoked.time, invoked.line
                ),
            });
        }
        if self.timed() {
            self.completed.insert(process, (time, line));
        }
        Ok(())
    }

    /// The operations still open at the end, in no particular order.
    pub(crate) fn into_open(self) -> impl Iterator<Item = Invoked<T>> {
        self.open.into_values()
    }
}

/// A completion (`ty`: `ok` or `fail`) on `line` by `process`, which has no operation open
/// (the readers skip an `:info` there).
pub(crate) fn never_invoked(line: usize, process: u64, ty: &str) -> EdnError {
    EdnError::Event {
        line,
        message: format!(
            "process {process} completes an operation (:{ty}) it never invoked; add its :invoke event before this line"
        ),
    }
}
