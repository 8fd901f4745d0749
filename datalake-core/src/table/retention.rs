//! Retention of the table: days before the retention cutoff leave it.
//!
//! The days' files are removed from the table in one commit (readers of the
//! current version no longer see them; readers of older versions still do),
//! the record forgets them, and vacuum deletes the files once no version
//! newer than `compact.vacuum_after` references them, together with files
//! of runs that were killed before their commit. The newest day of the table
//! is never removed (the cleaner's rule for raw partitions too: a clock that
//! jumped must not empty the lake).

use std::os::unix::fs::MetadataExt;

use chrono::NaiveDate;
use deltalake_core::kernel::Action;

use super::delta::{Operation, Table};
use super::reconcile::{by_day, drop_unused_manifests, reconcile};
use super::store::Store;
use crate::config::Profile;
use crate::local::partition::cutoff_date;
use crate::rsync::process::RunObserver;
use crate::state::absorbed::Record;
use crate::state::cleaner::{self, CleanupReport, DeletedPath};
use crate::vocab::error::Result;

/// What retention did to the table.
#[derive(Debug, Default)]
pub struct TableRetention {
    /// Series-days removed (path: their directory in the table).
    pub deleted: Vec<DeletedPath>,
    /// Files vacuum deleted (or would delete).
    pub vacuumed_files: u64,
    /// Their bytes.
    pub vacuumed_bytes: u64,
    /// Things worth a look.
    pub warnings: Vec<String>,
}

/// Apply retention to `profile`'s table as of `today` (the caller holds the lock).
pub fn apply(profile: &Profile, today: NaiveDate, dry_run: bool) -> Result<TableRetention> {
    let mut out = TableRetention::default();
    let store = Store::of(profile);
    let Some(loaded) = Record::load_at(store.place())? else {
        return Ok(out);
    };
    let mut table = Table::open(store.clone())?;
    let files = by_day(&table, table.live_files()?)?;
    let mut record = if dry_run { loaded } else { reconcile(&table, Some(loaded), &files)?.0 };
    let cutoff = cutoff_date(today, profile.retention_days);
    let newest = record.days.iter().map(|d| d.date).max();
    let expired: Vec<(String, NaiveDate)> = record
        .days
        .iter()
        .filter(|d| d.date < cutoff && Some(d.date) != newest)
        .map(|d| (d.series.clone(), d.date))
        .collect();
    if record.days.iter().any(|d| d.date < cutoff && Some(d.date) == newest) {
        out.warnings.push(format!(
            "the table's newest day is past retention (cutoff {cutoff}) and was kept: check the clock and retention_days"
        ));
    }
    let mut actions = Vec::new();
    for (series, date) in &expired {
        let live = files.get(&(series.clone(), *date)).cloned().unwrap_or_default();
        let bytes = live.iter().map(|f| f.size).sum();
        out.deleted.push(DeletedPath {
            path: store.file(&format!("date={date}/series={series}")),
            date: Some(*date),
            files: live.len() as u64,
            bytes,
        });
        actions.extend(live.into_iter().map(|f| Action::Remove(f.remove)));
    }
    if !dry_run && !expired.is_empty() {
        let info = serde_json::json!({"operation": "retention", "cutoff": cutoff, "days": expired.len()});
        let version = table.commit(actions, None, info, Operation::Retention)?.ok_or_else(|| {
            store.error("commit to", "another writer committed at the same moment", "run the cleanup again")
        })?;
        for (series, date) in &expired {
            record.take(series, *date);
        }
        record.table_version = Some(version);
        record.save(store.place())?;
        drop_unused_manifests(&table, &record)?;
    }
    let doomed = table.vacuum(profile.compact.vacuum_after, true)?;
    out.vacuumed_files = doomed.len() as u64;
    out.vacuumed_bytes =
        doomed.iter().filter_map(|p| std::fs::symlink_metadata(store.file(p)).ok()).map(|m| m.size()).sum();
    if !dry_run && !doomed.is_empty() {
        table.vacuum(profile.compact.vacuum_after, false)?;
        // Vacuum commits too (its start and end): the record names the version it describes.
        if record.table_version != table.version() {
            record.table_version = table.version();
            record.save(store.place())?;
        }
    }
    Ok(out)
}

/// Retention of a profile (the caller holds its lock unless `dry_run`): the
/// raw partitions ([`cleaner::clean`]) and the table's days, in one report.
/// Days removed from the table count in `deleted_dirs` and `deleted` (their
/// directory in the table, files, bytes); the files vacuum deleted count in
/// `deleted_files` and `freed_bytes`.
pub fn clean_with_table(
    profile: &Profile,
    today: NaiveDate,
    dry_run: bool,
    observer: &mut dyn RunObserver,
) -> Result<CleanupReport> {
    let mut report = cleaner::clean(profile, today, dry_run, observer)?;
    let table = apply(profile, today, dry_run)?;
    if table.deleted.is_empty() && table.vacuumed_files == 0 {
        report.warnings.extend(table.warnings);
        return Ok(report);
    }
    report.deleted_dirs += table.deleted.len() as u64;
    report.deleted_paths.extend(table.deleted.iter().map(|d| d.path.clone()));
    report.deleted.extend(table.deleted);
    report.deleted.sort_by(|a, b| a.path.cmp(&b.path));
    report.deleted_files += table.vacuumed_files;
    report.freed_bytes += table.vacuumed_bytes;
    report.warnings.extend(table.warnings);
    Ok(report)
}
