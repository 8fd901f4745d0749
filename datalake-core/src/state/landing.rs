//! Landing a sync's files: checked first, under their real name only after.
//!
//! With `check_parquet` on, rsync's destination is the landing area
//! `<profile>/.datalake-landing/` and `--compare-dest` points at the profile
//! directory, so rsync compares with the lake as before but writes every new
//! or changed file into the area (its partial files too, in
//! `<partition>/.rsync-partial/` there). While rsync goes on, a small pool of
//! threads takes each file it finished, checks its footer if it is Parquet,
//! and renames it to its real name, or into quarantine when it is broken.
//! A reader of the lake therefore never sees a broken file under a real name,
//! not even for the seconds between rsync's rename and a later check.
//!
//! Which file is finished comes from the area itself ([`TreeWatch`]): rsync
//! renames each file from its temporary name to its real one once it is
//! complete, and that rename is the signal. rsync is not asked to name the
//! files it transfers: printing a line per file cost its own processes
//! about an eighth of a first sync of small files. [`Landing::finish`] then
//! lands whatever is left in the area (files a killed run had finished,
//! files rsync found already complete there, anything the watch could not
//! see), creates the area's directories in the lake (an empty partition is
//! a partition) and removes the empty ones.
//!
//! A lake with nothing in it yet (a first sync) has nothing to compare with,
//! and `--compare-dest` is not given: rsync then looks each file up in the
//! area only, instead of also walking the lake's path from `/` component by
//! component for every file (rsync 3.4 and later open alternate destination
//! directories that way). That is about 40% of rsync's system calls per file
//! on a first sync.
//!
//! `min_age` without a walk of the collector: a run whose planner listed no
//! files (a full run) gives the collector's clock instead
//! ([`Landing::drop_younger_than`]); rsync keeps modification times, so a
//! landed file modified after `now - min_age` is a file the collector may
//! still be writing. It is deleted from the area, never named, counted as
//! too recent, and the next run fetches it again. A windowed run still
//! excludes such files before rsync starts (its quick check lists them).
//!
//! Earlier versions of replaced files: rsync's `--backup-dir` only sees the
//! area, so each replaced file is hard-linked into the attempt's
//! `.datalake-replaced/.incoming/<attempt>/` here before the new version is
//! renamed over it, the same two steps rsync takes, and [`super::replaced`]
//! settles them as before. A broken new version goes to quarantine without
//! touching the lake's copy.

use std::collections::BTreeMap;
use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{renameat2, RenameFlags};
use nix::unistd::UnlinkatFlags;

use crate::local::open_dir::CurrentDir;
use crate::local::parquet_check::{self, Defect};
use crate::local::tree_watch::{self, TreeWatch};
use crate::rsync::process::RunObserver;
use crate::state::quarantine::{self, LandingCheck};
use crate::vocab::error::{Error, Result};
use crate::vocab::names::{
    is_rsync_temp_name, rsync_final_name, LANDING_DIR, PARTIAL_DIR, QUARANTINE_DIR, REPLACED_DIR,
};
use crate::vocab::progress::Progress;

/// Batches waiting for a checker; rsync waits when they are all busy.
const QUEUE: usize = 8;
/// Checker threads: a footer check is one small read, and rsync, ssh and
/// sshd want the cores; one thread per file would cost more in wake-ups than
/// the checks themselves.
const MAX_WORKERS: usize = 2;
/// Files handed to a checker at once...
const BATCH: usize = 256;
/// ...or fewer, once the first of them has waited this long.
const BATCH_WAIT: Duration = Duration::from_millis(200);
/// How long the watcher of the area sleeps between two looks at what rsync
/// renamed. Nobody waits on the watch meanwhile, so a rename wakes no one.
const WATCH_WAIT: Duration = Duration::from_millis(50);

/// One file to land: its path in the area (and the lake), and the attempt's
/// backup directory (relative to the profile directory) when earlier versions are kept.
struct Job {
    rel: PathBuf,
    backup: Option<PathBuf>,
}

/// What landing one file did.
enum Step {
    /// It was not there (landed already, or rsync dropped it).
    Gone,
    /// Modified after the `min_age` limit: deleted from the area (its size).
    TooRecent(u64),
    /// Under its real name; `true` when it was a Parquet file that passed.
    Placed(bool),
    /// Broken: in quarantine.
    Quarantined(Defect, PathBuf),
}

/// What the checkers did, gathered for [`Landing::finish`].
#[derive(Default)]
struct Done {
    /// Parquet files checked: path and, for a broken one, its defect and where it went.
    checked: Vec<(PathBuf, Option<(Defect, PathBuf)>)>,
    errors: Vec<String>,
    /// Files deleted from the area as too recent, and their bytes.
    too_recent: (u64, u64),
    /// Files moved into the lake or quarantine.
    moved: u64,
}

/// The landing area of one profile's sync and its checkers.
pub struct Landing {
    local_dir: PathBuf,
    area: PathBuf,
    sender: Mutex<Option<SyncSender<Vec<Job>>>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    done: Arc<Mutex<Done>>,
    /// Whether rsync compares with the lake (`--compare-dest`): the lake held
    /// a file or partition when the run started.
    compare: bool,
    /// Files modified after this (seconds since the epoch, the collector's
    /// clock) are too recent to land; [`NO_LIMIT`] when not set.
    young_since: Arc<AtomicI64>,
    /// The thread that watches the area for finished files, once rsync runs.
    watcher: Mutex<Option<JoinHandle<()>>>,
    /// Tells the watcher that rsync is done: take what is queued and stop.
    stop: Arc<AtomicBool>,
    /// The watch of the area and what it found, shared by the watcher and
    /// the attempts' progress (`None` until rsync runs, or without a watch).
    watching: Arc<Mutex<Option<Watching>>>,
    /// Where the earlier versions of the files the current attempt replaces
    /// go (relative to the profile directory), when they are kept.
    backup: Arc<Mutex<Option<PathBuf>>>,
}

/// The watch of the area and the finished files not handed on yet.
struct Watching {
    tree: TreeWatch<AreaNames>,
    found: Vec<PathBuf>,
    /// Since when the first of `found` waits.
    since: Instant,
}

impl Watching {
    /// Take what the watch saw since the last look.
    fn look(&mut self) -> io::Result<()> {
        let had = self.found.len();
        self.tree.take(&mut self.found)?;
        if had == 0 {
            self.since = Instant::now();
        }
        Ok(())
    }

    /// The file rsync is on: the one it started last, else the one it finished last.
    fn current(&self) -> Option<String> {
        let path = self.tree.receiving().or(self.found.last().map(PathBuf::as_path))?;
        Some(path.to_string_lossy().into_owned())
    }
}

/// No `min_age` limit at landing.
const NO_LIMIT: i64 = i64::MIN;

fn limit(young_since: &AtomicI64) -> Option<i64> {
    Some(young_since.load(Ordering::Relaxed)).filter(|t| *t != NO_LIMIT)
}

impl std::fmt::Debug for Landing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Landing").field("area", &self.area).finish_non_exhaustive()
    }
}

impl Landing {
    /// The landing area of the profile at `local_dir`, with its checkers
    /// started. `skip`: the names directly in `local_dir` that no run
    /// transfers into (the profile's Delta table), which do not make the
    /// lake worth comparing with.
    pub fn open(local_dir: &Path, skip: &[&str]) -> Landing {
        let compare = holds_anything(local_dir, skip);
        let (tx, rx) = mpsc::sync_channel::<Vec<Job>>(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        let done = Arc::new(Mutex::new(Done::default()));
        // Half the cores: rsync's two processes and ssh want the rest.
        let n = std::thread::available_parallelism().map_or(2, |n| n.get() / 2).clamp(1, MAX_WORKERS);
        let area = local_dir.join(LANDING_DIR);
        let young_since = Arc::new(AtomicI64::new(NO_LIMIT));
        let workers = (0..n)
            .map(|_| {
                let (rx, done, local_dir, area) = (rx.clone(), done.clone(), local_dir.to_path_buf(), area.clone());
                let young_since = young_since.clone();
                std::thread::spawn(move || work(&rx, &done, (&local_dir, &area), &young_since))
            })
            .collect();
        Landing {
            local_dir: local_dir.to_path_buf(),
            area,
            sender: Mutex::new(Some(tx)),
            workers: Mutex::new(workers),
            done,
            compare,
            young_since,
            watcher: Mutex::new(None),
            stop: Arc::new(AtomicBool::new(false)),
            watching: Arc::new(Mutex::new(None)),
            backup: Arc::new(Mutex::new(None)),
        }
    }

    /// From now on, files modified after `since` (seconds since the epoch, on
    /// the collector's clock) are deleted from the area instead of landed:
    /// the `min_age` rule for a run that did not list the collector's files.
    /// Only for rsync runs that keep modification times.
    pub fn drop_younger_than(&self, since: i64) {
        self.young_since.store(since, Ordering::Relaxed);
    }

    /// The landing area (rsync's destination).
    pub fn area(&self) -> &Path {
        &self.area
    }

    /// The profile directory, when rsync should compare with it
    /// (`--compare-dest`); `None` when it held nothing to compare with.
    pub fn compare_with(&self) -> Option<&Path> {
        self.compare.then_some(self.local_dir.as_path())
    }

    /// An observer for one rsync attempt: it watches the area for the files
    /// rsync finishes (from the first attempt on) and lands them with
    /// `backup` (the attempt's backup directory, relative to the profile
    /// directory) when earlier versions are kept.
    pub fn feed<'o>(&'o self, inner: &'o mut dyn RunObserver, backup: Option<PathBuf>) -> Feed<'o> {
        *self.backup.lock().unwrap_or_else(PoisonError::into_inner) = backup;
        self.watch();
        Feed { inner, landing: self }
    }

    /// Start the watcher of the area, unless it runs. Without one (the area
    /// cannot be made or watched) every file is landed by [`Landing::finish`].
    fn watch(&self) {
        let mut watcher = self.watcher.lock().unwrap_or_else(PoisonError::into_inner);
        if watcher.is_some() {
            return;
        }
        let Some(tx) = self.sender.lock().unwrap_or_else(PoisonError::into_inner).clone() else { return };
        let mut found = Vec::new();
        let tree = std::fs::create_dir_all(&self.area).and_then(|()| TreeWatch::new(&self.area, AreaNames, &mut found));
        let tree = match tree {
            Ok(tree) => tree,
            Err(e) => {
                log::info!("cannot watch {} ({e}): its files are checked once rsync is done", self.area.display());
                return;
            }
        };
        *self.watching.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(Watching { tree, found, since: Instant::now() });
        let (stop, watching, backup) = (self.stop.clone(), self.watching.clone(), self.backup.clone());
        *watcher = Some(std::thread::spawn(move || watch_area(&watching, &tx, &stop, &backup)));
    }

    /// The file rsync is on, as the watch of the area sees it now.
    fn current_file(&self) -> Option<String> {
        let mut watching = self.watching.lock().unwrap_or_else(PoisonError::into_inner);
        let watching = watching.as_mut()?;
        // A failed look is the watcher's to report.
        let _ = watching.look();
        watching.current()
    }

    /// After the transfer: wait for the checkers, land what is left in the
    /// area, count the checked files into `failures` (the checkpoint's count
    /// of failed checks per path) and return what was checked and
    /// quarantined, with the errors met (a file that could not be moved
    /// stays in the area, and the next run lands it).
    pub fn finish(&self, failures: &mut BTreeMap<String, u32>) -> (LandingCheck, Vec<String>) {
        self.stop_watching();
        drop(self.sender.lock().unwrap_or_else(PoisonError::into_inner).take());
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(PoisonError::into_inner));
        for w in workers {
            if w.join().is_err() {
                let mut done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
                done.errors.push(
                    "a Parquet checker thread panicked; the files it held stay in the landing area for the next run"
                        .into(),
                );
            }
        }
        if let Err(e) = self.sweep() {
            self.done.lock().unwrap_or_else(PoisonError::into_inner).errors.push(e.to_string());
        }
        let done = std::mem::take(&mut *self.done.lock().unwrap_or_else(PoisonError::into_inner));
        let mut out = LandingCheck { too_recent: done.too_recent, moved: done.moved, ..LandingCheck::default() };
        for (rel, verdict) in done.checked {
            quarantine::account(&self.local_dir, &rel, verdict, failures, &mut out);
        }
        (out, done.errors)
    }

    /// Land every file left in the area (not rsync's partial or temporary
    /// files), make its directories in the lake and remove the empty ones.
    fn sweep(&self) -> Result<()> {
        let walk = walkdir::WalkDir::new(&self.area).follow_links(false).contents_first(true);
        for entry in walk {
            let entry = match entry {
                Ok(e) => e,
                Err(e) if e.io_error().is_some_and(|io| io.kind() == io::ErrorKind::NotFound) => continue,
                Err(e) => {
                    let path = e.path().map(Path::to_path_buf).unwrap_or_else(|| self.area.clone());
                    return Err(Error::io_default("read directory", path, io::Error::other(e.to_string())));
                }
            };
            let Ok(rel) = entry.path().strip_prefix(&self.area) else { continue };
            if rel.components().any(|c| c.as_os_str() == PARTIAL_DIR) {
                // Resume state: stays for the next run (an empty partial folder goes).
                if entry.file_type().is_dir() {
                    let _ = std::fs::remove_dir(entry.path());
                }
                continue;
            }
            if entry.file_type().is_dir() {
                if entry.depth() > 0 {
                    let dir = self.local_dir.join(rel);
                    std::fs::create_dir_all(&dir).map_err(|e| Error::io_default("create directory", &dir, e))?;
                }
                // Fails, as it should, while partial files or unlanded files are inside.
                let _ = std::fs::remove_dir(entry.path());
            } else if !is_rsync_temp_name(entry.file_name().as_encoded_bytes()) {
                let job = Job { rel: rel.to_path_buf(), backup: None };
                let step = land((&self.local_dir, &self.area), &job, &mut None, limit(&self.young_since));
                record(&self.done, &job.rel, step);
            }
        }
        Ok(())
    }
}

impl Landing {
    /// rsync is done: the watcher hands on the renames queued and stops.
    fn stop_watching(&self) {
        self.stop.store(true, Ordering::Release);
        if let Some(w) = self.watcher.lock().unwrap_or_else(PoisonError::into_inner).take() {
            w.thread().unpark();
            if w.join().is_err() {
                log::warn!("the watcher of {} panicked; the files it saw are landed by the sweep", self.area.display());
            }
        }
    }
}

impl Drop for Landing {
    /// A run that never reached [`Landing::finish`] (a panic) still stops its watcher and checkers.
    fn drop(&mut self) {
        self.stop_watching();
        drop(self.sender.lock().unwrap_or_else(PoisonError::into_inner).take());
        for w in std::mem::take(&mut *self.workers.lock().unwrap_or_else(PoisonError::into_inner)) {
            let _ = w.join();
        }
    }
}

/// Whether the profile directory holds anything but datalake's own folders
/// and `skip`. When it cannot be read it counts as holding something: the
/// comparison then costs time, never a file.
fn holds_anything(local_dir: &Path, skip: &[&str]) -> bool {
    let reserved = [LANDING_DIR, QUARANTINE_DIR, REPLACED_DIR];
    let Ok(entries) = std::fs::read_dir(local_dir) else {
        return local_dir.exists();
    };
    entries.into_iter().any(|entry| match entry {
        Ok(e) => {
            let name = e.file_name();
            !reserved.iter().chain(skip).any(|r| name.as_encoded_bytes() == r.as_bytes())
        }
        Err(_) => true,
    })
}

/// A checker: land batches until the queue closes.
fn work(rx: &Mutex<Receiver<Vec<Job>>>, done: &Mutex<Done>, (local_dir, area): (&Path, &Path), young: &AtomicI64) {
    let mut dirs = Dirs::default();
    loop {
        let jobs = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(jobs) = jobs else { return };
        let young_since = limit(young);
        // One lock per batch: the checkers would otherwise queue on it once per file.
        let steps: Vec<_> = jobs
            .iter()
            .map(|job| {
                let step = dirs.land((local_dir, area), job, young_since);
                let step = step.unwrap_or_else(|| land((local_dir, area), job, &mut dirs.made, young_since));
                (job, step)
            })
            .collect();
        let mut done = done.lock().unwrap_or_else(PoisonError::into_inner);
        for (job, step) in steps {
            record_into(&mut done, &job.rel, step);
        }
    }
}

fn record(done: &Mutex<Done>, rel: &Path, step: Result<Step>) {
    record_into(&mut done.lock().unwrap_or_else(PoisonError::into_inner), rel, step);
}

fn record_into(done: &mut Done, rel: &Path, step: Result<Step>) {
    if matches!(step, Ok(Step::Placed(_) | Step::Quarantined(..))) {
        done.moved += 1;
    }
    match step {
        Ok(Step::Gone | Step::Placed(false)) => {}
        Ok(Step::TooRecent(bytes)) => {
            done.too_recent.0 += 1;
            done.too_recent.1 += bytes;
        }
        Ok(Step::Placed(true)) => done.checked.push((rel.to_path_buf(), None)),
        Ok(Step::Quarantined(defect, to)) => done.checked.push((rel.to_path_buf(), Some((defect, to)))),
        Err(e) => done.errors.push(e.to_string()),
    }
}

/// A checker's open directories: rsync goes partition by partition, so the
/// area's and the lake's copy of the current one are opened once and each
/// file is read and renamed relative to them (no path lookup from `/` per
/// file, no `stat`: one read gives the size and the verdict).
#[derive(Default)]
struct Dirs {
    /// The current partition's directory in the area.
    area: CurrentDir,
    /// Its directory in the lake (made when missing).
    lake: CurrentDir,
    /// The lake directory this thread made last (for [`land`]).
    made: Option<PathBuf>,
}

impl Dirs {
    /// The common case of [`land`]: a new file, which passes or is not
    /// Parquet, moved to a name the lake does not have yet. `None`: anything
    /// else (a defect, a replaced file, an error), which [`land`] handles.
    fn land(&mut self, (local_dir, area): (&Path, &Path), job: &Job, young_since: Option<i64>) -> Option<Result<Step>> {
        let name = CString::new(job.rel.file_name()?.as_encoded_bytes()).ok()?;
        let partition = job.rel.parent()?;
        let from = self.area.at(area, partition)?;
        let new_partition = !self.lake.is_at(partition);
        let to = self.lake.made_at(local_dir, partition)?;
        if new_partition {
            self.made = Some(local_dir.join(partition));
        }
        let parquet = parquet_check::is_parquet_name(&job.rel);
        let young = |mtime: (i64, i64)| young_since.is_some_and(|since| mtime > (since, 0));
        let (too_recent, size) = if parquet {
            let file = match parquet_check::open_in(from.as_fd(), &name) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Some(Ok(Step::Gone)),
                Err(_) => return None,
            };
            // One fstat gives the age and the size, so the check is one read.
            let meta = file.metadata().ok().filter(std::fs::Metadata::is_file)?;
            let too_recent = young((meta.mtime(), meta.mtime_nsec()));
            if !too_recent && !matches!(parquet_check::check_opened(&file, Some(meta.len())), Ok(None)) {
                // A defect: the slow path looks again and says.
                return None;
            }
            (too_recent, meta.len())
        } else if young_since.is_some() {
            let flags = nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW;
            match nix::sys::stat::fstatat(Some(from.as_raw_fd()), name.as_c_str(), flags) {
                Ok(st) => (young((st.st_mtime, st.st_mtime_nsec)), st.st_size as u64),
                Err(Errno::ENOENT) => return Some(Ok(Step::Gone)),
                Err(_) => return None,
            }
        } else {
            (false, 0)
        };
        if too_recent {
            let gone = nix::unistd::unlinkat(Some(from.as_raw_fd()), name.as_c_str(), UnlinkatFlags::NoRemoveDir);
            return gone.is_ok().then_some(Ok(Step::TooRecent(size)));
        }
        let flags = RenameFlags::RENAME_NOREPLACE;
        match renameat2(Some(from.as_raw_fd()), name.as_c_str(), Some(to.as_raw_fd()), name.as_c_str(), flags) {
            Ok(()) => Some(Ok(Step::Placed(parquet))),
            Err(_) => None,
        }
    }
}

/// Check one landed file if it is Parquet, then move it to its real name or
/// into quarantine (or delete it when modified after `young_since`). `made`:
/// the lake directory this thread made last.
fn land(
    (local_dir, area): (&Path, &Path),
    job: &Job,
    made: &mut Option<PathBuf>,
    young_since: Option<i64>,
) -> Result<Step> {
    let staged = area.join(&job.rel);
    let meta = match std::fs::symlink_metadata(&staged) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Step::Gone),
        Err(e) => return Err(Error::io_default("read", &staged, e)),
    };
    if young_since.is_some_and(|since| meta.is_file() && (meta.mtime(), meta.mtime_nsec()) > (since, 0)) {
        return match std::fs::remove_file(&staged) {
            Ok(()) => Ok(Step::TooRecent(meta.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Step::Gone),
            Err(e) => Err(Error::io_default("remove a file too recent to land", &staged, e)),
        };
    }
    let parquet = meta.is_file() && parquet_check::is_parquet_name(&job.rel);
    if parquet {
        match parquet_check::check_file_of_size(&staged, Some(meta.len())) {
            Ok(None) => {}
            Ok(Some(defect)) => {
                let to = quarantine::move_into_quarantine(local_dir, &staged, &job.rel)?;
                return Ok(Step::Quarantined(defect, to));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Step::Gone),
            Err(e) => return Err(Error::io_default("check", &staged, e)),
        }
    }
    let target = local_dir.join(&job.rel);
    if let Some(parent) = target.parent().filter(|p| made.as_deref() != Some(*p)) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io_default("create directory", parent, e))?;
        *made = Some(parent.to_path_buf());
    }
    // A new file (nearly every one of a first sync): one rename that never replaces.
    match renameat2(None, &staged, None, &target, RenameFlags::RENAME_NOREPLACE) {
        Ok(()) => return Ok(Step::Placed(parquet)),
        // The lake has a version: keep it first. (Or the file system cannot
        // refuse to replace, or the directory just made went: the steps below say.)
        Err(Errno::EEXIST | Errno::EINVAL | Errno::ENOSYS | Errno::ENOENT) => {}
        Err(e) => return Err(Error::io_default("move into place", &staged, e.into())),
    }
    if let Some(dir) = &job.backup {
        keep_earlier(&target, &local_dir.join(dir).join(&job.rel))?;
    }
    match std::fs::rename(&staged, &target) {
        Ok(()) => Ok(Step::Placed(parquet)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Step::Gone),
        Err(e) => Err(Error::io(
            "move into place",
            &staged,
            e,
            "the file stays in the landing area and the next sync moves it; check the permissions of the profile directory",
        )),
    }
}

/// Hard-link the lake's copy at `target` (if any) to `backup`, or copy it
/// where links fail, before a new version replaces it.
fn keep_earlier(target: &Path, backup: &Path) -> Result<()> {
    match std::fs::symlink_metadata(target) {
        Ok(m) if m.is_file() => {}
        _ => return Ok(()),
    }
    if let Some(parent) = backup.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io_default("create directory", parent, e))?;
    }
    // A backup of the same name in the same attempt is an older one of the same file.
    let _ = std::fs::remove_file(backup);
    if std::fs::hard_link(target, backup).is_ok() {
        return Ok(());
    }
    std::fs::copy(target, backup).map(|_| ()).map_err(|e| {
        Error::io(
            "keep the earlier version of",
            target,
            e,
            "the new version stays in the landing area; free space or fix permissions in the profile directory",
        )
    })
}

/// The area's names as the watcher sees them: rsync's partial folders are
/// not watched, its temporary files are not finished.
struct AreaNames;

impl tree_watch::Names for AreaNames {
    fn skip_dir(&self, name: &OsStr) -> bool {
        name == PARTIAL_DIR
    }
    fn in_progress(&self, name: &OsStr) -> Option<OsString> {
        rsync_final_name(name.as_encoded_bytes()).map(|n| OsStr::from_bytes(n).to_os_string())
    }
}

/// The watcher: hands the files rsync finishes to the checkers in batches,
/// until told to stop and nothing is queued any more. When every checker is
/// gone (none can panic on a file, but if one did) the batches stay in the
/// area for [`Landing::finish`].
fn watch_area(
    watching: &Mutex<Option<Watching>>,
    tx: &SyncSender<Vec<Job>>,
    stop: &AtomicBool,
    backup: &Mutex<Option<PathBuf>>,
) {
    loop {
        let stopping = stop.load(Ordering::Acquire);
        let ready = {
            let mut watching = watching.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(w) = watching.as_mut() else { return };
            if let Err(e) = w.look() {
                log::info!("watching the landing area failed ({e}): what is left is landed once rsync is done");
                return;
            }
            let due = stopping || w.found.len() >= BATCH || w.since.elapsed() >= BATCH_WAIT;
            match due {
                true => std::mem::take(&mut w.found),
                false => Vec::new(),
            }
        };
        if !ready.is_empty() {
            let backup = backup.lock().unwrap_or_else(PoisonError::into_inner).clone();
            let mut jobs = ready.into_iter().map(|rel| Job { rel, backup: backup.clone() }).peekable();
            // In batches, so that every checker gets some.
            while jobs.peek().is_some() {
                if tx.send(jobs.by_ref().take(BATCH).collect()).is_err() {
                    return;
                }
            }
        }
        if stopping {
            return;
        }
        // Asleep, not waiting on the watch: rsync's renames only queue events.
        std::thread::park_timeout(WATCH_WAIT);
    }
}

/// Forwards everything to the attempt's observer; its progress names the
/// file landed last when rsync named none.
pub struct Feed<'o> {
    inner: &'o mut dyn RunObserver,
    landing: &'o Landing,
}

impl RunObserver for Feed<'_> {
    fn progress(&mut self, progress: &Progress) {
        if progress.current_file.is_some() {
            return self.inner.progress(progress);
        }
        let current_file = self.landing.current_file();
        self.inner.progress(&Progress { current_file, ..progress.clone() });
    }
    fn should_cancel(&mut self) -> bool {
        self.inner.should_cancel()
    }
    fn wants_progress(&self) -> bool {
        self.inner.wants_progress()
    }
    fn file_transferred(&mut self, name: &str) {
        self.inner.file_transferred(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::parquet_check::tests::parquet_bytes;
    use crate::rsync::process::Unobserved;

    fn put(path: &Path, bytes: &[u8]) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// Land `rel` in the area as rsync does: written under a temporary name
    /// (its modification time set there), then renamed to its real name.
    fn arrive(area: &Path, rel: &str, bytes: &[u8], mtime: Option<i64>) {
        let path = area.join(rel);
        let temp = path.with_file_name(format!(".{}.AbC123", path.file_name().unwrap().to_string_lossy()));
        put(&temp, bytes);
        if let Some(secs) = mtime {
            let t = std::time::UNIX_EPOCH + Duration::from_secs(secs as u64);
            std::fs::File::options().write(true).open(&temp).unwrap().set_modified(t).unwrap();
        }
        std::fs::rename(&temp, &path).unwrap();
    }

    /// Wait (up to 10 s) until `path` exists.
    fn appears(path: &Path) -> bool {
        let until = Instant::now() + Duration::from_secs(10);
        while !path.exists() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        path.exists()
    }

    #[test]
    fn files_get_their_real_name_while_rsync_goes_on_and_broken_ones_never_do() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path();
        let landing = Landing::open(lake, &[]);
        let good = parquet_bytes(50);
        // Left by an earlier run: landed by the sweep at the end.
        put(&landing.area().join("x_20261101/c.parquet"), &good);
        put(&lake.join("x_20261101/c.parquet"), b"old");
        let mut obs = Unobserved;
        let _feed = landing.feed(&mut obs, Some(PathBuf::from("bak")));
        arrive(landing.area(), "x_20261101/a.parquet", &good, None);
        arrive(landing.area(), "x_20261101/b.parquet", &good[..good.len() - 2], None);
        assert!(appears(&lake.join("x_20261101/a.parquet")), "landed before rsync is done");
        assert!(appears(&lake.join(QUARANTINE_DIR).join("x_20261101/b.parquet")), "quarantined before rsync is done");
        std::fs::create_dir_all(landing.area().join("empty_20261101/.rsync-partial")).unwrap();
        put(&landing.area().join("x_20261101/.rsync-partial/d.parquet"), b"half");
        put(&landing.area().join("x_20261101/.e.parquet.AbC123"), b"rsync's temp");
        let mut failures = BTreeMap::new();
        let (check, errors) = landing.finish(&mut failures);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(check.checked, 3, "a, b and c");
        assert_eq!(check.quarantined.len(), 1);
        assert_eq!(check.quarantined[0].path, Path::new("x_20261101/b.parquet"));
        assert!(!lake.join("x_20261101/b.parquet").exists());
        assert!(lake.join(QUARANTINE_DIR).join("x_20261101/b.parquet").exists());
        assert_eq!(std::fs::read(lake.join("x_20261101/a.parquet")).unwrap(), good);
        assert_eq!(std::fs::read(lake.join("x_20261101/c.parquet")).unwrap(), good, "c was swept into place");
        assert_eq!(failures.get("x_20261101/b.parquet"), Some(&1));
        assert_eq!(
            std::fs::read(lake.join("bak/x_20261101/c.parquet")).unwrap(),
            b"old",
            "c's earlier version is kept"
        );
        assert!(lake.join("empty_20261101").is_dir(), "an empty partition is made in the lake");
        assert!(landing.area().join("x_20261101/.rsync-partial/d.parquet").exists(), "partial files stay");
        assert!(!lake.join("x_20261101/d.parquet").exists() && !lake.join("x_20261101/.e.parquet.AbC123").exists());
    }

    #[test]
    fn a_replaced_file_is_linked_into_the_backup_dir_first() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path();
        let landing = Landing::open(lake, &[]);
        put(&lake.join("p/notes.csv"), b"earlier");
        let mut obs = Unobserved;
        let _feed = landing.feed(&mut obs, Some(PathBuf::from(REPLACED_DIR).join("att")));
        arrive(landing.area(), "p/notes.csv", b"later", None);
        let (check, errors) = landing.finish(&mut BTreeMap::new());
        assert!(errors.is_empty() && check.checked == 0, "{errors:?}");
        assert_eq!(std::fs::read(lake.join("p/notes.csv")).unwrap(), b"later");
        assert_eq!(std::fs::read(lake.join(REPLACED_DIR).join("att/p/notes.csv")).unwrap(), b"earlier");
        assert!(!landing.area().exists(), "the empty area is removed");
    }

    #[test]
    fn rsync_compares_with_the_lake_only_when_it_holds_something() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("profile");
        assert!(Landing::open(&lake, &[]).compare_with().is_none(), "no profile directory yet");
        for reserved in [LANDING_DIR, QUARANTINE_DIR, REPLACED_DIR, "_table"] {
            std::fs::create_dir_all(lake.join(reserved)).unwrap();
        }
        assert!(Landing::open(&lake, &["_table"]).compare_with().is_none(), "only datalake's own folders");
        assert_eq!(Landing::open(&lake, &[]).compare_with(), Some(lake.as_path()), "_table is not the table here");
        put(&lake.join("x_20261101/a.parquet"), b"x");
        assert_eq!(Landing::open(&lake, &["_table"]).compare_with(), Some(lake.as_path()));
    }

    #[test]
    fn files_modified_after_the_min_age_limit_are_deleted_not_landed() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path();
        let landing = Landing::open(lake, &[]);
        let good = parquet_bytes(50);
        let limit = 1_800_000_000;
        let aged = |rel: &str, mtime: i64| arrive(landing.area(), rel, &good, Some(mtime));
        aged("x_20261101/swept.parquet", limit + 5);
        landing.drop_younger_than(limit);
        let mut obs = Unobserved;
        let _feed = landing.feed(&mut obs, None);
        aged("x_20261101/old.parquet", limit);
        aged("x_20261101/young.parquet", limit + 1);
        aged("x_20261101/young.csv", limit + 60);
        let (check, errors) = landing.finish(&mut BTreeMap::new());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(check.too_recent, (3, 3 * good.len() as u64), "young.parquet, young.csv and swept.parquet");
        assert_eq!(check.checked, 1);
        assert_eq!(std::fs::read(lake.join("x_20261101/old.parquet")).unwrap(), good);
        for name in ["young.parquet", "young.csv", "swept.parquet"] {
            assert!(!lake.join("x_20261101").join(name).exists(), "{name} is never named");
        }
        assert!(!landing.area().exists(), "nothing is left in the area: the next run fetches the young files again");
    }

    /// Keeps the files its progress named.
    struct Named(Vec<Option<String>>);

    impl RunObserver for Named {
        fn progress(&mut self, progress: &Progress) {
            self.0.push(progress.current_file.clone());
        }
        fn should_cancel(&mut self) -> bool {
            false
        }
    }

    #[test]
    fn progress_names_the_file_rsync_is_receiving_then_the_one_it_finished() {
        let dir = tempfile::tempdir().unwrap();
        let landing = Landing::open(dir.path(), &[]);
        let mut named = Named(Vec::new());
        {
            let mut feed = landing.feed(&mut named, None);
            feed.progress(&Progress::default());
            put(&landing.area().join("p_20261101/.a.parquet.AbC123"), b"arriving");
            feed.progress(&Progress::default());
            feed.progress(&Progress { current_file: Some("rsync's own".into()), ..Progress::default() });
        }
        let expected = [None, Some("p_20261101/a.parquet".to_string()), Some("rsync's own".to_string())];
        assert_eq!(named.0, expected);
        landing.finish(&mut BTreeMap::new());
    }

    #[test]
    fn temp_names() {
        assert!(is_rsync_temp_name(b".part_1.parquet.Xy12Ab"));
        assert!(!is_rsync_temp_name(b"part_1.parquet"));
        assert!(!is_rsync_temp_name(b".hidden"));
    }
}
