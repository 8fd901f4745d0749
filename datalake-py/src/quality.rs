//! `VerifyReport` and `Coverage`: the core's results, converted.

use chrono::NaiveDate;
use pyo3::prelude::*;

use datalake_core::{Coverage, VerifyReport};

use crate::json;
use crate::util::repr_fields;

/// What `DataLake.verify` found for one profile.
#[pyclass(frozen, module = "datalake", name = "VerifyReport")]
pub struct PyVerifyReport {
    inner: VerifyReport,
}

impl From<VerifyReport> for PyVerifyReport {
    fn from(inner: VerifyReport) -> Self {
        PyVerifyReport { inner }
    }
}

#[pymethods]
impl PyVerifyReport {
    #[getter]
    fn profile(&self) -> &str {
        &self.inner.profile
    }
    /// False when a file is broken or differs from the collector's copy.
    #[getter]
    fn ok(&self) -> bool {
        self.inner.ok
    }
    #[getter]
    fn files_checked(&self) -> u64 {
        self.inner.files_checked
    }
    #[getter]
    fn bytes_checked(&self) -> u64 {
        self.inner.bytes_checked
    }
    /// Files that failed the footer check: dicts with path, problem, reason.
    #[getter]
    fn broken<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner.broken)
    }
    #[getter]
    fn quarantined<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner.quarantined)
    }
    /// With remote=True: differ, missing_locally, missing_on_collector, too_recent_files.
    #[getter]
    fn remote<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner.remote)
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
        json::value_to_py(py, &self.inner.to_json_value())
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(slf.as_any(), "VerifyReport", &["profile", "ok", "files_checked"])
    }
}

/// Coverage of one profile: series, missing days, stopped series.
#[pyclass(frozen, module = "datalake", name = "Coverage")]
pub struct PyCoverage {
    inner: Coverage,
}

impl From<Coverage> for PyCoverage {
    fn from(inner: Coverage) -> Self {
        PyCoverage { inner }
    }
}

#[pymethods]
impl PyCoverage {
    #[getter]
    fn profile(&self) -> &str {
        &self.inner.profile
    }
    #[getter]
    fn latest_day(&self) -> Option<NaiveDate> {
        self.inner.latest_day
    }
    #[getter]
    fn cutoff_date(&self) -> NaiveDate {
        self.inner.cutoff_date
    }
    /// One dict per series (see `to_dict()["series"]`).
    #[getter]
    fn series<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner.series)
    }
    #[getter]
    fn missing_days(&self) -> u64 {
        self.inner.missing_days
    }
    #[getter]
    fn series_with_gaps(&self) -> u64 {
        self.inner.series_with_gaps
    }
    #[getter]
    fn stopped_series(&self) -> u64 {
        self.inner.stopped_series
    }
    #[getter]
    fn new_series(&self) -> u64 {
        self.inner.new_series
    }
    #[getter]
    fn partial_days(&self) -> u64 {
        self.inner.partial_days
    }
    #[getter]
    fn quarantined_files(&self) -> u64 {
        self.inner.quarantined_files
    }
    /// The series-by-day grid and the summary line (ANSI colours when `color`).
    #[pyo3(signature = (days = 30, color = false))]
    fn grid(&self, days: u32, color: bool) -> String {
        self.inner.grid(days, color)
    }
    /// The summary line.
    fn summary(&self) -> String {
        self.inner.summary()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::value_to_py(py, &self.inner.to_json_value())
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(slf.as_any(), "Coverage", &["profile", "latest_day", "missing_days", "stopped_series"])
    }
}
