//! One sync or cleanup per profile at a time, via an OS file lock.
//!
//! The lock is `std::fs::File::try_lock`, which is `flock(LOCK_EX | LOCK_NB)`
//! on Linux and the BSDs: it belongs to the open file, so the kernel drops it
//! when the holder exits or crashes and there are never stale locks. The file
//! is opened close-on-exec (std's default), so an rsync child does not inherit
//! it and cannot outlive the lock. The lock file is never deleted: unlinking it
//! while another process waits on the old inode would let two holders in.
//!
//! The holder writes a small JSON record (pid, activity, start time) into the
//! file, which a second process reads to say who holds the lock.
//!
//! One gap of `flock` within a process: a child forked by another thread
//! (rsync is spawned with fork, then exec) shares every open file until its
//! exec closes the close-on-exec ones, so a lock this process has just
//! released may still be held, for that moment, by the child's copy. A lock
//! whose record names this process, and which no thread here holds, is
//! therefore waited for briefly ([`INHERITED_WAIT`]) before it counts as taken.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Local, Utc};
use serde::{Deserialize, Serialize};

use crate::vocab::error::{Error, Result};

/// A held profile lock; released on drop or when the process dies.
#[derive(Debug)]
pub struct ProfileLock {
    file: File,
    path: PathBuf,
    id: FileId,
}

/// A lock file's identity (device, inode), whatever path reached it.
type FileId = (u64, u64);

/// The lock files the threads of this process hold.
static HELD_HERE: Mutex<BTreeSet<FileId>> = Mutex::new(BTreeSet::new());

/// How long a lock released by this process but still shared with a child
/// that has not reached its exec yet is waited for (usually milliseconds).
pub const INHERITED_WAIT: Duration = Duration::from_secs(2);

fn held_here() -> std::sync::MutexGuard<'static, BTreeSet<FileId>> {
    HELD_HERE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the holder writes into the lock file.
#[derive(Debug, Serialize, Deserialize)]
struct Holder {
    pid: u32,
    activity: String,
    started_at: DateTime<Utc>,
}

impl ProfileLock {
    /// Take the lock at `path` for `profile` without waiting for another
    /// holder (only, briefly, for a child of this process that still shares a
    /// lock released here; see the module docs).
    ///
    /// `activity` ("synced", "cleaned") goes into the holder record so a second
    /// run can say `profile X is being synced by pid N since HH:MM:SS`
    /// ([`crate::Error::Locked`]).
    pub fn acquire(path: &Path, profile: &str, activity: &str) -> Result<ProfileLock> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io_default("create lock directory", dir, e))?;
        }
        // No truncation here: the file may belong to a running holder.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io_default("open lock file", path, e))?;
        let meta = file.metadata().map_err(|e| Error::io_default("read lock file", path, e))?;
        let id = (meta.dev(), meta.ino());
        let inherited_until = Instant::now() + INHERITED_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock)
                    if !held_here().contains(&id)
                        && holder(&mut file).is_some_and(|h| h.pid == std::process::id())
                        && Instant::now() < inherited_until =>
                {
                    // Released here; a forked child still shares it until its exec.
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(TryLockError::WouldBlock) => return Err(locked_error(&mut file, profile, activity)),
                Err(TryLockError::Error(e)) => {
                    return Err(Error::io(
                        "lock",
                        path,
                        e,
                        "the filesystem may not support file locks (some network filesystems do not): \
                         put checkpoint_dir on a local disk",
                    ))
                }
            }
        }
        held_here().insert(id);
        let lock = ProfileLock { file, path: path.to_path_buf(), id };
        let me = Holder { pid: std::process::id(), activity: activity.to_string(), started_at: Utc::now() };
        // Serialising a struct of plain fields cannot fail.
        let record = serde_json::to_vec(&me).unwrap_or_default();
        // Overwrite in place, then trim: the record fits in the block the file
        // already owns, so taking the lock works on a full disk (truncating
        // first would free that block and need a new one).
        let mut file = &lock.file;
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.write_all(&record))
            .and_then(|()| lock.file.set_len(record.len() as u64))
            .and_then(|()| file.flush())
            .map_err(|e| Error::io_default("write lock file", path, e))?;
        Ok(lock)
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        let _ = &self.file;
        &self.path
    }
}

impl Drop for ProfileLock {
    fn drop(&mut self) {
        // The file (and so the flock) closes right after this.
        held_here().remove(&self.id);
    }
}

/// The record in the lock file, if it reads as one.
fn holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).and_then(|_| file.read_to_string(&mut text)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The [`Error::Locked`] for a lock held by someone else, from their record.
///
/// `activity` is ours, used only when the holder's record cannot be read.
fn locked_error(file: &mut File, profile: &str, activity: &str) -> Error {
    // The holder takes the lock before writing its record: give it a moment
    // rather than report an unknown pid.
    let mut found = None;
    for attempt in 0..5 {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
        found = holder(file);
        if found.is_some() {
            break;
        }
    }
    match found {
        Some(h) => Error::Locked {
            profile: profile.to_string(),
            activity: h.activity,
            pid: Some(h.pid),
            since: Some(h.started_at.with_timezone(&Local).format("%H:%M:%S").to_string()),
        },
        None => Error::Locked { profile: profile.to_string(), activity: activity.to_string(), pid: None, since: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};
    use std::time::Instant;

    #[test]
    fn second_acquire_fails_with_holder() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("deep/checkpoints/cex.lock");
        let lock = ProfileLock::acquire(&path, "cex", "synced").unwrap();
        assert_eq!(lock.path(), path);
        let err = ProfileLock::acquire(&path, "cex", "cleaned").unwrap_err();
        match &err {
            Error::Locked { profile, activity, pid, since } => {
                assert_eq!(profile, "cex");
                assert_eq!(activity, "synced");
                assert_eq!(*pid, Some(std::process::id()));
                let since = since.as_deref().unwrap();
                assert!(chrono::NaiveTime::parse_from_str(since, "%H:%M:%S").is_ok(), "{since}");
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        assert_eq!(err.kind(), crate::vocab::error::ErrorKind::Locked);
        let msg = err.to_string();
        assert!(msg.starts_with(&format!("profile cex is being synced by pid {} since ", std::process::id())), "{msg}");

        drop(lock);
        assert!(path.exists(), "the lock file is never deleted");
        let again = ProfileLock::acquire(&path, "cex", "cleaned").unwrap();
        let record: Holder = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(record.activity, "cleaned");
        drop(again);
    }

    /// Another thread forks a child (as rsync's spawn does) while the lock is
    /// held; the lock is released before the child execs. Taking it again
    /// waits for that exec instead of reporting this very process as the holder.
    #[test]
    fn a_lock_shared_with_a_child_not_yet_execd_is_waited_for() {
        use std::os::unix::process::CommandExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("p.lock");
        let lock = ProfileLock::acquire(&path, "p", "synced").unwrap();
        std::thread::scope(|s| {
            let forked = s.spawn(|| {
                let mut cmd = Command::new("true");
                // SAFETY: the closure only sleeps (nanosleep) between fork and exec.
                unsafe {
                    cmd.pre_exec(|| {
                        std::thread::sleep(Duration::from_millis(600));
                        Ok(())
                    });
                }
                cmd.status().unwrap()
            });
            std::thread::sleep(Duration::from_millis(200)); // the child has forked, not exec'd
            drop(lock);
            let again = ProfileLock::acquire(&path, "p", "synced");
            assert!(again.is_ok(), "{:?}", again.err());
            // Held by a thread here: refused at once, not waited for.
            let started = Instant::now();
            let err = ProfileLock::acquire(&path, "p", "cleaned").unwrap_err();
            assert_eq!(err.kind(), crate::vocab::error::ErrorKind::Locked);
            assert!(started.elapsed() < INHERITED_WAIT, "{:?}", started.elapsed());
            assert!(forked.join().unwrap().success());
        });
    }

    #[test]
    fn shorter_record_replaces_longer_one() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("p.lock");
        std::fs::write(&path, "x".repeat(500)).unwrap();
        let _lock = ProfileLock::acquire(&path, "p", "synced").unwrap();
        let record: Holder = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(record.pid, std::process::id());
    }

    #[test]
    fn unreadable_record_still_reports_locked() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("p.lock");
        std::fs::write(&path, "garbage").unwrap();
        let other = File::options().read(true).write(true).open(&path).unwrap();
        other.try_lock().unwrap();
        match ProfileLock::acquire(&path, "p", "cleaned") {
            Err(Error::Locked { pid: None, since: None, activity, .. }) => assert_eq!(activity, "cleaned"),
            other => panic!("expected Locked without holder, got {other:?}"),
        }
    }

    #[test]
    fn unusable_path_is_an_io_error() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        std::fs::write(&file, "").unwrap();
        let err = ProfileLock::acquire(&file.join("p.lock"), "p", "synced").unwrap_err();
        assert_eq!(err.kind(), crate::vocab::error::ErrorKind::Io, "{err}");
    }

    /// Another process holding `flock` on the file (as a crashed-but-alive
    /// sync would) blocks us, and its death releases the lock.
    #[test]
    fn interoperates_with_another_process() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("p.lock");
        std::fs::write(&path, "").unwrap();
        let ready = tmp.path().join("ready");
        let script = "import fcntl, json, os, sys, time\n\
                      f = open(sys.argv[1], 'r+')\n\
                      fcntl.flock(f, fcntl.LOCK_EX)\n\
                      f.write(json.dumps({'pid': os.getpid(), 'activity': 'synced', \
                      'started_at': '2026-01-02T03:04:05Z'})); f.flush()\n\
                      open(sys.argv[2], 'w').close()\n\
                      time.sleep(60)\n";
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&path)
            .arg(&ready)
            .stdin(Stdio::null())
            .spawn()
            .expect("python3 is needed for this test");
        let start = Instant::now();
        while !ready.exists() {
            assert!(start.elapsed() < Duration::from_secs(20), "python child did not take the lock");
            std::thread::sleep(Duration::from_millis(20));
        }
        match ProfileLock::acquire(&path, "p", "cleaned") {
            Err(Error::Locked { pid, activity, since, .. }) => {
                assert_eq!(pid, Some(child.id()));
                assert_eq!(activity, "synced");
                let expected = "2026-01-02T03:04:05Z".parse::<DateTime<Utc>>().unwrap();
                assert_eq!(since.unwrap(), expected.with_timezone(&Local).format("%H:%M:%S").to_string());
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let lock = ProfileLock::acquire(&path, "p", "cleaned").unwrap();
        drop(lock);
    }
}
