//! The record of a profile's Delta table: which series-days the table holds,
//! in which files, and which raw parts each of them absorbed.
//!
//! The table itself (its `_delta_log`) is the truth; the record is its index
//! for every layer below [`crate::table`] (the planner, the catalog, stats,
//! coverage, verify), which read it without opening the table. It lives in
//! the table's own `_datalake/` directory (Delta readers and vacuum skip
//! names starting with `_`):
//!
//! ```text
//! _table/_datalake/record.json            this index (Record)
//! _table/_datalake/manifests/<id>.json    the parts one series-day absorbed (Manifest)
//! ```
//!
//! # The order of a compaction, and what each moment looks like
//! 1. the day's new table files and its manifest are written (invisible: no
//!    commit references them);
//! 2. one Delta commit adds the files (each `add` carries the tag
//!    `datalake.manifest`) and removes the day's earlier files: the atomic moment;
//! 3. the record is rewritten (atomically) to name the new version;
//! 4. the absorbed raw parts are deleted (unless `keep_raw`).
//!
//! A reader that takes the record's `table_version`, the files the record
//! lists and the raw parts the record does not name sees every row exactly
//! once at every moment: before step 3 it reads the older version and the
//! raw parts (still there, step 4 has not run); after it, the new version
//! and no absorbed part. A kill -9 between 2 and 3 leaves the record one
//! version behind, which is still consistent; the next compaction rebuilds
//! the record from the table (the tags name the manifests) before anything
//! else. Raw parts are only ever deleted once the record names them, so a
//! reader that finds a raw part gone while it reads (step 4 racing it)
//! reloads the record and sees the day in the table.
//!
//! An absorbed part is identified by its path relative to the profile
//! directory, its size and its modification time (rsync `-t` keeps the
//! collector's): the same triple the planner's quick check compares, so a
//! part the collector still has unchanged is never downloaded again, and one
//! it rewrote (a restarted collector's `part_00001`) differs and is fetched.

pub mod manifest;
pub mod place;
pub mod report;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::{Profile, TablePlace};
use crate::local::reserved;
use crate::vocab::error::{Error, Result};

pub use manifest::{AbsorbedPart, Manifest};
pub use place::{record_dir, RECORD_FILE, RECORD_FORMAT};

/// One data file of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableFile {
    /// Path relative to the table's root, as on disk (`date=2024-11-28/series=.../part-...parquet`).
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// Rows.
    pub rows: u64,
}

/// One series-day the table holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayEntry {
    /// The series (the partition path without its date).
    pub series: String,
    /// The day.
    pub date: NaiveDate,
    /// The table version that wrote the day's current files.
    pub version: u64,
    /// The manifest naming every raw part the day absorbed (file name in `manifests/`).
    pub manifest: String,
    /// The raw partition directories those parts were in (relative to the
    /// profile directory): the planner takes them as present in the lake.
    #[serde(default)]
    pub partitions: Vec<String>,
    /// How many raw parts it absorbed.
    pub parts: u64,
    /// Their bytes.
    pub raw_bytes: u64,
    /// Rows in the table for this day.
    pub rows: u64,
    /// The day's data files.
    pub files: Vec<TableFile>,
}

impl DayEntry {
    /// Bytes of the day's table files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// What the table holds, as of one table version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// [`RECORD_FORMAT`].
    pub format: u32,
    /// The table version this record describes (`None`: no data committed yet).
    pub table_version: Option<u64>,
    /// Every series-day, by series then date.
    pub days: Vec<DayEntry>,
}

impl Default for Record {
    fn default() -> Self {
        Record { format: RECORD_FORMAT, table_version: None, days: Vec::new() }
    }
}

impl Record {
    /// The profile's record; `None` when its table has none (never compacted).
    /// A record that cannot be read is an error: guessing would show rows twice.
    pub fn load(profile: &Profile) -> Result<Option<Record>> {
        Self::load_at(&profile.compact.table)
    }

    /// The record of the table at `place`.
    pub fn load_at(place: &TablePlace) -> Result<Option<Record>> {
        let path = record_dir(place).join(RECORD_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io_default("read the table record", path, e)),
        };
        let record: Record = serde_json::from_slice(&bytes).map_err(|e| {
            Error::io(
                "parse the table record",
                &path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
                "the next `datalake compact` rebuilds it from the table; until then readers cannot tell raw parts from absorbed ones",
            )
        })?;
        if record.format > RECORD_FORMAT {
            return Err(Error::io(
                "read the table record",
                &path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("format {} is newer than this datalake understands ({RECORD_FORMAT})", record.format),
                ),
                "upgrade datalake",
            ));
        }
        Ok(Some(record))
    }

    /// Replace the record on disk, atomically and durably.
    pub fn save(&self, place: &TablePlace) -> Result<()> {
        let dir = record_dir(place);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io_default("create directory", &dir, e))?;
        let mut bytes = serde_json::to_vec(self)
            .map_err(|e| Error::io_default("serialize the table record", &dir, std::io::Error::other(e.to_string())))?;
        bytes.push(b'\n');
        let path = dir.join(RECORD_FILE);
        reserved::replace(&path, &bytes, 0o644).map_err(|e| Error::io_default(e.action, e.path, e.source))
    }

    /// The entry of one series-day.
    pub fn day(&self, series: &str, date: NaiveDate) -> Option<&DayEntry> {
        self.days.binary_search_by(|d| (d.series.as_str(), d.date).cmp(&(series, date))).ok().map(|i| &self.days[i])
    }

    /// Insert or replace the entry of its series-day, keeping the order.
    pub fn put(&mut self, entry: DayEntry) {
        match self.days.binary_search_by(|d| (d.series.as_str(), d.date).cmp(&(entry.series.as_str(), entry.date))) {
            Ok(i) => self.days[i] = entry,
            Err(i) => self.days.insert(i, entry),
        }
    }

    /// Remove the entry of a series-day, returning it.
    pub fn take(&mut self, series: &str, date: NaiveDate) -> Option<DayEntry> {
        let i = self.days.binary_search_by(|d| (d.series.as_str(), d.date).cmp(&(series, date))).ok()?;
        Some(self.days.remove(i))
    }

    /// Series-days by date (for the days of one date across series).
    pub fn by_date(&self) -> BTreeMap<NaiveDate, Vec<&DayEntry>> {
        let mut out: BTreeMap<NaiveDate, Vec<&DayEntry>> = BTreeMap::new();
        for d in &self.days {
            out.entry(d.date).or_default().push(d);
        }
        out
    }

    /// The table's data files, with their days, as absolute paths.
    pub fn files_under<'r>(
        &'r self,
        root: &'r Path,
    ) -> impl Iterator<Item = (&'r DayEntry, PathBuf, &'r TableFile)> + 'r {
        self.days.iter().flat_map(move |d| d.files.iter().map(move |f| (d, root.join(&f.path), f)))
    }

    /// Totals: (days, data files, bytes, rows, absorbed parts, their bytes).
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for d in &self.days {
            t.days += 1;
            t.files += d.files.len() as u64;
            t.bytes += d.bytes();
            t.rows += d.rows;
            t.parts += d.parts;
            t.raw_bytes += d.raw_bytes;
        }
        t
    }
}

/// What a record adds up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Series-days in the table.
    pub days: u64,
    /// Data files.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Rows.
    pub rows: u64,
    /// Raw parts absorbed.
    pub parts: u64,
    /// Their bytes.
    pub raw_bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(series: &str, day: u32) -> DayEntry {
        DayEntry {
            series: series.into(),
            date: NaiveDate::from_ymd_opt(2024, 11, day).unwrap(),
            version: 1,
            manifest: "m.json".into(),
            partitions: vec![format!("{series}_202411{day:02}")],
            parts: 2,
            raw_bytes: 100,
            rows: 10,
            files: vec![TableFile { path: "f.parquet".into(), size: 40, rows: 10 }],
        }
    }

    #[test]
    fn entries_stay_sorted_and_are_found() {
        let mut r = Record::default();
        r.put(entry("b", 2));
        r.put(entry("a", 3));
        r.put(entry("a", 1));
        r.put(entry("a", 3));
        let keys: Vec<(String, u32)> =
            r.days.iter().map(|d| (d.series.clone(), chrono::Datelike::day(&d.date))).collect();
        assert_eq!(keys, [("a".into(), 1), ("a".into(), 3), ("b".into(), 2)]);
        assert!(r.day("a", NaiveDate::from_ymd_opt(2024, 11, 3).unwrap()).is_some());
        assert!(r.day("a", NaiveDate::from_ymd_opt(2024, 11, 2).unwrap()).is_none());
        assert_eq!(r.totals().files, 3);
        assert!(r.take("a", NaiveDate::from_ymd_opt(2024, 11, 1).unwrap()).is_some());
        assert_eq!(r.days.len(), 2);
    }

    #[test]
    fn save_and_load_round_trip_and_refuse_newer_formats() {
        let tmp = tempfile::tempdir().unwrap();
        let place = TablePlace::Local { path: tmp.path().join("_table") };
        assert_eq!(Record::load_at(&place).unwrap(), None);
        let mut r = Record { table_version: Some(3), ..Record::default() };
        r.put(entry("a", 1));
        r.save(&place).unwrap();
        assert_eq!(Record::load_at(&place).unwrap(), Some(r.clone()));
        r.format = RECORD_FORMAT + 1;
        r.save(&place).unwrap();
        assert!(Record::load_at(&place).unwrap_err().to_string().contains("upgrade datalake"));
        std::fs::write(record_dir(&place).join(RECORD_FILE), b"{not json").unwrap();
        assert!(Record::load_at(&place).unwrap_err().to_string().contains("rebuilds it from the table"));
    }
}
