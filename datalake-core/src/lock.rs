//! One sync or cleanup per profile at a time, via an OS file lock.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::Result;

/// A held profile lock; released on drop or when the process dies.
#[derive(Debug)]
pub struct ProfileLock {
    file: File,
    path: PathBuf,
}

impl ProfileLock {
    /// Take the lock at `path` for `profile` without waiting.
    ///
    /// `activity` ("synced", "cleaned") goes into the holder record so a second
    /// run can say `profile X is being synced by pid N since HH:MM:SS`
    /// ([`crate::Error::Locked`]).
    pub fn acquire(path: &Path, profile: &str, activity: &str) -> Result<ProfileLock> {
        let _ = (path, profile, activity);
        todo!("fs helper")
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        let _ = &self.file;
        &self.path
    }
}
