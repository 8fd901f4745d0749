//! Core parsers usable without a loaded config: what date a directory name
//! stands for, and what rsync's `--stats` block says.

use std::path::PathBuf;

use chrono::NaiveDate;
use pyo3::prelude::*;

use datalake_core::local::partition;
use datalake_core::rsync::output;

use crate::json;

/// The date a partition directory (name or relative path) stands for, or None.
#[pyfunction]
pub fn partition_date(path: PathBuf) -> Option<NaiveDate> {
    partition::partition_date(&path)
}

/// The numbers of an rsync `--stats` block found in `text` (zeros where absent).
#[pyfunction]
pub fn parse_rsync_stats<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    json::to_py(py, &output::parse_stats(text))
}
