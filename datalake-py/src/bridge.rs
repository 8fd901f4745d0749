//! How a call into the core meets Python: the GIL released while the core
//! works, log records delivered at the right moments, and the core's
//! [`RunControl`] bridged to Python callbacks, Ctrl-C and `DataLake.cancel()`.
//!
//! Every call:
//! - [`call`] (short calls): refresh the log level, run the core with the GIL
//!   released, hand the queued log records to Python `logging`, convert the
//!   core's error.
//! - [`run`] (long runs: sync, verify, cleanup and their `*_all`): the same,
//!   and the core gets a [`RunControl`] whose `progress` calls the Python
//!   callback and whose `interrupt_check` (the core polls it about every
//!   100 ms) flushes the log records and runs the Python signal handlers.
//!   Both re-attach to the interpreter for the duration of the call.
//!   An exception raised by the progress callback, or the `KeyboardInterrupt`
//!   that `check_signals` raises after Ctrl-C, is parked, the run is stopped
//!   through its [`CancelToken`], and the parked exception is handed back
//!   once the core has returned (i.e. after rsync was stopped and the
//!   checkpoint recorded `interrupted`); the caller raises it, with the report
//!   attached when there is one.

use std::sync::Mutex;

use pyo3::prelude::*;

use datalake_core::{CancelToken, Progress, RunControl};

use crate::errors::to_py_err;
use crate::logging;
use crate::reports::PyProgress;

/// A short call: `op` with the GIL released, log records before and after,
/// the core's error converted.
pub fn call<T, F>(py: Python<'_>, op: F) -> PyResult<T>
where
    T: Send,
    F: Send + FnOnce() -> datalake_core::Result<T>,
{
    logging::refresh(py)?;
    let out = py.detach(op);
    logging::flush(py)?;
    out.map_err(|e| to_py_err(py, &e))
}

/// The first Python exception raised by a callback while the core ran.
#[derive(Default)]
struct Pending {
    slot: Mutex<Option<PyErr>>,
}

impl Pending {
    fn record(&self, err: PyErr) {
        // A poisoned lock only means a panic elsewhere; the slot is still usable.
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(err);
        }
    }

    fn is_set(&self) -> bool {
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    fn take(self) -> Option<PyErr> {
        self.slot.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

/// A long run: `op` gets the [`RunControl`] wired to `progress` (a checked
/// callable, see [`checked_callback`]), Ctrl-C and the log records. Returns
/// its result and the Python exception a callback or a signal handler
/// raised, if any (to be raised by the caller).
pub fn run<T, F>(py: Python<'_>, progress: Option<Py<PyAny>>, op: F) -> PyResult<(T, Option<PyErr>)>
where
    T: Send,
    F: Send + for<'c> FnOnce(RunControl<'c>) -> T,
{
    logging::refresh(py)?;
    let pending = Pending::default();
    let cancel = CancelToken::new();
    let out = py.detach(|| {
        let mut on_progress = |p: &Progress| {
            let Some(callback) = progress.as_ref() else { return };
            if pending.is_set() {
                return;
            }
            Python::attach(|py| {
                if let Err(err) = callback.call1(py, (PyProgress::from(p.clone()),)) {
                    pending.record(err);
                    cancel.cancel();
                }
            });
        };
        let mut interrupt_check = || {
            if pending.is_set() {
                return true;
            }
            // Queued log records first, then the Python signal handlers (main
            // thread only; elsewhere a no-op): after Ctrl-C the default handler
            // raises KeyboardInterrupt. A handler may also run inside a logging
            // handler: its exception comes back from `flush` and stops the run
            // the same way.
            Python::attach(|py| match logging::flush(py).and_then(|()| py.check_signals()) {
                Ok(()) => false,
                Err(err) => {
                    pending.record(err);
                    true
                }
            })
        };
        let mut control =
            RunControl { cancel: Some(cancel.clone()), progress: None, interrupt_check: Some(&mut interrupt_check) };
        if progress.is_some() {
            control.progress = Some(&mut on_progress);
        }
        op(control)
    });
    // Records logged after the last poll, and a signal that arrived after it
    // (during the final checkpoint write, say): raised by the caller with the report.
    if let Err(err) = logging::flush(py).and_then(|()| py.check_signals()) {
        pending.record(err);
    }
    Ok((out, pending.take()))
}

/// `None`, or a callable; anything else is refused before the run starts.
pub fn checked_callback(progress: Option<Bound<'_, PyAny>>) -> PyResult<Option<Py<PyAny>>> {
    match progress {
        None => Ok(None),
        Some(p) if p.is_none() => Ok(None),
        Some(p) if p.is_callable() => Ok(Some(p.unbind())),
        Some(p) => Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "progress must be a callable taking one Progress argument, not {}",
            p.get_type().name()?
        ))),
    }
}

/// Attach `.report`/`.reports` to a parked exception. Best effort: an
/// exception type that refuses new attributes is raised unchanged.
pub fn attach_attr(err: &PyErr, py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) {
    let _ = err.value(py).setattr(name, value);
}

/// The outcome of a run whose core result is a `Result`: the parked
/// exception wins (as the run was stopped for it), then the core's error.
pub fn settle<T>(py: Python<'_>, result: datalake_core::Result<T>, pending: Option<PyErr>) -> PyResult<T> {
    match (result, pending) {
        (_, Some(err)) => Err(err),
        (Ok(value), None) => Ok(value),
        (Err(e), None) => Err(to_py_err(py, &e)),
    }
}
