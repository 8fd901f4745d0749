//! What is in a profile's part of the lake.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::checkpoint::Checkpoint;
use crate::config::Profile;
use crate::error::Result;

/// Statistics of one profile's local directory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileStats {
    /// Profile name (legacy key).
    pub profile_name: String,
    /// The profile's directory (legacy key).
    pub local_path: PathBuf,
    /// `user@host:remote_root` (legacy key).
    pub remote_source: String,
    /// Whether the directory exists (legacy key).
    pub exists: bool,
    /// Bytes of regular files (legacy key).
    pub total_size: u64,
    /// `1.5 GB` style (legacy key, same units as quants-infra).
    pub total_size_human: String,
    /// Regular files, partial files excluded (legacy key).
    pub file_count: u64,
    /// Directories below the profile directory (legacy key).
    pub dir_count: u64,
    /// Oldest partition date (legacy key).
    pub earliest_date: Option<NaiveDate>,
    /// Newest partition date (legacy key).
    pub latest_date: Option<NaiveDate>,
    /// From the checkpoint (legacy key).
    pub last_sync_time: Option<DateTime<Utc>>,
    /// From the checkpoint (legacy key).
    pub last_sync_status: Option<String>,
    /// From the config (legacy key).
    pub retention_days: u32,
    /// Dated partitions.
    pub partition_count: u64,
    /// Newest file modification time: data freshness.
    pub newest_file_mtime: Option<DateTime<Utc>>,
    /// Partitions past retention not yet cleaned.
    pub expired_partitions: u64,
    /// Their bytes.
    pub expired_bytes: u64,
    /// Files in `.rsync-partial` directories (interrupted transfers).
    pub partial_files: u64,
    /// Their bytes.
    pub partial_bytes: u64,
    /// Symlinks seen (never followed).
    pub symlinks: u64,
    /// From the checkpoint.
    pub last_sync_duration_seconds: Option<f64>,
    /// From the checkpoint.
    pub last_sync_bytes: Option<u64>,
    /// From the checkpoint.
    pub last_success_time: Option<DateTime<Utc>>,
    /// From the checkpoint.
    pub consecutive_failures: u32,
}

/// `1.5 GB` style sizes with 1024 steps and units B, KB, MB, GB, TB, as the
/// quants-infra tool printed them.
pub fn human_size(bytes: u64) -> String {
    let _ = bytes;
    todo!("fs helper")
}

/// Walk `profile.local_dir` (without following symlinks) and combine with
/// `checkpoint`. A missing directory gives `exists: false` and zeros.
pub fn collect(profile: &Profile, checkpoint: Option<&Checkpoint>, today: NaiveDate) -> Result<ProfileStats> {
    let _ = (profile, checkpoint, today);
    todo!("fs helper")
}
