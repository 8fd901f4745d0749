//! Bringing the record level with the table before a run changes anything.
//!
//! The record trails the table by at most one commit (a run killed between
//! a commit and the record's rewrite). When the versions differ, the record
//! is rebuilt from the table's live files: their `date`/`series` partition
//! values give the days, their `datalake.manifest` tags the manifests, their
//! statistics the rows. Manifests nothing names any more (a day merged
//! again, a run killed before its commit) are deleted afterwards.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::delta::{LiveFile, Table};
use crate::state::absorbed::manifest::{self, MANIFEST_DIR};
use crate::state::absorbed::{record_dir, DayEntry, Manifest, Record, TableFile};
use crate::vocab::error::{Error, Result};

/// The live files of the table by series-day.
pub type FilesByDay = BTreeMap<(String, NaiveDate), Vec<LiveFile>>;

/// Group live files by series-day; a file without our partition values or
/// tag was not written by datalake, and is refused.
pub fn by_day(table: &Table, files: Vec<LiveFile>) -> Result<FilesByDay> {
    let mut out: FilesByDay = BTreeMap::new();
    for f in files {
        let (Some(series), Some(date), Some(_)) = (f.series.clone(), f.date, f.manifest.as_ref()) else {
            return Err(table.store().error(
                "read",
                format!("its file {} has no datalake manifest tag or no date/series values", f.path),
                "the table was written by another program; give compact.table_uri a directory of its own",
            ));
        };
        out.entry((series, date)).or_default().push(f);
    }
    Ok(out)
}

/// The record for the table's current version: `record` when it is current,
/// else rebuilt from the table (and saved). Returns it and whether it was rebuilt.
pub fn reconcile(table: &Table, record: Option<Record>, files: &FilesByDay) -> Result<(Record, bool)> {
    let store = table.store();
    let Some(version) = table.version() else {
        return match record {
            Some(r) if !r.days.is_empty() => Err(store.error(
                "open",
                format!("there is no table, but its record lists {} day(s) (version {:?})", r.days.len(), r.table_version),
                "restore the table directory (the raw parts it absorbed were deleted), or delete its _datalake directory to start a new table",
            )),
            _ => Ok((Record::default(), false)),
        };
    };
    if let Some(r) = record.filter(|r| r.table_version == Some(version)) {
        return Ok((r, false));
    }
    let mut rebuilt = Record { table_version: Some(version), ..Record::default() };
    for ((series, date), live) in files {
        let names: BTreeSet<&str> = live.iter().filter_map(|f| f.manifest.as_deref()).collect();
        let [name] = names.into_iter().collect::<Vec<_>>()[..] else {
            return Err(store.error(
                "read",
                format!("the files of {series} on {date} name different manifests"),
                "the table was changed outside datalake; restore it from a backup",
            ));
        };
        super::remote::fetch_manifest(table, name)?;
        let m = Manifest::load(store.place(), name)?;
        rebuilt.put(DayEntry {
            series: series.clone(),
            date: *date,
            version,
            manifest: name.to_string(),
            partitions: m.parts.keys().cloned().collect(),
            parts: m.count(),
            raw_bytes: m.raw_bytes(),
            rows: live.iter().map(|f| f.rows.unwrap_or(0)).sum(),
            files: live
                .iter()
                .map(|f| TableFile { path: f.path.clone(), size: f.size, rows: f.rows.unwrap_or(0) })
                .collect(),
        });
    }
    rebuilt.save(store.place())?;
    Ok((rebuilt, true))
}

/// Delete the manifests the record does not name. Returns how many went.
pub fn drop_unused_manifests(table: &Table, record: &Record) -> Result<u64> {
    let place = table.store().place();
    let used: BTreeSet<&str> = record.days.iter().map(|d| d.manifest.as_str()).collect();
    let dir = record_dir(place).join(MANIFEST_DIR);
    let mut removed = 0;
    for name in manifest::list(place)? {
        if used.contains(name.as_str()) {
            continue;
        }
        match std::fs::remove_file(dir.join(&name)) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io_default("delete", dir.join(&name), e)),
        }
    }
    Ok(removed)
}
