//! End-to-end tests of the sync engine: real rsync, a real OpenSSH server on
//! 127.0.0.1 (tests/support/sshd.sh), real files.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use datalake_core::state::lock::ProfileLock;
use datalake_core::{
    CleanupOptions, ConnectionStatus, DataLake, ErrorKind, Progress, RunControl, SyncOptions, SyncStatus,
};

use support::{Area, SshServer, FAKE_PARQUET_KEYS};

fn server() -> &'static SshServer {
    static SERVER: OnceLock<SshServer> = OnceLock::new();
    SERVER.get_or_init(SshServer::start)
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A partition name within retention (`YYYYMMDD` of today).
fn recent() -> String {
    today().format("%Y%m%d").to_string()
}

fn days_ago(n: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(n)).expect("date in range")
}

/// The engine tests' use of the shared [`Area`].
impl Area {
    fn partition(&self, date: NaiveDate, symbol: &str) -> String {
        format!("gate_io_{symbol}_{}", date.format("%Y%m%d"))
    }

    /// One profile config; `extra` is appended inside the profile (YAML, 6-space indent).
    fn config_ssh(&self, name: &str, extra: &str) -> PathBuf {
        self.config_ssh_at(name, &self.collector, extra, "config.yml")
    }

    fn config_ssh_at(&self, name: &str, remote_root: &Path, extra: &str, file: &str) -> PathBuf {
        self.write_ssh_config(server(), name, remote_root, &format!("{FAKE_PARQUET_KEYS}{extra}"), file)
    }

    fn config_local(&self, name: &str, extra: &str) -> PathBuf {
        let yaml = format!(
            "data_lake:\n  root_dir: {lake:?}\n  profiles:\n    {name}:\n      source:\n        type: local\n        remote_root: {remote:?}\n      local_subdir: {name}\n      min_age: 0\n      check_parquet: false\n{extra}",
            lake = self.lake,
            remote = self.collector,
        );
        let path = self.root.join("local.yml");
        fs::write(&path, yaml).expect("write config");
        path
    }

    fn local_dir(&self, name: &str) -> PathBuf {
        self.lake.join(name)
    }
}

fn open(config: &Path) -> DataLake {
    DataLake::open(config).unwrap_or_else(|e| panic!("config should load: {e}"))
}

fn sync(lake: &DataLake, name: &str) -> datalake_core::SyncReport {
    lake.sync(name, &mut SyncOptions::default()).unwrap_or_else(|e| panic!("sync should start: {e}"))
}

fn assert_same_tree(a: &Path, b: &Path) {
    assert_eq!(support::tree_digest(a), support::tree_digest(b), "trees differ: {} vs {}", a.display(), b.display());
}

#[test]
fn first_noop_and_incremental_sync_over_ssh() {
    let area = Area::new();
    for (i, d) in [0u64, 1, 2].iter().enumerate() {
        for sym in ["VIRTUAL-USDT", "BTC-USDT"] {
            for part in 1..=3 {
                area.put(
                    &format!("{}/part_{part:05}.parquet", area.partition(days_ago(*d), sym)),
                    10_000 + i * 100,
                    part,
                );
            }
        }
    }
    let lake = open(&area.config_ssh("cex_ticks", "      rsync_args: \"-rt --partial-dir=.rsync-partial -z\"\n"));
    let r = sync(&lake, "cex_ticks");
    assert_eq!(r.status, SyncStatus::Success, "errors: {:?}", r.errors);
    assert!(
        r.config_warnings.iter().any(|w| w.contains("profiles.cex_ticks.rsync_args") && w.contains("compress")),
        "{:?}",
        r.config_warnings
    );
    assert_eq!(r.files_transferred, 18);
    assert_eq!(r.bytes_transferred, 18 * 10_000 + 6 * 100 + 6 * 200);
    assert_eq!(r.rsync_exit_code, Some(0));
    assert_eq!(r.attempts, 1);
    assert_same_tree(&area.collector, &area.local_dir("cex_ticks"));

    let cp = lake.checkpoint("cex_ticks").expect("checkpoint readable").expect("checkpoint written");
    assert_eq!(cp.last_sync_status.as_deref(), Some("success"));
    assert_eq!(cp.files_transferred, 18);
    assert!(cp.running.is_none(), "running marker must be cleared");
    assert_eq!(cp.history.len(), 1);

    let r = sync(&lake, "cex_ticks");
    assert_eq!((r.status, r.files_transferred, r.bytes_transferred), (SyncStatus::Success, 0, 0));

    area.put(&format!("{}/part_00004.parquet", area.partition(days_ago(0), "BTC-USDT")), 5_000, 9);
    area.put(&format!("{}/part_00001.parquet", area.partition(days_ago(0), "ETH-USDT")), 7_000, 8);
    let r = sync(&lake, "cex_ticks");
    assert_eq!((r.status, r.files_transferred, r.bytes_transferred), (SyncStatus::Success, 2, 12_000));
    assert_same_tree(&area.collector, &area.local_dir("cex_ticks"));
    let cp = lake.checkpoint("cex_ticks").expect("readable").expect("written");
    assert_eq!(cp.history.len(), 3);

    let stats = lake.stats("cex_ticks").expect("stats");
    assert_eq!(stats.file_count, 20);
    assert_eq!(stats.total_size, 18 * 10_000 + 6 * 100 + 6 * 200 + 12_000);
    assert_eq!(stats.partition_count, 7);
    assert_eq!(stats.earliest_date, Some(days_ago(2)));
    assert_eq!(stats.latest_date, Some(today()));
    assert_eq!(stats.last_sync_status.as_deref(), Some("success"));
    assert_eq!(stats.expired_partitions, 0);
}

#[test]
fn thousands_of_files_are_counted_exactly() {
    let area = Area::new();
    for i in 0..1_200 {
        area.put(&format!("{}/part_{i:05}.parquet", area.partition(days_ago((i % 4) as u64), "X-USDT")), 64, i as u64);
    }
    let lake = open(&area.config_ssh("many", ""));
    let mut calls = 0u32;
    let mut last = Progress::default();
    let mut cb = |p: &Progress| {
        calls += 1;
        last = p.clone();
    };
    let r = lake
        .sync(
            "many",
            &mut SyncOptions {
                control: RunControl { progress: Some(&mut cb), ..RunControl::default() },
                ..SyncOptions::default()
            },
        )
        .expect("sync");
    assert_eq!(r.status, SyncStatus::Success);
    assert_eq!(r.files_transferred, 1_200);
    assert_eq!(r.bytes_transferred, 1_200 * 64);
    assert!(r.total_files >= 1_200);
    assert!(calls >= 1, "progress callback must be called");
    assert_eq!(last.profile, "many");
    assert_eq!(last.bytes_done, 1_200 * 64);
    assert_same_tree(&area.collector, &area.local_dir("many"));
}

#[test]
fn expired_partitions_are_never_downloaded_and_cleanup_removes_local_ones() {
    let area = Area::new();
    area.put(&format!("{}/part_00001.parquet", area.partition(days_ago(0), "A")), 100, 1);
    area.put(&format!("{}/part_00001.parquet", area.partition(days_ago(29), "A")), 100, 2);
    area.put(&format!("{}/part_00001.parquet", area.partition(days_ago(30), "A")), 100, 3);
    area.put(&format!("{}/part_00001.parquet", area.partition(days_ago(400), "A")), 100, 4);
    area.put("README.txt", 10, 5);
    // An expired partition already in the lake from an older run.
    support::write_file(
        &area.local_dir("ret"),
        &format!("{}/part_00001.parquet", area.partition(days_ago(45), "A")),
        300,
        6,
    );

    let lake = open(&area.config_ssh("ret", ""));
    // Alone in the lake, the old day is the newest one: kept, with a warning.
    let alone =
        lake.cleanup("ret", &mut CleanupOptions { dry_run: false, ..CleanupOptions::default() }).expect("cleanup");
    assert_eq!(alone.deleted_dirs, 0, "the newest day is never deleted");
    assert!(!alone.warnings.is_empty(), "keeping an expired newest day is reported");

    let r = sync(&lake, "ret");
    assert_eq!(r.status, SyncStatus::Success, "{:?}", r.errors);
    assert_eq!(r.files_transferred, 3, "today, day 29 and the undated file; not day 30 or 400");
    let local = area.local_dir("ret");
    assert!(local.join(area.partition(days_ago(29), "A")).exists());
    assert!(!local.join(area.partition(days_ago(30), "A")).exists());
    assert!(!local.join(area.partition(days_ago(400), "A")).exists());
    let cleanup = r.cleanup.expect("cleanup runs after a successful sync");
    assert_eq!((cleanup.deleted_dirs, cleanup.deleted_files, cleanup.freed_bytes), (1, 1, 300));
    assert!(!local.join(area.partition(days_ago(45), "A")).exists());
    assert!(local.join("README.txt").exists(), "top-level files are never deleted");

    // Dry run: the same report, nothing deleted.
    support::write_file(&local, &format!("{}/part_00001.parquet", area.partition(days_ago(50), "A")), 200, 7);
    let dry = lake.cleanup("ret", &mut CleanupOptions { dry_run: true, ..CleanupOptions::default() }).expect("dry run");
    assert!(dry.dry_run);
    assert_eq!((dry.deleted_dirs, dry.deleted_files, dry.freed_bytes), (1, 1, 200));
    assert!(local.join(area.partition(days_ago(50), "A")).exists(), "dry run must not delete");
    assert_eq!(
        lake.cleanup("ret", &mut CleanupOptions { dry_run: false, ..CleanupOptions::default() })
            .expect("cleanup")
            .deleted_dirs,
        1
    );

    // No ping-pong: the next sync brings nothing back.
    let r = sync(&lake, "ret");
    assert_eq!(r.files_transferred, 0);
    assert_eq!(r.cleanup.map(|c| c.deleted_dirs), Some(0));
}

#[test]
fn interrupted_sync_resumes_and_reuses_partial_data() {
    let area = Area::new();
    let big = format!("{}/part_00001.parquet", area.partition(days_ago(0), "BIG"));
    area.put(&big, 6 * 1024 * 1024, 42);
    let slow = area.config_ssh_at("big", &area.collector, "      bwlimit: 1024\n", "slow.yml");
    let lake = open(&slow);

    let started = Instant::now();
    let report = std::thread::scope(|s| {
        let lake_ref = &lake;
        let handle = s.spawn(move || {
            let mut updates: Vec<Progress> = Vec::new();
            let mut record = |p: &Progress| updates.push(p.clone());
            let r = lake_ref.sync(
                "big",
                &mut SyncOptions {
                    control: RunControl { progress: Some(&mut record), ..RunControl::default() },
                    ..SyncOptions::default()
                },
            );
            (r, updates)
        });
        // Let some data arrive (rsync keeps a partial file only once it has
        // received data into its temporary `.part_00001.parquet.XXXXXX`), then
        // cancel from another thread.
        let dir = area.local_dir("big").join(area.partition(days_ago(0), "BIG"));
        let receiving = || {
            let temp = |e: &fs::DirEntry| e.file_name().to_string_lossy().starts_with(".part_00001.parquet.");
            fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .flatten()
                .any(|e| temp(&e) && e.metadata().is_ok_and(|m| m.len() > 0))
        };
        // (Three seconds at least: the progress asserted below comes about once a second.)
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline && !(receiving() && started.elapsed() > Duration::from_secs(3)) {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(receiving(), "rsync received nothing of the file in 20 s");
        std::thread::sleep(Duration::from_millis(1500));
        let cancelled_at = Instant::now();
        lake_ref.cancel();
        let (r, updates) = handle.join().expect("no panic");
        let r = r.expect("sync started");
        assert!(cancelled_at.elapsed() < Duration::from_secs(5), "cancel must stop rsync promptly");
        // One throttled file: progress must flow while it transfers, not only at the end.
        let moving: Vec<u64> = updates.iter().map(|p| p.bytes_done).filter(|b| *b > 0).collect();
        assert!(moving.len() >= 3, "expected several progress updates during the file, got {updates:?}");
        assert!(moving.windows(2).all(|w| w[0] <= w[1]), "bytes_done never goes back: {moving:?}");
        assert!(updates
            .iter()
            .any(|p| p.rate > 0.0 && p.current_file.as_deref().is_some_and(|f| f.ends_with("part_00001.parquet"))));
        r
    });
    assert_eq!(report.status, SyncStatus::Interrupted);
    assert_eq!(report.error_kind, Some(ErrorKind::Interrupted));
    assert!(report.cleanup.is_none());
    let cp = lake.checkpoint("big").expect("readable").expect("written");
    assert_eq!(cp.last_sync_status.as_deref(), Some("interrupted"));
    let final_path = area.local_dir("big").join(&big);
    assert!(!final_path.exists(), "a half-written file must never appear under its real name");
    let partial =
        area.local_dir("big").join(area.partition(days_ago(0), "BIG")).join(".rsync-partial/part_00001.parquet");
    let kept = fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
    assert!(kept > 0, "partial data must be kept for the next run");

    // Rerun at full speed: completes, identical bytes, partial data reused.
    let fast = open(&area.config_ssh_at("big", &area.collector, "", "fast.yml"));
    let r = sync(&fast, "big");
    assert_eq!(r.status, SyncStatus::Success, "{:?}", r.errors);
    assert!(r.matched_bytes > 0, "the partial file should be reused (matched {} of kept {kept})", r.matched_bytes);
    assert_same_tree(&area.collector, &area.local_dir("big"));
    assert!(!partial.exists());
}

#[test]
fn a_second_run_is_refused_while_the_profile_is_locked() {
    let area = Area::new();
    area.put(&format!("{}/a.parquet", recent()), 10, 1);
    let lake = open(&area.config_ssh("locked", ""));
    let lock_path = lake.profile("locked").expect("profile").lock_file.clone();
    let held = ProfileLock::acquire(&lock_path, "locked", "synced").expect("first lock");
    let err = lake.sync("locked", &mut SyncOptions::default()).expect_err("must be refused");
    assert_eq!(err.kind(), ErrorKind::Locked);
    let msg = err.to_string();
    assert!(msg.contains(&format!("pid {}", std::process::id())), "{msg}");
    assert!(msg.contains("being synced"), "{msg}");
    let err = lake
        .cleanup("locked", &mut CleanupOptions { dry_run: false, ..CleanupOptions::default() })
        .expect_err("cleanup is refused too");
    assert_eq!(err.kind(), ErrorKind::Locked);
    drop(held);
    assert_eq!(sync(&lake, "locked").status, SyncStatus::Success);
}

#[test]
fn authentication_failure_is_permanent_and_named() {
    let area = Area::new();
    area.put(&format!("{}/a.parquet", recent()), 10, 1);
    let s = server();
    let cfg = area.config_ssh("auth", "");
    let text = fs::read_to_string(&cfg).expect("read").replace(&format!("{:?}", s.key), &format!("{:?}", s.wrong_key));
    let text = text.replace("retries: 0", "retries: 3");
    fs::write(&cfg, text).expect("write");
    let lake = open(&cfg);
    let r = sync(&lake, "auth");
    assert_eq!(r.status, SyncStatus::Failed);
    assert_eq!(r.error_kind, Some(ErrorKind::Authentication));
    assert_eq!(r.attempts, 1, "authentication failures are not retried");
    let msg = &r.errors[0];
    assert!(msg.contains("authentication failed for") && msg.contains(&s.wrong_key.display().to_string()), "{msg}");
    let cp = lake.checkpoint("auth").expect("readable").expect("written");
    assert_eq!(cp.last_sync_status.as_deref(), Some("failed"));
    assert_eq!(cp.consecutive_failures, 1);

    let t = lake.test_connection("auth").expect("report");
    assert_eq!(t.status, ConnectionStatus::Authentication);
    assert!(!t.ok);
}

#[test]
fn closed_port_is_refused_and_retried() {
    let area = Area::new();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let cfg = area.config_ssh("closed", "");
    let text = fs::read_to_string(&cfg)
        .expect("read")
        .replace(&format!("port: {}", server().port), &format!("port: {port}"))
        .replace("retries: 0", "retries: 1");
    fs::write(&cfg, text).expect("write");
    let lake = open(&cfg);
    let r = sync(&lake, "closed");
    assert_eq!(r.status, SyncStatus::Failed);
    assert_eq!(r.error_kind, Some(ErrorKind::Connect));
    assert_eq!(r.attempts, 2, "a refused connection is transient: retried once with retries: 1");
    assert!(r.errors[0].contains("connection refused"), "{:?}", r.errors);
    let t = lake.test_connection("closed").expect("report");
    assert_eq!(t.status, ConnectionStatus::Refused);
}

#[test]
fn changed_host_key_is_refused() {
    let area = Area::new();
    area.put(&format!("{}/a.parquet", recent()), 10, 1);
    let s = server();
    let cfg = area.config_ssh("hostkey", "");
    let text = fs::read_to_string(&cfg)
        .expect("read")
        .replace(&format!("known_hosts: {:?}", s.known_hosts), &format!("known_hosts: {:?}", s.known_hosts_changed));
    fs::write(&cfg, text).expect("write");
    let lake = open(&cfg);
    let r = sync(&lake, "hostkey");
    assert_eq!(r.status, SyncStatus::Failed);
    assert_eq!(r.error_kind, Some(ErrorKind::HostKey));
    assert!(r.errors[0].contains("ssh-keygen -R"), "{:?}", r.errors);
    assert!(!area.local_dir("hostkey").join(recent()).exists());
    assert_eq!(lake.test_connection("hostkey").expect("report").status, ConnectionStatus::HostKey);
}

#[test]
fn missing_and_unreadable_remote_root() {
    let area = Area::new();
    let missing = area.root.join("no-such-dir");
    let lake = open(&area.config_ssh_at("gone", &missing, "", "gone.yml"));
    let r = sync(&lake, "gone");
    assert_eq!(r.status, SyncStatus::Failed);
    assert_eq!(r.error_kind, Some(ErrorKind::Sync));
    assert!(r.errors[0].contains("remote_root"), "{:?}", r.errors);
    assert_eq!(lake.test_connection("gone").expect("report").status, ConnectionStatus::RemoteRootMissing);

    let ok = open(&area.config_ssh("fine", ""));
    area.put(&format!("{}/a.parquet", recent()), 10, 1);
    let t = ok.test_connection("fine").expect("report");
    assert!(t.ok, "{}", t.message);
    assert_eq!(t.status, ConnectionStatus::Ok);
    assert_eq!(t.remote_entries, Some(1));
    assert!(t.remote_rsync_version.as_deref().is_some_and(|v| v.contains("version")));
    assert!(t.round_trip_ms.is_some());

    // Unreadable only means something when the server does not run as root.
    if server().user != "root" {
        let locked = area.root.join("locked-root");
        fs::create_dir_all(&locked).expect("mkdir");
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o700)).expect("chmod");
        let lake = open(&area.config_ssh_at("nope", &locked, "", "nope.yml"));
        let t = lake.test_connection("nope").expect("report");
        let owner_is_server = std::process::id() != 0 && server().user == whoami();
        if !owner_is_server {
            assert_eq!(t.status, ConnectionStatus::RemoteRootUnreadable, "{}", t.message);
        }
    }
}

fn whoami() -> String {
    std::env::var("USER").unwrap_or_default()
}

#[test]
fn missing_rsync_on_the_collector() {
    let s = SshServer::start_with_session_path_without_rsync();
    let area = Area::new();
    area.put(&format!("{}/a.parquet", recent()), 10, 1);
    let cfg = area.config_ssh("norsync", "");
    let text = fs::read_to_string(&cfg)
        .expect("read")
        .replace(&format!("port: {}", server().port), &format!("port: {}", s.port));
    let text = text
        .replace(&format!("{:?}", server().key), &format!("{:?}", s.key))
        .replace(&format!("{:?}", server().known_hosts), &format!("{:?}", s.known_hosts));
    fs::write(&cfg, text).expect("write");
    let lake = open(&cfg);
    let t = lake.test_connection("norsync").expect("report");
    assert_eq!(t.status, ConnectionStatus::RemoteRsyncMissing, "{}", t.message);
    let r = sync(&lake, "norsync");
    assert_eq!(r.status, SyncStatus::Failed);
    assert_eq!(r.attempts, 1, "a missing rsync is not retried");
    assert!(r.errors[0].contains("not installed on the collector"), "{:?}", r.errors);
}

/// Re-executes this test binary with an empty PATH: the real "rsync is not installed" path.
#[test]
fn missing_local_rsync_is_reported_with_the_fix() {
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .args(["--exact", "inner_missing_local_rsync", "--ignored", "--nocapture", "--test-threads=1"])
        .env("PATH", "/nonexistent-datalake-path")
        .env("DATALAKE_INNER_TEST", "1")
        .output()
        .expect("re-run");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "{text}");
}

#[test]
#[ignore = "run by missing_local_rsync_is_reported_with_the_fix with an empty PATH"]
fn inner_missing_local_rsync() {
    assert_eq!(std::env::var("DATALAKE_INNER_TEST").as_deref(), Ok("1"));
    let area = Area::new();
    let lake = open(&area.config_local("nolocal", ""));
    let err = lake.sync("nolocal", &mut SyncOptions::default()).expect_err("rsync is not on PATH");
    assert_eq!(err.kind(), ErrorKind::ToolNotFound);
    assert!(err.to_string().contains("apt-get install rsync"), "{err}");
}

#[test]
fn hostile_names_transfer_byte_exact() {
    let area = Area::new();
    let weird_root = area.root.join("col lect'or $HOME; \"x\"");
    let names = [
        "{d}/with space.parquet",
        "{d}/quote'single.parquet",
        "{d}/quote\"double.parquet",
        "{d}/dollar $HOME.parquet",
        "{d}/semi;colon&amp|pipe.parquet",
        "{d}/-rf",
        "{d}/--delete",
        "{d}/star*?[x].parquet",
        "{d}/back\\slash.parquet",
        "{d}/ünïcødé 数据.parquet",
        "{d}/new\nline.parquet",
        "odd dir $(touch pwned)/`id`.parquet",
    ];
    let names: Vec<String> = names.iter().map(|n| n.replace("{d}", &recent())).collect();
    for (i, n) in names.iter().enumerate() {
        support::write_file(&weird_root, n, 100 + i, i as u64);
    }
    let lake = open(&area.config_ssh_at("weird", &weird_root, "", "weird.yml"));
    let r = sync(&lake, "weird");
    assert_eq!(r.status, SyncStatus::Success, "{:?}", r.errors);
    assert_eq!(r.files_transferred, names.len() as u64);
    assert_same_tree(&weird_root, &area.local_dir("weird"));
    assert!(!area.root.join("pwned").exists() && !Path::new("pwned").exists(), "nothing may be executed");
}

#[test]
fn symlinks_are_never_followed() {
    let area = Area::new();
    let outside = area.root.join("outside");
    support::write_file(&outside, "secret.txt", 50, 1);
    area.put(&format!("{}/a.parquet", recent()), 10, 2);
    std::os::unix::fs::symlink(&outside, area.collector.join("link_20260102")).expect("symlink");
    std::os::unix::fs::symlink(outside.join("secret.txt"), area.collector.join(format!("{}/secret.parquet", recent())))
        .expect("symlink");
    let lake = open(&area.config_ssh("links", ""));
    let r = sync(&lake, "links");
    assert_eq!(r.status, SyncStatus::Success, "{:?}", r.errors);
    let local = area.local_dir("links");
    assert!(local.join(format!("{}/a.parquet", recent())).is_file());
    assert!(fs::symlink_metadata(local.join("link_20260102")).is_err(), "collector symlinks are not copied");
    assert!(fs::symlink_metadata(local.join(format!("{}/secret.parquet", recent()))).is_err());

    // A symlink inside the lake pointing outside: stats do not follow it, cleanup never deletes through it.
    let victim = area.root.join("victim_20200101");
    support::write_file(&victim, "keep.txt", 10, 3);
    std::os::unix::fs::symlink(&victim, local.join("old_20200101")).expect("symlink");
    let stats = lake.stats("links").expect("stats");
    assert_eq!(stats.file_count, 1);
    let c =
        lake.cleanup("links", &mut CleanupOptions { dry_run: false, ..CleanupOptions::default() }).expect("cleanup");
    assert!(victim.join("keep.txt").exists(), "the symlink target must be untouched");
    assert!(c.skipped.iter().any(|s| s.path.ends_with("old_20200101")), "{:?}", c.skipped);
}

#[test]
fn sync_all_runs_profiles_in_parallel_and_isolates_failures() {
    let area = Area::new();
    area.put(&format!("{}/a.parquet", recent()), 10, 1);
    let s = server();
    let yaml = format!(
        "data_lake:\n  root_dir: {lake:?}\n  profiles:\n    good:\n      source: {{type: ssh, host: 127.0.0.1, port: {port}, user: {user}, ssh_key: {key:?}, remote_root: {remote:?}}}\n      known_hosts: {kh:?}\n      retries: 0\n      min_age: 0\n      check_parquet: false\n    local_copy:\n      source: {{type: local, remote_root: {remote:?}}}\n      min_age: 0\n      check_parquet: false\n    bad:\n      source: {{type: local, remote_root: {missing:?}}}\n      retries: 0\n    off:\n      enabled: false\n      source: {{type: local, remote_root: {remote:?}}}\n",
        lake = area.lake,
        port = s.port,
        user = s.user,
        key = s.key,
        remote = area.collector,
        kh = s.known_hosts,
        missing = area.root.join("missing"),
    );
    let cfg = area.root.join("all.yml");
    fs::write(&cfg, yaml).expect("write");
    let lake = open(&cfg);
    let reports = lake.sync_all(&mut SyncOptions { jobs: 3, ..SyncOptions::default() });
    let got: Vec<(&str, SyncStatus)> = reports.reports.iter().map(|r| (r.profile.as_str(), r.status)).collect();
    assert_eq!(
        got,
        vec![("bad", SyncStatus::Failed), ("good", SyncStatus::Success), ("local_copy", SyncStatus::Success)]
    );
    assert_eq!(reports.status, SyncStatus::Failed);
    assert_eq!(reports.exit_code().code(), 1);
    assert_eq!(lake.profiles().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["bad", "good", "local_copy", "off"]);
    assert_same_tree(&area.collector, &area.local_dir("good"));
    assert_same_tree(&area.collector, &area.local_dir("local_copy"));
    let err = lake.sync("off", &mut SyncOptions::default()).expect_err("disabled");
    assert!(err.to_string().contains("enabled: true"), "{err}");
}

#[test]
fn dry_run_changes_nothing_on_disk() {
    let area = Area::new();
    area.put(&format!("{}/part_00001.parquet", area.partition(days_ago(0), "A")), 100, 1);
    let lake = open(&area.config_ssh("dry", ""));
    let r = lake.sync("dry", &mut SyncOptions { dry_run: true, ..SyncOptions::default() }).expect("dry run");
    assert_eq!(r.status, SyncStatus::Success, "{:?}", r.errors);
    assert!(r.dry_run);
    assert_eq!(r.files_transferred, 1, "a dry run reports what would be transferred");
    assert!(!area.local_dir("dry").exists(), "no data directory");
    let profile = lake.profile("dry").expect("profile");
    assert!(!profile.checkpoint_file.exists(), "no checkpoint");
    assert!(!profile.lock_file.exists(), "no lock file");
}

#[test]
fn crash_leaves_a_running_marker_and_the_next_run_says_so() {
    let area = Area::new();
    area.put(&format!("{}/a.parquet", recent()), 10, 1);
    let lake = open(&area.config_local("crashy", ""));
    let profile = lake.profile("crashy").expect("profile");
    let mut cp = datalake_core::Checkpoint { profile_name: "crashy".into(), ..Default::default() };
    cp.running = Some(datalake_core::state::checkpoint::RunningMarker { pid: 999_999, started_at: Utc::now() });
    cp.save(&profile.checkpoint_file).expect("save");
    let r = sync(&lake, "crashy");
    assert_eq!(r.status, SyncStatus::Success);
    assert!(r.warnings.iter().any(|w| w.contains("previous run did not finish")), "{:?}", r.warnings);

    fs::write(&profile.checkpoint_file, b"{ not json").expect("corrupt it");
    let r = sync(&lake, "crashy");
    assert_eq!(r.status, SyncStatus::Success);
    assert!(r.warnings.iter().any(|w| w.contains("corrupt")), "{:?}", r.warnings);
    assert!(lake.checkpoint("crashy").expect("readable").is_some());
}

/// A sync whose process is SIGKILLed must not leave rsync writing into the lake
/// without the lock (the next run would race it).
#[test]
fn rsync_dies_with_a_killed_sync() {
    let area = Area::new();
    area.put(&format!("{}/part_00001.parquet", area.partition(days_ago(0), "K")), 4 * 1024 * 1024, 3);
    let cfg = area.config_local("killed", "      bwlimit: 256\n");
    let exe = std::env::current_exe().expect("test binary");
    let mut child = std::process::Command::new(exe)
        .args(["--exact", "inner_slow_sync", "--ignored", "--nocapture", "--test-threads=1"])
        .env("DATALAKE_INNER_TEST", "1")
        .env("DATALAKE_INNER_CONFIG", &cfg)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn inner sync");
    let lake_dir = area.local_dir("killed").display().to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    while support::processes_mentioning(&lake_dir).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!support::processes_mentioning(&lake_dir).is_empty(), "rsync should be running");
    child.kill().expect("SIGKILL the syncing process");
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !support::processes_mentioning(&lake_dir).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(support::processes_mentioning(&lake_dir), Vec::<String>::new(), "rsync outlived the killed sync");
    // The next run takes over cleanly: the lock is free and the data completes.
    let lake = open(&area.config_local("killed", ""));
    let r = sync(&lake, "killed");
    assert_eq!(r.status, SyncStatus::Success, "{:?}", r.errors);
    assert!(r.warnings.iter().any(|w| w.contains("previous run did not finish")), "{:?}", r.warnings);
    assert_same_tree(&area.collector, &area.local_dir("killed"));
}

#[test]
#[ignore = "run by rsync_dies_with_a_killed_sync, which kills it"]
fn inner_slow_sync() {
    let config = std::env::var("DATALAKE_INNER_CONFIG").expect("config path");
    let lake = open(Path::new(&config));
    let _ = lake.sync("killed", &mut SyncOptions::default());
}
