//! The mapping from `datalake_core::Error` to Python exceptions: the class of
//! the error's [`ErrorKind`] (one arm per kind, in [`crate::exceptions`]),
//! with the attributes taken from the variant's fields (one arm per variant).

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyList;

use datalake_core::{Error, ErrorKind};

use crate::config::PyDiagnostic;
use crate::exceptions::class_for_kind;
use crate::util::serde_name;

/// Build the Python exception for a core error, with its attributes set.
///
/// Never fails: should building the rich exception itself fail (which would
/// take a broken interpreter), the failure is returned instead.
pub fn to_py_err(py: Python<'_>, err: &Error) -> PyErr {
    match build_exception(py, err) {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

fn build_exception<'py>(py: Python<'py>, err: &Error) -> PyResult<Bound<'py, PyAny>> {
    let kind: ErrorKind = err.kind();
    let exc = class_for_kind(py, kind)?.call1((err.to_string(),))?;
    exc.setattr(intern!(py, "kind"), kind.as_str())?;
    exc.setattr(intern!(py, "cli_exit_code"), kind.exit_code().code())?;
    set_variant_attributes(&exc, err)?;
    Ok(exc)
}

/// Copy the variant's fields onto the exception instance.
fn set_variant_attributes(exc: &Bound<'_, PyAny>, err: &Error) -> PyResult<()> {
    let py = exc.py();
    match err {
        Error::Config(c) => {
            let first = c.errors.first();
            exc.setattr("path", c.path.as_ref().map(|p| p.display().to_string()))?;
            exc.setattr("line", first.and_then(|d| d.line))?;
            exc.setattr("column", first.and_then(|d| d.column))?;
            exc.setattr("key", first.map(|d| d.key.clone()))?;
            let errors =
                c.errors.iter().map(|d| Py::new(py, PyDiagnostic::from(d.clone()))).collect::<PyResult<Vec<_>>>()?;
            exc.setattr("errors", PyList::new(py, errors)?)?;
        }
        Error::ProfileNotFound { name, suggestion, known } => {
            exc.setattr("name", name)?;
            exc.setattr("suggestion", suggestion.clone())?;
            exc.setattr("known", known.clone())?;
        }
        Error::ProfileDisabled { name } => {
            exc.setattr("name", name)?;
        }
        Error::InvalidArgument(_) => {}
        Error::Io { action, path, source, .. } => {
            // OSError's own attributes, so `except OSError` handlers can use them.
            exc.setattr("errno", source.raw_os_error())?;
            exc.setattr("strerror", source.to_string())?;
            exc.setattr("filename", path.display().to_string())?;
            exc.setattr("action", action)?;
        }
        Error::ToolNotFound { tool, package } => {
            exc.setattr("tool", tool)?;
            exc.setattr("package", package)?;
        }
        Error::Connect { target, reason, detail, .. } => {
            exc.setattr("target", target)?;
            exc.setattr("reason", serde_name(reason))?;
            exc.setattr("detail", detail)?;
        }
        Error::Authentication { target, key, detail } => {
            exc.setattr("target", target)?;
            exc.setattr("key_path", key.display().to_string())?;
            exc.setattr("detail", detail)?;
        }
        Error::HostKey { target, host, port, detail, .. } => {
            exc.setattr("target", target)?;
            exc.setattr("host", host)?;
            exc.setattr("port", port)?;
            exc.setattr("detail", detail)?;
        }
        Error::Rsync { profile, code, meaning, stderr, .. } => {
            exc.setattr("profile", profile)?;
            exc.setattr("exit_code", code)?;
            exc.setattr("meaning", meaning)?;
            exc.setattr("stderr", stderr)?;
        }
        Error::RsyncKilled { profile, stderr } => {
            exc.setattr("profile", profile)?;
            exc.setattr("stderr", stderr)?;
        }
        Error::Remote { profile, .. } | Error::Quarantined { profile, .. } => {
            exc.setattr("profile", profile)?;
        }
        Error::Locked { profile, pid, since, .. } => {
            exc.setattr("profile", profile)?;
            exc.setattr("pid", pid)?;
            exc.setattr("since", since.clone())?;
        }
        Error::Interrupted { profile, .. } => {
            exc.setattr("profile", profile)?;
        }
        Error::PartitionRemoved { profile, partition } => {
            exc.setattr("errno", 2)?; // ENOENT: the partition is gone
            exc.setattr("filename", partition)?;
            exc.setattr("profile", profile)?;
            exc.setattr("partition", partition)?;
        }
        Error::SchemaMismatch { profile, difference, first, second } => {
            exc.setattr("profile", profile)?;
            exc.setattr("difference", difference)?;
            exc.setattr("files", (first, second))?;
        }
    }
    Ok(())
}
