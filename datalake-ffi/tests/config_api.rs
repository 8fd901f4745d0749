//! The configuration's facts through the C ABI: the key table and a
//! profile's effective rsync flags, with their argument checks.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use datalake::*;
use datalake_core::{Config, DataLake};

fn take_json(s: *mut c_char) -> serde_json::Value {
    assert!(!s.is_null());
    let text = unsafe { CStr::from_ptr(s) }.to_str().expect("UTF-8").to_owned();
    unsafe { datalake_string_free(s) };
    serde_json::from_str(&text).expect("valid JSON")
}

#[test]
fn config_keys_are_the_core_table() {
    let mut out: *mut c_char = ptr::null_mut();
    assert_eq!(unsafe { datalake_config_keys(&mut out) }, datalake_status::DATALAKE_OK);
    let keys = take_json(out);
    let rows = keys.as_array().expect("a list");
    assert_eq!(rows.len(), datalake_core::config::KEYS.len());
    let retention = rows.iter().find(|r| r["scope"] == "profile" && r["name"] == "retention_days").expect("row");
    assert_eq!(retention["default"], 30);
    assert_eq!(retention["max"], 36_500);
    assert_eq!(unsafe { datalake_config_keys(ptr::null_mut()) }, datalake_status::DATALAKE_ERR_INVALID_ARGUMENT);
}

#[test]
fn profile_rsync_args_are_the_profiles_or_the_defaults() {
    let yaml = "data_lake:\n  root_dir: /tmp/datalake-ffi-config-api\n  profiles:\n    plain:\n      source: {type: local, remote_root: /tmp}\n    own:\n      source: {type: local, remote_root: /tmp}\n      rsync_args: [\"-a\", \"--partial-dir=.rsync-partial\"]\n";
    let config = Config::from_yaml_str(yaml, None).expect("loads");
    let lake = into_handle(DataLake::from_config(config));
    let args = |name: &str| {
        let name = CString::new(name).expect("no NUL");
        let mut out: *mut c_char = ptr::null_mut();
        let status = unsafe { datalake_profile_rsync_args(lake, name.as_ptr(), &mut out) };
        (status, if out.is_null() { serde_json::Value::Null } else { take_json(out) })
    };
    assert_eq!(
        args("plain"),
        (datalake_status::DATALAKE_OK, serde_json::json!(["-rt", "--partial-dir=.rsync-partial"]))
    );
    assert_eq!(args("own"), (datalake_status::DATALAKE_OK, serde_json::json!(["-a", "--partial-dir=.rsync-partial"])));
    assert_eq!(args("plian"), (datalake_status::DATALAKE_ERR_PROFILE_NOT_FOUND, serde_json::Value::Null));
    let name = CString::new("plain").expect("no NUL");
    let mut out: *mut c_char = ptr::null_mut();
    let arg = datalake_status::DATALAKE_ERR_INVALID_ARGUMENT;
    assert_eq!(unsafe { datalake_profile_rsync_args(ptr::null(), name.as_ptr(), &mut out) }, arg);
    assert_eq!(unsafe { datalake_profile_rsync_args(lake, ptr::null(), &mut out) }, arg);
    assert_eq!(unsafe { datalake_profile_rsync_args(lake, name.as_ptr(), ptr::null_mut()) }, arg);
    assert!(out.is_null());
    unsafe { datalake_free(lake) };
}
