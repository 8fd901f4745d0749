//! What a full disk is: which filesystem, how much is free, how much a run
//! needed, in words for error messages ("the disk is full" alone does not
//! say which disk, and the lake and the checkpoints may be on different ones).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::vocab::units::human_size;

/// The filesystem holding a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filesystem {
    /// Where it is mounted (the highest ancestor of the path on the same device).
    pub mount_point: PathBuf,
    /// Its type from /proc/self/mounts (`ext4`, `tmpfs`...), when known.
    pub fs_type: Option<String>,
    /// Bytes an unprivileged process may still write.
    pub available: u64,
    /// Total size in bytes.
    pub total: u64,
}

/// `path` itself, or its nearest existing ancestor (a lake directory that was
/// never created still lives on its parent's filesystem).
fn existing_ancestor(path: &Path) -> Option<&Path> {
    path.ancestors().find(|p| !p.as_os_str().is_empty() && p.symlink_metadata().is_ok())
}

fn mount_point(path: &Path) -> PathBuf {
    let Ok(canonical) = path.canonicalize() else { return path.to_path_buf() };
    let Ok(dev) = canonical.metadata().map(|m| m.dev()) else { return canonical };
    let mut top = canonical.as_path();
    for parent in canonical.ancestors().skip(1) {
        match parent.metadata() {
            Ok(m) if m.dev() == dev => top = parent,
            _ => break,
        }
    }
    top.to_path_buf()
}

/// The type of the filesystem mounted at `mount_point` (the last matching
/// line of /proc/self/mounts wins, as the kernel stacks mounts).
fn fs_type(mount_point: &Path) -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    let wanted = mount_point.to_string_lossy();
    mounts.lines().rev().find_map(|l| {
        let mut fields = l.split(' ');
        let (_dev, dir, kind) = (fields.next()?, fields.next()?, fields.next()?);
        // /proc/self/mounts escapes spaces etc. as octal (\040).
        (unescape_octal(dir) == wanted).then(|| kind.to_string())
    })
}

fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() && bytes[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b)) {
            let v = (bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Filesystem {
    /// The filesystem of `path` (or of its nearest existing ancestor).
    pub fn of(path: &Path) -> Option<Filesystem> {
        let existing = existing_ancestor(path)?;
        let vfs = nix::sys::statvfs::statvfs(existing).ok()?;
        let frsize = vfs.fragment_size() as u64;
        let mount_point = mount_point(existing);
        Some(Filesystem {
            fs_type: fs_type(&mount_point),
            mount_point,
            available: (vfs.blocks_available() as u64).saturating_mul(frsize),
            total: (vfs.blocks() as u64).saturating_mul(frsize),
        })
    }

    /// `the filesystem at /srv/lake (ext4, 40.00 MiB) has 0 B free`.
    pub fn describe(&self) -> String {
        let kind = self.fs_type.as_deref().map(|t| format!("{t}, ")).unwrap_or_default();
        format!(
            "the filesystem at {} ({kind}{}) has {} free",
            self.mount_point.display(),
            human_size(self.total),
            human_size(self.available)
        )
    }
}

/// The hint for "No space left on device" while writing under `path`:
/// which filesystem, what is free, what was needed (when known) and what to do.
pub fn full_disk_hint(path: &Path, needed: Option<u64>) -> String {
    let mut text = match Filesystem::of(path) {
        Some(fs) => format!("the disk is full: {}", fs.describe()),
        None => format!("the disk holding {} is full", path.display()),
    };
    if let Some(n) = needed.filter(|n| *n > 0) {
        text.push_str(&format!(" while this sync needs about {} for its new data", human_size(n)));
    }
    text.push_str("; free space there or lower retention_days, then run again (partial files are kept and resumed)");
    text
}

/// Whether an I/O error is "No space left on device" (or the quota's twin).
pub fn is_full(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(code) if code == nix::libc::ENOSPC || code == nix::libc::EDQUOT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_filesystem_of_a_path_not_yet_created() {
        let tmp = tempfile::tempdir().unwrap();
        let fs = Filesystem::of(&tmp.path().join("not/yet/there")).unwrap();
        assert!(tmp.path().canonicalize().unwrap().starts_with(&fs.mount_point), "{fs:?}");
        assert!(fs.total > 0 && fs.available <= fs.total, "{fs:?}");
        let hint = full_disk_hint(&tmp.path().join("x"), Some(5_000_000));
        assert!(hint.contains(&format!("the filesystem at {}", fs.mount_point.display())), "{hint}");
        assert!(hint.contains("free") && hint.contains("needs about 4.77 MiB"), "{hint}");
    }

    #[test]
    fn mount_table_escapes() {
        assert_eq!(unescape_octal(r"/mnt/my\040lake"), "/mnt/my lake");
        assert_eq!(unescape_octal(r"/plain"), "/plain");
        assert_eq!(unescape_octal(r"/end\04"), r"/end\04");
    }

    #[test]
    fn enospc_and_edquot_are_full() {
        assert!(is_full(&std::io::Error::from_raw_os_error(nix::libc::ENOSPC)));
        assert!(is_full(&std::io::Error::from_raw_os_error(nix::libc::EDQUOT)));
        assert!(!is_full(&std::io::Error::from_raw_os_error(nix::libc::EACCES)));
    }
}
