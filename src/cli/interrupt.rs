//! Ctrl-C during a sweep: the first one asks the sweep to stop after the seeds running now and
//! print what finished; a second one ends the process at once.

// Signal handling is `libc`, hence unsafe; each block says why it is sound.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// The exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

#[cfg(unix)]
extern "C" fn on_sigint(_: libc::c_int) {
    // Only async-signal-safe work here: an atomic swap, and `_exit` on the second Ctrl-C.
    if INTERRUPTED.swap(true, Ordering::SeqCst) {
        // SAFETY: `_exit` is async-signal-safe and ends the process without running Rust code.
        unsafe { libc::_exit(EXIT_INTERRUPTED as libc::c_int) }
    }
}

/// Catches Ctrl-C (SIGINT) from now on: [`interrupted`] turns true instead of the process
/// dying.
pub fn catch() {
    INTERRUPTED.store(false, Ordering::SeqCst);
    #[cfg(unix)]
    // SAFETY: the handler only touches an atomic and calls `_exit`, both async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t);
    }
}

/// Whether Ctrl-C was pressed since [`catch`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}
