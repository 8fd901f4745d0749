//! What is in a profile's part of the lake.
//!
//! One walk that never follows symlinks; entries are classified by
//! `readdir`'s file type, directories by name alone, and only regular files
//! are `fstatat`ed, for their size and mtime.

use std::ffi::{CStr, OsStr};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{fstatat, Mode};
use serde::Serialize;

use crate::config::Profile;
use crate::inspect::coverage::{self, Coverage, PartitionSeen};
use crate::inspect::lake_index::{LakeIndex, Tally};
use crate::local::fswalk::{self, EntryKind, MAX_DEPTH};
use crate::local::partition::{cutoff_date, partition_date};
use crate::state::absorbed::Record;
use crate::state::checkpoint::Checkpoint;
use crate::state::quarantine::{self};
use crate::state::replaced;
use crate::vocab::error::{Error, Result};
use crate::vocab::names::PARTIAL_DIR;
use crate::vocab::names::{LANDING_DIR, QUARANTINE_DIR, REPLACED_DIR};
use crate::vocab::units::human_size;

/// Statistics of one profile's local directory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileStats {
    /// Profile name (legacy key).
    pub profile_name: String,
    /// The profile's directory (legacy key).
    pub local_path: PathBuf,
    /// `user@host:remote_root` (legacy key).
    pub remote_source: String,
    /// Whether the directory exists (legacy key).
    pub exists: bool,
    /// Bytes of regular files (legacy key).
    pub total_size: u64,
    /// `1.50 GiB` style (legacy key; IEC units, see [`human_size`]).
    pub total_size_human: String,
    /// Regular files, partial files excluded (legacy key).
    pub file_count: u64,
    /// Directories below the profile directory (legacy key).
    pub dir_count: u64,
    /// Oldest partition date (legacy key).
    pub earliest_date: Option<NaiveDate>,
    /// Newest partition date (legacy key).
    pub latest_date: Option<NaiveDate>,
    /// From the checkpoint (legacy key).
    pub last_sync_time: Option<DateTime<Utc>>,
    /// From the checkpoint (legacy key).
    pub last_sync_status: Option<String>,
    /// From the config (legacy key).
    pub retention_days: u32,
    /// Dated partitions.
    pub partition_count: u64,
    /// Newest file modification time: data freshness.
    pub newest_file_mtime: Option<DateTime<Utc>>,
    /// Partitions past retention not yet cleaned.
    pub expired_partitions: u64,
    /// Their bytes.
    pub expired_bytes: u64,
    /// Files in `.rsync-partial` directories (interrupted transfers).
    pub partial_files: u64,
    /// Their bytes.
    pub partial_bytes: u64,
    /// Symlinks seen (never followed).
    pub symlinks: u64,
    /// From the checkpoint.
    pub last_sync_duration_seconds: Option<f64>,
    /// From the checkpoint.
    pub last_sync_bytes: Option<u64>,
    /// From the checkpoint.
    pub last_success_time: Option<DateTime<Utc>>,
    /// From the checkpoint.
    pub consecutive_failures: u32,
    /// Files in the quarantine folder (broken Parquet files a sync moved aside).
    pub quarantined_files: u64,
    /// Earlier versions of replaced files kept in `.datalake-replaced` (see
    /// [`crate::state::replaced`]), not counted in `file_count`.
    pub kept_versions: u64,
    /// Their bytes (not in `total_size`).
    pub kept_bytes: u64,
    /// Days missing, summed over the series (see [`crate::inspect::coverage`]).
    pub missing_days: u64,
    /// Series without a partition for the profile's latest day.
    pub stopped_series: u64,
    /// The Delta table's version, from its record (`None`: never compacted).
    pub table_version: Option<u64>,
    /// Series-days the table holds.
    pub table_days: u64,
    /// The table's data files.
    pub table_files: u64,
    /// Their bytes.
    pub table_bytes: u64,
    /// Their rows.
    pub table_rows: u64,
    /// Raw parts the table absorbed (and that left the lake unless `keep_raw`).
    pub absorbed_parts: u64,
    /// Their bytes.
    pub absorbed_bytes: u64,
}

impl ProfileStats {
    /// Take the last run's figures from `checkpoint` (the lake's come from
    /// the walk): a walk made while a run went on gets them once the run has
    /// recorded itself.
    pub fn set_last_run(&mut self, checkpoint: Option<&Checkpoint>) {
        let ran = checkpoint.filter(|c| c.last_sync_time.is_some() || c.last_sync_status.is_some());
        self.last_sync_time = checkpoint.and_then(|c| c.last_sync_time);
        self.last_sync_status = checkpoint.and_then(|c| c.last_sync_status.clone());
        self.last_sync_duration_seconds = ran.map(|c| c.duration_seconds);
        self.last_sync_bytes = ran.map(|c| c.bytes_transferred);
        self.last_success_time = checkpoint.and_then(|c| c.last_success_time);
        self.consecutive_failures = checkpoint.map_or(0, |c| c.consecutive_failures);
    }
}

/// Walk `profile.local_dir` (without following symlinks) and combine with
/// `checkpoint`. A missing directory gives `exists: false` and zeros.
///
/// Counts: regular files and their bytes outside `.rsync-partial` directories
/// (files inside those are `partial_files`/`partial_bytes`), directories below
/// the profile directory except `.rsync-partial` ones and what they hold,
/// symlinks anywhere. The Delta table, when it sits in the profile directory,
/// counts in these like any directory (its data files, log and record), but
/// its `date=` directories are not partitions and its files say nothing of
/// freshness; what it holds comes from its record: `table_*`, `absorbed_*`,
/// and the series-days only the table holds count in `partition_count`, the
/// date range, `expired_partitions`/`expired_bytes` and coverage. A file's bytes count as expired when its nearest
/// partition ancestor is dated before the retention cutoff. Files vanishing
/// during the walk (a cleanup running) are ignored; an unreadable directory is
/// an error. Like `du`, the walk crosses into mounted filesystems.
pub fn collect(profile: &Profile, checkpoint: Option<&Checkpoint>, today: NaiveDate) -> Result<ProfileStats> {
    collect_with_coverage(profile, checkpoint, today).map(|(stats, _)| stats)
}

/// [`collect`], and the coverage worked out from the same walk. The
/// quarantine and kept-versions folders are not walked as lake data: their
/// files are counted in `quarantined_files` and `kept_versions`/`kept_bytes`.
pub fn collect_with_coverage(
    profile: &Profile,
    checkpoint: Option<&Checkpoint>,
    today: NaiveDate,
) -> Result<(ProfileStats, Coverage)> {
    collect_inner(profile, checkpoint, today, None)
}

/// [`collect_with_coverage`] that reads only what changed since `previous`
/// (see [`crate::inspect::lake_index`]) and returns the index for next time.
pub fn collect_indexed(
    profile: &Profile,
    checkpoint: Option<&Checkpoint>,
    today: NaiveDate,
    previous: Option<&LakeIndex>,
) -> Result<(ProfileStats, Coverage, LakeIndex)> {
    let mut next = LakeIndex::new(profile);
    let started = Utc::now().timestamp();
    let indexing = Indexing { previous, next: &mut next, started };
    let (stats, coverage) = collect_inner(profile, checkpoint, today, Some(indexing))?;
    Ok((stats, coverage, next))
}

fn collect_inner(
    profile: &Profile,
    checkpoint: Option<&Checkpoint>,
    today: NaiveDate,
    index: Option<Indexing<'_>>,
) -> Result<(ProfileStats, Coverage)> {
    let mut partitions = Vec::new();
    let mut stats = walk_lake(profile, checkpoint, today, &mut partitions, index)?;
    let quarantined = if stats.exists { quarantine::list(&profile.local_dir)? } else { Vec::new() };
    let cutoff = cutoff_date(today, profile.retention_days);
    let table_days = count_table(profile, &mut stats, &partitions, cutoff)?;
    let coverage = coverage::analyze(&profile.name, today, cutoff, &partitions, &table_days, &quarantined);
    stats.quarantined_files = coverage.quarantined_files;
    if stats.exists {
        (stats.kept_versions, stats.kept_bytes) = replaced::usage(&profile.local_dir);
    }
    stats.missing_days = coverage.missing_days;
    stats.stopped_series = coverage.stopped_series;
    Ok((stats, coverage))
}

/// Add the table to `stats`: its directory's files and bytes when it sits in
/// the profile directory, and what its record holds. Returns the series-days
/// the table holds (for coverage).
fn count_table(
    profile: &Profile,
    stats: &mut ProfileStats,
    partitions: &[PartitionSeen],
    cutoff: NaiveDate,
) -> Result<Vec<(String, NaiveDate)>> {
    let Some(record) = Record::load(profile)? else { return Ok(Vec::new()) };
    let table = profile.compact.table.local_path();
    if stats.exists && table.parent() == Some(profile.local_dir.as_path()) {
        for entry in walkdir::WalkDir::new(table).min_depth(1).follow_links(false) {
            let Ok(entry) = entry else { continue };
            match entry.metadata() {
                Ok(m) if m.is_file() => {
                    stats.file_count += 1;
                    stats.total_size += m.len();
                }
                Ok(m) if m.is_dir() => stats.dir_count += 1,
                _ => {}
            }
        }
        stats.dir_count += 1;
        stats.total_size_human = human_size(stats.total_size);
    }
    let totals = record.totals();
    stats.table_version = record.table_version;
    stats.table_days = totals.days;
    stats.table_files = totals.files;
    stats.table_bytes = totals.bytes;
    stats.table_rows = totals.rows;
    stats.absorbed_parts = totals.parts;
    stats.absorbed_bytes = totals.raw_bytes;
    let raw: std::collections::BTreeSet<(String, NaiveDate)> =
        partitions.iter().filter_map(|p| coverage::series_of(&p.rel)).collect();
    let mut days = Vec::with_capacity(record.days.len());
    for d in &record.days {
        let key = (d.series.clone(), d.date);
        if !raw.contains(&key) {
            stats.partition_count += 1;
            stats.expired_partitions += u64::from(d.date < cutoff);
            stats.earliest_date = Some(stats.earliest_date.map_or(d.date, |e| e.min(d.date)));
            stats.latest_date = Some(stats.latest_date.map_or(d.date, |l| l.max(d.date)));
        }
        if d.date < cutoff {
            stats.expired_bytes += d.bytes();
        }
        days.push(key);
    }
    Ok(days)
}

fn walk_lake(
    profile: &Profile,
    checkpoint: Option<&Checkpoint>,
    today: NaiveDate,
    partitions: &mut Vec<PartitionSeen>,
    index: Option<Indexing<'_>>,
) -> Result<ProfileStats> {
    let mut stats = ProfileStats {
        profile_name: profile.name.clone(),
        local_path: profile.local_dir.clone(),
        remote_source: profile.source.display_remote(),
        exists: false,
        total_size: 0,
        total_size_human: String::new(),
        file_count: 0,
        dir_count: 0,
        earliest_date: None,
        latest_date: None,
        last_sync_time: None,
        last_sync_status: None,
        retention_days: profile.retention_days,
        partition_count: 0,
        newest_file_mtime: None,
        expired_partitions: 0,
        expired_bytes: 0,
        partial_files: 0,
        partial_bytes: 0,
        symlinks: 0,
        last_sync_duration_seconds: None,
        last_sync_bytes: None,
        last_success_time: None,
        consecutive_failures: 0,
        quarantined_files: 0,
        kept_versions: 0,
        kept_bytes: 0,
        missing_days: 0,
        stopped_series: 0,
        table_version: None,
        table_days: 0,
        table_files: 0,
        table_bytes: 0,
        table_rows: 0,
        absorbed_parts: 0,
        absorbed_bytes: 0,
    };
    stats.set_last_run(checkpoint);
    let root = profile.local_dir.as_path();
    if fswalk::profile_dir(root, "read directory")?.is_none() {
        stats.total_size_human = human_size(0);
        return Ok(stats);
    }
    stats.exists = true;

    let cutoff = cutoff_date(today, profile.retention_days);
    // The profile directory itself may be a symlink (to a bigger disk): follow
    // that one, nothing below it.
    let mut dir = match Dir::open(root, OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty()) {
        Ok(dir) => dir,
        Err(Errno::ENOENT) => {
            stats.exists = false;
            stats.total_size_human = human_size(0);
            return Ok(stats);
        }
        Err(e) => return Err(Error::io_default("read directory", root, e.into())),
    };
    let table = profile.compact.table.local_path();
    let table_name = (table.parent() == Some(root)).then(|| table.file_name().map(OsStr::to_os_string)).flatten();
    let mut walker = Walker {
        root,
        cutoff,
        rel: PathBuf::new(),
        newest: None,
        stats: &mut stats,
        partitions,
        current: None,
        index,
        table_name,
    };
    walker.walk(&mut dir, 0, false, None)?;
    let newest = walker.newest;
    stats.total_size_human = human_size(stats.total_size);
    stats.newest_file_mtime = newest.and_then(|(secs, nanos)| DateTime::from_timestamp(secs, nanos as u32));
    Ok(stats)
}

/// The walk itself: directories are read through descriptors (`openat` with
/// `O_NOFOLLOW`, `fstatat` relative to the directory), as `du` does, so no
/// path is resolved from the root for every file and nothing is allocated
/// per file. walkdir's path-based `lstat` made stats about 1.4x slower than
/// `du -s` on a deep lake; the cleaner's scan, which stats directories only,
/// still uses walkdir.
struct Walker<'a> {
    root: &'a Path,
    cutoff: NaiveDate,
    /// Path of the directory being read, relative to `root`.
    rel: PathBuf,
    /// Newest regular-file mtime, as (seconds, nanoseconds).
    newest: Option<(i64, i64)>,
    stats: &'a mut ProfileStats,
    /// Partition directories met, for coverage.
    partitions: &'a mut Vec<PartitionSeen>,
    /// Index in `partitions` of the nearest partition ancestor.
    current: Option<usize>,
    /// When the walk keeps a [`LakeIndex`]: the previous one to reuse, the new one to fill.
    index: Option<Indexing<'a>>,
    /// The table's directory name, when it sits directly in the profile directory.
    table_name: Option<std::ffi::OsString>,
}

/// A walk that reuses the tallies of unchanged partitions and records new ones.
pub(crate) struct Indexing<'a> {
    /// The index of the previous walk, if any.
    pub previous: Option<&'a LakeIndex>,
    /// The index this walk writes.
    pub next: &'a mut LakeIndex,
    /// When the walk started, in seconds since the epoch.
    pub started: i64,
}

/// What the walk does with a partition directory.
enum PartitionWalk {
    /// Its tally was reused; do not read it.
    Reused,
    /// Read it; its directory mtime, when the tally may be reused next time.
    Read(Option<(i64, i64)>),
}

impl Walker<'_> {
    /// Read `dir` (at `self.rel`). `in_partial`: inside a `.rsync-partial`
    /// directory; `partition`: whether the nearest partition ancestor is expired.
    fn walk(&mut self, dir: &mut Dir, depth: usize, in_partial: bool, partition: Option<bool>) -> Result<()> {
        if depth > MAX_DEPTH {
            let hint = "below the profile directory; is there a loop of bind mounts?";
            return Err(fswalk::too_deep("read directory", &self.root.join(&self.rel), hint));
        }
        let fd = dir.as_raw_fd();
        for entry in dir.iter() {
            let entry = entry.map_err(|e| Error::io_default("read directory", self.root.join(&self.rel), e.into()))?;
            if fswalk::is_dot(&entry) {
                continue;
            }
            let name = entry.file_name();
            let (kind, stat) = match fswalk::entry_kind(fd, &entry) {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(e) => return Err(self.error("read metadata of", name, e)),
            };
            match kind {
                EntryKind::Symlink => self.stats.symlinks += 1,
                EntryKind::File => {
                    let st = match stat {
                        Some(st) => st,
                        None => match fstatat(Some(fd), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
                            Ok(st) => st,
                            Err(Errno::ENOENT) => continue,
                            Err(e) => return Err(self.error("read metadata of", name, e)),
                        },
                    };
                    let len = st.st_size.max(0) as u64;
                    if let Some(i) = self.current {
                        let seen = &mut self.partitions[i];
                        if in_partial {
                            seen.partial = true;
                        } else {
                            seen.files += 1;
                        }
                    }
                    if in_partial {
                        self.stats.partial_files += 1;
                        self.stats.partial_bytes += len;
                        continue;
                    }
                    self.stats.file_count += 1;
                    self.stats.total_size += len;
                    if partition == Some(true) {
                        self.stats.expired_bytes += len;
                    }
                    let mtime = (st.st_mtime, st.st_mtime_nsec);
                    if self.newest.is_none_or(|n| mtime > n) {
                        self.newest = Some(mtime);
                    }
                }
                EntryKind::Directory => {
                    let os_name = OsStr::from_bytes(name.to_bytes());
                    if depth == 0 && os_name == LANDING_DIR {
                        // Files a running sync has not checked yet: not lake data.
                        continue;
                    }
                    if depth == 0 && (os_name == QUARANTINE_DIR || os_name == REPLACED_DIR) {
                        // Not lake data: counted apart by `collect_with_coverage`.
                        continue;
                    }
                    if depth == 0 && self.table_name.as_deref() == Some(os_name) {
                        // The Delta table: counted apart by `count_table`, from its record.
                        continue;
                    }
                    let mut dir_mtime = None;
                    if !in_partial && os_name != PARTIAL_DIR && self.index.is_some() {
                        self.rel.push(os_name);
                        let date = partition_date(&self.rel);
                        self.rel.pop();
                        if let Some(date) = date {
                            match self.partition_walk(fd, name, date)? {
                                PartitionWalk::Reused => continue,
                                PartitionWalk::Read(mtime) => dir_mtime = mtime,
                            }
                        }
                    }
                    let mut sub = match fswalk::open_subdir(fd, &entry) {
                        Ok(Some(sub)) => sub,
                        Ok(None) => continue,
                        Err(e) => return Err(self.error("read directory", name, e)),
                    };
                    self.rel.push(os_name);
                    let mut sub_partial = in_partial;
                    let mut sub_partition = partition;
                    let outer = self.current;
                    if in_partial {
                        // Nothing below a partial directory counts as a directory.
                    } else if os_name == PARTIAL_DIR {
                        sub_partial = true;
                    } else {
                        self.stats.dir_count += 1;
                        if let Some(date) = partition_date(&self.rel) {
                            let expired = date < self.cutoff;
                            self.stats.partition_count += 1;
                            self.stats.expired_partitions += u64::from(expired);
                            self.stats.earliest_date = Some(self.stats.earliest_date.map_or(date, |e| e.min(date)));
                            self.stats.latest_date = Some(self.stats.latest_date.map_or(date, |l| l.max(date)));
                            sub_partition = Some(expired);
                            self.current = Some(self.partitions.len());
                            self.partitions.push(PartitionSeen {
                                rel: self.rel.clone(),
                                date,
                                files: 0,
                                partial: false,
                            });
                        }
                    }
                    let is_partition = self.current != outer;
                    let before = is_partition.then(|| self.counts());
                    let newest_outside = if is_partition { self.newest.take() } else { None };
                    let result = self.walk(&mut sub, depth + 1, sub_partial, sub_partition);
                    if let Some(before) = before {
                        self.record_partition(before, newest_outside, dir_mtime);
                    }
                    self.current = outer;
                    self.rel.pop();
                    result?;
                }
                // Fifos, sockets, devices: not data.
                EntryKind::Other => {}
            }
        }
        Ok(())
    }

    /// Reuse the tally of the partition `name` (dated `date`, in the directory
    /// `fd`) when its directory is unchanged since the previous walk.
    fn partition_walk(&mut self, fd: RawFd, name: &CStr, date: NaiveDate) -> Result<PartitionWalk> {
        let Some(indexing) = self.index.as_ref() else { return Ok(PartitionWalk::Read(None)) };
        let st = match fstatat(Some(fd), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            // Gone (retention running): the walk below skips it too.
            Err(Errno::ENOENT) => return Ok(PartitionWalk::Read(None)),
            Err(e) => return Err(self.error("read metadata of", name, e)),
        };
        let mtime = (st.st_mtime, st.st_mtime_nsec);
        let settled = fswalk::mtime_settled(mtime.0, indexing.started);
        let rel = self.rel.join(OsStr::from_bytes(name.to_bytes()));
        let reusable = indexing
            .previous
            .and_then(|previous| previous.partitions.get(&rel))
            .filter(|tally| tally.date == Some(date) && tally.reusable(mtime))
            .cloned();
        let Some(tally) = reusable.filter(|_| settled) else {
            return Ok(PartitionWalk::Read(settled.then_some(mtime)));
        };
        let expired = date < self.cutoff;
        let stats = &mut *self.stats;
        stats.dir_count += 1 + tally.dirs;
        stats.partition_count += 1;
        stats.expired_partitions += u64::from(expired);
        stats.earliest_date = Some(stats.earliest_date.map_or(date, |e| e.min(date)));
        stats.latest_date = Some(stats.latest_date.map_or(date, |l| l.max(date)));
        stats.file_count += tally.files;
        stats.total_size += tally.bytes;
        stats.expired_bytes += if expired { tally.bytes } else { 0 };
        stats.partial_files += tally.partial_files;
        stats.partial_bytes += tally.partial_bytes;
        stats.symlinks += tally.symlinks;
        if let Some(newest) = tally.newest {
            if self.newest.is_none_or(|n| newest > n) {
                self.newest = Some(newest);
            }
        }
        self.partitions.push(PartitionSeen { rel: rel.clone(), date, files: tally.files, partial: tally.partial });
        if let Some(indexing) = self.index.as_mut() {
            indexing.next.partitions.insert(rel, tally);
            indexing.next.reused += 1;
        }
        Ok(PartitionWalk::Reused)
    }

    /// The counts a partition's tally is the difference of.
    fn counts(&self) -> [u64; 7] {
        let s = &self.stats;
        [s.file_count, s.total_size, s.partial_files, s.partial_bytes, s.dir_count, s.symlinks, s.partition_count]
    }

    /// After reading the partition at `self.rel` (the last one pushed to
    /// `partitions`): its tally, from the counts before and after.
    fn record_partition(
        &mut self,
        before: [u64; 7],
        newest_outside: Option<(i64, i64)>,
        dir_mtime: Option<(i64, i64)>,
    ) {
        let newest_inside = self.newest;
        self.newest = newest_outside.max(newest_inside);
        let after = self.counts();
        let [files, bytes, partial_files, partial_bytes, dirs, symlinks, nested] =
            std::array::from_fn(|i| after[i] - before[i]);
        let seen = self.current.and_then(|i| self.partitions.get(i));
        let tally = Tally {
            date: seen.map(|s| s.date),
            files,
            bytes,
            partial_files,
            partial_bytes,
            dirs,
            symlinks,
            nested_partitions: nested,
            newest: newest_inside,
            partial: seen.is_some_and(|s| s.partial),
            dir_mtime,
        };
        if let Some(indexing) = self.index.as_mut() {
            indexing.next.partitions.insert(self.rel.clone(), tally);
        }
    }

    fn error(&self, action: &str, name: &CStr, e: Errno) -> Error {
        let path = self.root.join(&self.rel).join(OsStr::from_bytes(name.to_bytes()));
        Error::io_default(action, path, e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_support::test_profile;
    use crate::state::checkpoint::RunRecord;
    use std::fs;
    use std::os::unix::fs::symlink;
    use std::path::Path;
    use std::time::{Duration, SystemTime};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn write(path: &Path, len: usize, mtime: SystemTime) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, vec![b'x'; len]).unwrap();
        fs::File::options().write(true).open(path).unwrap().set_modified(mtime).unwrap();
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1.00 KiB");
        assert_eq!(human_size(1536), "1.50 KiB");
        assert_eq!(human_size(65_536), "64.00 KiB");
        assert_eq!(human_size(17_694_720), "16.88 MiB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.00 MiB");
        assert_eq!(human_size(1024 * 1024 * 1024 * 3 / 2), "1.50 GiB");
        assert_eq!(human_size(1 << 40), "1.00 TiB");
        assert_eq!(human_size(1 << 50), "1.00 PiB");
        assert_eq!(human_size(1 << 60), "1024.00 PiB");
        assert_eq!(human_size(u64::MAX), "16384.00 PiB");
    }

    #[test]
    fn missing_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let profile = test_profile(&tmp.path().join("nope"), 30);
        let s = collect(&profile, None, d("2024-03-10")).unwrap();
        assert!(!s.exists);
        assert_eq!((s.file_count, s.dir_count, s.total_size, s.partition_count), (0, 0, 0, 0));
        assert_eq!(s.total_size_human, "0 B");
        assert_eq!(s.remote_source, "ubuntu@10.0.0.11:/var/data/cex_tickers");
        assert_eq!((s.last_sync_time, s.last_sync_duration_seconds, s.consecutive_failures), (None, None, 0));
    }

    #[test]
    fn generated_tree_exact_values() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("lake");
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let newest = base + Duration::from_secs(5000);
        // today 2024-03-10, retention 3 -> cutoff 2024-03-08.
        write(&root.join("gate_BTC_20240301/part_00001.parquet"), 100, base); // expired
        write(&root.join("gate_BTC_20240301/sub/part_00002.parquet"), 50, base); // expired, nested
        write(&root.join("gate_BTC_20240309/part_00001.parquet"), 200, newest);
        write(&root.join("gate_BTC_20240309/.rsync-partial/part_00002.parquet"), 77, newest + Duration::from_secs(99));
        write(&root.join("binance/2024/03/07/a.parquet"), 10, base); // expired, nested layout
        write(&root.join("binance/2024/03/10/a.parquet"), 20, base);
        write(&root.join("kv/year=2024/month=02/day=29/a"), 1, base); // expired
        write(&root.join("dt=2024-03-08/a"), 2, base); // cutoff day: kept
        write(&root.join("README.md"), 3, base); // top-level file
        write(&root.join("misc/notes.txt"), 4, base);
        write(&root.join(".rsync-partial/big"), 1000, base);
        write(&root.join(".rsync-partial/nested/x"), 5, base);
        fs::create_dir_all(root.join("empty")).unwrap();
        // A partition inside an expired one but kept: bytes go to the nearest.
        write(&root.join("gate_BTC_20240301/20240309/c"), 8, base);
        // Symlinks are counted, never followed.
        let outside = tmp.path().join("outside");
        write(&outside.join("x_20200101/huge"), 10_000, newest + Duration::from_secs(1000));
        symlink(outside.join("x_20200101"), root.join("link_20200101")).unwrap();
        symlink(outside.join("x_20200101/huge"), root.join("gate_BTC_20240309/huge")).unwrap();
        symlink("/nonexistent", root.join("dangling")).unwrap();

        let profile = test_profile(&root, 3);
        let s = collect(&profile, None, d("2024-03-10")).unwrap();
        assert!(s.exists);
        assert_eq!(s.file_count, 10);
        assert_eq!(s.total_size, 100 + 50 + 200 + 10 + 20 + 1 + 2 + 3 + 4 + 8);
        assert_eq!(s.total_size_human, "398 B");
        // gate_BTC_20240301{,/sub,/20240309} gate_BTC_20240309 binance{,/2024,/2024/03,/2024/03/07,/2024/03/10}
        // kv{,/year=2024,/month=02,/day=29} dt=2024-03-08 misc empty
        assert_eq!(s.dir_count, 3 + 1 + 5 + 4 + 1 + 2);
        assert_eq!(s.partition_count, 7);
        assert_eq!(s.earliest_date, Some(d("2024-02-29")));
        assert_eq!(s.latest_date, Some(d("2024-03-10")));
        assert_eq!(s.expired_partitions, 3);
        assert_eq!(s.expired_bytes, 100 + 50 + 10 + 1);
        assert_eq!((s.partial_files, s.partial_bytes), (3, 77 + 1000 + 5));
        assert_eq!(s.symlinks, 3);
        assert_eq!(s.newest_file_mtime, Some(DateTime::<Utc>::from(newest)));
        assert_eq!(s.retention_days, 3);
        assert_eq!(s.local_path, root);
    }

    #[test]
    fn checkpoint_fields_are_copied() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("lake");
        fs::create_dir_all(&root).unwrap();
        let mut cp = Checkpoint::new("cex_ticks");
        let t: DateTime<Utc> = "2026-11-26T03:00:00Z".parse().unwrap();
        cp.record_run(RunRecord {
            started_at: t,
            status: crate::vocab::status::SyncStatus::Success,
            files_transferred: 3,
            bytes_transferred: 4096,
            duration_seconds: 2.5,
            rsync_exit_code: Some(0),
            errors: vec![],
        });
        cp.record_run(RunRecord {
            started_at: t + chrono::TimeDelta::hours(1),
            status: crate::vocab::status::SyncStatus::Failed,
            files_transferred: 0,
            bytes_transferred: 0,
            duration_seconds: 0.5,
            rsync_exit_code: Some(12),
            errors: vec!["x".into()],
        });
        let s = collect(&test_profile(&root, 30), Some(&cp), d("2026-11-26")).unwrap();
        assert_eq!(s.last_sync_time, Some(t + chrono::TimeDelta::hours(1)));
        assert_eq!(s.last_sync_status.as_deref(), Some("failed"));
        assert_eq!((s.last_sync_duration_seconds, s.last_sync_bytes), (Some(0.5), Some(0)));
        assert_eq!((s.last_success_time, s.consecutive_failures), (Some(t), 1));
        assert_eq!((s.file_count, s.dir_count, s.newest_file_mtime), (0, 0, None));

        // A checkpoint that only marks a run in progress has no last run.
        let fresh = Checkpoint::new("cex_ticks");
        let s = collect(&test_profile(&root, 30), Some(&fresh), d("2026-11-26")).unwrap();
        assert_eq!((s.last_sync_duration_seconds, s.last_sync_bytes), (None, None));
    }

    #[test]
    fn symlinked_profile_dir_is_walked() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("disk/lake");
        write(&real.join("x_20240309/f"), 9, SystemTime::now());
        let link = tmp.path().join("lake");
        symlink(&real, &link).unwrap();
        let s = collect(&test_profile(&link, 3), None, d("2024-03-10")).unwrap();
        assert_eq!((s.file_count, s.total_size, s.partition_count, s.symlinks), (1, 9, 1, 0));
    }

    #[test]
    fn file_instead_of_dir_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        fs::write(&file, "x").unwrap();
        let err = collect(&test_profile(&file, 3), None, d("2024-03-10")).unwrap_err();
        assert_eq!(err.kind(), crate::vocab::error::ErrorKind::Io);
    }

    #[test]
    fn cleanup_applies_retention_inside_the_quarantine_and_stats_count_it_apart() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let profile = crate::config::test_support::test_profile(root, 3);
        let today: chrono::NaiveDate = "2026-11-30".parse().unwrap();
        for rel in ["x_20261130/a.parquet", "x_20261101/a.parquet"] {
            std::fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
            std::fs::write(root.join(rel), crate::local::parquet_check::tests::parquet_bytes(10)).unwrap();
        }
        for rel in ["x_20261130/b.parquet", "x_20261101/b.parquet"] {
            let q = root.join(crate::vocab::names::QUARANTINE_DIR).join(rel);
            std::fs::create_dir_all(q.parent().unwrap()).unwrap();
            std::fs::write(q, b"broken").unwrap();
        }
        let stats = collect(&profile, None, today).unwrap();
        assert_eq!((stats.file_count, stats.quarantined_files, stats.partition_count), (2, 2, 2));
        let report =
            crate::state::cleaner::clean(&profile, today, false, &mut crate::rsync::process::Unobserved).unwrap();
        assert!(
            report.deleted_paths.contains(&root.join(crate::vocab::names::QUARANTINE_DIR).join("x_20261101")),
            "{report:?}"
        );
        assert!(report.deleted_paths.contains(&root.join("x_20261101")));
        assert_eq!(crate::state::quarantine::list(root).unwrap(), vec![PathBuf::from("x_20261130/b.parquet")]);
    }

    /// A tiny deterministic generator (no dependency for one test).
    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    fn set_mtime(path: &Path, secs: u64) {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        fs::File::open(path).unwrap().set_modified(t).unwrap();
    }

    #[test]
    fn the_indexed_walk_equals_a_fresh_walk_after_random_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("cex_ticks");
        let profile = test_profile(&root, 10);
        let today = d("2026-11-30");
        let mut rng = Lcg(7);
        // Old, distinct times, as if each change happened a while ago.
        let mut clock = 1_700_000_000u64;
        let mut tick = || {
            clock += 10;
            clock
        };
        let partitions: Vec<String> = (0..24)
            .map(|i| format!("{}_{}", ["gate_io_A-USDT", "mexc_B-USDT"][i % 2], 20261101 + (i / 2) * 2))
            .collect();
        for p in &partitions {
            for f in 0..3 {
                write(&root.join(p).join(format!("part_{f}.parquet")), 100 + f, SystemTime::UNIX_EPOCH);
            }
            set_mtime(&root.join(p), tick());
        }
        let mut previous = None;
        let mut reused = 0;
        for step in 0..80 {
            let p = &partitions[rng.below(partitions.len() as u64) as usize];
            let dir = root.join(p);
            match rng.below(7) {
                0 if dir.exists() => {
                    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(tick());
                    write(&dir.join(format!("part_{}.parquet", 10 + step)), 50 + step, t);
                    set_mtime(&dir, tick());
                }
                1 if dir.exists() => {
                    if let Some(entry) = fs::read_dir(&dir).unwrap().flatten().find(|e| e.path().is_file()) {
                        fs::remove_file(entry.path()).unwrap();
                    }
                    set_mtime(&dir, tick());
                }
                2 => {
                    let _ = fs::remove_dir_all(&dir);
                }
                3 if !dir.exists() => {
                    write(&dir.join("part_0.parquet"), 77, SystemTime::UNIX_EPOCH);
                    set_mtime(&dir, tick());
                }
                4 if dir.exists() => {
                    write(&dir.join(PARTIAL_DIR).join("part_9.parquet"), 33, SystemTime::UNIX_EPOCH);
                    set_mtime(&dir.join(PARTIAL_DIR), tick());
                    set_mtime(&dir, tick());
                }
                5 if dir.join(PARTIAL_DIR).exists() => {
                    fs::remove_dir_all(dir.join(PARTIAL_DIR)).unwrap();
                    set_mtime(&dir, tick());
                }
                // A change made just now: the walk must not trust that directory's mtime yet.
                6 if dir.exists() => write(&dir.join(format!("late_{step}.parquet")), 9, SystemTime::now()),
                _ => {}
            }
            let (stats, coverage, index) = collect_indexed(&profile, None, today, previous.as_ref()).unwrap();
            let (fresh, fresh_coverage) = collect_with_coverage(&profile, None, today).unwrap();
            assert_eq!(stats, fresh, "step {step}");
            assert_eq!(coverage.to_json_value(), fresh_coverage.to_json_value(), "step {step}");
            reused += index.reused;
            previous = Some(index);
        }
        assert!(reused > 500, "unchanged partitions were read again ({reused} reused)");
    }
}
