//! Wing–Gong–Lowe search with memoization, for any register history.
//!
//! The history is a doubly linked list of call and return events in time order. The search
//! walks it from the front: at a call it tries to take that operation as the next one in the
//! order; at a return it has failed to place an operation that must already have happened,
//! and backtracks. Every (register state, set of placed operations) it reaches is remembered,
//! so no configuration is explored twice.
//!
//! The memo stores a placed-operation set as the bitset words between the lowest unplaced
//! operation and the highest placed one: its size follows the concurrency window, not the
//! history's length. Entries live in one arena and are found through an incrementally
//! maintained Zobrist hash, so a memo lookup costs no allocation.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::prepare::{EMPTY, Op, State};

/// Limits on one search.
pub(crate) struct Budget {
    pub(crate) max_steps: Option<u64>,
    pub(crate) deadline: Option<std::time::Instant>,
    pub(crate) max_memory_bytes: usize,
}

/// What the search found. Orders are positions in the `ops` slice it was given.
pub(crate) enum Search {
    Linearizable(Vec<usize>),
    Violation,
    Unknown { reason: String, longest: Vec<usize> },
}

const NONE: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Entry {
    op: u32,
    /// For a call: its return entry (or `NONE` for an optional operation).
    ret: u32,
    is_call: bool,
    prev: u32,
    next: u32,
}

/// A hasher for keys that are already well-mixed 64-bit hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
}

pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct MemoEntry {
    state: State,
    start_word: u32,
    offset: u32,
    len: u32,
    next: u32,
}

/// The set of visited (state, placed set) configurations.
struct Memo {
    heads: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    entries: Vec<MemoEntry>,
    arena: Vec<u64>,
}

impl Memo {
    fn new() -> Self {
        Memo {
            heads: HashMap::default(),
            entries: Vec::new(),
            arena: Vec::new(),
        }
    }

    fn bytes(&self) -> usize {
        self.heads.capacity() * 16
            + self.entries.capacity() * std::mem::size_of::<MemoEntry>()
            + self.arena.capacity() * 8
    }

    /// Inserts the configuration; returns false if it was already there.
    fn insert(&mut self, hash: u64, state: State, start_word: u32, words: &[u64]) -> bool {
        let head = self.heads.get(&hash).copied().unwrap_or(NONE);
        let mut cur = head;
        while cur != NONE {
            let e = &self.entries[cur as usize];
            if e.state == state
                && e.start_word == start_word
                && e.len as usize == words.len()
                && &self.arena[e.offset as usize..e.offset as usize + e.len as usize] == words
            {
                return false;
            }
            cur = e.next;
        }
        let offset = self.arena.len() as u32;
        self.arena.extend_from_slice(words);
        self.entries.push(MemoEntry {
            state,
            start_word,
            offset,
            len: words.len() as u32,
            next: head,
        });
        self.heads.insert(hash, (self.entries.len() - 1) as u32);
        true
    }
}

/// The placed-operation set as a bitset, with its lowest clear bit and highest set bit.
struct Placed {
    bits: Vec<u64>,
    /// Lowest position not placed.
    low: usize,
    /// Count of placed positions at or above each position is not needed; we keep the
    /// highest placed position per stack depth instead (see `search`).
    len: usize,
}

impl Placed {
    fn new(len: usize) -> Self {
        Placed {
            bits: vec![0; len.div_ceil(64).max(1)],
            low: 0,
            len,
        }
    }
    fn set(&mut self, p: usize) {
        self.bits[p / 64] |= 1 << (p % 64);
        if p == self.low {
            while self.low < self.len && self.bits[self.low / 64] & (1 << (self.low % 64)) != 0 {
                self.low += 1;
            }
        }
    }
    fn clear(&mut self, p: usize) {
        self.bits[p / 64] &= !(1 << (p % 64));
        if p < self.low {
            self.low = p;
        }
    }
    /// The canonical window of words: from the lowest unplaced to the highest placed.
    fn window(&self, high: usize) -> (u32, &[u64]) {
        let start = self.low / 64;
        let end = high.div_ceil(64).max(start);
        (start as u32, &self.bits[start..end])
    }
}

/// Searches for an order of `ops` (sorted by call time) starting from the empty register.
pub(crate) fn search(ops: &[Op], budget: &Budget) -> Search {
    let n = ops.len();
    let required_total = ops.iter().filter(|o| o.required).count();
    if required_total == 0 {
        return Search::Linearizable(Vec::new());
    }

    // Events: calls before returns at equal times, since equal times mean "concurrent".
    let mut events: Vec<(u64, u8, u32)> = Vec::with_capacity(2 * n);
    for (i, op) in ops.iter().enumerate() {
        events.push((op.call, 0, i as u32));
        if op.required {
            events.push((op.ret, 1, i as u32));
        }
    }
    events.sort_unstable();
    // Entry 0 is the head sentinel.
    let mut entries: Vec<Entry> = Vec::with_capacity(events.len() + 1);
    entries.push(Entry {
        op: NONE,
        ret: NONE,
        is_call: false,
        prev: NONE,
        next: NONE,
    });
    let mut call_entry = vec![NONE; n];
    for &(_, kind, op) in &events {
        let id = entries.len() as u32;
        let prev = id - 1;
        entries[prev as usize].next = id;
        if kind == 0 {
            call_entry[op as usize] = id;
        } else {
            entries[call_entry[op as usize] as usize].ret = id;
        }
        entries.push(Entry {
            op,
            ret: NONE,
            is_call: kind == 0,
            prev,
            next: NONE,
        });
    }

    let zobrist: Vec<u64> = (0..n as u64).map(|i| mix64(i ^ 0x5EED_0F_0DE5)).collect();
    let state_hash = |s: State| mix64(u64::from(s) ^ 0xC0FF_EE00_0000_0000);

    let mut placed = Placed::new(n);
    let mut memo = Memo::new();
    let mut hash: u64 = 0;
    let mut state: State = EMPTY;
    let mut required_left = required_total;
    // (call entry, state before, highest placed position + 1 before)
    let mut stack: Vec<(u32, State, usize)> = Vec::new();
    let mut high: usize = 0;
    let mut longest: Vec<usize> = Vec::new();
    let mut common: usize = 0;
    let mut steps: u64 = 0;

    let mut cursor = entries[0].next;
    loop {
        steps += 1;
        if steps & 0xFFF == 0 {
            if let Some(max) = budget.max_steps
                && steps > max
            {
                return unknown(format!("the step budget ({max} steps) ran out"), longest, &stack, ops, &entries, common);
            }
            if let Some(deadline) = budget.deadline
                && std::time::Instant::now() > deadline
            {
                return unknown("the time budget ran out".to_string(), longest, &stack, ops, &entries, common);
            }
            if memo.bytes() > budget.max_memory_bytes {
                return unknown(
                    format!("the memory budget ({} bytes) ran out", budget.max_memory_bytes),
                    longest,
                    &stack,
                    ops,
                    &entries,
                    common,
                );
            }
        }
        if cursor == NONE {
            // Only optional calls were left and none could be placed: with every required
            // operation placed we would have stopped already, so this is a dead end.
            if !backtrack(&mut stack, &mut entries, &mut placed, &mut hash, &mut state, &mut required_left, &mut high, &mut cursor, ops, &zobrist, &mut common) {
                return Search::Violation;
            }
            continue;
        }
        let e = entries[cursor as usize];
        if e.is_call {
            let p = e.op as usize;
            if let Some(next_state) = ops[p].act.apply(state) {
                placed.set(p);
                let new_hash = hash ^ zobrist[p];
                let new_high = high.max(p + 1);
                let (start, words) = placed.window(new_high);
                if memo.insert(new_hash ^ state_hash(next_state), next_state, start, words) {
                    stack.push((cursor, state, high));
                    hash = new_hash;
                    high = new_high;
                    state = next_state;
                    if ops[p].required {
                        required_left -= 1;
                    }
                    lift(&mut entries, cursor);
                    if stack.len() > longest.len() {
                        longest.truncate(common);
                        longest.extend(stack[common..].iter().map(|&(c, _, _)| entries[c as usize].op as usize));
                        common = stack.len();
                    }
                    if required_left == 0 {
                        return Search::Linearizable(
                            stack.iter().map(|&(c, _, _)| entries[c as usize].op as usize).collect(),
                        );
                    }
                    cursor = entries[0].next;
                    continue;
                }
                placed.clear(p);
            }
            cursor = e.next;
        } else if !backtrack(&mut stack, &mut entries, &mut placed, &mut hash, &mut state, &mut required_left, &mut high, &mut cursor, ops, &zobrist, &mut common) {
            return Search::Violation;
        }
    }
}

fn unknown(
    reason: String,
    mut longest: Vec<usize>,
    stack: &[(u32, State, usize)],
    _ops: &[Op],
    entries: &[Entry],
    _common: usize,
) -> Search {
    if stack.len() > longest.len() {
        longest = stack.iter().map(|&(c, _, _)| entries[c as usize].op as usize).collect();
    }
    Search::Unknown { reason, longest }
}

#[allow(clippy::too_many_arguments)]
fn backtrack(
    stack: &mut Vec<(u32, State, usize)>,
    entries: &mut [Entry],
    placed: &mut Placed,
    hash: &mut u64,
    state: &mut State,
    required_left: &mut usize,
    high: &mut usize,
    cursor: &mut u32,
    ops: &[Op],
    zobrist: &[u64],
    common: &mut usize,
) -> bool {
    let Some((call, prev_state, prev_high)) = stack.pop() else {
        return false;
    };
    *common = (*common).min(stack.len());
    let p = entries[call as usize].op as usize;
    placed.clear(p);
    *hash ^= zobrist[p];
    *state = prev_state;
    *high = prev_high;
    if ops[p].required {
        *required_left += 1;
    }
    unlift(entries, call);
    *cursor = entries[call as usize].next;
    true
}

fn lift(entries: &mut [Entry], call: u32) {
    let e = entries[call as usize];
    entries[e.prev as usize].next = e.next;
    if e.next != NONE {
        entries[e.next as usize].prev = e.prev;
    }
    if e.ret != NONE {
        let r = entries[e.ret as usize];
        entries[r.prev as usize].next = r.next;
        if r.next != NONE {
            entries[r.next as usize].prev = r.prev;
        }
    }
}

fn unlift(entries: &mut [Entry], call: u32) {
    let e = entries[call as usize];
    if e.ret != NONE {
        let r = entries[e.ret as usize];
        entries[r.prev as usize].next = e.ret;
        if r.next != NONE {
            entries[r.next as usize].prev = e.ret;
        }
    }
    entries[e.prev as usize].next = call;
    if e.next != NONE {
        entries[e.next as usize].prev = call;
    }
}
