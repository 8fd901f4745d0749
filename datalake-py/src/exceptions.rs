//! The Python exception classes: one per core error kind, every one under
//! `datalake.DataLakeError` (delta-rs style), and the class of each kind.
//! Classes that must also be a built-in exception (`KeyError`, `ValueError`,
//! `OSError`) need two bases, which `create_exception!` cannot express, so
//! they are built once with `type()`. Building the exception of an error (its
//! attributes) is [`crate::errors`]'s job.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

use datalake_core::{ErrorKind, ExitCode};

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

/// A binding-level failure (not a core error): raised as a plain DataLakeError.
pub fn binding_error(message: impl Into<String>) -> PyErr {
    DataLakeError::new_err(message.into())
}
