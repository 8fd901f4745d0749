//! Tests of the metric families, the exposition text and the textfile writer.

use crate::vocab::counters::Counters;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use chrono::TimeDelta;

use super::*;
use crate::config::test_support::test_profile;
use crate::state::checkpoint::RunRecord;
use crate::vocab::status::SyncStatus;

/// A lake with two partitions (one expired) and a checkpoint of two runs.
fn fixture(root: &Path) -> (Profile, Checkpoint, NaiveDate) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    let lake = root.join("cex_ticks");
    for (dir, bytes) in [("binance_btc_20261128", 300usize), ("binance_btc_20261001", 100)] {
        std::fs::create_dir_all(lake.join(dir)).unwrap();
        std::fs::write(lake.join(dir).join("part_0.parquet"), vec![7u8; bytes]).unwrap();
    }
    let profile = test_profile(&lake, 30);
    let mut cp = Checkpoint::new("cex_ticks");
    let t0 = "2026-11-28T03:00:00Z".parse().unwrap();
    for (status, started) in [(SyncStatus::Failed, t0), (SyncStatus::Success, t0 + TimeDelta::hours(1))] {
        let counters = cp.counters_mut();
        counters.add_sync(status, 2, 400, 1.5, 1);
        cp.record_run(RunRecord {
            started_at: started,
            status,
            files_transferred: 2,
            bytes_transferred: 400,
            duration_seconds: 1.5,
            rsync_exit_code: Some(0),
            errors: vec![],
        });
    }
    (profile, cp, today)
}

/// `name{labels}` -> value, for every sample line.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (key, value) = l.rsplit_once(' ').unwrap();
            (key.to_string(), value.parse().unwrap())
        })
        .collect()
}

#[test]
fn families_follow_the_conventions() {
    let mut names = std::collections::HashSet::new();
    for f in FAMILIES {
        assert!(names.insert(f.name), "{} twice", f.name);
        assert!(f.name.starts_with("data_lake_"), "{}", f.name);
        assert_eq!(f.kind == Kind::Counter, f.name.ends_with("_total"), "{}", f.name);
        assert!(!f.help.is_empty() && !f.help.contains('\n'), "{}", f.name);
        if f.name.contains("timestamp") {
            assert!(f.name.ends_with("_timestamp_seconds"), "{}", f.name);
        }
    }
}

#[test]
fn exposition_of_a_synced_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let (profile, cp, today) = fixture(tmp.path());
    let (snapshot, warning) = Snapshot::collect(&profile, Some(cp.clone()), today);
    assert_eq!(warning, None);
    let text = render(&[snapshot]);

    // HELP and TYPE once for every family, in table order, before its samples.
    let helps: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# HELP ")?.split(' ').next()).collect();
    let all: Vec<&str> = FAMILIES.iter().map(|f| f.name).collect();
    assert_eq!(helps, all);
    let s = samples(&text);
    let p = |k: &str| s.get(k).copied().unwrap_or_else(|| panic!("no sample {k} in\n{text}"));
    assert_eq!(p(r#"data_lake_sync_total{profile="cex_ticks",status="success"}"#), 1.0);
    assert_eq!(p(r#"data_lake_sync_total{profile="cex_ticks",status="failed"}"#), 1.0);
    assert_eq!(p(r#"data_lake_sync_total{profile="cex_ticks",status="partial"}"#), 0.0);
    assert_eq!(p(r#"data_lake_sync_duration_seconds_sum{profile="cex_ticks"}"#), 3.0);
    assert_eq!(p(r#"data_lake_sync_duration_seconds_count{profile="cex_ticks"}"#), 2.0);
    assert_eq!(p(r#"data_lake_bytes_transferred_total{profile="cex_ticks"}"#), 800.0);
    assert_eq!(p(r#"data_lake_last_sync_status{profile="cex_ticks",status="success"}"#), 1.0);
    assert_eq!(p(r#"data_lake_last_sync_status{profile="cex_ticks",status="failed"}"#), 0.0);
    assert_eq!(p(r#"data_lake_last_success_timestamp_seconds{profile="cex_ticks"}"#), 1795838400.0);
    assert_eq!(p(r#"data_lake_consecutive_failures{profile="cex_ticks"}"#), 0.0);
    assert_eq!(p(r#"data_lake_stored_bytes{profile="cex_ticks"}"#), 400.0);
    assert_eq!(p(r#"data_lake_stored_files{profile="cex_ticks"}"#), 2.0);
    assert_eq!(p(r#"data_lake_stored_partitions{profile="cex_ticks"}"#), 2.0);
    assert_eq!(p(r#"data_lake_expired_bytes{profile="cex_ticks"}"#), 100.0);
    // 2026-11-28T00:00:00Z
    assert_eq!(p(r#"data_lake_newest_partition_timestamp_seconds{profile="cex_ticks"}"#), 1795824000.0);
    let version = format!(r#"data_lake_info{{profile="cex_ticks",version="{}"}}"#, env!("CARGO_PKG_VERSION"));
    assert_eq!(p(&version), 1.0);
    // Every sample carries the profile label and nothing high-cardinality.
    for key in s.keys() {
        assert!(key.contains(r#"{profile="cex_ticks""#), "{key}");
        assert!(!key.contains("2026") && !key.contains(".parquet"), "{key}");
    }
    promtool_check(&text);
}

#[test]
fn planner_families_report_the_last_mode_and_late_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (profile, mut cp, today) = fixture(tmp.path());
    let text = render(&[Snapshot::collect(&profile, Some(cp.clone()), today).0]);
    let s = samples(&text);
    // Before the planner recorded a mode: both 0, no full sync yet, nothing missed.
    assert_eq!(s[r#"data_lake_last_sync_mode{profile="cex_ticks",mode="window"}"#], 0.0);
    assert_eq!(s[r#"data_lake_last_sync_mode{profile="cex_ticks",mode="full"}"#], 0.0);
    assert_eq!(s[r#"data_lake_last_full_sync_timestamp_seconds{profile="cex_ticks"}"#], 0.0);
    assert_eq!(s[r#"data_lake_files_missed_by_window_total{profile="cex_ticks"}"#], 0.0);

    cp.last_sync_mode = Some(crate::vocab::status::SyncMode::Full);
    cp.last_full_sync_time = Some("2026-11-28T04:00:00Z".parse().unwrap());
    cp.counters_mut().files_missed_by_window = 3;
    let text = render(&[Snapshot::collect(&profile, Some(cp.clone()), today).0]);
    let s = samples(&text);
    assert_eq!(s[r#"data_lake_last_sync_mode{profile="cex_ticks",mode="window"}"#], 0.0);
    assert_eq!(s[r#"data_lake_last_sync_mode{profile="cex_ticks",mode="full"}"#], 1.0);
    assert_eq!(s[r#"data_lake_last_full_sync_timestamp_seconds{profile="cex_ticks"}"#], 1795838400.0);
    assert_eq!(s[r#"data_lake_files_missed_by_window_total{profile="cex_ticks"}"#], 3.0);
    // The counter survives a lost checkpoint through the previous .prom file.
    assert_eq!(Counters::from_exposition(&text, "cex_ticks").files_missed_by_window, 3);
    promtool_check(&text);
}

#[test]
fn never_synced_profiles_say_so_with_zeros() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = test_profile(&tmp.path().join("nothing"), 30);
    let (snapshot, _) = Snapshot::collect(&profile, None, NaiveDate::from_ymd_opt(2026, 11, 28).unwrap());
    let text = render(&[snapshot]);
    let s = samples(&text);
    assert_eq!(s[r#"data_lake_last_success_timestamp_seconds{profile="cex_ticks"}"#], 0.0);
    assert_eq!(s[r#"data_lake_newest_file_timestamp_seconds{profile="cex_ticks"}"#], 0.0);
    assert_eq!(s[r#"data_lake_stored_bytes{profile="cex_ticks"}"#], 0.0);
    assert!(!text.contains("data_lake_last_sync_duration_seconds"), "no last run, no last-run gauges:\n{text}");
    assert!(s.iter().filter(|(k, _)| k.starts_with("data_lake_last_sync_status")).all(|(_, v)| *v == 0.0));
    promtool_check(&text);
}

#[test]
fn several_profiles_share_help_and_type() {
    let tmp = tempfile::tempdir().unwrap();
    let (profile, cp, today) = fixture(tmp.path());
    let mut other = profile.clone();
    other.name = "dex_trades".into();
    let a = Snapshot::collect(&profile, Some(cp.clone()), today).0;
    let b = Snapshot::collect(&other, None, today).0;
    let text = render(&[a, b]);
    assert_eq!(text.matches("# TYPE data_lake_stored_bytes gauge\n").count(), 1);
    assert!(text.contains(
        "data_lake_stored_bytes{profile=\"cex_ticks\"} 400\ndata_lake_stored_bytes{profile=\"dex_trades\"} 400\n"
    ));
    promtool_check(&text);
}

#[test]
fn textfile_is_replaced_atomically_and_failures_name_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let (profile, cp, today) = fixture(tmp.path());
    let dir = tmp.path().join("textfiles");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("datalake_cex_ticks.prom"), "old").unwrap();
    assert_eq!(write_textfile(&dir, &profile, Some(cp.clone()), today, Walk::Changed), Vec::<String>::new());
    let names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(names, ["datalake_cex_ticks.prom"]);
    let written = std::fs::read_to_string(dir.join("datalake_cex_ticks.prom")).unwrap();
    assert!(written.starts_with("# HELP data_lake_info "), "{written}");

    let missing = tmp.path().join("no-such-dir");
    let warnings = write_textfile(&missing, &profile, Some(cp.clone()), today, Walk::Changed);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains(&format!("metrics_dir {} does not exist", missing.display())), "{warnings:?}");

    let file = tmp.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let warnings = write_textfile(&file, &profile, Some(cp), today, Walk::Everything);
    assert!(warnings[0].contains(&file.display().to_string()), "{warnings:?}");
}

#[test]
fn a_read_ahead_writes_what_a_walk_after_the_run_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let (profile, cp, today) = fixture(tmp.path());
    let dir = tmp.path().join("textfiles");
    std::fs::create_dir(&dir).unwrap();
    let prom = dir.join("datalake_cex_ticks.prom");
    // The first walk writes the lake index; the read-ahead then reuses it.
    assert_eq!(write_textfile(&dir, &profile, Some(cp.clone()), today, Walk::Changed), Vec::<String>::new());
    let index = crate::inspect::lake_index::LakeIndex::path(&profile);
    let walked = std::fs::read_to_string(&prom).unwrap();
    // A partition deleted by hand before the run: the read-ahead sees it, as a walk would.
    std::fs::remove_dir_all(profile.local_dir.join("binance_btc_20261001")).unwrap();
    let ahead = ReadAhead::start(&profile, today);
    // The run records itself meanwhile: its figures come from the checkpoint it writes.
    let mut recorded = cp.clone();
    recorded.counters_mut().add_sync(SyncStatus::Success, 0, 0, 0.25, 0);
    assert_eq!(write_textfile_read_ahead(&dir, &profile, Some(recorded.clone()), today, ahead), Vec::<String>::new());
    let read_ahead = std::fs::read_to_string(&prom).unwrap();
    assert_ne!(read_ahead, walked);
    assert_eq!(samples(&read_ahead)["data_lake_stored_bytes{profile=\"cex_ticks\"}"], 300.0);
    assert_eq!(samples(&read_ahead)["data_lake_sync_total{profile=\"cex_ticks\",status=\"success\"}"], 2.0);
    // A read-ahead whose thread never started: the lake is walked then, not left out.
    assert_eq!(
        write_textfile_read_ahead(&dir, &profile, Some(recorded.clone()), today, ReadAhead::not_started()),
        Vec::<String>::new()
    );
    assert_eq!(std::fs::read_to_string(&prom).unwrap(), read_ahead);
    let saved_index = std::fs::read_to_string(&index).ok();
    assert_eq!(write_textfile(&dir, &profile, Some(recorded), today, Walk::Changed), Vec::<String>::new());
    assert_eq!(std::fs::read_to_string(&prom).unwrap(), read_ahead, "a walk after the run writes the same");
    assert_eq!(std::fs::read_to_string(&index).ok(), saved_index, "and finds the index the read-ahead saved");
    promtool_check(&read_ahead);
}

#[test]
fn a_read_ahead_the_run_cannot_use_leaves_its_index_for_the_walk_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (profile, cp, today) = fixture(tmp.path());
    // Partitions settled an hour ago, so that the index may vouch for them.
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for dir in ["binance_btc_20261128", "binance_btc_20261001"] {
        let times = std::fs::FileTimes::new().set_modified(an_hour_ago);
        std::fs::File::open(profile.local_dir.join(dir)).unwrap().set_times(times).unwrap();
    }
    let index = crate::inspect::lake_index::LakeIndex::path(&profile);
    assert!(!index.exists());
    assert_eq!(ReadAhead::start(&profile, today).keep_index(&profile), None);
    let kept = std::fs::read_to_string(&index).expect("the read-ahead's index is saved");
    assert!(kept.contains("binance_btc_20261001"), "{kept}");
    // The run lands a file in one partition (its directory changes): the walk after it reads
    // that one again and takes the other's tally from the index (a file grown in place, which
    // no sync does, shows that it was not read).
    std::fs::write(profile.local_dir.join("binance_btc_20261128/part_1.parquet"), vec![7u8; 50]).unwrap();
    let untouched = profile.local_dir.join("binance_btc_20261001/part_0.parquet");
    std::fs::OpenOptions::new().append(true).open(&untouched).unwrap().write_all(&[7u8; 10]).unwrap();
    let dir = tmp.path().join("textfiles");
    std::fs::create_dir(&dir).unwrap();
    assert_eq!(write_textfile(&dir, &profile, Some(cp), today, Walk::Changed), Vec::<String>::new());
    let written = std::fs::read_to_string(dir.join("datalake_cex_ticks.prom")).unwrap();
    assert_eq!(samples(&written)["data_lake_stored_bytes{profile=\"cex_ticks\"}"], 300.0 + 50.0 + 100.0);
}

/// Run the real `promtool check metrics` (Debian package `prometheus`, installed by scripts/setup.sh).
fn promtool_check(text: &str) {
    use std::io::Write;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool not found: install the Debian package prometheus (scripts/setup.sh does)");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "promtool check metrics: {said}\n{text}");
}

#[test]
fn metrics_dir_in_the_config() {
    let tmp = tempfile::tempdir().unwrap();
    let load = |extra: &str| {
        let text = format!(
            "data_lake:\n  root_dir: {}\n{extra}  profiles:\n    p:\n      source: {{type: local, remote_root: /srv/x}}\n",
            tmp.path().display()
        );
        crate::config::Config::from_yaml_str(&text, None).unwrap()
    };
    let none = load("");
    assert_eq!(none.metrics_dir, None);
    assert!(none.warnings.is_empty(), "{:?}", none.warnings);

    let there = load(&format!("  metrics_dir: {}\n", tmp.path().display()));
    assert_eq!(there.metrics_dir.as_deref(), Some(tmp.path()));
    assert!(there.warnings.is_empty(), "{:?}", there.warnings);

    let missing = tmp.path().join("textfile");
    let warned = load(&format!("  metrics_dir: {}\n", missing.display()));
    assert_eq!(warned.metrics_dir.as_deref(), Some(missing.as_path()));
    let w: Vec<String> = warned.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].starts_with("3:16: metrics_dir: ") && w[0].contains("is not a directory"), "{w:?}");
}

#[test]
fn a_lost_checkpoint_resumes_from_the_previous_file() {
    let mut before = Counters::default();
    before.add_sync(SyncStatus::Success, 3, 3000, 2.5, 2);
    before.add_sync(SyncStatus::Failed, 0, 0, 1.0, 4);
    before.cleanup_freed_bytes = 77;
    let snapshot = Snapshot {
        profile: "p".into(),
        enabled: true,
        timezone: crate::config::Timezone::Utc,
        checkpoint: None,
        counters: before.clone(),
        stats: None,
    };
    let text = render(&[snapshot]);
    assert_eq!(Counters::from_exposition(&text, "p"), before);
    assert_eq!(Counters::from_exposition(&text, "q"), Counters::default(), "another profile's file");

    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("datalake_p.prom"), &text).unwrap();
    // The old tool rewrote the checkpoint: one run, no counters.
    let mut cp = Checkpoint { last_sync_status: Some("success".into()), bytes_transferred: 10, ..Checkpoint::new("p") };
    seed_counters(&mut cp, "p", Some(tmp.path()));
    let c = cp.counters.clone().unwrap();
    assert_eq!((c.syncs_success, c.syncs_failed, c.bytes_transferred, c.rsync_attempts), (1, 1, 3000, 6));
    assert_eq!((c.sync_duration_seconds, c.cleanup_freed_bytes), (3.5, 77));
    // Counters already there are never replaced.
    cp.counters_mut().bytes_transferred = 1;
    seed_counters(&mut cp, "p", Some(tmp.path()));
    assert_eq!(cp.counters().bytes_transferred, 1);
}
