//! Rust `log` records to Python `logging`, under the logger `datalake`.
//!
//! The core logs from wherever it is: the calling thread with the GIL
//! released, `sync_all`'s worker threads, the middle of a checkpoint write.
//! Running Python there is how signals got lost: a Python signal handler runs
//! at the next bytecode, i.e. inside whatever Python code the bridge happened
//! to call, and the `KeyboardInterrupt` it raised came back to a Rust
//! `log::Log::log`, which has no way to report it (pyo3-log put it back as a
//! pending exception; it was then dropped or surfaced as a `SystemError` at an
//! unrelated call). So the Rust side never touches Python: records go into a
//! bounded in-process queue, and [`flush`] hands them to
//! `datalake._logbridge.emit` at points where an exception has somewhere to
//! go, i.e. while the binding holds the GIL and can raise: the ~100 ms
//! interrupt poll of a running sync (with `check_signals`, whose exception
//! stops the run) and the end of every API call (the exception is raised from
//! it). Records keep the time they were made.
//!
//! Levels: [`refresh`] reads the effective level of the `datalake` loggers
//! at the start of each API call and sets `log`'s maximum level from it, so
//! a disabled `debug!` in a hot loop costs one atomic load, and logging
//! reconfigured between calls is honoured.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use log::{Level, LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;
use pyo3::types::PyList;

/// Records kept while nobody flushes (a long detached call); older ones are
/// dropped, counted, and reported by a warning record.
const QUEUE_LIMIT: usize = 10_000;

/// One log record waiting for Python.
struct Entry {
    name: String,
    level: u32,
    path: String,
    line: u32,
    message: String,
    created: f64,
}

struct Queue {
    entries: VecDeque<Entry>,
    dropped: u64,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue { entries: VecDeque::new(), dropped: 0 });

fn queue() -> std::sync::MutexGuard<'static, Queue> {
    // A poisoned queue of plain records is still a valid queue.
    QUEUE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `datalake_core::x::y` -> `datalake.x.y`; other crates' `a::b` -> `a.b`.
fn python_target(target: &str) -> Cow<'_, str> {
    let renamed = match target.strip_prefix("datalake_core") {
        Some(rest) if rest.is_empty() || rest.starts_with("::") => Cow::Owned(format!("datalake{rest}")),
        _ => Cow::Borrowed(target),
    };
    if renamed.contains("::") {
        Cow::Owned(renamed.replace("::", "."))
    } else {
        renamed
    }
}

/// Python's numeric level for a Rust level (TRACE is below DEBUG, as pyo3-log had it).
fn python_level(level: Level) -> u32 {
    match level {
        Level::Error => 40,
        Level::Warn => 30,
        Level::Info => 20,
        Level::Debug => 10,
        Level::Trace => 5,
    }
}

/// The most verbose Rust level a Python threshold lets through.
fn filter_for(python_threshold: i64) -> LevelFilter {
    match python_threshold {
        t if t > 40 => LevelFilter::Off,
        t if t > 30 => LevelFilter::Error,
        t if t > 20 => LevelFilter::Warn,
        t if t > 10 => LevelFilter::Info,
        t if t > 5 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    }
}

/// The `log` backend: queue, never call Python.
struct Queueing;

impl Log for Queueing {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let entry = Entry {
            name: python_target(record.target()).into_owned(),
            level: python_level(record.level()),
            path: record.file().unwrap_or("").to_string(),
            line: record.line().unwrap_or(0),
            message: record.args().to_string(),
            created: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64()),
        };
        let mut q = queue();
        if q.entries.len() >= QUEUE_LIMIT {
            q.entries.pop_front();
            q.dropped += 1;
        }
        q.entries.push_back(entry);
    }

    fn flush(&self) {}
}

/// Install the queue as the `log` backend, once per process (warnings and
/// errors until the first API call reads the configured level).
pub fn install() {
    // Fails only when a logger is already installed in this process (the module
    // imported twice): the first one keeps working.
    if log::set_logger(&Queueing).is_ok() {
        log::set_max_level(LevelFilter::Warn);
    }
}

/// Read the `datalake` loggers' effective level (Python code: call it where an
/// exception can be raised to the caller, i.e. at the start of an API call).
pub fn refresh(py: Python<'_>) -> PyResult<()> {
    let threshold: i64 = py.import("datalake._logbridge")?.getattr("threshold")?.call0()?.extract()?;
    log::set_max_level(filter_for(threshold));
    Ok(())
}

/// Hand the queued records to Python logging. An `Err` is what Python raised
/// meanwhile, typically the `KeyboardInterrupt` of a signal handler that ran
/// inside a logging handler: the caller must raise it or stop the run with it.
pub fn flush(py: Python<'_>) -> PyResult<()> {
    let (batch, dropped) = {
        let mut q = queue();
        if q.entries.is_empty() && q.dropped == 0 {
            return Ok(());
        }
        (std::mem::take(&mut q.entries), std::mem::replace(&mut q.dropped, 0))
    };
    let mut rows = Vec::with_capacity(batch.len() + 1);
    if dropped > 0 {
        let first = batch.front().map_or(0.0, |e| e.created);
        rows.push((
            "datalake".to_string(),
            30,
            String::new(),
            0,
            format!("{dropped} log records were dropped (queue full)"),
            first,
        ));
    }
    rows.extend(batch.into_iter().map(|e| (e.name, e.level, e.path, e.line, e.message, e.created)));
    let list = PyList::new(py, rows)?;
    py.import("datalake._logbridge")?.getattr("emit")?.call1((list,))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_the_core_crate_and_dots_paths() {
        assert_eq!(python_target("datalake_core"), "datalake");
        assert_eq!(python_target("datalake_core::rsync::run"), "datalake.rsync.run");
        assert_eq!(python_target("datalake_corex"), "datalake_corex");
        assert_eq!(python_target("which"), "which");
    }

    #[test]
    fn python_thresholds_map_to_rust_filters() {
        assert_eq!(filter_for(30), LevelFilter::Warn);
        assert_eq!(filter_for(20), LevelFilter::Info);
        assert_eq!(filter_for(10), LevelFilter::Debug);
        assert_eq!(filter_for(0), LevelFilter::Trace);
        assert_eq!(filter_for(50), LevelFilter::Off);
        assert_eq!(filter_for(35), LevelFilter::Error);
    }
}
