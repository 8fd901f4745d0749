//! The transfer planner end to end: windowed and full runs, nested layouts,
//! the collector's clock, parallel streams, resume, locks and cancel. Real
//! rsync over a real OpenSSH server on 127.0.0.1.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use datalake_core::state::lock::ProfileLock;
use datalake_core::{DataLake, ErrorKind, SyncMode, SyncOptions, SyncReport, SyncStatus};

use support::{Area, SshServer, FAKE_PARQUET_KEYS};

fn server() -> &'static SshServer {
    static SERVER: OnceLock<SshServer> = OnceLock::new();
    SERVER.get_or_init(SshServer::start)
}

fn days_ago(n: u64) -> NaiveDate {
    Utc::now().date_naive().checked_sub_days(Days::new(n)).expect("date in range")
}

fn part(date: NaiveDate, symbol: &str) -> String {
    format!("gate_io_{symbol}_{}", date.format("%Y%m%d"))
}

/// The planner tests' use of the shared [`Area`].
impl Area {
    /// A profile `p` over `server`; `extra` is YAML inside the profile (6 spaces).
    fn config(&self, server: &SshServer, extra: &str) -> DataLake {
        let keys = format!("{FAKE_PARQUET_KEYS}{extra}");
        let path = self.write_ssh_config(server, "p", &self.collector, &keys, "config.yml");
        DataLake::open(&path).unwrap_or_else(|e| panic!("config should load: {e}"))
    }

    fn local(&self, rel: &str) -> PathBuf {
        self.lake.join("p").join(rel)
    }
}

fn sync_with(lake: &DataLake, full: bool) -> SyncReport {
    lake.sync("p", &mut SyncOptions { full, cleanup: false, ..SyncOptions::default() })
        .unwrap_or_else(|e| panic!("sync should start: {e}"))
}

fn sync(lake: &DataLake) -> SyncReport {
    sync_with(lake, false)
}

fn ok(r: &SyncReport) {
    assert_eq!(r.status, SyncStatus::Success, "errors {:?} warnings {:?}", r.errors, r.warnings);
}

#[test]
fn window_takes_new_parts_and_partitions_late_files_wait_for_the_full_run() {
    let area = Area::new();
    for d in [0, 1, 5] {
        for s in ["BTC", "ETH"] {
            area.put(&format!("{}/part_00001.parquet", part(days_ago(d), s)), 1000, d);
        }
    }
    area.put("README.txt", 10, 0);
    let lake = area.config(server(), "");

    let first = sync(&lake);
    ok(&first);
    assert_eq!(first.mode, Some(SyncMode::Full));
    assert!(first.full_sync_reason.as_deref().is_some_and(|r| r.contains("first sync")), "{first:?}");
    assert_eq!(first.partitions_covered, 6);
    assert_eq!(first.files_missed_by_window, None, "nothing to compare with on a first sync");
    let cp = lake.checkpoint("p").unwrap().unwrap();
    assert_eq!(cp.last_full_sync_time, Some(first.started_at));

    // A new part today, a new partition of an old date, a late file in an old partition,
    // a new top-level file.
    let today_new = format!("{}/part_00002.parquet", part(days_ago(0), "BTC"));
    let new_partition = format!("{}/part_00001.parquet", part(days_ago(12), "SOL"));
    let late = format!("{}/part_00002.parquet", part(days_ago(5), "ETH"));
    area.put(&today_new, 500, 7);
    area.put(&new_partition, 500, 8);
    area.put(&late, 500, 9);
    area.put("meta/symbols.json", 20, 1);

    let window = sync(&lake);
    ok(&window);
    assert_eq!(window.mode, Some(SyncMode::Window), "{:?}", window.full_sync_reason);
    assert_eq!(window.full_sync_reason, None);
    // today and yesterday (2 symbols each) plus the new partition.
    assert_eq!(window.partitions_covered, 5);
    // Yesterday's two and today's ETH had nothing new: the quick check left them out.
    assert_eq!(window.partitions_unchanged, 3);
    assert!(area.local(&today_new).is_file(), "a new part inside the window arrives at the next run");
    assert!(area.local(&new_partition).is_file(), "a new partition of any date arrives at the next run");
    assert!(area.local("meta/symbols.json").is_file(), "undated entries go every run");
    assert!(!area.local(&late).exists(), "a late file in an old partition waits for the full run");
    assert_eq!(window.files_transferred, 3);
    // The window did not list the old partitions' files.
    assert!(window.total_files < first.total_files + 3, "{} vs {}", window.total_files, first.total_files);

    let full = sync_with(&lake, true);
    ok(&full);
    assert_eq!(full.mode, Some(SyncMode::Full));
    assert!(full.full_sync_reason.as_deref().is_some_and(|r| r.contains("asked")), "{full:?}");
    assert!(area.local(&late).is_file(), "the late file arrives at the full run");
    assert_eq!(full.files_missed_by_window, Some(1));
    assert!(full.warnings.iter().any(|w| w.contains("1 file(s)") && w.contains("window_days")), "{:?}", full.warnings);
    assert_eq!(support::tree_digest(&area.collector), support::tree_digest(&area.lake.join("p")));
    let json = full.to_json_value();
    assert_eq!(json["mode"], "full");
    assert_eq!(json["files_missed_by_window"], 1);

    // Expired partitions stay out of windowed runs too.
    area.put(&format!("{}/part_00001.parquet", part(days_ago(40), "OLD")), 10, 1);
    let again = sync(&lake);
    ok(&again);
    assert_eq!(again.mode, Some(SyncMode::Window));
    assert!(!area.local(&part(days_ago(40), "OLD")).exists());
}

/// Bytes of `rel` in the lake, or None.
fn lake_bytes(area: &Area, rel: &str) -> Option<Vec<u8>> {
    fs::read(area.local(rel)).ok()
}

#[test]
fn the_quick_check_leaves_out_unchanged_partitions_and_never_a_changed_file() {
    let area = Area::new();
    let name = |d: u64, s: &str, n: u32| format!("{}/part_{n:05}.parquet", part(days_ago(d), s));
    for d in [0, 1] {
        for s in ["A", "B", "C"] {
            for n in 1..=2 {
                area.put(&name(d, s, n), 700, u64::from(n) + d);
            }
        }
    }
    let lake = area.config(server(), "");
    ok(&sync(&lake));
    // The lake's directories as an hour later: settled, so the check remembers them.
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    for entry in fs::read_dir(area.lake.join("p")).unwrap().flatten() {
        fs::File::open(entry.path()).unwrap().set_modified(hour_ago).unwrap();
    }

    // Nothing changed: no partition goes to rsync, and rsync does not even start.
    let idle = sync(&lake);
    ok(&idle);
    assert_eq!(idle.mode, Some(SyncMode::Window));
    assert_eq!((idle.partitions_covered, idle.partitions_unchanged), (6, 6));
    assert_eq!((idle.files_transferred, idle.attempts, idle.total_files), (0, 0, 12), "{idle:?}");
    // It found each partition whole and remembers so: the next check looks
    // up one directory per partition, and every change below still shows.
    let memory = walkdir::WalkDir::new(&area.root)
        .into_iter()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".quick-check.json"))
        .expect("the quick check's memory is saved");
    let remembered: serde_json::Value = serde_json::from_slice(&fs::read(memory.path()).unwrap()).unwrap();
    assert_eq!(remembered["units"].as_array().map(Vec::len), Some(6), "{remembered}");
    let again = sync(&lake);
    assert_eq!((again.partitions_unchanged, again.files_transferred, again.attempts), (6, 0, 0), "{again:?}");

    // Every kind of change rsync's own quick check sees, one per partition.
    // A file grew on the collector:
    let grown = name(0, "A", 1);
    area.put(&grown, 900, 1);
    // Same size, new content, another mtime (another second: rsync itself
    // compares mtimes to the second):
    let rewritten = name(1, "B", 1);
    area.put(&rewritten, 700, 99);
    let earlier = std::time::SystemTime::now() - Duration::from_secs(7200);
    fs::File::options().write(true).open(area.collector.join(&rewritten)).unwrap().set_modified(earlier).unwrap();
    // Gone from the lake:
    let lost = name(1, "A", 2);
    fs::remove_file(area.local(&lost)).unwrap();
    // An interrupted transfer:
    let halfway = name(0, "C", 2);
    let partial_dir = area.local(&part(days_ago(0), "C")).join(".rsync-partial");
    fs::create_dir_all(&partial_dir).unwrap();
    fs::rename(area.local(&halfway), partial_dir.join("part_00002.parquet")).unwrap();
    // Files only in the lake change nothing: the run never deletes.
    fs::write(area.local(&part(days_ago(0), "B")).join("local-note.txt"), b"x").unwrap();

    let r = sync(&lake);
    ok(&r);
    assert_eq!((r.partitions_covered, r.partitions_unchanged), (6, 2), "{r:?}");
    assert_eq!(r.files_transferred, 4, "{r:?}");
    // rsync was given the four files by name, not their partitions' eight
    // files: its list holds them and their four partitions.
    assert_eq!(r.total_files, 4 + 4, "{r:?}");
    for rel in [&grown, &rewritten, &lost, &halfway] {
        assert_eq!(lake_bytes(&area, rel), fs::read(area.collector.join(rel)).ok(), "{rel} is the collector's");
    }
    // The grown and rewritten files were replaced: their earlier versions (fake
    // Parquet, so compared by bytes, neither a prefix of the new) were kept.
    assert_eq!(r.rewrites_kept, 2, "{r:?}");
    let mut digest = support::tree_digest(&area.lake.join("p"));
    let kept: Vec<String> = digest.keys().filter(|k| k.starts_with(".datalake-replaced/")).cloned().collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    for (k, rel) in kept.iter().zip([&grown, &rewritten]) {
        assert!(k.starts_with(&format!(".datalake-replaced/{rel}.")), "{k} keeps {rel}");
    }
    digest.retain(|k, _| !k.ends_with("local-note.txt") && !k.starts_with(".datalake-replaced/"));
    assert_eq!(digest, support::tree_digest(&area.collector));
    ok(&sync(&lake));

    // The memory's blind spot, as documented: a lake file rewritten in place
    // (its directory's mtime unchanged) is seen by the next full run only.
    for entry in fs::read_dir(area.lake.join("p")).unwrap().flatten() {
        fs::File::open(entry.path()).unwrap().set_modified(hour_ago).unwrap();
    }
    ok(&sync(&lake));
    let tampered = name(1, "C", 1);
    fs::File::options().write(true).open(area.local(&tampered)).unwrap().set_len(10).unwrap();
    let blind = sync(&lake);
    assert_eq!((blind.partitions_unchanged, blind.files_transferred), (6, 0), "{blind:?}");
    let full = sync_with(&lake, true);
    ok(&full);
    assert_eq!(lake_bytes(&area, &tampered), fs::read(area.collector.join(&tampered)).ok(), "the full run restored it");
}

#[test]
fn without_gnu_find_on_the_collector_the_whole_window_goes_to_rsync() {
    // A collector with rsync, sh, date and xargs but no find at all.
    let bin = support::world_readable_tempdir();
    for tool in ["rsync", "sh", "date", "xargs"] {
        let real = which::which(tool).unwrap_or_else(|e| panic!("{tool}: {e}"));
        std::os::unix::fs::symlink(real, bin.path().join(tool)).unwrap();
    }
    let no_find = SshServer::start_with_session_path(&bin.path().display().to_string());
    let area = Area::new();
    area.put(&format!("{}/part_00001.parquet", part(days_ago(0), "A")), 500, 1);
    let lake = area.config(&no_find, "");
    ok(&sync(&lake));
    let fresh = format!("{}/part_00002.parquet", part(days_ago(0), "A"));
    area.put(&fresh, 500, 2);
    let r = sync(&lake);
    ok(&r);
    assert_eq!((r.mode, r.partitions_unchanged, r.files_transferred), (Some(SyncMode::Window), 0, 1), "{r:?}");
    assert!(r.attempts >= 1, "rsync ran over the whole window");
    assert!(area.local(&fresh).is_file());
}

#[test]
fn full_sync_every_elapsed_and_window_zero_force_full_runs() {
    let area = Area::new();
    area.put(&format!("{}/part_00001.parquet", part(days_ago(0), "A")), 100, 1);
    let lake = area.config(server(), "      full_sync_every: 6h\n");
    ok(&sync(&lake));
    assert_eq!(sync(&lake).mode, Some(SyncMode::Window));

    // Pretend the last full run was 7 hours ago.
    let cp_path = area.lake.join(".checkpoints/p.json");
    let mut cp: serde_json::Value = serde_json::from_slice(&fs::read(&cp_path).unwrap()).unwrap();
    let old = Utc::now() - chrono::Duration::hours(7);
    cp["last_full_sync_time"] = serde_json::Value::String(old.to_rfc3339());
    fs::write(&cp_path, serde_json::to_vec(&cp).unwrap()).unwrap();
    let r = sync(&lake);
    ok(&r);
    assert_eq!(r.mode, Some(SyncMode::Full));
    assert!(r.full_sync_reason.as_deref().is_some_and(|x| x.contains("full_sync_every (6h)")), "{r:?}");
    assert_eq!(r.files_missed_by_window, Some(0));
    assert_eq!(sync(&lake).mode, Some(SyncMode::Window), "the full run reset the period");

    let zero = area.config(server(), "      window_days: 0\n");
    let r = sync(&zero);
    assert_eq!(r.mode, Some(SyncMode::Full));
    assert!(r.full_sync_reason.as_deref().is_some_and(|x| x.contains("window_days is 0")));
}

#[test]
fn nested_layouts_are_windowed_by_their_date_levels() {
    let area = Area::new();
    let day = |d: NaiveDate| d.format("%Y/%m/%d").to_string();
    let hive = |d: NaiveDate| d.format("year=%Y/month=%m/day=%d").to_string();
    for d in [0, 6] {
        area.put(&format!("{}/a.parquet", day(days_ago(d))), 100, d);
        area.put(&format!("{}/a.parquet", hive(days_ago(d))), 100, d);
    }
    let lake = area.config(server(), "      window_days: 1\n");
    ok(&sync(&lake));

    let fresh = format!("{}/b.parquet", day(days_ago(0)));
    let fresh_hive = format!("{}/b.parquet", hive(days_ago(0)));
    let late = format!("{}/b.parquet", day(days_ago(6)));
    let late_hive = format!("{}/b.parquet", hive(days_ago(6)));
    let new_day = format!("{}/a.parquet", hive(days_ago(3)));
    for (i, f) in [&fresh, &fresh_hive, &late, &late_hive, &new_day].into_iter().enumerate() {
        area.put(f, 50, i as u64 + 10);
    }
    let r = sync(&lake);
    ok(&r);
    assert_eq!(r.mode, Some(SyncMode::Window), "{:?}", r.full_sync_reason);
    assert_eq!(r.partitions_covered, 3, "two todays and the new day");
    assert!(area.local(&fresh).is_file() && area.local(&fresh_hive).is_file() && area.local(&new_day).is_file());
    assert!(!area.local(&late).exists() && !area.local(&late_hive).exists());
    let full = sync_with(&lake, true);
    ok(&full);
    assert_eq!(full.files_missed_by_window, Some(2));
    assert_eq!(support::tree_digest(&area.collector), support::tree_digest(&area.lake.join("p")));
}

/// A session PATH whose `date` is `shift` seconds off, for a collector with a wrong clock.
fn skewed_server(dir: &Path, shift: i64) -> SshServer {
    let bin = dir.join(format!("bin{shift}"));
    fs::create_dir_all(&bin).unwrap();
    let date = bin.join("date");
    let real = ["/usr/bin/date", "/bin/date"].into_iter().find(|p| Path::new(p).exists()).expect("date");
    fs::write(&date, format!("#!/bin/sh\nexec {real} -d \"@$(( $({real} +%s) + {shift} ))\" \"$@\"\n")).unwrap();
    fs::set_permissions(&date, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
    SshServer::start_with_session_path(&format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display()))
}

#[test]
fn the_window_follows_the_collectors_clock_a_day_ahead_or_behind() {
    // Ahead: its today is our tomorrow, so a 2-day window is our today only.
    // Behind: its window is our yesterday and the day before, and today's
    // partition (in its future) counts as recent: all three.
    for (shift, present, absent) in [(86_400i64, vec![0u64], vec![1u64, 2]), (-86_400, vec![0, 1, 2], vec![])] {
        let area = Area::new();
        let server = skewed_server(&area.root, shift);
        for d in [0, 1, 2] {
            area.put(&format!("{}/part_1.parquet", part(days_ago(d), "X")), 100, d);
        }
        let lake = area.config(&server, "      window_days: 2\n");
        ok(&sync(&lake));
        for d in [0, 1, 2] {
            area.put(&format!("{}/part_2.parquet", part(days_ago(d), "X")), 100, d + 5);
        }
        let r = sync(&lake);
        ok(&r);
        assert_eq!(r.mode, Some(SyncMode::Window), "{:?}", r.full_sync_reason);
        assert!(r.warnings.iter().any(|w| w.contains("collector's date")), "{:?}", r.warnings);
        let arrived = |d: u64| area.local(&format!("{}/part_2.parquet", part(days_ago(d), "X"))).is_file();
        assert!(present.iter().all(|d| arrived(*d)), "shift {shift}: {present:?} should have arrived");
        assert!(absent.iter().all(|d| !arrived(*d)), "shift {shift}: {absent:?} wait for the full run");
    }
}

#[test]
fn parallel_streams_copy_everything_and_a_failed_bucket_is_partial_with_the_file_named() {
    let area = Area::new();
    for d in 0..4 {
        for s in ["A", "B"] {
            for n in 0..3 {
                area.put(&format!("{}/part_{n}.parquet", part(days_ago(d), s)), 20_000 + n * 1000, d + n as u64);
            }
        }
    }
    let lake = area.config(server(), "      parallel: 4\n");
    let r = sync(&lake);
    ok(&r);
    let r_first_started = r.started_at;
    assert_eq!(r.streams, 4);
    assert_eq!(r.files_transferred, 24);
    assert_eq!(support::tree_digest(&area.collector), support::tree_digest(&area.lake.join("p")));

    // An unreadable file in one partition: that bucket is partial, the others complete.
    let bad = format!("{}/part_9.parquet", part(days_ago(0), "A"));
    area.put(&bad, 100, 1);
    fs::set_permissions(area.collector.join(&bad), fs::Permissions::from_mode(0o000)).unwrap();
    let good = format!("{}/part_9.parquet", part(days_ago(0), "B"));
    area.put(&good, 100, 2);
    let r = sync_with(&lake, true);
    fs::set_permissions(area.collector.join(&bad), fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(r.status, SyncStatus::Partial, "{r:?}");
    assert_eq!(r.rsync_exit_code, Some(23));
    assert!(r.errors.iter().any(|e| e.contains("part_9.parquet")), "the failed file is named: {:?}", r.errors);
    assert!(area.local(&good).is_file(), "the other buckets complete");
    assert!(!area.local(&bad).exists());
    let cp = lake.checkpoint("p").unwrap().unwrap();
    assert_eq!(cp.last_sync_status.as_deref(), Some("partial"));
    // The partial full run did not become the last full sync.
    assert_eq!(cp.last_full_sync_time, Some(r_first_started));
    // Partial is a failure (the outcome model): files may be missing from a partition the
    // lake now has, which the window would skip, so the next run is full and takes the file.
    let next = sync(&lake);
    ok(&next);
    assert_eq!(next.mode, Some(SyncMode::Full));
    assert!(next.full_sync_reason.as_deref().is_some_and(|w| w.contains("did not complete")), "{next:?}");
    assert!(area.local(&bad).is_file());
    assert_eq!(lake.checkpoint("p").unwrap().unwrap().last_full_sync_time, Some(next.started_at));
    // After that success, regular runs are windowed again.
    assert_eq!(sync(&lake).mode, Some(SyncMode::Window));
}

/// rsync processes (and the ssh they run) whose command line mentions `needle`.
fn rsync_processes_mentioning(needle: &str) -> Vec<String> {
    support::processes_mentioning(needle).into_iter().filter(|p| p.contains("rsync")).collect()
}

/// The ssh connections of rsyncs reading `collector` (one per stream).
fn ssh_connections(collector: &str) -> usize {
    rsync_processes_mentioning(collector)
        .iter()
        .filter(|p| p.split(' ').nth(1).is_some_and(|a| a.ends_with("/ssh") || a == "ssh"))
        .count()
}

/// Cancel a throttled run once `procs` streams reading `collector` have run for a while.
/// Bytes rsync has written for `name` in `dir` so far: its hidden temp file
/// (`.name.XXXXXX`) while it transfers.
fn landed(dir: &Path, name: &str) -> u64 {
    let prefix = format!(".{name}.");
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Sync `lake` on a thread and cancel it once `procs` ssh connections run and
/// `ready` holds (bytes of every big file have landed: a fixed delay raced a
/// slow start on a loaded machine, leaving nothing to resume).
fn cancel_midway<T>(
    lake: &DataLake,
    collector: &str,
    procs: usize,
    ready: impl Fn() -> bool,
    check: impl Fn() -> T,
) -> (SyncReport, T) {
    std::thread::scope(|s| {
        let handle = s.spawn(|| sync(lake));
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline && (ssh_connections(collector) < procs || !ready()) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let seen = check();
        lake.cancel();
        (handle.join().expect("no panic"), seen)
    })
}

#[test]
fn interrupted_windowed_and_parallel_runs_resume_hold_the_lock_and_cancel_every_child() {
    let area = Area::new();
    area.put(&format!("{}/part_0.parquet", part(days_ago(3), "S")), 100, 1);
    let fast = area.config(server(), "      parallel: 2\n");
    ok(&sync(&fast));

    let big: Vec<String> = ["A", "B"].iter().map(|s| format!("{}/big.parquet", part(days_ago(0), s))).collect();
    for (i, b) in big.iter().enumerate() {
        area.put(b, 3 * 1024 * 1024, i as u64);
    }
    let slow = area.config(server(), "      parallel: 2\n      bwlimit: 512\n");
    let partials: Vec<PathBuf> = ["A", "B"]
        .iter()
        .map(|s| area.local(&format!("{}/.rsync-partial/big.parquet", part(days_ago(0), s))))
        .collect();
    let collector = area.collector.display().to_string();
    let lock_file = area.lake.join(".checkpoints/p.lock");
    let big_landed = || ["A", "B"].iter().all(|s| landed(&area.local(&part(days_ago(0), s)), "big.parquet") > 0);
    let (r, (running, lock)) = cancel_midway(&slow, &collector, 2, big_landed, || {
        (ssh_connections(&collector), ProfileLock::acquire(&lock_file, "p", "synced").map(|_| ()))
    });
    assert_eq!(running, 2, "two streams, each over its own ssh connection: {r:?}");
    let err = lock.expect_err("the lock is held across all buckets");
    assert_eq!(err.kind(), ErrorKind::Locked);
    assert_eq!(r.status, SyncStatus::Interrupted, "{r:?}");
    assert_eq!(r.mode, Some(SyncMode::Window));
    assert_eq!(r.streams, 2);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !rsync_processes_mentioning(&collector).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(rsync_processes_mentioning(&collector), Vec::<String>::new(), "cancel stops every rsync child");
    for (b, p) in big.iter().zip(&partials) {
        assert!(!area.local(b).exists(), "nothing half-written under its real name");
        assert!(p.is_file(), "partial data kept for the next run");
    }

    let r = sync(&fast);
    ok(&r);
    assert!(r.matched_bytes > 0, "partial data reused: {r:?}");
    assert_eq!(support::tree_digest(&area.collector), support::tree_digest(&area.lake.join("p")));

    // A single-stream windowed run resumes the same way.
    let one = format!("{}/big2.parquet", part(days_ago(0), "A"));
    area.put(&one, 3 * 1024 * 1024, 9);
    let slow1 = area.config(server(), "      bwlimit: 512\n");
    let partial1 = area.local(&format!("{}/.rsync-partial/big2.parquet", part(days_ago(0), "A")));
    let one_landed = || landed(&area.local(&part(days_ago(0), "A")), "big2.parquet") > 0;
    let (r, ()) = cancel_midway(&slow1, &collector, 1, one_landed, || {});
    assert_eq!(r.status, SyncStatus::Interrupted);
    assert_eq!(r.mode, Some(SyncMode::Window));
    assert!(partial1.is_file() && !area.local(&one).exists());
    let r = sync(&fast);
    ok(&r);
    assert!(r.matched_bytes > 0);
    assert!(area.local(&one).is_file());
}

/// A collector whose `find` logs every call to `log`: the walks of a run are
/// the calls without `-maxdepth` (the listing only reads a level or three).
fn logging_find_server(bin: &Path, log: &Path) -> SshServer {
    for tool in ["rsync", "sh", "date", "xargs"] {
        let real = which::which(tool).unwrap_or_else(|e| panic!("{tool}: {e}"));
        std::os::unix::fs::symlink(real, bin.join(tool)).unwrap();
    }
    let real = which::which("find").expect("find");
    let wrapper = bin.join("find");
    let script = format!("#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n", log.display(), real.display());
    fs::write(&wrapper, script).unwrap();
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
    // The collector's user may be another one: it appends to a file it may write.
    fs::write(log, "").unwrap();
    fs::set_permissions(log, fs::Permissions::from_mode(0o666)).unwrap();
    SshServer::start_with_session_path(&bin.display().to_string())
}

fn walks(log: &Path) -> Vec<String> {
    let text = fs::read_to_string(log).unwrap_or_default();
    text.lines().filter(|l| !l.contains("-maxdepth")).map(str::to_string).collect()
}

#[test]
fn a_windowed_run_with_min_age_walks_the_collector_once() {
    let bin = support::world_readable_tempdir();
    let log = bin.path().join("find.log");
    let server = logging_find_server(bin.path(), &log);
    let area = Area::new();
    let old = std::time::SystemTime::now() - Duration::from_secs(3 * 3600);
    let put_old = |rel: &str, seed: u64| {
        area.put(rel, 300, seed);
        fs::File::options().write(true).open(area.collector.join(rel)).unwrap().set_modified(old).unwrap();
    };
    put_old(&format!("{}/part_00001.parquet", part(days_ago(0), "A")), 1);
    put_old(&format!("{}/part_00001.parquet", part(days_ago(1), "B")), 2);
    let path = area.write_ssh_config(
        &server,
        "p",
        &area.collector,
        "      min_age: 1h\n      check_parquet: false\n",
        "c.yml",
    );
    let lake = DataLake::open(&path).unwrap_or_else(|e| panic!("config should load: {e}"));
    let r = sync(&lake);
    ok(&r);
    assert_eq!(r.mode, Some(SyncMode::Full));
    // A full run: the listing reads levels only; the min_age listing is its one walk.
    assert_eq!(walks(&log).len(), 1, "{:?}", fs::read_to_string(&log));

    // Today's partition gets a finished part and one still being written.
    let finished = format!("{}/part_00002.parquet", part(days_ago(0), "A"));
    let writing = format!("{}/part_00003.parquet", part(days_ago(0), "A"));
    put_old(&finished, 3);
    area.put(&writing, 300, 4);
    fs::write(&log, "").unwrap();
    let r = sync(&lake);
    ok(&r);
    assert_eq!(r.mode, Some(SyncMode::Window));
    assert_eq!((r.files_transferred, r.too_recent_files), (1, 1), "{r:?}");
    assert!(area.local(&finished).is_file());
    assert!(!area.local(&writing).exists(), "a file younger than min_age stays on the collector");
    // The quick check's walk also told which files are too young: no second walk.
    // (The walk goes in two parts side by side, each over its own partitions.)
    let walked: Vec<String> =
        walks(&log).iter().flat_map(|l| l.split(' ').filter(|w| w.starts_with("./")).map(str::to_string)).collect();
    let mut once = walked.clone();
    once.sort();
    once.dedup();
    assert_eq!((walked.len(), once.len()), (2, 2), "each window partition walked once: {:?}", walks(&log));
    assert!(walks(&log).len() <= 2, "{:?}", walks(&log));
}
