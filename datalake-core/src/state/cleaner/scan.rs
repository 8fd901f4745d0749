//! The scan: one walkdir pass over the profile directory (never following
//! symlinks, never leaving its filesystem) that finds dated partitions and
//! empties old `.rsync-partial` leftovers on the way.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::{Cleaner, DeletedPath, Found};
use crate::local::partition::{partition_date, partition_layout};
use crate::vocab::error::{Error, Result};
use crate::vocab::names::PARTIAL_DIR;

impl Cleaner<'_> {
    /// Walk `start` without following symlinks or leaving the filesystem.
    /// With `found`, record partitions (not descending into expired ones);
    /// always clean `.rsync-partial` directories met on the way.
    pub(super) fn scan(&mut self, start: PathBuf, mut found: Option<&mut Vec<Found>>) -> Result<()> {
        // Only the profile directory itself may be a followed link.
        let follow_root = start == self.root;
        let mut walk = WalkDir::new(&start).follow_links(false).follow_root_links(follow_root).into_iter();
        while let Some(next) = walk.next() {
            self.poll()?;
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

fn remove_file(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io_default("delete", path, e)),
    }
}
