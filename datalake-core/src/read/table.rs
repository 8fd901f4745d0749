//! The profile's Delta table in the catalog: a series-day the table holds is
//! read from its table files, and the raw parts it absorbed are left out, so
//! a read sees each row once whatever moment of a compaction it meets.
//!
//! The record is read after the walk of the raw partitions (see
//! [`crate::state::absorbed`] for the order a compaction follows): a raw part
//! the walk listed is either still there, or absorbed by the version the
//! record names, whose files replace it here. A read that finds a listed raw
//! part gone (the compaction deleted it after the record was read) fails
//! naming the file; reading again meets the table.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate};

use crate::config::Profile;
use crate::read::entry::FileEntry;
use crate::read::selection::FileSelection;
use crate::state::absorbed::{AbsorbedPart, Manifest, Record};
use crate::vocab::error::{Error, Result};

/// Leave out of `files` the raw parts the table absorbed, and add the table
/// files of the series-days `selection` takes.
pub fn with_table(profile: &Profile, selection: &FileSelection, files: &mut Vec<FileEntry>) -> Result<()> {
    let Some(record) = Record::load(profile)? else { return Ok(()) };
    let place = &profile.compact.table;
    let root = profile.local_dir.as_path();

    // Raw parts of days the table holds: absorbed ones go.
    let held: HashSet<(String, NaiveDate)> =
        files.iter().filter(|f| record.day(&f.series, f.date).is_some()).map(|f| (f.series.clone(), f.date)).collect();
    let mut absorbed: HashMap<PathBuf, AbsorbedPart> = HashMap::new();
    for (series, date) in &held {
        if let Some(entry) = record.day(series, *date) {
            let manifest = Manifest::load(place, &entry.manifest)?;
            absorbed.extend(manifest.by_path().into_iter().map(|(p, part)| (p, part.clone())));
        }
    }
    files.retain(|f| {
        let Ok(rel) = f.path.strip_prefix(root) else { return true };
        let secs = f.mtime.timestamp();
        let nanos = f.mtime.timestamp_subsec_nanos();
        !absorbed.get(rel).is_some_and(|p| p.same(f.size, secs, nanos))
    });

    // The table's files of the selected series-days.
    let format = profile.series_format.as_ref();
    let table_root = place.local_path();
    for day in &record.days {
        if !selection.has_date(day.date) || !selection.has_series(&day.series) {
            continue;
        }
        let fields = match format {
            None => Some(BTreeMap::new()),
            Some(format) => match format.split(&day.series) {
                Some(values) => selection
                    .has_fields(format.field_names(), &values)
                    .then(|| format.field_names().zip(values).map(|(n, v)| (n.to_string(), v.to_string())).collect()),
                None => selection.fields.is_empty().then(BTreeMap::new),
            },
        };
        let Some(fields) = fields else { continue };
        for f in &day.files {
            // A remote table's files are named by their URL (`s3://bucket/prefix/date=...`),
            // with the size the record keeps: a read never lists or stats the bucket.
            if let Some(remote) = place.remote() {
                files.push(FileEntry {
                    path: PathBuf::from(format!("{}/{}", remote.table_uri, f.path)),
                    series: day.series.clone(),
                    date: day.date,
                    size: f.size,
                    mtime: DateTime::default(),
                    fields: fields.clone(),
                });
                continue;
            }
            let path = table_root.join(&f.path);
            let meta = std::fs::metadata(&path).map_err(|e| {
                Error::io(
                    "read metadata of",
                    &path,
                    e,
                    "the table's record names this file; `datalake verify` checks the table, `datalake compact` rebuilds the record",
                )
            })?;
            files.push(FileEntry {
                path,
                series: day.series.clone(),
                date: day.date,
                size: meta.len(),
                mtime: DateTime::from_timestamp(meta.mtime(), meta.mtime_nsec() as u32).unwrap_or_default(),
                fields: fields.clone(),
            });
        }
    }
    Ok(())
}
