//! How runs end and what they covered: [`SyncStatus`], [`SyncMode`], and how
//! a checkpoint counts each status ([`RunEffect`]).

use serde::{Deserialize, Serialize};

/// How a sync run ended. Declared in severity order: the derived `Ord`
/// makes the worst the largest. What each status means for every face is
/// decided below ([`SyncStatus::is_failure`], [`SyncStatus::run_effect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// Everything transferred (rsync 0, or 24: files vanished on the collector).
    Success,
    /// Not run: disabled, or locked by another run in `sync_all`.
    Skipped,
    /// Some files could not be transferred (rsync 23 after a retry): a
    /// failure, although the files that arrived are kept.
    Partial,
    /// Cancelled; partial data is kept for the next run.
    Interrupted,
    /// Nothing usable happened; see `errors`.
    Failed,
}

impl SyncStatus {
    /// snake_case name, as in JSON and checkpoints.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Success => "success",
            SyncStatus::Skipped => "skipped",
            SyncStatus::Partial => "partial",
            SyncStatus::Interrupted => "interrupted",
            SyncStatus::Failed => "failed",
        }
    }
}

impl SyncStatus {
    /// Every status, in severity order (the derived `Ord`: the worst is the largest).
    pub const ALL: [SyncStatus; 5] =
        [SyncStatus::Success, SyncStatus::Skipped, SyncStatus::Partial, SyncStatus::Interrupted, SyncStatus::Failed];

    /// The status of several transfers taken together (a run's parallel
    /// buckets, `sync_all`'s profiles): the worst; `success` when there are none.
    pub fn worst(statuses: impl IntoIterator<Item = SyncStatus>) -> SyncStatus {
        statuses.into_iter().max().unwrap_or(SyncStatus::Success)
    }

    /// Whether a run that ended so is a failure to alert on: `failed`,
    /// `partial` (files are missing) and `interrupted`. `skipped` is not: it
    /// did not run, and its report says why.
    pub fn is_failure(self) -> bool {
        match self {
            SyncStatus::Success | SyncStatus::Skipped => false,
            SyncStatus::Partial | SyncStatus::Interrupted | SyncStatus::Failed => true,
        }
    }

    /// How the checkpoint records a run that ended so.
    pub fn run_effect(self) -> RunEffect {
        match self {
            SyncStatus::Success => RunEffect::Success,
            SyncStatus::Skipped => RunEffect::Neutral,
            SyncStatus::Partial | SyncStatus::Interrupted | SyncStatus::Failed => RunEffect::Failure,
        }
    }

    /// Whether the retention run follows a sync that ended so: only after a
    /// transfer that ran to its end (partial too: retention concerns old days,
    /// and the files that arrived are kept).
    pub fn runs_cleanup(self) -> bool {
        match self {
            SyncStatus::Success | SyncStatus::Partial => true,
            SyncStatus::Skipped | SyncStatus::Interrupted | SyncStatus::Failed => false,
        }
    }
}

/// How a checkpoint counts a run of some status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEffect {
    /// `last_success_time` advances, `consecutive_failures` resets.
    Success,
    /// `consecutive_failures` grows; `last_success_time` stays.
    Failure,
    /// Neither counter moves (the run did not happen).
    Neutral,
}

/// Every sync status, by its snake_case name, in severity order.
pub fn all_sync_statuses() -> Vec<&'static str> {
    SyncStatus::ALL.iter().map(|s| s.as_str()).collect()
}

/// Whether a run transferred a window or the whole tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Recent, new and undated entries only.
    Window,
    /// The whole tree (expired partitions excluded).
    Full,
}

impl SyncMode {
    /// Every mode (the labels of the `data_lake_last_sync_mode` state set).
    pub const ALL: [SyncMode; 2] = [SyncMode::Window, SyncMode::Full];

    /// `window` or `full`.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncMode::Window => "window",
            SyncMode::Full => "full",
        }
    }
}
