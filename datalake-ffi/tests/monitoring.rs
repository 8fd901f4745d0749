//! `datalake_metrics` and `datalake_health` through the C ABI, on a real
//! lake synced with rsync from a local source: the same text and verdicts
//! the core gives, written into `metrics_dir` too.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use datalake::*;

fn c(s: &str) -> CString {
    CString::new(s).expect("no NUL")
}

fn take(s: *mut c_char) -> String {
    let text = unsafe { CStr::from_ptr(s) }.to_str().expect("UTF-8").to_owned();
    unsafe { datalake_string_free(s) };
    text
}

fn last_error() -> String {
    let mut buf = vec![0 as c_char; 1024];
    unsafe { datalake_last_error_message(buf.as_mut_ptr(), buf.len()) };
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

#[test]
fn metrics_and_health_of_a_synced_lake() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let part = root.join("collector/binance_btc_20261130");
    std::fs::create_dir_all(&part).unwrap();
    std::fs::write(part.join("part_0.parquet"), vec![1u8; 1234]).unwrap();
    std::fs::create_dir(root.join("textfile")).unwrap();
    let config = root.join("lake.yml");
    std::fs::write(
        &config,
        format!(
            "data_lake:\n  root_dir: {r}/lake\n  metrics_dir: {r}/textfile\n  profiles:\n    cex_ticks:\n      source:\n        type: local\n        remote_root: {r}/collector\n",
            r = root.display()
        ),
    )
    .unwrap();
    let mut lake = ptr::null_mut();
    let path = c(config.to_str().unwrap());
    let (profile, two_hours) = (c("cex_ticks"), c("2h"));
    unsafe {
        assert_eq!(datalake_open(path.as_ptr(), &mut lake), datalake_status::DATALAKE_OK, "{}", last_error());

        let mut report = ptr::null_mut();
        assert_eq!(datalake_health(lake, two_hours.as_ptr(), &mut report), datalake_status::DATALAKE_OK);
        let before: serde_json::Value = serde_json::from_str(&take(report)).unwrap();
        assert_eq!(before["ok"], false);
        assert_eq!(before["profiles"][0]["problems"][0]["kind"], "never_ran");

        let mut sync_report = ptr::null_mut();
        let status = datalake_sync(lake, profile.as_ptr(), ptr::null(), &mut sync_report);
        assert_eq!(status, datalake_status::DATALAKE_OK, "{}", last_error());
        take(sync_report);

        let mut text = ptr::null_mut();
        assert_eq!(datalake_metrics(lake, profile.as_ptr(), &mut text), datalake_status::DATALAKE_OK);
        let one = take(text);
        assert!(one.contains("data_lake_stored_bytes{profile=\"cex_ticks\"} 1234\n"), "{one}");
        assert!(one.contains("data_lake_sync_total{profile=\"cex_ticks\",status=\"success\"} 1\n"), "{one}");
        // The file sync wrote holds the same families (only the ages of things may differ).
        let file = std::fs::read_to_string(root.join("textfile/datalake_cex_ticks.prom")).unwrap();
        let names = |t: &str| t.lines().filter(|l| l.starts_with("# TYPE")).map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(names(&file), names(&one));

        let mut all = ptr::null_mut();
        assert_eq!(datalake_metrics(lake, ptr::null(), &mut all), datalake_status::DATALAKE_OK);
        assert_eq!(take(all), one, "NULL profile: every profile (here the only one)");

        let mut report = ptr::null_mut();
        assert_eq!(datalake_health(lake, two_hours.as_ptr(), &mut report), datalake_status::DATALAKE_OK);
        let after: serde_json::Value = serde_json::from_str(&take(report)).unwrap();
        assert_eq!(after["ok"], true, "{after}");
        assert_eq!(after["max_age_seconds"], 7200.0);

        // Bad arguments: a clear status, out-parameters untouched.
        let mut untouched = ptr::dangling_mut::<c_char>();
        let soon = c("soon");
        assert_eq!(
            datalake_health(lake, soon.as_ptr(), &mut untouched),
            datalake_status::DATALAKE_ERR_INVALID_ARGUMENT
        );
        assert!(last_error().contains("90min"), "{}", last_error());
        assert_eq!(datalake_health(lake, ptr::null(), &mut untouched), datalake_status::DATALAKE_ERR_INVALID_ARGUMENT);
        assert_eq!(
            datalake_metrics(ptr::null(), profile.as_ptr(), &mut untouched),
            datalake_status::DATALAKE_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            datalake_metrics(lake, profile.as_ptr(), ptr::null_mut()),
            datalake_status::DATALAKE_ERR_INVALID_ARGUMENT
        );
        let typo = c("cex_tick");
        assert_eq!(
            datalake_metrics(lake, typo.as_ptr(), &mut untouched),
            datalake_status::DATALAKE_ERR_PROFILE_NOT_FOUND
        );
        assert_eq!(untouched, ptr::dangling_mut::<c_char>());
        datalake_free(lake);
    }
}
