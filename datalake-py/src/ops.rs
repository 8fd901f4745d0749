//! The health check, converted: the allowed age from Python's forms, and the verdicts.

use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use datalake_core::inspect::health::{self, HealthReport};

use crate::errors::to_py_err;
use crate::json;
use crate::util::repr_fields;

/// `"2h"` (the core's grammar), seconds as a number, or a `datetime.timedelta`;
/// whether it is a usable age is the core's rule.
pub fn max_age_arg(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let checked = if let Ok(text) = value.extract::<String>() {
        health::parse_max_age(&text)
    } else if let Ok(delta) = value.extract::<chrono::TimeDelta>() {
        health::max_age_from_secs(delta.as_seconds_f64())
    } else if let Ok(seconds) = value.extract::<f64>() {
        health::max_age_from_secs(seconds)
    } else {
        return Err(PyTypeError::new_err(format!(
            "max_age must be a duration text like \"2h\", seconds, or a timedelta, not {}",
            value.get_type().name()?
        )));
    };
    checked.map_err(|e| to_py_err(py, &e))
}

/// The verdicts of `datalake status --max-age`.
#[pyclass(frozen, module = "datalake", name = "HealthReport")]
pub struct PyHealthReport {
    inner: HealthReport,
}

impl From<HealthReport> for PyHealthReport {
    fn from(inner: HealthReport) -> Self {
        PyHealthReport { inner }
    }
}

#[pymethods]
impl PyHealthReport {
    /// True when no enabled profile has a problem.
    #[getter]
    fn ok(&self) -> bool {
        self.inner.ok
    }
    /// The exit code of `datalake status --max-age`: 1 when a profile has a problem.
    #[getter]
    fn cli_exit_code(&self) -> i32 {
        self.inner.exit_code().code()
    }
    #[getter]
    fn max_age_seconds(&self) -> f64 {
        self.inner.max_age_seconds
    }
    #[getter]
    fn checked_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.checked_at
    }
    /// One sentence per problem, e.g. `cex_ticks: last sync failed (2 in a row): ...`.
    #[getter]
    fn problems(&self) -> Vec<String> {
        self.inner.problems().map(|p| p.message.clone()).collect()
    }
    /// One dict per profile (`profile`, `enabled`, `ok`, `problems` with `kind`
    /// and `message`, last sync and success times, age, failures, `running`).
    #[getter]
    fn profiles<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner.profiles)
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(slf.as_any(), "HealthReport", &["ok", "max_age_seconds", "problems"])
    }
}
