//! Retention: delete partitions older than `retention_days`, safely.

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use crate::config::Profile;
use crate::error::Result;

/// A path the cleaner did not delete, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedPath {
    /// The path.
    pub path: PathBuf,
    /// Why it was kept.
    pub reason: String,
}

/// What a cleanup did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CleanupReport {
    /// Profile name.
    pub profile: String,
    /// True when nothing was deleted on purpose.
    pub dry_run: bool,
    /// Partitions dated before this day are expired.
    pub cutoff_date: NaiveDate,
    /// Partition directories deleted.
    pub deleted_dirs: u64,
    /// Files inside them.
    pub deleted_files: u64,
    /// Bytes freed.
    pub freed_bytes: u64,
    /// Deleted partition directories.
    pub deleted_paths: Vec<PathBuf>,
    /// Things kept on purpose, with reasons.
    pub skipped: Vec<SkippedPath>,
    /// Warnings (e.g. the newest day was kept although expired).
    pub warnings: Vec<String>,
    /// Wall time.
    pub duration_seconds: f64,
}

/// The first day kept: `today - (retention_days - 1)`.
pub fn cutoff_date(today: NaiveDate, retention_days: u32) -> NaiveDate {
    let _ = (today, retention_days);
    todo!("fs helper")
}

/// Apply retention to `profile.local_dir` as of `today`.
///
/// Never follows symlinks, never leaves the profile directory or its
/// filesystem, never deletes undated directories or top-level files, never
/// deletes the newest dated day, and removes `.rsync-partial` leftovers older
/// than retention. The caller holds the profile lock.
pub fn clean(profile: &Profile, today: NaiveDate, dry_run: bool) -> Result<CleanupReport> {
    let _ = (profile, today, dry_run);
    todo!("fs helper")
}
