//! The footer checks of `verify` in one parallel pass: the worker threads
//! share a stack of directories, and each thread reads a directory once,
//! pushes its subdirectories and checks its Parquet files as it finds them.
//!
//! Why not "walk, then check": the walk alone (a `getdents` per directory
//! and an `fstatat` per file, on one thread) was a fifth of a check of a
//! big lake of small parts, and the other threads waited for it. Here the
//! walk is spread over the threads too, and a file's size comes from the
//! check's own read (one `pread` from the start holds a whole small part),
//! so a file costs one `openat`, one `pread` and a `close`.
//!
//! The price: the total is not known before the end, so progress counts
//! files and bytes done without a total.

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use nix::dir::{Dir, Type};
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{fstatat, Mode, SFlag};
use serde::Serialize;

use crate::local::parquet_check::{self, Defect, Problem};
use crate::rsync::process::{RunObserver, POLL_INTERVAL};
use crate::vocab::cancel::CancelToken;
use crate::vocab::error::{Error, Result};
use crate::vocab::names::{LANDING_DIR, PARTIAL_DIR, QUARANTINE_DIR, REPLACED_DIR};
use crate::vocab::progress::Progress;

/// A file that failed the footer check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenFile {
    /// Path relative to the profile directory.
    pub path: PathBuf,
    /// What is wrong.
    pub problem: Problem,
    /// In words.
    pub reason: String,
}

/// A file to check whose place the caller already knows (the table's data
/// files, by the record), with its expected size.
pub(super) struct KnownFile {
    /// Its directory, relative to the root.
    pub dir: PathBuf,
    /// Its name.
    pub name: CString,
    /// Its size by the record.
    pub size: u64,
}

/// What the pass found.
#[derive(Debug, Default)]
pub(super) struct Scanned {
    /// Parquet files checked.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// The ones that failed, by path.
    pub broken: Vec<BrokenFile>,
}

/// One piece of work.
enum Job {
    /// A directory to read, relative to the root, at a depth (the root is 0).
    Dir(PathBuf, usize),
    /// A file known beforehand.
    Known(KnownFile),
}

/// The shared stack, and how many jobs are being worked on: the pass ends
/// when both are empty.
struct Queue {
    jobs: Vec<Job>,
    active: usize,
}

struct Shared<'a> {
    root: &'a Path,
    /// A top-level directory that is not lake data (the table), besides the reserved ones.
    skip_top: Option<&'a OsStr>,
    queue: Mutex<Queue>,
    wake: Condvar,
    files: AtomicU64,
    bytes: AtomicU64,
    broken: Mutex<Vec<BrokenFile>>,
    failure: Mutex<Option<Error>>,
    stop: CancelToken,
}

/// Check every Parquet file below `root` (never following symlinks, leaving
/// out partial, quarantine, replaced and landing folders and `skip_top`) and the
/// `known` files, on `jobs` threads; the calling thread reports progress and
/// polls `observer` for a stop.
pub(super) fn scan(
    profile: &str,
    root: &Path,
    skip_top: Option<&OsStr>,
    known: Vec<KnownFile>,
    jobs: usize,
    observer: &mut dyn RunObserver,
) -> Result<Scanned> {
    let mut stack: Vec<Job> = known.into_iter().map(Job::Known).collect();
    stack.push(Job::Dir(PathBuf::new(), 0));
    let shared = Shared {
        root,
        skip_top,
        queue: Mutex::new(Queue { jobs: stack, active: 0 }),
        wake: Condvar::new(),
        files: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        broken: Mutex::new(Vec::new()),
        failure: Mutex::new(None),
        stop: CancelToken::new(),
    };
    let started = Instant::now();
    let mut interrupted = false;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs.max(1)).map(|_| scope.spawn(|| work(&shared))).collect();
        let mut progress = Progress { profile: profile.to_string(), ..Progress::default() };
        loop {
            let finished = workers.iter().all(|w| w.is_finished());
            progress.files_done = shared.files.load(Ordering::Relaxed);
            progress.bytes_done = shared.bytes.load(Ordering::Relaxed);
            let secs = started.elapsed().as_secs_f64();
            progress.rate = if secs > 0.0 { progress.bytes_done as f64 / secs } else { 0.0 };
            observer.progress(&progress);
            if finished {
                break;
            }
            if !shared.stop.is_cancelled() && observer.should_cancel() {
                interrupted = true;
                shared.stop.cancel();
                shared.wake.notify_all();
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    });
    if let Some(e) = shared.failure.into_inner().unwrap_or_else(PoisonError::into_inner) {
        return Err(e);
    }
    if interrupted {
        return Err(Error::Interrupted { profile: profile.to_string(), operation: "verify".into() });
    }
    let mut broken = shared.broken.into_inner().unwrap_or_else(PoisonError::into_inner);
    broken.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Scanned { files: shared.files.into_inner(), bytes: shared.bytes.into_inner(), broken })
}

/// A worker: take jobs until the stack is empty and nobody can add to it.
fn work(shared: &Shared<'_>) {
    let mut buf = Vec::new();
    loop {
        let job = {
            let mut queue = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                if shared.stop.is_cancelled() {
                    return;
                }
                if let Some(job) = queue.jobs.pop() {
                    queue.active += 1;
                    break job;
                }
                if queue.active == 0 {
                    return;
                }
                // A timeout as well as the wake-up: a stop sets no condition.
                queue = shared
                    .wake
                    .wait_timeout(queue, Duration::from_millis(50))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        };
        let result = match job {
            Job::Dir(rel, depth) => read_dir(shared, &rel, depth, &mut buf),
            Job::Known(file) => {
                check_known(shared, file);
                Ok(())
            }
        };
        if let Err(e) = result {
            shared.failure.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert(e);
            shared.stop.cancel();
        }
        let mut queue = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue.active -= 1;
        if queue.active == 0 && queue.jobs.is_empty() {
            shared.wake.notify_all();
        }
    }
}

/// Whether a subdirectory at `depth` is lake data to walk.
fn walks_into(shared: &Shared<'_>, name: &OsStr, depth: usize) -> bool {
    let reserved =
        name == QUARANTINE_DIR || name == REPLACED_DIR || name == LANDING_DIR || Some(name) == shared.skip_top;
    !(name == PARTIAL_DIR || (depth == 1 && reserved))
}

/// Read one directory: queue its subdirectories, check its Parquet files.
fn read_dir(shared: &Shared<'_>, rel: &Path, depth: usize, buf: &mut Vec<u8>) -> Result<()> {
    let path = shared.root.join(rel);
    let mut dir = match Dir::open(&path, OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty()) {
        Ok(d) => d,
        // Removed meanwhile (a cleanup), or no lake yet: nothing to check.
        Err(Errno::ENOENT) => return Ok(()),
        Err(e) => return Err(Error::io_default("read directory", path, e.into())),
    };
    // SAFETY: `dir` owns this descriptor and outlives every use of `fd` below.
    let fd = unsafe { BorrowedFd::borrow_raw(dir.as_raw_fd()) };
    let mut subdirs = Vec::new();
    for item in dir.iter() {
        if shared.stop.is_cancelled() {
            return Ok(());
        }
        let item = item.map_err(|e| Error::io_default("read directory", &path, e.into()))?;
        let name = item.file_name();
        let bytes = name.to_bytes();
        if bytes == b"." || bytes == b".." {
            continue;
        }
        let os_name = OsStr::from_bytes(bytes);
        let kind = match item.file_type() {
            Some(t) => t,
            // A file system that does not say: ask it (without following links).
            None => match fstatat(Some(fd.as_raw_fd()), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
                Ok(st) => match SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT {
                    SFlag::S_IFDIR => Type::Directory,
                    SFlag::S_IFREG => Type::File,
                    _ => continue,
                },
                Err(Errno::ENOENT) => continue,
                Err(e) => return Err(Error::io_default("read metadata of", path.join(os_name), e.into())),
            },
        };
        match kind {
            Type::Directory if walks_into(shared, os_name, depth + 1) => {
                subdirs.push(Job::Dir(rel.join(os_name), depth + 1))
            }
            Type::File if parquet_check::is_parquet_name(Path::new(os_name)) => {
                check_in(shared, fd, rel, name, buf);
            }
            _ => {}
        }
    }
    if !subdirs.is_empty() {
        let mut queue = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue.jobs.append(&mut subdirs);
        shared.wake.notify_all();
    }
    Ok(())
}

/// Check one file of an open directory; its size comes from the check.
fn check_in(shared: &Shared<'_>, dir: BorrowedFd<'_>, rel: &Path, name: &std::ffi::CStr, buf: &mut Vec<u8>) {
    let checked = parquet_check::open_in(dir, name).and_then(|file| parquet_check::check_unsized(&file, buf));
    let (len, defect) = match checked {
        Ok(found) => found,
        // Removed meanwhile (a cleanup): nothing to say about it.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => (0, Some(unreadable(&e))),
    };
    record(shared, rel.join(OsStr::from_bytes(name.to_bytes())), len, defect);
}

/// Check a file known beforehand, against its expected size.
fn check_known(shared: &Shared<'_>, file: KnownFile) {
    let path = file.dir.join(OsStr::from_bytes(file.name.as_bytes()));
    let checked = File::open(shared.root.join(&file.dir))
        .and_then(|dir| parquet_check::open_in(dir.as_fd(), &file.name))
        .and_then(|f| parquet_check::check_opened(&f, Some(file.size)));
    let defect = match checked {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => Some(unreadable(&e)),
    };
    record(shared, path, file.size, defect);
}

fn unreadable(e: &std::io::Error) -> Defect {
    Defect { problem: Problem::Unreadable, reason: format!("cannot be read: {e}") }
}

fn record(shared: &Shared<'_>, path: PathBuf, len: u64, defect: Option<Defect>) {
    if let Some(d) = defect {
        let entry = BrokenFile { path, problem: d.problem, reason: d.reason };
        shared.broken.lock().unwrap_or_else(PoisonError::into_inner).push(entry);
    }
    shared.bytes.fetch_add(len, Ordering::Relaxed);
    shared.files.fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::parquet_check::tests::parquet_bytes;
    use crate::rsync::process::Unobserved;

    fn put(root: &Path, rel: &str, bytes: &[u8]) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    #[test]
    fn walks_and_checks_in_one_pass_leaving_out_what_is_not_lake_data() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let small = parquet_bytes(100);
        let big = parquet_bytes(20_000);
        assert!(big.len() > 16 * 1024, "a file larger than one read from its start");
        put(root, "a_20241128/part_00001.parquet", &small);
        put(root, "a_20241128/part_00002.PARQUET", &big);
        put(root, "gate_io/BTC-USDT/20241128/part_00001.parquet", &small);
        put(root, "a_20241128/part_00003.parquet", &small[..small.len() - 3]);
        put(root, "a_20241128/part_00004.parquet", &big[..big.len() - 5]);
        put(root, "a_20241128/tiny.parquet", b"PAR1");
        put(root, "a_20241128/notes.txt", b"not parquet");
        for skipped in [
            ".rsync-partial/x.parquet",
            "a_20241128/.rsync-partial/y.parquet",
            ".datalake-quarantine/q.parquet",
            ".datalake-landing/l.parquet",
            ".datalake-replaced/r.parquet",
            "_table/t.parquet",
        ] {
            put(root, skipped, b"broken");
        }
        std::os::unix::fs::symlink(root.join("a_20241128/part_00001.parquet"), root.join("a_20241128/link.parquet"))
            .unwrap();
        let known = [KnownFile {
            dir: "_table/date=2024-11-28".into(),
            name: CString::new("k.parquet").unwrap(),
            size: small.len() as u64,
        }];
        put(root, "_table/date=2024-11-28/k.parquet", &small);

        for jobs in [1, 3] {
            let found = scan(
                "p",
                root,
                Some(OsStr::new("_table")),
                known.iter().map(|k| KnownFile { dir: k.dir.clone(), name: k.name.clone(), size: k.size }).collect(),
                jobs,
                &mut Unobserved,
            )
            .unwrap();
            let broken: Vec<(String, Problem)> =
                found.broken.iter().map(|b| (b.path.display().to_string(), b.problem)).collect();
            assert_eq!(
                broken,
                [
                    ("a_20241128/part_00003.parquet".to_string(), Problem::BadFooterMagic),
                    ("a_20241128/part_00004.parquet".to_string(), Problem::BadFooterMagic),
                    ("a_20241128/tiny.parquet".to_string(), Problem::TooShort),
                ]
            );
            assert_eq!(found.files, 7);
            let sizes = 4 * small.len() + 2 * big.len() - 3 - 5 + 4;
            assert_eq!(found.bytes, sizes as u64);
        }
    }

    #[test]
    fn no_lake_yet_is_nothing_to_check() {
        let tmp = tempfile::tempdir().unwrap();
        let found = scan("p", &tmp.path().join("absent"), None, Vec::new(), 2, &mut Unobserved).unwrap();
        assert_eq!((found.files, found.bytes, found.broken.len()), (0, 0, 0));
    }
}
