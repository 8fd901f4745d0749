//! Python views of the core's sync reports (one profile, all of them) and of
//! progress snapshots: typed attributes, `to_dict()` from the core's serde
//! serialization, readable `repr`.

use chrono::{DateTime, Utc};
use pyo3::prelude::*;

use datalake_core::{Progress, SyncAllReport, SyncReport};

use crate::errors::to_py_err;
use crate::json;
use crate::retention::PyCleanupReport;
use crate::util::repr_fields;

/// What a sync of one profile did; `status` is one of `success`, `partial`,
/// `failed`, `interrupted`, `skipped`.
#[pyclass(frozen, module = "datalake", name = "SyncReport")]
pub struct PySyncReport {
    inner: SyncReport,
}

impl From<SyncReport> for PySyncReport {
    fn from(inner: SyncReport) -> Self {
        PySyncReport { inner }
    }
}

impl PySyncReport {
    /// The exception for the error the core attached (every status but
    /// success), with `.report` set; `None` for a success.
    pub fn failure(slf: &Bound<'_, Self>) -> PyResult<Option<PyErr>> {
        let py = slf.py();
        let Some(error) = slf.get().inner.failure() else { return Ok(None) };
        let err = to_py_err(py, error);
        err.value(py).setattr("report", slf)?;
        Ok(Some(err))
    }
}

#[pymethods]
impl PySyncReport {
    #[getter]
    fn profile(&self) -> &str {
        &self.inner.profile
    }
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status.as_str()
    }
    #[getter]
    fn dry_run(&self) -> bool {
        self.inner.dry_run
    }
    #[getter]
    fn started_at(&self) -> DateTime<Utc> {
        self.inner.started_at
    }
    #[getter]
    fn finished_at(&self) -> DateTime<Utc> {
        self.inner.finished_at
    }
    #[getter]
    fn duration_seconds(&self) -> f64 {
        self.inner.duration_seconds
    }
    #[getter]
    fn files_transferred(&self) -> u64 {
        self.inner.files_transferred
    }
    #[getter]
    fn bytes_transferred(&self) -> u64 {
        self.inner.bytes_transferred
    }
    #[getter]
    fn literal_bytes(&self) -> u64 {
        self.inner.literal_bytes
    }
    #[getter]
    fn matched_bytes(&self) -> u64 {
        self.inner.matched_bytes
    }
    #[getter]
    fn total_files(&self) -> u64 {
        self.inner.total_files
    }
    #[getter]
    fn bytes_sent(&self) -> u64 {
        self.inner.bytes_sent
    }
    #[getter]
    fn bytes_received(&self) -> u64 {
        self.inner.bytes_received
    }
    #[getter]
    fn rsync_exit_code(&self) -> Option<i32> {
        self.inner.rsync_exit_code
    }
    #[getter]
    fn rsync_exit_meaning(&self) -> Option<&str> {
        self.inner.rsync_exit_meaning.as_deref()
    }
    #[getter]
    fn attempts(&self) -> u32 {
        self.inner.attempts
    }
    #[getter]
    fn errors(&self) -> Vec<String> {
        self.inner.errors.clone()
    }
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }
    /// The config file's warnings that concern this profile.
    #[getter]
    fn config_warnings(&self) -> Vec<String> {
        self.inner.config_warnings.clone()
    }
    /// The core's error kind (e.g. `"authentication"`) for every status but success.
    #[getter]
    fn error_kind(&self) -> Option<&'static str> {
        self.inner.error_kind.map(|k| k.as_str())
    }
    /// True for `failed`, `partial` and `interrupted`: runs to alert on.
    #[getter]
    fn is_failure(&self) -> bool {
        self.inner.is_failure()
    }
    /// True when the run did what was asked (no error attached).
    #[getter]
    fn ok(&self) -> bool {
        self.inner.failure().is_none()
    }
    /// The exit code the `datalake` command reports for this run.
    #[getter]
    fn cli_exit_code(&self) -> i32 {
        self.inner.exit_code().code()
    }
    /// Files left on the collector: modified less than `min_age` ago.
    #[getter]
    fn too_recent_files(&self) -> u64 {
        self.inner.too_recent_files
    }
    /// `.parquet` files of this run whose footer was checked.
    #[getter]
    fn parquet_checked(&self) -> u64 {
        self.inner.parquet_checked
    }
    /// Files that failed the check and were moved into quarantine (dicts).
    #[getter]
    fn quarantined<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner.quarantined)
    }
    /// The retention run after the sync, if one ran.
    #[getter]
    fn cleanup(&self) -> Option<PyCleanupReport> {
        self.inner.cleanup.clone().map(PyCleanupReport::from)
    }
    /// `"window"` or `"full"`; None when no transfer started.
    #[getter]
    fn mode(&self) -> Option<&'static str> {
        self.inner.mode.map(|m| m.as_str())
    }
    /// Why the run was full, if it was.
    #[getter]
    fn full_sync_reason(&self) -> Option<&str> {
        self.inner.full_sync_reason.as_deref()
    }
    /// Dated partitions the run covered.
    #[getter]
    fn partitions_covered(&self) -> u64 {
        self.inner.partitions_covered
    }
    /// Of those, partitions a windowed run left out: nothing in them had changed.
    #[getter]
    fn partitions_unchanged(&self) -> u64 {
        self.inner.partitions_unchanged
    }
    /// On a full run: files the window had missed since the last full run.
    #[getter]
    fn files_missed_by_window(&self) -> Option<u64> {
        self.inner.files_missed_by_window
    }
    /// rsync streams that ran at once.
    #[getter]
    fn streams(&self) -> u32 {
        self.inner.streams
    }
    /// Replaced files whose earlier version was kept in `.datalake-replaced`.
    #[getter]
    fn rewrites_kept(&self) -> u64 {
        self.inner.rewrites_kept
    }
    /// Replaced files whose new version holds every earlier row (nothing kept).
    #[getter]
    fn files_grown(&self) -> u64 {
        self.inner.files_grown
    }
    /// The earlier versions kept (dicts: path, kept_as, reason).
    #[getter]
    fn kept_versions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner.kept_versions)
    }
    /// Raise the matching exception (with `.report` set) unless the run succeeded.
    fn raise_for_status(slf: &Bound<'_, Self>) -> PyResult<()> {
        match Self::failure(slf)? {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::value_to_py(py, &self.inner.to_json_value())
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(
            slf.as_any(),
            "SyncReport",
            &["profile", "status", "files_transferred", "bytes_transferred", "duration_seconds", "rsync_exit_code"],
        )
    }
}

/// What a `sync_all` did: the overall status, totals, and one report per
/// enabled profile in name order. Iterating, `len()` and indexing go over the
/// reports, so code written for the former `list[SyncReport]` keeps working.
#[pyclass(frozen, module = "datalake", name = "SyncAllReport")]
pub struct PySyncAllReport {
    status: SyncAllSummary,
    reports: Vec<Py<PySyncReport>>,
    json: serde_json::Value,
}

/// The aggregate's scalar outcome, kept once the reports moved into Python objects.
struct SyncAllSummary {
    status: &'static str,
    profiles: usize,
    not_ok: usize,
    files_transferred: u64,
    bytes_transferred: u64,
    is_failure: bool,
    exit_code: i32,
    worst: Option<usize>,
}

impl PySyncAllReport {
    /// Move the core's aggregate into Python objects.
    pub fn new(py: Python<'_>, all: SyncAllReport) -> PyResult<Self> {
        let worst = all.worst().and_then(|w| all.reports.iter().position(|r| std::ptr::eq(r, w)));
        let status = SyncAllSummary {
            status: all.status.as_str(),
            profiles: all.profiles,
            not_ok: all.not_ok,
            files_transferred: all.files_transferred,
            bytes_transferred: all.bytes_transferred,
            is_failure: all.is_failure(),
            exit_code: all.exit_code().code(),
            worst,
        };
        let json = all.to_json_value();
        let reports =
            all.reports.into_iter().map(|r| Py::new(py, PySyncReport::from(r))).collect::<PyResult<Vec<_>>>()?;
        Ok(PySyncAllReport { status, reports, json })
    }

    /// The reports, for `.reports` on a parked exception.
    pub fn report_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyList>> {
        pyo3::types::PyList::new(py, &self.reports)
    }
}

#[pymethods]
impl PySyncAllReport {
    /// The worst status of the reports (`success` when there are none).
    #[getter]
    fn status(&self) -> &'static str {
        self.status.status
    }
    /// Enabled profiles synced.
    #[getter]
    fn profiles(&self) -> usize {
        self.status.profiles
    }
    /// Profiles whose report carries an error.
    #[getter]
    fn not_ok(&self) -> usize {
        self.status.not_ok
    }
    #[getter]
    fn files_transferred(&self) -> u64 {
        self.status.files_transferred
    }
    #[getter]
    fn bytes_transferred(&self) -> u64 {
        self.status.bytes_transferred
    }
    /// True when any run failed, was partial or was interrupted.
    #[getter]
    fn is_failure(&self) -> bool {
        self.status.is_failure
    }
    /// True when every run succeeded.
    #[getter]
    fn ok(&self) -> bool {
        self.status.worst.is_none()
    }
    /// The exit code the `datalake sync --all` command reports.
    #[getter]
    fn cli_exit_code(&self) -> i32 {
        self.status.exit_code
    }
    /// One report per enabled profile, in name order.
    #[getter]
    fn reports(&self, py: Python<'_>) -> Vec<Py<PySyncReport>> {
        self.reports.iter().map(|r| r.clone_ref(py)).collect()
    }
    /// Raise the exception of the report that speaks for the whole (the
    /// first, in name order, with the worst status), unless every run succeeded.
    fn raise_for_status(&self, py: Python<'_>) -> PyResult<()> {
        let Some(i) = self.status.worst else { return Ok(()) };
        match PySyncReport::failure(self.reports[i].bind(py))? {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::value_to_py(py, &self.json)
    }
    fn __len__(&self) -> usize {
        self.reports.len()
    }
    fn __getitem__(&self, py: Python<'_>, index: isize) -> PyResult<Py<PySyncReport>> {
        let len = self.reports.len() as isize;
        let i = if index < 0 { index + len } else { index };
        if !(0..len).contains(&i) {
            return Err(pyo3::exceptions::PyIndexError::new_err("SyncAllReport index out of range"));
        }
        Ok(self.reports[i as usize].clone_ref(py))
    }
    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(self.report_list(py)?.as_any().try_iter()?.into_any().unbind())
    }
    fn __repr__(&self) -> String {
        format!(
            "SyncAllReport(status={:?}, profiles={}, not_ok={}, files_transferred={}, bytes_transferred={})",
            self.status.status,
            self.status.profiles,
            self.status.not_ok,
            self.status.files_transferred,
            self.status.bytes_transferred
        )
    }
}

/// A progress snapshot passed to the `progress` callback of a sync, verify or cleanup.
#[pyclass(frozen, module = "datalake", name = "Progress")]
pub struct PyProgress {
    inner: Progress,
}

impl From<Progress> for PyProgress {
    fn from(inner: Progress) -> Self {
        PyProgress { inner }
    }
}

#[pymethods]
impl PyProgress {
    #[getter]
    fn profile(&self) -> &str {
        &self.inner.profile
    }
    #[getter]
    fn bytes_done(&self) -> u64 {
        self.inner.bytes_done
    }
    #[getter]
    fn bytes_total(&self) -> Option<u64> {
        self.inner.bytes_total
    }
    /// Bytes per second.
    #[getter]
    fn rate(&self) -> f64 {
        self.inner.rate
    }
    #[getter]
    fn files_done(&self) -> u64 {
        self.inner.files_done
    }
    #[getter]
    fn current_file(&self) -> Option<&str> {
        self.inner.current_file.as_deref()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(
            slf.as_any(),
            "Progress",
            &["profile", "bytes_done", "bytes_total", "rate", "files_done", "current_file"],
        )
    }
}
