//! Descriptor-relative walking, shared by the cleaner and stats.
//!
//! Directories below the profile directory are opened relative to their
//! parent's descriptor with `O_NOFOLLOW` (a directory swapped for a symlink
//! mid-way is never entered, no path is resolved from the root again), and an
//! entry's type comes from `d_type`, or from `fstatat` where the filesystem
//! leaves `d_type` empty. This is what `du` and `rm -rf` do.

use std::fs::Metadata;
use std::io;
use std::os::fd::RawFd;
use std::path::Path;

use nix::dir::{Dir, Entry, Type};
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{fstatat, FileStat, Mode, SFlag};

use crate::vocab::error::{Error, Result};

/// Open flags for directories below the profile directory: never through a symlink.
pub const DIR_FLAGS: OFlag = OFlag::O_RDONLY.union(OFlag::O_DIRECTORY).union(OFlag::O_NOFOLLOW).union(OFlag::O_CLOEXEC);

/// Nesting limit of a walk (each level holds a descriptor open; real lakes
/// are a few levels deep, so more means a loop of bind mounts or a mistake).
pub const MAX_DEPTH: usize = 256;

/// A directory modified less than this many seconds before a walk may still
/// change within the same mtime (a change in the same clock tick leaves it as
/// it was), so its mtime vouches for nothing yet; as git treats its index.
pub const RACY_SECONDS: i64 = 2;

/// Whether a directory whose mtime is `dir_mtime_secs` is old enough, at
/// `now` (seconds since the epoch), for its mtime to stand for its entries
/// (the lake index and the quick check's memory rely on it).
pub fn mtime_settled(dir_mtime_secs: i64, now: i64) -> bool {
    dir_mtime_secs < now - RACY_SECONDS
}

/// What a directory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A directory (not a symlink to one).
    Directory,
    /// A regular file.
    File,
    /// A symbolic link (never followed).
    Symlink,
    /// A fifo, socket or device.
    Other,
}

/// The kind of `entry`, read in directory `fd`. When `d_type` is empty the
/// entry is stat'ed, and that stat is handed back so the caller need not
/// repeat it. `Ok(None)`: the entry vanished meanwhile.
pub fn entry_kind(fd: RawFd, entry: &Entry) -> std::result::Result<Option<(EntryKind, Option<FileStat>)>, Errno> {
    if let Some(t) = entry.file_type() {
        let kind = match t {
            Type::Directory => EntryKind::Directory,
            Type::File => EntryKind::File,
            Type::Symlink => EntryKind::Symlink,
            Type::Fifo | Type::CharacterDevice | Type::BlockDevice | Type::Socket => EntryKind::Other,
        };
        return Ok(Some((kind, None)));
    }
    match fstatat(Some(fd), entry.file_name(), AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => {
            let kind = match SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT {
                SFlag::S_IFDIR => EntryKind::Directory,
                SFlag::S_IFREG => EntryKind::File,
                SFlag::S_IFLNK => EntryKind::Symlink,
                _ => EntryKind::Other,
            };
            Ok(Some((kind, Some(st))))
        }
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether `name` is `.` or `..`.
pub fn is_dot(entry: &Entry) -> bool {
    matches!(entry.file_name().to_bytes(), b"." | b"..")
}

/// Open the subdirectory `entry` of `fd` without following a symlink;
/// `Ok(None)` when it vanished meanwhile.
pub fn open_subdir(fd: RawFd, entry: &Entry) -> std::result::Result<Option<Dir>, Errno> {
    match Dir::openat(Some(fd), entry.file_name(), DIR_FLAGS, Mode::empty()) {
        Ok(dir) => Ok(Some(dir)),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The profile directory's metadata, following it if it is a symlink (to a
/// bigger disk, say: that one link is followed, nothing below it).
/// `Ok(None)` when it does not exist yet; an error when it is not a directory.
pub fn profile_dir(root: &Path, action: &str) -> Result<Option<Metadata>> {
    match std::fs::metadata(root) {
        Ok(meta) if meta.is_dir() => Ok(Some(meta)),
        Ok(_) => Err(Error::io(
            action,
            root,
            io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
            "the profile's local directory is a file: move it away or change local_subdir",
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io_default("read directory", root, e)),
    }
}

/// The error for a walk deeper than [`MAX_DEPTH`].
pub fn too_deep(action: &str, path: &Path, hint: &str) -> Error {
    Error::io(action, path, io::Error::other("directory tree too deep"), format!("more than {MAX_DEPTH} levels {hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_mtime_vouches_once_it_is_older_than_the_racy_window() {
        assert!(mtime_settled(100, 103));
        assert!(!mtime_settled(101, 103));
    }
}
