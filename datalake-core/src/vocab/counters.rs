//! The metrics counters a checkpoint keeps: the numbers only ever grow, and
//! the `.prom` file is rewritten from them on every run. How they are seeded and
//! added to is in `inspect::metrics`.

use serde::{Deserialize, Serialize};

/// Totals over every recorded run of one profile.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    /// Finished syncs that ended `success`.
    pub syncs_success: u64,
    /// ... `partial`.
    pub syncs_partial: u64,
    /// ... `failed`.
    pub syncs_failed: u64,
    /// ... `interrupted`.
    pub syncs_interrupted: u64,
    /// ... `skipped`.
    pub syncs_skipped: u64,
    /// Wall time of those syncs, in seconds.
    pub sync_duration_seconds: f64,
    /// Bytes transferred (rsync's "Total transferred file size").
    pub bytes_transferred: u64,
    /// Regular files transferred.
    pub files_transferred: u64,
    /// rsync attempts, retries included.
    pub rsync_attempts: u64,
    /// Retention runs that deleted for real (dry runs are not counted).
    pub cleanups: u64,
    /// Partition directories deleted by retention.
    pub cleanup_deleted_dirs: u64,
    /// Files deleted by retention.
    pub cleanup_deleted_files: u64,
    /// Bytes freed by retention.
    pub cleanup_freed_bytes: u64,
    /// Files full runs found in partitions the window had skipped (late arrivals).
    pub files_missed_by_window: u64,
    /// Earlier versions of replaced files kept in `.datalake-replaced` (rewrites).
    pub rewrites_kept: u64,
    /// Replaced files whose new version held every row of the earlier one (no copy kept).
    pub files_grown: u64,
}
