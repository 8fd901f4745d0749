//! The panic boundary, argument checks and the thread-local last error.
//!
//! Every exported function runs its body through [`call`]: a panic becomes
//! `DATALAKE_ERR_PANIC`, a failure stores its message for
//! `datalake_last_error_message` on the calling thread, and success returns
//! `DATALAKE_OK` without touching that message.

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use datalake_core::Error;

use crate::status::datalake_status;

/// A failed call: the status to return and the message to keep.
#[derive(Debug)]
pub struct Failure {
    /// Returned to the caller.
    pub status: datalake_status,
    /// Stored for `datalake_last_error_message`.
    pub message: String,
}

impl Failure {
    /// A failure with an explicit status.
    pub fn new(status: datalake_status, message: impl Into<String>) -> Self {
        Failure { status, message: message.into() }
    }

    /// `DATALAKE_ERR_INVALID_ARGUMENT` with the core's wording for bad arguments.
    pub fn invalid_argument(what: impl Into<String>) -> Self {
        Failure::from(Error::InvalidArgument(what.into()))
    }
}

impl From<Error> for Failure {
    /// The status from the error's kind, the message its `Display` (the same
    /// text the Python exception and the CLI carry).
    fn from(e: Error) -> Self {
        Failure { status: e.kind().into(), message: e.to_string() }
    }
}

/// What an exported body returns.
pub type Outcome = Result<(), Failure>;

thread_local! {
    /// The calling thread's message for its last failing call.
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Store `message` as this thread's last error.
pub fn set_last_error(message: &str) {
    // try_with: during thread teardown the slot may be gone; losing the
    // message then is better than aborting.
    let _ = LAST_ERROR.try_with(|slot| {
        let mut slot = slot.borrow_mut();
        slot.clear();
        // A NUL inside would silently cut the C string short.
        slot.extend(message.chars().map(|c| if c == '\0' { ' ' } else { c }));
    });
}

/// This thread's last error message (empty when no call has failed yet).
pub fn last_error() -> String {
    LAST_ERROR.try_with(|slot| slot.borrow().clone()).unwrap_or_default()
}

/// Copy `message` into `buf` (capacity `len`) NUL-terminated, truncated at a
/// UTF-8 character boundary; return `message`'s full length in bytes.
///
/// # Safety
/// `buf` is NULL or valid for `len` bytes of writes.
pub unsafe fn copy_truncated(message: &str, buf: *mut c_char, len: usize) -> usize {
    if !buf.is_null() && len > 0 {
        let mut n = message.len().min(len - 1);
        while !message.is_char_boundary(n) {
            n -= 1;
        }
        // SAFETY: the caller guarantees `len` writable bytes; n + 1 <= len.
        unsafe {
            std::ptr::copy_nonoverlapping(message.as_ptr(), buf.cast::<u8>(), n);
            *buf.add(n) = 0;
        }
    }
    message.len()
}

/// Run an exported body: catch panics, record failures, map to a status.
pub fn call(function: &str, body: impl FnOnce() -> Outcome) -> datalake_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => datalake_status::DATALAKE_OK,
        Ok(Err(failure)) => {
            set_last_error(&failure.message);
            failure.status
        }
        Err(payload) => {
            set_last_error(&panic_message(function, payload.as_ref()));
            datalake_status::DATALAKE_ERR_PANIC
        }
    }
}

/// Run a body that returns a value rather than a status (void functions,
/// `datalake_last_error_message`): a panic stores its message and yields `fallback`.
pub fn call_or<T>(function: &str, fallback: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(v) => v,
        Err(payload) => {
            set_last_error(&panic_message(function, payload.as_ref()));
            fallback
        }
    }
}

/// The text stored for a caught panic.
fn panic_message(function: &str, payload: &(dyn std::any::Any + Send)) -> String {
    let detail = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic payload");
    format!("internal error in {function}: {detail}; this is a bug in libdatalake, please report it with this message")
}

/// A required `const char *` argument as UTF-8.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
pub unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::invalid_argument(format!("{name} is NULL; pass a NUL-terminated UTF-8 string")));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes.to_str().map_err(|e| {
        Failure::invalid_argument(format!(
            "{name} is not valid UTF-8 (invalid byte at offset {}): {:?}; pass UTF-8 text",
            e.valid_up_to(),
            bytes.to_string_lossy()
        ))
    })
}

/// A required pointer argument as a shared reference.
///
/// # Safety
/// `ptr` is NULL or valid for reads for `'a`.
pub unsafe fn ref_arg<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller's contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::invalid_argument(format!("{name} is NULL")))
}

/// A required out-parameter; checked before any work so a NULL one never
/// throws a finished sync away.
///
/// # Safety
/// `ptr` is NULL or valid for writes for `'a`.
pub unsafe fn out_arg<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: the caller's contract.
    unsafe { ptr.as_mut() }.ok_or_else(|| {
        Failure::invalid_argument(format!("{name} is NULL; pass the address of a variable to receive the result"))
    })
}

/// A heap C string for the caller, freed with `datalake_string_free`.
pub fn to_c_string(text: String, what: &str) -> Result<*mut c_char, Failure> {
    CString::new(text).map(CString::into_raw).map_err(|_| {
        Failure::new(
            datalake_status::DATALAKE_ERR_PANIC,
            format!("internal error: the {what} contains a NUL byte; this is a bug in libdatalake, please report it"),
        )
    })
}

/// Serialize `value` exactly as the CLI's `--format json` does.
pub fn to_json<T: serde::Serialize + ?Sized>(value: &T, what: &str) -> Result<*mut c_char, Failure> {
    let text = serde_json::to_string(value).map_err(|e| {
        Failure::new(
            datalake_status::DATALAKE_ERR_PANIC,
            format!("internal error: cannot serialize the {what} to JSON: {e}; this is a bug in libdatalake, please report it"),
        )
    })?;
    to_c_string(text, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_becomes_status_and_message() {
        let status = call("datalake_test", || panic!("boom {}", 42));
        assert_eq!(status, datalake_status::DATALAKE_ERR_PANIC);
        let msg = last_error();
        assert!(msg.contains("datalake_test") && msg.contains("boom 42"), "{msg}");
        let status = call("datalake_test", || std::panic::panic_any(7u8));
        assert_eq!(status, datalake_status::DATALAKE_ERR_PANIC);
        assert!(last_error().contains("unknown panic payload"));
    }

    #[test]
    fn success_keeps_the_previous_message() {
        call("f", || Err(Failure::invalid_argument("x")));
        assert_eq!(call("g", || Ok(())), datalake_status::DATALAKE_OK);
        assert_eq!(last_error(), "invalid argument: x");
    }

    #[test]
    fn truncation_respects_utf8_and_nul() {
        let msg = "aé€"; // 1 + 2 + 3 bytes
        let mut buf = [0x55 as c_char; 8];
        for (len, expect) in [(1, ""), (2, "a"), (3, "a"), (4, "aé"), (6, "aé"), (7, "aé€"), (8, "aé€")] {
            buf.fill(0x55);
            let n = unsafe { copy_truncated(msg, buf.as_mut_ptr(), len) };
            assert_eq!(n, 6);
            let got = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
            assert_eq!(got, expect, "len {len}");
            assert!(buf[len..].iter().all(|&b| b == 0x55), "wrote past len {len}");
        }
        assert_eq!(unsafe { copy_truncated(msg, std::ptr::null_mut(), 100) }, 6);
        set_last_error("a\0b");
        assert_eq!(last_error(), "a b");
    }
}
