//! Read-only Python views of the configuration types.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use datalake_core::config::Diagnostic;
use datalake_core::{Config, Profile, Source, ValidationReport};

use crate::json;
use crate::util::{py_repr, repr_fields};

/// One problem in a configuration file (`str()` gives `file:line:col: key: message`).
#[pyclass(frozen, module = "datalake", name = "Diagnostic")]
pub struct PyDiagnostic {
    inner: Diagnostic,
}

impl From<Diagnostic> for PyDiagnostic {
    fn from(inner: Diagnostic) -> Self {
        PyDiagnostic { inner }
    }
}

#[pymethods]
impl PyDiagnostic {
    /// `"error"` or `"warning"`.
    #[getter]
    fn severity(&self) -> &'static str {
        self.inner.severity.as_str()
    }
    /// `file:line:col: severity: key.path: message`, as `datalake validate` prints it.
    #[getter]
    fn line_text(&self) -> String {
        self.inner.line()
    }
    #[getter]
    fn file(&self) -> Option<PathBuf> {
        self.inner.file.clone()
    }
    #[getter]
    fn line(&self) -> Option<usize> {
        self.inner.line
    }
    #[getter]
    fn column(&self) -> Option<usize> {
        self.inner.column
    }
    #[getter]
    fn key(&self) -> &str {
        &self.inner.key
    }
    #[getter]
    fn message(&self) -> &str {
        &self.inner.message
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __str__(&self) -> String {
        self.inner.to_string()
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(slf.as_any(), "Diagnostic", &["severity", "file", "line", "column", "key", "message"])
    }
}

/// Outcome of validating a config file: `ok`, `errors`, `warnings`.
#[pyclass(frozen, module = "datalake", name = "ValidationReport")]
pub struct PyValidationReport {
    inner: ValidationReport,
}

impl From<ValidationReport> for PyValidationReport {
    fn from(inner: ValidationReport) -> Self {
        PyValidationReport { inner }
    }
}

fn diagnostics(list: &[Diagnostic]) -> Vec<PyDiagnostic> {
    list.iter().cloned().map(PyDiagnostic::from).collect()
}

#[pymethods]
impl PyValidationReport {
    #[getter]
    fn path(&self) -> PathBuf {
        self.inner.path.clone()
    }
    #[getter]
    fn ok(&self) -> bool {
        self.inner.ok
    }
    /// The exit code `datalake validate` reports: 0, or 2 for an invalid file.
    #[getter]
    fn cli_exit_code(&self) -> i32 {
        self.inner.exit_code().code()
    }
    #[getter]
    fn errors(&self) -> Vec<PyDiagnostic> {
        diagnostics(&self.inner.errors)
    }
    #[getter]
    fn warnings(&self) -> Vec<PyDiagnostic> {
        diagnostics(&self.inner.warnings)
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "ValidationReport(path={}, ok={}, errors={}, warnings={})",
            py_repr(py, &self.inner.path)?,
            py_repr(py, self.inner.ok)?,
            self.inner.errors.len(),
            self.inner.warnings.len()
        ))
    }
}

/// Where a profile's data comes from: `type` is `"ssh"` or `"local"`.
#[pyclass(frozen, module = "datalake", name = "Source")]
pub struct PySource {
    inner: Source,
}

#[pymethods]
impl PySource {
    /// `"ssh"` or `"local"`.
    #[getter]
    fn r#type(&self) -> &'static str {
        self.inner.type_name()
    }
    #[getter]
    fn host(&self) -> Option<&str> {
        match &self.inner {
            Source::Ssh(s) => Some(&s.host),
            Source::Local { .. } => None,
        }
    }
    #[getter]
    fn port(&self) -> Option<u16> {
        match &self.inner {
            Source::Ssh(s) => Some(s.port),
            Source::Local { .. } => None,
        }
    }
    #[getter]
    fn user(&self) -> Option<&str> {
        match &self.inner {
            Source::Ssh(s) => Some(&s.user),
            Source::Local { .. } => None,
        }
    }
    #[getter]
    fn ssh_key(&self) -> Option<PathBuf> {
        match &self.inner {
            Source::Ssh(s) => Some(s.ssh_key.clone()),
            Source::Local { .. } => None,
        }
    }
    /// The directory read from (on the collector for SSH, on this machine for local).
    #[getter]
    fn remote_root(&self) -> String {
        match &self.inner {
            Source::Ssh(s) => s.remote_root.clone(),
            Source::Local { remote_root } => remote_root.display().to_string(),
        }
    }
    /// `user@host:port` for SSH, `None` for local sources.
    #[getter]
    fn target(&self) -> Option<String> {
        match &self.inner {
            Source::Ssh(s) => Some(s.target()),
            Source::Local { .. } => None,
        }
    }
    /// `user@host:remote_root` for SSH, the directory for local sources.
    #[getter]
    fn display(&self) -> String {
        self.inner.display_remote()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(slf.as_any(), "Source", &["type", "display"])
    }
}

/// One collector-to-lake mapping, as loaded (paths expanded, defaults applied).
#[pyclass(frozen, module = "datalake", name = "Profile")]
pub struct PyProfile {
    inner: Profile,
}

impl From<Profile> for PyProfile {
    fn from(inner: Profile) -> Self {
        PyProfile { inner }
    }
}

#[pymethods]
impl PyProfile {
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }
    #[getter]
    fn enabled(&self) -> bool {
        self.inner.enabled
    }
    #[getter]
    fn source(&self) -> PySource {
        PySource { inner: self.inner.source.clone() }
    }
    /// `user@host:remote_root` (SSH) or the source directory (local).
    #[getter]
    fn remote_source(&self) -> String {
        self.inner.source.display_remote()
    }
    #[getter]
    fn local_subdir(&self) -> PathBuf {
        self.inner.local_subdir.clone()
    }
    #[getter]
    fn local_dir(&self) -> PathBuf {
        self.inner.local_dir.clone()
    }
    #[getter]
    fn retention_days(&self) -> u32 {
        self.inner.retention_days
    }
    #[getter]
    fn rsync_args(&self) -> Option<Vec<String>> {
        self.inner.rsync_args.clone()
    }
    /// The flags rsync gets before the tool's own: `rsync_args`, or the defaults when unset.
    #[getter]
    fn effective_rsync_args(&self) -> Vec<String> {
        self.inner.effective_rsync_args().into_iter().map(str::to_string).collect()
    }
    #[getter]
    fn checkpoint_file(&self) -> PathBuf {
        self.inner.checkpoint_file.clone()
    }
    #[getter]
    fn lock_file(&self) -> PathBuf {
        self.inner.lock_file.clone()
    }
    #[getter]
    fn bwlimit(&self) -> Option<u32> {
        self.inner.bwlimit
    }
    #[getter]
    fn io_timeout(&self) -> u32 {
        self.inner.io_timeout
    }
    #[getter]
    fn connect_timeout(&self) -> u32 {
        self.inner.connect_timeout
    }
    #[getter]
    fn retries(&self) -> u32 {
        self.inner.retries
    }
    /// Seconds: files younger than this on the collector wait for the next run (0: off).
    #[getter]
    fn min_age(&self) -> f64 {
        self.inner.min_age.as_secs_f64()
    }
    #[getter]
    fn check_parquet(&self) -> bool {
        self.inner.check_parquet
    }
    #[getter]
    fn exclude(&self) -> Vec<String> {
        self.inner.exclude.clone()
    }
    #[getter]
    fn known_hosts(&self) -> Option<PathBuf> {
        self.inner.known_hosts.clone()
    }
    /// `"accept-new"` or `"yes"`.
    #[getter]
    fn host_key_checking(&self) -> &'static str {
        self.inner.host_key_checking.as_ssh_option()
    }
    /// `"utc"` or `"local"`.
    #[getter]
    fn timezone(&self) -> &'static str {
        self.inner.timezone.as_str()
    }
    /// Days back from the collector's today a regular run transfers (0: always full).
    #[getter]
    fn window_days(&self) -> u32 {
        self.inner.window_days
    }
    /// A full run happens when the last one is older than this.
    #[getter]
    fn full_sync_every(&self) -> std::time::Duration {
        self.inner.full_sync_every
    }
    /// rsync streams at once.
    #[getter]
    fn parallel(&self) -> u32 {
        self.inner.parallel
    }
    /// `"auto"`, `"keep"` or `"replace"`.
    #[getter]
    fn on_rewrite(&self) -> &'static str {
        self.inner.on_rewrite.as_str()
    }
    /// How a series name splits into fields (`"{exchange}_{symbol}"`), or None.
    #[getter]
    fn series_format(&self) -> Option<&str> {
        self.inner.series_format.as_ref().map(|f| f.as_str())
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(slf.as_any(), "Profile", &["name", "enabled", "remote_source", "local_dir", "retention_days"])
    }
}

/// A loaded, validated configuration.
#[pyclass(frozen, module = "datalake", name = "Config")]
pub struct PyConfig {
    inner: Config,
}

impl From<Config> for PyConfig {
    fn from(inner: Config) -> Self {
        PyConfig { inner }
    }
}

#[pymethods]
impl PyConfig {
    /// The file it was loaded from.
    #[getter]
    fn path(&self) -> Option<PathBuf> {
        self.inner.path.clone()
    }
    #[getter]
    fn root_dir(&self) -> PathBuf {
        self.inner.root_dir.clone()
    }
    #[getter]
    fn checkpoint_dir(&self) -> PathBuf {
        self.inner.checkpoint_dir.clone()
    }
    /// node_exporter textfile directory, when set.
    #[getter]
    fn metrics_dir(&self) -> Option<PathBuf> {
        self.inner.metrics_dir.clone()
    }
    /// Profiles by name, in name order.
    #[getter]
    fn profiles<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, profile) in &self.inner.profiles {
            dict.set_item(name, PyProfile::from(profile.clone()))?;
        }
        Ok(dict)
    }
    /// Warnings found while loading.
    #[getter]
    fn warnings(&self) -> Vec<PyDiagnostic> {
        diagnostics(&self.inner.warnings)
    }
    /// Names of the enabled profiles, in name order.
    fn enabled_profiles(&self) -> Vec<String> {
        self.inner.enabled_profiles().map(|p| p.name.clone()).collect()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let names: Vec<&str> = self.inner.profiles.keys().map(String::as_str).collect();
        Ok(format!(
            "Config(path={}, root_dir={}, profiles={})",
            py_repr(py, &self.inner.path)?,
            py_repr(py, &self.inner.root_dir)?,
            py_repr(py, names)?
        ))
    }
}

/// Every config key, one dict each: `scope` (`"data_lake"`, `"profile"`,
/// `"source"`), `name`, `type`, `required`, `default` (typed; durations in
/// seconds; None when required, unset or derived), `default_text`, `min`,
/// `max`, `choices`, `allowed`, `doc`. The table the validator and
/// docs/config-reference.md are made from.
#[pyfunction]
pub fn config_keys(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    json::to_py(py, datalake_core::config::KEYS)
}
