//! The result of one sync run.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::state::cleaner::CleanupReport;
use crate::state::quarantine::QuarantinedFile;
use crate::state::replaced::KeptVersion;
use crate::vocab::error::{Error, ErrorKind};
use crate::vocab::status::SyncStatus;

/// Everything a caller needs to know about one sync of one profile.
#[derive(Debug, Serialize)]
pub struct SyncReport {
    /// Profile name.
    pub profile: String,
    /// Outcome.
    pub status: SyncStatus,
    /// True when nothing was changed on disk on purpose.
    pub dry_run: bool,
    /// Start time.
    pub started_at: DateTime<Utc>,
    /// End time.
    pub finished_at: DateTime<Utc>,
    /// Wall time, retries and cleanup included.
    pub duration_seconds: f64,
    /// Regular files transferred.
    pub files_transferred: u64,
    /// rsync's "Total transferred file size".
    pub bytes_transferred: u64,
    /// rsync's "Literal data".
    pub literal_bytes: u64,
    /// rsync's "Matched data".
    pub matched_bytes: u64,
    /// rsync's "Number of files" (every entry it listed); when the planner's
    /// quick check left rsync nothing to do, the collector files it compared.
    pub total_files: u64,
    /// rsync's "Total bytes sent".
    pub bytes_sent: u64,
    /// rsync's "Total bytes received".
    pub bytes_received: u64,
    /// Exit code of rsync's last attempt.
    pub rsync_exit_code: Option<i32>,
    /// What that code means.
    pub rsync_exit_meaning: Option<String>,
    /// rsync attempts made (retries included); 0 when the planner's quick
    /// check found nothing to transfer and rsync did not start.
    pub attempts: u32,
    /// Error messages, one per failed attempt or step.
    pub errors: Vec<String>,
    /// Warnings about this run (unfinished previous run, vanished files, retries...).
    pub warnings: Vec<String>,
    /// The config file's warnings that concern this profile (or the whole
    /// file), kept apart so a front end that showed them on opening the
    /// config does not show them again.
    pub config_warnings: Vec<String>,
    /// Kind of `error` (set for every status but success).
    pub error_kind: Option<ErrorKind>,
    /// The retention run after the sync, if any.
    pub cleanup: Option<CleanupReport>,
    /// Files left on the collector because they were modified less than
    /// `min_age` ago (by its clock); the next run takes them.
    pub too_recent_files: u64,
    /// `.parquet` files of this run whose footer was checked.
    pub parquet_checked: u64,
    /// Files of this run that failed the check, moved into quarantine.
    pub quarantined: Vec<QuarantinedFile>,
    /// `window` or `full`: what the planner handed rsync (`None` when no transfer started).
    pub mode: Option<crate::vocab::status::SyncMode>,
    /// Why the run was full (first sync, `--full`, `full_sync_every` elapsed, window not computable).
    pub full_sync_reason: Option<String>,
    /// Dated partitions the run covered.
    pub partitions_covered: u64,
    /// Of those, partitions a windowed run did not hand to rsync: every
    /// collector file in them already had a lake copy of the same size and
    /// modification time (the planner's quick check).
    pub partitions_unchanged: u64,
    /// On a full run: files that arrived in partitions the window skipped since
    /// the last full run (late arrivals; not zero means `window_days` is small).
    pub files_missed_by_window: Option<u64>,
    /// rsync streams that ran at once.
    pub streams: u32,
    /// Files the run replaced whose earlier version was kept in
    /// `.datalake-replaced` because the new version lacks some of its rows
    /// (every replaced file with `on_rewrite: keep`).
    pub rewrites_kept: u64,
    /// Files the run replaced whose new version holds every row of the
    /// earlier one: replaced, nothing kept.
    pub files_grown: u64,
    /// The earlier versions kept, with where they are and why.
    pub kept_versions: Vec<KeptVersion>,
    /// Why the run did not succeed: set for every status but `success`
    /// (not serialized; the faces take it from [`SyncReport::failure`]).
    #[serde(skip)]
    pub error: Option<Error>,
}

impl SyncReport {
    /// A report with zero counters for a run that ended before rsync moved
    /// anything: `skipped` when locked or disabled, `interrupted` when
    /// cancelled, `failed` otherwise. `errors` holds the error's message.
    pub fn without_transfer(profile: &str, error: Error) -> SyncReport {
        let status = match error.kind() {
            ErrorKind::Locked => SyncStatus::Skipped,
            ErrorKind::Interrupted => SyncStatus::Interrupted,
            _ if matches!(error, Error::ProfileDisabled { .. }) => SyncStatus::Skipped,
            _ => SyncStatus::Failed,
        };
        let now = Utc::now();
        SyncReport {
            profile: profile.to_string(),
            status,
            dry_run: false,
            started_at: now,
            finished_at: now,
            duration_seconds: 0.0,
            files_transferred: 0,
            bytes_transferred: 0,
            literal_bytes: 0,
            matched_bytes: 0,
            total_files: 0,
            bytes_sent: 0,
            bytes_received: 0,
            rsync_exit_code: None,
            rsync_exit_meaning: None,
            attempts: 0,
            errors: vec![error.to_string()],
            warnings: Vec::new(),
            config_warnings: Vec::new(),
            error_kind: Some(error.kind()),
            cleanup: None,
            too_recent_files: 0,
            parquet_checked: 0,
            quarantined: Vec::new(),
            mode: None,
            full_sync_reason: None,
            partitions_covered: 0,
            partitions_unchanged: 0,
            files_missed_by_window: None,
            streams: 0,
            rewrites_kept: 0,
            files_grown: 0,
            kept_versions: Vec::new(),
            error: Some(error),
        }
    }

    /// The report as a JSON value: exactly the fields of the CLI's `--format json`.
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
