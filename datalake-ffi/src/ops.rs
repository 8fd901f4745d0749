//! Monitoring: the Prometheus exposition and the health check.

use std::ffi::c_char;

use datalake_core::inspect::health;

use crate::boundary::{call, out_arg, ref_arg, str_arg, to_c_string, to_json};
use crate::lake::datalake_lake;
use crate::status::datalake_status;

/// The Prometheus text exposition of one profile, or of every profile when
/// `profile` is NULL: the text that sync and cleanup write into the config's
/// `metrics_dir` as `datalake_<profile>.prom`. Free `*text` with
/// `datalake_string_free`.
///
/// Errors: `DATALAKE_ERR_PROFILE_NOT_FOUND`, `DATALAKE_ERR_IO` for an
/// unreadable checkpoint. A lake directory that cannot be read leaves its
/// families out instead of failing.
///
/// # Safety
/// `lake` is NULL or a live handle; `profile` is NULL or a NUL-terminated
/// string; `text` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_metrics(
    lake: *const datalake_lake,
    profile: *const c_char,
    text: *mut *mut c_char,
) -> datalake_status {
    call("datalake_metrics", || {
        // SAFETY (all unsafe blocks below): the caller's contract above.
        let lake = unsafe { ref_arg(lake, "lake") }?;
        let names = if profile.is_null() { Vec::new() } else { vec![unsafe { str_arg(profile, "profile") }?] };
        let out = unsafe { out_arg(text, "text") }?;
        let exposition = lake.lake.metrics(&names)?;
        *out = to_c_string(exposition, "metrics")?;
        Ok(())
    })
}

/// The health check of `datalake status --max-age`: from the checkpoints
/// only, a problem for every enabled profile that never ran, whose last run
/// failed or was partial, or whose last success is older than `max_age`
/// (`"90min"`, `"2h"`, `"1d"`). Returns `DATALAKE_OK` with the verdicts in
/// `*report_json` (`ok`, `max_age_seconds`, `checked_at`, `profiles` with
/// their `problems`), whether healthy or not: read `ok`.
///
/// Errors: `DATALAKE_ERR_INVALID_ARGUMENT` for a `max_age` that is not a
/// positive duration.
///
/// # Safety
/// `lake` is NULL or a live handle; `max_age` is NULL or a NUL-terminated
/// string; `report_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_health(
    lake: *const datalake_lake,
    max_age: *const c_char,
    report_json: *mut *mut c_char,
) -> datalake_status {
    call("datalake_health", || {
        let lake = unsafe { ref_arg(lake, "lake") }?;
        let max_age = health::parse_max_age(unsafe { str_arg(max_age, "max_age") }?)?;
        let out = unsafe { out_arg(report_json, "report_json") }?;
        *out = to_json(&lake.lake.health(max_age)?, "health report")?;
        Ok(())
    })
}
