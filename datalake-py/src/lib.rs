//! Python bindings for datalake-core, built by maturin as `datalake._datalake`.
//!
//! This crate is an adapter only: it converts types, maps errors to Python
//! exceptions, releases the GIL around long calls and bridges callbacks and
//! logging. Every behaviour lives in datalake-core, so Python, C and Rust
//! users get the same one. The public Python API is the `datalake` package
//! (python/datalake), which re-exports this module.

use pyo3::prelude::*;

mod bridge;
mod checkpoint;
mod config;
mod errors;
mod exceptions;
mod json;
mod lake;
mod logging;
mod ops;
mod parsing;
mod quality;
mod read;
mod reports;
mod retention;
mod stats;
mod util;

/// Native part of the `datalake` package; import `datalake` instead.
#[pymodule]
#[pyo3(name = "_datalake")]
fn datalake_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install();
    exceptions::register(m)?;
    m.add_class::<lake::PyDataLake>()?;
    m.add_class::<config::PyConfig>()?;
    m.add_class::<config::PyProfile>()?;
    m.add_class::<config::PySource>()?;
    m.add_class::<config::PyDiagnostic>()?;
    m.add_class::<config::PyValidationReport>()?;
    m.add_class::<reports::PySyncReport>()?;
    m.add_class::<reports::PySyncAllReport>()?;
    m.add_class::<retention::PyCleanupReport>()?;
    m.add_class::<retention::PyCleanupAllReport>()?;
    m.add_class::<retention::PySkippedPath>()?;
    m.add_class::<stats::PyProfileStats>()?;
    m.add_class::<stats::PyConnectionReport>()?;
    m.add_class::<reports::PyProgress>()?;
    m.add_class::<quality::PyVerifyReport>()?;
    m.add_class::<quality::PyVerifyAllReport>()?;
    m.add_class::<quality::PyCoverage>()?;
    m.add_class::<quality::PyCoverageAllReport>()?;
    m.add_class::<checkpoint::PyCheckpoint>()?;
    m.add_class::<checkpoint::PyRunRecord>()?;
    m.add_class::<checkpoint::PyRunningMarker>()?;
    m.add_class::<ops::PyHealthReport>()?;
    m.add_class::<read::PyCatalog>()?;
    m.add_class::<read::PyFileEntry>()?;
    m.add_function(wrap_pyfunction!(lake::validate_file, m)?)?;
    m.add_function(wrap_pyfunction!(config::config_keys, m)?)?;
    m.add_function(wrap_pyfunction!(lake::human_size, m)?)?;
    m.add_function(wrap_pyfunction!(parsing::partition_date, m)?)?;
    m.add_function(wrap_pyfunction!(parsing::parse_rsync_stats, m)?)?;
    m.add_function(wrap_pyfunction!(lake::all_error_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(lake::all_sync_statuses, m)?)?;
    m.add_function(wrap_pyfunction!(lake::all_commands, m)?)?;
    m.add_function(wrap_pyfunction!(lake::exit_codes, m)?)?;
    m.add_function(wrap_pyfunction!(lake::worst_exit_code, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
