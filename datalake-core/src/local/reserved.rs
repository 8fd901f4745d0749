//! Replacing a small record file (a checkpoint) atomically, also when the disk
//! is full.
//!
//! A run that fails because the disk filled up must still record that it
//! failed, and the record must not need the space the failure used up. A
//! temp-file-and-rename write needs new blocks at exactly that moment, so each
//! record `X` has a spare twin `.X.spare` in the same directory, and both keep
//! [`RESERVE`] bytes allocated (`fallocate` with `FALLOC_FL_KEEP_SIZE`: the
//! blocks belong to the file, its size and content stay exact). A write:
//!
//! 1. writes the new bytes into the spare, in place, inside blocks it already owns,
//!    and fsyncs it;
//! 2. swaps spare and record in one step (`renameat2(RENAME_EXCHANGE)`) and
//!    fsyncs the directory: the record now holds the new bytes, the spare the
//!    old ones, whose blocks serve the next write.
//!
//! A crash at any point leaves the record either old or new, never torn (the
//! bytes are only ever written under the spare's name), the same promise as
//! temp file + rename. Readers see an ordinary JSON file of the exact length.
//! Nothing is deleted to make room: freeing the run's own partial data would
//! throw away resumable progress, and a reserve never touches user data.
//!
//! Where there is no spare yet (first write), where the filesystem cannot
//! exchange names or preallocate (some network filesystems), or where the
//! spare is too small, the write falls back to temp file + rename, which is as
//! safe but needs free space. The reserve costs `2 * RESERVE` bytes per record.
//! On copy-on-write filesystems (btrfs, ZFS) an in-place overwrite still needs
//! new blocks, so the guarantee there is only as good as their own reserve.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Bytes kept allocated for each of a record and its spare: far more than a
/// checkpoint with its full history needs (a few KiB), little next to a lake.
pub const RESERVE: u64 = 64 * 1024;

/// A failed write: what was being done, to which path, and why.
#[derive(Debug)]
pub struct WriteError {
    /// "write checkpoint", "replace checkpoint", ...
    pub action: &'static str,
    /// The file concerned.
    pub path: PathBuf,
    /// The OS error.
    pub source: std::io::Error,
}

fn err<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> WriteError + 'p {
    move |source| WriteError { action, path: path.to_path_buf(), source }
}

/// `.X.spare` beside `X`.
pub fn spare_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.spare"))
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Keep [`RESERVE`] bytes allocated to `file` without changing its size.
/// Best effort: false where the filesystem cannot or there is no room.
fn preallocate(file: &File) -> bool {
    #[cfg(target_os = "linux")]
    {
        use nix::fcntl::{fallocate, FallocateFlags};
        fallocate(file.as_raw_fd(), FallocateFlags::FALLOC_FL_KEEP_SIZE, 0, RESERVE as i64).is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        false
    }
}

/// Swap two names in one step; `Ok(false)` where the filesystem cannot.
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use nix::errno::Errno;
        use nix::fcntl::{renameat2, RenameFlags};
        match renameat2(None, a, None, b, RenameFlags::RENAME_EXCHANGE) {
            Ok(()) => Ok(true),
            Err(Errno::EINVAL | Errno::ENOSYS | Errno::EOPNOTSUPP) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _ = (a, b);
        Ok(false)
    }
}

/// Make a rename in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), WriteError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(err("flush directory", dir))
}

/// Put `bytes` into the existing spare and swap it in. `Ok(false)`: no usable
/// spare (absent, not a regular file, or the filesystem cannot swap names).
fn write_via_spare(path: &Path, spare: &Path, bytes: &[u8], mode: u32) -> Result<bool, WriteError> {
    if !path.is_file() {
        return Ok(false);
    }
    // O_NOFOLLOW: a symlink planted under the spare's name is not followed.
    let file = match OpenOptions::new().write(true).custom_flags(nix::libc::O_NOFOLLOW).open(spare) {
        Ok(f) => f,
        Err(_) => return Ok(false),
    };
    let meta = file.metadata().map_err(err("inspect", spare))?;
    if !meta.is_file() || meta.nlink() != 1 {
        return Ok(false);
    }
    let write = err("write", spare);
    file.write_all_at(bytes, 0).map_err(write)?;
    file.set_len(bytes.len() as u64).map_err(err("write", spare))?;
    // Shrinking dropped the blocks past the end; take them back for the next write.
    preallocate(&file);
    file.set_permissions(std::fs::Permissions::from_mode(mode)).map_err(err("write", spare))?;
    file.sync_all().map_err(err("flush", spare))?;
    if !exchange(spare, path).map_err(err("replace", path))? {
        // Without an exchange the spare's blocks go with it: a plain rename, and
        // the next write makes a new spare.
        std::fs::rename(spare, path).map_err(err("replace", path))?;
    }
    sync_dir(parent_dir(path))?;
    Ok(true)
}

/// Temp file in the same directory, fsync, rename, fsync the directory.
fn write_via_temp(path: &Path, bytes: &[u8], mode: u32) -> Result<(), WriteError> {
    let dir = parent_dir(path);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(err("create temporary file in", dir))?;
    tmp.write_all(bytes).map_err(err("write", path))?;
    preallocate(tmp.as_file());
    tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode)).map_err(err("write", path))?;
    tmp.as_file().sync_all().map_err(err("write", path))?;
    tmp.persist(path).map_err(|e| WriteError { action: "replace", path: path.to_path_buf(), source: e.error })?;
    sync_dir(dir)
}

/// Replace `path` with `bytes` atomically (a temporary file in the same
/// directory, then a rename), without the fsyncs and the spare of
/// [`replace`]: for a cache that a crash may lose, since its reader then
/// only does the work the cache saves.
pub fn replace_cache(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = tempfile::NamedTempFile::new_in(parent_dir(path))?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Create the spare if it is missing (best effort: a full disk only means the
/// next write falls back to a temp file).
fn ensure_spare(spare: &Path, mode: u32) {
    let opened = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(mode)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(spare);
    match opened {
        Ok(file) => {
            if !preallocate(&file) {
                log::debug!("could not reserve {RESERVE} bytes for {}", spare.display());
            }
        }
        Err(e) => log::debug!("could not create {}: {e}", spare.display()),
    }
}

/// Replace `path` with `bytes` atomically and durably (mode `mode`), using
/// the reserved spare when there is one. The directory must exist.
pub fn replace(path: &Path, bytes: &[u8], mode: u32) -> Result<(), WriteError> {
    let spare = spare_path(path);
    let via_spare = match write_via_spare(path, &spare, bytes, mode) {
        Ok(done) => done,
        Err(e) => {
            log::debug!("writing {} through its spare failed ({}); trying a temp file", path.display(), e.source);
            false
        }
    };
    if !via_spare {
        write_via_temp(path, bytes, mode)?;
    }
    // The old record is the new spare now: keep its blocks reserved too.
    ensure_spare(&spare, mode);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allocated(path: &Path) -> u64 {
        std::fs::metadata(path).unwrap().blocks() * 512
    }

    #[test]
    fn writes_keep_a_spare_with_reserved_blocks_and_exact_content() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("p.json");
        replace(&path, b"{\"a\": 1}\n", 0o644).unwrap();
        let spare = spare_path(&path);
        assert!(spare.is_file());
        for i in 0..5 {
            let text = format!("{{\"a\": {i}, \"pad\": \"{}\"}}\n", "x".repeat(i * 1000));
            replace(&path, text.as_bytes(), 0o644).unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
            let mode = std::fs::metadata(&path).unwrap().mode() & 0o777;
            assert_eq!(mode, 0o644);
        }
        // tmpfs and ext4 both preallocate; skip the figure where the test dir cannot.
        if allocated(&spare) > 0 {
            assert!(allocated(&path) >= RESERVE && allocated(&spare) >= RESERVE);
        }
        let mut names: Vec<String> =
            std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, [".p.json.spare", "p.json"]);
    }

    #[test]
    fn a_symlink_under_the_spare_name_is_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("p.json");
        let victim = tmp.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        replace(&path, b"1\n", 0o644).unwrap();
        std::fs::remove_file(spare_path(&path)).unwrap();
        std::os::unix::fs::symlink(&victim, spare_path(&path)).unwrap();
        replace(&path, b"2\n", 0o644).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "2\n");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    }
}
