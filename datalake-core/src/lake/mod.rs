//! The `DataLake` facade: what the bindings and the CLI call.

mod inspection;
pub mod outcome;
mod read;
mod sync_run;

use std::collections::VecDeque;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use chrono::Utc;

use crate::collector::connection::{self, ConnectionReport};
use crate::config::{Config, Profile, ValidationReport};
use crate::inspect::health::{self, HealthReport};
use crate::inspect::metrics;
use crate::inspect::stats::{self, ProfileStats};
use crate::lake::outcome::SyncAllReport;
use crate::local::partition::today;
use crate::rsync::process::{RunObserver, POLL_INTERVAL};
use crate::state::checkpoint::Checkpoint;
use crate::state::cleaner::{self, CleanupReport};
use crate::state::lock::ProfileLock;
use crate::transfer::report::SyncReport;
use crate::vocab::cancel::CancelToken;
use crate::vocab::error::{Error, Result};
use crate::vocab::progress::Progress;

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
    /// older than `max_age` (see [`crate::inspect::health`]).
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
