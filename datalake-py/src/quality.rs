//! `VerifyReport` and `Coverage`, and their aggregates over every profile:
//! the core's results, converted.

use chrono::NaiveDate;
use pyo3::prelude::*;

use datalake_core::{Coverage, CoverageAllReport, VerifyAllReport, VerifyReport};

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
    /// The exit code the `datalake verify` command reports: 1 unless `ok`.
    #[getter]
    fn cli_exit_code(&self) -> i32 {
        self.inner.exit_code().code()
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
    /// Whether a missing day makes this coverage a failure (as asked).
    #[getter]
    fn fail_on_gaps(&self) -> bool {
        self.inner.fail_on_gaps
    }
    /// The exit code the `datalake coverage` command reports: 1 for a gap
    /// with `fail_on_gaps`, else 0.
    #[getter]
    fn cli_exit_code(&self) -> i32 {
        self.inner.exit_code().code()
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

/// What `verify_all` found: one VerifyReport per profile, in name order.
#[pyclass(frozen, module = "datalake", name = "VerifyAllReport")]
pub struct PyVerifyAllReport {
    ok: bool,
    exit_code: i32,
    reports: Vec<Py<PyVerifyReport>>,
    json: serde_json::Value,
}

impl PyVerifyAllReport {
    /// Move the core's aggregate into Python objects.
    pub fn new(py: Python<'_>, all: VerifyAllReport) -> PyResult<Self> {
        let (ok, exit_code, json) = (all.ok, all.exit_code().code(), all.to_json_value());
        let reports = all.reports.into_iter().map(|r| Py::new(py, PyVerifyReport::from(r))).collect::<PyResult<_>>()?;
        Ok(PyVerifyAllReport { ok, exit_code, reports, json })
    }
}

#[pymethods]
impl PyVerifyAllReport {
    /// True when every profile's report is ok.
    #[getter]
    fn ok(&self) -> bool {
        self.ok
    }
    /// The exit code the `datalake verify --all` command reports.
    #[getter]
    fn cli_exit_code(&self) -> i32 {
        self.exit_code
    }
    #[getter]
    fn reports(&self, py: Python<'_>) -> Vec<Py<PyVerifyReport>> {
        self.reports.iter().map(|r| r.clone_ref(py)).collect()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::value_to_py(py, &self.json)
    }
    fn __len__(&self) -> usize {
        self.reports.len()
    }
    fn __repr__(&self) -> String {
        format!("VerifyAllReport(ok={}, profiles={}, cli_exit_code={})", self.ok, self.reports.len(), self.exit_code)
    }
}

/// The coverage of every profile, in name order.
#[pyclass(frozen, module = "datalake", name = "CoverageAllReport")]
pub struct PyCoverageAllReport {
    fail_on_gaps: bool,
    missing_days: u64,
    exit_code: i32,
    coverages: Vec<Py<PyCoverage>>,
    json: serde_json::Value,
}

impl PyCoverageAllReport {
    /// Move the core's aggregate into Python objects.
    pub fn new(py: Python<'_>, all: CoverageAllReport) -> PyResult<Self> {
        let (exit_code, json) = (all.exit_code().code(), all.to_json_value());
        let coverages = all.coverages.into_iter().map(|c| Py::new(py, PyCoverage::from(c))).collect::<PyResult<_>>()?;
        Ok(PyCoverageAllReport {
            fail_on_gaps: all.fail_on_gaps,
            missing_days: all.missing_days,
            exit_code,
            coverages,
            json,
        })
    }
}

#[pymethods]
impl PyCoverageAllReport {
    /// Whether a missing day is a failure (as asked).
    #[getter]
    fn fail_on_gaps(&self) -> bool {
        self.fail_on_gaps
    }
    /// Missing days summed over every profile.
    #[getter]
    fn missing_days(&self) -> u64 {
        self.missing_days
    }
    /// The exit code the `datalake coverage --all` command reports.
    #[getter]
    fn cli_exit_code(&self) -> i32 {
        self.exit_code
    }
    #[getter]
    fn coverages(&self, py: Python<'_>) -> Vec<Py<PyCoverage>> {
        self.coverages.iter().map(|c| c.clone_ref(py)).collect()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::value_to_py(py, &self.json)
    }
    fn __len__(&self) -> usize {
        self.coverages.len()
    }
    fn __repr__(&self) -> String {
        format!(
            "CoverageAllReport(profiles={}, missing_days={}, fail_on_gaps={}, cli_exit_code={})",
            self.coverages.len(),
            self.missing_days,
            if self.fail_on_gaps { "True" } else { "False" },
            self.exit_code
        )
    }
}
