//! Compaction of real Parquet parts (written by arrow-rs in the collectors'
//! order-book schema) into a real Delta table on a temporary disk.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{Days, NaiveDate, Utc};
use deltalake_core::arrow::array::{
    Array, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use deltalake_core::arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;

use super::compact::{run, RunTime};
use super::retention;
use crate::config::test_support::test_profile;
use crate::config::Profile;
use crate::rsync::process::RunObserver;
use crate::state::absorbed::report::CompactReport;
use crate::state::absorbed::{Manifest, Record};
use crate::vocab::error::ErrorKind;
use crate::vocab::progress::Progress;
use crate::vocab::status::SyncStatus;

#[path = "tests_s3.rs"]
mod s3;

struct Quiet;
impl RunObserver for Quiet {
    fn progress(&mut self, _: &Progress) {}
    fn should_cancel(&mut self) -> bool {
        false
    }
}

fn tick_schema(extra: bool) -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let mut fields = vec![
        Field::new("timestamp", ts.clone(), true),
        Field::new("received_timestamp", ts, true),
        Field::new("exchange", DataType::Utf8, true),
        Field::new("trading_pair", DataType::Utf8, true),
        Field::new("update_id", DataType::Int64, true),
        Field::new("snapshot_flag", DataType::Boolean, true),
        Field::new("side", DataType::Utf8, true),
        Field::new("price", DataType::Float64, true),
        Field::new("amount", DataType::Float64, true),
        Field::new("best_bid_price", DataType::Float64, true),
        Field::new("best_ask_price", DataType::Float64, true),
        Field::new("total_bid_volume", DataType::Float64, true),
        Field::new("total_ask_volume", DataType::Float64, true),
    ];
    if extra {
        fields.push(Field::new("mid_price", DataType::Float64, true));
    }
    Arc::new(Schema::new(fields))
}

/// `n` order-book rows starting at `first` update id, at 1 ms apart from `t0` (µs).
fn ticks(schema: &SchemaRef, t0: i64, first: i64, n: usize) -> RecordBatch {
    let ids: Vec<i64> = (first..first + n as i64).collect();
    let ts: Vec<i64> = ids.iter().map(|i| t0 + i * 1000).collect();
    let mut columns: Vec<Arc<dyn Array>> = vec![
        Arc::new(TimestampMicrosecondArray::from(ts.clone()).with_timezone("UTC")),
        Arc::new(TimestampMicrosecondArray::from(ts.iter().map(|t| t + 50).collect::<Vec<_>>()).with_timezone("UTC")),
        Arc::new(StringArray::from(vec!["gate_io"; n])),
        Arc::new(StringArray::from(vec!["BTC-USDT"; n])),
        Arc::new(Int64Array::from(ids.clone())),
        Arc::new(BooleanArray::from(vec![false; n])),
        Arc::new(StringArray::from(ids.iter().map(|i| if i % 2 == 0 { "bid" } else { "ask" }).collect::<Vec<_>>())),
        Arc::new(Float64Array::from(ids.iter().map(|i| 100.0 + *i as f64 / 100.0).collect::<Vec<_>>())),
        Arc::new(Float64Array::from(vec![1.5; n])),
        Arc::new(Float64Array::from(vec![Some(99.0); n])),
        Arc::new(Float64Array::from(vec![None::<f64>; n])),
        Arc::new(Float64Array::from(vec![Some(10.0); n])),
        Arc::new(Float64Array::from(vec![None::<f64>; n])),
    ];
    if schema.fields().len() > 13 {
        columns.push(Arc::new(Float64Array::from(vec![Some(100.5); n])));
    }
    RecordBatch::try_new(schema.clone(), columns).unwrap()
}

fn write_part(path: &Path, batch: &RecordBatch, mtime: SystemTime) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w = ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
    File::options().write(true).open(path).unwrap().set_modified(mtime).unwrap();
}

struct Lake {
    _tmp: tempfile::TempDir,
    profile: Profile,
    today: NaiveDate,
}

impl Lake {
    fn new(configure: impl FnOnce(&mut Profile)) -> Lake {
        let tmp = tempfile::tempdir().unwrap();
        let mut profile = test_profile(&tmp.path().join("lake"), 30);
        profile.compact.enabled = true;
        profile.compact.after = Duration::ZERO;
        configure(&mut profile);
        Lake { _tmp: tmp, profile, today: Utc::now().date_naive() }
    }

    fn day(&self, back: u64) -> NaiveDate {
        self.today.checked_sub_days(Days::new(back)).unwrap()
    }

    fn partition(&self, pair: &str, back: u64) -> PathBuf {
        self.profile.local_dir.join(format!("gate_io_{pair}_{}", self.day(back).format("%Y%m%d")))
    }

    /// Parts of `rows` rows each, written a second apart (oldest first).
    fn parts(&self, pair: &str, back: u64, count: usize, rows: usize) {
        let schema = tick_schema(false);
        let base = SystemTime::now() - Duration::from_secs(86_400 * 3);
        for p in 0..count {
            let batch = ticks(&schema, 1_700_000_000_000_000, (p * rows) as i64, rows);
            let path = self.partition(pair, back).join(format!("part_{:05}.parquet", p + 1));
            write_part(&path, &batch, base + Duration::from_secs(p as u64));
        }
    }

    fn compact(&self) -> CompactReport {
        let when = RunTime { now: Utc::now(), today: self.today, dry_run: false };
        run(&self.profile, when, &mut Quiet)
    }

    fn record(&self) -> Record {
        Record::load(&self.profile).unwrap().unwrap()
    }

    fn table_rows(&self, series: &str, date: NaiveDate) -> Vec<RecordBatch> {
        let record = self.record();
        let entry = record.day(series, date).unwrap();
        entry
            .files
            .iter()
            .flat_map(|f| {
                super::load::parquet(&self.profile.compact.table.local_path().join(&f.path)).ok().unwrap().batches
            })
            .collect()
    }

    fn raw_files(&self) -> usize {
        walkdir::WalkDir::new(&self.profile.local_dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file() && !e.path().starts_with(self.profile.compact.table.local_path()))
            .count()
    }
}

fn ids(batches: &[RecordBatch]) -> Vec<i64> {
    batches
        .iter()
        .flat_map(|b| b.column_by_name("update_id").unwrap().as_primitive::<Int64Type>().values().to_vec())
        .collect()
}

#[test]
fn closed_days_become_one_sorted_file_each_and_their_parts_leave() {
    let lake = Lake::new(|p| p.compact.sort_by = vec!["timestamp".into()]);
    lake.parts("BTC-USDT", 2, 5, 150);
    lake.parts("ETH-USDT", 2, 3, 100);
    lake.parts("BTC-USDT", 1, 4, 150);
    // Today is open: it stays raw.
    lake.parts("BTC-USDT", 0, 2, 10);
    let r = lake.compact();
    assert_eq!(r.status, SyncStatus::Success, "{:?}", r.errors);
    assert_eq!((r.days_compacted, r.parts_absorbed, r.commits), (3, 12, 2));
    assert_eq!((r.rows_in, r.rows_out, r.duplicates_dropped), (1650, 1650, 0));
    assert_eq!(r.raw_parts_removed, 12);
    assert!(r.days_open >= 1);
    assert_eq!(lake.raw_files(), 2, "only today's parts stay");
    let record = lake.record();
    assert_eq!(record.table_version, r.table_version);
    let entry = record.day("gate_io_BTC-USDT", lake.day(2)).unwrap();
    assert_eq!((entry.parts, entry.rows, entry.files.len()), (5, 750, 1));
    assert!(entry.files[0].path.contains("date=") && entry.files[0].path.ends_with(".parquet"), "{:?}", entry.files);
    let rows = ids(&lake.table_rows("gate_io_BTC-USDT", lake.day(2)));
    assert_eq!(rows, (0..750).collect::<Vec<i64>>());
    // Times and ids are delta-encoded, strings keep their dictionary (see writer_properties).
    let file = File::open(lake.profile.compact.table.local_path().join(&entry.files[0].path)).unwrap();
    let meta =
        parquet::file::reader::FileReader::metadata(&parquet::file::reader::SerializedFileReader::new(file).unwrap())
            .clone();
    let column =
        |name: &str| meta.row_group(0).columns().iter().find(|c| c.column_path().string() == name).unwrap().clone();
    for name in ["timestamp", "update_id"] {
        let c = column(name);
        assert!(c.encodings().any(|e| e == parquet::basic::Encoding::DELTA_BINARY_PACKED), "{name}");
        assert!(c.dictionary_page_offset().is_none(), "{name}");
    }
    assert!(column("side").dictionary_page_offset().is_some());
    let m = Manifest::load(&lake.profile.compact.table, &entry.manifest).unwrap();
    assert_eq!(m.count(), 5);
    assert_eq!(m.rows(), 750);
    // A second run has nothing to do.
    let again = lake.compact();
    assert_eq!((again.status, again.days_compacted, again.commits), (SyncStatus::Success, 0, 0));
}

#[test]
fn late_and_rewritten_parts_merge_into_their_day_and_duplicates_resolve() {
    let lake = Lake::new(|p| {
        p.compact.sort_by = vec!["update_id".into()];
        p.compact.dedup_on = Some(vec!["update_id".into(), "side".into()]);
    });
    lake.parts("BTC-USDT", 2, 3, 100);
    assert_eq!(lake.compact().rows_out, 300);
    // A restarted collector writes part_00001 again (rows 250..350, 50 of them
    // already in the table), and a late part 9 arrives.
    let schema = tick_schema(false);
    let newer = SystemTime::now() - Duration::from_secs(60);
    write_part(
        &lake.partition("BTC-USDT", 2).join("part_00001.parquet"),
        &ticks(&schema, 1_700_000_000_000_000, 250, 100),
        newer,
    );
    write_part(
        &lake.partition("BTC-USDT", 2).join("part_00009.parquet"),
        &ticks(&schema, 1_700_000_000_000_000, 400, 10),
        newer,
    );
    let r = lake.compact();
    assert_eq!(r.status, SyncStatus::Success, "{:?}", r.errors);
    assert_eq!((r.days_compacted, r.days_merged, r.parts_absorbed), (1, 1, 2));
    assert_eq!((r.rows_in, r.rows_out, r.duplicates_dropped), (410, 360, 50));
    let rows = ids(&lake.table_rows("gate_io_BTC-USDT", lake.day(2)));
    let mut expected: Vec<i64> = (0..350).collect();
    expected.extend(400..410);
    assert_eq!(rows, expected);
    let entry = lake.record().day("gate_io_BTC-USDT", lake.day(2)).unwrap().clone();
    assert_eq!((entry.parts, entry.files.len()), (4, 1));
    // The old files left the table's current version; the old manifest went on the next run.
    assert_eq!(lake.compact().days_compacted, 0);
    let manifests = crate::state::absorbed::manifest::list(&lake.profile.compact.table).unwrap();
    assert_eq!(manifests, [entry.manifest]);
}

#[test]
fn added_nullable_columns_evolve_the_schema_and_a_type_change_keeps_its_day_raw() {
    let lake = Lake::new(|_| {});
    lake.parts("BTC-USDT", 3, 2, 10);
    let wide = tick_schema(true);
    let t = SystemTime::now() - Duration::from_secs(86_400 * 2);
    write_part(&lake.partition("BTC-USDT", 2).join("part_00001.parquet"), &ticks(&wide, 0, 0, 10), t);
    // Day 1: update_id written as text in the second part.
    lake.parts("BTC-USDT", 1, 1, 10);
    let odd = Arc::new(Schema::new(vec![Field::new("update_id", DataType::Utf8, true)]));
    let batch = RecordBatch::try_new(odd.clone(), vec![Arc::new(StringArray::from(vec!["x"]))]).unwrap();
    write_part(&lake.partition("BTC-USDT", 1).join("part_00002.parquet"), &batch, t + Duration::from_secs(5));
    let r = lake.compact();
    assert_eq!(r.status, SyncStatus::Partial);
    assert_eq!(r.days_compacted, 2);
    assert_eq!(r.days.iter().flat_map(|d| d.added_columns.clone()).collect::<Vec<_>>(), ["mid_price"]);
    assert_eq!(r.skipped.len(), 1);
    let why = &r.skipped[0];
    assert_eq!(why.kind, ErrorKind::Data);
    assert!(why.reason.contains("/_table/date=") && why.reason.contains("part_00002.parquet"), "{}", why.reason);
    assert!(why.reason.contains("\"update_id\" is Int64 in the first and Utf8 in the second"), "{}", why.reason);
    assert_eq!(r.error.as_ref().map(|e| e.kind()), Some(ErrorKind::Data));
    // Its parts stay, readable.
    assert!(lake.partition("BTC-USDT", 1).join("part_00002.parquet").exists());
    // The older day reads with the new column null.
    let old = lake.table_rows("gate_io_BTC-USDT", lake.day(3));
    assert!(old[0].column_by_name("mid_price").is_none_or(|c| c.null_count() == c.len()));
}

#[test]
fn a_column_sort_by_names_that_a_part_lacks_names_the_file() {
    let lake = Lake::new(|p| p.compact.sort_by = vec!["timestmp".into()]);
    lake.parts("BTC-USDT", 2, 1, 5);
    let r = lake.compact();
    assert_eq!(r.status, SyncStatus::Partial);
    let reason = &r.skipped[0].reason;
    assert!(
        reason.contains("part_00001.parquet") && reason.contains("\"timestmp\"") && reason.contains("compact.sort_by"),
        "{reason}"
    );
}

#[test]
fn a_record_behind_the_table_is_rebuilt_and_leftover_parts_go() {
    let lake = Lake::new(|p| p.compact.keep_raw = true);
    lake.parts("BTC-USDT", 2, 3, 10);
    let before = Record::load(&lake.profile).unwrap();
    assert!(before.is_none());
    let r = lake.compact();
    assert_eq!((r.status, r.raw_parts_removed), (SyncStatus::Success, 0));
    assert_eq!(lake.raw_files(), 3);
    // As if killed between the commit and the record's rewrite.
    std::fs::remove_file(crate::state::absorbed::record_dir(&lake.profile.compact.table).join("record.json")).unwrap();
    let mut profile = lake.profile.clone();
    profile.compact.keep_raw = false;
    let again = run(&profile, RunTime { now: Utc::now(), today: lake.today, dry_run: false }, &mut Quiet);
    assert_eq!(again.status, SyncStatus::Success, "{:?}", again.errors);
    assert!(again.warnings.iter().any(|w| w.contains("rebuilt")), "{:?}", again.warnings);
    assert_eq!((again.days_compacted, again.raw_parts_removed), (0, 3));
    assert_eq!(lake.raw_files(), 0);
    assert_eq!(lake.record().day("gate_io_BTC-USDT", lake.day(2)).unwrap().parts, 3);
}

#[test]
fn retention_removes_expired_days_and_vacuum_deletes_their_files() {
    let lake = Lake::new(|p| p.compact.vacuum_after = Duration::ZERO);
    lake.parts("BTC-USDT", 40, 2, 10);
    lake.parts("BTC-USDT", 2, 2, 10);
    // The expired day is not compacted (retention's), the other is.
    let r = lake.compact();
    assert_eq!(r.days_compacted, 1);
    let mut old = lake.profile.clone();
    old.retention_days = 100;
    run(&old, RunTime { now: Utc::now(), today: lake.today, dry_run: false }, &mut Quiet);
    assert_eq!(lake.record().days.len(), 2);
    let dry = retention::apply(&lake.profile, lake.today, true).unwrap();
    assert_eq!(dry.deleted.len(), 1);
    assert_eq!(lake.record().days.len(), 2);
    let done = retention::apply(&lake.profile, lake.today, false).unwrap();
    assert_eq!(done.deleted.len(), 1);
    assert_eq!(done.deleted[0].date, Some(lake.day(40)));
    assert!(done.vacuumed_files >= 1, "{done:?}");
    let record = lake.record();
    assert_eq!(record.days.len(), 1);
    let table = lake.profile.compact.table.local_path();
    let data: Vec<PathBuf> = walkdir::WalkDir::new(table)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.path().extension().is_some_and(|x| x == "parquet") && !e.path().to_string_lossy().contains("_delta_log")
        })
        .map(|e| e.path().to_path_buf())
        .collect();
    assert_eq!(data.len(), 1, "{data:?}");
}

#[test]
fn kept_versions_of_rewritten_parts_are_absorbed_with_their_day() {
    let lake = Lake::new(|p| p.compact.dedup_on = Some(vec!["update_id".into(), "side".into()]));
    lake.parts("BTC-USDT", 2, 2, 10);
    // The lake kept the earlier version of part 1 (rows 0..10 and 100..105), older than part 1.
    let schema = tick_schema(false);
    let partition = lake.partition("BTC-USDT", 2);
    let kept = lake
        .profile
        .local_dir
        .join(crate::vocab::names::REPLACED_DIR)
        .join(partition.file_name().unwrap())
        .join("part_00001.parquet.20261201T000000Z");
    let rows = deltalake_core::arrow::compute::concat_batches(
        &schema,
        &[ticks(&schema, 1_700_000_000_000_000, 0, 10), ticks(&schema, 1_700_000_000_000_000, 100, 5)],
    )
    .unwrap();
    write_part(&kept, &rows, SystemTime::now() - Duration::from_secs(86_400 * 4));
    let r = lake.compact();
    assert_eq!(r.status, SyncStatus::Success, "{:?}", r.errors);
    assert_eq!((r.parts_absorbed, r.rows_in, r.rows_out, r.duplicates_dropped), (3, 35, 25, 10));
    assert!(!kept.exists(), "the kept version left the lake with its day");
    let mut got = ids(&lake.table_rows("gate_io_BTC-USDT", lake.day(2)));
    got.sort();
    assert_eq!(got, (0..20).chain(100..105).collect::<Vec<i64>>());
}

#[test]
fn a_dry_run_changes_nothing() {
    let lake = Lake::new(|_| {});
    lake.parts("BTC-USDT", 2, 3, 10);
    let when = RunTime { now: Utc::now(), today: lake.today, dry_run: true };
    let r = run(&lake.profile, when, &mut Quiet);
    assert_eq!((r.status, r.dry_run, r.days_compacted, r.parts_absorbed), (SyncStatus::Success, true, 1, 3));
    assert!(!lake.profile.compact.table.local_path().exists(), "no table directory after a dry run");
    assert_eq!(lake.raw_files(), 3);
}
