//! The metrics textfile of one profile's sync (step 5 of [`super::ProfileRun`]):
//! which walk of the lake it is written from.
//!
//! With `metrics_dir` set, the walk starts with the run, on a thread of its
//! own, and overlaps the collector's answers ([`ReadAhead`]). A windowed run
//! that then leaves the lake as it found it writes its `.prom` from that walk;
//! any other run walks again after its transfer: everything after a full run,
//! what changed since the lake index after a windowed one.

use chrono::NaiveDate;
use std::path::Path;

use crate::config::Profile;
use crate::inspect::metrics::{self, ReadAhead, Walk};
use crate::state::checkpoint::Checkpoint;
use crate::state::cleaner::CleanupReport;
use crate::state::quarantine::LandingCheck;
use crate::state::replaced::Settled;
use crate::transfer::syncer::TransferOutcome;
use crate::vocab::status::SyncMode;

/// The read-ahead of one run, and whether the run has changed the lake since it began.
#[derive(Default)]
pub(super) struct RunMetrics {
    ahead: Option<ReadAhead>,
    /// Settling earlier versions changed the lake after the walk began.
    settled_since: bool,
}

impl RunMetrics {
    /// Before the transfer: start the walk when the run writes metrics. Not
    /// for a dry run, nor when a compaction may follow (it changes the lake).
    pub(super) fn start(profile: &Profile, writes_metrics: bool, dry_run: bool, today: NaiveDate) -> RunMetrics {
        let compacts = profile.compact.enabled && profile.compact.auto;
        let ahead = (writes_metrics && !dry_run && !compacts).then(|| ReadAhead::start(profile, today));
        RunMetrics { ahead, settled_since: false }
    }

    /// What a settling of earlier versions did (after the walk began, if it did).
    pub(super) fn settled(&mut self, settled: &Settled) {
        self.settled_since |= self.ahead.is_some() && !settled.is_empty();
    }

    /// Whether the run left the lake as the read-ahead found it: no rsync
    /// started, the landing area moved nothing, no earlier version settled,
    /// retention deleted nothing.
    pub(super) fn lake_unchanged(
        &self,
        outcome: &TransferOutcome,
        landing: &LandingCheck,
        cleanup: Option<&CleanupReport>,
    ) -> bool {
        outcome.attempts == 0
            && landing.moved == 0
            && !self.settled_since
            && cleanup.is_none_or(|c| c.deleted_files == 0 && c.deleted_dirs == 0)
    }

    /// Write `<dir>/datalake_<profile>.prom` for a run of `mode` that has
    /// recorded itself in `checkpoint`; returns the warnings. A read-ahead the
    /// run cannot use is waited for first (only its lake index serves).
    pub(super) fn write(
        &mut self,
        dir: &Path,
        profile: &Profile,
        checkpoint: Checkpoint,
        (today, mode): (NaiveDate, SyncMode),
        lake_unchanged: bool,
    ) -> Vec<String> {
        match (self.ahead.take(), mode) {
            (Some(ahead), SyncMode::Window) if lake_unchanged => {
                log::debug!(
                    "profile {}: the run changed nothing in the lake; its metrics use the walk made while it ran",
                    profile.name
                );
                metrics::write_textfile_read_ahead(dir, profile, Some(checkpoint), today, ahead)
            }
            (ahead, SyncMode::Window) => {
                // Its index spares the walk below what the run did not touch.
                let mut warnings: Vec<String> = ahead.and_then(|a| a.keep_index(profile)).into_iter().collect();
                warnings.extend(metrics::write_textfile(dir, profile, Some(checkpoint), today, Walk::Changed));
                warnings
            }
            // A full run walks everything (which also corrects any drift of the index),
            // once the read-ahead is over.
            (ahead, SyncMode::Full) => {
                drop(ahead);
                metrics::write_textfile(dir, profile, Some(checkpoint), today, Walk::Everything)
            }
        }
    }
}
