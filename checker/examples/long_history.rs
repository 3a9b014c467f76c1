//! Writes a long register history as JSON lines to standard output, streaming (it never
//! holds more than one chunk): chunks of `generator::generate` histories one after another,
//! each shifted in time (and, with unique values, in value) past the previous one, so that
//! the history has a quiescent point between chunks, as simulator histories with pauses do.
//! Operations are written in invocation order. Linearizable by construction.
//!
//! `cargo run --release -p dgame-checker --example long_history -- OPS [CLIENTS] [CHUNK] [reuse|unique] [nocuts] [timeouts] > FILE`
//!
//! - `OPS`: operations in all (e.g. 100000000); `CLIENTS` (default 4); `CHUNK`: operations
//!   between quiescent points (default 1000);
//! - `reuse`: values 1..9 instead of unique ones;
//! - `nocuts`: the first operation is a write that timed out (outcome unknown, never
//!   completed, its value never read), which may take effect at any later moment, so no
//!   point of the history is quiescent for it (the checker carries it across cuts);
//! - `timeouts`: 1% of each chunk's writes time out (outcome unknown; they did take
//!   effect, and later reads, in the next chunk too, may observe them).

use std::io::{BufWriter, Write};

use dgame_checker::generator::{GenConfig, generate};
use dgame_checker::{History, OpKind, Outcome, jsonl};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let total: usize = args.first().and_then(|a| a.parse().ok()).expect("usage: long_history OPS [CLIENTS] [CHUNK]");
    let clients: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(4);
    let chunk: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let reuse = args.iter().any(|a| a == "reuse");
    let nocuts = args.iter().any(|a| a == "nocuts");
    let timeouts = args.iter().any(|a| a == "timeouts");
    let out = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, out.lock());
    writeln!(out, "{{\"time_unit\":\"ticks\"}}").unwrap();
    let (mut time_base, mut value_base) = (0u64, 0u64);
    // The register's value at the end of the previous chunk: a chunk's reads of the empty
    // register come before its first write, so they read this instead.
    let mut last: Option<u64> = None;
    let mut written = 0usize;
    if nocuts {
        // Value 0 is never written or read by the chunks.
        writeln!(out, "{{\"client\":{clients},\"f\":\"write\",\"value\":0,\"invoke\":0,\"outcome\":\"unknown\"}}")
            .unwrap();
        written += 1;
        time_base = 1;
    }
    let mut seed = 1;
    while written < total {
        let n = chunk.min(total - written);
        let config = GenConfig {
            clients,
            ops: n,
            value_reuse: reuse.then_some(9),
            timed_out_writes: if timeouts { n / 100 } else { 0 },
            seed,
            ..GenConfig::default()
        };
        seed += 1;
        let mut h: History = generate(&config);
        // In generation order (the linearization order), find the chunk's final value.
        let mut end_value = last;
        for op in &mut h.ops {
            op.invoke += time_base;
            if let Some(c) = op.complete.as_mut() {
                *c += time_base;
            }
            if !reuse && let OpKind::Write(v) = &mut op.kind {
                *v += value_base;
            }
            match (&mut op.kind, &mut op.outcome) {
                (OpKind::Read, Outcome::Ok { read }) => {
                    *read = match *read {
                        None => last,
                        Some(v) if !reuse => Some(v + value_base),
                        Some(v) => Some(v),
                    };
                }
                // A timed-out write took effect too.
                (OpKind::Write(v), Outcome::Ok { .. } | Outcome::Unknown) => end_value = Some(*v),
                _ => {}
            }
        }
        let max_time = h.ops.iter().map(|o| o.complete.unwrap_or(o.invoke)).max().unwrap_or(time_base);
        let max_value = h.ops.iter().filter_map(|o| if let OpKind::Write(v) = o.kind { Some(v) } else { None }).max();
        h.ops.sort_by_key(|o| (o.invoke, o.complete));
        let text = jsonl::write(&h);
        // Skip the header line of each chunk.
        out.write_all(text.split_once('\n').map_or("", |(_, rest)| rest).as_bytes()).unwrap();
        written += n;
        time_base = max_time + 2;
        value_base = value_base.max(max_value.unwrap_or(0));
        last = end_value;
    }
    out.flush().unwrap();
}
