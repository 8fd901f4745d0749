//! `test_connection`: can this machine pull from the collector right now?

use serde::Serialize;

use crate::config::Profile;
use crate::error::Error;

/// The outcome of a connection test, one value per distinct cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Reachable, authenticated, rsync present, remote_root readable.
    Ok,
    /// `rsync` or `ssh` missing on this machine.
    LocalToolMissing,
    /// Host name does not resolve.
    Dns,
    /// Connection refused.
    Refused,
    /// Connection timed out.
    Timeout,
    /// Other network failure.
    Network,
    /// Key rejected.
    Authentication,
    /// Host key unknown (with `host_key_checking: yes`) or changed.
    HostKey,
    /// rsync is not installed on the collector.
    RemoteRsyncMissing,
    /// remote_root does not exist.
    RemoteRootMissing,
    /// remote_root exists but cannot be listed.
    RemoteRootUnreadable,
}

/// What `test_connection` found.
#[derive(Debug, Serialize)]
pub struct ConnectionReport {
    /// Profile name.
    pub profile: String,
    /// `user@host:port`, or the local directory.
    pub target: String,
    /// True when `status` is `ok`.
    pub ok: bool,
    /// The distinct outcome.
    pub status: ConnectionStatus,
    /// Human explanation and what to do.
    pub message: String,
    /// Round trip of the check, in milliseconds.
    pub round_trip_ms: Option<f64>,
    /// First line of `rsync --version` here.
    pub local_rsync_version: Option<String>,
    /// First line of `rsync --version` on the collector.
    pub remote_rsync_version: Option<String>,
    /// Entries directly in remote_root.
    pub remote_entries: Option<u64>,
    /// E.g. rsync older than 3.4.0 (CVE-2024-12084..12088).
    pub warnings: Vec<String>,
    /// The typed cause when not ok.
    #[serde(skip)]
    pub error: Option<Error>,
}

/// Run the connection test for `profile`.
pub fn test_connection(profile: &Profile) -> ConnectionReport {
    let _ = profile;
    todo!("sync engine")
}
