//! Python views of retention: one profile's cleanup report, the paths it
//! kept, and the aggregate of `cleanup_all`.

use std::path::PathBuf;

use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use datalake_core::state::cleaner::SkippedPath;
use datalake_core::{CleanupAllReport, CleanupReport};

use crate::errors::to_py_err;
use crate::json;
use crate::util::repr_fields;

/// A path the cleaner kept on purpose, and why.
#[pyclass(frozen, module = "datalake", name = "SkippedPath")]
pub struct PySkippedPath {
    inner: SkippedPath,
}

#[pymethods]
impl PySkippedPath {
    #[getter]
    fn path(&self) -> PathBuf {
        self.inner.path.clone()
    }
    #[getter]
    fn reason(&self) -> &str {
        &self.inner.reason
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(slf.as_any(), "SkippedPath", &["path", "reason"])
    }
}

/// What a retention run did (or, in a dry run, would do).
#[pyclass(frozen, module = "datalake", name = "CleanupReport")]
pub struct PyCleanupReport {
    inner: CleanupReport,
}

impl From<CleanupReport> for PyCleanupReport {
    fn from(inner: CleanupReport) -> Self {
        PyCleanupReport { inner }
    }
}

#[pymethods]
impl PyCleanupReport {
    #[getter]
    fn profile(&self) -> &str {
        &self.inner.profile
    }
    #[getter]
    fn dry_run(&self) -> bool {
        self.inner.dry_run
    }
    #[getter]
    fn cutoff_date(&self) -> NaiveDate {
        self.inner.cutoff_date
    }
    #[getter]
    fn deleted_dirs(&self) -> u64 {
        self.inner.deleted_dirs
    }
    #[getter]
    fn deleted_files(&self) -> u64 {
        self.inner.deleted_files
    }
    #[getter]
    fn freed_bytes(&self) -> u64 {
        self.inner.freed_bytes
    }
    #[getter]
    fn deleted_paths(&self) -> Vec<PathBuf> {
        self.inner.deleted_paths.clone()
    }
    #[getter]
    fn skipped(&self) -> Vec<PySkippedPath> {
        self.inner.skipped.iter().cloned().map(|inner| PySkippedPath { inner }).collect()
    }
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }
    #[getter]
    fn duration_seconds(&self) -> f64 {
        self.inner.duration_seconds
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(
            slf.as_any(),
            "CleanupReport",
            &["profile", "dry_run", "cutoff_date", "deleted_dirs", "deleted_files", "freed_bytes"],
        )
    }
}

/// What a `cleanup_all` did: per enabled profile, in name order, its
/// CleanupReport or the exception of the error that kept it from running.
#[pyclass(frozen, module = "datalake", name = "CleanupAllReport")]
pub struct PyCleanupAllReport {
    /// (profile, CleanupReport or DataLakeError instance).
    results: Vec<(String, Py<PyAny>)>,
    /// Which of `results` failed.
    failed: Vec<bool>,
    /// The index of the failure that speaks for the whole.
    worst: Option<usize>,
    exit_code: i32,
    json: serde_json::Value,
}

impl PyCleanupAllReport {
    /// Move the core's aggregate into Python objects.
    pub fn new(py: Python<'_>, all: CleanupAllReport) -> PyResult<Self> {
        let worst = all.worst().and_then(|(p, _)| all.results.iter().position(|o| o.profile == p));
        let exit_code = all.exit_code().code();
        let json = all.to_json_value();
        let mut results = Vec::with_capacity(all.results.len());
        let mut failed = Vec::with_capacity(all.results.len());
        for outcome in all.results {
            let value = match outcome.result {
                Ok(report) => Py::new(py, PyCleanupReport::from(report))?.into_any(),
                Err(e) => to_py_err(py, &e).into_value(py).into_any(),
            };
            failed.push(value.bind(py).is_instance_of::<pyo3::exceptions::PyBaseException>());
            results.push((outcome.profile, value));
        }
        Ok(PyCleanupAllReport { results, failed, worst, exit_code, json })
    }

    fn pick<'py>(&self, py: Python<'py>, failures: bool) -> Vec<&Bound<'py, PyAny>> {
        self.results
            .iter()
            .zip(&self.failed)
            .filter(|(_, failed)| **failed == failures)
            .map(|((_, value), _)| value.bind(py))
            .collect()
    }
}

#[pymethods]
impl PyCleanupAllReport {
    /// `(profile, CleanupReport or DataLakeError)` per profile attempted, in name order.
    #[getter]
    fn results<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = self
            .results
            .iter()
            .map(|(name, value)| PyTuple::new(py, [name.into_pyobject(py)?.into_any(), value.bind(py).clone()]))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }
    /// The reports of the profiles that were cleaned.
    #[getter]
    fn reports<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.pick(py, false))
    }
    /// The errors of the profiles that could not be cleaned.
    #[getter]
    fn errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.pick(py, true))
    }
    /// True when every profile was cleaned.
    #[getter]
    fn ok(&self) -> bool {
        self.worst.is_none()
    }
    /// The exit code the `datalake cleanup --all` command reports.
    #[getter]
    fn cli_exit_code(&self) -> i32 {
        self.exit_code
    }
    /// Raise the error that speaks for the whole (the worst exit code, the
    /// first in name order among equals), unless every profile was cleaned.
    fn raise_for_status(&self, py: Python<'_>) -> PyResult<()> {
        match self.worst {
            Some(i) => Err(PyErr::from_value(self.results[i].1.bind(py).clone())),
            None => Ok(()),
        }
    }
    /// `{"results": [...]}`: each profile's report, or `{"profile", "error": {"kind", "message"}}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::value_to_py(py, &self.json)
    }
    fn __len__(&self) -> usize {
        self.results.len()
    }
    fn __repr__(&self) -> String {
        let failed = self.failed.iter().filter(|f| **f).count();
        format!("CleanupAllReport(profiles={}, failed={failed}, cli_exit_code={})", self.results.len(), self.exit_code)
    }
}
