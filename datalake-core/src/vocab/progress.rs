//! Progress events delivered to the caller's callback.

use serde::Serialize;

/// A progress snapshot, delivered at most about 10 times a second.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Progress {
    /// The profile being synced.
    pub profile: String,
    /// Bytes transferred so far in this run.
    pub bytes_done: u64,
    /// Total bytes to transfer, when rsync has told.
    pub bytes_total: Option<u64>,
    /// Current rate in bytes per second.
    pub rate: f64,
    /// Files completed so far.
    pub files_done: u64,
    /// The file being transferred, relative to the profile root.
    pub current_file: Option<String>,
}
