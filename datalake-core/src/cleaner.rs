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

use std::ffi::{CStr, OsStr};
use std::fs;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use chrono::{Days, Local, NaiveDate, NaiveTime, TimeZone};
use nix::dir::{Dir, Type};
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{fstat, fstatat, Mode, SFlag};
use nix::unistd::{unlinkat, UnlinkatFlags};
use serde::Serialize;
use walkdir::WalkDir;

use crate::config::{Profile, Timezone};
use crate::error::{Error, Result};
use crate::partition::{partition_date, partition_layout, Layout};

/// Name of the partial-transfer directory the syncer gives rsync.
pub const PARTIAL_DIR: &str = ".rsync-partial";

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

/// The first day kept: `today - (retention_days - 1)`.
///
/// `retention_days` below 1 is treated as 1 (the config rejects it anyway).
pub fn cutoff_date(today: NaiveDate, retention_days: u32) -> NaiveDate {
    let back = u64::from(retention_days.max(1) - 1);
    today.checked_sub_days(Days::new(back)).unwrap_or(NaiveDate::MIN)
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
/// delete something is an [`Error::Io`].
pub fn clean(profile: &Profile, today: NaiveDate, dry_run: bool) -> Result<CleanupReport> {
    let clock = Instant::now();
    let cutoff = cutoff_date(today, profile.retention_days);
    let root = profile.local_dir.as_path();
    let mut cleaner = Cleaner {
        root,
        root_dev: 0,
        cutoff,
        partial_cutoff: start_of_day(cutoff, profile.timezone),
        dry_run,
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
    match fs::metadata(root) {
        Ok(meta) if meta.is_dir() => cleaner.root_dev = meta.dev(),
        Ok(_) => {
            return Err(Error::io(
                "clean",
                root,
                io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
                "the profile's local directory is a file: move it away or change local_subdir",
            ))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            cleaner.report.duration_seconds = clock.elapsed().as_secs_f64();
            return Ok(cleaner.report);
        }
        Err(e) => return Err(Error::io_default("read directory", root, e)),
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
    report: CleanupReport,
}

impl Cleaner<'_> {
    fn skip(&mut self, path: impl Into<PathBuf>, reason: impl Into<String>) {
        self.report.skipped.push(SkippedPath { path: path.into(), reason: reason.into() });
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
        }
        // Walk order is the filesystem's: sort for stable reports.
        self.report.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        self.report.deleted.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(())
    }

    /// Walk `start` without following symlinks or leaving the filesystem.
    /// With `found`, record partitions (not descending into expired ones);
    /// always clean `.rsync-partial` directories met on the way.
    fn scan(&mut self, start: PathBuf, mut found: Option<&mut Vec<Found>>) -> Result<()> {
        // Only the profile directory itself may be a followed link.
        let follow_root = start == self.root;
        let mut walk = WalkDir::new(&start).follow_links(false).follow_root_links(follow_root).into_iter();
        while let Some(next) = walk.next() {
            let entry = match next {
                Ok(entry) => entry,
                Err(err) => {
                    let depth = err.depth();
                    let path = err.path().map(Path::to_path_buf).unwrap_or_else(|| start.clone());
                    let io = walk_io_error(err);
                    if io.kind() == io::ErrorKind::NotFound {
                        continue;
                    }
                    if depth == 0 && path == self.root {
                        return Err(Error::io_default("read directory", path, io));
                    }
                    self.skip(path, format!("cannot read it ({io}): left alone; check its permissions"));
                    continue;
                }
            };
            if entry.depth() == 0 {
                if !follow_root && !entry.file_type().is_dir() {
                    // Replaced by something else since it was found.
                    return Ok(());
                }
                continue;
            }
            let file_type = entry.file_type();
            let Ok(rel) = entry.path().strip_prefix(self.root) else { continue };
            if file_type.is_symlink() {
                if let Some(reason) = symlink_reason(entry.path(), rel) {
                    self.skip(entry.path(), reason);
                }
                continue;
            }
            if !file_type.is_dir() {
                continue;
            }
            let meta = match entry.metadata() {
                Ok(m) => m,
                Err(err) => {
                    let io = walk_io_error(err);
                    if io.kind() != io::ErrorKind::NotFound {
                        self.skip(entry.path(), format!("cannot read it ({io}): left alone; check its permissions"));
                    }
                    walk.skip_current_dir();
                    continue;
                }
            };
            if meta.dev() != self.root_dev {
                self.skip(entry.path(), "mount point of another filesystem: not entered");
                walk.skip_current_dir();
                continue;
            }
            if entry.file_name() == PARTIAL_DIR {
                walk.skip_current_dir();
                self.clean_partial_dir(entry.path())?;
                continue;
            }
            if let Some(found) = found.as_deref_mut() {
                if let Some((date, layout)) = partition_layout(rel) {
                    found.push(Found { path: entry.path().to_path_buf(), date, layout });
                    if date < self.cutoff {
                        walk.skip_current_dir();
                        continue;
                    }
                }
            }
            if meta.nlink() == 2 {
                // A directory's link count is 2 + its subdirectories on the
                // filesystems that keep it (ext4, xfs, tmpfs; btrfs says 1):
                // a leaf holds neither partitions nor `.rsync-partial`, so
                // there is no need to list it (find's classic leaf optimisation).
                walk.skip_current_dir();
            }
        }
        Ok(())
    }

    /// Remove files older than the cutoff from a `.rsync-partial` directory,
    /// and the directory once it is empty.
    fn clean_partial_dir(&mut self, dir: &Path) -> Result<()> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                self.skip(dir, format!("cannot read it ({e}): left alone; check its permissions"));
                return Ok(());
            }
        };
        let (mut files, mut bytes, mut left) = (0u64, 0u64, 0u64);
        for entry in entries {
            let entry = entry.map_err(|e| Error::io_default("read directory", dir, e))?;
            let path = entry.path();
            // DirEntry::metadata does not follow symlinks.
            let meta = match entry.metadata() {
                Ok(m) => m,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io_default("read metadata of", path, e)),
            };
            let old = meta.modified().map(|t| t < self.partial_cutoff).unwrap_or(false);
            if !meta.is_file() || !old {
                left += 1;
                continue;
            }
            files += 1;
            bytes += meta.len();
            if !self.dry_run {
                remove_file(&path)?;
            }
        }
        if files > 0 {
            log::info!(
                "{}removed {files} partial files ({bytes} bytes) from {}",
                if self.dry_run { "would have " } else { "" },
                dir.display()
            );
            self.report.deleted_files += files;
            self.report.freed_bytes += bytes;
            self.report.deleted.push(DeletedPath { path: dir.to_path_buf(), date: None, files, bytes });
        }
        if left == 0 && !self.dry_run {
            // Best effort: it is only tidiness, and rsync recreates it anyway.
            if let Err(e) = fs::remove_dir(dir) {
                log::debug!("left {}: {e}", dir.display());
            }
        }
        Ok(())
    }

    /// Delete one partition directory and everything below it, without
    /// following symlinks (links are removed, their targets untouched) and
    /// without entering other filesystems.
    fn remove_partition(&mut self, dir: &Path) -> Result<Removal> {
        let mut removal = Removal { files: 0, bytes: 0, complete: true };
        let mut handle = match Dir::open(dir, DIR_FLAGS, Mode::empty()) {
            Ok(d) => d,
            Err(Errno::ENOENT) => {
                removal.complete = false;
                return Ok(removal);
            }
            Err(Errno::ELOOP | Errno::ENOTDIR) => {
                // It was a directory during the scan; never touch what replaced it.
                self.skip(dir, "changed while cleaning (no longer a directory): left alone");
                removal.complete = false;
                return Ok(removal);
            }
            Err(e) => return Err(Error::io_default("open directory", dir, e.into())),
        };
        let dev = fstat(handle.as_raw_fd()).map_err(|e| Error::io_default("read metadata of", dir, e.into()))?.st_dev;
        if dev as u64 != self.root_dev {
            self.skip(dir, "mount point of another filesystem: not entered");
            removal.complete = false;
            return Ok(removal);
        }
        self.remove_contents(&mut handle, dir, &mut removal, 0)?;
        drop(handle);
        if removal.complete && !self.dry_run {
            match fs::remove_dir(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io_default("delete directory", dir, e)),
            }
        }
        Ok(removal)
    }

    /// Remove everything inside the open directory `dir` (at `path`), working
    /// relative to its descriptor: `O_NOFOLLOW` opens mean a directory swapped
    /// for a symlink mid-way is never entered, and no path is resolved twice.
    /// Clears `removal.complete` when something had to stay.
    fn remove_contents(&mut self, dir: &mut Dir, path: &Path, removal: &mut Removal, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::io(
                "delete",
                path,
                io::Error::other("directory tree too deep"),
                format!("more than {MAX_DEPTH} levels inside a partition; remove it by hand"),
            ));
        }
        let fd = dir.as_raw_fd();
        for entry in dir.iter() {
            let entry = entry.map_err(|e| Error::io_default("read directory", path, e.into()))?;
            let name = entry.file_name();
            if matches!(name.to_bytes(), b"." | b"..") {
                continue;
            }
            let at = |e: Errno| (e, path.join(OsStr::from_bytes(name.to_bytes())));
            let kind = match entry.file_type() {
                Some(kind) => kind,
                // The filesystem does not fill in d_type: ask.
                None => match fstatat(Some(fd), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
                    Ok(st) => match SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT {
                        SFlag::S_IFDIR => Type::Directory,
                        SFlag::S_IFREG => Type::File,
                        _ => Type::Symlink,
                    },
                    Err(Errno::ENOENT) => continue,
                    Err(e) => return Err(stat_error(at(e))),
                },
            };
            match kind {
                Type::Directory => {
                    let mut sub = match Dir::openat(Some(fd), name, DIR_FLAGS, Mode::empty()) {
                        Ok(sub) => sub,
                        Err(Errno::ENOENT) => continue,
                        Err(e) => {
                            let (e, p) = at(e);
                            return Err(Error::io_default("open directory", p, e.into()));
                        }
                    };
                    let sub_path = path.join(OsStr::from_bytes(name.to_bytes()));
                    let dev = fstat(sub.as_raw_fd()).map_err(|e| stat_error((e, sub_path.clone())))?.st_dev;
                    if dev as u64 != self.root_dev {
                        self.skip(
                            sub_path,
                            "mount point of another filesystem inside an expired partition: not entered, \
                             the partition is kept",
                        );
                        removal.complete = false;
                        continue;
                    }
                    let outer = std::mem::replace(&mut removal.complete, true);
                    self.remove_contents(&mut sub, &sub_path, removal, depth + 1)?;
                    drop(sub);
                    let inner = removal.complete;
                    removal.complete = outer && inner;
                    if inner && !self.dry_run {
                        unlink_at(fd, name, UnlinkatFlags::RemoveDir, &sub_path)?;
                    }
                }
                Type::File => {
                    match fstatat(Some(fd), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
                        Ok(st) => removal.bytes += st.st_size.max(0) as u64,
                        Err(Errno::ENOENT) => continue,
                        Err(e) => return Err(stat_error(at(e))),
                    }
                    removal.files += 1;
                    if !self.dry_run {
                        unlink_at(fd, name, UnlinkatFlags::NoRemoveDir, path)?;
                    }
                }
                // Symlinks (the link itself goes), fifos, sockets, devices.
                _ => {
                    removal.files += 1;
                    if !self.dry_run {
                        unlink_at(fd, name, UnlinkatFlags::NoRemoveDir, path)?;
                    }
                }
            }
        }
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

/// Why a symlink met by the scan is worth reporting: it is named like a
/// partition or points at one. Other links are ordinary content.
fn symlink_reason(path: &Path, rel: &Path) -> Option<String> {
    if partition_date(rel).is_some() {
        return Some("symbolic link named like a partition: not followed, its target is left alone".to_string());
    }
    let target = fs::read_link(path).ok()?;
    partition_date(&target)
        .map(|_| format!("symbolic link to partition {}: not followed, its target is left alone", target.display()))
}

fn walk_io_error(err: walkdir::Error) -> io::Error {
    let text = err.to_string();
    err.into_io_error().unwrap_or_else(|| io::Error::other(text))
}

/// Open flags for directories being emptied: never through a symlink.
const DIR_FLAGS: OFlag = OFlag::O_RDONLY.union(OFlag::O_DIRECTORY).union(OFlag::O_NOFOLLOW).union(OFlag::O_CLOEXEC);

/// Nesting limit inside one partition (real partitions are a level or two deep).
const MAX_DEPTH: usize = 200;

fn stat_error((e, path): (Errno, PathBuf)) -> Error {
    Error::io_default("read metadata of", path, e.into())
}

/// `unlinkat(fd, name)`; a name already gone is fine. `context` names the
/// directory (or, for directories, the entry) in the error.
fn unlink_at(fd: RawFd, name: &CStr, flags: UnlinkatFlags, context: &Path) -> Result<()> {
    match unlinkat(Some(fd), name, flags) {
        Ok(()) | Err(Errno::ENOENT) => Ok(()),
        Err(e) => {
            let path = match flags {
                UnlinkatFlags::RemoveDir => context.to_path_buf(),
                UnlinkatFlags::NoRemoveDir => context.join(OsStr::from_bytes(name.to_bytes())),
            };
            Err(Error::io_default("delete", path, e.into()))
        }
    }
}

fn remove_file(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io_default("delete", path, e)),
    }
}

/// A profile for tests, with every field set (config loading is not needed).
#[cfg(test)]
pub(crate) fn test_profile(local_dir: &Path, retention_days: u32) -> Profile {
    use crate::config::{HostKeyChecking, Source, SshSource};
    Profile {
        name: "cex_ticks".into(),
        enabled: true,
        source: Source::Ssh(SshSource {
            host: "10.0.0.11".into(),
            port: 6677,
            user: "ubuntu".into(),
            ssh_key: "/home/a/.ssh/k.pem".into(),
            remote_root: "/var/data/cex_tickers".into(),
        }),
        local_subdir: "cex_ticks".into(),
        local_dir: local_dir.to_path_buf(),
        retention_days,
        rsync_args: None,
        checkpoint_file: local_dir.with_extension("json"),
        lock_file: local_dir.with_extension("lock"),
        bwlimit: None,
        io_timeout: 300,
        connect_timeout: 15,
        retries: 3,
        exclude: Vec::new(),
        known_hosts: None,
        host_key_checking: HostKeyChecking::AcceptNew,
        timezone: Timezone::Utc,
        window_days: crate::config::DEFAULT_WINDOW_DAYS,
        full_sync_every: crate::config::DEFAULT_FULL_SYNC_EVERY,
        parallel: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::os::unix::fs::symlink;
    use std::time::Duration;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn write(path: &Path, len: usize) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, vec![b'x'; len]).unwrap();
    }

    fn set_mtime(path: &Path, t: SystemTime) {
        fs::File::options().write(true).open(path).unwrap().set_modified(t).unwrap();
    }

    /// Every entry below `root`: relative path -> (kind, size, symlink target).
    fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
        WalkDir::new(root)
            .follow_links(false)
            .into_iter()
            .map(|e| e.unwrap())
            .map(|e| {
                let m = e.metadata().unwrap();
                let desc = if e.file_type().is_symlink() {
                    format!("link->{}", fs::read_link(e.path()).unwrap().display())
                } else if m.is_dir() {
                    "dir".to_string()
                } else {
                    format!("file {} {:?}", m.len(), m.modified().unwrap())
                };
                (e.path().strip_prefix(root).unwrap().to_path_buf(), desc)
            })
            .collect()
    }

    fn rels(root: &Path, paths: &[PathBuf]) -> Vec<String> {
        paths.iter().map(|p| p.strip_prefix(root).unwrap().to_string_lossy().into_owned()).collect()
    }

    const TODAY: &str = "2024-03-10";

    /// A lake in every layout: days 2024-03-01 ..= 2024-03-10 (10 days).
    fn every_layout(root: &Path) {
        for day in 1..=10u32 {
            let date = NaiveDate::from_ymd_opt(2024, 3, day).unwrap();
            for rel in [
                date.format("gate_io_BTC-USDT_%Y%m%d").to_string(),
                date.format("binance/%Y%m%d").to_string(),
                date.format("dash/%Y-%m-%d").to_string(),
                date.format("under/%Y_%m_%d").to_string(),
                date.format("hive/date=%Y-%m-%d").to_string(),
                date.format("hive2/dt=%Y-%m-%d").to_string(),
                date.format("nested/%Y/%m/%d").to_string(),
                date.format("%Y/%m/%d").to_string(),
                date.format("kv/year=%Y/month=%m/day=%d").to_string(),
            ] {
                write(&root.join(&rel).join("part_00001.parquet"), 100);
                write(&root.join(&rel).join("sub/part_00002.parquet"), 10);
            }
        }
    }

    #[test]
    fn cutoff() {
        assert_eq!(cutoff_date(d("2024-03-10"), 1), d("2024-03-10"));
        assert_eq!(cutoff_date(d("2024-03-10"), 3), d("2024-03-08"));
        assert_eq!(cutoff_date(d("2024-03-01"), 30), d("2024-02-01"));
        assert_eq!(cutoff_date(d("2024-03-10"), 0), d("2024-03-10"));
        assert_eq!(cutoff_date(NaiveDate::MIN, 5), NaiveDate::MIN);
        assert_eq!(cutoff_date(d("2024-03-10"), u32::MAX), NaiveDate::MIN);
    }

    #[test]
    fn missing_dir_is_an_empty_report() {
        let tmp = tempfile::tempdir().unwrap();
        let r = clean(&test_profile(&tmp.path().join("nope"), 3), d(TODAY), false).unwrap();
        assert_eq!((r.deleted_dirs, r.deleted_files, r.freed_bytes), (0, 0, 0));
        assert_eq!(r.cutoff_date, d("2024-03-08"));
        assert!(r.skipped.is_empty() && r.warnings.is_empty() && r.deleted.is_empty());
    }

    #[test]
    fn file_instead_of_dir_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        write(&file, 1);
        let err = clean(&test_profile(&file, 3), d(TODAY), false).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Io);
        assert!(err.to_string().contains("local_subdir"), "{err}");
    }

    #[test]
    fn every_layout_and_dry_run() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("lake");
        every_layout(&root);
        let profile = test_profile(&root, 3);
        let before = snapshot(&root);

        let dry = clean(&profile, d(TODAY), true).unwrap();
        assert_eq!(snapshot(&root), before, "a dry run changes nothing");
        assert!(dry.dry_run);

        let real = clean(&profile, d(TODAY), false).unwrap();
        assert!(!real.dry_run);
        // Same report apart from timing and the flag.
        let strip = |r: &CleanupReport| CleanupReport { duration_seconds: 0.0, dry_run: false, ..r.clone() };
        assert_eq!(strip(&dry), strip(&real));

        // 7 expired days (03-01..03-07) x 9 layouts, 2 files each.
        assert_eq!(real.cutoff_date, d("2024-03-08"));
        assert_eq!(real.deleted_dirs, 63);
        assert_eq!(real.deleted_files, 126);
        assert_eq!(real.freed_bytes, 63 * 110);
        assert_eq!(real.deleted_paths.len(), 63);
        assert_eq!(real.deleted.len(), 63);
        assert!(real.deleted.iter().all(|x| x.files == 2 && x.bytes == 110 && x.date.unwrap() < d("2024-03-08")));
        assert!(real.skipped.is_empty(), "{:?}", real.skipped);
        assert!(real.warnings.is_empty(), "{:?}", real.warnings);
        let mut sorted = real.deleted_paths.clone();
        sorted.sort();
        assert_eq!(sorted, real.deleted_paths);
        assert!(rels(&root, &real.deleted_paths).contains(&"kv/year=2024/month=03/day=01".to_string()));

        let after = snapshot(&root);
        for rel in before.keys() {
            let date = partition_date(rel)
                .or_else(|| rel.ancestors().find_map(|a| partition_date(a).filter(|_| !a.as_os_str().is_empty())));
            let gone = date.is_some_and(|x| x < d("2024-03-08"));
            assert_eq!(!after.contains_key(rel), gone, "{}", rel.display());
        }
        // Nested parents are still there (they hold the kept days).
        assert!(root.join("2024/03").is_dir() && root.join("kv/year=2024/month=03").is_dir());

        // Idempotent.
        let again = clean(&profile, d(TODAY), false).unwrap();
        assert_eq!((again.deleted_dirs, again.deleted_files), (0, 0));
    }

    #[test]
    fn nested_empty_parents_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("lake");
        for rel in
            ["2023/12/30", "2023/12/31", "2024/01/01", "2024/03/09", "ex/2023/11/05", "ex/year=2023/month=10/day=01"]
        {
            write(&root.join(rel).join("f"), 1);
        }
        write(&root.join("2024/01/notes.txt"), 1);
        let r = clean(&test_profile(&root, 3), d(TODAY), false).unwrap();
        assert_eq!(r.deleted_dirs, 5);
        assert!(!root.join("2023").exists(), "empty year and month go");
        assert!(root.join("2024/01/notes.txt").exists(), "a month with other content stays");
        assert!(!root.join("2024/01/01").exists());
        assert!(root.join("2024/03/09/f").exists());
        assert!(root.join("ex").is_dir(), "the undated directory above the year stays");
        assert_eq!(fs::read_dir(root.join("ex")).unwrap().count(), 0);
    }

    #[test]
    fn undated_dirs_and_top_level_files_are_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("lake");
        write(&root.join("x_20240101/f"), 5);
        write(&root.join("x_20240309/f"), 5);
        write(&root.join("README_20200101"), 5); // a file, not a directory
        write(&root.join("20200101.parquet"), 5);
        write(&root.join("meta/schema.json"), 5);
        write(&root.join("old_stuff/2019/f"), 5);
        write(&root.join("x_20241341/f"), 5); // impossible date
        fs::create_dir_all(root.join("empty_undated")).unwrap();
        let r = clean(&test_profile(&root, 3), d(TODAY), false).unwrap();
        assert_eq!(rels(&root, &r.deleted_paths), ["x_20240101"]);
        for kept in ["README_20200101", "20200101.parquet", "meta/schema.json", "old_stuff/2019/f", "x_20241341/f"] {
            assert!(root.join(kept).exists(), "{kept}");
        }
        assert!(root.join("empty_undated").is_dir());
    }

    #[test]
    fn newest_day_is_kept_even_if_expired() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("lake");
        for rel in ["a_20240101", "a_20240102", "a_20240103", "b_20240103", "2024/01/03", "a_20240103/.rsync-partial/p"]
        {
            write(&root.join(rel).join("f"), 7);
        }
        let old = start_of_day(d("2024-01-04"), Timezone::Utc);
        set_mtime(&root.join("a_20240103/.rsync-partial/p/f"), old);
        write(&root.join("a_20240103/.rsync-partial/stale"), 9);
        set_mtime(&root.join("a_20240103/.rsync-partial/stale"), old);

        let r = clean(&test_profile(&root, 3), d(TODAY), false).unwrap();
        assert_eq!(rels(&root, &r.deleted_paths), ["a_20240101", "a_20240102"]);
        assert_eq!(
            r.warnings,
            ["newest partition 2024-01-03 is past retention but kept: the collector may have stopped"]
        );
        let skipped = rels(&root, &r.skipped.iter().map(|s| s.path.clone()).collect::<Vec<_>>());
        assert_eq!(skipped, ["2024/01/03", "a_20240103", "b_20240103"]);
        for kept in ["a_20240103/f", "b_20240103/f", "2024/01/03/f"] {
            assert!(root.join(kept).exists(), "{kept}");
        }
        // Old partial leftovers in the kept day still go; subdirectories of a
        // partial dir are not rsync's and stay.
        assert!(!root.join("a_20240103/.rsync-partial/stale").exists());
        assert!(root.join("a_20240103/.rsync-partial/p/f").exists());
        assert_eq!(r.deleted_files, 2 + 1);
        assert_eq!(r.freed_bytes, 14 + 9);
    }

    #[test]
    fn partial_leftovers() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("lake");
        let cutoff = start_of_day(d("2024-03-08"), Timezone::Utc);
        let kept = root.join("x_20240309/.rsync-partial");
        let deep = root.join("x_20240309/sub/.rsync-partial/old");
        write(&deep, 4);
        set_mtime(&deep, cutoff - Duration::from_secs(1));
        write(&kept.join("old.parquet"), 1000);
        set_mtime(&kept.join("old.parquet"), cutoff - Duration::from_secs(1));
        write(&kept.join("fresh.parquet"), 500);
        set_mtime(&kept.join("fresh.parquet"), cutoff);
        let top = root.join(".rsync-partial");
        write(&top.join("a"), 10);
        write(&top.join("b"), 20);
        set_mtime(&top.join("a"), cutoff - Duration::from_secs(86400));
        set_mtime(&top.join("b"), cutoff - Duration::from_secs(86400));
        // Inside an expired partition: goes with it.
        write(&root.join("x_20240101/.rsync-partial/z"), 3);

        let before = snapshot(&root);
        let dry = clean(&test_profile(&root, 3), d(TODAY), true).unwrap();
        assert_eq!(snapshot(&root), before);

        let r = clean(&test_profile(&root, 3), d(TODAY), false).unwrap();
        assert_eq!((dry.deleted_files, dry.freed_bytes), (r.deleted_files, r.freed_bytes));
        assert_eq!(r.deleted_files, 1 + 1 + 2 + 1);
        assert_eq!(r.freed_bytes, 1000 + 4 + 30 + 3);
        assert!(!deep.parent().unwrap().exists());
        assert_eq!(r.deleted_dirs, 1);
        assert!(!kept.join("old.parquet").exists());
        assert!(kept.join("fresh.parquet").exists());
        assert!(!top.exists(), "an emptied partial dir is removed");
        let partial: Vec<_> =
            r.deleted.iter().filter(|x| x.date.is_none()).map(|x| (x.path.clone(), x.bytes)).collect();
        assert_eq!(partial, [(top.clone(), 30), (kept.clone(), 1000), (deep.parent().unwrap().to_path_buf(), 4)]);
    }

    #[test]
    fn symlinked_partitions_are_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("lake");
        let outside = tmp.path().join("elsewhere");
        write(&outside.join("x_20240101/f"), 5);
        write(&outside.join("plain/f"), 5);
        write(&root.join("x_20240309/f"), 5);
        fs::create_dir_all(&root).unwrap();
        // A link named like an expired partition, and one pointing at one.
        symlink(outside.join("plain"), root.join("y_20240101")).unwrap();
        symlink(outside.join("x_20240101"), root.join("latest")).unwrap();
        symlink(outside.join("plain"), root.join("plain_link")).unwrap();
        let before = snapshot(&outside);

        for dry_run in [true, false] {
            let r = clean(&test_profile(&root, 3), d(TODAY), dry_run).unwrap();
            assert_eq!(r.deleted_dirs, 0);
            let mut skipped: Vec<_> =
                r.skipped.iter().map(|s| (s.path.file_name().unwrap().to_str().unwrap(), s.reason.clone())).collect();
            skipped.sort();
            assert_eq!(skipped.len(), 2, "{skipped:?}");
            assert_eq!(skipped[0].0, "latest");
            assert!(skipped[0].1.starts_with("symbolic link to partition "), "{}", skipped[0].1);
            assert_eq!(skipped[1].0, "y_20240101");
            assert!(skipped[1].1.contains("not followed"));
        }
        assert_eq!(snapshot(&outside), before);
        assert!(fs::symlink_metadata(root.join("y_20240101")).unwrap().file_type().is_symlink());
    }

    #[test]
    fn symlinks_inside_expired_partitions_are_removed_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("lake");
        let outside = tmp.path().join("precious");
        write(&outside.join("data/f"), 1000);
        write(&outside.join("file"), 1000);
        write(&root.join("x_20240101/f"), 5);
        write(&root.join("x_20240309/f"), 5);
        symlink(outside.join("data"), root.join("x_20240101/dirlink")).unwrap();
        symlink(outside.join("file"), root.join("x_20240101/filelink")).unwrap();
        symlink("/nonexistent/dangling", root.join("x_20240101/dangling")).unwrap();
        let before = snapshot(&outside);

        let r = clean(&test_profile(&root, 3), d(TODAY), false).unwrap();
        assert_eq!(rels(&root, &r.deleted_paths), ["x_20240101"]);
        assert_eq!(r.deleted_files, 4, "1 file and 3 links");
        assert_eq!(r.freed_bytes, 5, "link targets are not counted");
        assert!(!root.join("x_20240101").exists());
        assert_eq!(snapshot(&outside), before, "link targets are untouched");
    }

    #[test]
    fn symlinked_profile_dir_is_cleaned() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("big_disk/lake");
        write(&real.join("x_20240101/f"), 5);
        write(&real.join("x_20240309/f"), 5);
        let link = tmp.path().join("lake");
        symlink(&real, &link).unwrap();
        let r = clean(&test_profile(&link, 3), d(TODAY), false).unwrap();
        assert_eq!(rels(&link, &r.deleted_paths), ["x_20240101"]);
        assert!(!real.join("x_20240101").exists());
    }

    #[test]
    fn unreadable_dirs_are_reported_and_kept() {
        // Root reads everything; capabilities are per thread on Linux, so drop
        // the read overrides for this test's thread only and root sees what a user sees.
        if nix::unistd::geteuid().is_root() {
            for cap in [caps::Capability::CAP_DAC_OVERRIDE, caps::Capability::CAP_DAC_READ_SEARCH] {
                caps::drop(None, caps::CapSet::Effective, cap).expect("drop capability in this thread");
            }
        }
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("lake");
        write(&root.join("locked/x_20240101/f"), 5);
        fs::set_permissions(root.join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
        let r = clean(&test_profile(&root, 3), d(TODAY), false).unwrap();
        fs::set_permissions(root.join("locked"), fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(r.deleted_dirs, 0);
        assert_eq!(r.skipped.len(), 1);
        assert!(root.join("locked/x_20240101/f").exists());
    }

    /// Unmounts on drop, so a failing assertion does not leak a mount.
    struct Mount(PathBuf);
    impl Drop for Mount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }

    fn mount_tmpfs(at: &Path) -> Option<Mount> {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("not root: cannot mount a tmpfs to test filesystem boundaries");
            return None;
        }
        fs::create_dir_all(at).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(at)
            .status()
            .unwrap();
        assert!(status.success(), "mount tmpfs at {} failed", at.display());
        Some(Mount(at.to_path_buf()))
    }

    #[test]
    fn other_filesystems_are_not_entered() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("lake");
        write(&root.join("x_20240309/f"), 5);
        // A mount point that is an expired partition, one below an undated
        // dir, and one inside an expired partition.
        let Some(m1) = mount_tmpfs(&root.join("x_20240101")) else { return };
        write(&m1.0.join("f"), 5);
        let Some(m2) = mount_tmpfs(&root.join("mnt")) else { return };
        write(&m2.0.join("y_20240101/f"), 5);
        write(&root.join("z_20240101/keep/f"), 5);
        write(&root.join("z_20240101/other/f"), 5);
        let Some(m3) = mount_tmpfs(&root.join("z_20240101/keep/m")) else { return };
        write(&m3.0.join("g"), 5);

        let r = clean(&test_profile(&root, 3), d(TODAY), false).unwrap();
        assert_eq!(r.deleted_dirs, 0);
        let mut skipped = rels(&root, &r.skipped.iter().map(|s| s.path.clone()).collect::<Vec<_>>());
        skipped.sort();
        assert_eq!(skipped, ["mnt", "x_20240101", "z_20240101/keep/m"]);
        assert!(r.skipped.iter().all(|s| s.reason.contains("mount point")));
        assert!(m1.0.join("f").exists() && m2.0.join("y_20240101/f").exists() && m3.0.join("g").exists());
        // Around the inner mount, the expired partition's other content went.
        assert!(!root.join("z_20240101/other").exists() && !root.join("z_20240101/keep/f").exists());
        assert_eq!(r.deleted_files, 2);
    }
}
