//! Reading the lake: the catalog of a selection, as JSON.

use std::ffi::c_char;

use datalake_core::FileSelection;

use crate::boundary::{call, out_arg, ref_arg, str_arg, to_json};
use crate::lake::datalake_lake;
use crate::status::datalake_status;

/// The complete files of a selection of one profile (disabled ones too):
/// `*files_json` gets the catalog, the same JSON as the CLI's
/// `datalake files --format json`: `profile`, `root`, `fields` (the names of
/// the profile's `series_format`), `files` (each with `path`, `series`,
/// `date`, `size`, `mtime` and `fields`), `partitions` and `warnings`.
/// Never listed: hidden names (rsync's temporary files, `.rsync-partial`,
/// the quarantine), names starting with `_`, anything but regular
/// `*.parquet` files inside a dated partition.
///
/// `selection_json` may be NULL or `""` (everything) or an object with the
/// optional keys `series` (a name or pattern, or a list of them), `start`
/// and `end` (inclusive days, `"2024-11-19"` or `"20241119"`) and `fields`
/// (an object of field name to a value or a list of values), e.g.
/// `{"series": "gate_io_*", "start": "20241119", "fields": {"symbol": ["VIRTUAL-USDT"]}}`.
/// Free `*files_json` with `datalake_string_free`.
///
/// Errors: `DATALAKE_ERR_PROFILE_NOT_FOUND`, `DATALAKE_ERR_INVALID_ARGUMENT`
/// for a bad selection (unknown key, not a date, a field the profile's
/// `series_format` does not name, start after end), `DATALAKE_ERR_IO` for an
/// unreadable lake directory.
///
/// # Safety
/// `lake` is NULL or a live handle; `profile` is NULL or a NUL-terminated
/// string; `selection_json` is NULL or a NUL-terminated string;
/// `files_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_files(
    lake: *const datalake_lake,
    profile: *const c_char,
    selection_json: *const c_char,
    files_json: *mut *mut c_char,
) -> datalake_status {
    call("datalake_files", || {
        // SAFETY (all unsafe blocks below): the caller's contract above.
        let lake = unsafe { ref_arg(lake, "lake") }?;
        let profile = unsafe { str_arg(profile, "profile") }?;
        let selection =
            if selection_json.is_null() { "" } else { unsafe { str_arg(selection_json, "selection_json") }? };
        let out = unsafe { out_arg(files_json, "files_json") }?;
        let selection = FileSelection::from_json(selection)?;
        let catalog = lake.lake.files(profile, &selection)?;
        *out = to_json(&catalog, "catalog")?;
        Ok(())
    })
}
