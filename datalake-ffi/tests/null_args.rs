//! Every exported function called with NULL (and non-UTF-8) arguments:
//! the status, the last error message, and that out-parameters stay untouched.
//! Also the last-error buffer semantics and the static strings.
//!
//! These tests need no configuration file and no collector: the handle is
//! built from an in-memory `Config`, and argument checks happen before any
//! work.

use std::collections::BTreeMap;
use std::ffi::{c_char, CStr, CString};
use std::ptr;

use datalake::*;
use datalake_core::{Config, DataLake};

const ERR_ARG: datalake_status = datalake_status::DATALAKE_ERR_INVALID_ARGUMENT;

/// A sentinel that a test can tell apart from NULL and from a real result.
fn sentinel() -> *mut c_char {
    ptr::dangling_mut::<c_char>()
}

fn last_error() -> String {
    let n = unsafe { datalake_last_error_message(ptr::null_mut(), 0) };
    let mut buf = vec![0 as c_char; n + 1];
    let m = unsafe { datalake_last_error_message(buf.as_mut_ptr(), buf.len()) };
    assert_eq!(m, n, "the length must not change between two calls");
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().expect("last error is UTF-8").to_owned()
}

/// Assert the status and that the message names `needle`.
#[track_caller]
fn expect(status: datalake_status, want: datalake_status, needle: &str) {
    assert_eq!(status, want, "last error: {}", last_error());
    let msg = last_error();
    assert!(msg.contains(needle), "message {msg:?} should mention {needle:?}");
}

/// An empty in-memory lake: argument checks need a live handle, not a config file.
struct Lake(*mut datalake_lake);

impl Lake {
    fn new() -> Self {
        let dir = std::env::temp_dir();
        let config = Config {
            path: None,
            root_dir: dir.clone(),
            checkpoint_dir: dir.join(".checkpoints"),
            profiles: BTreeMap::new(),
            warnings: Vec::new(),
            metrics_dir: None,
        };
        Lake(into_handle(DataLake::from_config(config)))
    }
}

impl Drop for Lake {
    fn drop(&mut self) {
        unsafe { datalake_free(self.0) };
    }
}

fn c(s: &str) -> CString {
    CString::new(s).expect("test strings have no NUL")
}

/// `\xff` is never valid UTF-8.
fn non_utf8() -> CString {
    CString::new(vec![b'p', 0xff, b'x']).expect("no NUL")
}

#[test]
fn open_rejects_null_and_non_utf8() {
    let mut out: *mut datalake_lake = ptr::dangling_mut();
    let before = out;
    unsafe {
        expect(datalake_open(ptr::null(), &mut out), ERR_ARG, "config_path is NULL");
        assert_eq!(out, before, "out written on failure");
        let path = c("/nonexistent/datalake.yml");
        expect(datalake_open(path.as_ptr(), ptr::null_mut()), ERR_ARG, "out is NULL");
        expect(datalake_open(non_utf8().as_ptr(), &mut out), ERR_ARG, "config_path is not valid UTF-8");
        assert_eq!(out, before, "out written on failure");
    }
}

#[test]
fn validate_rejects_null_and_non_utf8() {
    let mut out = sentinel();
    unsafe {
        expect(datalake_validate(ptr::null(), &mut out), ERR_ARG, "config_path is NULL");
        let path = c("/nonexistent/datalake.yml");
        expect(datalake_validate(path.as_ptr(), ptr::null_mut()), ERR_ARG, "report_json is NULL");
        expect(datalake_validate(non_utf8().as_ptr(), &mut out), ERR_ARG, "not valid UTF-8");
    }
    assert_eq!(out, sentinel(), "report_json written on failure");
}

#[test]
fn profile_functions_reject_null_lake_profile_and_out() {
    type ProfileFn = unsafe extern "C" fn(*const datalake_lake, *const c_char, *mut *mut c_char) -> datalake_status;
    let lake = Lake::new();
    let name = c("cex_ticks");
    let sync: ProfileFn = {
        unsafe extern "C" fn f(l: *const datalake_lake, p: *const c_char, o: *mut *mut c_char) -> datalake_status {
            unsafe { datalake_sync(l.cast_mut(), p, ptr::null(), o) }
        }
        f
    };
    let cleanup: ProfileFn = {
        unsafe extern "C" fn f(l: *const datalake_lake, p: *const c_char, o: *mut *mut c_char) -> datalake_status {
            unsafe { datalake_cleanup(l.cast_mut(), p, true, o) }
        }
        f
    };
    let functions: [(&str, ProfileFn, &str); 5] = [
        ("datalake_sync", sync, "report_json"),
        ("datalake_stats", datalake_stats, "stats_json"),
        ("datalake_cleanup", cleanup, "report_json"),
        ("datalake_test_connection", datalake_test_connection, "report_json"),
        ("datalake_checkpoint", datalake_checkpoint, "checkpoint_json"),
    ];
    for (fname, f, out_name) in functions {
        let mut out = sentinel();
        unsafe {
            assert_eq!(f(ptr::null(), ptr::null(), ptr::null_mut()), ERR_ARG, "{fname} all NULL");
            expect(f(ptr::null(), name.as_ptr(), &mut out), ERR_ARG, "lake is NULL");
            expect(f(lake.0, ptr::null(), &mut out), ERR_ARG, "profile is NULL");
            expect(f(lake.0, non_utf8().as_ptr(), &mut out), ERR_ARG, "profile is not valid UTF-8");
            // The out-parameter is checked before any work is done.
            expect(f(lake.0, name.as_ptr(), ptr::null_mut()), ERR_ARG, &format!("{out_name} is NULL"));
        }
        assert_eq!(out, sentinel(), "{fname} wrote its out-parameter on failure");
    }
}

#[test]
fn sync_all_and_config_reject_null() {
    let lake = Lake::new();
    let mut out = sentinel();
    unsafe {
        expect(datalake_sync_all(ptr::null_mut(), ptr::null(), &mut out), ERR_ARG, "lake is NULL");
        expect(datalake_sync_all(lake.0, ptr::null(), ptr::null_mut()), ERR_ARG, "report_json is NULL");
        expect(datalake_config(ptr::null(), &mut out), ERR_ARG, "lake is NULL");
        expect(datalake_config(lake.0, ptr::null_mut()), ERR_ARG, "config_json is NULL");
    }
    assert_eq!(out, sentinel());
}

#[test]
fn aggregates_reject_null_and_unknown_commands() {
    let lake = Lake::new();
    let mut out = sentinel();
    let sync = c("sync");
    unsafe {
        expect(datalake_cleanup_all(ptr::null_mut(), true, &mut out), ERR_ARG, "lake is NULL");
        expect(datalake_cleanup_all(lake.0, true, ptr::null_mut()), ERR_ARG, "report_json is NULL");
        expect(datalake_select_profiles(ptr::null(), sync.as_ptr(), &mut out), ERR_ARG, "lake is NULL");
        expect(datalake_select_profiles(lake.0, ptr::null(), &mut out), ERR_ARG, "command is NULL");
        expect(datalake_select_profiles(lake.0, non_utf8().as_ptr(), &mut out), ERR_ARG, "not valid UTF-8");
        expect(datalake_select_profiles(lake.0, c("purge").as_ptr(), &mut out), ERR_ARG, "unknown command \"purge\"");
        expect(datalake_select_profiles(lake.0, sync.as_ptr(), ptr::null_mut()), ERR_ARG, "names_json is NULL");
    }
    assert_eq!(out, sentinel());
    // No profile: empty results, whatever the command.
    let mut out = ptr::null_mut();
    unsafe {
        assert_eq!(datalake_cleanup_all(lake.0, false, &mut out), datalake_status::DATALAKE_OK, "{}", last_error());
        assert_eq!(CStr::from_ptr(out).to_str().unwrap(), r#"{"results":[]}"#);
        datalake_string_free(out);
        assert_eq!(datalake_select_profiles(lake.0, sync.as_ptr(), &mut out), datalake_status::DATALAKE_OK);
        assert_eq!(CStr::from_ptr(out).to_str().unwrap(), "[]");
        datalake_string_free(out);
    }
}

#[test]
fn options_null_means_defaults() {
    // No enabled profile: sync_all returns an empty array, whatever the options.
    let lake = Lake::new();
    let mut out = ptr::null_mut();
    unsafe {
        assert_eq!(datalake_sync_all(lake.0, ptr::null(), &mut out), datalake_status::DATALAKE_OK, "{}", last_error());
        assert_eq!(CStr::from_ptr(out).to_str().unwrap(), "[]");
        datalake_string_free(out);
    }
}

#[test]
fn config_of_a_handle_is_json() {
    let lake = Lake::new();
    let mut out = ptr::null_mut();
    unsafe {
        assert_eq!(datalake_config(lake.0, &mut out), datalake_status::DATALAKE_OK);
        let text = CStr::from_ptr(out).to_str().unwrap().to_owned();
        datalake_string_free(out);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(v["profiles"].as_object().is_some_and(|p| p.is_empty()), "{text}");
    }
}

#[test]
fn void_functions_accept_null() {
    unsafe {
        datalake_free(ptr::null_mut());
        datalake_string_free(ptr::null_mut());
        datalake_cancel(ptr::null());
    }
    // Cancelling a handle with nothing running is a no-op.
    let lake = Lake::new();
    unsafe { datalake_cancel(lake.0) };
}

#[test]
fn sync_options_default_values() {
    let o = datalake_sync_options_default();
    assert!(!o.dry_run);
    assert!(o.cleanup);
    assert_eq!(o.jobs, 1);
    assert!(o.progress.is_none());
    assert!(o.userdata.is_null());
}

#[test]
fn static_strings() {
    for v in 0..=12u32 {
        let s = unsafe { CStr::from_ptr(datalake_status_str(v)) }.to_str().unwrap();
        assert!(!s.is_empty() && s != "unknown status", "status {v}: {s:?}");
    }
    let ok = unsafe { CStr::from_ptr(datalake_status_str(0)) };
    assert_eq!(ok.to_str().unwrap(), "ok");
    for v in [13, 99, u32::MAX] {
        let s = unsafe { CStr::from_ptr(datalake_status_str(v)) };
        assert_eq!(s.to_str().unwrap(), "unknown status");
    }
    let version = unsafe { CStr::from_ptr(datalake_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    // Static: the same pointer every time.
    assert_eq!(datalake_version(), datalake_version());
}

#[test]
fn last_error_truncation_and_length() {
    // A fresh thread has no message yet.
    std::thread::spawn(|| {
        let mut buf = [0x55 as c_char; 4];
        assert_eq!(unsafe { datalake_last_error_message(buf.as_mut_ptr(), buf.len()) }, 0);
        assert_eq!(buf[0], 0, "an empty message is still NUL-terminated");
    })
    .join()
    .unwrap();

    let mut out = ptr::null_mut();
    let status = unsafe { datalake_open(ptr::null(), &mut out) };
    assert_eq!(status, ERR_ARG);
    let full = last_error();
    let n = full.len();
    assert!(n > 10, "{full:?}");
    unsafe {
        // Asking for the length writes nothing.
        assert_eq!(datalake_last_error_message(ptr::null_mut(), 0), n);
        assert_eq!(datalake_last_error_message(ptr::null_mut(), 100), n);
        // len 0 with a buffer: nothing written, not even the NUL.
        let mut one = [0x55 as c_char; 1];
        assert_eq!(datalake_last_error_message(one.as_mut_ptr(), 0), n);
        assert_eq!(one[0], 0x55);
        // len 1: just the NUL.
        assert_eq!(datalake_last_error_message(one.as_mut_ptr(), 1), n);
        assert_eq!(one[0], 0);
        // Truncated to len - 1 bytes plus NUL, never past len.
        let mut buf = vec![0x55 as c_char; 16];
        assert_eq!(datalake_last_error_message(buf.as_mut_ptr(), 8), n);
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str().unwrap(), &full[..7]);
        assert!(buf[8..].iter().all(|&b| b == 0x55));
        // Exactly n + 1 fits the whole message.
        let mut buf = vec![0x55 as c_char; n + 1];
        assert_eq!(datalake_last_error_message(buf.as_mut_ptr(), n + 1), n);
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str().unwrap(), full);
    }
}

#[test]
fn last_error_is_per_thread_and_survives_success() {
    let mut out = ptr::null_mut();
    unsafe { datalake_validate(ptr::null(), &mut out) };
    let mine = last_error();
    assert!(mine.contains("config_path is NULL"), "{mine}");

    // Another thread's failure does not touch this thread's message.
    std::thread::spawn(|| {
        let lake = Lake::new();
        let mut out = ptr::null_mut();
        unsafe { datalake_stats(lake.0, ptr::null(), &mut out) };
        assert!(last_error().contains("profile is NULL"));
    })
    .join()
    .unwrap();
    assert_eq!(last_error(), mine);

    // A successful call leaves the message of the last failing one.
    let lake = Lake::new();
    let mut json = ptr::null_mut();
    assert_eq!(unsafe { datalake_config(lake.0, &mut json) }, datalake_status::DATALAKE_OK);
    unsafe { datalake_string_free(json) };
    assert_eq!(last_error(), mine);
}

#[test]
fn messages_match_the_core_error_text() {
    // The FFI's own argument errors use the core's InvalidArgument wording, so
    // every front end shows the same shape of message.
    let mut out = ptr::null_mut();
    unsafe { datalake_open(ptr::null(), &mut out) };
    let expected =
        datalake_core::Error::InvalidArgument("config_path is NULL; pass a NUL-terminated UTF-8 string".into())
            .to_string();
    assert_eq!(last_error(), expected);
}
