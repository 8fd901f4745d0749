//! Progress events delivered to the caller's callback (see
//! [`super::run_control::RunControl::progress`] for what each operation puts in them).

use serde::Serialize;

/// A progress snapshot, delivered at most about 10 times a second.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Progress {
    /// The profile the run is about.
    pub profile: String,
    /// Bytes done so far in this run (transferred, checked or deleted).
    pub bytes_done: u64,
    /// Total bytes, when known (sync: rsync's estimate; verify: the files' sizes).
    pub bytes_total: Option<u64>,
    /// Current rate in bytes per second.
    pub rate: f64,
    /// Files done so far (transferred, checked or deleted).
    pub files_done: u64,
    /// The file being transferred (sync) or the partition just deleted
    /// (cleanup), relative to the profile root.
    pub current_file: Option<String>,
}
