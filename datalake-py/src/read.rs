//! Reading the lake: `DataLake.catalog` and `DataLake.files` convert the
//! core's catalog; `DataLake.dataset`, `read`, `scan` and `read_pandas` hand
//! it to the pure-Python readers of `datalake.reader`, which build the
//! pyarrow dataset (Arrow lives in Python, not in this crate).

use chrono::{DateTime, NaiveDate, Utc};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDateTime, PyDict, PyString};

use datalake_core::{Catalog, FileEntry, FileSelection};

use crate::bridge;
use crate::errors::to_py_err;
use crate::json;
use crate::lake::PyDataLake;
use crate::util::repr_fields;

/// One complete file of a selection.
#[pyclass(frozen, module = "datalake", name = "FileEntry")]
pub struct PyFileEntry {
    inner: FileEntry,
}

#[pymethods]
impl PyFileEntry {
    /// Absolute path, as a string (also `os.fspath(entry)`).
    #[getter]
    fn path(&self) -> String {
        self.inner.path.to_string_lossy().into_owned()
    }
    #[getter]
    fn series(&self) -> &str {
        &self.inner.series
    }
    #[getter]
    fn date(&self) -> NaiveDate {
        self.inner.date
    }
    #[getter]
    fn size(&self) -> u64 {
        self.inner.size
    }
    /// Last modification, in UTC.
    #[getter]
    fn mtime(&self) -> DateTime<Utc> {
        self.inner.mtime
    }
    /// The series' fields by name (empty when the series has none).
    #[getter]
    fn fields(&self) -> std::collections::BTreeMap<String, String> {
        self.inner.fields.clone()
    }
    fn __fspath__(&self) -> String {
        self.path()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(slf.as_any(), "FileEntry", &["path", "series", "date", "size"])
    }
}

/// The complete files of a selection of one profile, and what a reader needs
/// to open them: the schema check and, after the read, whether retention
/// removed a partition meanwhile.
#[pyclass(frozen, module = "datalake", name = "Catalog")]
pub struct PyCatalog {
    inner: Catalog,
}

#[pymethods]
impl PyCatalog {
    #[getter]
    fn profile(&self) -> &str {
        &self.inner.profile
    }
    /// The profile's directory.
    #[getter]
    fn root(&self) -> std::path::PathBuf {
        self.inner.root.clone()
    }
    /// The fields of the profile's series_format, in order.
    #[getter]
    fn fields(&self) -> Vec<String> {
        self.inner.fields.clone()
    }
    /// The files, by series, date and path.
    #[getter]
    fn files(&self) -> Vec<PyFileEntry> {
        self.inner.files.iter().map(|f| PyFileEntry { inner: f.clone() }).collect()
    }
    /// The paths of the files, in the same order.
    fn paths(&self) -> Vec<String> {
        self.inner.files.iter().map(|f| f.path.to_string_lossy().into_owned()).collect()
    }
    /// The selected partitions: dicts with rel, series, date, files.
    #[getter]
    fn partitions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner.partitions)
    }
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }
    /// One file per distinct Parquet schema of the files (footers read on
    /// every core, GIL released); InvalidArgumentError naming two files when
    /// a column's type differs between them.
    fn schema_files(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let groups = bridge::call(py, || datalake_core::read::schema::groups(&self.inner, 0))?;
        Ok(groups.into_iter().map(|g| g.representative.to_string_lossy().into_owned()).collect())
    }
    /// Raise LocalIOError (errno ENOENT, `partition` set) when a selected
    /// partition was removed or replaced since the catalog listed it.
    fn check_still_there(&self, py: Python<'_>) -> PyResult<()> {
        bridge::call(py, || self.inner.check_still_there())
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __len__(&self) -> usize {
        self.inner.files.len()
    }
    fn __repr__(&self) -> String {
        format!(
            "Catalog(profile={:?}, files={}, partitions={})",
            self.inner.profile,
            self.inner.files.len(),
            self.inner.partitions.len()
        )
    }
}

/// `None`, one string, or an iterable of strings.
fn string_list(value: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Vec<String>> {
    let Some(value) = value.filter(|v| !v.is_none()) else { return Ok(Vec::new()) };
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(vec![s.to_string()]);
    }
    let mut out = Vec::new();
    for item in value.try_iter().map_err(|_| type_error(what, value))? {
        let item = item?;
        match item.cast::<PyString>() {
            Ok(s) => out.push(s.to_string()),
            Err(_) => return Err(type_error(what, &item)),
        }
    }
    Ok(out)
}

fn type_error(what: &str, value: &Bound<'_, PyAny>) -> PyErr {
    let name = value.get_type().name().map(|n| n.to_string()).unwrap_or_default();
    PyTypeError::new_err(format!("{what} takes a string or a list of strings, not {name}"))
}

/// `None`, a `datetime.date`, or a string the core parses (`2024-11-19`, `20241119`).
fn day(py: Python<'_>, value: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<NaiveDate>> {
    let Some(value) = value.filter(|v| !v.is_none()) else { return Ok(None) };
    if value.is_instance_of::<PyDateTime>() {
        return Err(PyTypeError::new_err(format!(
            "{what} takes a day (datetime.date or \"2024-11-19\"), not a datetime; for a time of day use {what}_time= with time_column="
        )));
    }
    if value.is_instance_of::<PyDate>() {
        return value.extract::<NaiveDate>().map(Some);
    }
    if let Ok(s) = value.cast::<PyString>() {
        return FileSelection::parse_date(&s.to_string()).map(Some).map_err(|e| to_py_err(py, &e));
    }
    let name = value.get_type().name()?;
    Err(PyTypeError::new_err(format!("{what} takes a datetime.date or a string such as \"2024-11-19\", not {name}")))
}

/// The selection keywords, as every reading method takes them.
fn selection(
    py: Python<'_>,
    series: Option<&Bound<'_, PyAny>>,
    start: Option<&Bound<'_, PyAny>>,
    end: Option<&Bound<'_, PyAny>>,
    fields: Option<&Bound<'_, PyDict>>,
) -> PyResult<FileSelection> {
    let mut out = FileSelection {
        series: string_list(series, "series")?,
        start: day(py, start, "start")?,
        end: day(py, end, "end")?,
        ..Default::default()
    };
    if let Some(fields) = fields {
        for (name, value) in fields.iter() {
            let name: String = name.extract()?;
            let values = string_list(Some(&value), &name)?;
            out.fields.insert(name, values);
        }
    }
    Ok(out)
}

/// Call `datalake.reader.<function>(lake, profile, **kwargs)`.
fn delegate<'py>(
    slf: &Bound<'py, PyDataLake>,
    function: &str,
    profile: &str,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = slf.py();
    let reader = py.import("datalake.reader")?;
    reader.getattr(function)?.call((slf, profile), kwargs)
}

#[pymethods]
impl PyDataLake {
    /// The complete files of a selection, with the schema check and the
    /// retention check a reader needs (see Catalog).
    #[pyo3(signature = (profile, *, series = None, start = None, end = None, **fields))]
    fn catalog(
        &self,
        py: Python<'_>,
        profile: &str,
        series: Option<Bound<'_, PyAny>>,
        start: Option<Bound<'_, PyAny>>,
        end: Option<Bound<'_, PyAny>>,
        fields: Option<Bound<'_, PyDict>>,
    ) -> PyResult<PyCatalog> {
        let selection = selection(py, series.as_ref(), start.as_ref(), end.as_ref(), fields.as_ref())?;
        bridge::call(py, || self.core().files(profile, &selection)).map(|inner| PyCatalog { inner })
    }

    /// The profile's table on an object store, as a reader opens it:
    /// `{"uri": "s3://bucket/prefix", "options": {...}}` with object_store's
    /// option names (pyarrow, Polars and deltalake take them); None for a
    /// local table. The options hold the credentials in clear: pass them on,
    /// never print them.
    fn table_storage<'py>(&self, py: Python<'py>, profile: &str) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(storage) = bridge::call(py, || self.core().table_storage(profile))? else { return Ok(None) };
        let options = PyDict::new(py);
        for (k, v) in storage.client_options() {
            options.set_item(k, v)?;
        }
        let out = PyDict::new(py);
        out.set_item("uri", storage.table_uri.to_string())?;
        out.set_item("options", options)?;
        Ok(Some(out))
    }

    /// The complete files of a selection, by series, date and path.
    #[pyo3(signature = (profile, *, series = None, start = None, end = None, **fields))]
    fn files(
        &self,
        py: Python<'_>,
        profile: &str,
        series: Option<Bound<'_, PyAny>>,
        start: Option<Bound<'_, PyAny>>,
        end: Option<Bound<'_, PyAny>>,
        fields: Option<Bound<'_, PyDict>>,
    ) -> PyResult<Vec<PyFileEntry>> {
        let catalog = self.catalog(py, profile, series, start, end, fields)?;
        Ok(catalog.inner.files.into_iter().map(|inner| PyFileEntry { inner }).collect())
    }

    /// A pyarrow.dataset.Dataset over exactly the selection's files (see datalake.reader.dataset).
    #[pyo3(signature = (profile, **kwargs))]
    fn dataset<'py>(
        slf: &Bound<'py, Self>,
        profile: &str,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        delegate(slf, "dataset", profile, kwargs)
    }

    /// The selection's rows as a pyarrow.Table (see datalake.reader.read).
    #[pyo3(signature = (profile, **kwargs))]
    fn read<'py>(
        slf: &Bound<'py, Self>,
        profile: &str,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        delegate(slf, "read", profile, kwargs)
    }

    /// The selection as a polars.LazyFrame (see datalake.reader.scan).
    #[pyo3(signature = (profile, **kwargs))]
    fn scan<'py>(
        slf: &Bound<'py, Self>,
        profile: &str,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        delegate(slf, "scan", profile, kwargs)
    }

    /// The selection's rows as a pandas.DataFrame (see datalake.reader.read_pandas).
    #[pyo3(signature = (profile, **kwargs))]
    fn read_pandas<'py>(
        slf: &Bound<'py, Self>,
        profile: &str,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        delegate(slf, "read_pandas", profile, kwargs)
    }
}
