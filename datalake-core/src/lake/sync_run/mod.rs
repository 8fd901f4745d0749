//! One profile's sync on the current thread, in named steps:
//!
//! 1. [`ProfileRun::start`]: tools, lock, the config warnings that concern
//!    the profile, the checkpoint (a corrupt one moved aside, an unfinished
//!    run noticed), the running marker;
//! 2. [`ProfileRun::transfer`]: the planned transfer (window or full, one or
//!    several streams), and a stop that came after rsync's last poll;
//! 3. [`ProfileRun::check_landing`]: the Parquet landing check and quarantine
//!    (done while rsync ran when the files land in the landing area: here
//!    what is left and the counts);
//!    then [`ProfileRun::settle_replaced`] keeps or drops the earlier versions
//!    of the files rsync replaced (also before step 2, for a killed run's);
//! 4. [`ProfileRun::clean_up`]: retention after a success or a partial run;
//! 5. [`ProfileRun::record`]: the checkpoint's record of the run, its
//!    counters and the metrics textfile;
//! 6. [`ProfileRun::report`]: the report the faces receive.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Local, NaiveDate, Utc};

use crate::collector::shared_ssh::Closing;
use crate::config::Profile;
use crate::inspect::metrics;
use crate::local::partition::today;
use crate::rsync::process::{CancelOnly, RunObserver};
use crate::state::absorbed::report::CompactReport;
use crate::state::checkpoint::{Checkpoint, RunRecord, RunningMarker};
use crate::state::cleaner::CleanupReport;
use crate::state::landing::Landing;
use crate::state::lock::ProfileLock;
use crate::state::quarantine::{self, LandingCheck};
use crate::state::replaced::{self, Settled};
use crate::table::{compact, retention};
use crate::transfer::planner::{self, PlanSummary};
use crate::transfer::report::SyncReport;
use crate::transfer::syncer::{self, Syncer, TransferOutcome};
use crate::vocab::error::{Error, Result};
use crate::vocab::status::SyncStatus;

use super::DataLake;
use metrics_walk::RunMetrics;

mod metrics_walk;
mod report;

fn local_hms(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%H:%M:%S").to_string()
}

/// A sync of one profile between its steps.
struct ProfileRun<'p> {
    profile: &'p Profile,
    dry_run: bool,
    started: DateTime<Utc>,
    clock: Instant,
    today: NaiveDate,
    syncer: Syncer<'p>,
    _lock: Option<ProfileLock>,
    checkpoint: Checkpoint,
    /// A run that did not finish (or ended partial or failed) came before.
    previous_incomplete: bool,
    config_warnings: Vec<String>,
    warnings: Vec<String>,
    errors: Vec<String>,
    /// Earlier versions of replaced files, kept or dropped.
    settled: Settled,
    /// The shared ssh connection, exiting while the run records itself.
    closing: Option<Closing>,
    /// The walk of the lake its metrics are written from.
    metrics: RunMetrics,
}

/// What the transfer step hands on.
struct Transferred {
    outcome: TransferOutcome,
    plan: PlanSummary,
}

/// When the run ended (before its record is written) and how long it took.
struct Ended {
    at: DateTime<Utc>,
    seconds: f64,
}

impl<'p> ProfileRun<'p> {
    /// Step 1: everything before the transfer.
    fn start(lake: &DataLake, profile: &'p Profile, dry_run: bool) -> Result<ProfileRun<'p>> {
        let started = Utc::now();
        let clock = Instant::now();
        let syncer = Syncer::new(profile)?;
        let lock =
            if dry_run { None } else { Some(ProfileLock::acquire(&profile.lock_file, &profile.name, "synced")?) };
        // The config warnings that concern this profile (or the whole file).
        let own_key = format!("profiles.{}.", profile.name);
        let config_warnings = lake
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
        // Files get their real names once checked, while rsync goes on (see state::landing).
        let syncer = match !dry_run && profile.lands_checked() {
            true => {
                let skip: Vec<&str> = syncer::table_dir_name(profile).into_iter().collect();
                syncer.with_landing(Arc::new(Landing::open(&profile.local_dir, &skip)))
            }
            false => syncer,
        };
        Ok(ProfileRun {
            profile,
            dry_run,
            started,
            clock,
            today: today(profile.timezone),
            syncer,
            _lock: lock,
            checkpoint,
            previous_incomplete,
            config_warnings,
            warnings,
            errors: Vec::new(),
            settled: Settled::default(),
            closing: None,
            metrics: RunMetrics::default(),
        })
    }

    /// Before step 2: the walk of the lake for the metrics starts
    /// ([`RunMetrics`]), and overlaps the collector's answers.
    fn read_ahead(&mut self, lake: &DataLake) {
        let writes_metrics = lake.config.metrics_dir.is_some();
        self.metrics = RunMetrics::start(self.profile, writes_metrics, self.dry_run, self.today);
    }

    /// Step 2: the planned transfer.
    fn transfer(&mut self, full: bool, observer: &mut dyn RunObserver) -> Transferred {
        let request = planner::Request {
            full_requested: full,
            previous_incomplete: self.previous_incomplete,
            last_full_sync: self.checkpoint.last_full_sync_time,
            now: Utc::now(),
            lake_today: self.today,
        };
        let (mut outcome, plan, closing) =
            planner::transfer(&self.syncer, self.profile, request, self.dry_run, observer);
        self.closing = closing;
        self.warnings.append(&mut outcome.warnings);
        self.interrupted_meanwhile(observer, &mut outcome.status, &mut outcome.error);
        self.errors.extend(outcome.error.iter().map(ToString::to_string));
        Transferred { outcome, plan }
    }

    /// Step 3: the Parquet landing check. A quarantined file makes a success partial.
    fn check_landing(&mut self, outcome: &mut TransferOutcome) -> LandingCheck {
        let profile = self.profile;
        let landing = if self.dry_run || !profile.check_parquet {
            LandingCheck::default()
        } else if let Some(area) = self.syncer.landing() {
            // Checked while rsync ran: what is left, and the counts.
            let (found, errors) = area.finish(&mut self.checkpoint.quarantine_failures);
            self.errors.extend(errors.into_iter().map(|e| format!("landing the transferred files failed: {e}")));
            found
        } else {
            match quarantine::check_landed(
                &profile.local_dir,
                &outcome.landed,
                &mut self.checkpoint.quarantine_failures,
            ) {
                Ok(found) => found,
                Err(e) => {
                    self.errors.push(format!("checking the transferred Parquet files failed: {e}"));
                    LandingCheck::default()
                }
            }
        };
        // Young files the landing area held back were moved by rsync but not into the lake.
        let (young, young_bytes) = landing.too_recent;
        outcome.too_recent += young;
        outcome.stats.files_transferred = outcome.stats.files_transferred.saturating_sub(young);
        outcome.stats.bytes_transferred = outcome.stats.bytes_transferred.saturating_sub(young_bytes);
        let too_recent = outcome.too_recent;
        if too_recent > 0 {
            self.warnings.push(format!(
                "{too_recent} file{} modified on the collector less than min_age ({}) ago {} left for the next run",
                if too_recent == 1 { "" } else { "s" },
                humantime::format_duration(self.profile.min_age),
                if too_recent == 1 { "was" } else { "were" }
            ));
        }
        self.warnings.extend(landing.quarantined.iter().map(quarantine::describe));
        if let (Some(first), SyncStatus::Success) = (landing.quarantined.first(), outcome.status) {
            // Not everything that arrived is usable.
            outcome.status = SyncStatus::Partial;
            let quarantined = Error::Quarantined {
                profile: profile.name.clone(),
                count: landing.quarantined.len(),
                first: first.path.display().to_string(),
            };
            self.errors.push(quarantined.to_string());
            outcome.error = Some(quarantined);
        }
        landing
    }

    /// Step 4: retention, after a success or a partial run, when asked. A
    /// stop during it ends the run `interrupted` (step 5 records it so).
    fn clean_up(
        &mut self,
        run_cleanup: bool,
        outcome: &mut TransferOutcome,
        observer: &mut dyn RunObserver,
    ) -> Option<CleanupReport> {
        let mut cleanup = None;
        if outcome.status.runs_cleanup() && run_cleanup {
            // Its progress (files deleted) is not the transfer's: the caller hears only of the transfer.
            match retention::clean_with_table(self.profile, self.today, self.dry_run, &mut CancelOnly(observer)) {
                Ok(report) => cleanup = Some(report),
                Err(Error::Interrupted { .. }) => {}
                Err(e) => self.errors.push(format!("cleanup after sync failed: {e}")),
            }
        }
        if self.interrupted_meanwhile(observer, &mut outcome.status, &mut outcome.error) {
            self.errors.extend(outcome.error.iter().map(ToString::to_string));
        }
        cleanup
    }

    /// A stop request that came after rsync's last poll (a signal in the last
    /// milliseconds of the transfer, or during cleanup) still ends a successful
    /// or partial run `interrupted`, before its outcome is recorded (a failure
    /// stays the failure it was). Returns true if it changed the status.
    fn interrupted_meanwhile(
        &self,
        observer: &mut dyn RunObserver,
        status: &mut SyncStatus,
        error: &mut Option<Error>,
    ) -> bool {
        if !matches!(status, SyncStatus::Success | SyncStatus::Partial) || !observer.should_cancel() {
            return false;
        }
        *status = SyncStatus::Interrupted;
        *error = Some(Error::Interrupted { profile: self.profile.name.clone(), operation: "sync".into() });
        true
    }

    /// Step 5: the checkpoint's record of the run (not in a dry run).
    fn record(
        &mut self,
        lake: &DataLake,
        done: &Transferred,
        cleanup: Option<&CleanupReport>,
        lake_unchanged: bool,
    ) -> Ended {
        let ended = Ended { at: Utc::now(), seconds: self.clock.elapsed().as_secs_f64() };
        if self.dry_run {
            return ended;
        }
        let (outcome, plan) = (&done.outcome, &done.plan);
        let (profile, checkpoint) = (self.profile, &mut self.checkpoint);
        let duration = ended.seconds;
        checkpoint.last_full_sync_time =
            planner::last_full_after(checkpoint.last_full_sync_time, plan, outcome.status, self.started);
        checkpoint.last_sync_mode = Some(plan.mode);
        // Counters first: seeding them from an old checkpoint's history must not count this run twice.
        metrics::seed_counters(checkpoint, &profile.name, lake.config.metrics_dir.as_deref());
        let counters = checkpoint.counters_mut();
        let stats = &outcome.stats;
        counters.add_sync(outcome.status, stats.files_transferred, stats.bytes_transferred, duration, outcome.attempts);
        if let Some(report) = cleanup {
            counters.add_cleanup(report);
        }
        counters.files_missed_by_window =
            counters.files_missed_by_window.saturating_add(plan.files_missed_by_window.unwrap_or(0));
        counters.rewrites_kept = counters.rewrites_kept.saturating_add(self.settled.kept.len() as u64);
        counters.files_grown = counters.files_grown.saturating_add(self.settled.grown);
        checkpoint.record_run(RunRecord {
            started_at: self.started,
            status: outcome.status,
            files_transferred: stats.files_transferred,
            bytes_transferred: stats.bytes_transferred,
            duration_seconds: duration,
            rsync_exit_code: outcome.exit_code,
            errors: self.errors.clone(),
        });
        if let Err(e) = checkpoint.save(&profile.checkpoint_file) {
            self.errors.push(format!("the sync finished but its checkpoint could not be written: {e}"));
        }
        if let Some(dir) = &lake.config.metrics_dir {
            let checkpoint = std::mem::take(checkpoint);
            let warnings = self.metrics.write(dir, profile, checkpoint, (self.today, plan.mode), lake_unchanged);
            self.warnings.extend(warnings);
        }
        ended
    }

    /// After step 3 (and before step 2, for what a killed run left): the
    /// earlier versions rsync staged, kept or dropped ([`replaced`]).
    fn settle_replaced(&mut self) {
        let settled = replaced::settle_run(self.profile, self.dry_run);
        self.metrics.settled(&settled);
        self.warnings.extend(settled.warnings());
        self.settled.absorb(settled);
    }
}

impl DataLake {
    /// The whole sync of one profile, on the current thread: the steps of
    /// [`ProfileRun`], in order.
    pub(super) fn sync_profile(
        &self,
        profile: &Profile,
        (dry_run, full): (bool, bool),
        run_cleanup: bool,
        observer: &mut dyn RunObserver,
    ) -> Result<SyncReport> {
        let mut run = ProfileRun::start(self, profile, dry_run)?;
        run.settle_replaced();
        run.read_ahead(self);
        let mut done = run.transfer(full, observer);
        let landing = run.check_landing(&mut done.outcome);
        run.settle_replaced();
        let cleanup = run.clean_up(run_cleanup, &mut done.outcome, observer);
        // compact.auto: under the same lock, after a success; its failure is a warning of the sync.
        let compaction = compact::after_sync(profile, done.outcome.status, dry_run, &mut CancelOnly(observer));
        if let Some(failure) = compaction.as_ref().and_then(CompactReport::failure) {
            run.warnings.push(format!("compaction after sync: {failure}"));
        }
        let lake_unchanged = run.metrics.lake_unchanged(&done.outcome, &landing, cleanup.as_ref());
        let ended = run.record(self, &done, cleanup.as_ref(), lake_unchanged);
        let mut report = run.report(done, ended, landing, cleanup);
        report.compaction = compaction;
        Ok(report)
    }
}
