//! `CompactReport`: what a compaction did, converted (`DataLake.compact` is in `compact.rs`).

use pyo3::prelude::*;

use pyo3::types::{PyList, PyTuple};

use datalake_core::{CompactAllReport, CompactReport};

use crate::errors::to_py_err;
use crate::json;
use crate::util::repr_fields;

/// What a compaction did: days compacted, parts absorbed, rows in and out,
/// duplicates dropped, bytes before and after, days left raw and why.
#[pyclass(frozen, module = "datalake", name = "CompactReport")]
pub struct PyCompactReport {
    inner: CompactReport,
}

impl From<CompactReport> for PyCompactReport {
    fn from(inner: CompactReport) -> Self {
        PyCompactReport { inner }
    }
}

impl PyCompactReport {
    /// The exception for the error the core attached (every status but
    /// success), with `.report` set; `None` for a success.
    pub(crate) fn failure(slf: &Bound<'_, Self>) -> PyResult<Option<PyErr>> {
        let py = slf.py();
        let Some(error) = slf.get().inner.failure() else { return Ok(None) };
        let err = to_py_err(py, error);
        err.value(py).setattr("report", slf)?;
        Ok(Some(err))
    }
}

#[pymethods]
impl PyCompactReport {
    #[getter]
    fn profile(&self) -> &str {
        &self.inner.profile
    }
    /// `success`, `partial` (closed days stay raw: see `skipped`), `interrupted` or `failed`.
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status.as_str()
    }
    #[getter]
    fn dry_run(&self) -> bool {
        self.inner.dry_run
    }
    #[getter]
    fn table_uri(&self) -> &str {
        &self.inner.table_uri
    }
    #[getter]
    fn table_version(&self) -> Option<u64> {
        self.inner.table_version
    }
    #[getter]
    fn days_compacted(&self) -> u64 {
        self.inner.days_compacted
    }
    #[getter]
    fn days_merged(&self) -> u64 {
        self.inner.days_merged
    }
    #[getter]
    fn parts_absorbed(&self) -> u64 {
        self.inner.parts_absorbed
    }
    #[getter]
    fn rows_in(&self) -> u64 {
        self.inner.rows_in
    }
    #[getter]
    fn rows_out(&self) -> u64 {
        self.inner.rows_out
    }
    #[getter]
    fn duplicates_dropped(&self) -> u64 {
        self.inner.duplicates_dropped
    }
    #[getter]
    fn bytes_before(&self) -> u64 {
        self.inner.bytes_before
    }
    #[getter]
    fn bytes_after(&self) -> u64 {
        self.inner.bytes_after
    }
    #[getter]
    fn raw_parts_removed(&self) -> u64 {
        self.inner.raw_parts_removed
    }
    #[getter]
    fn commits(&self) -> u64 {
        self.inner.commits
    }
    #[getter]
    fn days_open(&self) -> u64 {
        self.inner.days_open
    }
    #[getter]
    fn duration_seconds(&self) -> f64 {
        self.inner.duration_seconds
    }
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }
    #[getter]
    fn errors(&self) -> Vec<String> {
        self.inner.errors.clone()
    }
    #[getter]
    fn error_kind(&self) -> Option<&'static str> {
        self.inner.error_kind.map(|k| k.as_str())
    }
    /// Closed days left raw: dicts with `series`, `date`, `reason`, `kind`.
    #[getter]
    fn skipped<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner.skipped)
    }
    /// Every series-day written: dicts with `series`, `date`, `parts`, `merged`,
    /// `rows_in`, `rows_out`, `duplicates`, `bytes_before`, `bytes_after`, `files`, `added_columns`.
    #[getter]
    fn days<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner.days)
    }
    /// The exit code `datalake compact` reports for this run (the core's table).
    #[getter]
    fn cli_exit_code(&self) -> i32 {
        self.inner.exit_code().code()
    }
    /// Raise the matching exception (with `.report` set) unless the run succeeded.
    fn raise_for_status(slf: &Bound<'_, Self>) -> PyResult<()> {
        match Self::failure(slf)? {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(
            slf.as_any(),
            "CompactReport",
            &["profile", "status", "days_compacted", "parts_absorbed", "rows_out", "duplicates_dropped"],
        )
    }
}

/// What `compact_all` did: one result per profile with `compact.enabled`.
#[pyclass(frozen, module = "datalake", name = "CompactAllReport")]
pub struct PyCompactAllReport {
    /// (profile, CompactReport or DataLakeError instance).
    results: Vec<(String, Py<PyAny>)>,
    exit_code: i32,
    json: serde_json::Value,
}

impl PyCompactAllReport {
    /// Move the core's aggregate into Python objects.
    pub fn new(py: Python<'_>, all: CompactAllReport) -> PyResult<Self> {
        let exit_code = all.exit_code().code();
        let json = all.to_json_value();
        let mut results = Vec::with_capacity(all.results.len());
        for outcome in all.results {
            let value = match outcome.result {
                Ok(report) => Py::new(py, PyCompactReport::from(report))?.into_any(),
                Err(e) => to_py_err(py, &e).into_value(py).into_any(),
            };
            results.push((outcome.profile, value));
        }
        Ok(PyCompactAllReport { results, exit_code, json })
    }
}

#[pymethods]
impl PyCompactAllReport {
    /// `(profile, CompactReport or DataLakeError)` per profile attempted, in name order.
    #[getter]
    fn results<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = self
            .results
            .iter()
            .map(|(name, value)| PyTuple::new(py, [name.into_pyobject(py)?.into_any(), value.bind(py).clone()]))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }
    /// The exit code `datalake compact --all` reports (the worst of the profiles').
    #[getter]
    fn cli_exit_code(&self) -> i32 {
        self.exit_code
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::value_to_py(py, &self.json)
    }
    fn __repr__(&self) -> String {
        format!("CompactAllReport(profiles={}, cli_exit_code={})", self.results.len(), self.exit_code)
    }
}
