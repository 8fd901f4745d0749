//! Per-profile JSON checkpoints, compatible with the quants-infra format.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Maximum number of runs kept in [`Checkpoint::history`].
pub const HISTORY_LEN: usize = 20;

/// Marker written while a sync runs, so a crash leaves evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningMarker {
    /// Process id of the syncing process.
    pub pid: u32,
    /// When the run started.
    pub started_at: DateTime<Utc>,
}

/// One past run, as kept in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// `success`, `partial`, `failed`, `interrupted`.
    pub status: String,
    /// Regular files transferred.
    pub files_transferred: u64,
    /// rsync's "Total transferred file size".
    pub bytes_transferred: u64,
    /// Wall time.
    pub duration_seconds: f64,
    /// rsync exit code of the last attempt, if rsync ran.
    pub rsync_exit_code: Option<i32>,
    /// Error messages.
    #[serde(default)]
    pub errors: Vec<String>,
}

/// The checkpoint of one profile.
///
/// Reads files written by quants-infra (naive local timestamps such as
/// `2026-11-26T03:03:41.514316`, or with `Z`/offsets) and writes the same keys
/// plus the new ones.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Profile name.
    pub profile_name: String,
    /// Start of the last finished run.
    pub last_sync_time: Option<DateTime<Utc>>,
    /// Status of the last finished run.
    pub last_sync_status: Option<String>,
    /// Files of the last run.
    pub files_transferred: u64,
    /// Bytes of the last run.
    pub bytes_transferred: u64,
    /// Duration of the last run.
    pub duration_seconds: f64,
    /// Errors of the last run.
    pub errors: Vec<String>,
    /// When this file was written.
    pub saved_at: Option<DateTime<Utc>>,
    /// Start of the last successful (or partial) run.
    pub last_success_time: Option<DateTime<Utc>>,
    /// Failed or interrupted runs since the last success.
    pub consecutive_failures: u32,
    /// The last [`HISTORY_LEN`] runs, oldest first.
    pub history: Vec<RunRecord>,
    /// Present while a sync runs.
    pub running: Option<RunningMarker>,
}

/// What loading a checkpoint file found.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The checkpoint, or `None` when there was no (usable) file.
    pub checkpoint: Option<Checkpoint>,
    /// Set when a corrupt file was moved aside: the new path, for a warning.
    pub moved_aside: Option<PathBuf>,
}

impl Checkpoint {
    /// Read `path`. A missing file gives `Ok(None)` inside [`Loaded`]; a corrupt
    /// or empty one is renamed to `<file>.corrupt-<timestamp>` and also gives
    /// `None`, with `moved_aside` set (unless `read_only`, then it is left).
    pub fn load(path: &Path, read_only: bool) -> Result<Loaded> {
        let _ = (path, read_only);
        todo!("fs helper")
    }

    /// Write atomically and durably: temp file in the same directory, fsync,
    /// rename, fsync the directory. Creates the directory if needed.
    pub fn save(&self, path: &Path) -> Result<()> {
        let _ = path;
        todo!("fs helper")
    }

    /// Record a finished run: updates the legacy keys, `last_success_time`,
    /// `consecutive_failures`, appends to `history` (bounded) and clears `running`.
    pub fn record_run(&mut self, run: RunRecord) {
        let _ = run;
        todo!("fs helper")
    }
}
