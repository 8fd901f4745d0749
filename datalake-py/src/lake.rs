//! `datalake.DataLake`: the core facade, with the GIL released during long
//! calls and Python callbacks (progress, Ctrl-C) bridged back in.
//!
//! How a sync meets Python:
//! - The core runs inside `py.detach`, so other Python threads keep running.
//! - The core calls `progress` and `interrupt_check` on this (the calling)
//!   thread; both re-attach to the interpreter for the duration of the call.
//! - Log records are queued by the core and handed to Python logging only at
//!   those polls and at the end of each call ([`logging`]), never where an
//!   exception raised meanwhile would have nowhere to go.
//! - An exception raised by the progress callback, or the `KeyboardInterrupt`
//!   that `check_signals` raises after Ctrl-C, is parked, the run is
//!   cancelled through a [`CancelToken`], and the parked exception is raised
//!   once the core has returned (i.e. after rsync was stopped and the
//!   checkpoint recorded `interrupted`), with the report as `.report`.

use std::path::PathBuf;
use std::sync::Mutex;

use pyo3::prelude::*;

use datalake_core::{CancelToken, DataLake, Progress, SyncOptions, VerifyOptions};

use crate::checkpoint::PyCheckpoint;
use crate::config::{PyConfig, PyProfile, PyValidationReport};
use crate::errors::to_py_err;
use crate::logging;
use crate::quality::{PyCoverage, PyVerifyReport};
use crate::reports::{PyCleanupReport, PyConnectionReport, PyProfileStats, PyProgress, PySyncAllReport, PySyncReport};
use crate::util::py_repr;

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

/// The Python-facing parts of [`SyncOptions`].
struct RunOptions {
    dry_run: bool,
    cleanup: bool,
    full: bool,
    jobs: u32,
    progress: Option<Py<PyAny>>,
}

/// A loaded lake configuration and the operations on it.
#[pyclass(frozen, module = "datalake", name = "DataLake")]
pub struct PyDataLake {
    inner: DataLake,
}

impl PyDataLake {
    /// The core facade (for the methods defined in other files, e.g. `read`).
    pub(crate) fn core(&self) -> &DataLake {
        &self.inner
    }

    /// Run `op` with the GIL released and the callbacks wired up; returns its
    /// result and the Python exception a callback raised, if any.
    fn run_detached<T, F>(&self, py: Python<'_>, options: RunOptions, op: F) -> (T, Option<PyErr>)
    where
        T: Send,
        F: Send + FnOnce(&DataLake, &mut SyncOptions<'_>) -> T,
    {
        let pending = Pending::default();
        let cancel = CancelToken::new();
        let lake = &self.inner;
        let RunOptions { dry_run, cleanup, full, jobs, progress } = options;
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
            let mut sync_options = SyncOptions {
                dry_run,
                cleanup,
                full,
                jobs,
                progress: None,
                interrupt_check: Some(&mut interrupt_check),
                cancel: Some(cancel.clone()),
            };
            if progress.is_some() {
                sync_options.progress = Some(&mut on_progress);
            }
            op(lake, &mut sync_options)
        });
        // Records logged after the last poll, and a signal that arrived after it
        // (during the final checkpoint write, say): raised by the caller with the report.
        if let Err(err) = logging::flush(py).and_then(|()| py.check_signals()) {
            pending.record(err);
        }
        (out, pending.take())
    }
}

/// `None`, or a callable; anything else is refused before the run starts.
fn checked_callback(progress: Option<Bound<'_, PyAny>>) -> PyResult<Option<Py<PyAny>>> {
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
fn attach_attr(err: &PyErr, py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) {
    let _ = err.value(py).setattr(name, value);
}

#[pymethods]
impl PyDataLake {
    /// Load and validate the config file; raises ConfigError listing every problem.
    #[staticmethod]
    fn open(py: Python<'_>, config_path: PathBuf) -> PyResult<Self> {
        logging::refresh(py)?;
        let out = py.detach(|| DataLake::open(&config_path));
        logging::flush(py)?;
        out.map(|inner| PyDataLake { inner }).map_err(|e| to_py_err(py, &e))
    }

    /// Load and validate a config given as YAML (or JSON) text instead of a file.
    #[staticmethod]
    fn from_yaml(py: Python<'_>, text: &str) -> PyResult<Self> {
        logging::refresh(py)?;
        let out = datalake_core::Config::from_yaml_str(text, None);
        logging::flush(py)?;
        out.map(|config| PyDataLake { inner: DataLake::from_config(config) }).map_err(|e| to_py_err(py, &e))
    }

    /// The loaded configuration.
    #[getter]
    fn config(&self) -> PyConfig {
        PyConfig::from(self.inner.config().clone())
    }

    /// Re-validate the config file: every error and warning, never raises.
    fn validate(&self, py: Python<'_>) -> PyResult<PyValidationReport> {
        logging::refresh(py)?;
        let out = py.detach(|| self.inner.validate());
        logging::flush(py)?;
        Ok(PyValidationReport::from(out))
    }

    /// A profile by name; raises ProfileNotFoundError (a KeyError) with a suggestion.
    fn profile(&self, py: Python<'_>, name: &str) -> PyResult<PyProfile> {
        self.inner.profile(name).map(|p| PyProfile::from(p.clone())).map_err(|e| to_py_err(py, &e))
    }

    /// Sync one profile. Returns the report of a success; otherwise raises the
    /// exception of the error the core attached (with `.report`): `partial`
    /// raises SyncError like a failure. KeyboardInterrupt after Ctrl-C, or
    /// what the progress callback raised. `full` forces a full run.
    #[pyo3(signature = (profile, *, dry_run = false, cleanup = true, progress = None, full = false))]
    fn sync(
        &self,
        py: Python<'_>,
        profile: &str,
        dry_run: bool,
        cleanup: bool,
        progress: Option<Bound<'_, PyAny>>,
        full: bool,
    ) -> PyResult<Py<PySyncReport>> {
        logging::refresh(py)?;
        let options = RunOptions { dry_run, cleanup, full, jobs: 1, progress: checked_callback(progress)? };
        let (result, pending) = self.run_detached(py, options, |lake, opts| lake.sync(profile, opts));
        let report = match result {
            Ok(report) => Bound::new(py, PySyncReport::from(report))?,
            Err(e) => return Err(pending.unwrap_or_else(|| to_py_err(py, &e))),
        };
        if let Some(err) = pending {
            attach_attr(&err, py, "report", report.as_any());
            return Err(err);
        }
        if let Some(err) = PySyncReport::failure(&report)? {
            return Err(err);
        }
        Ok(report.unbind())
    }

    /// Sync every enabled profile, `jobs` at a time. Failures do not raise:
    /// the aggregate and each profile's report carry the outcome.
    /// KeyboardInterrupt and callback exceptions are raised with the reports
    /// as `.reports`. `full` forces a full run of every profile.
    #[pyo3(signature = (*, jobs = 1, dry_run = false, cleanup = true, progress = None, full = false))]
    fn sync_all(
        &self,
        py: Python<'_>,
        jobs: u32,
        dry_run: bool,
        cleanup: bool,
        progress: Option<Bound<'_, PyAny>>,
        full: bool,
    ) -> PyResult<PySyncAllReport> {
        logging::refresh(py)?;
        let options = RunOptions { dry_run, cleanup, full, jobs, progress: checked_callback(progress)? };
        let (all, pending) = self.run_detached(py, options, |lake, opts| lake.sync_all(opts));
        let all = PySyncAllReport::new(py, all)?;
        if let Some(err) = pending {
            attach_attr(&err, py, "reports", all.report_list(py)?.as_any());
            return Err(err);
        }
        Ok(all)
    }

    /// Statistics of one profile's directory and checkpoint.
    fn stats(&self, py: Python<'_>, profile: &str) -> PyResult<PyProfileStats> {
        logging::refresh(py)?;
        let out = py.detach(|| self.inner.stats(profile));
        logging::flush(py)?;
        out.map(PyProfileStats::from).map_err(|e| to_py_err(py, &e))
    }

    /// Check every Parquet file of a profile (in parallel); with `remote`,
    /// also compare with the collector by checksum. Broken files do not
    /// raise: see `.ok`. KeyboardInterrupt after Ctrl-C.
    #[pyo3(signature = (profile, *, remote = false, progress = None))]
    fn verify(
        &self,
        py: Python<'_>,
        profile: &str,
        remote: bool,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PyVerifyReport> {
        logging::refresh(py)?;
        let options =
            RunOptions { dry_run: true, cleanup: false, full: false, jobs: 1, progress: checked_callback(progress)? };
        let (result, pending) = self.run_detached(py, options, |lake, opts| {
            let mut verify = VerifyOptions {
                remote,
                jobs: 0,
                progress: opts.progress.take(),
                interrupt_check: opts.interrupt_check.take(),
            };
            lake.verify(profile, &mut verify)
        });
        match (result, pending) {
            (_, Some(err)) => Err(err),
            (Ok(report), None) => Ok(PyVerifyReport::from(report)),
            (Err(e), None) => Err(to_py_err(py, &e)),
        }
    }

    /// Coverage of one profile: days present and missing per series, stopped series.
    fn coverage(&self, py: Python<'_>, profile: &str) -> PyResult<PyCoverage> {
        logging::refresh(py)?;
        let out = py.detach(|| self.inner.coverage(profile));
        logging::flush(py)?;
        out.map(PyCoverage::from).map_err(|e| to_py_err(py, &e))
    }

    /// Apply retention to one profile (a dry run only reports what would go).
    #[pyo3(signature = (profile, *, dry_run = false))]
    fn cleanup(&self, py: Python<'_>, profile: &str, dry_run: bool) -> PyResult<PyCleanupReport> {
        logging::refresh(py)?;
        let out = py.detach(|| self.inner.cleanup(profile, dry_run));
        logging::flush(py)?;
        out.map(PyCleanupReport::from).map_err(|e| to_py_err(py, &e))
    }

    /// Check that the collector is reachable and readable. Returns a report
    /// either way (see `.ok`, `.status`, `.raise_for_status()`).
    fn test_connection(&self, py: Python<'_>, profile: &str) -> PyResult<PyConnectionReport> {
        logging::refresh(py)?;
        let out = py.detach(|| self.inner.test_connection(profile));
        logging::flush(py)?;
        out.map(PyConnectionReport::from).map_err(|e| to_py_err(py, &e))
    }

    /// The profile's checkpoint, or None if no sync has been recorded yet.
    fn checkpoint(&self, py: Python<'_>, profile: &str) -> PyResult<Option<PyCheckpoint>> {
        logging::refresh(py)?;
        let out = py.detach(|| self.inner.checkpoint(profile));
        logging::flush(py)?;
        out.map(|c| c.map(PyCheckpoint::from)).map_err(|e| to_py_err(py, &e))
    }

    /// The Prometheus exposition of `profiles` (every profile when None): the
    /// text sync and cleanup write into `metrics_dir`.
    #[pyo3(signature = (profiles = None))]
    fn metrics(&self, py: Python<'_>, profiles: Option<Vec<String>>) -> PyResult<String> {
        logging::refresh(py)?;
        let out = crate::ops::metrics(py, &self.inner, profiles);
        logging::flush(py)?;
        out
    }

    /// Health verdicts from the checkpoints: a problem for every enabled profile
    /// that never ran, whose last run failed, or whose last success is older than
    /// `max_age` ("2h", seconds, or a timedelta).
    fn health(&self, py: Python<'_>, max_age: Bound<'_, PyAny>) -> PyResult<crate::ops::PyHealthReport> {
        logging::refresh(py)?;
        let max_age = crate::ops::max_age_arg(py, &max_age)?;
        let out = py.detach(|| self.inner.health(max_age));
        logging::flush(py)?;
        Ok(out.into())
    }

    /// Cancel every sync running on this DataLake (callable from any thread).
    fn cancel(&self, py: Python<'_>) {
        py.detach(|| self.inner.cancel());
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let config = self.inner.config();
        let names: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
        Ok(format!("DataLake(config={}, profiles={})", py_repr(py, &config.path)?, py_repr(py, names)?))
    }
}

/// Validate a config file without opening it: every error and warning, never raises.
#[pyfunction]
pub fn validate_file(py: Python<'_>, path: PathBuf) -> PyResult<PyValidationReport> {
    logging::refresh(py)?;
    let out = py.detach(|| datalake_core::Config::validate_file(&path));
    logging::flush(py)?;
    Ok(PyValidationReport::from(out))
}

/// Every error kind of the core, by name (as pydantic-core's `list_all_errors`).
#[pyfunction]
pub fn all_error_kinds() -> Vec<&'static str> {
    datalake_core::all_error_kinds()
}

/// Every sync status of the core, by name, in severity order.
#[pyfunction]
pub fn all_sync_statuses() -> Vec<&'static str> {
    datalake_core::all_sync_statuses()
}

/// The core's exit-code table: name (`ok`, `failed`, `usage`, `locked`, `interrupted`) to code.
#[pyfunction]
pub fn exit_codes() -> Vec<(&'static str, i32)> {
    datalake_core::ExitCode::ALL.iter().map(|c| (c.as_str(), c.code())).collect()
}

/// The worst of several exit codes of the table, by the core's order
/// (interrupted > failed > usage > locked > ok); ValueError for a code not in it.
#[pyfunction]
pub fn worst_exit_code(codes: Vec<i32>) -> PyResult<i32> {
    let of = |code: i32| {
        datalake_core::ExitCode::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| pyo3::exceptions::PyValueError::new_err(format!("{code} is not a datalake exit code")))
    };
    let codes = codes.into_iter().map(of).collect::<PyResult<Vec<_>>>()?;
    Ok(datalake_core::ExitCode::worst(codes).code())
}

/// `1.50 GiB` style size (IEC units), the same as `total_size_human`.
#[pyfunction]
pub fn human_size(bytes: u64) -> String {
    datalake_core::vocab::units::human_size(bytes)
}
