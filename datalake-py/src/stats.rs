//! Python views of what a profile looks like: its statistics and the test of
//! its collector connection.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use pyo3::prelude::*;

use datalake_core::{ConnectionReport, ProfileStats};

use crate::errors::to_py_err;
use crate::exceptions::binding_error;
use crate::json;
use crate::util::{repr_fields, serde_name};

/// Statistics of one profile's directory (every key of the legacy `get_stats` and more).
#[pyclass(frozen, module = "datalake", name = "ProfileStats")]
pub struct PyProfileStats {
    inner: ProfileStats,
}

impl From<ProfileStats> for PyProfileStats {
    fn from(inner: ProfileStats) -> Self {
        PyProfileStats { inner }
    }
}

#[pymethods]
impl PyProfileStats {
    #[getter]
    fn profile_name(&self) -> &str {
        &self.inner.profile_name
    }
    #[getter]
    fn local_path(&self) -> PathBuf {
        self.inner.local_path.clone()
    }
    #[getter]
    fn remote_source(&self) -> &str {
        &self.inner.remote_source
    }
    #[getter]
    fn exists(&self) -> bool {
        self.inner.exists
    }
    #[getter]
    fn total_size(&self) -> u64 {
        self.inner.total_size
    }
    #[getter]
    fn total_size_human(&self) -> &str {
        &self.inner.total_size_human
    }
    #[getter]
    fn file_count(&self) -> u64 {
        self.inner.file_count
    }
    #[getter]
    fn dir_count(&self) -> u64 {
        self.inner.dir_count
    }
    #[getter]
    fn earliest_date(&self) -> Option<NaiveDate> {
        self.inner.earliest_date
    }
    #[getter]
    fn latest_date(&self) -> Option<NaiveDate> {
        self.inner.latest_date
    }
    #[getter]
    fn last_sync_time(&self) -> Option<DateTime<Utc>> {
        self.inner.last_sync_time
    }
    #[getter]
    fn last_sync_status(&self) -> Option<&str> {
        self.inner.last_sync_status.as_deref()
    }

    #[getter]
    fn retention_days(&self) -> u32 {
        self.inner.retention_days
    }
    #[getter]
    fn partition_count(&self) -> u64 {
        self.inner.partition_count
    }
    #[getter]
    fn newest_file_mtime(&self) -> Option<DateTime<Utc>> {
        self.inner.newest_file_mtime
    }
    #[getter]
    fn expired_partitions(&self) -> u64 {
        self.inner.expired_partitions
    }
    #[getter]
    fn expired_bytes(&self) -> u64 {
        self.inner.expired_bytes
    }
    #[getter]
    fn partial_files(&self) -> u64 {
        self.inner.partial_files
    }
    #[getter]
    fn partial_bytes(&self) -> u64 {
        self.inner.partial_bytes
    }
    #[getter]
    fn symlinks(&self) -> u64 {
        self.inner.symlinks
    }
    #[getter]
    fn last_sync_duration_seconds(&self) -> Option<f64> {
        self.inner.last_sync_duration_seconds
    }
    #[getter]
    fn last_sync_bytes(&self) -> Option<u64> {
        self.inner.last_sync_bytes
    }
    #[getter]
    fn last_success_time(&self) -> Option<DateTime<Utc>> {
        self.inner.last_success_time
    }
    #[getter]
    fn consecutive_failures(&self) -> u32 {
        self.inner.consecutive_failures
    }
    #[getter]
    fn quarantined_files(&self) -> u64 {
        self.inner.quarantined_files
    }
    #[getter]
    fn kept_versions(&self) -> u64 {
        self.inner.kept_versions
    }
    #[getter]
    fn kept_bytes(&self) -> u64 {
        self.inner.kept_bytes
    }
    #[getter]
    fn missing_days(&self) -> u64 {
        self.inner.missing_days
    }
    #[getter]
    fn stopped_series(&self) -> u64 {
        self.inner.stopped_series
    }

    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(
            slf.as_any(),
            "ProfileStats",
            &["profile_name", "exists", "file_count", "total_size_human", "earliest_date", "latest_date"],
        )
    }
}

/// What `test_connection` found; `status` names the distinct outcome.
#[pyclass(frozen, module = "datalake", name = "ConnectionReport")]
pub struct PyConnectionReport {
    inner: ConnectionReport,
}

impl From<ConnectionReport> for PyConnectionReport {
    fn from(inner: ConnectionReport) -> Self {
        PyConnectionReport { inner }
    }
}

#[pymethods]
impl PyConnectionReport {
    #[getter]
    fn profile(&self) -> &str {
        &self.inner.profile
    }
    #[getter]
    fn target(&self) -> &str {
        &self.inner.target
    }
    #[getter]
    fn ok(&self) -> bool {
        self.inner.ok
    }
    /// E.g. `"ok"`, `"refused"`, `"authentication"`, `"remote_root_missing"`.
    #[getter]
    fn status(&self) -> PyResult<String> {
        serde_name(&self.inner.status).ok_or_else(|| binding_error("connection status has no name; this is a bug"))
    }
    #[getter]
    fn message(&self) -> &str {
        &self.inner.message
    }
    #[getter]
    fn round_trip_ms(&self) -> Option<f64> {
        self.inner.round_trip_ms
    }
    #[getter]
    fn local_rsync_version(&self) -> Option<&str> {
        self.inner.local_rsync_version.as_deref()
    }
    #[getter]
    fn remote_rsync_version(&self) -> Option<&str> {
        self.inner.remote_rsync_version.as_deref()
    }
    #[getter]
    fn remote_entries(&self) -> Option<u64> {
        self.inner.remote_entries
    }
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }
    /// The core's error kind when not ok (e.g. `"connect"`, `"host_key"`).
    #[getter]
    fn error_kind(&self) -> Option<&'static str> {
        self.inner.failure().map(|e| e.kind().as_str())
    }
    /// The exit code the `datalake` command reports for this test.
    #[getter]
    fn cli_exit_code(&self) -> i32 {
        self.inner.exit_code().code()
    }
    /// Raise the matching exception (with `.report` set) when the test failed.
    fn raise_for_status(slf: &Bound<'_, Self>) -> PyResult<()> {
        let py = slf.py();
        match slf.get().inner.failure() {
            Some(e) => {
                let err = to_py_err(py, e);
                err.value(py).setattr("report", slf)?;
                Err(err)
            }
            None => Ok(()),
        }
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(slf.as_any(), "ConnectionReport", &["profile", "target", "ok", "status", "round_trip_ms"])
    }
}
