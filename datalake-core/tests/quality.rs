//! The truth about the data, end to end over a real OpenSSH server and real
//! rsync: min_age keeps files the collector is still writing on the
//! collector, broken Parquet files are quarantined and reported, verify finds
//! damaged files, coverage finds missing days. Every Parquet file here is a
//! real one, written with the parquet crate.

mod support;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use chrono::{Days, NaiveDate, Utc};
use datalake_core::inspect::verify::VerifyOptions;
use datalake_core::local::parquet_check::check_file;
use datalake_core::state::quarantine::BROKEN_AFTER;
use datalake_core::vocab::names::QUARANTINE_DIR;
use datalake_core::{CoverageOptions, DataLake, RunControl, SyncOptions, SyncStatus};
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use support::{Area, SshServer};

fn server() -> &'static SshServer {
    static SERVER: OnceLock<SshServer> = OnceLock::new();
    SERVER.get_or_init(SshServer::start)
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn day(n: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(n)).expect("date in range")
}

fn part(symbol: &str, n: u64) -> String {
    format!("gate_io_{symbol}_{}", day(n).format("%Y%m%d"))
}

/// A real Parquet file: `rows` ticks (timestamp, symbol), several row groups.
fn parquet_bytes(rows: usize, seed: i64) -> Vec<u8> {
    let schema = Arc::new(
        parse_message_type("message tick { required int64 ts; required binary sym (UTF8); }").expect("schema"),
    );
    let props = Arc::new(WriterProperties::builder().set_max_row_group_row_count(Some(20_000)).build());
    let mut out = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut out, schema, props).expect("writer");
    let mut done = 0;
    while done < rows || done == 0 {
        let n = (rows - done).min(20_000);
        let mut group = writer.next_row_group().expect("row group");
        let mut col = group.next_column().expect("column").expect("ts");
        let ts: Vec<i64> = (0..n as i64).map(|i| seed * 1_000_000 + done as i64 + i).collect();
        col.typed::<Int64Type>().write_batch(&ts, None, None).expect("write ts");
        col.close().expect("close ts");
        let mut col = group.next_column().expect("column").expect("sym");
        let sym: Vec<ByteArray> =
            (0..n).map(|i| ByteArray::from(format!("SYM{}", (i as i64 + seed) % 97).as_str())).collect();
        col.typed::<ByteArrayType>().write_batch(&sym, None, None).expect("write sym");
        col.close().expect("close sym");
        group.close().expect("close group");
        done += n;
        if rows == 0 {
            break;
        }
    }
    writer.close().expect("close file");
    out
}

/// Write `bytes` at `root/rel` (directories 755, file 644), with an mtime `age` ago.
fn put(root: &Path, rel: &str, bytes: &[u8], age: Duration) -> PathBuf {
    let path = root.join(rel);
    let parent = path.parent().expect("parent");
    fs::create_dir_all(parent).expect("mkdir");
    let mut p = parent.to_path_buf();
    while p.starts_with(root) {
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).expect("chmod dir");
        if !p.pop() {
            break;
        }
    }
    fs::write(&path, bytes).expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    let f = fs::File::options().write(true).open(&path).expect("open");
    f.set_modified(SystemTime::now() - age).expect("mtime");
    path
}

const OLD: Duration = Duration::from_secs(3600);

/// The quality tests' use of the shared [`Area`]: `min_age` and the Parquet
/// check keep their defaults unless `extra` sets them.
impl Area {
    /// An ssh profile `p` over the collector with `extra` keys (6-space indent).
    fn open(&self, extra: &str) -> DataLake {
        let path = self.write_ssh_config(server(), "p", &self.collector, extra, "config.yml");
        DataLake::open(&path).unwrap_or_else(|e| panic!("config: {e}"))
    }

    fn local(&self) -> PathBuf {
        self.lake.join("p")
    }
}

fn sync(lake: &DataLake) -> datalake_core::SyncReport {
    lake.sync("p", &mut SyncOptions::default()).unwrap_or_else(|e| panic!("sync should start: {e}"))
}

#[test]
fn a_file_being_written_never_arrives_truncated_and_arrives_complete_once_old_enough() {
    let area = Area::new();
    let lake = area.open("      min_age: 2s\n");
    put(&area.collector, &format!("{}/part_00001.parquet", part("BTC", 0)), &parquet_bytes(1000, 1), OLD);
    let rel = format!("{}/part_00002.parquet", part("BTC", 0));
    let full = parquet_bytes(300_000, 2);
    assert!(full.len() > 1_000_000, "a large file: {} bytes", full.len());

    // The collector writes it in pieces over ~5 s, as a recorder flushing row groups.
    let target = area.collector.join(&rel);
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let (full, target, writing) = (full.clone(), target.clone(), Arc::clone(&writing));
        std::thread::spawn(move || {
            let mut f = fs::File::create(&target).expect("create");
            fs::set_permissions(&target, fs::Permissions::from_mode(0o644)).expect("chmod");
            for chunk in full.chunks(full.len() / 25 + 1) {
                f.write_all(chunk).expect("write");
                f.flush().expect("flush");
                std::thread::sleep(Duration::from_millis(200));
            }
            writing.store(false, Ordering::SeqCst);
        })
    };
    let landed = area.local().join(&rel);
    let mut runs_while_writing = 0;
    while writing.load(Ordering::SeqCst) {
        let report = sync(&lake);
        assert_eq!(report.status, SyncStatus::Success, "{:?}", report.errors);
        if writing.load(Ordering::SeqCst) {
            runs_while_writing += 1;
            assert!(!landed.exists(), "a file still being written was transferred");
            assert_eq!(report.too_recent_files, 1);
            assert!(report.warnings.iter().any(|w| w.contains("less than min_age (2s)")), "{:?}", report.warnings);
        }
        assert!(report.quarantined.is_empty());
    }
    writer.join().expect("writer");
    assert!(runs_while_writing >= 2, "syncs ran while the file was written: {runs_while_writing}");
    // Still younger than 2 s right after the last write: not yet.
    let report = sync(&lake);
    if !landed.exists() {
        assert_eq!(report.too_recent_files, 1);
        std::thread::sleep(Duration::from_millis(2500));
        let report = sync(&lake);
        assert_eq!(report.too_recent_files, 0);
        assert_eq!(report.parquet_checked, 1);
    }
    assert_eq!(fs::read(&landed).expect("landed"), full);
    assert_eq!(check_file(&landed).expect("check"), None);
}

#[test]
fn min_age_excludes_exactly_the_young_files_whatever_their_names() {
    let area = Area::new();
    let lake = area.open("      min_age: 1h\n      check_parquet: false\n");
    let p = part("ETH", 1);
    let young = ["a*b.parquet", "c[1].parquet", "new\nline.parquet", "back\\slash", "# hash", "- dash", "sp ace "];
    let old = ["aXb.parquet", "c1.parquet", "other.parquet", "back\\slashes", "\\"];
    for name in young {
        put(&area.collector, &format!("{p}/{name}"), b"young", Duration::from_secs(60));
    }
    for name in old {
        put(&area.collector, &format!("{p}/{name}"), b"old", Duration::from_secs(3 * 3600));
    }
    // An expired partition: pruned from the listing, never transferred.
    put(&area.collector, &format!("{}/x.parquet", part("ETH", 40)), b"young", Duration::from_secs(1));
    let report = sync(&lake);
    assert_eq!(report.status, SyncStatus::Success, "{:?}", report.errors);
    assert_eq!(report.too_recent_files, young.len() as u64);
    let mut got: Vec<String> = fs::read_dir(area.local().join(&p))
        .expect("partition")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    got.sort();
    let mut want: Vec<String> = old.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want);

    // A windowed run lists only its own partitions (names fed to find on
    // stdin), and excludes exactly the same young files.
    put(&area.collector, &format!("{p}/late\nold*.parquet"), b"old", Duration::from_secs(2 * 3600));
    let report = sync(&lake);
    assert_eq!(report.status, SyncStatus::Success, "{:?}", report.errors);
    assert_eq!(report.mode, Some(datalake_core::SyncMode::Window));
    assert_eq!(report.too_recent_files, young.len() as u64);
    assert!(area.local().join(&p).join("late\nold*.parquet").is_file());
    for name in young {
        assert!(!area.local().join(&p).join(name).exists(), "{name:?} is still being written");
    }
}

#[test]
fn broken_files_are_quarantined_refetched_and_reported_broken_after_repeated_failures() {
    let area = Area::new();
    let lake = area.open("      min_age: 0\n");
    let p = part("SOL", 0);
    let good = parquet_bytes(5000, 3);
    put(&area.collector, &format!("{p}/good.parquet"), &good, OLD);
    put(&area.collector, &format!("{p}/truncated.parquet"), &good[..good.len() / 2], OLD);
    let mut bad_footer = good.clone();
    let n = bad_footer.len();
    for b in &mut bad_footer[n - 40..n - 8] {
        *b ^= 0x5a;
    }
    put(&area.collector, &format!("{p}/bad_footer.parquet"), &bad_footer, OLD);
    put(&area.collector, &format!("{p}/notes.txt"), b"not parquet, not checked", OLD);

    for run in 1..=BROKEN_AFTER {
        let report = sync(&lake);
        assert_eq!(report.status, SyncStatus::Partial, "run {run}: {:?}", report.errors);
        let mut names: Vec<(String, u32, bool)> = report
            .quarantined
            .iter()
            .map(|q| (q.path.to_string_lossy().into_owned(), q.failures, q.broken_on_collector))
            .collect();
        names.sort();
        let broken = run == BROKEN_AFTER;
        assert_eq!(
            names,
            vec![(format!("{p}/bad_footer.parquet"), run, broken), (format!("{p}/truncated.parquet"), run, broken)],
            "run {run}"
        );
        let reasons: Vec<&str> = report.quarantined.iter().map(|q| q.defect.problem.as_str()).collect();
        assert!(reasons.contains(&"bad_footer_magic"), "{reasons:?}");
        assert!(reasons.iter().any(|r| *r == "bad_footer" || *r == "bad_footer_length"), "{reasons:?}");
        // Under their real names: nothing. In quarantine: the broken copies.
        assert!(!area.local().join(&p).join("truncated.parquet").exists());
        assert!(area.local().join(QUARANTINE_DIR).join(&p).join("truncated.parquet").exists());
        assert!(area.local().join(&p).join("good.parquet").exists());
        // Refetched every run: the two broken files and nothing else.
        assert_eq!(report.files_transferred, if run == 1 { 4 } else { 2 });
        let text = report.warnings.join("\n");
        assert_eq!(text.contains("is broken on the collector"), broken, "{text}");
        let stats = lake.stats("p").expect("stats");
        assert_eq!(stats.quarantined_files, 2);
        assert_eq!(stats.file_count, 2, "quarantined files are not lake files");
    }
    let checkpoint = lake.checkpoint("p").expect("checkpoint").expect("written");
    assert_eq!(checkpoint.quarantine_failures.len(), 2);

    // The collector's copies get fixed: the next run brings good files and clears the quarantine.
    put(&area.collector, &format!("{p}/truncated.parquet"), &good, OLD);
    put(&area.collector, &format!("{p}/bad_footer.parquet"), &good, OLD);
    let report = sync(&lake);
    assert_eq!(report.status, SyncStatus::Success, "{:?}", report.errors);
    assert!(report.quarantined.is_empty());
    assert_eq!(report.parquet_checked, 2);
    assert_eq!(lake.stats("p").expect("stats").quarantined_files, 0);
    assert!(lake.checkpoint("p").expect("checkpoint").expect("written").quarantine_failures.is_empty());
}

#[test]
fn verify_finds_a_truncated_file_locally_and_a_flipped_byte_remotely() {
    let area = Area::new();
    let lake = area.open("      min_age: 0\n");
    for (i, p) in [part("BTC", 0), part("BTC", 1), part("ETH", 1)].iter().enumerate() {
        put(&area.collector, &format!("{p}/part_00001.parquet"), &parquet_bytes(3000, i as i64), OLD);
    }
    put(&area.collector, &format!("{}/old.parquet", part("BTC", 50)), &parquet_bytes(10, 9), OLD);
    assert_eq!(sync(&lake).status, SyncStatus::Success);

    let clean = lake.verify("p", &mut VerifyOptions { remote: true, ..VerifyOptions::default() }).expect("verify");
    assert!(clean.ok, "{clean:?}");
    assert_eq!(clean.files_checked, 3);
    assert_eq!(clean.remote.as_ref().map(|r| r.differ.len()), Some(0));

    // One byte flipped inside a data page: the footer is intact, only a checksum sees it.
    let flipped_rel = PathBuf::from(part("BTC", 1)).join("part_00001.parquet");
    let flipped = area.local().join(&flipped_rel);
    let mut bytes = fs::read(&flipped).expect("read");
    bytes[100] ^= 0x01;
    let mtime = fs::metadata(&flipped).expect("meta").modified().expect("mtime");
    fs::write(&flipped, &bytes).expect("write");
    fs::File::options().write(true).open(&flipped).expect("open").set_modified(mtime).expect("mtime");
    // A truncated file: the footer check sees it.
    let truncated_rel = PathBuf::from(part("ETH", 1)).join("part_00001.parquet");
    let truncated = area.local().join(&truncated_rel);
    let len = fs::metadata(&truncated).expect("meta").len();
    fs::File::options().write(true).open(&truncated).expect("open").set_len(len - 100).expect("truncate");
    // A file only in the lake, one only on the collector.
    put(&area.local(), &format!("{}/lake_only.parquet", part("BTC", 0)), &parquet_bytes(10, 5), OLD);
    put(&area.collector, &format!("{}/part_00002.parquet", part("BTC", 0)), &parquet_bytes(10, 6), OLD);

    let mut calls = 0;
    let mut progress = |_: &datalake_core::Progress| calls += 1;
    let local = lake
        .verify(
            "p",
            &mut VerifyOptions {
                control: RunControl { progress: Some(&mut progress), ..RunControl::default() },
                ..VerifyOptions::default()
            },
        )
        .expect("verify");
    assert!(calls >= 1);
    assert!(!local.ok);
    assert_eq!(local.broken.iter().map(|b| b.path.clone()).collect::<Vec<_>>(), vec![truncated_rel.clone()]);
    assert_eq!(local.broken[0].problem.as_str(), "bad_footer_magic");
    assert!(local.remote.is_none());

    let remote = lake.verify("p", &mut VerifyOptions { remote: true, ..VerifyOptions::default() }).expect("verify");
    let diff = remote.remote.expect("remote part");
    assert!(diff.differ.contains(&flipped_rel), "{diff:?}");
    assert!(diff.differ.contains(&truncated_rel), "{diff:?}");
    assert_eq!(diff.differ.len(), 2, "{diff:?}");
    assert_eq!(diff.missing_locally, vec![PathBuf::from(part("BTC", 0)).join("part_00002.parquet")]);
    assert_eq!(diff.missing_on_collector, vec![PathBuf::from(part("BTC", 0)).join("lake_only.parquet")]);
    // The expired partition on the collector is outside retention: not listed.
    assert!(!diff.missing_locally.iter().any(|p| p.to_string_lossy().contains("old.parquet")));
}

#[test]
fn coverage_finds_missing_days_stopped_and_new_series_in_every_layout() {
    let area = Area::new();
    let lake = area.open("      min_age: 0\n");
    let file = parquet_bytes(10, 1);
    let ymd = |n: u64, fmt: &str| day(n).format(fmt).to_string();
    for n in 0..6 {
        if n != 3 {
            put(&area.collector, &format!("{}/part_00001.parquet", part("BTC", n)), &file, OLD);
        }
        if n >= 2 {
            // Stopped two days ago.
            put(&area.collector, &format!("{}/part_00001.parquet", part("DOGE", n)), &file, OLD);
        }
        if n <= 1 {
            // New yesterday.
            put(&area.collector, &format!("{}/part_00001.parquet", part("PEPE", n)), &file, OLD);
        }
        if n != 4 {
            put(&area.collector, &format!("trades/{}/p.parquet", ymd(n, "%Y/%m/%d")), &file, OLD);
            put(&area.collector, &format!("hive/sym=X/{}/p.parquet", ymd(n, "year=%Y/month=%m/day=%d")), &file, OLD);
        }
    }
    assert_eq!(sync(&lake).status, SyncStatus::Success);
    let cov = lake.coverage("p", &CoverageOptions::default()).expect("coverage");
    let by = |name: &str| cov.series.iter().find(|s| s.series == name).unwrap_or_else(|| panic!("{name}: {cov:?}"));
    assert_eq!(cov.latest_day, Some(day(0)));
    assert_eq!(by("gate_io_BTC").missing_days, vec![day(3)]);
    assert!(by("gate_io_DOGE").stopped);
    assert_eq!(by("gate_io_DOGE").missing_days, vec![day(1), day(0)]);
    assert!(by("gate_io_PEPE").new);
    assert!(by("gate_io_PEPE").missing_days.is_empty());
    assert_eq!(by("trades").missing_days, vec![day(4)]);
    assert_eq!(by("hive/sym=X").missing_days, vec![day(4)]);
    assert_eq!(cov.series.len(), 5);
    assert_eq!(cov.missing_days, 1 + 2 + 1 + 1);
    let stats = lake.stats("p").expect("stats");
    assert_eq!((stats.missing_days, stats.stopped_series), (5, 1));
    let grid = cov.grid(6, false);
    assert!(grid.contains("gate_io_BTC   ##.###"), "{grid}");
    assert!(grid.contains("gate_io_DOGE  ####..  stopped after"), "{grid}");
}
