//! `DataLake.compact` and `DataLake.compact_all`: the core's compaction,
//! through the bridge (GIL released, Ctrl-C and the progress callback wired).

use pyo3::prelude::*;

use datalake_core::CompactOptions;

use crate::bridge::{self, attach_attr, checked_callback, settle};
use crate::compact_report::{PyCompactAllReport, PyCompactReport};
use crate::lake::PyDataLake;

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
        let lake = self.core();
        let (result, pending) = bridge::run(py, checked_callback(progress)?, |control| {
            lake.compact(profile, &mut CompactOptions { dry_run, control })
        })?;
        let report = Bound::new(py, PyCompactReport::from(settle(py, result, None)?))?;
        if let Some(err) = pending {
            attach_attr(&err, py, "report", report.as_any());
            return Err(err);
        }
        if let Some(err) = PyCompactReport::failure(&report)? {
            return Err(err);
        }
        Ok(report.unbind())
    }

    /// Compact every profile with `compact.enabled`. A profile that does not
    /// compact cleanly does not raise: see `.results` and `.cli_exit_code`.
    /// KeyboardInterrupt and callback exceptions are raised with the aggregate as `.report`.
    #[pyo3(signature = (*, dry_run = false, progress = None))]
    fn compact_all(
        &self,
        py: Python<'_>,
        dry_run: bool,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyCompactAllReport>> {
        let lake = self.core();
        let (all, pending) = bridge::run(py, checked_callback(progress)?, |control| {
            lake.compact_all(&mut CompactOptions { dry_run, control })
        })?;
        let all = Bound::new(py, PyCompactAllReport::new(py, all)?)?;
        if let Some(err) = pending {
            attach_attr(&err, py, "report", all.as_any());
            return Err(err);
        }
        Ok(all.unbind())
    }
}
