//! Python views of a profile's checkpoint.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use pyo3::prelude::*;

use datalake_core::state::checkpoint::{RunRecord, RunningMarker};
use datalake_core::Checkpoint;

use crate::errors::to_py_err;
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
    fn status(&self) -> &'static str {
        self.inner.status.as_str()
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
    /// Read a checkpoint file: None when it is missing or unreadable as a
    /// checkpoint (left in place, with a warning in the `datalake` log).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Option<PyCheckpoint>> {
        py.detach(|| Checkpoint::load(&path, true))
            .map(|loaded| loaded.checkpoint.map(PyCheckpoint::from))
            .map_err(|e| to_py_err(py, &e))
    }
    /// A checkpoint from a dict of checkpoint keys (quants-infra's or this
    /// package's; missing keys take their defaults, unknown keys are ignored).
    #[staticmethod]
    fn from_dict(py: Python<'_>, data: Bound<'_, PyAny>) -> PyResult<PyCheckpoint> {
        let text: String = py.import("json")?.call_method1("dumps", (data,))?.extract()?;
        Checkpoint::from_json_str(&text).map(PyCheckpoint::from).map_err(|e| to_py_err(py, &e))
    }
    /// Write atomically to `path` (directory created; `saved_at` becomes now).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| self.inner.save(&path)).map_err(|e| to_py_err(py, &e))
    }
    /// The dict `save()` writes (quants-infra's keys first, their times as
    /// naive local ISO strings), with this checkpoint's own `saved_at`.
    fn to_legacy_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        // Through Python's json, which keeps the file's key order (a serde_json map would sort it).
        let text = self.inner.to_legacy_json().map_err(|e| to_py_err(py, &e))?;
        py.import("json")?.call_method1("loads", (text,))
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
