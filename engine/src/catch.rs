//! Running a user's code where a panic must not unwind through the engine: handlers (the
//! executor catches those), and everything else a node type brings along, its constructor and
//! its `Debug`.

use std::any::Any;
use std::cell::Cell;
use std::fmt::{self, Debug};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The text of a panic's payload.
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_owned()
    }
}

/// `format!("{value:?}")`, or the panic's message if the `Debug` panicked.
pub(crate) fn caught_debug(value: &dyn Debug) -> Result<String, String> {
    catch_unwind(AssertUnwindSafe(|| format!("{value:?}"))).map_err(|p| panic_message(&*p))
}

/// A `Debug` that formats `inner` and, if that panics, writes a placeholder and keeps the
/// panic's message in `panicked`, so that an observer formatting it does not unwind through the
/// engine, which then stops the run with a clear error.
pub(crate) struct GuardedDebug<'a> {
    pub inner: &'a dyn Debug,
    pub panicked: &'a Cell<Option<String>>,
}

impl Debug for GuardedDebug<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match catch_unwind(AssertUnwindSafe(|| self.inner.fmt(f))) {
            Ok(result) => result,
            Err(panic) => {
                self.panicked.set(Some(panic_message(&*panic)));
                f.write_str("(its `Debug` panicked)")
            }
        }
    }
}
