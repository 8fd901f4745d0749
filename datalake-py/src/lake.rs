//! `datalake.DataLake`: the core facade, converted. Every method is one core
//! call through [`bridge`]: short calls with [`bridge::call`], runs (sync,
//! verify, cleanup and their `*_all`) with [`bridge::run`], which wires the
//! core's run control to the `progress` callback, Ctrl-C and the log records.

use std::path::PathBuf;

use pyo3::prelude::*;

use datalake_core::{CleanupOptions, Command, CoverageOptions, DataLake, Selection, SyncOptions, VerifyOptions};

use crate::bridge::{self, attach_attr, checked_callback, settle};
use crate::checkpoint::PyCheckpoint;
use crate::config::{PyConfig, PyProfile, PyValidationReport};
use crate::errors::to_py_err;
use crate::quality::{PyCoverage, PyCoverageAllReport, PyVerifyAllReport, PyVerifyReport};
use crate::reports::{PySyncAllReport, PySyncReport};
use crate::retention::{PyCleanupAllReport, PyCleanupReport};
use crate::stats::{PyConnectionReport, PyProfileStats};
use crate::util::py_repr;

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
}

#[pymethods]
impl PyDataLake {
    /// Load and validate the config file; raises ConfigError listing every problem.
    #[staticmethod]
    fn open(py: Python<'_>, config_path: PathBuf) -> PyResult<Self> {
        bridge::call(py, || DataLake::open(&config_path)).map(|inner| PyDataLake { inner })
    }

    /// Load and validate a config given as YAML (or JSON) text instead of a file.
    #[staticmethod]
    fn from_yaml(py: Python<'_>, text: &str) -> PyResult<Self> {
        bridge::call(py, || datalake_core::Config::from_yaml_str(text, None))
            .map(|config| PyDataLake { inner: DataLake::from_config(config) })
    }

    /// The loaded configuration.
    #[getter]
    fn config(&self) -> PyConfig {
        PyConfig::from(self.inner.config().clone())
    }

    /// Re-validate the config file: every error and warning, never raises.
    fn validate(&self, py: Python<'_>) -> PyResult<PyValidationReport> {
        bridge::call(py, || Ok(self.inner.validate())).map(PyValidationReport::from)
    }

    /// A profile by name; raises ProfileNotFoundError (a KeyError) with a suggestion.
    fn profile(&self, py: Python<'_>, name: &str) -> PyResult<PyProfile> {
        self.inner.profile(name).map(|p| PyProfile::from(p.clone())).map_err(|e| to_py_err(py, &e))
    }

    /// The profiles `command` runs on: `profile` alone when given (checked to
    /// exist), otherwise those its `--all` covers (sync and cleanup: the
    /// enabled ones; stats, verify, coverage, metrics and health: every one).
    #[pyo3(signature = (command, profile = None))]
    fn select_profiles(&self, py: Python<'_>, command: &str, profile: Option<&str>) -> PyResult<Vec<String>> {
        Command::from_name(command)
            .map(|command| profile.map_or(command.all_profiles(), Selection::One))
            .and_then(|s| self.inner.select_profiles(s))
            .map(|profiles| profiles.into_iter().map(|p| p.name.clone()).collect())
            .map_err(|e| to_py_err(py, &e))
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
        let (result, pending) = bridge::run(py, checked_callback(progress)?, |control| {
            self.inner.sync(profile, &mut SyncOptions { dry_run, cleanup, full, jobs: 1, control })
        })?;
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
        let (all, pending) = bridge::run(py, checked_callback(progress)?, |control| {
            self.inner.sync_all(&mut SyncOptions { dry_run, cleanup, full, jobs, control })
        })?;
        let all = PySyncAllReport::new(py, all)?;
        if let Some(err) = pending {
            attach_attr(&err, py, "reports", all.report_list(py)?.as_any());
            return Err(err);
        }
        Ok(all)
    }

    /// Statistics of one profile's directory and checkpoint.
    fn stats(&self, py: Python<'_>, profile: &str) -> PyResult<PyProfileStats> {
        bridge::call(py, || self.inner.stats(profile)).map(PyProfileStats::from)
    }

    /// Check every Parquet file of a profile (in parallel); with `remote`,
    /// also compare with the collector by checksum. Broken files do not
    /// raise: see `.ok` and `.cli_exit_code`. CancelledError after
    /// `cancel()`, KeyboardInterrupt after Ctrl-C.
    #[pyo3(signature = (profile, *, remote = false, progress = None))]
    fn verify(
        &self,
        py: Python<'_>,
        profile: &str,
        remote: bool,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PyVerifyReport> {
        let (result, pending) = bridge::run(py, checked_callback(progress)?, |control| {
            self.inner.verify(profile, &mut VerifyOptions { remote, jobs: 0, control })
        })?;
        settle(py, result, pending).map(PyVerifyReport::from)
    }

    /// Verify every profile (disabled ones too), one after the other; the
    /// first that cannot be checked raises its error.
    #[pyo3(signature = (*, remote = false, progress = None))]
    fn verify_all(
        &self,
        py: Python<'_>,
        remote: bool,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PyVerifyAllReport> {
        let (result, pending) = bridge::run(py, checked_callback(progress)?, |control| {
            self.inner.verify_all(&mut VerifyOptions { remote, jobs: 0, control })
        })?;
        PyVerifyAllReport::new(py, settle(py, result, pending)?)
    }

    /// Coverage of one profile: days present and missing per series, stopped
    /// series. With `fail_on_gaps`, a missing day makes `cli_exit_code` 1.
    #[pyo3(signature = (profile, *, fail_on_gaps = false))]
    fn coverage(&self, py: Python<'_>, profile: &str, fail_on_gaps: bool) -> PyResult<PyCoverage> {
        bridge::call(py, || self.inner.coverage(profile, &CoverageOptions { fail_on_gaps })).map(PyCoverage::from)
    }

    /// Coverage of every profile (disabled ones too).
    #[pyo3(signature = (*, fail_on_gaps = false))]
    fn coverage_all(&self, py: Python<'_>, fail_on_gaps: bool) -> PyResult<PyCoverageAllReport> {
        let all = bridge::call(py, || self.inner.coverage_all(&CoverageOptions { fail_on_gaps }))?;
        PyCoverageAllReport::new(py, all)
    }

    /// Apply retention to one profile (a dry run only reports what would go).
    /// `progress` hears of each deleted partition. CancelledError after
    /// `cancel()`, KeyboardInterrupt after Ctrl-C.
    #[pyo3(signature = (profile, *, dry_run = false, progress = None))]
    fn cleanup(
        &self,
        py: Python<'_>,
        profile: &str,
        dry_run: bool,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PyCleanupReport> {
        let (result, pending) = bridge::run(py, checked_callback(progress)?, |control| {
            self.inner.cleanup(profile, &mut CleanupOptions { dry_run, control })
        })?;
        settle(py, result, pending).map(PyCleanupReport::from)
    }

    /// Apply retention to every enabled profile. A profile that cannot be
    /// cleaned does not raise: its error is in `.results`, and `.cli_exit_code`
    /// is the worst. KeyboardInterrupt and callback exceptions are raised
    /// with the aggregate as `.report`.
    #[pyo3(signature = (*, dry_run = false, progress = None))]
    fn cleanup_all(
        &self,
        py: Python<'_>,
        dry_run: bool,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyCleanupAllReport>> {
        let (all, pending) = bridge::run(py, checked_callback(progress)?, |control| {
            self.inner.cleanup_all(&mut CleanupOptions { dry_run, control })
        })?;
        let all = Bound::new(py, PyCleanupAllReport::new(py, all)?)?;
        if let Some(err) = pending {
            attach_attr(&err, py, "report", all.as_any());
            return Err(err);
        }
        Ok(all.unbind())
    }

    /// Check that the collector is reachable and readable. Returns a report
    /// either way (see `.ok`, `.status`, `.raise_for_status()`).
    fn test_connection(&self, py: Python<'_>, profile: &str) -> PyResult<PyConnectionReport> {
        bridge::call(py, || self.inner.test_connection(profile)).map(PyConnectionReport::from)
    }

    /// The profile's checkpoint, or None if no sync has been recorded yet.
    fn checkpoint(&self, py: Python<'_>, profile: &str) -> PyResult<Option<PyCheckpoint>> {
        bridge::call(py, || self.inner.checkpoint(profile)).map(|c| c.map(PyCheckpoint::from))
    }

    /// The Prometheus exposition of `profiles` (every profile when None): the
    /// text sync and cleanup write into `metrics_dir`.
    #[pyo3(signature = (profiles = None))]
    fn metrics(&self, py: Python<'_>, profiles: Option<Vec<String>>) -> PyResult<String> {
        let names: Vec<String> = profiles.unwrap_or_default();
        bridge::call(py, || self.inner.metrics(&names.iter().map(String::as_str).collect::<Vec<_>>()))
    }

    /// Health verdicts from the checkpoints: a problem for every enabled profile
    /// that never ran, whose last run failed, or whose last success is older than
    /// `max_age` ("2h", seconds, or a timedelta).
    fn health(&self, py: Python<'_>, max_age: Bound<'_, PyAny>) -> PyResult<crate::ops::PyHealthReport> {
        let max_age = crate::ops::max_age_arg(py, &max_age)?;
        bridge::call(py, || self.inner.health(max_age)).map(Into::into)
    }

    /// Cancel every sync, verify and cleanup running on this DataLake
    /// (callable from any thread): each ends interrupted (CancelledError).
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
    bridge::call(py, || Ok(datalake_core::Config::validate_file(&path))).map(PyValidationReport::from)
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

/// Every command `DataLake.select_profiles` knows, by name.
#[pyfunction]
pub fn all_commands() -> Vec<&'static str> {
    Command::ALL.iter().map(|c| c.as_str()).collect()
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
