//! Broken Parquet files that a sync brought in: moved out of the readers' way.
//!
//! A `.parquet` file that fails [`crate::local::parquet_check`] after it landed is
//! renamed into `<profile dir>/.datalake-quarantine/<same relative path>`, so
//! no reader finds it under its real name and the next run fetches it again
//! (rsync sees it missing). Failures per file are counted in the checkpoint;
//! after [`BROKEN_AFTER`] failures in a row the file is reported as broken on
//! the collector. A file that later passes clears its count and its
//! quarantined copy.
//!
//! Sync excludes the folder from rsync (a collector cannot write into it),
//! stats counts its files apart (`quarantined_files`), coverage marks their
//! days as partial, verify skips it, and cleanup applies retention inside it
//! like anywhere else (its dated directories go when they expire).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::local::parquet_check::{self, Defect};
use crate::vocab::error::{Error, Result};
use crate::vocab::names::QUARANTINE_DIR;

/// Failed checks in a row after which a file is reported as broken on the collector.
pub const BROKEN_AFTER: u32 = 3;

/// One file a run moved into quarantine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantinedFile {
    /// Path relative to the profile directory (its real name).
    pub path: PathBuf,
    /// Where it now is.
    pub quarantined_as: PathBuf,
    /// What is wrong with it.
    pub defect: Defect,
    /// Failed checks in a row, this one included.
    pub failures: u32,
    /// True once it failed [`BROKEN_AFTER`] times: the collector's copy is broken.
    pub broken_on_collector: bool,
}

/// What checking the files of a run found.
#[derive(Debug, Default)]
pub struct LandingCheck {
    /// Parquet files checked.
    pub checked: u64,
    /// Files moved into quarantine.
    pub quarantined: Vec<QuarantinedFile>,
    /// Files rsync brought that were modified less than `min_age` ago, and
    /// their bytes: deleted from the landing area for the next run to fetch.
    pub too_recent: (u64, u64),
    /// Files the landing area gave their real names (checked or not
    /// Parquet) or put in quarantine: whether it changed the lake.
    pub moved: u64,
}

/// Check the `.parquet` files among `landed` (paths relative to `local_dir`)
/// and quarantine the broken ones. `failures` is the checkpoint's count of
/// failed checks per path, updated in place. Files that vanished meanwhile
/// are skipped; a file that cannot be moved is an error.
pub fn check_landed(
    local_dir: &Path,
    landed: &[PathBuf],
    failures: &mut BTreeMap<String, u32>,
) -> Result<LandingCheck> {
    let mut out = LandingCheck::default();
    for rel in landed.iter().filter(|p| parquet_check::is_parquet_name(p)) {
        let path = local_dir.join(rel);
        let defect = match parquet_check::check_file(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io_default("check", &path, e)),
        };
        let verdict = match defect {
            Some(defect) => Some((defect, move_to_quarantine(local_dir, rel)?)),
            None => None,
        };
        account(local_dir, rel, verdict, failures, &mut out);
    }
    Ok(out)
}

/// Count one checked file of a run into `out` and the checkpoint's `failures`:
/// a broken one (`verdict`: its defect, and where it was moved) fails once
/// more; a good one clears its count and the quarantined copy of an earlier
/// broken version.
pub fn account(
    local_dir: &Path,
    rel: &Path,
    verdict: Option<(Defect, PathBuf)>,
    failures: &mut BTreeMap<String, u32>,
    out: &mut LandingCheck,
) {
    let key = rel.to_string_lossy().into_owned();
    out.checked += 1;
    let Some((defect, target)) = verdict else {
        if failures.remove(&key).is_some() {
            // A good copy arrived: the broken one is of no more use.
            let stale = local_dir.join(QUARANTINE_DIR).join(rel);
            if let Err(e) = std::fs::remove_file(&stale) {
                if e.kind() != io::ErrorKind::NotFound {
                    log::warn!("cannot remove the old quarantined copy {}: {e}", stale.display());
                }
            }
        }
        return;
    };
    let count = failures.entry(key).or_insert(0);
    *count += 1;
    // Info: the report's warnings carry it, and the front ends print those.
    log::info!("{}: {}; moved to {}", rel.display(), defect.reason, target.display());
    out.quarantined.push(QuarantinedFile {
        path: rel.to_path_buf(),
        quarantined_as: target,
        defect,
        failures: *count,
        broken_on_collector: *count >= BROKEN_AFTER,
    });
}

/// The warning line for a quarantined file.
pub fn describe(q: &QuarantinedFile) -> String {
    if q.broken_on_collector {
        format!(
            "{} is broken on the collector: it failed the Parquet check {} times in a row ({}); moved to {}; fix or remove it on the collector",
            q.path.display(),
            q.failures,
            q.defect.reason,
            q.quarantined_as.display()
        )
    } else {
        format!(
            "{} quarantined: {}; moved to {}, the next run fetches it again",
            q.path.display(),
            q.defect.reason,
            q.quarantined_as.display()
        )
    }
}

/// Rename `local_dir/rel` to `local_dir/.datalake-quarantine/rel` (replacing
/// an older quarantined copy); returns the new path.
pub fn move_to_quarantine(local_dir: &Path, rel: &Path) -> Result<PathBuf> {
    move_into_quarantine(local_dir, &local_dir.join(rel), rel)
}

/// Rename `from` (a file landed anywhere in the profile) to
/// `local_dir/.datalake-quarantine/rel`; returns the new path.
pub fn move_into_quarantine(local_dir: &Path, from: &Path, rel: &Path) -> Result<PathBuf> {
    let to = local_dir.join(QUARANTINE_DIR).join(rel);
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io_default("create directory", parent, e))?;
    }
    std::fs::rename(from, &to).map_err(|e| {
        Error::io("move into quarantine", from, e, "the broken file stays under its name; remove it by hand")
    })?;
    Ok(to)
}

/// The files in quarantine, relative to the quarantine folder (so, their real
/// names), sorted. A missing folder is an empty list.
pub fn list(local_dir: &Path) -> Result<Vec<PathBuf>> {
    let root = local_dir.join(QUARANTINE_DIR);
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&root).follow_links(false) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) if e.io_error().is_some_and(|io| io.kind() == io::ErrorKind::NotFound) => continue,
            Err(e) => {
                let path = e.path().map(Path::to_path_buf).unwrap_or_else(|| root.clone());
                return Err(Error::io_default("read directory", path, io::Error::other(e.to_string())));
            }
        };
        if entry.file_type().is_file() {
            if let Ok(rel) = entry.path().strip_prefix(&root) {
                out.push(rel.to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::parquet_check::tests::parquet_bytes;

    #[test]
    fn broken_files_move_and_count_up_then_clear() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let rel = PathBuf::from("x_20261101/part_1.parquet");
        let good = parquet_bytes(100);
        std::fs::create_dir_all(root.join("x_20261101")).unwrap();
        std::fs::write(root.join("x_20261101/notes.txt"), b"not checked").unwrap();
        let mut failures = BTreeMap::new();
        let landed = [rel.clone(), PathBuf::from("x_20261101/notes.txt"), PathBuf::from("gone.parquet")];
        for round in 1..=BROKEN_AFTER {
            std::fs::write(root.join(&rel), &good[..good.len() - 3]).unwrap();
            let found = check_landed(root, &landed, &mut failures).unwrap();
            assert_eq!(found.checked, 1);
            let q = &found.quarantined[0];
            assert_eq!(q.failures, round);
            assert_eq!(q.broken_on_collector, round == BROKEN_AFTER);
            assert!(!root.join(&rel).exists());
            assert!(root.join(QUARANTINE_DIR).join(&rel).exists());
        }
        assert_eq!(list(root).unwrap(), vec![rel.clone()]);
        std::fs::write(root.join(&rel), &good).unwrap();
        let found = check_landed(root, &landed, &mut failures).unwrap();
        assert!(found.quarantined.is_empty());
        assert!(failures.is_empty());
        assert!(root.join(&rel).exists());
        assert_eq!(list(root).unwrap(), Vec::<PathBuf>::new());
    }
}
