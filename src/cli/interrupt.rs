//! Ctrl-C during a sweep or an exploration: the first one asks it to stop after the runs going
//! now and print what finished (and says so at once); a second one ends the process at once.

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
    // The run going now may take a while (a sweep's shrinking, a long run): say it was heard.
    const HEARD: &[u8] =
        b"\nCtrl-C: finishing the runs going now, then printing what finished (Ctrl-C again quits at once)\n";
    // SAFETY: `write` is async-signal-safe; the buffer is static.
    unsafe {
        libc::write(2, HEARD.as_ptr().cast(), HEARD.len());
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
