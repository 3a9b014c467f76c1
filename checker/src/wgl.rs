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
use std::sync::atomic::{AtomicU64, Ordering};

use crate::prepare::{Act, EMPTY, Op, State};

/// Limits on one search.
pub(crate) struct Budget {
    pub(crate) max_steps: Option<u64>,
    pub(crate) deadline: Option<std::time::Instant>,
    pub(crate) max_memory_bytes: usize,
    /// Steps taken by all searches run under this budget so far.
    pub(crate) spent: AtomicU64,
}

impl Budget {
    pub(crate) fn new(max_steps: Option<u64>, deadline: Option<std::time::Instant>, max_memory_bytes: usize) -> Self {
        Budget { max_steps, deadline, max_memory_bytes, spent: AtomicU64::new(0) }
    }
}

/// Counts one search's steps and adds them to the budget's total when the search ends.
struct Steps<'a> {
    n: u64,
    spent: &'a AtomicU64,
}

impl Drop for Steps<'_> {
    fn drop(&mut self) {
        self.spent.fetch_add(self.n, Ordering::Relaxed);
    }
}

/// What the search found. Orders are positions in the `ops` slice it was given.
pub(crate) enum Search {
    Linearizable(Vec<usize>),
    /// No order exists. `frontier` is the latest return time at which the search hit a
    /// dead end: the operations that returned by then (and the optional ones invoked by
    /// then) already cannot be ordered, even with every later operation left optional.
    Violation {
        frontier: u64,
    },
    Unknown {
        reason: String,
        longest: Vec<usize>,
    },
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

/// How many configurations a memo has room for before it grows.
const MEMO_START: usize = 1024;

/// Most bytes of memo a thread keeps for its next search (see [`Memo::for_search`]): about
/// the largest a new memo starts at ([`MEMO_START`] entries), so a memory budget sees little
/// more than it did with a new one.
const SPARE_MEMO_BYTES: usize = 64 << 10;

thread_local! {
    /// The memo of this thread's last search, emptied, if it was small.
    static SPARE_MEMO: std::cell::Cell<Option<Memo>> = const { std::cell::Cell::new(None) };
}

/// The set of visited (state, placed set) configurations.
#[derive(Default)]
struct Memo {
    heads: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    entries: Vec<MemoEntry>,
    arena: Vec<u64>,
}

impl Memo {
    /// A memo sized for about `entries` configurations of `words` words each, so that a small
    /// search grows little.
    fn with_capacity(entries: usize, words: usize) -> Self {
        Memo {
            heads: HashMap::with_capacity_and_hasher(entries, Default::default()),
            entries: Vec::with_capacity(entries),
            arena: Vec::with_capacity(entries * words),
        }
    }

    /// An empty memo for a search: the one the last search on this thread left, if any.
    /// Most searches are small and many (the re-checks of an explanation, the segments of a
    /// long history), and each grew its memo again from a few dozen entries, with a
    /// reallocation and a rehash at every doubling.
    fn for_search(entries: usize, words: usize) -> Self {
        match SPARE_MEMO.take() {
            Some(mut memo) => {
                memo.heads.clear();
                memo.entries.clear();
                memo.arena.clear();
                memo
            }
            None => Memo::with_capacity(entries, words),
        }
    }

    /// Keeps this memo for the next search on this thread, if it is small.
    fn recycle(self) {
        if self.bytes() <= SPARE_MEMO_BYTES {
            SPARE_MEMO.set(Some(self));
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
        self.entries.push(MemoEntry { state, start_word, offset, len: words.len() as u32, next: head });
        self.heads.insert(hash, (self.entries.len() - 1) as u32);
        true
    }
}

/// The placed-operation set as a bitset, with its lowest clear bit and highest set bit.
struct Placed {
    bits: Vec<u64>,
    /// Lowest position not placed.
    low: usize,
    /// Number of positions (the highest placed one is tracked by the search, per frame).
    len: usize,
}

impl Placed {
    fn new(len: usize) -> Self {
        Placed { bits: vec![0; len.div_ceil(64).max(1)], low: 0, len }
    }
    fn set(&mut self, p: usize) {
        self.bits[p / 64] |= 1 << (p % 64);
        if p == self.low {
            while self.low < self.len && self.bits[self.low / 64] & (1 << (self.low % 64)) != 0 {
                self.low += 1;
            }
        }
    }
    #[inline]
    fn get(&self, p: usize) -> bool {
        self.bits[p / 64] & (1 << (p % 64)) != 0
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

/// One entry of the search stack: an operation placed in the order.
#[derive(Clone, Copy)]
struct Frame {
    /// Its call entry.
    call: u32,
    /// The register state before it.
    state: State,
    /// `high` before it.
    high: usize,
    /// Placed without trying alternatives (see `search`): backtracking passes through it.
    forced: bool,
    /// An optional operation resolved as "did not take effect".
    skipped: bool,
    /// The preferred call of the node this frame left (see `Searcher::node_start`).
    pref: u32,
    /// Whether this frame placed that preferred call.
    was_pref: bool,
}

/// The search's mutable state.
struct Searcher<'a> {
    ops: &'a [Op],
    entries: Vec<Entry>,
    /// Each operation's call entry.
    call_of: Vec<u32>,
    zobrist: Vec<u64>,
    placed: Placed,
    memo: Memo,
    hash: u64,
    state: State,
    required_left: usize,
    /// Highest placed position + 1.
    high: usize,
    stack: Vec<Frame>,
    /// The longest order seen, for an "unknown" verdict, and how much of it is still the
    /// bottom of `stack`.
    longest: Vec<usize>,
    common: usize,
    /// The current node's preferred call (tried first, then skipped in the list scan).
    pref: u32,
    /// Whether the cursor is at the preferred call, before the list scan.
    in_pref: bool,
    /// The latest return time of a dead end so far.
    frontier: u64,
}

/// The state as the memo sees it: the register's state, and whether the last operation
/// placed was an optional one that changed it (then a write may not come next, see
/// `Searcher::after_optional_change`, so the same state and placed set has a smaller
/// future and must not stand in for the unrestricted one).
fn memo_state(state: State, after_optional_change: bool) -> State {
    debug_assert!(state < 1 << 31);
    state | (u32::from(after_optional_change) << 31)
}

fn state_hash(s: State) -> u64 {
    mix64(u64::from(s) ^ 0xC0FF_EE00_0000_0000)
}

impl Drop for Searcher<'_> {
    fn drop(&mut self) {
        std::mem::take(&mut self.memo).recycle();
    }
}

impl Searcher<'_> {
    fn order(&self) -> Vec<usize> {
        self.stack.iter().filter(|f| !f.skipped).map(|f| self.entries[f.call as usize].op as usize).collect()
    }

    fn unknown(&self, reason: String) -> Search {
        let longest = if self.stack.len() > self.longest.len() {
            self.order()
        } else {
            self.longest.iter().copied().filter(|&p| p != usize::MAX).collect()
        };
        Search::Unknown { reason, longest }
    }

    /// Undoes the last placement that was a real choice. Returns the cursor to continue
    /// from, or `None` when nothing is left to undo (no order exists).
    fn backtrack(&mut self) -> Option<u32> {
        loop {
            let frame = self.stack.pop()?;
            self.common = self.common.min(self.stack.len());
            let p = self.entries[frame.call as usize].op as usize;
            self.state = frame.state;
            // A repeating operation that fired changed only the state; one whose window
            // closed (a skipped frame) was marked placed and lifted like any other.
            if !self.ops[p].repeat || frame.skipped {
                self.placed.clear(p);
                self.hash ^= self.zobrist[p];
                self.high = frame.high;
                if self.ops[p].required {
                    self.required_left += 1;
                }
                unlift(&mut self.entries, frame.call);
            }
            if !frame.forced {
                self.pref = frame.pref;
                self.in_pref = false;
                return Some(if frame.was_pref {
                    self.entries[0].next
                } else {
                    self.entries[frame.call as usize].next
                });
            }
        }
    }

    /// Where a new node's scan starts: its preferred call if it has one, else the list's
    /// head. The order of trying does not change what the search finds, only how soon it
    /// finds an order: first a read that can be placed (it would be forced anyway), then
    /// the operation with the earliest return (it is due first) if it can be placed, then
    /// the earliest-returning operation that stores the value it needs.
    fn node_start(&mut self) -> u32 {
        let head = self.entries[0].next;
        let mut cur = head;
        let mut due = NONE;
        let mut read = NONE;
        while cur != NONE {
            let e = &self.entries[cur as usize];
            if !e.is_call {
                due = e.op;
                break;
            }
            let op = &self.ops[e.op as usize];
            if op.required && matches!(op.act, Act::Read(_) | Act::NotEq(_)) && op.act.apply(self.state).is_some() {
                read = cur;
                break;
            }
            cur = e.next;
        }
        let mut pref = read;
        if pref == NONE && due != NONE {
            let d = &self.ops[due as usize];
            if d.act.apply(self.state).is_some() {
                pref = self.call_of[due as usize];
            } else if let Act::Read(v) | Act::Cas(v, _) = d.act {
                let mut best = u64::MAX;
                let mut cur = head;
                while cur != NONE {
                    let e = &self.entries[cur as usize];
                    if !e.is_call {
                        break;
                    }
                    let op = &self.ops[e.op as usize];
                    if !op.repeat && op.ret < best && op.act.apply(self.state) == Some(v) && op.act != Act::Read(v) {
                        best = op.ret;
                        pref = cur;
                    }
                    cur = e.next;
                }
            }
        }
        self.pref = pref;
        self.in_pref = pref != NONE;
        if pref == NONE { head } else { pref }
    }

    /// Whether the last operation placed (skips aside) was an optional one that changed
    /// the register. A write right after it would make it dead: the same order without it
    /// is valid too and is explored where it was not placed (or was resolved as not taking
    /// effect, which is the same memo entry), so that write need not be tried here.
    #[inline]
    fn after_optional_change(&self) -> bool {
        match self.stack.iter().rev().find(|f| !f.skipped) {
            Some(f) => {
                let op = &self.ops[self.entries[f.call as usize].op as usize];
                !op.required && matches!(op.act, Act::Write(_) | Act::Cas(..))
            }
            None => false,
        }
    }

    /// The next entry to try after `next` was the natural successor of the current one.
    #[inline]
    fn advance(&mut self, next: u32) -> u32 {
        if std::mem::replace(&mut self.in_pref, false) { self.entries[0].next } else { next }
    }
}

/// Searches for an order of `ops` (sorted by call time) starting from the empty register.
///
/// A read (or strict failed compare-and-set) that can be placed now is placed without
/// trying alternatives: moving it earlier in any valid order keeps the order valid, since
/// it changes nothing and everything it must follow is already placed. So if the search
/// fails after it, it fails here too.
pub(crate) fn search(ops: &[Op], budget: &Budget) -> Search {
    let n = ops.len();
    let required_total = ops.iter().filter(|o| o.required).count();
    if required_total == 0 {
        return Search::Linearizable(Vec::new());
    }

    // Events in time order: calls before returns at equal times, since equal times mean
    // "concurrent". Calls and returns are sorted apart and merged: the calls come sorted
    // already (a sorted input costs the stable sort one pass), so only the returns need a
    // real sort, half the work of sorting every event.
    let mut calls: Vec<(u64, u32)> = ops.iter().enumerate().map(|(i, op)| (op.call, i as u32)).collect();
    calls.sort();
    // Optional operations that never returned stay callable forever.
    let mut rets: Vec<(u64, u32)> = (ops.iter().enumerate())
        .filter(|(_, op)| op.required || op.ret != u64::MAX)
        .map(|(i, op)| (op.ret, i as u32))
        .collect();
    sort_nearly_sorted(&mut rets);
    let mut events: Vec<(u8, u32)> = Vec::with_capacity(calls.len() + rets.len());
    let (mut c, mut r) = (0, 0);
    while c < calls.len() || r < rets.len() {
        if r == rets.len() || (c < calls.len() && calls[c].0 <= rets[r].0) {
            events.push((0, calls[c].1));
            c += 1;
        } else {
            events.push((1, rets[r].1));
            r += 1;
        }
    }
    // Entry 0 is the head sentinel.
    let mut entries: Vec<Entry> = Vec::with_capacity(events.len() + 1);
    entries.push(Entry { op: NONE, ret: NONE, is_call: false, prev: NONE, next: NONE });
    let mut call_entry = vec![NONE; n];
    for &(kind, op) in &events {
        let id = entries.len() as u32;
        let prev = id - 1;
        entries[prev as usize].next = id;
        if kind == 0 {
            call_entry[op as usize] = id;
        } else {
            entries[call_entry[op as usize] as usize].ret = id;
        }
        entries.push(Entry { op, ret: NONE, is_call: kind == 0, prev, next: NONE });
    }

    // Operations with the same act, by (return, position): see `dominated`. Only the order
    // within a group matters, not the groups' order: taken in (return, position) order, from
    // the returns just sorted, and grouped by act in one pass (a sort by act cost as much as
    // the rest of this setup together).
    let by_return = (rets.iter().map(|&(_, p)| p))
        .filter(|&p| ops[p as usize].ret != u64::MAX)
        .chain((0..n as u32).filter(|&p| ops[p as usize].ret == u64::MAX))
        .filter(|&p| !ops[p as usize].repeat);
    let mut group_of_act: rustc_hash::FxHashMap<(u8, State, State), u32> = Default::default();
    let mut group_of = vec![0u32; n];
    let mut group_sizes: Vec<u32> = Vec::new();
    let mut grouped = 0;
    for p in by_return.clone() {
        let next = group_sizes.len() as u32;
        let g = *group_of_act.entry(act_key(ops[p as usize].act)).or_insert(next);
        if g == next {
            group_sizes.push(0);
        }
        group_sizes[g as usize] += 1;
        group_of[p as usize] = g;
        grouped += 1;
    }
    // Where each group starts, then each operation in its group's next place.
    let mut starts = Vec::with_capacity(group_sizes.len());
    let mut at = 0u32;
    for &size in &group_sizes {
        starts.push(at);
        at += size;
    }
    let mut next_place = starts.clone();
    let mut twins = vec![0u32; grouped];
    let mut twin_rank = vec![0u32; n];
    let mut group_start = vec![0u32; n];
    for p in by_return {
        let g = group_of[p as usize] as usize;
        let r = next_place[g];
        next_place[g] += 1;
        twins[r as usize] = p;
        twin_rank[p as usize] = r;
        group_start[p as usize] = starts[g];
    }
    let dom = Dominance { twins, twin_rank, group_start };

    let mut s = Searcher {
        ops,
        entries,
        call_of: call_entry,
        zobrist: (0..n as u64).map(|i| mix64(i ^ 0x5EED_0F0D_E500_0000)).collect(),
        placed: Placed::new(n),
        memo: Memo::for_search((2 * n).min(MEMO_START), 1),
        hash: 0,
        state: EMPTY,
        required_left: required_total,
        high: 0,
        // (Its depth is at most one frame per operation: sized once, not grown step by step.)
        stack: Vec::with_capacity(n.min(1 << 16)),
        longest: Vec::new(),
        common: 0,
        pref: NONE,
        in_pref: false,
        frontier: 0,
    };
    // Operations that may take effect any number of times are never placed; marking them
    // placed from the start keeps the memo window from being pinned at the first of them.
    // (Those with a finite interval are marked placed when their window closes.)
    for (p, op) in ops.iter().enumerate() {
        if op.repeat && op.ret == u64::MAX {
            s.placed.set(p);
        }
    }
    {
        let (start, words) = s.placed.window(s.high);
        s.memo.insert(state_hash(s.state), s.state, start, words);
    }
    let mut steps = Steps { n: 0, spent: &budget.spent };
    let mut cursor = s.node_start();
    loop {
        steps.n += 1;
        if steps.n & 0xFFF == 0 {
            if let Some(max) = budget.max_steps
                && steps.n > max
            {
                return s.unknown(format!("the step budget ({max} steps) ran out"));
            }
            if let Some(deadline) = budget.deadline
                && std::time::Instant::now() > deadline
            {
                return s.unknown("the time budget ran out".to_string());
            }
            if s.memo.bytes() > budget.max_memory_bytes {
                return s.unknown(format!("the memory budget ({} bytes) ran out", budget.max_memory_bytes));
            }
        }
        if !s.in_pref && cursor != NONE && cursor == s.pref {
            cursor = s.entries[cursor as usize].next;
            continue;
        }
        // At the end of the list only optional calls were left and none could be placed
        // (with every required operation placed we would have stopped): a dead end, like
        // a return.
        if cursor == NONE
            || (!s.entries[cursor as usize].is_call && ops[s.entries[cursor as usize].op as usize].required)
        {
            let at = if cursor == NONE { u64::MAX } else { ops[s.entries[cursor as usize].op as usize].ret };
            s.frontier = s.frontier.max(at);
            match s.backtrack() {
                Some(c) => cursor = c,
                None => return Search::Violation { frontier: s.frontier },
            }
            continue;
        }
        if !s.entries[cursor as usize].is_call {
            // The return of an optional operation: every way of placing it before here
            // was tried, so what is left is that it did not take effect. Resolve it as
            // such (it counts as placed for the memo: its future is settled) and go on.
            // Nothing else is left to try here, so backtracking passes through.
            let ret = s.entries[cursor as usize];
            let p = ret.op as usize;
            let call = s.call_of[p];
            s.placed.set(p);
            let new_hash = s.hash ^ s.zobrist[p];
            let new_high = s.high.max(p + 1);
            let (start, words) = s.placed.window(new_high);
            let k = memo_state(s.state, s.after_optional_change());
            if !s.memo.insert(new_hash ^ state_hash(k), k, start, words) {
                s.placed.clear(p);
                match s.backtrack() {
                    Some(c) => cursor = c,
                    None => return Search::Violation { frontier: s.frontier },
                }
                continue;
            }
            s.stack.push(Frame {
                call,
                state: s.state,
                high: s.high,
                forced: true,
                skipped: true,
                pref: s.pref,
                was_pref: false,
            });
            s.hash = new_hash;
            s.high = new_high;
            lift(&mut s.entries, call);
            cursor = s.node_start();
            continue;
        }
        let e = s.entries[cursor as usize];
        let p = e.op as usize;
        let op = ops[p];
        let Some(next_state) = op.act.apply(s.state) else {
            cursor = s.advance(e.next);
            continue;
        };
        if matches!(op.act, Act::Write(_)) && s.after_optional_change() {
            cursor = s.advance(e.next);
            continue;
        }
        if op.repeat {
            // A relaxed operation: it may fire again later, so it is not lifted and not
            // recorded as placed; only the state changes.
            if next_state != s.state {
                let (start, words) = s.placed.window(s.high);
                let k = memo_state(next_state, true);
                if s.memo.insert(s.hash ^ state_hash(k), k, start, words) {
                    s.stack.push(Frame {
                        call: cursor,
                        state: s.state,
                        high: s.high,
                        forced: false,
                        skipped: false,
                        pref: s.pref,
                        was_pref: s.in_pref,
                    });
                    s.state = next_state;
                    cursor = s.node_start();
                    continue;
                }
            }
            cursor = s.advance(e.next);
            continue;
        }
        let forced = op.required && matches!(op.act, Act::Read(_) | Act::NotEq(_));
        if !forced && dom.dominated(p, ops, &s.placed, frontier(&s.entries, ops, cursor)) {
            cursor = s.advance(e.next);
            continue;
        }
        s.placed.set(p);
        let new_hash = s.hash ^ s.zobrist[p];
        let new_high = s.high.max(p + 1);
        let (start, words) = s.placed.window(new_high);
        let k = memo_state(next_state, !op.required && matches!(op.act, Act::Write(_) | Act::Cas(..)));
        if !s.memo.insert(new_hash ^ state_hash(k), k, start, words) {
            s.placed.clear(p);
            if forced {
                // Placing it leads somewhere already explored and failed, so this
                // configuration fails too.
                match s.backtrack() {
                    Some(c) => cursor = c,
                    None => return Search::Violation { frontier: s.frontier },
                }
            } else {
                cursor = s.advance(e.next);
            }
            continue;
        }
        s.stack.push(Frame {
            call: cursor,
            state: s.state,
            high: s.high,
            forced,
            skipped: false,
            pref: s.pref,
            was_pref: s.in_pref,
        });
        s.hash = new_hash;
        s.high = new_high;
        s.state = next_state;
        if op.required {
            s.required_left -= 1;
        }
        lift(&mut s.entries, cursor);
        if s.stack.len() > s.longest.len() {
            let common = s.common;
            s.longest.truncate(common);
            let tail: Vec<usize> = s.stack[common..]
                .iter()
                .map(|f| if f.skipped { usize::MAX } else { s.entries[f.call as usize].op as usize })
                .collect();
            s.longest.extend(tail);
            s.common = s.stack.len();
        }
        if s.required_left == 0 {
            return Search::Linearizable(s.order());
        }
        cursor = s.node_start();
    }
}

/// A key that is equal for equal acts.
/// Sorts `v`, of distinct elements, as `sort_unstable` does, faster when it is nearly sorted,
/// as the returns of operations taken in call order are: each return is out of place only
/// by the few operations running beside it. Insertion sort while it stays linear; the
/// standard sort as soon as it does not.
fn sort_nearly_sorted<T: Ord + Copy>(v: &mut [T]) {
    let limit = 8 * v.len();
    let mut moved = 0;
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && v[j - 1] > x {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
        moved += i - j;
        if moved > limit {
            v.sort_unstable();
            return;
        }
    }
}

fn act_key(act: Act) -> (u8, State, State) {
    match act {
        Act::Read(v) => (0, v, 0),
        Act::Write(v) => (1, v, 0),
        Act::Cas(a, b) => (2, a, b),
        Act::NotEq(v) => (3, v, 0),
    }
}

/// Symmetry between operations that do the same thing. If `q` and `p` have the same act,
/// both can be placed now, and `q` must return no later than `p`, then any order that
/// places `p` now still works with `p` and `q` swapped: the state is the same at both
/// places, `q` can go now since it is callable, `p` can go where `q` was since `p` was
/// callable earlier, and whatever had to follow `q` (invoked after its return) had to
/// follow `p` too. So `p` need not be tried. (If `q` is optional and `p` is required,
/// an order that never places `q` does not swap, so then not.)
struct Dominance {
    /// Non-repeating operations by (act, return, position).
    twins: Vec<u32>,
    twin_rank: Vec<u32>,
    /// The rank where each operation's act group starts.
    group_start: Vec<u32>,
}

impl Dominance {
    /// Whether placing `p` now is dominated by placing an unplaced twin; `frontier` is the
    /// time of the first return in the list: an operation is callable iff it is unplaced
    /// and invoked no later than that.
    #[inline]
    fn dominated(&self, p: usize, ops: &[Op], placed: &Placed, frontier: u64) -> bool {
        let start = self.group_start[p] as usize;
        let rank = self.twin_rank[p] as usize;
        let mut r = rank;
        while r > start {
            r -= 1;
            let q = self.twins[r] as usize;
            let oq = &ops[q];
            // Unplaced operations return at or after the frontier; below it, all are placed.
            if oq.ret < frontier {
                break;
            }
            if placed.get(q) || oq.call > frontier || (!oq.required && ops[p].required) {
                continue;
            }
            return true;
        }
        false
    }
}

/// The time of the first return entry at or after `cursor` (`u64::MAX` if none): every
/// call before it in the list is callable.
#[inline]
fn frontier(entries: &[Entry], ops: &[Op], mut cursor: u32) -> u64 {
    while cursor != NONE {
        let e = &entries[cursor as usize];
        if !e.is_call {
            return ops[e.op as usize].ret;
        }
        cursor = e.next;
    }
    u64::MAX
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::sort_nearly_sorted;

    proptest! {
        /// Nearly sorted (each element moved a few places) or not sorted at all, it sorts as
        /// the standard sort does.
        #[test]
        fn sorting_nearly_sorted_returns_is_the_standard_sort(
            base in proptest::collection::vec(0u64..1_000, 0..400),
            swaps in proptest::collection::vec((0usize..400, 0usize..4), 0..100),
            shuffled in any::<bool>(),
        ) {
            let mut v: Vec<(u64, u32)> = base.iter().enumerate().map(|(i, &r)| (r, i as u32)).collect();
            if !shuffled {
                v.sort_unstable();
                for &(i, d) in &swaps {
                    if i + d < v.len() {
                        v.swap(i, i + d);
                    }
                }
            }
            let mut expected = v.clone();
            expected.sort_unstable();
            sort_nearly_sorted(&mut v);
            prop_assert_eq!(v, expected);
        }
    }
}
