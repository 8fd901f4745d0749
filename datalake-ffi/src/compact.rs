//! `datalake_compact`: the core's compaction, converted.

use std::ffi::{c_char, c_void};

use datalake_core::CompactOptions;

use crate::boundary::{call, out_arg, ref_arg, str_arg, to_json, Failure};
use crate::lake::datalake_lake;
use crate::options::{datalake_progress_cb, with_control};
use crate::status::datalake_status;

/// Compact one profile's closed days into its Delta table (the CLI's
/// `datalake compact`): take the profile's lock (unless `dry_run`), absorb
/// every new raw part of every day closed for `compact.after` exactly once,
/// delete the absorbed parts (unless `compact.keep_raw`), and return the
/// compaction report (JSON, the fields of `compact --format json`:
/// `status`, `days_compacted`, `parts_absorbed`, `rows_in`, `rows_out`,
/// `duplicates_dropped`, `bytes_before`, `bytes_after`, `skipped`, `days`...).
///
/// When the run could not start (unknown profile, `compact.enabled` false:
/// `DATALAKE_ERR_INVALID_ARGUMENT`, locked) the status says why and
/// `*report_json` is not written. When it ran but did not succeed, the
/// report is still handed out and the status is that of its error:
/// - `partial` (closed days stay raw, listed in `skipped`): `DATALAKE_ERR_DATA`
///   for a file's content, `DATALAKE_ERR_IO` for the disk;
/// - `failed`: `DATALAKE_ERR_TABLE` when the table could not be written, or the cause's status;
/// - `interrupted` (`datalake_cancel`): `DATALAKE_ERR_INTERRUPTED` (the commits made stay).
///
/// `progress` (may be NULL) is called on this thread with the bytes of raw
/// parts read (`bytes_done`, `bytes_total`) and the parts absorbed (`files_done`).
///
/// # Safety
/// `lake` is NULL or a live handle; `profile` is NULL or a NUL-terminated
/// string; `report_json` is NULL or writable; `progress`, when set, is safe
/// to call with `userdata`.
#[no_mangle]
pub unsafe extern "C" fn datalake_compact(
    lake: *const datalake_lake,
    profile: *const c_char,
    dry_run: bool,
    progress: datalake_progress_cb,
    userdata: *mut c_void,
    report_json: *mut *mut c_char,
) -> datalake_status {
    call("datalake_compact", || {
        // SAFETY (all unsafe blocks below): the caller's contract above.
        let lake = unsafe { ref_arg(lake, "lake") }?;
        let profile = unsafe { str_arg(profile, "profile") }?;
        let out = unsafe { out_arg(report_json, "report_json") }?;
        let report = with_control(progress, userdata, |control| {
            lake.lake.compact(profile, &mut CompactOptions { dry_run, control })
        })?;
        *out = to_json(&report, "compaction report")?;
        report.failure().map_or(Ok(()), |e| Err(Failure::new(e.kind().into(), e.to_string())))
    })
}
