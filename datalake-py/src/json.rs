//! `to_dict()` support: the core's serde serialization, turned into Python objects.
//!
//! The dicts are built from `serde_json::Value`, i.e. from exactly the same
//! serialization the CLI's `--format json` and the C ABI print, so the three
//! faces cannot drift apart. (pythonize would do this directly but lags behind
//! the pyo3 release used here; the conversion is a dozen lines.)

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde::Serialize;
use serde_json::Value;

use crate::exceptions::binding_error;

/// Serialize `value` with serde and convert the result to Python objects.
pub fn to_py<'py, T: Serialize + ?Sized>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_value(value).map_err(|e| {
        binding_error(format!("cannot serialize the report to JSON: {e}; this is a bug, please report it"))
    })?;
    value_to_py(py, &json)
}

/// Convert one JSON value: objects become dicts (key order kept), arrays lists.
pub fn value_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else {
                // serde_json numbers are u64, i64 or finite f64.
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(value_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, value_to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}
