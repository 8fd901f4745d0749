//! The handle and the operations on it: thin adapters over `DataLake`.

use std::ffi::{c_char, c_void};

use datalake_core::{CleanupOptions, Config, CoverageOptions, DataLake, Error, VerifyOptions};

use crate::boundary::{call, out_arg, ref_arg, str_arg, to_json, Failure};
use crate::options::{datalake_progress_cb, datalake_sync_options, with_control, with_core_options};
use crate::status::datalake_status;

/// An open data lake: a loaded configuration and the operations on it.
///
/// Opaque. Create with `datalake_open`, destroy with `datalake_free`. One
/// handle may be used from several threads at once (for example syncs of
/// different profiles in parallel; the same profile twice gives
/// `DATALAKE_ERR_LOCKED`).
#[allow(non_camel_case_types)]
pub struct datalake_lake {
    pub(crate) lake: DataLake,
}

// The C contract promises a handle usable from several threads at once.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<datalake_lake>();
};

impl Failure {
    /// Like `From<Error>`, for an error the failure does not own.
    fn from_error_ref(e: &Error) -> Self {
        Failure::new(e.kind().into(), e.to_string())
    }
}

/// `Ok`, or the failure the core attached to a report.
fn outcome_of(failure: Option<&Error>) -> Result<(), Failure> {
    failure.map_or(Ok(()), |e| Err(Failure::from_error_ref(e)))
}

/// Open the lake configured by the YAML file at `config_path` and return a
/// new handle in `*out`.
///
/// Errors: `DATALAKE_ERR_CONFIG` when the file is missing, unreadable or
/// invalid (the message lists every problem with `file:line:col`),
/// `DATALAKE_ERR_INVALID_ARGUMENT` for NULL or non-UTF-8 arguments.
/// Free the handle with `datalake_free`.
///
/// # Safety
/// `config_path` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_open(config_path: *const c_char, out: *mut *mut datalake_lake) -> datalake_status {
    call("datalake_open", || {
        // SAFETY (all unsafe blocks below): the caller's contract above.
        let path = unsafe { str_arg(config_path, "config_path") }?;
        let out = unsafe { out_arg(out, "out") }?;
        let lake = DataLake::open(path)?;
        *out = Box::into_raw(Box::new(datalake_lake { lake }));
        Ok(())
    })
}

/// Destroy a handle. NULL is accepted and ignored.
///
/// No other call on the handle may be running or start afterwards; to stop
/// running syncs first, call `datalake_cancel` and wait for them to return.
///
/// # Safety
/// `lake` is NULL or a handle from `datalake_open` not freed before.
#[no_mangle]
pub unsafe extern "C" fn datalake_free(lake: *mut datalake_lake) {
    if lake.is_null() {
        return;
    }
    call("datalake_free", || {
        // SAFETY: a handle from datalake_open (Box::into_raw), freed once.
        drop(unsafe { Box::from_raw(lake) });
        Ok(())
    });
}

/// Validate the configuration file at `config_path` without opening it, and
/// return a validation report (JSON: `path`, `ok`, `errors`, `warnings`; each
/// problem with `severity`, `file`, `line`, `column`, `key`, `message`).
///
/// Returns `DATALAKE_OK` when the file has no errors (warnings allowed).
/// Like a failed sync, an invalid file still hands the report out: the status
/// is then `DATALAKE_ERR_CONFIG`, `*report_json` is set, and the last error
/// message lists every problem.
///
/// # Safety
/// `config_path` is NULL or a NUL-terminated string; `report_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_validate(
    config_path: *const c_char,
    report_json: *mut *mut c_char,
) -> datalake_status {
    call("datalake_validate", || {
        let path = unsafe { str_arg(config_path, "config_path") }?;
        let out = unsafe { out_arg(report_json, "report_json") }?;
        let report = Config::validate_file(path);
        let json = to_json(&report, "validation report")?;
        *out = json;
        report.failure().map_or(Ok(()), |e| Err(Failure::from(e)))
    })
}

/// Sync one profile: lock it, run rsync with retries, record the checkpoint,
/// apply retention unless `options->cleanup` is false, and return the sync
/// report (JSON, the fields of the CLI's `sync --format json`).
///
/// `options` may be NULL for `datalake_sync_options_default()`.
///
/// When the run could not start (unknown or disabled profile, locked, rsync
/// missing, ...) the status says why and `*report_json` is not written.
/// When it ran but did not succeed, the report is still handed out in
/// `*report_json` and the status is that of the error the core attached:
/// - `partial` (some files did not arrive; those that did are kept): `DATALAKE_ERR_SYNC`;
/// - `failed`: the status of the cause (`DATALAKE_ERR_CONNECT`,
///   `DATALAKE_ERR_AUTHENTICATION`, `DATALAKE_ERR_HOST_KEY`, ...; rsync's own
///   failures are `DATALAKE_ERR_SYNC`);
/// - `interrupted` (`datalake_cancel`): `DATALAKE_ERR_INTERRUPTED`.
///
/// A `success` run returns `DATALAKE_OK`.
///
/// # Safety
/// `lake` is NULL or a live handle; `profile` is NULL or a NUL-terminated
/// string; `options` is NULL or readable; `report_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_sync(
    lake: *mut datalake_lake,
    profile: *const c_char,
    options: *const datalake_sync_options,
    report_json: *mut *mut c_char,
) -> datalake_status {
    call("datalake_sync", || {
        let lake = unsafe { ref_arg(lake.cast_const(), "lake") }?;
        let profile = unsafe { str_arg(profile, "profile") }?;
        let options = unsafe { options.as_ref() };
        let out = unsafe { out_arg(report_json, "report_json") }?;
        let report = with_core_options(options, |o| lake.lake.sync(profile, o))?;
        *out = to_json(&report, "sync report")?;
        outcome_of(report.failure())
    })
}

/// Sync every enabled profile, `options->jobs` at a time, and return a JSON
/// array with one sync report per profile, in name order. One failing
/// profile never stops the others.
///
/// `options` may be NULL for `datalake_sync_options_default()`. The array is
/// always handed out (an empty lake gives `[]`). The status is that of the
/// worst report, mapped as in `datalake_sync` (`interrupted` over `failed`
/// over `partial` over a profile locked by another run, which gives
/// `DATALAKE_ERR_LOCKED`; the first in name order among equals: the same
/// order as the CLI's exit codes), `DATALAKE_OK` when every report is
/// `success`; the last error message then names every profile that did not
/// succeed.
///
/// # Safety
/// As for `datalake_sync`.
#[no_mangle]
pub unsafe extern "C" fn datalake_sync_all(
    lake: *mut datalake_lake,
    options: *const datalake_sync_options,
    report_json: *mut *mut c_char,
) -> datalake_status {
    call("datalake_sync_all", || {
        let lake = unsafe { ref_arg(lake.cast_const(), "lake") }?;
        let options = unsafe { options.as_ref() };
        let out = unsafe { out_arg(report_json, "report_json") }?;
        let all = with_core_options(options, |o| lake.lake.sync_all(o));
        *out = to_json(&all.reports, "sync reports")?;
        all.failure().map_or(Ok(()), |f| Err(Failure::new(f.kind.into(), f.message)))
    })
}

/// Statistics of one profile's directory (JSON, the fields of the CLI's
/// `stats --format json`): files, bytes, partitions, date range, freshness,
/// expired and partial data, and the last sync from the checkpoint.
///
/// # Safety
/// `lake` is NULL or a live handle; `profile` is NULL or a NUL-terminated
/// string; `stats_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_stats(
    lake: *const datalake_lake,
    profile: *const c_char,
    stats_json: *mut *mut c_char,
) -> datalake_status {
    call("datalake_stats", || {
        let lake = unsafe { ref_arg(lake, "lake") }?;
        let profile = unsafe { str_arg(profile, "profile") }?;
        let out = unsafe { out_arg(stats_json, "stats_json") }?;
        let stats = lake.lake.stats(profile)?;
        *out = to_json(&stats, "stats")?;
        Ok(())
    })
}

/// Check every Parquet file of one profile (footer intact: `PAR1` at both
/// ends, footer length and metadata), in parallel over the cores; with
/// `remote`, also compare the lake with the collector by checksum (rsync
/// `--checksum --dry-run`, within retention). Returns the verify report (JSON,
/// the fields of the CLI's `verify --format json`: `ok`, `files_checked`,
/// `broken`, `quarantined`, `remote` with `differ`, `missing_locally`,
/// `missing_on_collector`).
///
/// Broken files are findings, not errors: the status is `DATALAKE_OK` and the
/// report's `ok` is false. `progress` (may be NULL) is called on this thread
/// about 10 times a second with `files_done`, `bytes_done`, `bytes_total`.
/// `datalake_cancel` from another thread (or from `progress`) stops the check,
/// the comparison with the collector included: `DATALAKE_ERR_INTERRUPTED`, no report.
///
/// # Safety
/// `lake` is NULL or a live handle; `profile` is NULL or a NUL-terminated
/// string; `report_json` is NULL or writable; `progress`, when set, is safe
/// to call with `userdata`.
#[no_mangle]
pub unsafe extern "C" fn datalake_verify(
    lake: *const datalake_lake,
    profile: *const c_char,
    remote: bool,
    progress: datalake_progress_cb,
    userdata: *mut c_void,
    report_json: *mut *mut c_char,
) -> datalake_status {
    call("datalake_verify", || {
        let lake = unsafe { ref_arg(lake, "lake") }?;
        let profile = unsafe { str_arg(profile, "profile") }?;
        let out = unsafe { out_arg(report_json, "report_json") }?;
        let report = with_control(progress, userdata, |control| {
            lake.lake.verify(profile, &mut VerifyOptions { remote, jobs: 0, control })
        })?;
        *out = to_json(&report, "verify report")?;
        Ok(())
    })
}

/// Coverage of one profile (JSON, the fields of the CLI's `coverage --format
/// json`): per series the days present, `missing_days`, `expired_days`,
/// `partial_days`, `stopped`, `new`; totals `missing_days`, `stopped_series`.
///
/// # Safety
/// `lake` is NULL or a live handle; `profile` is NULL or a NUL-terminated
/// string; `coverage_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_coverage(
    lake: *const datalake_lake,
    profile: *const c_char,
    coverage_json: *mut *mut c_char,
) -> datalake_status {
    call("datalake_coverage", || {
        let lake = unsafe { ref_arg(lake, "lake") }?;
        let profile = unsafe { str_arg(profile, "profile") }?;
        let out = unsafe { out_arg(coverage_json, "coverage_json") }?;
        let coverage = lake.lake.coverage(profile, &CoverageOptions::default())?;
        *out = to_json(&coverage, "coverage")?;
        Ok(())
    })
}

/// Apply retention to one profile: delete partitions older than
/// `retention_days` (never the newest day, never through symlinks), or with
/// `dry_run` only report what would go. Returns the cleanup report (JSON, the
/// fields of the CLI's `cleanup --format json`). `datalake_cancel` from
/// another thread stops it between two deletions: `DATALAKE_ERR_INTERRUPTED`,
/// no report (what was deleted until then stays deleted).
///
/// # Safety
/// `lake` is NULL or a live handle; `profile` is NULL or a NUL-terminated
/// string; `report_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_cleanup(
    lake: *mut datalake_lake,
    profile: *const c_char,
    dry_run: bool,
    report_json: *mut *mut c_char,
) -> datalake_status {
    call("datalake_cleanup", || {
        let lake = unsafe { ref_arg(lake.cast_const(), "lake") }?;
        let profile = unsafe { str_arg(profile, "profile") }?;
        let out = unsafe { out_arg(report_json, "report_json") }?;
        let report = lake.lake.cleanup(profile, &mut CleanupOptions { dry_run, ..CleanupOptions::default() })?;
        *out = to_json(&report, "cleanup report")?;
        Ok(())
    })
}

/// Check that the profile's collector is reachable and readable now, and
/// return the connection report (JSON: `profile`, `target`, `ok`, `status`,
/// `message`, `round_trip_ms`, rsync versions, `remote_entries`, `warnings`).
///
/// Like a failed sync, a failed test still hands the report out: the status
/// is then that of the cause (`DATALAKE_ERR_CONNECT`,
/// `DATALAKE_ERR_AUTHENTICATION`, `DATALAKE_ERR_HOST_KEY`,
/// `DATALAKE_ERR_TOOL_NOT_FOUND`; a collector without rsync or without a
/// readable `remote_root` gives `DATALAKE_ERR_SYNC`) and `*report_json` is
/// set. An unknown profile gives `DATALAKE_ERR_PROFILE_NOT_FOUND` and no report.
///
/// # Safety
/// `lake` is NULL or a live handle; `profile` is NULL or a NUL-terminated
/// string; `report_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_test_connection(
    lake: *const datalake_lake,
    profile: *const c_char,
    report_json: *mut *mut c_char,
) -> datalake_status {
    call("datalake_test_connection", || {
        let lake = unsafe { ref_arg(lake, "lake") }?;
        let profile = unsafe { str_arg(profile, "profile") }?;
        let out = unsafe { out_arg(report_json, "report_json") }?;
        let report = lake.lake.test_connection(profile)?;
        *out = to_json(&report, "connection report")?;
        outcome_of(report.failure())
    })
}

/// The profile's checkpoint (JSON, the checkpoint file's fields: last sync
/// time and status, counts, `history`, `running` marker ...), or the JSON
/// text `null` when the profile was never synced. Read-only: a corrupt file
/// is left in place.
///
/// # Safety
/// `lake` is NULL or a live handle; `profile` is NULL or a NUL-terminated
/// string; `checkpoint_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_checkpoint(
    lake: *const datalake_lake,
    profile: *const c_char,
    checkpoint_json: *mut *mut c_char,
) -> datalake_status {
    call("datalake_checkpoint", || {
        let lake = unsafe { ref_arg(lake, "lake") }?;
        let profile = unsafe { str_arg(profile, "profile") }?;
        let out = unsafe { out_arg(checkpoint_json, "checkpoint_json") }?;
        let checkpoint = lake.lake.checkpoint(profile)?;
        *out = to_json(&checkpoint, "checkpoint")?;
        Ok(())
    })
}

/// The loaded configuration (JSON: `path`, `root_dir`, `checkpoint_dir`,
/// `profiles` by name with every setting resolved, `warnings`), e.g. to list
/// the profile names.
///
/// # Safety
/// `lake` is NULL or a live handle; `config_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_config(lake: *const datalake_lake, config_json: *mut *mut c_char) -> datalake_status {
    call("datalake_config", || {
        let lake = unsafe { ref_arg(lake, "lake") }?;
        let out = unsafe { out_arg(config_json, "config_json") }?;
        *out = to_json(lake.lake.config(), "configuration")?;
        Ok(())
    })
}

/// Cancel every sync, verify and cleanup currently running on this handle,
/// from any thread (including a progress callback). Each returns
/// `DATALAKE_ERR_INTERRUPTED` promptly: a sync stops rsync, keeps partial
/// data for the next run and records `interrupted` in the checkpoint; a
/// verify stops its checks and its comparison with the collector; a cleanup
/// stops between two deletions. Runs started afterwards are not affected.
/// NULL is ignored.
///
/// # Safety
/// `lake` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn datalake_cancel(lake: *const datalake_lake) {
    call("datalake_cancel", || {
        if let Some(lake) = unsafe { lake.as_ref() } {
            lake.lake.cancel();
        }
        Ok(())
    });
}

/// Wrap an already built `DataLake` in a handle (for Rust callers and tests
/// that build a `Config` in memory); free it with `datalake_free`. Not part
/// of the C ABI.
pub fn into_handle(lake: DataLake) -> *mut datalake_lake {
    Box::into_raw(Box::new(datalake_lake { lake }))
}
