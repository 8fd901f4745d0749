//! The raw parts of a profile, by series-day: one walk of the profile
//! directory that never follows symlinks, skips hidden and `_` names (rsync's
//! temporary files, `.rsync-partial`, the quarantine, the table itself) and
//! lists the files of the dated partitions a compaction may take: closed and
//! not past retention.
//!
//! A part is a regular `*.parquet`, `*.csv` or `*.csv.gz` file anywhere below
//! a partition directory; other files there (notes, `_SUCCESS`) stay where
//! they are and keep their directory. The earlier versions the lake kept of
//! rewritten parts (`.datalake-replaced/<partition>/<name>.<time>`) are parts
//! of their day too (absorbed with it, so `dedup_on` resolves them).

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};

use crate::config::{Profile, Timezone};
use crate::inspect::coverage::series_of;
use crate::local::fswalk::MAX_DEPTH;
use crate::state::replaced::parse_kept_name;
use crate::vocab::error::{Error, Result};
use crate::vocab::names::REPLACED_DIR;

/// What a part holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// Apache Parquet.
    Parquet,
    /// Comma-separated text.
    Csv,
    /// Comma-separated text, gzip-compressed.
    CsvGz,
}

impl PartKind {
    /// The kind of a file name, if it is a part.
    pub fn of(name: &str) -> Option<PartKind> {
        if name.ends_with(".parquet") {
            Some(PartKind::Parquet)
        } else if name.ends_with(".csv") {
            Some(PartKind::Csv)
        } else if name.ends_with(".csv.gz") {
            Some(PartKind::CsvGz)
        } else {
            None
        }
    }
}

/// One raw part on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPart {
    /// Its partition directory, relative to the profile directory.
    pub partition: String,
    /// Its path relative to the partition directory.
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// Modification time, seconds.
    pub secs: i64,
    /// Modification time, nanoseconds.
    pub nanos: u32,
    /// Parquet or CSV.
    pub kind: PartKind,
}

impl RawPart {
    /// Path relative to the profile directory.
    pub fn rel(&self) -> PathBuf {
        Path::new(&self.partition).join(&self.name)
    }
}

/// The parts of one series-day.
#[derive(Debug, Clone, Default)]
pub struct DayParts {
    /// Its partition directories (relative), usually one.
    pub partitions: Vec<String>,
    /// The parts, in the order they were written: modification time, then path.
    pub parts: Vec<RawPart>,
    /// Files in those partitions that are not parts, or cannot be recorded
    /// (a name that is not UTF-8): they keep their directory.
    pub others: Vec<PathBuf>,
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct Found {
    /// Closed series-days within retention, by (series, date).
    pub closed: BTreeMap<(String, NaiveDate), DayParts>,
    /// Series-days with raw files that are not closed yet.
    pub open: u64,
}

/// When `date` counts as closed: `after` past its end in the profile's calendar.
pub fn closes_at(date: NaiveDate, tz: Timezone, after: std::time::Duration) -> Option<DateTime<Utc>> {
    let next = date.checked_add_days(Days::new(1))?.and_time(NaiveTime::MIN);
    let end = match tz {
        Timezone::Utc => Utc.from_utc_datetime(&next),
        Timezone::Local => chrono::Local.from_local_datetime(&next).earliest()?.with_timezone(&Utc),
    };
    end.checked_add_signed(chrono::TimeDelta::from_std(after).ok()?)
}

/// Walk the profile directory: the parts of every series-day dated from
/// `cutoff` on that is closed at `now`.
pub fn find(profile: &Profile, cutoff: NaiveDate, now: DateTime<Utc>) -> Result<Found> {
    let mut found = Found::default();
    let mut open: BTreeMap<(String, NaiveDate), ()> = BTreeMap::new();
    let root = profile.local_dir.as_path();
    match std::fs::metadata(root) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(Error::io_default("read directory", root, e)),
    }
    let mut stack: Vec<(PathBuf, usize)> = vec![(PathBuf::new(), 0)];
    while let Some((rel, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(crate::local::fswalk::too_deep(
                "read directory",
                &root.join(&rel),
                "the walk looks for dated partitions",
            ));
        }
        for (name, is_dir) in entries(&root.join(&rel))? {
            if !is_dir || hidden(&name) {
                continue;
            }
            let child = rel.join(&name);
            match series_of(&child) {
                None => stack.push((child, depth + 1)),
                Some((series, date)) if date < cutoff => drop(series),
                Some((series, date)) => {
                    let closed = closes_at(date, profile.timezone, profile.compact.after).is_some_and(|t| now >= t);
                    if !closed {
                        open.insert((series, date), ());
                        continue;
                    }
                    let day = found.closed.entry((series, date)).or_default();
                    list_partition(root, &child, day)?;
                    list_kept_versions(root, &child, day)?;
                }
            }
        }
    }
    found.closed.retain(|_, d| !d.parts.is_empty() || !d.others.is_empty());
    for day in found.closed.values_mut() {
        day.parts.sort_by_key(|a| (a.secs, a.nanos, a.rel()));
    }
    found.open = open.len() as u64;
    Ok(found)
}

/// Names starting with `.` or `_` are never lake data (pyarrow's rule too).
fn hidden(name: &std::ffi::OsStr) -> bool {
    matches!(name.as_encoded_bytes().first(), Some(b'.' | b'_'))
}

/// The entries of a directory (name, is a directory that is not a symlink).
fn entries(dir: &Path) -> Result<Vec<(std::ffi::OsString, bool)>> {
    let read = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io_default("read directory", dir, e)),
    };
    let mut out = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| Error::io_default("read directory", dir, e))?;
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        out.push((entry.file_name(), is_dir));
    }
    Ok(out)
}

/// The earlier versions the lake kept of the partition's rewritten parts
/// (`on_rewrite`, in `.datalake-replaced/<partition>/`): parts of the day
/// too, older than the part that replaced them, so `dedup_on` resolves them
/// and they leave the lake with the day's other absorbed parts.
fn list_kept_versions(root: &Path, partition: &Path, day: &mut DayParts) -> Result<()> {
    let dir = root.join(REPLACED_DIR).join(partition);
    let read = match std::fs::read_dir(&dir) {
        Ok(r) => r,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => return Ok(()),
        Err(e) => return Err(Error::io_default("read directory", &dir, e)),
    };
    let Some(kept_partition) = Path::new(REPLACED_DIR).join(partition).to_str().map(str::to_string) else {
        return Ok(());
    };
    for entry in read {
        let entry = entry.map_err(|e| Error::io_default("read directory", &dir, e))?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
        let Some(kind) = parse_kept_name(&name).and_then(|(original, _)| PartKind::of(original)) else { continue };
        let meta = match std::fs::symlink_metadata(entry.path()) {
            Ok(m) if m.is_file() => m,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io_default("read metadata of", entry.path(), e)),
        };
        day.parts.push(RawPart {
            partition: kept_partition.clone(),
            name,
            size: meta.size(),
            secs: meta.mtime(),
            nanos: meta.mtime_nsec().clamp(0, 999_999_999) as u32,
            kind,
        });
    }
    Ok(())
}

fn list_partition(root: &Path, partition: &Path, day: &mut DayParts) -> Result<()> {
    let Some(partition_text) = partition.to_str() else {
        day.others.push(partition.to_path_buf());
        return Ok(());
    };
    if !day.partitions.iter().any(|p| p == partition_text) {
        day.partitions.push(partition_text.to_string());
    }
    let mut stack: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(sub) = stack.pop() {
        let dir = root.join(partition).join(&sub);
        let read = match std::fs::read_dir(&dir) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io_default("read directory", &dir, e)),
        };
        for entry in read {
            let entry = entry.map_err(|e| Error::io_default("read directory", &dir, e))?;
            let name = entry.file_name();
            if hidden(&name) {
                continue;
            }
            let rel = sub.join(&name);
            let meta = match std::fs::symlink_metadata(entry.path()) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io_default("read metadata of", entry.path(), e)),
            };
            if meta.is_dir() {
                stack.push(rel);
                continue;
            }
            let text = rel.to_str().map(str::to_string);
            match (meta.is_file(), text.as_deref().and_then(PartKind::of)) {
                (true, Some(kind)) => day.parts.push(RawPart {
                    partition: partition_text.to_string(),
                    name: text.unwrap_or_default(),
                    size: meta.size(),
                    secs: meta.mtime(),
                    nanos: meta.mtime_nsec().clamp(0, 999_999_999) as u32,
                    kind,
                }),
                _ => day.others.push(partition.join(rel)),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_support::test_profile;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_day_closes_after_its_end_plus_after() {
        let t = closes_at(d("2024-11-28"), Timezone::Utc, std::time::Duration::from_secs(7200)).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-11-29T02:00:00+00:00");
    }

    #[test]
    fn walk_takes_closed_days_within_retention_and_leaves_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("lake");
        let profile = test_profile(&root, 30);
        for (dir, file) in [
            ("gate_io_BTC-USDT_20241127", "part_00002.parquet"),
            ("gate_io_BTC-USDT_20241127", "part_00001.parquet"),
            ("gate_io_BTC-USDT_20241127", "notes.txt"),
            ("gate_io_BTC-USDT_20241127/.rsync-partial", "part_00003.parquet"),
            ("gate_io_BTC-USDT_20241129", "part_00001.parquet"),
            ("gate_io_BTC-USDT_20241001", "part_00001.parquet"),
            ("_table/date=2024-11-27/series=x", "part-0.parquet"),
            ("ex/ETH/dt=2024-11-27", "a.csv.gz"),
        ] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
            std::fs::write(root.join(dir).join(file), b"x").unwrap();
        }
        let now: DateTime<Utc> = "2024-11-29T03:00:00Z".parse().unwrap();
        let found = find(&profile, d("2024-11-01"), now).unwrap();
        let keys: Vec<(String, NaiveDate)> = found.closed.keys().cloned().collect();
        assert_eq!(keys, [("ex/ETH".into(), d("2024-11-27")), ("gate_io_BTC-USDT".into(), d("2024-11-27"))]);
        let day = &found.closed[&("gate_io_BTC-USDT".to_string(), d("2024-11-27"))];
        let names: Vec<&str> = day.parts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names.len(), 2);
        assert!(names.contains(&"part_00001.parquet") && names.contains(&"part_00002.parquet"));
        assert_eq!(day.others, [PathBuf::from("gate_io_BTC-USDT_20241127/notes.txt")]);
        assert_eq!(found.open, 1);
        assert_eq!(found.closed[&("ex/ETH".to_string(), d("2024-11-27"))].parts[0].kind, PartKind::CsvGz);
    }
}
