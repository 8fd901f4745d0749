//! Retention: delete partitions older than `retention_days`, safely.
//!
//! One walk of the profile directory (walkdir, never following symlinks)
//! finds the partitions; it does not descend into expired ones, nor into leaf
//! directories (link count 2), and stats directories only. Expired partitions
//! are then emptied relative to directory descriptors (nix `openat` with
//! `O_NOFOLLOW`, `fstatat`, `unlinkat`), which is what `rm -rf` does plus one
//! `fstatat` per regular file for the freed bytes, and which cannot be
//! redirected through a directory swapped for a symlink mid-way.
//!
//! Filesystem boundaries are checked by comparing each directory's device with
//! the profile directory's (what walkdir's `same_file_system` does, done here
//! so a mount point is reported instead of silently skipped).
//!
//! A cleanup can be stopped: the walk and the deletions poll the run's
//! observer about every 100 ms and end with [`Error::Interrupted`] (what was
//! deleted until then stays deleted; the next cleanup finishes the job). The
//! observer hears of every deleted partition as progress: `files_done` and
//! `bytes_done` are the files and bytes deleted so far, `current_file` the
//! partition.
//!
//! This module is the policy (what goes, what stays, the report); `scan`
//! finds partitions, `remove` deletes one.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use chrono::{Local, NaiveDate, NaiveTime, TimeZone};
use serde::Serialize;

use crate::config::{Profile, Timezone};
use crate::local::fswalk;
use crate::local::partition::{cutoff_date, Layout};
use crate::rsync::process::{RunObserver, POLL_INTERVAL};
use crate::vocab::error::{Error, Result};
use crate::vocab::progress::Progress;
use crate::vocab::run_control::RunControl;

/// Options for [`crate::DataLake::cleanup`] and [`crate::DataLake::cleanup_all`].
#[derive(Debug, Default)]
pub struct CleanupOptions<'a> {
    /// Delete nothing: report what would go (no lock taken, no metrics written).
    pub dry_run: bool,
    /// Progress (per deleted partition), cancellation and the caller's poll;
    /// a stop ends the cleanup with an `Interrupted` error.
    pub control: RunControl<'a>,
}

/// A path the cleaner did not delete, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedPath {
    /// The path.
    pub path: PathBuf,
    /// Why it was kept.
    pub reason: String,
}

/// One thing a cleanup removed (or would remove), with its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeletedPath {
    /// A partition directory, or a `.rsync-partial` directory whose old files went.
    pub path: PathBuf,
    /// The partition's date; `None` for `.rsync-partial` leftovers.
    pub date: Option<NaiveDate>,
    /// Files removed below `path` (symlinks included, never followed).
    pub files: u64,
    /// Bytes of the regular files removed.
    pub bytes: u64,
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
    /// Files deleted: inside those partitions, plus old `.rsync-partial` leftovers.
    pub deleted_files: u64,
    /// Bytes of those files.
    pub freed_bytes: u64,
    /// Deleted partition directories.
    pub deleted_paths: Vec<PathBuf>,
    /// Everything removed, with sizes: the partitions of `deleted_paths` and
    /// the `.rsync-partial` directories old leftovers were removed from.
    pub deleted: Vec<DeletedPath>,
    /// Things kept on purpose, with reasons.
    pub skipped: Vec<SkippedPath>,
    /// Warnings (e.g. the newest day was kept although expired).
    pub warnings: Vec<String>,
    /// Wall time.
    pub duration_seconds: f64,
}

/// Apply retention to `profile.local_dir` as of `today`.
///
/// Never follows symlinks, never leaves the profile directory or its
/// filesystem, never deletes undated directories or top-level files, never
/// deletes the newest dated day, and removes `.rsync-partial` leftovers older
/// than retention. The caller holds the profile lock.
///
/// A missing profile directory gives an empty report. Directories that
/// cannot be read are reported in `skipped` and left alone; a failure to
/// delete something is an [`Error::Io`]; a stop requested through `observer`
/// is an [`Error::Interrupted`].
pub fn clean(
    profile: &Profile,
    today: NaiveDate,
    dry_run: bool,
    observer: &mut dyn RunObserver,
) -> Result<CleanupReport> {
    let clock = Instant::now();
    let cutoff = cutoff_date(today, profile.retention_days);
    let root = profile.local_dir.as_path();
    let mut cleaner = Cleaner {
        root,
        root_dev: 0,
        cutoff,
        partial_cutoff: start_of_day(cutoff, profile.timezone),
        dry_run,
        observer,
        last_poll: None,
        last_progress: None,
        report: CleanupReport {
            profile: profile.name.clone(),
            dry_run,
            cutoff_date: cutoff,
            deleted_dirs: 0,
            deleted_files: 0,
            freed_bytes: 0,
            deleted_paths: Vec::new(),
            deleted: Vec::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
            duration_seconds: 0.0,
        },
    };
    // The profile directory itself may be a symlink (to a bigger disk): like
    // walkdir, follow that one link and nothing below it.
    match fswalk::profile_dir(root, "clean")? {
        Some(meta) => cleaner.root_dev = meta.dev(),
        None => {
            cleaner.report.duration_seconds = clock.elapsed().as_secs_f64();
            return Ok(cleaner.report);
        }
    }
    cleaner.run()?;
    cleaner.report.duration_seconds = clock.elapsed().as_secs_f64();
    Ok(cleaner.report)
}

/// Midnight starting `day` in the retention calendar.
fn start_of_day(day: NaiveDate, tz: Timezone) -> SystemTime {
    let midnight = day.and_time(NaiveTime::MIN);
    let utc = match tz {
        Timezone::Utc => midnight.and_utc(),
        Timezone::Local => Local
            .from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.to_utc())
            // Midnight in a DST gap: an hour either way does not matter here.
            .unwrap_or_else(|| midnight.and_utc()),
    };
    SystemTime::from(utc)
}

/// A partition directory found by the scan.
struct Found {
    path: PathBuf,
    date: NaiveDate,
    layout: Layout,
}

/// What removing one partition did.
struct Removal {
    files: u64,
    bytes: u64,
    /// False when something inside had to be left (a mount point).
    complete: bool,
}

struct Cleaner<'a> {
    root: &'a Path,
    root_dev: u64,
    cutoff: NaiveDate,
    partial_cutoff: SystemTime,
    dry_run: bool,
    observer: &'a mut dyn RunObserver,
    /// When the observer was last polled; `None`: poll at the next chance.
    last_poll: Option<Instant>,
    last_progress: Option<Instant>,
    report: CleanupReport,
}

impl Cleaner<'_> {
    fn skip(&mut self, path: impl Into<PathBuf>, reason: impl Into<String>) {
        self.report.skipped.push(SkippedPath { path: path.into(), reason: reason.into() });
    }

    /// Ask the observer whether to stop: at the first call, right after a
    /// progress report, and otherwise at most every [`POLL_INTERVAL`] (cheap
    /// enough to call for every entry).
    fn poll(&mut self) -> Result<()> {
        if self.last_poll.is_some_and(|t| t.elapsed() < POLL_INTERVAL) {
            return Ok(());
        }
        self.last_poll = Some(Instant::now());
        if self.observer.should_cancel() {
            return Err(Error::Interrupted { profile: self.report.profile.clone(), operation: "cleanup".into() });
        }
        Ok(())
    }

    /// Tell the observer what is deleted so far (the first time at once, then
    /// at most every [`POLL_INTERVAL`]), `current` being the partition just removed.
    fn progress(&mut self, current: &Path) {
        if self.last_progress.is_some_and(|t| t.elapsed() < POLL_INTERVAL) {
            return;
        }
        self.last_progress = Some(Instant::now());
        let rel = current.strip_prefix(self.root).unwrap_or(current);
        self.observer.progress(&Progress {
            profile: self.report.profile.clone(),
            bytes_done: self.report.freed_bytes,
            bytes_total: None,
            rate: 0.0,
            files_done: self.report.deleted_files,
            current_file: Some(rel.display().to_string()),
        });
        // What the caller did in its callback (a cancel, say) is heard at the next step.
        self.last_poll = None;
    }

    fn run(&mut self) -> Result<()> {
        let mut found = Vec::new();
        self.scan(self.root.to_path_buf(), Some(&mut found))?;
        found.sort_by(|a, b| a.path.cmp(&b.path));

        // A dead collector must not empty the lake: the newest day stays.
        let newest = found.iter().map(|f| f.date).max();
        let mut kept_newest = Vec::new();
        if let Some(newest) = newest.filter(|d| *d < self.cutoff) {
            self.report
                .warnings
                .push(format!("newest partition {newest} is past retention but kept: the collector may have stopped"));
            for f in found.iter().filter(|f| f.date == newest) {
                kept_newest.push(f.path.clone());
            }
        }
        for path in kept_newest {
            self.skip(&path, "newest dated day: kept although past retention (the collector may have stopped)");
            // Not scanned yet (the scan skips expired partitions): look for
            // partial leftovers only.
            self.scan(path, None)?;
        }

        let cutoff = self.cutoff;
        let expired = found.into_iter().filter(|f| f.date < cutoff && Some(f.date) != newest);
        for f in expired {
            self.poll()?;
            let removal = self.remove_partition(&f.path)?;
            self.report.deleted_files += removal.files;
            self.report.freed_bytes += removal.bytes;
            if !removal.complete {
                continue;
            }
            log::info!(
                "{}deleted partition {} ({} files, {} bytes)",
                if self.dry_run { "would have " } else { "" },
                f.path.display(),
                removal.files,
                removal.bytes
            );
            self.report.deleted_dirs += 1;
            self.report.deleted_paths.push(f.path.clone());
            self.report.deleted.push(DeletedPath {
                path: f.path.clone(),
                date: Some(f.date),
                files: removal.files,
                bytes: removal.bytes,
            });
            if f.layout == Layout::Nested && !self.dry_run {
                self.prune_parents(&f.path);
            }
            self.progress(&f.path);
        }
        // Walk order is the filesystem's: sort for stable reports.
        self.report.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        self.report.deleted.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(())
    }

    /// After a nested `YYYY/MM/DD` day went, remove its month and year
    /// directories if that left them empty (never the profile directory).
    fn prune_parents(&self, day: &Path) {
        let mut dir = day;
        for _ in 0..2 {
            let Some(parent) = dir.parent() else { return };
            if parent == self.root || !parent.starts_with(self.root) {
                return;
            }
            // rmdir only succeeds on an empty directory: no check-then-act race.
            if fs::remove_dir(parent).is_err() {
                return;
            }
            log::debug!("removed empty {}", parent.display());
            dir = parent;
        }
    }
}

mod remove;
mod scan;
#[cfg(test)]
mod tests;
