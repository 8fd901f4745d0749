//! The directory the last file was in, kept open.
//!
//! Files come directory by directory (rsync's output, the collector's
//! listing), so each is reached relative to its open directory (`openat`,
//! `fstatat`, `renameat2`) instead of by its whole path from `/`: on a big
//! lake that path walk was most of the cost of looking at a file.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// `path` opened as a directory (never a file of that name); `None` when it cannot be.
pub fn open_dir(path: &Path) -> Option<OwnedFd> {
    let flags = nix::libc::O_DIRECTORY | nix::libc::O_CLOEXEC;
    std::fs::OpenOptions::new().read(true).custom_flags(flags).open(path).ok().map(OwnedFd::from)
}

/// One directory below a root, open until another is asked for.
#[derive(Debug, Default)]
pub struct CurrentDir {
    /// The directory (relative to the root) the descriptor is for.
    rel: Option<PathBuf>,
    fd: Option<OwnedFd>,
}

impl CurrentDir {
    /// Whether `rel` is the directory asked for last (open or not).
    pub fn is_at(&self, rel: &Path) -> bool {
        self.rel.as_ref().is_some_and(|r| r.as_os_str().as_bytes() == rel.as_os_str().as_bytes())
    }

    /// `root/rel`, opened when it is not the directory asked for last;
    /// `None` when it cannot be opened (asked again, it is not retried).
    pub fn at(&mut self, root: &Path, rel: &Path) -> Option<BorrowedFd<'_>> {
        self.open(root, rel, false)
    }

    /// [`CurrentDir::at`], making the directory (and its parents) first.
    pub fn made_at(&mut self, root: &Path, rel: &Path) -> Option<BorrowedFd<'_>> {
        self.open(root, rel, true)
    }

    fn open(&mut self, root: &Path, rel: &Path, make: bool) -> Option<BorrowedFd<'_>> {
        if !self.is_at(rel) {
            let path = root.join(rel);
            let made = !make || std::fs::create_dir_all(&path).is_ok();
            self.fd = if made { open_dir(&path) } else { None };
            self.rel = Some(rel.to_path_buf());
        }
        self.fd.as_ref().map(AsFd::as_fd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_stays_open_until_another_is_asked_for() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("a")).unwrap();
        std::fs::write(root.path().join("f"), b"a file").unwrap();
        let mut dir = CurrentDir::default();
        let raw = |fd: Option<BorrowedFd<'_>>| fd.map(|f| std::os::fd::AsRawFd::as_raw_fd(&f));
        let first = raw(dir.at(root.path(), Path::new("a")));
        assert!(first.is_some() && dir.is_at(Path::new("a")));
        assert_eq!(raw(dir.at(root.path(), Path::new("a"))), first, "not opened again");
        assert!(dir.at(root.path(), Path::new("f")).is_none(), "a file is not a directory");
        assert!(dir.at(root.path(), Path::new("missing")).is_none());
        assert!(!root.path().join("b/c").exists());
        assert!(dir.made_at(root.path(), Path::new("b/c")).is_some());
        assert!(root.path().join("b/c").is_dir());
    }
}
