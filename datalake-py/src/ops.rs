//! Operations: the Prometheus exposition and the health check, converted.

use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use datalake_core::inspect::health::{self, HealthReport};
use datalake_core::DataLake;

use crate::errors::to_py_err;
use crate::json;
use crate::util::repr_fields;

/// `"2h"` (the core's grammar), seconds as a number, or a `datetime.timedelta`.
pub fn max_age_arg(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    if let Ok(text) = value.extract::<String>() {
        return health::parse_max_age(&text).map_err(|e| to_py_err(py, &e));
    }
    let seconds = if let Ok(delta) = value.extract::<chrono::TimeDelta>() {
        delta.as_seconds_f64()
    } else if let Ok(n) = value.extract::<f64>() {
        n
    } else {
        return Err(PyTypeError::new_err(format!(
            "max_age must be a duration text like \"2h\", seconds, or a timedelta, not {}",
            value.get_type().name()?
        )));
    };
    if !(seconds.is_finite() && seconds > 0.0) {
        let e = datalake_core::Error::InvalidArgument(format!("max age must be positive, got {seconds} seconds"));
        return Err(to_py_err(py, &e));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The exposition text of `profiles` (all when `None`).
pub fn metrics(py: Python<'_>, lake: &DataLake, profiles: Option<Vec<String>>) -> PyResult<String> {
    let names: Vec<String> = profiles.unwrap_or_default();
    py.detach(|| lake.metrics(&names.iter().map(String::as_str).collect::<Vec<_>>())).map_err(|e| to_py_err(py, &e))
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
