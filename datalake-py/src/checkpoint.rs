//! Python views of a profile's checkpoint.

use chrono::{DateTime, Utc};
use pyo3::prelude::*;

use datalake_core::checkpoint::{RunRecord, RunningMarker};
use datalake_core::Checkpoint;

use crate::json;
use crate::util::repr_fields;

/// One past run, as kept in the checkpoint's history.
#[pyclass(frozen, module = "datalake", name = "RunRecord")]
pub struct PyRunRecord {
    inner: RunRecord,
}

#[pymethods]
impl PyRunRecord {
    #[getter]
    fn started_at(&self) -> DateTime<Utc> {
        self.inner.started_at
    }
    #[getter]
    fn status(&self) -> &str {
        &self.inner.status
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
    fn duration_seconds(&self) -> f64 {
        self.inner.duration_seconds
    }
    #[getter]
    fn rsync_exit_code(&self) -> Option<i32> {
        self.inner.rsync_exit_code
    }
    #[getter]
    fn errors(&self) -> Vec<String> {
        self.inner.errors.clone()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(slf.as_any(), "RunRecord", &["started_at", "status", "files_transferred", "bytes_transferred"])
    }
}

/// Present in a checkpoint while a sync runs (or after a crash).
#[pyclass(frozen, module = "datalake", name = "RunningMarker")]
pub struct PyRunningMarker {
    inner: RunningMarker,
}

#[pymethods]
impl PyRunningMarker {
    #[getter]
    fn pid(&self) -> u32 {
        self.inner.pid
    }
    #[getter]
    fn started_at(&self) -> DateTime<Utc> {
        self.inner.started_at
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(slf.as_any(), "RunningMarker", &["pid", "started_at"])
    }
}

/// The checkpoint of one profile (quants-infra keys plus history and running marker).
#[pyclass(frozen, module = "datalake", name = "Checkpoint")]
pub struct PyCheckpoint {
    inner: Checkpoint,
}

impl From<Checkpoint> for PyCheckpoint {
    fn from(inner: Checkpoint) -> Self {
        PyCheckpoint { inner }
    }
}

#[pymethods]
impl PyCheckpoint {
    #[getter]
    fn profile_name(&self) -> &str {
        &self.inner.profile_name
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
    fn files_transferred(&self) -> u64 {
        self.inner.files_transferred
    }
    #[getter]
    fn bytes_transferred(&self) -> u64 {
        self.inner.bytes_transferred
    }
    #[getter]
    fn duration_seconds(&self) -> f64 {
        self.inner.duration_seconds
    }
    #[getter]
    fn errors(&self) -> Vec<String> {
        self.inner.errors.clone()
    }
    #[getter]
    fn saved_at(&self) -> Option<DateTime<Utc>> {
        self.inner.saved_at
    }
    #[getter]
    fn last_success_time(&self) -> Option<DateTime<Utc>> {
        self.inner.last_success_time
    }
    #[getter]
    fn consecutive_failures(&self) -> u32 {
        self.inner.consecutive_failures
    }
    /// Start of the last successful full sync.
    #[getter]
    fn last_full_sync_time(&self) -> Option<DateTime<Utc>> {
        self.inner.last_full_sync_time
    }
    /// The last runs, oldest first.
    #[getter]
    fn history(&self) -> Vec<PyRunRecord> {
        self.inner.history.iter().cloned().map(|inner| PyRunRecord { inner }).collect()
    }
    /// Set while a sync runs, or left behind by a run that did not finish.
    #[getter]
    fn running(&self) -> Option<PyRunningMarker> {
        self.inner.running.clone().map(|inner| PyRunningMarker { inner })
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(
            slf.as_any(),
            "Checkpoint",
            &["profile_name", "last_sync_time", "last_sync_status", "files_transferred", "consecutive_failures"],
        )
    }
}
