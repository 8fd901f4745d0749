//! The `DataLake` facade: what the bindings and the CLI call.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use chrono::{DateTime, Local, NaiveDate, Utc};

use crate::cancel::CancelToken;
use crate::checkpoint::{Checkpoint, RunRecord, RunningMarker};
use crate::cleaner::{self, CleanupReport};
use crate::config::{Config, Profile, Timezone, ValidationReport};
use crate::connection::{self, ConnectionReport};
use crate::error::{Error, Result};
use crate::health::{self, HealthReport};
use crate::lock::ProfileLock;
use crate::metrics;
use crate::outcome::SyncAllReport;
use crate::planner;
use crate::progress::Progress;
use crate::quarantine;
use crate::report::{SyncReport, SyncStatus};
use crate::rsync::process::{RunObserver, POLL_INTERVAL};
use crate::stats::{self, ProfileStats};
use crate::syncer::{Syncer, TransferOutcome};

/// Options for [`DataLake::sync`] and [`DataLake::sync_all`].
pub struct SyncOptions<'a> {
    /// Change nothing on disk (rsync `--dry-run`, cleanup as a dry run, no checkpoint, no lock).
    pub dry_run: bool,
    /// Run retention after a successful or partial sync (default `true`).
    pub cleanup: bool,
    /// Transfer the whole tree (expired partitions excluded) instead of the window.
    pub full: bool,
    /// Profiles synced at once by `sync_all` (0 or 1: one at a time).
    pub jobs: u32,
    /// Called on the calling thread with progress, at most ~10 times a second per profile.
    pub progress: Option<&'a mut dyn FnMut(&Progress)>,
    /// Called on the calling thread about every 100 ms; returning `true`
    /// cancels the run (bindings use it to poll for Ctrl-C).
    pub interrupt_check: Option<&'a mut dyn FnMut() -> bool>,
    /// An extra cancellation token to honour.
    pub cancel: Option<CancelToken>,
}

impl Default for SyncOptions<'_> {
    fn default() -> Self {
        SyncOptions {
            dry_run: false,
            cleanup: true,
            full: false,
            jobs: 0,
            progress: None,
            interrupt_check: None,
            cancel: None,
        }
    }
}

/// A loaded lake configuration and the operations on it.
///
/// All methods take `&self`: a `DataLake` may be shared between threads and
/// sync different profiles in parallel (the profile lock serialises the same one).
#[derive(Debug)]
pub struct DataLake {
    config: Config,
    active: Mutex<Vec<CancelToken>>,
}

/// "Today" in the profile's calendar.
pub fn today(tz: Timezone) -> NaiveDate {
    match tz {
        Timezone::Utc => Utc::now().date_naive(),
        Timezone::Local => Local::now().date_naive(),
    }
}

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

/// Observer for a run on the calling thread: forwards to the caller's callbacks.
struct DirectObserver<'o, 'a> {
    options: &'o mut SyncOptions<'a>,
    token: CancelToken,
}

impl RunObserver for DirectObserver<'_, '_> {
    fn progress(&mut self, progress: &Progress) {
        if let Some(cb) = self.options.progress.as_mut() {
            cb(progress);
        }
    }
    fn should_cancel(&mut self) -> bool {
        let asked = self.options.interrupt_check.as_mut().is_some_and(|check| check());
        let external = self.options.cancel.as_ref().is_some_and(CancelToken::is_cancelled);
        // Cancelling the run's token also reaches `sync_all`'s workers, which watch it.
        if asked || external {
            self.token.cancel();
        }
        self.token.is_cancelled()
    }
}

/// Observer for a run on a `sync_all` worker: progress goes to the calling
/// thread through a channel; cancellation comes from the shared token.
struct ForwardingObserver {
    tx: mpsc::Sender<Progress>,
    token: CancelToken,
}

impl RunObserver for ForwardingObserver {
    fn progress(&mut self, progress: &Progress) {
        let _ = self.tx.send(progress.clone());
    }
    fn should_cancel(&mut self) -> bool {
        self.token.is_cancelled()
    }
}

/// Deregisters a run's token from the handle when the run ends.
struct ActiveRun<'l> {
    lake: &'l DataLake,
    token: CancelToken,
}

impl Drop for ActiveRun<'_> {
    fn drop(&mut self) {
        self.lake.active_runs().retain(|t| !t.same_as(&self.token));
    }
}

impl DataLake {
    /// Load and validate the config file.
    pub fn open(config_path: impl AsRef<Path>) -> Result<DataLake> {
        Ok(Self::from_config(Config::load(config_path)?))
    }

    /// Wrap an already loaded config.
    pub fn from_config(config: Config) -> DataLake {
        DataLake { config, active: Mutex::new(Vec::new()) }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn active_runs(&self) -> MutexGuard<'_, Vec<CancelToken>> {
        // A poisoned list of tokens is still a valid list of tokens.
        self.active.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn register(&self, token: CancelToken) -> ActiveRun<'_> {
        self.active_runs().push(token.clone());
        ActiveRun { lake: self, token }
    }

    /// Re-validate the config file (or report the loaded warnings for in-memory configs).
    pub fn validate(&self) -> ValidationReport {
        match &self.config.path {
            Some(path) => Config::validate_file(path),
            None => ValidationReport {
                path: Default::default(),
                ok: true,
                errors: Vec::new(),
                warnings: self.config.warnings.clone(),
            },
        }
    }

    /// Every configured profile, enabled or not, in name order.
    pub fn profiles(&self) -> impl Iterator<Item = &Profile> {
        self.config.profiles.values()
    }

    /// A profile by name ("did you mean" on a typo).
    pub fn profile(&self, name: &str) -> Result<&Profile> {
        self.config.profile(name)
    }

    fn enabled_profile(&self, name: &str) -> Result<&Profile> {
        let profile = self.config.profile(name)?;
        if !profile.enabled {
            return Err(Error::ProfileDisabled { name: name.to_string() });
        }
        Ok(profile)
    }

    /// Sync one profile: lock, mark running, rsync with retries, record the
    /// checkpoint, clean up after success or partial.
    ///
    /// `Err` when the run could not start (unknown or disabled profile,
    /// locked, rsync missing, unwritable checkpoint...); otherwise a report
    /// whose `status` tells how it ended and whose `error` carries the typed
    /// cause of a failure.
    pub fn sync(&self, name: &str, options: &mut SyncOptions<'_>) -> Result<SyncReport> {
        let profile = self.enabled_profile(name)?;
        let token = CancelToken::new();
        let _active = self.register(token.clone());
        let (dry_run, cleanup, full) = (options.dry_run, options.cleanup, options.full);
        let mut observer = DirectObserver { options, token };
        self.sync_profile(profile, (dry_run, full), cleanup, &mut observer)
    }

    /// The whole sync of one profile, on the current thread.
    fn sync_profile(
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
                warnings.extend(metrics::write_textfile(dir, profile, Some(checkpoint), today));
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
            rsync_exit_meaning: exit_code.map(|c| crate::rsync::exit_code::meaning(c).to_string()),
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
            files_missed_by_window: plan.files_missed_by_window,
            streams: plan.streams,
            error,
        })
    }

    /// Sync every enabled profile, `options.jobs` at a time. One failing
    /// profile never stops the others; each gets a report, in name order, and
    /// the aggregate says what they add up to.
    pub fn sync_all(&self, options: &mut SyncOptions<'_>) -> SyncAllReport {
        let names: Vec<String> = self.config.enabled_profiles().map(|p| p.name.clone()).collect();
        let token = CancelToken::new();
        let _active = self.register(token.clone());
        let jobs = (options.jobs.max(1) as usize).min(names.len().max(1));
        let queue = Mutex::new(names.iter().cloned().enumerate().collect::<VecDeque<_>>());
        let results: Mutex<Vec<(usize, SyncReport)>> = Mutex::new(Vec::new());
        let (tx, rx) = mpsc::channel::<Progress>();
        let (dry_run, cleanup, full) = (options.dry_run, options.cleanup, options.full);

        std::thread::scope(|scope| {
            for _ in 0..jobs {
                let tx = tx.clone();
                let token = token.clone();
                let (queue, results) = (&queue, &results);
                scope.spawn(move || {
                    let mut observer = ForwardingObserver { tx, token };
                    loop {
                        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).pop_front();
                        let Some((index, name)) = next else { break };
                        let report = match self
                            .enabled_profile(&name)
                            .and_then(|p| self.sync_profile(p, (dry_run, full), cleanup, &mut observer))
                        {
                            Ok(r) => r,
                            Err(e) => SyncReport::without_transfer(&name, e),
                        };
                        results.lock().unwrap_or_else(PoisonError::into_inner).push((index, report));
                    }
                });
            }
            drop(tx);
            // The calling thread is the callers' observer, as in `sync`: it relays
            // progress and polls for interruption until every worker has dropped its sender.
            let mut caller = DirectObserver { options, token: token.clone() };
            let mut last_poll = Instant::now();
            loop {
                match rx.recv_timeout(POLL_INTERVAL) {
                    Ok(p) => caller.progress(&p),
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
                if last_poll.elapsed() >= POLL_INTERVAL {
                    last_poll = Instant::now();
                    caller.should_cancel();
                }
            }
        });
        let mut results = results.into_inner().unwrap_or_else(PoisonError::into_inner);
        results.sort_by_key(|(i, _)| *i);
        SyncAllReport::new(results.into_iter().map(|(_, r)| r).collect())
    }

    /// Statistics of one profile (disabled profiles too).
    pub fn stats(&self, name: &str) -> Result<ProfileStats> {
        let profile = self.config.profile(name)?;
        let checkpoint = Checkpoint::load(&profile.checkpoint_file, true)?.checkpoint;
        stats::collect(profile, checkpoint.as_ref(), today(profile.timezone))
    }

    /// Apply retention to one profile (takes the profile lock unless dry run).
    pub fn cleanup(&self, name: &str, dry_run: bool) -> Result<CleanupReport> {
        let profile = self.config.profile(name)?;
        let _lock =
            if dry_run { None } else { Some(ProfileLock::acquire(&profile.lock_file, &profile.name, "cleaned")?) };
        let today = today(profile.timezone);
        let mut report = cleaner::clean(profile, today, dry_run)?;
        if !dry_run {
            let recorded = metrics::record_cleanup(profile, &report, self.config.metrics_dir.as_deref(), today);
            report.warnings.extend(recorded);
        }
        Ok(report)
    }

    /// The Prometheus exposition of these profiles (all of them when `names`
    /// is empty): the text `sync` and `cleanup` write into `metrics_dir`.
    /// Reads checkpoints and walks the lake; a lake that cannot be read leaves
    /// its families out (logged as a warning).
    pub fn metrics(&self, names: &[&str]) -> Result<String> {
        let profiles: Vec<&Profile> = if names.is_empty() {
            self.config.profiles.values().collect()
        } else {
            names.iter().map(|n| self.config.profile(n)).collect::<Result<_>>()?
        };
        let mut snapshots = Vec::with_capacity(profiles.len());
        for profile in profiles {
            let checkpoint = Checkpoint::load(&profile.checkpoint_file, true)?.checkpoint;
            let (snapshot, warning) = metrics::Snapshot::collect(profile, checkpoint, today(profile.timezone));
            if let Some(w) = warning {
                log::warn!("{w}");
            }
            snapshots.push(snapshot);
        }
        Ok(metrics::render(&snapshots))
    }

    /// The health check of every profile from its checkpoint: problems when an
    /// enabled profile never ran, its last run failed, or its last success is
    /// older than `max_age` (see [`crate::health`]).
    pub fn health(&self, max_age: std::time::Duration) -> HealthReport {
        health::check(&self.config, max_age, Utc::now())
    }

    /// Check that the collector is reachable and readable. The report tells
    /// the distinct outcome; `Err` only for an unknown profile.
    pub fn test_connection(&self, name: &str) -> Result<ConnectionReport> {
        Ok(connection::test_connection(self.config.profile(name)?))
    }

    /// The profile's checkpoint, if one was written (read-only: a corrupt file is left in place).
    pub fn checkpoint(&self, name: &str) -> Result<Option<Checkpoint>> {
        let profile = self.config.profile(name)?;
        Ok(Checkpoint::load(&profile.checkpoint_file, true)?.checkpoint)
    }

    /// Cancel every sync currently running on this handle. Thread-safe; the
    /// runs stop rsync (SIGTERM, then SIGKILL), keep partial data and end `interrupted`.
    pub fn cancel(&self) {
        for token in self.active_runs().iter() {
            token.cancel();
        }
    }
}
