//! One profile's sync on the current thread: lock, checkpoint marker, the
//! planned transfer, the Parquet landing check, retention, the record of the
//! run and its metrics.

use std::time::Instant;

use chrono::{DateTime, Local, Utc};

use crate::config::Profile;
use crate::inspect::metrics::{self, Walk};
use crate::rsync::process::RunObserver;
use crate::state::checkpoint::{Checkpoint, RunRecord, RunningMarker};
use crate::state::cleaner;
use crate::state::lock::ProfileLock;
use crate::state::quarantine;
use crate::transfer::planner;
use crate::transfer::report::SyncReport;
use crate::transfer::syncer::{Syncer, TransferOutcome};
use crate::vocab::error::{Error, Result};
use crate::vocab::status::{SyncMode, SyncStatus};

use super::DataLake;
use crate::local::partition::today;

fn local_hms(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%H:%M:%S").to_string()
}

/// A stop request that came after rsync's last poll (a signal in the last
/// milliseconds of the transfer, or during cleanup) still ends a successful
/// or partial run `interrupted`, before its outcome is recorded (a failure
/// stays the failure it was). Returns true if it changed the status.
fn interrupted_meanwhile(
    profile: &Profile,
    observer: &mut dyn RunObserver,
    status: &mut SyncStatus,
    error: &mut Option<Error>,
) -> bool {
    if !matches!(status, SyncStatus::Success | SyncStatus::Partial) || !observer.should_cancel() {
        return false;
    }
    *status = SyncStatus::Interrupted;
    *error = Some(Error::Interrupted { profile: profile.name.clone(), operation: "sync".into() });
    true
}

impl DataLake {
    /// The whole sync of one profile, on the current thread.
    pub(super) fn sync_profile(
        &self,
        profile: &Profile,
        (dry_run, full): (bool, bool),
        run_cleanup: bool,
        observer: &mut dyn RunObserver,
    ) -> Result<SyncReport> {
        let started = Utc::now();
        let clock = Instant::now();
        let syncer = Syncer::new(profile)?;
        let _lock =
            if dry_run { None } else { Some(ProfileLock::acquire(&profile.lock_file, &profile.name, "synced")?) };
        // The config warnings that concern this profile (or the whole file).
        let own_key = format!("profiles.{}.", profile.name);
        let config_warnings: Vec<String> = self
            .config
            .warnings
            .iter()
            .filter(|d| d.key.starts_with(&own_key) || !d.key.starts_with("profiles."))
            .map(ToString::to_string)
            .collect();
        let mut warnings = Vec::new();

        let loaded = Checkpoint::load(&profile.checkpoint_file, dry_run)?;
        if let Some(aside) = &loaded.moved_aside {
            warnings.push(format!(
                "checkpoint {} was corrupt and was moved to {}; continuing (rsync compares the files themselves)",
                profile.checkpoint_file.display(),
                aside.display()
            ));
        }
        let mut checkpoint = loaded
            .checkpoint
            .unwrap_or_else(|| Checkpoint { profile_name: profile.name.clone(), ..Checkpoint::default() });
        if let Some(prev) = &checkpoint.running {
            warnings.push(format!(
                "previous run did not finish (started {}, pid {}); resuming its partial transfer",
                local_hms(prev.started_at),
                prev.pid
            ));
        }
        // A run that did not finish may have left a new partition half-copied: the window
        // would then take it for one the lake already has, so the next run is full.
        // A partial run counts too (the outcome model: files are missing).
        let previous_incomplete = checkpoint.running.is_some()
            || match checkpoint.history.last() {
                Some(run) => run.status.is_failure(),
                // A quants-infra checkpoint has no history, only the legacy status string.
                None => matches!(checkpoint.last_sync_status.as_deref(), Some("failed" | "partial" | "interrupted")),
            };
        if !dry_run {
            checkpoint.running = Some(RunningMarker { pid: std::process::id(), started_at: started });
            checkpoint.save(&profile.checkpoint_file)?;
            std::fs::create_dir_all(&profile.local_dir)
                .map_err(|e| Error::io_default("create directory", &profile.local_dir, e))?;
        }

        let today = today(profile.timezone);
        let request = planner::Request {
            full_requested: full,
            previous_incomplete,
            last_full_sync: checkpoint.last_full_sync_time,
            now: Utc::now(),
            lake_today: today,
        };
        let (outcome, plan) = planner::transfer(&syncer, profile, request, dry_run, observer);
        let TransferOutcome {
            mut status,
            stats,
            exit_code,
            attempts,
            mut error,
            warnings: transfer_warnings,
            too_recent,
            landed,
        } = outcome;
        warnings.extend(transfer_warnings);
        interrupted_meanwhile(profile, observer, &mut status, &mut error);
        let mut errors: Vec<String> = error.iter().map(ToString::to_string).collect();
        if too_recent > 0 {
            warnings.push(format!(
                "{too_recent} file{} modified on the collector less than min_age ({}) ago {} left for the next run",
                if too_recent == 1 { "" } else { "s" },
                humantime::format_duration(profile.min_age),
                if too_recent == 1 { "was" } else { "were" }
            ));
        }
        let landing = if dry_run || !profile.check_parquet {
            quarantine::LandingCheck::default()
        } else {
            match quarantine::check_landed(&profile.local_dir, &landed, &mut checkpoint.quarantine_failures) {
                Ok(found) => found,
                Err(e) => {
                    errors.push(format!("checking the transferred Parquet files failed: {e}"));
                    quarantine::LandingCheck::default()
                }
            }
        };
        for q in &landing.quarantined {
            warnings.push(quarantine::describe(q));
        }
        if let (Some(first), SyncStatus::Success) = (landing.quarantined.first(), status) {
            // Not everything that arrived is usable.
            status = SyncStatus::Partial;
            let quarantined = Error::Quarantined {
                profile: profile.name.clone(),
                count: landing.quarantined.len(),
                first: first.path.display().to_string(),
            };
            errors.push(quarantined.to_string());
            error = Some(quarantined);
        }

        let mut cleanup = None;
        if status.runs_cleanup() && run_cleanup {
            match cleaner::clean(profile, today, dry_run) {
                Ok(report) => cleanup = Some(report),
                Err(e) => errors.push(format!("cleanup after sync failed: {e}")),
            }
        }

        if interrupted_meanwhile(profile, observer, &mut status, &mut error) {
            errors.extend(error.iter().map(ToString::to_string));
        }
        let finished = Utc::now();
        let duration = clock.elapsed().as_secs_f64();
        if !dry_run {
            checkpoint.last_full_sync_time =
                planner::last_full_after(checkpoint.last_full_sync_time, &plan, status, started);
            checkpoint.last_sync_mode = Some(plan.mode);
            // Counters first: seeding them from an old checkpoint's history must not count this run twice.
            metrics::seed_counters(&mut checkpoint, &profile.name, self.config.metrics_dir.as_deref());
            let counters = checkpoint.counters_mut();
            counters.add_sync(status, stats.files_transferred, stats.bytes_transferred, duration, attempts);
            if let Some(report) = &cleanup {
                counters.add_cleanup(report);
            }
            counters.files_missed_by_window =
                counters.files_missed_by_window.saturating_add(plan.files_missed_by_window.unwrap_or(0));
            checkpoint.record_run(RunRecord {
                started_at: started,
                status,
                files_transferred: stats.files_transferred,
                bytes_transferred: stats.bytes_transferred,
                duration_seconds: duration,
                rsync_exit_code: exit_code,
                errors: errors.clone(),
            });
            if let Err(e) = checkpoint.save(&profile.checkpoint_file) {
                errors.push(format!("the sync finished but its checkpoint could not be written: {e}"));
            }
            if let Some(dir) = &self.config.metrics_dir {
                let walk = if plan.mode == SyncMode::Full { Walk::Everything } else { Walk::Changed };
                warnings.extend(metrics::write_textfile(dir, profile, Some(checkpoint), today, walk));
            }
        }
        Ok(SyncReport {
            profile: profile.name.clone(),
            status,
            dry_run,
            started_at: started,
            finished_at: finished,
            duration_seconds: duration,
            files_transferred: stats.files_transferred,
            bytes_transferred: stats.bytes_transferred,
            literal_bytes: stats.literal_bytes,
            matched_bytes: stats.matched_bytes,
            total_files: stats.total_files,
            bytes_sent: stats.bytes_sent,
            bytes_received: stats.bytes_received,
            rsync_exit_code: exit_code,
            rsync_exit_meaning: exit_code.map(|c| crate::vocab::rsync_exit::meaning(c).to_string()),
            attempts,
            errors,
            warnings,
            config_warnings,
            error_kind: error.as_ref().map(Error::kind),
            cleanup,
            too_recent_files: too_recent,
            parquet_checked: landing.checked,
            quarantined: landing.quarantined,
            mode: Some(plan.mode),
            full_sync_reason: plan.full_sync_reason,
            partitions_covered: plan.partitions_covered,
            partitions_unchanged: plan.partitions_unchanged,
            files_missed_by_window: plan.files_missed_by_window,
            streams: plan.streams,
            error,
        })
    }
}
