//! The catalog: the complete Parquet files of a selection, each with its
//! series, date, size, modification time and series fields.
//!
//! # What it costs
//! One walk that reads directory *names* and opens only what the selection
//! needs: a partition directory is recognised by its name
//! ([`crate::local::partition`]: flat `x_YYYYMMDD`, date directories, nested
//! `YYYY/MM/DD` and hive `year=/month=/day=`), its series and date are
//! judged from the name alone, and only selected partitions are opened and
//! their files `fstatat`ed. Directories that are not partitions are entered
//! only where a selected series can live (by the literal prefix of each
//! series name or pattern). So a selection costs the names of the
//! directories on the way plus the files of the selected partitions, not a
//! listing of every file of the lake. When it names exact series and both
//! ends of the range, not even the profile directory is listed: the
//! partitions are opened by name (`S_YYYYMMDD`, and the directory `S` for
//! the other layouts), so the cost does not grow with the lake at all.
//!
//! # What is never in it
//! - Hidden names (a leading `.`), at any depth: rsync's temporary files
//!   (`.name.XXXXXX`), `.rsync-partial/` (interrupted transfers) and the
//!   quarantine `.datalake-quarantine/`; and names starting with `_`
//!   (`_SUCCESS`, `_metadata`), as pyarrow's own discovery skips them.
//! - Anything but regular `*.parquet` files inside a dated partition
//!   (symlinks are not followed, undated files belong to no series).
//!
//! Kept in it: the earlier versions of rewritten parts the lake keeps in
//! `.datalake-replaced/<partition>/` (`on_rewrite`), as files of their
//! partition, so a read returns the rows a restarted collector overwrote.
//!
//! A file being written by a running sync is never under its real name:
//! rsync writes into a hidden temporary file (or `.rsync-partial/`) and
//! renames it into place when it is complete, so every name the catalog
//! sees is a complete file. That holds while `rsync_args` keeps the default
//! `--partial-dir` and avoids `--inplace`/`--append`/bare `--partial`; the
//! catalog warns when a profile's `rsync_args` breaks it.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{fstat, fstatat, Mode};
use serde::Serialize;

use crate::config::{Profile, SeriesFormat};
use crate::inspect::coverage::series_of;
use crate::local::fswalk::{self, EntryKind, MAX_DEPTH};
use crate::read::glob;
use crate::read::notes;
use crate::read::selection::FileSelection;
use crate::state::replaced::parse_kept_name;
use crate::vocab::error::{Error, Result};
use crate::vocab::names::REPLACED_DIR;

/// One complete file of a selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    /// Absolute path.
    pub path: PathBuf,
    /// The partition path without its date (see [`crate::inspect::coverage`]).
    pub series: String,
    /// The partition's date.
    pub date: NaiveDate,
    /// Bytes.
    pub size: u64,
    /// Last modification.
    pub mtime: DateTime<Utc>,
    /// The series' fields by name (empty when the profile has no
    /// `series_format` or the series does not fit it).
    pub fields: BTreeMap<String, String>,
}

/// A partition a selection took, and the directory's identity when it was
/// listed (to tell, after a read, whether retention removed it meanwhile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelectedPartition {
    /// Path relative to the profile directory.
    pub rel: PathBuf,
    /// Its series.
    pub series: String,
    /// Its date.
    pub date: NaiveDate,
    /// Complete files listed in it.
    pub files: u64,
    #[serde(skip)]
    pub(crate) identity: (u64, u64),
}

/// The complete files of a selection of one profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Catalog {
    /// The profile.
    pub profile: String,
    /// Its directory.
    pub root: PathBuf,
    /// The fields of its `series_format`, in order (empty without one).
    pub fields: Vec<String>,
    /// The files, by series, date and path.
    pub files: Vec<FileEntry>,
    /// The partitions selected, by series and date.
    pub partitions: Vec<SelectedPartition>,
    /// Series that do not fit `series_format`, partitions past retention,
    /// `rsync_args` that let readers see half-written files.
    pub warnings: Vec<String>,
}

/// List the complete files of `selection` in `profile`'s directory. A
/// missing directory is an empty catalog; an unreadable one is an error.
/// Files and partitions that vanish during the walk (cleanup running) are
/// left out: they are no longer in the lake.
pub fn list(profile: &Profile, selection: &FileSelection, today: NaiveDate) -> Result<Catalog> {
    selection.check(profile)?;
    let root = profile.local_dir.as_path();
    let format = profile.series_format.as_ref();
    let mut walk = Walk {
        root,
        selection,
        format,
        files: Vec::new(),
        partitions: Vec::new(),
        unfit_read: BTreeSet::new(),
        unfit_left_out: BTreeSet::new(),
    };
    if fswalk::profile_dir(root, "read directory")?.is_some() {
        // The profile directory may be a symlink (to a bigger disk): follow that one, nothing below.
        match Dir::open(root, OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty()) {
            Ok(mut dir) => match probe_days(selection) {
                Some(days) => walk.probe(&dir, &days)?,
                None => walk.dir(&mut dir, Path::new(""), 0, None)?,
            },
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(Error::io_default("read directory", root, e.into())),
        }
    }
    let warnings = notes::warnings(
        profile,
        &selection.fields,
        (&walk.unfit_read, &walk.unfit_left_out),
        walk.partitions.iter().map(|(p, _)| (p.date, p.rel.as_path())),
        today,
    );
    let Walk { mut files, partitions, .. } = walk;
    add_kept_versions(root, &partitions, &mut files)?;
    let mut partitions: Vec<SelectedPartition> = partitions.into_iter().map(|(p, _)| p).collect();
    files.sort_by(|a, b| (&a.series, a.date, &a.path).cmp(&(&b.series, b.date, &b.path)));
    partitions.sort_by(|a, b| (&a.series, a.date, &a.rel).cmp(&(&b.series, b.date, &b.rel)));
    Ok(Catalog {
        profile: profile.name.clone(),
        root: root.to_path_buf(),
        fields: format.map(|f| f.field_names().map(str::to_string).collect()).unwrap_or_default(),
        files,
        partitions,
        warnings,
    })
}

/// The earlier versions the lake kept of rewritten parts (`on_rewrite`, see
/// [`crate::state::replaced`]) are rows of their partition too: each selected
/// partition's folder in `.datalake-replaced/` adds its kept `*.parquet`
/// versions, with the partition's series, date and fields. It costs one
/// failed `open` per selected partition when nothing was kept, nothing when
/// the profile never kept a version.
fn add_kept_versions(
    root: &Path,
    partitions: &[(SelectedPartition, BTreeMap<String, String>)],
    files: &mut Vec<FileEntry>,
) -> Result<()> {
    let kept_root = root.join(REPLACED_DIR);
    if !std::fs::symlink_metadata(&kept_root).is_ok_and(|m| m.is_dir()) {
        return Ok(());
    }
    let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    for (partition, fields) in partitions {
        let dir = kept_root.join(&partition.rel);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if gone(&e) || e.kind() == std::io::ErrorKind::NotADirectory => continue,
            Err(e) => return Err(Error::io_default("read directory", dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| Error::io_default("read directory", &dir, e))?;
            let name = entry.file_name();
            let Some((original, _)) = name.to_str().and_then(parse_kept_name) else { continue };
            if !original.ends_with(".parquet") || original.starts_with(['.', '_']) {
                continue;
            }
            let meta = match entry.metadata() {
                Ok(meta) if meta.is_file() => meta,
                Ok(_) => continue,
                Err(e) if gone(&e) => continue,
                Err(e) => return Err(Error::io_default("read metadata of", entry.path(), e)),
            };
            files.push(FileEntry {
                path: entry.path(),
                series: partition.series.clone(),
                date: partition.date,
                size: meta.len(),
                mtime: DateTime::from_timestamp(meta.mtime(), meta.mtime_nsec() as u32).unwrap_or_default(),
                fields: fields.clone(),
            });
        }
    }
    Ok(())
}

struct Walk<'a> {
    root: &'a Path,
    selection: &'a FileSelection,
    format: Option<&'a SeriesFormat>,
    files: Vec<FileEntry>,
    partitions: Vec<(SelectedPartition, BTreeMap<String, String>)>,
    /// Series read although they do not fit the format (no field filter).
    unfit_read: BTreeSet<String>,
    /// Series left out because a field filter cannot judge them.
    unfit_left_out: BTreeSet<String>,
}

impl Walk<'_> {
    /// Read `dir` (at `rel`); `partition`: index of the partition it is in.
    fn dir(&mut self, dir: &mut Dir, rel: &Path, depth: usize, partition: Option<usize>) -> Result<()> {
        if depth > MAX_DEPTH {
            let hint = "below the profile directory; is there a loop of bind mounts?";
            return Err(fswalk::too_deep("read directory", &self.root.join(rel), hint));
        }
        let fd = dir.as_raw_fd();
        for entry in dir.iter() {
            let entry = entry.map_err(|e| Error::io_default("read directory", self.root.join(rel), e.into()))?;
            let name = entry.file_name();
            let bytes = name.to_bytes();
            // Hidden: `.`, `..`, rsync's temporary files, `.rsync-partial`, the quarantine.
            if bytes.first() == Some(&b'.') {
                continue;
            }
            let (kind, stat) = match fswalk::entry_kind(fd, &entry) {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(e) => return Err(self.error("read metadata of", rel.join(OsStr::from_bytes(bytes)), e)),
            };
            let child = rel.join(OsStr::from_bytes(bytes));
            match (kind, partition) {
                (EntryKind::Directory, Some(_)) => self.enter(fd, &entry, &child, depth, partition)?,
                (EntryKind::Directory, None) => {
                    if let Some((series, date)) = series_of(&child) {
                        if let Some(fields) = self.accept(&series, date) {
                            let opened =
                                fswalk::open_subdir(fd, &entry).map_err(|e| self.error("open", child.clone(), e))?;
                            if let Some(sub) = opened {
                                self.partition(sub, child, (series, date, fields), depth)?;
                            }
                        }
                    } else if self.selection.may_hold(&child.to_string_lossy()) {
                        self.enter(fd, &entry, &child, depth, None)?;
                    }
                }
                (EntryKind::File, Some(index)) => {
                    if bytes.first() == Some(&b'_') || !crate::local::parquet_check::is_parquet_name(&child) {
                        continue;
                    }
                    let st = match stat {
                        Some(st) => st,
                        None => match fstatat(Some(fd), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
                            Ok(st) => st,
                            Err(Errno::ENOENT) => continue,
                            Err(e) => return Err(self.error("read metadata of", child, e)),
                        },
                    };
                    let (part, fields) = &mut self.partitions[index];
                    part.files += 1;
                    self.files.push(FileEntry {
                        path: self.root.join(&child),
                        series: part.series.clone(),
                        date: part.date,
                        size: st.st_size.max(0) as u64,
                        mtime: DateTime::from_timestamp(st.st_mtime, st.st_mtime_nsec as u32).unwrap_or_default(),
                        fields: fields.clone(),
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The fields of `series` when the selection takes its partition of `date`.
    fn accept(&mut self, series: &str, date: NaiveDate) -> Option<BTreeMap<String, String>> {
        if !self.selection.has_date(date) || !self.selection.has_series(series) {
            return None;
        }
        let Some(format) = self.format else { return Some(BTreeMap::new()) };
        match format.split(series) {
            Some(values) => self
                .selection
                .has_fields(format.field_names(), &values)
                .then(|| format.field_names().zip(values).map(|(n, v)| (n.to_string(), v.to_string())).collect()),
            None if self.selection.fields.is_empty() => {
                self.unfit_read.insert(series.to_string());
                Some(BTreeMap::new())
            }
            None => {
                self.unfit_left_out.insert(series.to_string());
                None
            }
        }
    }

    /// Walk the opened partition directory `sub` at `rel`.
    fn partition(
        &mut self,
        mut sub: Dir,
        rel: PathBuf,
        (series, date, fields): (String, NaiveDate, BTreeMap<String, String>),
        depth: usize,
    ) -> Result<()> {
        let st = fstat(sub.as_raw_fd()).map_err(|e| self.error("read metadata of", rel.clone(), e))?;
        let identity = (st.st_dev as u64, st.st_ino as u64);
        self.partitions.push((SelectedPartition { rel: rel.clone(), series, date, files: 0, identity }, fields));
        let index = self.partitions.len() - 1;
        self.dir(&mut sub, &rel, depth + 1, Some(index))
    }

    /// The selection names exact series and both ends of the range: open their
    /// partitions by name instead of listing the profile directory. For each
    /// series `S`: `S_YYYYMMDD` for every day (the collectors' layout), and the
    /// directory `S` if there is one (date directories, nested and hive days
    /// below it), so every layout is found as a full walk would find it.
    fn probe(&mut self, root: &Dir, days: &[NaiveDate]) -> Result<()> {
        let fd = root.as_raw_fd();
        let mut names: Vec<&str> = self.selection.series.iter().map(String::as_str).collect();
        names.sort_unstable();
        names.dedup();
        for series in names {
            for &day in days {
                let rel = PathBuf::from(format!("{series}_{}", day.format("%Y%m%d")));
                let Some(sub) = self.open_at(fd, &rel)? else { continue };
                if let Some(fields) = self.accept(series, day) {
                    self.partition(sub, rel, (series.to_string(), day, fields), 0)?;
                }
            }
            let rel = PathBuf::from(series);
            if let Some(mut sub) = self.open_at(fd, &rel)? {
                self.dir(&mut sub, &rel, 1, None)?;
            }
        }
        Ok(())
    }

    /// Open the directory `rel` (one component) of `fd` without following a
    /// symlink; `None` when there is none (absent, a file, a symlink).
    fn open_at(&self, fd: i32, rel: &Path) -> Result<Option<Dir>> {
        match Dir::openat(Some(fd), rel, fswalk::DIR_FLAGS, Mode::empty()) {
            Ok(dir) => Ok(Some(dir)),
            Err(Errno::ENOENT | Errno::ENOTDIR | Errno::ELOOP) => Ok(None),
            Err(e) => Err(self.error("open", rel.to_path_buf(), e)),
        }
    }

    fn enter(
        &mut self,
        fd: i32,
        entry: &nix::dir::Entry,
        rel: &Path,
        depth: usize,
        partition: Option<usize>,
    ) -> Result<()> {
        match fswalk::open_subdir(fd, entry) {
            Ok(Some(mut sub)) => self.dir(&mut sub, rel, depth + 1, partition),
            Ok(None) => Ok(()),
            Err(e) => Err(self.error("open", rel.to_path_buf(), e)),
        }
    }

    fn error(&self, action: &str, rel: PathBuf, e: Errno) -> Error {
        Error::io_default(action, self.root.join(rel), e.into())
    }
}

/// The days to probe by name when the selection allows it: exact series names
/// (no pattern, no `/`, not `.`) and a closed range of at most a few thousand
/// (series, day) pairs; `None`: walk the profile directory.
fn probe_days(selection: &FileSelection) -> Option<Vec<NaiveDate>> {
    let (start, end) = (selection.start?, selection.end?);
    let exact = |s: &String| !glob::is_glob(s) && !s.contains('/') && s != "." && s != "..";
    if selection.series.is_empty() || !selection.series.iter().all(exact) {
        return None;
    }
    let days = (end - start).num_days() + 1;
    if days <= 0 || days as usize * selection.series.len() > MAX_PROBES {
        return None;
    }
    Some(start.iter_days().take(days as usize).collect())
}

/// More (series, day) pairs than this: listing the profile directory is cheaper.
const MAX_PROBES: usize = 4096;

impl Catalog {
    /// After the files were read: `Err` naming the first selected partition
    /// that is gone (or was replaced) since the catalog listed it, so that
    /// rows the read returned may be incomplete. Costs one `stat` per
    /// selected partition.
    pub fn check_still_there(&self) -> Result<()> {
        for part in &self.partitions {
            let path = self.root.join(&part.rel);
            let same = match std::fs::symlink_metadata(&path) {
                Ok(meta) => {
                    use std::os::unix::fs::MetadataExt;
                    meta.is_dir() && (meta.dev(), meta.ino()) == part.identity
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                Err(e) => return Err(Error::io_default("read metadata of", path, e)),
            };
            if !same {
                return Err(Error::PartitionRemoved {
                    profile: self.profile.clone(),
                    partition: part.rel.to_string_lossy().into_owned(),
                });
            }
        }
        Ok(())
    }

    /// The paths, one a line: the CLI's default output, for `xargs` and `duckdb`.
    pub fn paths_text(&self) -> String {
        let mut out = String::with_capacity(self.files.len() * 96);
        for f in &self.files {
            out.push_str(&f.path.to_string_lossy());
            out.push('\n');
        }
        out
    }
}
