//! The configuration's own facts for C callers: the table of config keys,
//! and the rsync flags a profile runs with. Both come from the core; this
//! file only converts.

use std::ffi::c_char;

use crate::boundary::{call, out_arg, ref_arg, str_arg, to_json};
use crate::lake::datalake_lake;
use crate::status::datalake_status;

/// Every config key (JSON: a list of objects with `scope` (`"data_lake"`,
/// `"profile"` or `"source"`), `name`, `type`, `required`, `default` (typed;
/// durations in seconds; null when required, unset or derived),
/// `default_text`, `min`, `max`, `choices`, `allowed`, `doc`): the table the
/// validator checks against and docs/config-reference.md is generated from.
///
/// # Safety
/// `keys_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_config_keys(keys_json: *mut *mut c_char) -> datalake_status {
    call("datalake_config_keys", || {
        // SAFETY (all unsafe blocks here): the caller's contract above.
        let out = unsafe { out_arg(keys_json, "keys_json") }?;
        *out = to_json(datalake_core::config::KEYS, "config keys")?;
        Ok(())
    })
}

/// The flags rsync gets for `profile` before the tool's own (JSON: a list of
/// strings): the profile's `rsync_args`, or the defaults
/// (`-rt --partial-dir=.rsync-partial`) when it has none.
///
/// Errors: `DATALAKE_ERR_PROFILE_NOT_FOUND` for an unknown profile (the
/// message suggests the closest name).
///
/// # Safety
/// `lake` is NULL or a live handle; `profile` is NULL or a NUL-terminated
/// string; `args_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn datalake_profile_rsync_args(
    lake: *const datalake_lake,
    profile: *const c_char,
    args_json: *mut *mut c_char,
) -> datalake_status {
    call("datalake_profile_rsync_args", || {
        let lake = unsafe { ref_arg(lake, "lake") }?;
        let profile = unsafe { str_arg(profile, "profile") }?;
        let out = unsafe { out_arg(args_json, "args_json") }?;
        let args = lake.lake.config().profile(profile)?.effective_rsync_args();
        *out = to_json(&args, "rsync arguments")?;
        Ok(())
    })
}
