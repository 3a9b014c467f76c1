//! Files: configurations and histories read with a size limit, traces and saved runs written
//! as the run goes, and `replay`.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::rc::Rc;

use dgame_checker::workload::detect::{detect, family};
use dgame_checker::workload::{Format, ReadError, WorkloadHistory, WorkloadKind};
use dgame_engine::Config;
use dgame_engine::event::{Event, Observer};
use dgame_engine::workload::Workload;
use serde::{Deserialize, Serialize};

use super::source::HistorySource;
use crate::registry::{Algorithm, find};
use crate::report::RunOutput;

/// The largest `--config` file read: a configuration is a few lines; anything this big is a
/// mistake (a trace given by accident, `/dev/zero`).
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;
/// The largest saved run `dgame replay` reads.
pub const MAX_SAVED_RUN_BYTES: u64 = 1 << 30;

/// A saved run: enough to run it again and compare every event.
#[derive(Debug, Serialize, Deserialize)]
struct SavedRun {
    /// Always `dgame-run`.
    format: String,
    /// The format's version.
    version: u32,
    algorithm: String,
    config: Config,
    /// Every event, as the trace writes them.
    events: Vec<serde_json::Value>,
}

const FORMAT: &str = "dgame-run";

fn is_edn(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("edn"))
}

/// Whether a file given as `-` has read standard input.
static STDIN_TAKEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Reads a text file of at most `limit` bytes without spending more memory than that on it,
/// even when it is a device (`/dev/zero`) or a pipe whose size is unknown; `-` is standard
/// input.
pub fn read_limited(path: &Path, limit: u64, what: &str) -> Result<String, String> {
    let stdin = path == Path::new("-");
    let input: Box<dyn Read> = if stdin {
        // Standard input can be read once: a second `-` (`--config - --script -`) would read
        // nothing and run as if it had been left out.
        if STDIN_TAKEN.swap(true, std::sync::atomic::Ordering::Relaxed) {
            return Err(format!(
                "{what}: standard input (-) was already read for another file of this command; give this one a file"
            ));
        }
        Box::new(std::io::stdin().lock())
    } else {
        let file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if file.metadata().is_ok_and(|m| m.is_file() && m.len() > limit) {
            return Err(format!("{}: {what} is larger than the limit of {} MiB", path.display(), limit >> 20));
        }
        Box::new(file)
    };
    let path = if stdin { Path::new("standard input (-)") } else { path };
    let too_big = || format!("{}: {what} is larger than the limit of {} MiB", path.display(), limit >> 20);
    let mut bytes = Vec::new();
    input.take(limit + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|e| {
        format!("{}: not UTF-8 text (invalid byte at offset {})", path.display(), e.utf8_error().valid_up_to())
    })
}

/// Reads a `--config` file: at most [`MAX_CONFIG_BYTES`], a UTF-8 byte order mark (as some
/// Windows editors write) skipped.
pub fn read_config(path: &Path) -> Result<String, String> {
    let text = read_limited(path, MAX_CONFIG_BYTES, "the configuration")?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

/// Opens a reading of a history, buffered, and says which format it is in: EDN if the file
/// ends in `.edn` or its first line that is no comment starts like EDN, else JSON lines.
fn open_history(source: &HistorySource) -> Result<(std::io::BufReader<Box<dyn Read>>, Format), String> {
    use std::io::BufRead as _;
    let mut input = std::io::BufReader::with_capacity(1 << 16, source.reader()?);
    let head = input.fill_buf().map_err(|e| format!("cannot read {}: {e}", source.name()))?;
    let head = String::from_utf8_lossy(head);
    let head = head.strip_prefix('\u{feff}').unwrap_or(&head);
    let first = head.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with(';'));
    let looks_edn = first.is_some_and(|l| l.starts_with('[') || l.starts_with('(') || l.starts_with("{:"));
    Ok((input, if is_edn(source.path()) || looks_edn { Format::Edn } else { Format::Jsonl }))
}

/// "FILE: this is a register history (line 2: an event with :f :write), not a broadcast one;
/// check it with `--workload register`".
fn wrong_workload(name: &str, found: &str, line: usize, evidence: &str, expected: &str) -> String {
    format!(
        "{name}: this is a {found} history (line {line}: {evidence}), not a {expected} one; check it with `--workload {found}`"
    )
}

/// After a reader's error: the error, or, when the file is recognisably another workload's
/// history than `expected`, that (which is what is really wrong).
fn explain_read_error(source: &HistorySource, format: Format, expected: &str, error: String) -> String {
    let other = source
        .reader()
        .ok()
        .and_then(|r| detect(std::io::BufReader::new(r), format))
        .filter(|d| family(d.workload) != family(expected));
    match other {
        Some(d) => wrong_workload(source.name(), d.workload, d.line, &d.evidence, expected),
        None => format!("{}: {error}", source.name()),
    }
}

/// Reads a register or key-value history (`workload` is one of those two). The file is
/// streamed straight into operations (its text is never held whole, but for a pipe's: see
/// [`HistorySource`]), so memory follows the history's size; a line or form over the readers'
/// limit (1 MiB) is an error naming it, so `/dev/zero` stops at once. A file of another
/// workload is an error naming both; so is a register history (an operation without a key)
/// read as a key-value one.
pub fn read_history(source: &HistorySource, workload: Workload) -> Result<dgame_checker::History, String> {
    let (input, format) = open_history(source)?;
    let read = match format {
        Format::Edn => dgame_checker::edn::read_from(input).map_err(|e| e.to_string()),
        Format::Jsonl => dgame_checker::jsonl::read_from(input).map_err(|e| e.to_string()),
    };
    let history = read.map_err(|e| explain_read_error(source, format, workload.name(), e))?;
    if workload == Workload::Kv
        && let Some(i) = history.ops.iter().position(|op| op.key.is_none())
    {
        return Err(format!(
            "{}: this is a register history (operation {i}, {}, has no key), not a kv one; check it with `--workload register`",
            source.name(),
            history.describe(i)
        ));
    }
    Ok(history)
}

/// Reads every operation of a register or key-value history into `each` (with its index
/// and a watermark: see `dgame_checker::edn::for_each_op`), streaming. `None`: the history
/// cannot be read this way (a read error, a history that must be read whole, or, for `kv`,
/// an operation without a key): read it with [`read_history`], which gives the error's
/// message.
fn for_each_op(
    source: &HistorySource,
    workload: Workload,
    mut each: impl FnMut(usize, dgame_checker::Operation, u64),
) -> Option<dgame_checker::TimeUnit> {
    let (input, format) = open_history(source).ok()?;
    let mut keyless = false;
    let mut each = |i, op: dgame_checker::Operation, watermark| {
        keyless |= op.key.is_none();
        each(i, op, watermark);
    };
    let unit = match format {
        Format::Edn => dgame_checker::edn::for_each_op(input, &mut each).ok()??,
        Format::Jsonl => dgame_checker::jsonl::for_each_op(input, |i, op| {
            let invoke = op.invoke;
            each(i, op, invoke);
        })
        .ok()?,
    };
    (!(workload == Workload::Kv && keyless)).then_some(unit)
}

/// Checks a register or key-value history while reading it (see `dgame_checker::stream`):
/// memory follows the longest stretch of a register without a quiescent point, not the file.
/// A violation is explained from the history read again (two or three more readings; a pipe's
/// from the bytes kept of it, see [`HistorySource`]). Returns the verdict and the number of
/// operations, or `None` when the history is to be read whole instead (it is not in
/// invocation order, the segments could not decide (`StreamVerdict::Undecided`), it is not
/// read as it should be; [`read_history`] then reads it, with its error messages).
pub fn check_streaming(
    source: &HistorySource,
    workload: Workload,
    options: &dgame_checker::Options,
) -> Option<(dgame_checker::Verdict, usize)> {
    use dgame_checker::stream::{StreamChecker, StreamVerdict};
    let mut checker = StreamChecker::new(options);
    for_each_op(source, workload, |i, op, watermark| {
        checker.push(i, op);
        checker.advance(watermark);
    })?;
    let operations = checker.len();
    let verdict = match checker.finish() {
        StreamVerdict::Linearizable => dgame_checker::Verdict::Linearizable { witness: Vec::new() },
        StreamVerdict::Unknown(verdict) => verdict,
        // Not in invocation order, or the segments may have used an unknown operation twice.
        StreamVerdict::Disordered | StreamVerdict::Undecided => return None,
        StreamVerdict::NotLinearizable(violation) => {
            let mut excerpt = violation.excerpt(options);
            loop {
                let unit = for_each_op(source, workload, |i, op, _| excerpt.feed(i, op))?;
                if let Some(verdict) = excerpt.end_of_input(unit) {
                    break verdict;
                }
            }
        }
    };
    Some((verdict, operations))
}

/// Reads a history of a broadcast, counter or unique-ids workload, streamed like
/// [`read_history`]; a file of another workload is an error naming both.
pub fn read_workload_history(source: &HistorySource, kind: WorkloadKind) -> Result<WorkloadHistory, String> {
    let (input, format) = open_history(source)?;
    WorkloadHistory::read(input, format, kind).map_err(|e| match e {
        ReadError::WrongWorkload { line, expected, found, evidence } => {
            wrong_workload(source.name(), found, line, &evidence, expected)
        }
        other => explain_read_error(source, format, kind.name(), other.to_string()),
    })
}

fn create(path: &Path) -> Result<BufWriter<File>, String> {
    File::create(path).map(BufWriter::new).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A run's history as a file holds it: register and key-value histories as the
/// linearizability checker reads them (keys as Jepsen's `[key value]` in EDN, `"key"` in JSON
/// lines), the other workloads in their checkers' formats.
fn history_text(history: &dgame_engine::History, format: Format) -> String {
    match (history.to_workload(), format) {
        (Some(w), format) => w.write(format),
        (None, Format::Edn) => dgame_checker::edn::write(&history.to_checker()),
        (None, Format::Jsonl) => dgame_checker::jsonl::write(&history.to_checker()),
    }
}

/// The file of `run --history-out`, created before the run so that a path that cannot be
/// written is refused before the run's time is spent.
pub struct HistoryFile {
    path: std::path::PathBuf,
    out: BufWriter<File>,
}

impl HistoryFile {
    /// Creates (or empties) the file.
    pub fn create(path: &Path) -> Result<Self, String> {
        Ok(HistoryFile { path: path.to_owned(), out: create(path)? })
    }

    /// Writes a run's history: EDN if the file ends in `.edn`, else JSON lines.
    pub fn write(mut self, out: &RunOutput) -> Result<(), String> {
        let format = if is_edn(&self.path) { Format::Edn } else { Format::Jsonl };
        let text = history_text(&out.history, format);
        self.out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))
    }
}

/// One file events stream into as the run goes: a trace (JSON lines) or a saved run (one JSON
/// document, its events array written event by event).
struct Sink {
    path: std::path::PathBuf,
    out: BufWriter<File>,
    /// A saved run: a comma goes before every event but the first.
    saved: bool,
    events: u64,
}

/// Streams the events of a run into `--trace-out` and `--save` files: nothing is kept in
/// memory but the write buffers. The first write error is kept and the rest skipped.
#[derive(Default)]
pub struct EventWriter {
    sinks: Vec<Sink>,
    error: Option<String>,
}

impl EventWriter {
    /// Opens the files: a trace at `trace`, a saved run of `algorithm` and `config` at `save`.
    pub fn open(trace: Option<&Path>, save: Option<&Path>, algorithm: &str, config: &Config) -> Result<Self, String> {
        let mut w = EventWriter::default();
        if let Some(path) = trace {
            w.sinks.push(Sink { path: path.to_owned(), out: create(path)?, saved: false, events: 0 });
        }
        if let Some(path) = save {
            let mut out = create(path)?;
            // The same document `serde_json` writes for `SavedRun`, field by field.
            let head = format!(
                "{{\"format\":{},\"version\":1,\"algorithm\":{},\"config\":{},\"events\":[",
                serde_json::to_string(FORMAT).expect("strings serialize"),
                serde_json::to_string(algorithm).expect("strings serialize"),
                serde_json::to_string(config).expect("configurations serialize"),
            );
            out.write_all(head.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            w.sinks.push(Sink { path: path.to_owned(), out, saved: true, events: 0 });
        }
        Ok(w)
    }

    /// Whether there is anything to write.
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    /// Ends the files and reports the first error.
    pub fn finish(&mut self) -> Result<(), String> {
        for s in &mut self.sinks {
            if self.error.is_some() {
                break;
            }
            let end: &[u8] = if s.saved { b"]}" } else { b"" };
            if let Err(e) = s.out.write_all(end).and_then(|()| s.out.flush()) {
                self.error = Some(format!("cannot write {}: {e}", s.path.display()));
            }
        }
        self.error.take().map_or(Ok(()), Err)
    }
}

impl Observer for EventWriter {
    fn on_event(&mut self, event: &Event<'_>) {
        if self.error.is_some() {
            return;
        }
        let line = serde_json::to_string(&event.to_owned_event()).expect("events serialize");
        for s in &mut self.sinks {
            let r = if s.saved {
                let sep: &[u8] = if s.events == 0 { b"" } else { b"," };
                s.out.write_all(sep).and_then(|()| s.out.write_all(line.as_bytes()))
            } else {
                s.out.write_all(line.as_bytes()).and_then(|()| s.out.write_all(b"\n"))
            };
            s.events += 1;
            if let Err(e) = r {
                self.error = Some(format!("cannot write {}: {e}", s.path.display()));
                return;
            }
        }
    }
}

/// Compares a replay's events with the saved ones as they happen, keeping none of its own.
struct Comparer {
    saved: Vec<serde_json::Value>,
    seen: usize,
    first_difference: Option<(usize, serde_json::Value)>,
}

impl Comparer {
    /// Whether the replay has shown itself different: an event that differs, or one more than
    /// the saved run holds. The replay stops there: what comes after cannot make it the same,
    /// and a doctored `ticks` could make the rest of the run endless.
    fn decided(&self) -> bool {
        self.first_difference.is_some()
    }
}

impl Observer for Comparer {
    fn on_event(&mut self, event: &Event<'_>) {
        let i = self.seen;
        self.seen += 1;
        if self.first_difference.is_some() {
            return;
        }
        let got = serde_json::to_value(event.to_owned_event()).expect("events serialize");
        if self.saved.get(i) != Some(&got) {
            self.first_difference = Some((i, got));
        }
    }
}

/// `dgame replay FILE`: 0 when every event matches, 1 at the first difference, 2 on bad input.
/// The replay is compared as it runs and stops at the end of the tick of its first difference.
pub fn replay(algorithms: &[Algorithm], path: &Path, program: &str) -> Result<ExitCode, String> {
    let text = read_limited(path, MAX_SAVED_RUN_BYTES, "the saved run")?;
    let saved: SavedRun = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a run saved by `dgame run --save` ({e})", path.display()))?;
    drop(text);
    if saved.format != FORMAT || saved.version != 1 {
        return Err(format!(
            "{}: format {} version {} is not one this dgame reads",
            path.display(),
            saved.format,
            saved.version
        ));
    }
    let algorithm = find(algorithms, &saved.algorithm)?;
    saved.config.validate().map_err(|e| format!("{}: {e}", path.display()))?;
    // A doctored run may claim any length: the replay stops at its first difference, but one
    // that goes on without events is warned of, and held to the memory limit as it goes.
    super::memory::hold(&saved.config);
    if let Some(w) = super::lint::long_run(&saved.config) {
        eprintln!("warning: {}: {w}", path.display());
    }
    let command = saved.config.command_line(program, &saved.algorithm);
    let total = saved.events.len();
    let comparer = Rc::new(RefCell::new(Comparer { saved: saved.events, seen: 0, first_difference: None }));
    let observer = Box::new(dgame_engine::event::SharedObserver(comparer.clone()));
    let options = crate::registry::RunOptions { observer: Some(observer), ..Default::default() };
    let stop = || comparer.borrow().decided();
    let run = algorithm.run_with_stop(&saved.config, options, &stop).map_err(|e| e.to_string())?;
    let c = comparer.borrow();
    let mut out = std::io::stdout().lock();
    let result = if let Some((i, got)) = &c.first_difference {
        match c.saved.get(*i) {
            Some(want) => writeln!(
                out,
                "DIFFERENT at event {i} of {total} (tick {}):\n  saved:  {want}\n  replay: {got}",
                run.ticks_run
            ),
            None => writeln!(
                out,
                "DIFFERENT: the saved run has {total} events, the replay more (stopped at tick {} of {}); its \
                 event {total}: {got}",
                run.ticks_run, saved.config.ticks
            ),
        }
        .map(|()| ExitCode::from(1))
    } else if c.seen != total {
        writeln!(out, "DIFFERENT: the saved run has {total} events, the replay {}", c.seen).map(|()| ExitCode::from(1))
    } else {
        writeln!(out, "IDENTICAL: all {total} events of {} match ({command})", path.display())
            .map(|()| ExitCode::SUCCESS)
    };
    result.map_err(|e| super::output_error(&e))
}

/// A trace line as today's format writes it (for tests: the streamed trace must match it).
#[cfg(test)]
fn trace_line(e: &dgame_engine::OwnedEvent) -> String {
    serde_json::to_string(e).expect("events serialize") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;
    use dgame_engine::{History, Operation};

    /// Keeps the values it was sent, and tells no other node: with one node valid, with more
    /// the final reads of the others lack them.
    #[derive(Debug, Default)]
    struct Keeper {
        values: Vec<Value>,
    }

    #[node(workload(broadcast))]
    impl Keeper {
        #[endpoint(BroadcastRequest)]
        fn broadcast(&mut self, req: BroadcastRequest) -> ClientWriteResponse {
            self.values.push(req.value);
            ClientWriteResponse::ok()
        }
        #[endpoint(BroadcastReadRequest)]
        fn read(&mut self, _: BroadcastReadRequest) -> BroadcastReadResponse {
            BroadcastReadResponse::ok(self.values.iter().copied())
        }
    }

    /// A counter of its own adds only.
    #[derive(Debug, Default)]
    struct LocalSum {
        sum: i64,
    }

    #[node(workload(counter, pn_counter))]
    impl LocalSum {
        #[endpoint(CounterAddRequest)]
        fn add(&mut self, req: CounterAddRequest) -> ClientWriteResponse {
            self.sum += req.delta;
            ClientWriteResponse::ok()
        }
        #[endpoint(CounterReadRequest)]
        fn read(&mut self, _: CounterReadRequest) -> CounterReadResponse {
            CounterReadResponse::ok(self.sum)
        }
    }

    /// Counts from 1, like every other node: ids repeat across nodes.
    #[derive(Debug, Default)]
    struct Count {
        next: u64,
    }

    #[node(workload(unique_ids))]
    impl Count {
        #[endpoint(GenerateRequest)]
        fn generate(&mut self, _: GenerateRequest) -> GenerateResponse {
            self.next += 1;
            GenerateResponse::ok(self.next)
        }
    }

    fn run(algorithm: &Algorithm, workload: Workload, nodes: u32, loss: f64, seed: u64) -> History {
        let config = Config::builder()
            .nodes(nodes)
            .clients(3)
            .ticks(400)
            .seed(seed)
            .workload(workload)
            .loss(loss)
            .build()
            .expect("a valid configuration");
        algorithm.run(&config).expect("the run starts").history
    }

    /// Writes `history` in both formats, reads each back as `workload`, and returns what was
    /// read with the file's name.
    /// What a file read back as: a workload's history or a register one.
    type ReadBack = (String, Option<WorkloadHistory>, Option<dgame_checker::History>);

    fn round_trip(history: &History) -> Vec<ReadBack> {
        let dir = tempfile::tempdir().unwrap();
        let mut out = Vec::new();
        for name in ["h.edn", "h.jsonl"] {
            let path = dir.path().join(name);
            let format = if name.ends_with("edn") { Format::Edn } else { Format::Jsonl };
            std::fs::write(&path, history_text(history, format)).unwrap();
            let read = match history.to_workload() {
                Some(w) => (Some(read_workload_history(&HistorySource::open(&path).unwrap(), w.kind()).unwrap()), None),
                None => (None, Some(read_history(&HistorySource::open(&path).unwrap(), history.workload).unwrap())),
            };
            out.push((name.to_owned(), read.0, read.1));
        }
        out
    }

    #[test]
    fn every_workload_s_run_reads_back_from_either_format_with_the_same_verdict() {
        let keeper = Algorithm::new::<Keeper>("keeper", "none with several nodes");
        let sum = Algorithm::new::<LocalSum>("local-sum", "none with several nodes");
        let count = Algorithm::new::<Count>("count", "none with several nodes");
        let builtin = crate::registry::builtin();
        let abd = crate::registry::find(&builtin, "abd").unwrap();
        let raft = crate::registry::find(&builtin, "raft").unwrap();
        let cases = [
            (&keeper, Workload::Broadcast),
            (&sum, Workload::Counter),
            (&sum, Workload::PnCounter),
            (&count, Workload::UniqueIds),
            (abd, Workload::Register),
            (raft, Workload::Kv),
        ];
        let mut verdicts = std::collections::BTreeSet::new();
        for (algorithm, workload) in cases {
            for (nodes, loss, seed) in [(1, 0.0, 1), (3, 0.0, 2), (3, 0.2, 3)] {
                let history = run(algorithm, workload, nodes, loss, seed);
                let what = format!("{workload} on {nodes} nodes, loss {loss}, seed {seed}");
                assert!(history.operations.len() > 10, "{what}: too few operations to tell");
                let verdict = history.check();
                verdicts.insert((workload, verdict.is_ok()));
                for (name, w, registers) in round_trip(&history) {
                    match (w, registers) {
                        (Some(w), _) => {
                            assert_eq!(Some(&w), history.to_workload().as_ref(), "{what}, {name}: operations differ");
                            assert_eq!(w.check(), verdict, "{what}, {name}: verdicts differ");
                        }
                        (None, Some(h)) => {
                            // Keys included: a kv history reads back with every key.
                            assert_eq!(h, history.to_checker(), "{what}, {name}: operations differ");
                            assert_eq!(h.ops.iter().any(|op| op.key.is_some()), workload == Workload::Kv, "{what}");
                            let options = dgame_checker::Options::default().max_time(None);
                            assert_eq!(dgame_checker::check(&h, &options), verdict, "{what}, {name}: verdicts differ");
                        }
                        (None, None) => unreachable!(),
                    }
                }
            }
        }
        // Each of the workloads beyond the register was seen both valid and invalid.
        for workload in [Workload::Broadcast, Workload::Counter, Workload::PnCounter, Workload::UniqueIds] {
            for ok in [true, false] {
                assert!(
                    verdicts.contains(&(workload, ok)),
                    "{workload}: no run was {}",
                    if ok { "valid" } else { "invalid" }
                );
            }
        }
    }

    #[test]
    fn every_outcome_survives_the_round_trip() {
        // Pending, unknown, failed and ok operations; one that reached no node.
        let op = |index, client, kind, invoke, complete, outcome, node: Option<u32>| Operation {
            index,
            client: ClientId(client),
            kind,
            invoke,
            complete,
            outcome,
            node: node.map(NodeId),
        };
        let history = History {
            workload: Workload::Broadcast,
            operations: vec![
                op(0, 1, OpKind::Broadcast(5), 10, Some(12), Outcome::Ok(None), Some(1)),
                op(1, 2, OpKind::Broadcast(6), 11, Some(50), Outcome::Unknown, None),
                op(2, 3, OpKind::Broadcast(7), 11, Some(13), Outcome::Failed, Some(2)),
                op(3, 1, OpKind::Broadcast(8), 20, None, Outcome::Pending, Some(3)),
                op(
                    4,
                    3,
                    OpKind::BroadcastRead { final_read: true, values: vec![5, 7] },
                    90,
                    Some(91),
                    Outcome::Ok(None),
                    Some(2),
                ),
            ],
        };
        let verdict = history.check();
        let e = verdict.explanation().expect("the failed send of 7 was read");
        assert_eq!(
            e.op_descriptions,
            [
                "client 3 final read of 2 values via n2 at ticks 90-91, ok",
                "client 3 broadcast 7 via n2 at ticks 11-13, failed"
            ]
        );
        for (name, w, _) in round_trip(&history) {
            assert_eq!(w.as_ref(), history.to_workload().as_ref(), "{name}");
            assert_eq!(w.unwrap().check(), verdict, "{name}");
        }
    }

    #[test]
    fn the_streamed_trace_and_saved_run_are_the_bytes_the_whole_run_would_give() {
        let dir = tempfile::tempdir().unwrap();
        let (trace, save) = (dir.path().join("t.jsonl"), dir.path().join("s.json"));
        let abd = &crate::registry::builtin()[0];
        let config = Config { ticks: 150, seed: 2, ..Config::default() };
        let writer = Rc::new(RefCell::new(EventWriter::open(Some(&trace), Some(&save), "abd", &config).unwrap()));
        let log = Rc::new(RefCell::new(dgame_engine::EventLog::default()));
        let both = {
            let (w, l) = (writer.clone(), log.clone());
            move |e: &Event<'_>| {
                w.borrow_mut().on_event(e);
                l.borrow_mut().on_event(e);
            }
        };
        abd.run_observed(&config, Box::new(both)).unwrap();
        writer.borrow_mut().finish().unwrap();
        let events = &log.borrow().events;
        let expected: String = events.iter().map(trace_line).collect();
        assert_eq!(std::fs::read_to_string(&trace).unwrap(), expected);
        let whole = SavedRun {
            format: FORMAT.into(),
            version: 1,
            algorithm: "abd".into(),
            config,
            events: events.iter().map(|e| serde_json::to_value(e).unwrap()).collect(),
        };
        let read: SavedRun = serde_json::from_str(&std::fs::read_to_string(&save).unwrap()).unwrap();
        assert_eq!(serde_json::to_value(&read).unwrap(), serde_json::to_value(&whole).unwrap());
    }
}
