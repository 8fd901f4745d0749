//! Recognising date partitions in directory names, and the rsync exclude
//! patterns that keep expired partitions from being downloaded.

use std::path::Path;

use chrono::NaiveDate;

/// The date a partition directory stands for, if `rel_path` (relative to the
/// profile directory, `/`-separated components) names one.
///
/// Recognised: `<anything>_YYYYMMDD`, `YYYYMMDD`, `YYYY-MM-DD`, `YYYY_MM_DD`,
/// `date=YYYY-MM-DD`, `dt=YYYY-MM-DD` (last component), and nested
/// `YYYY/MM/DD`, `year=YYYY/month=MM/day=DD` (last three components).
/// Impossible dates (`20241341`) are not partitions.
pub fn partition_date(rel_path: &Path) -> Option<NaiveDate> {
    let _ = rel_path;
    todo!("fs helper")
}

/// rsync filter patterns (for `--exclude`) matching every partition directory
/// dated strictly before `cutoff`, in all recognised layouts.
pub fn expired_exclude_patterns(cutoff: NaiveDate) -> Vec<String> {
    let _ = cutoff;
    todo!("fs helper")
}
