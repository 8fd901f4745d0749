//! Commands over several profiles: which profiles a command's "all" covers
//! (the core's one table), and retention of every enabled profile.

use std::ffi::c_char;

use datalake_core::{CleanupOptions, Command};

use crate::boundary::{call, out_arg, ref_arg, str_arg, to_json, Failure};
use crate::lake::datalake_lake;
use crate::status::datalake_status;

/// The profiles that `command` covers when run on "all" of them, as a JSON
/// array of names in name order: `"sync"` and `"cleanup"` take the enabled
/// profiles; `"stats"`, `"verify"`, `"coverage"`, `"metrics"` and
/// `"health"` every profile (the CLI's `--all`, from the same table).
///
/// Errors: `DATALAKE_ERR_INVALID_ARGUMENT` for an unknown command (the
/// message lists the known ones).
///
/// # Safety
/// `lake` is NULL or a live handle; `command` is NULL or a NUL-terminated
/// string; `names_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_select_profiles(
    lake: *const datalake_lake,
    command: *const c_char,
    names_json: *mut *mut c_char,
) -> datalake_status {
    call("datalake_select_profiles", || {
        // SAFETY (all unsafe blocks below): the caller's contract above.
        let lake = unsafe { ref_arg(lake, "lake") }?;
        let command = Command::from_name(unsafe { str_arg(command, "command") }?)?;
        let out = unsafe { out_arg(names_json, "names_json") }?;
        let names: Vec<&str> =
            lake.lake.select_profiles(command.all_profiles())?.into_iter().map(|p| p.name.as_str()).collect();
        *out = to_json(&names, "profile names")?;
        Ok(())
    })
}

/// Apply retention to every enabled profile, in name order (with `dry_run`,
/// only report what would go), and return `{"results": [...]}`: per profile
/// its cleanup report (the fields of `datalake_cleanup`'s), or
/// `{"profile", "error": {"kind", "message"}}` when it could not be cleaned.
/// One profile that cannot be cleaned never stops the others.
///
/// The report is always handed out. The status is that of the worst error
/// (interrupted over failures over a profile locked by another run, the
/// first in name order among equals: the same order as the CLI's exit codes),
/// `DATALAKE_OK` when every profile was cleaned; the last error message then
/// names every profile that was not. `datalake_cancel` stops the run at the
/// profile it interrupts (`DATALAKE_ERR_INTERRUPTED`); the profiles after it
/// are not attempted.
///
/// # Safety
/// `lake` is NULL or a live handle; `report_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_cleanup_all(
    lake: *mut datalake_lake,
    dry_run: bool,
    report_json: *mut *mut c_char,
) -> datalake_status {
    call("datalake_cleanup_all", || {
        let lake = unsafe { ref_arg(lake.cast_const(), "lake") }?;
        let out = unsafe { out_arg(report_json, "report_json") }?;
        let all = lake.lake.cleanup_all(&mut CleanupOptions { dry_run, ..CleanupOptions::default() });
        *out = to_json(&all, "cleanup reports")?;
        all.failure().map_or(Ok(()), |f| Err(Failure::new(f.kind.into(), f.message)))
    })
}
