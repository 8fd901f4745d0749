//! Rust `log` records to Python `logging`, under the logger `datalake`.
//!
//! pyo3-log does the bridging; this adapter only renames targets, because
//! pyo3-log names the Python logger after the Rust module path
//! (`datalake_core::rsync` -> `datalake_core.rsync`) and users configure
//! `logging.getLogger("datalake")`.

use std::borrow::Cow;
use std::sync::OnceLock;

use log::{LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;
use pyo3_log::{Caching, Logger, ResetHandle};

static RESET: OnceLock<ResetHandle> = OnceLock::new();

/// `datalake_core::x::y` -> `datalake.x.y` (pyo3-log turns `::` into `.`).
fn python_target(target: &str) -> Cow<'_, str> {
    match target.strip_prefix("datalake_core") {
        Some(rest) if rest.is_empty() || rest.starts_with("::") => Cow::Owned(format!("datalake{rest}")),
        _ => Cow::Borrowed(target),
    }
}

struct Renaming {
    inner: Logger,
}

impl Log for Renaming {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let target = python_target(metadata.target());
        let renamed = Metadata::builder().level(metadata.level()).target(&target).build();
        self.inner.enabled(&renamed)
    }

    fn log(&self, record: &Record<'_>) {
        let target = python_target(record.target());
        self.inner.log(
            &Record::builder()
                .args(*record.args())
                .level(record.level())
                .target(&target)
                .module_path(record.module_path())
                .file(record.file())
                .line(record.line())
                .build(),
        );
    }

    fn flush(&self) {}
}

/// Install the bridge once per process.
///
/// Loggers and their levels are cached on the Rust side so that a disabled
/// `debug!` in a hot loop never takes the GIL; [`reset_cache`] drops the cache
/// at the start of every API call so that logging reconfigured in between is
/// honoured.
pub fn install(py: Python<'_>) -> PyResult<()> {
    let logger = Logger::new(py, Caching::LoggersAndLevels)?.filter(LevelFilter::Debug);
    let handle = logger.reset_handle();
    // Fails only when a logger is already installed in this process, i.e. the
    // module was imported before (e.g. removed from sys.modules and imported
    // again): the first bridge keeps working, so there is nothing to do.
    if log::set_boxed_logger(Box::new(Renaming { inner: logger })).is_ok() {
        log::set_max_level(LevelFilter::Debug);
        let _ = RESET.set(handle);
    }
    Ok(())
}

/// Forget cached Python loggers and levels (cheap: one atomic store).
pub fn reset_cache() {
    if let Some(handle) = RESET.get() {
        handle.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::python_target;

    #[test]
    fn renames_only_the_core_crate() {
        assert_eq!(python_target("datalake_core"), "datalake");
        assert_eq!(python_target("datalake_core::rsync::run"), "datalake::rsync::run");
        assert_eq!(python_target("datalake_corex"), "datalake_corex");
        assert_eq!(python_target("which"), "which");
    }
}
