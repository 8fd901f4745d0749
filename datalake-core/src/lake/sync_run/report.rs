//! Step 6 of a profile's sync: the report the faces receive.

use crate::state::cleaner::CleanupReport;
use crate::state::quarantine::LandingCheck;
use crate::transfer::report::SyncReport;
use crate::vocab::error::Error;

use super::{Ended, ProfileRun, Transferred};

impl ProfileRun<'_> {
    /// Step 6: the report.
    pub(super) fn report(
        self,
        done: Transferred,
        ended: Ended,
        landing: LandingCheck,
        cleanup: Option<CleanupReport>,
    ) -> SyncReport {
        let Transferred { outcome, plan } = done;
        let stats = outcome.stats;
        let exit_code = outcome.exit_code;
        SyncReport {
            profile: self.profile.name.clone(),
            status: outcome.status,
            dry_run: self.dry_run,
            started_at: self.started,
            finished_at: ended.at,
            duration_seconds: ended.seconds,
            files_transferred: stats.files_transferred,
            bytes_transferred: stats.bytes_transferred,
            literal_bytes: stats.literal_bytes,
            matched_bytes: stats.matched_bytes,
            total_files: stats.total_files,
            bytes_sent: stats.bytes_sent,
            bytes_received: stats.bytes_received,
            rsync_exit_code: exit_code,
            rsync_exit_meaning: exit_code.map(|c| crate::vocab::rsync_exit::meaning(c).to_string()),
            attempts: outcome.attempts,
            errors: self.errors,
            warnings: self.warnings,
            config_warnings: self.config_warnings,
            error_kind: outcome.error.as_ref().map(Error::kind),
            cleanup,
            compaction: None,
            too_recent_files: outcome.too_recent,
            parquet_checked: landing.checked,
            quarantined: landing.quarantined,
            mode: Some(plan.mode),
            full_sync_reason: plan.full_sync_reason,
            partitions_covered: plan.partitions_covered,
            partitions_unchanged: plan.partitions_unchanged,
            files_missed_by_window: plan.files_missed_by_window,
            streams: plan.streams,
            rewrites_kept: self.settled.kept.len() as u64,
            files_grown: self.settled.grown,
            kept_versions: self.settled.kept,
            error: outcome.error,
        }
    }
}
