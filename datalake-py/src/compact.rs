//! `DataLake.compact`: the core's compaction, with the GIL released.

use pyo3::prelude::*;

use datalake_core::CompactOptions;

use crate::compact_report::PyCompactReport;
use crate::errors::to_py_err;
use crate::lake::{checked_callback, PyDataLake, RunOptions};

#[pymethods]
impl PyDataLake {
    /// Compact the profile's closed days into its Delta table. Returns the
    /// report of a success; otherwise raises the exception of the error the
    /// core attached (with `.report`): `partial` (days left raw) raises
    /// DataError. KeyboardInterrupt after Ctrl-C (the commits made so far stay).
    #[pyo3(signature = (profile, *, dry_run = false, progress = None))]
    fn compact(
        &self,
        py: Python<'_>,
        profile: &str,
        dry_run: bool,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyCompactReport>> {
        crate::logging::refresh(py)?;
        let options =
            RunOptions { dry_run, cleanup: false, full: false, jobs: 1, progress: checked_callback(progress)? };
        let (result, pending) = self.run_detached(py, options, |lake, opts| {
            let mut compact = CompactOptions {
                dry_run,
                progress: opts.progress.take(),
                interrupt_check: opts.interrupt_check.take(),
                cancel: opts.cancel.clone(),
            };
            lake.compact(profile, &mut compact)
        });
        let report = match result {
            Ok(report) => Bound::new(py, PyCompactReport::from(report))?,
            Err(e) => return Err(pending.unwrap_or_else(|| to_py_err(py, &e))),
        };
        if let Some(err) = pending {
            let _ = err.value(py).setattr("report", report.as_any());
            return Err(err);
        }
        if let Some(err) = PyCompactReport::failure(&report)? {
            return Err(err);
        }
        Ok(report.unbind())
    }
}
