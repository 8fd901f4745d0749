//! Removing an expired partition relative to directory descriptors (nix
//! `openat` with `O_NOFOLLOW`, `fstatat`, `unlinkat`): what `rm -rf` does plus
//! one `fstatat` per regular file for the freed bytes, and it cannot be
//! redirected through a directory swapped for a symlink mid-way.

use std::ffi::{CStr, OsStr};
use std::fs;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::AtFlags;
use nix::sys::stat::{fstat, fstatat, Mode};
use nix::unistd::{unlinkat, UnlinkatFlags};

use super::{Cleaner, Removal};
use crate::local::fswalk::{self, EntryKind, DIR_FLAGS, MAX_DEPTH};
use crate::vocab::error::{Error, Result};

impl Cleaner<'_> {
    /// Delete one partition directory and everything below it, without
    /// following symlinks (links are removed, their targets untouched) and
    /// without entering other filesystems.
    pub(super) fn remove_partition(&mut self, dir: &Path) -> Result<Removal> {
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
            return Err(fswalk::too_deep("delete", path, "inside a partition; remove it by hand"));
        }
        let fd = dir.as_raw_fd();
        for entry in dir.iter() {
            self.poll()?;
            let entry = entry.map_err(|e| Error::io_default("read directory", path, e.into()))?;
            if fswalk::is_dot(&entry) {
                continue;
            }
            let name = entry.file_name();
            let at = |e: Errno| (e, path.join(OsStr::from_bytes(name.to_bytes())));
            let (kind, stat) = match fswalk::entry_kind(fd, &entry) {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(e) => return Err(stat_error(at(e))),
            };
            match kind {
                EntryKind::Directory => {
                    let mut sub = match fswalk::open_subdir(fd, &entry) {
                        Ok(Some(sub)) => sub,
                        Ok(None) => continue,
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
                EntryKind::File => {
                    let size = match stat {
                        Some(st) => st.st_size,
                        None => match fstatat(Some(fd), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
                            Ok(st) => st.st_size,
                            Err(Errno::ENOENT) => continue,
                            Err(e) => return Err(stat_error(at(e))),
                        },
                    };
                    removal.bytes += size.max(0) as u64;
                    removal.files += 1;
                    if !self.dry_run {
                        unlink_at(fd, name, UnlinkatFlags::NoRemoveDir, path)?;
                    }
                }
                // Symlinks (the link itself goes), fifos, sockets, devices.
                EntryKind::Symlink | EntryKind::Other => {
                    removal.files += 1;
                    if !self.dry_run {
                        unlink_at(fd, name, UnlinkatFlags::NoRemoveDir, path)?;
                    }
                }
            }
        }
        Ok(())
    }
}

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
