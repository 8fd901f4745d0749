//! The `DataLake` facade: what the bindings and the CLI call.

use std::path::Path;
use std::sync::Mutex;

use crate::cancel::CancelToken;
use crate::checkpoint::Checkpoint;
use crate::cleaner::CleanupReport;
use crate::config::{Config, Profile, ValidationReport};
use crate::connection::ConnectionReport;
use crate::error::Result;
use crate::progress::Progress;
use crate::report::SyncReport;
use crate::stats::ProfileStats;

/// Options for [`DataLake::sync`] and [`DataLake::sync_all`].
#[derive(Default)]
pub struct SyncOptions<'a> {
    /// Change nothing on disk (rsync `--dry-run`, no cleanup, no checkpoint).
    pub dry_run: bool,
    /// Skip the retention run after a successful or partial sync.
    pub no_cleanup: bool,
    /// Profiles synced at once by `sync_all` (0 or 1: one at a time).
    pub jobs: u32,
    /// Called on the calling thread with progress, at most ~10 times a second.
    pub progress: Option<&'a mut dyn FnMut(&Progress)>,
    /// Called on the calling thread about every 100 ms; returning `true`
    /// cancels the run (bindings use it to poll for Ctrl-C).
    pub interrupt_check: Option<&'a mut dyn FnMut() -> bool>,
    /// An extra cancellation token to honour.
    pub cancel: Option<CancelToken>,
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

    /// Re-validate the config file (or report the loaded warnings for in-memory configs).
    pub fn validate(&self) -> ValidationReport {
        todo!("sync engine")
    }

    /// A profile by name ("did you mean" on a typo).
    pub fn profile(&self, name: &str) -> Result<&Profile> {
        self.config.profile(name)
    }

    /// Sync one profile: lock, mark running, rsync with retries, record the
    /// checkpoint, clean up after success or partial.
    ///
    /// `Err` when the run could not start (unknown or disabled profile,
    /// locked, rsync missing...); otherwise a report whose `status` tells how
    /// it ended and whose `error` carries the typed cause of a failure.
    pub fn sync(&self, name: &str, options: &mut SyncOptions<'_>) -> Result<SyncReport> {
        let _ = (name, options);
        todo!("sync engine")
    }

    /// Sync every enabled profile, `options.jobs` at a time. One failing
    /// profile never stops the others; each gets a report.
    pub fn sync_all(&self, options: &mut SyncOptions<'_>) -> Vec<SyncReport> {
        let _ = options;
        todo!("sync engine")
    }

    /// Statistics of one profile.
    pub fn stats(&self, name: &str) -> Result<ProfileStats> {
        let _ = name;
        todo!("sync engine")
    }

    /// Apply retention to one profile (takes the profile lock unless dry run).
    pub fn cleanup(&self, name: &str, dry_run: bool) -> Result<CleanupReport> {
        let _ = (name, dry_run);
        todo!("sync engine")
    }

    /// Check that the collector is reachable and readable.
    pub fn test_connection(&self, name: &str) -> Result<ConnectionReport> {
        let _ = name;
        todo!("sync engine")
    }

    /// The profile's checkpoint, if one was written (read-only: a corrupt file is left in place).
    pub fn checkpoint(&self, name: &str) -> Result<Option<Checkpoint>> {
        let _ = name;
        todo!("sync engine")
    }

    /// Cancel every sync currently running on this handle. Thread-safe.
    pub fn cancel(&self) {
        let _ = &self.active;
        todo!("sync engine")
    }
}
