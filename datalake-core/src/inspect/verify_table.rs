//! `verify` and the profile's Delta table: the table's data files the record
//! names (missing or resized ones are broken), and with `remote`, collector
//! files the table absorbed, compared by size and mtime with the record.

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::config::Profile;
use crate::local::parquet_check::Problem;
use crate::rsync::process::RunObserver;
use crate::rsync::tools::Tools;
use crate::state::absorbed::Record;
use crate::transfer::planner::absorbed::Absorbed;
use crate::transfer::planner::quick_check;
use crate::transfer::planner::window::Unit;
use crate::vocab::error::{Error, Result};

/// The table's directory name, when it sits directly in the profile directory.
pub(super) fn table_name(profile: &Profile) -> Option<&OsStr> {
    let table = profile.compact.table.local_path();
    (table.parent() == Some(profile.local_dir.as_path())).then(|| table.file_name()).flatten()
}

/// The partition directory of a collector path: its first component, or the
/// first three of a nested layout (as the planner's units).
pub(super) fn partition_of(path: &Path) -> &[u8] {
    let bytes = path.as_os_str().as_bytes();
    let cut =
        |n: usize| bytes.iter().enumerate().filter(|(_, b)| **b == b'/').nth(n).map_or(bytes, |(i, _)| &bytes[..i]);
    if crate::local::partition::partition_date(Path::new(OsStr::from_bytes(cut(0)))).is_some() {
        cut(0)
    } else {
        cut(2)
    }
}

/// Collector files only the table holds: how many it absorbed with the
/// same size and mtime, and the ones rewritten since (they differ).
pub(super) fn compare_absorbed(
    profile: &Profile,
    tools: &Tools,
    absorbed: &Absorbed,
    paths: Vec<PathBuf>,
    observer: &mut dyn RunObserver,
) -> Result<(u64, Vec<PathBuf>)> {
    let mut units: Vec<Unit> = Vec::new();
    for p in &paths {
        let unit = partition_of(p).to_vec();
        if !units.iter().any(|u| u.path == unit) {
            units.push(Unit { path: unit, dated: true });
        }
    }
    let files = absorbed.files_in(units.iter().map(|u| u.path.as_slice()))?;
    let measured = quick_check::measure(profile, tools, &[], &units, files, observer).map_err(|why| {
        Error::Remote {
            profile: profile.name.clone(),
            message: format!("cannot compare the collector's files with the parts the table absorbed: {why}; the check needs GNU find and xargs on the collector"),
        }
    })?;
    let same: std::collections::HashSet<&[u8]> = measured.absorbed.iter().map(|(_, p)| p.as_slice()).collect();
    let (held, differ): (Vec<PathBuf>, Vec<PathBuf>) =
        paths.into_iter().partition(|p| same.contains(p.as_os_str().as_bytes()));
    Ok((held.len() as u64, differ))
}

/// A table file found wrong before its footer check: path (relative to the
/// profile directory when inside it), the problem, why.
pub(super) type Missing = (PathBuf, Problem, String);

/// A table file to check: its directory (relative to the profile directory
/// when inside it), its name, its size.
pub(super) type ToCheck = (PathBuf, CString, u64);

/// The table's data files (from its record) to check, as (directory, file
/// name, size) with the directory relative to the profile directory when
/// inside it, and the ones missing or of another size than the record says.
pub(super) fn table_files(profile: &Profile) -> Result<(Vec<ToCheck>, Vec<Missing>)> {
    // A table on an object store is checked by the table layer (`table::verify`).
    if profile.compact.table.remote().is_some() {
        return Ok((Vec::new(), Vec::new()));
    }
    let Some(record) = Record::load(profile)? else { return Ok((Vec::new(), Vec::new())) };
    let root = profile.compact.table.local_path();
    let mut broken = Vec::new();
    let mut out = Vec::new();
    for (day, path, f) in record.files_under(root) {
        let shown = path.strip_prefix(&profile.local_dir).unwrap_or(&path).to_path_buf();
        let missing = |problem: Problem, reason: String| (shown.clone(), problem, reason);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.len() == f.size => {}
            Ok(m) => broken.push(missing(
                Problem::BadFooterLength,
                format!(
                    "the table's record says {} bytes (table version {}), the file has {}",
                    f.size,
                    day.version,
                    m.len()
                ),
            )),
            Err(e) => {
                broken.push(missing(
                    Problem::Unreadable,
                    format!("the table's record names it (table version {}) but it cannot be read: {e}", day.version),
                ));
                continue;
            }
        }
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { continue };
        let Ok(name) = CString::new(name.as_bytes()) else { continue };
        let dir = dir.strip_prefix(&profile.local_dir).unwrap_or(dir);
        out.push((dir.to_path_buf(), name, f.size));
    }
    Ok((out, broken))
}
