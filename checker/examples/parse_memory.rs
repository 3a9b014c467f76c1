//! Peak heap memory of reading the `4x100000` history (100,000 operations) as EDN and as
//! JSON lines, from a string and streamed from a file, with a counting allocator.
//!
//! `cargo run --release -p dgame-checker --example parse_memory [-- OPS]`

// A counting allocator must implement the unsafe `GlobalAlloc`; it only forwards to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use dgame_checker::generator::{GenConfig, generate};
use dgame_checker::{History, edn, jsonl};

struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting bytes on the way.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let now = NOW.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        } else {
            NOW.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Peak bytes allocated by `f` beyond what was live before it, and its result.
fn peak<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let base = NOW.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (PEAK.load(Ordering::Relaxed) - base, out)
}

fn mb(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn main() {
    let ops: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let h = generate(&GenConfig { clients: 4, ops, ..GenConfig::default() });
    let dir = std::env::temp_dir();
    let edn_path = dir.join("dgame-parse-memory.edn");
    let jsonl_path = dir.join("dgame-parse-memory.jsonl");
    let edn_text = edn::write(&h);
    let jsonl_text = jsonl::write(&h);
    std::fs::write(&edn_path, &edn_text).expect("write temp file");
    std::fs::write(&jsonl_path, &jsonl_text).expect("write temp file");
    println!(
        "{ops} operations; Operation is {} bytes; EDN text {}, JSON lines {}",
        std::mem::size_of::<dgame_checker::Operation>(),
        mb(edn_text.len()),
        mb(jsonl_text.len())
    );
    let check = |h: History| assert_eq!(h.len(), ops);
    let (p, r) = peak(|| edn::parse(&edn_text));
    check(r.expect("parses"));
    println!("edn::parse(&str), text already in memory:      {}", mb(p));
    let (p, r) = peak(|| jsonl::parse(&jsonl_text));
    check(r.expect("parses"));
    println!("jsonl::parse(&str), text already in memory:    {}", mb(p));
    drop((edn_text, jsonl_text));
    let (p, r) = peak(|| edn::read_from(std::fs::File::open(&edn_path).expect("open")));
    check(r.expect("parses"));
    println!("edn::read_from(File):                          {}", mb(p));
    let (p, r) = peak(|| jsonl::read_from(std::fs::File::open(&jsonl_path).expect("open")));
    check(r.expect("parses"));
    println!("jsonl::read_from(File):                        {}", mb(p));
    let (p, r) = peak(|| std::fs::read_to_string(&edn_path).map(|t| edn::parse(&t).map(|h| h.len())));
    assert_eq!(r.expect("reads").expect("parses"), ops);
    println!("read_to_string + edn::parse (the CLI today):   {}", mb(p));
    let _ = std::fs::remove_file(edn_path);
    let _ = std::fs::remove_file(jsonl_path);
}
