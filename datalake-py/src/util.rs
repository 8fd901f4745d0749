//! Small helpers shared by the Python classes.

use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;

/// `Class(a=<repr of obj.a>, b=...)`, with Python's own `repr` of each attribute.
pub fn repr_fields(obj: &Bound<'_, PyAny>, class: &str, fields: &[&str]) -> PyResult<String> {
    let mut parts = Vec::with_capacity(fields.len());
    for field in fields {
        let value = obj.getattr(*field)?.repr()?;
        parts.push(format!("{field}={value}"));
    }
    Ok(format!("{class}({})", parts.join(", ")))
}

/// Python's `repr` of a Rust value, converted first.
pub fn py_repr<'py, T: IntoPyObject<'py>>(py: Python<'py>, value: T) -> PyResult<String> {
    let obj = value.into_bound_py_any(py)?;
    Ok(obj.repr()?.to_string())
}

/// The serde name of a unit enum value (e.g. `ConnectFailure::Dns` -> `"dns"`),
/// so Python sees the same strings as the JSON output.
pub fn serde_name<T: serde::Serialize + ?Sized>(value: &T) -> Option<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Some(s),
        _ => None,
    }
}
