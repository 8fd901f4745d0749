//! Python exception classes and the mapping from `datalake_core::Error`.
//!
//! Every class lives under `datalake.DataLakeError` (delta-rs style). The
//! class is chosen by [`ErrorKind`], one arm per kind; the attributes come from
//! the variant's fields. Classes that must also be a built-in exception
//! (`KeyError`, `ValueError`, `OSError`) need two bases, which
//! `create_exception!` cannot express, so they are built once with `type()`.

use pyo3::exceptions::{PyException, PyKeyError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};
use pyo3::{create_exception, intern};

use datalake_core::{Error, ErrorKind, ExitCode};

use crate::config::PyDiagnostic;
use crate::util::serde_name;

create_exception!(
    datalake,
    DataLakeError,
    PyException,
    "Base class of every error raised by datalake; `kind` holds the core's error kind."
);
create_exception!(
    datalake,
    ConfigError,
    DataLakeError,
    "The configuration file is missing, unreadable or invalid (see `errors` for every problem)."
);
create_exception!(
    datalake,
    ConnectError,
    DataLakeError,
    "The collector could not be reached (DNS, refused, timeout, network)."
);
create_exception!(
    datalake,
    AuthenticationError,
    DataLakeError,
    "SSH authentication with the configured key was rejected."
);
create_exception!(datalake, HostKeyError, DataLakeError, "The collector's SSH host key is unknown or has changed.");
create_exception!(
    datalake,
    ToolNotFoundError,
    DataLakeError,
    "rsync or ssh is not installed on this machine (also importable as RsyncNotFoundError, its former name)."
);
create_exception!(
    datalake,
    SyncError,
    DataLakeError,
    "rsync ran and failed, or ended partial; `exit_code` holds rsync's exit code when it exited."
);
create_exception!(
    datalake,
    LockedError,
    DataLakeError,
    "Another process holds the profile's lock; `pid` names it when known."
);
create_exception!(
    datalake,
    CancelledError,
    DataLakeError,
    "The operation was cancelled (DataLake.cancel()); partial data is kept for the next run."
);

static PROFILE_NOT_FOUND: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INVALID_ARGUMENT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static LOCAL_IO: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Build `class <name>(DataLakeError, <builtin>)` with `__module__ = "datalake"`.
///
/// `KeyError.__str__` would quote the message; `BaseException.__str__` keeps
/// it readable, so it is put back for every two-base class.
fn two_base_class<'py>(py: Python<'py>, name: &str, builtin: Bound<'py, PyType>, doc: &str) -> PyResult<Py<PyType>> {
    let namespace = PyDict::new(py);
    namespace.set_item("__module__", "datalake")?;
    namespace.set_item("__doc__", doc)?;
    let base_exception = py.get_type::<pyo3::exceptions::PyBaseException>();
    namespace.set_item("__str__", base_exception.getattr("__str__")?)?;
    let bases = PyTuple::new(py, [py.get_type::<DataLakeError>(), builtin])?;
    let cls = py.get_type::<PyType>().call1((name, bases, namespace))?;
    Ok(cls.cast_into::<PyType>()?.unbind())
}

/// `ProfileNotFoundError(DataLakeError, KeyError)`.
pub fn profile_not_found_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    PROFILE_NOT_FOUND
        .get_or_try_init(py, || {
            two_base_class(
                py,
                "ProfileNotFoundError",
                py.get_type::<PyKeyError>(),
                "No profile of that name exists; `name`, `suggestion` and `known` tell more.",
            )
        })
        .map(|t| t.bind(py))
}

/// `InvalidArgumentError(DataLakeError, ValueError)`.
pub fn invalid_argument_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    INVALID_ARGUMENT
        .get_or_try_init(py, || {
            two_base_class(
                py,
                "InvalidArgumentError",
                py.get_type::<PyValueError>(),
                "An unusable argument, e.g. a disabled profile asked for by name.",
            )
        })
        .map(|t| t.bind(py))
}

/// `LocalIOError(DataLakeError, OSError)`, with `errno`, `strerror` and `filename` set.
pub fn local_io_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    LOCAL_IO
        .get_or_try_init(py, || {
            two_base_class(
                py,
                "LocalIOError",
                py.get_type::<PyOSError>(),
                "A local filesystem operation failed; `errno` and `filename` tell which.",
            )
        })
        .map(|t| t.bind(py))
}

/// Register every exception class on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("DataLakeError", py.get_type::<DataLakeError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("ProfileNotFoundError", profile_not_found_error(py)?)?;
    m.add("InvalidArgumentError", invalid_argument_error(py)?)?;
    m.add("LocalIOError", local_io_error(py)?)?;
    m.add("ConnectError", py.get_type::<ConnectError>())?;
    m.add("AuthenticationError", py.get_type::<AuthenticationError>())?;
    m.add("HostKeyError", py.get_type::<HostKeyError>())?;
    m.add("ToolNotFoundError", py.get_type::<ToolNotFoundError>())?;
    // The former name, kept so existing `except RsyncNotFoundError` still works.
    m.add("RsyncNotFoundError", py.get_type::<ToolNotFoundError>())?;
    m.add("SyncError", py.get_type::<SyncError>())?;
    m.add("LockedError", py.get_type::<LockedError>())?;
    m.add("CancelledError", py.get_type::<CancelledError>())?;

    // Class-level defaults, so an instance created by user code (or a future
    // variant without the field) still has every documented attribute.
    let none = py.None();
    py.get_type::<DataLakeError>().setattr("kind", &none)?;
    // An error that did not come from the core (a binding bug) is a failure.
    py.get_type::<DataLakeError>().setattr("cli_exit_code", ExitCode::Failed.code())?;
    py.get_type::<DataLakeError>().setattr("report", &none)?;
    for attr in ["path", "line", "column", "key"] {
        py.get_type::<ConfigError>().setattr(attr, &none)?;
    }
    py.get_type::<SyncError>().setattr("exit_code", &none)?;
    py.get_type::<LockedError>().setattr("pid", &none)?;
    Ok(())
}

/// The exception class for a core error kind: one explicit arm per kind.
pub fn class_for_kind(py: Python<'_>, kind: ErrorKind) -> PyResult<Bound<'_, PyType>> {
    Ok(match kind {
        ErrorKind::InvalidArgument => invalid_argument_error(py)?.clone(),
        ErrorKind::Config => py.get_type::<ConfigError>(),
        ErrorKind::ProfileNotFound => profile_not_found_error(py)?.clone(),
        ErrorKind::Io => local_io_error(py)?.clone(),
        ErrorKind::ToolNotFound => py.get_type::<ToolNotFoundError>(),
        ErrorKind::Connect => py.get_type::<ConnectError>(),
        ErrorKind::Authentication => py.get_type::<AuthenticationError>(),
        ErrorKind::HostKey => py.get_type::<HostKeyError>(),
        ErrorKind::Sync => py.get_type::<SyncError>(),
        ErrorKind::Locked => py.get_type::<LockedError>(),
        ErrorKind::Interrupted => py.get_type::<CancelledError>(),
    })
}

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
    let kind = err.kind();
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

/// A binding-level failure (not a core error): raised as a plain DataLakeError.
pub fn binding_error(message: impl Into<String>) -> PyErr {
    DataLakeError::new_err(message.into())
}
