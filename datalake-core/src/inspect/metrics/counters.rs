//! Cumulative counters, kept in the checkpoint because the `.prom` file is
//! rewritten on every run.
//!
//! They only ever grow. A checkpoint written before they existed (by the
//! quants-infra tool, or by an older datalake) seeds them from what it
//! records: the runs in `history`, or else the one run of the legacy keys.

use std::path::Path;

use crate::state::checkpoint::Checkpoint;
use crate::state::cleaner::CleanupReport;
use crate::vocab::counters::Counters;
use crate::vocab::status::SyncStatus;

impl Counters {
    /// The counters a checkpoint without them starts from.
    pub fn seeded_from(checkpoint: &Checkpoint) -> Counters {
        let mut c = Counters::default();
        if !checkpoint.history.is_empty() {
            for run in &checkpoint.history {
                c.count_status(run.status.as_str());
                c.sync_duration_seconds += finite(run.duration_seconds);
                c.bytes_transferred = c.bytes_transferred.saturating_add(run.bytes_transferred);
                c.files_transferred = c.files_transferred.saturating_add(run.files_transferred);
            }
        } else if let Some(status) = &checkpoint.last_sync_status {
            // The quants-infra tool keeps only its last run.
            c.count_status(status);
            c.sync_duration_seconds = finite(checkpoint.duration_seconds);
            c.bytes_transferred = checkpoint.bytes_transferred;
            c.files_transferred = checkpoint.files_transferred;
        }
        c
    }

    /// Count one finished sync.
    pub fn add_sync(&mut self, status: SyncStatus, files: u64, bytes: u64, duration_seconds: f64, attempts: u32) {
        self.count_status(status.as_str());
        self.sync_duration_seconds += finite(duration_seconds);
        self.bytes_transferred = self.bytes_transferred.saturating_add(bytes);
        self.files_transferred = self.files_transferred.saturating_add(files);
        self.rsync_attempts = self.rsync_attempts.saturating_add(u64::from(attempts));
    }

    /// Count one retention run (not dry runs: they delete nothing).
    pub fn add_cleanup(&mut self, report: &CleanupReport) {
        if report.dry_run {
            return;
        }
        self.cleanups = self.cleanups.saturating_add(1);
        self.cleanup_deleted_dirs = self.cleanup_deleted_dirs.saturating_add(report.deleted_dirs);
        self.cleanup_deleted_files = self.cleanup_deleted_files.saturating_add(report.deleted_files);
        self.cleanup_freed_bytes = self.cleanup_freed_bytes.saturating_add(report.freed_bytes);
    }

    /// Raise every counter to at least `other`'s value.
    pub fn raise_to(&mut self, other: &Counters) {
        let pairs = [
            (&mut self.syncs_success, other.syncs_success),
            (&mut self.syncs_partial, other.syncs_partial),
            (&mut self.syncs_failed, other.syncs_failed),
            (&mut self.syncs_interrupted, other.syncs_interrupted),
            (&mut self.syncs_skipped, other.syncs_skipped),
            (&mut self.bytes_transferred, other.bytes_transferred),
            (&mut self.files_transferred, other.files_transferred),
            (&mut self.rsync_attempts, other.rsync_attempts),
            (&mut self.cleanups, other.cleanups),
            (&mut self.cleanup_deleted_dirs, other.cleanup_deleted_dirs),
            (&mut self.cleanup_deleted_files, other.cleanup_deleted_files),
            (&mut self.cleanup_freed_bytes, other.cleanup_freed_bytes),
            (&mut self.files_missed_by_window, other.files_missed_by_window),
            (&mut self.rewrites_kept, other.rewrites_kept),
            (&mut self.files_grown, other.files_grown),
        ];
        for (mine, theirs) in pairs {
            *mine = (*mine).max(theirs);
        }
        self.sync_duration_seconds = self.sync_duration_seconds.max(finite(other.sync_duration_seconds));
    }

    /// The counters of `profile` in an exposition this module wrote (a
    /// previous `.prom` file); zeros for what it does not hold.
    pub fn from_exposition(text: &str, profile: &str) -> Counters {
        let mut c = Counters::default();
        let own = format!("{{profile=\"{profile}\"");
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let Some((key, value)) = line.rsplit_once(' ') else { continue };
            let Some((name, labels)) = key.split_once('{') else { continue };
            if !format!("{{{labels}").starts_with(&own) {
                continue;
            }
            let Ok(v) = value.parse::<f64>() else { continue };
            let n = if v.is_finite() && v >= 0.0 { v as u64 } else { 0 };
            let slot = match name {
                "data_lake_sync_total" => match labels.split("status=\"").nth(1).and_then(|r| r.split('"').next()) {
                    Some("success") => &mut c.syncs_success,
                    Some("partial") => &mut c.syncs_partial,
                    Some("failed") => &mut c.syncs_failed,
                    Some("interrupted") => &mut c.syncs_interrupted,
                    Some("skipped") => &mut c.syncs_skipped,
                    _ => continue,
                },
                "data_lake_sync_duration_seconds_sum" => {
                    c.sync_duration_seconds = finite(v);
                    continue;
                }
                "data_lake_bytes_transferred_total" => &mut c.bytes_transferred,
                "data_lake_files_transferred_total" => &mut c.files_transferred,
                "data_lake_rsync_attempts_total" => &mut c.rsync_attempts,
                "data_lake_cleanup_runs_total" => &mut c.cleanups,
                "data_lake_cleanup_deleted_dirs_total" => &mut c.cleanup_deleted_dirs,
                "data_lake_cleanup_deleted_files_total" => &mut c.cleanup_deleted_files,
                "data_lake_cleanup_freed_bytes_total" => &mut c.cleanup_freed_bytes,
                "data_lake_files_missed_by_window_total" => &mut c.files_missed_by_window,
                "data_lake_rewrites_kept_total" => &mut c.rewrites_kept,
                "data_lake_files_grown_total" => &mut c.files_grown,
                _ => continue,
            };
            *slot = n;
        }
        c
    }

    /// Syncs that ended with `status`.
    pub fn syncs(&self, status: SyncStatus) -> u64 {
        match status {
            SyncStatus::Success => self.syncs_success,
            SyncStatus::Skipped => self.syncs_skipped,
            SyncStatus::Partial => self.syncs_partial,
            SyncStatus::Interrupted => self.syncs_interrupted,
            SyncStatus::Failed => self.syncs_failed,
        }
    }

    /// All finished syncs.
    pub fn syncs_total(&self) -> u64 {
        ALL_STATUSES.iter().map(|s| self.syncs(*s)).fold(0, u64::saturating_add)
    }

    fn count_status(&mut self, status: &str) {
        let slot = match status {
            "success" => &mut self.syncs_success,
            "partial" => &mut self.syncs_partial,
            "interrupted" => &mut self.syncs_interrupted,
            "skipped" => &mut self.syncs_skipped,
            // The old tool wrote `failed`; anything unknown is not a success either.
            _ => &mut self.syncs_failed,
        };
        *slot = slot.saturating_add(1);
    }
}

/// Every sync status, in the order the exposition lists them.
pub const ALL_STATUSES: [SyncStatus; 5] =
    [SyncStatus::Success, SyncStatus::Partial, SyncStatus::Failed, SyncStatus::Interrupted, SyncStatus::Skipped];

/// A NaN or negative duration (hand-edited file) must not make a counter go back.
fn finite(seconds: f64) -> f64 {
    if seconds.is_finite() && seconds > 0.0 {
        seconds
    } else {
        0.0
    }
}

/// Give a checkpoint without counters (new, from the old tool, or replacing
/// a corrupt one) its starting values: what its runs record, raised to what
/// the profile's previous `.prom` file in `metrics_dir` said, so the exported
/// counters do not go backwards when a checkpoint is lost or rewritten.
pub fn seed(checkpoint: &mut Checkpoint, profile: &str, metrics_dir: Option<&Path>) {
    if checkpoint.counters.is_some() {
        return;
    }
    let mut counters = Counters::seeded_from(checkpoint);
    if let Some(dir) = metrics_dir {
        if let Ok(text) = std::fs::read_to_string(dir.join(super::textfile::file_name(profile))) {
            counters.raise_to(&Counters::from_exposition(&text, profile));
        }
    }
    checkpoint.counters = Some(counters);
}

impl Checkpoint {
    /// The counters, seeded from the recorded runs the first time.
    pub fn counters_mut(&mut self) -> &mut Counters {
        if self.counters.is_none() {
            self.counters = Some(Counters::seeded_from(self));
        }
        self.counters.get_or_insert_with(Counters::default)
    }

    /// A copy of the counters, seeded as [`Checkpoint::counters_mut`] would.
    pub fn counters(&self) -> Counters {
        self.counters.clone().unwrap_or_else(|| Counters::seeded_from(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::checkpoint::RunRecord;

    #[test]
    fn quants_infra_checkpoint_seeds_one_run() {
        let cp: Checkpoint = serde_json::from_str(
            r#"{"profile_name": "cex_ticks", "last_sync_time": "2026-11-26T03:03:41.514316",
                "last_sync_status": "success", "files_transferred": 60, "bytes_transferred": 123456789,
                "duration_seconds": 12, "errors": []}"#,
        )
        .unwrap();
        let c = cp.counters();
        assert_eq!((c.syncs_success, c.syncs_total()), (1, 1));
        assert_eq!((c.files_transferred, c.bytes_transferred, c.sync_duration_seconds), (60, 123456789, 12.0));
        assert_eq!(Checkpoint::default().counters(), Counters::default());
    }

    #[test]
    fn history_seeds_then_counts_grow_and_survive_a_save() {
        let mut cp = Checkpoint::new("p");
        for (status, bytes) in [(SyncStatus::Success, 10), (SyncStatus::Failed, 0), (SyncStatus::Partial, 5)] {
            cp.record_run(RunRecord {
                started_at: chrono::Utc::now(),
                status,
                files_transferred: 1,
                bytes_transferred: bytes,
                duration_seconds: 2.0,
                rsync_exit_code: Some(0),
                errors: vec![],
            });
        }
        let c = cp.counters_mut();
        assert_eq!((c.syncs_success, c.syncs_failed, c.syncs_partial), (1, 1, 1));
        assert_eq!((c.bytes_transferred, c.files_transferred, c.sync_duration_seconds), (15, 3, 6.0));
        c.add_sync(SyncStatus::Success, 2, 100, f64::NAN, 3);
        assert_eq!((c.syncs_success, c.bytes_transferred, c.rsync_attempts, c.sync_duration_seconds), (2, 115, 3, 6.0));

        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("p.json");
        cp.save(&path).unwrap();
        let back = Checkpoint::load(&path, true).unwrap().checkpoint.unwrap();
        assert_eq!(back.counters, cp.counters);
        // Seeding happens once: history is not counted again.
        assert_eq!(back.counters().syncs_total(), 4);
    }
}
