//! Library-wide functions: status descriptions, the last error message,
//! freeing strings, the version.

use std::ffi::{c_char, CString};

use crate::boundary;
use crate::status::{datalake_status, datalake_status_value};

/// A short static description of `status` (`"ok"`, `"profile not found"`,
/// ...); `"unknown status"` for values outside the enum. Never NULL, never freed.
#[no_mangle]
pub extern "C" fn datalake_status_str(status: datalake_status_value) -> *const c_char {
    let text = datalake_status::from_value(status).map_or("unknown status\0", datalake_status::description);
    text.as_ptr().cast()
}

/// Copy the calling thread's message for its last failing call into `buf`,
/// NUL-terminated and truncated to `len` bytes (at a UTF-8 character
/// boundary), and return the message's full length in bytes, not counting
/// the NUL (like `snprintf`): a return value `>= len` means it was truncated.
///
/// The text is the same as the Python exception's and the CLI's error line:
/// what happened and what to do. It is kept until the next failing call on
/// the same thread (successful calls leave it alone); before any failure it
/// is empty. `buf` may be NULL when `len` is 0 to ask for the length:
/// ```c
/// size_t n = datalake_last_error_message(NULL, 0);
/// char *msg = malloc(n + 1);
/// datalake_last_error_message(msg, n + 1);
/// ```
///
/// # Safety
/// `buf` is NULL or valid for `len` bytes of writes.
#[no_mangle]
pub unsafe extern "C" fn datalake_last_error_message(buf: *mut c_char, len: usize) -> usize {
    boundary::call_or("datalake_last_error_message", 0, || {
        let message = boundary::last_error();
        // SAFETY: the caller's contract above.
        unsafe { boundary::copy_truncated(&message, buf, len) }
    })
}

/// Free a string returned by this library. NULL is accepted and ignored.
/// Do not pass strings from anywhere else, and do not use `free()` on these.
///
/// # Safety
/// `s` is NULL or a string returned by this library and not freed before.
#[no_mangle]
pub unsafe extern "C" fn datalake_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    boundary::call("datalake_string_free", || {
        // SAFETY: made by CString::into_raw in boundary::to_c_string.
        drop(unsafe { CString::from_raw(s) });
        Ok(())
    });
}

/// The library version (`"0.1.0"`), static, never freed.
#[no_mangle]
pub extern "C" fn datalake_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
