//! The `DataLake` facade: what the bindings and the CLI call.
//!
//! Every long operation (`sync`, `verify`, `cleanup` and their `*_all`
//! forms) takes a [`RunControl`] in its options and registers a cancellation
//! token on the handle while it runs, so [`DataLake::cancel`] stops them all
//! alike. Which profiles `--all` covers is [`selection`]'s table; what a
//! result means, [`outcome`] and [`aggregates`].

pub mod aggregates;
mod inspection;
pub mod outcome;
mod read;
mod retention;
mod run;
pub mod selection;
mod sync_all;
mod sync_run;

use std::path::Path;

use chrono::Utc;

use crate::collector::connection::{self, ConnectionReport};
use crate::config::{Config, Profile, ValidationReport};
use crate::inspect::health::{self, HealthReport};
use crate::inspect::metrics;
use crate::inspect::stats::{self, ProfileStats};
use crate::lake::run::Runs;
use crate::lake::selection::{select, Command, Selection};
use crate::local::partition::today;
use crate::state::checkpoint::Checkpoint;
use crate::vocab::error::{Error, Result};
use crate::vocab::run_control::RunControl;

/// Options for [`DataLake::sync`] and [`DataLake::sync_all`].
#[derive(Debug)]
pub struct SyncOptions<'a> {
    /// Change nothing on disk (rsync `--dry-run`, cleanup as a dry run, no checkpoint, no lock).
    pub dry_run: bool,
    /// Run retention after a successful or partial sync (default `true`).
    pub cleanup: bool,
    /// Transfer the whole tree (expired partitions excluded) instead of the window.
    pub full: bool,
    /// Profiles synced at once by `sync_all` (0 or 1: one at a time).
    pub jobs: u32,
    /// Progress (at most ~10 times a second per profile), cancellation and the
    /// caller's poll, all on the calling thread.
    pub control: RunControl<'a>,
}

impl Default for SyncOptions<'_> {
    fn default() -> Self {
        SyncOptions { dry_run: false, cleanup: true, full: false, jobs: 0, control: RunControl::default() }
    }
}

/// A loaded lake configuration and the operations on it.
///
/// All methods take `&self`: a `DataLake` may be shared between threads and
/// sync different profiles in parallel (the profile lock serialises the same one).
#[derive(Debug)]
pub struct DataLake {
    config: Config,
    runs: Runs,
}

impl DataLake {
    /// Load and validate the config file.
    pub fn open(config_path: impl AsRef<Path>) -> Result<DataLake> {
        Ok(Self::from_config(Config::load(config_path)?))
    }

    /// Wrap an already loaded config.
    pub fn from_config(config: Config) -> DataLake {
        DataLake { config, runs: Runs::default() }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
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

    /// The profiles a selection names, in name order. `--all` of a command is
    /// `command.all_profiles()` (see [`selection`] for the table).
    pub fn select_profiles(&self, selection: Selection<'_>) -> Result<Vec<&Profile>> {
        select(&self.config, selection)
    }

    fn enabled_profile(&self, name: &str) -> Result<&Profile> {
        let profile = self.config.profile(name)?;
        if !profile.enabled {
            return Err(Error::ProfileDisabled { name: name.to_string() });
        }
        Ok(profile)
    }

    /// Statistics of one profile (disabled profiles too).
    pub fn stats(&self, name: &str) -> Result<ProfileStats> {
        let profile = self.config.profile(name)?;
        let checkpoint = Checkpoint::load(&profile.checkpoint_file, true)?.checkpoint;
        stats::collect(profile, checkpoint.as_ref(), today(profile.timezone))
    }

    /// The Prometheus exposition of these profiles (all of them when `names`
    /// is empty): the text `sync` and `cleanup` write into `metrics_dir`.
    /// Reads checkpoints and walks the lake; a lake that cannot be read leaves
    /// its families out (logged as a warning).
    pub fn metrics(&self, names: &[&str]) -> Result<String> {
        let profiles: Vec<&Profile> = if names.is_empty() {
            self.select_profiles(Command::Metrics.all_profiles())?
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
    /// older than `max_age` (see [`crate::inspect::health`]). An
    /// `InvalidArgument` error when `max_age` is not positive.
    pub fn health(&self, max_age: std::time::Duration) -> Result<HealthReport> {
        let max_age = health::positive_max_age(max_age)?;
        let profiles = self.select_profiles(Command::Health.all_profiles())?;
        Ok(health::check(&profiles, max_age, Utc::now()))
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

    /// Cancel every sync, verify and cleanup currently running on this
    /// handle. Thread-safe. A sync stops rsync (SIGTERM, then SIGKILL), keeps
    /// partial data and ends `interrupted`; a verify or a cleanup ends with an
    /// `Interrupted` error (what a cleanup deleted until then stays deleted).
    /// Runs started afterwards are not affected.
    pub fn cancel(&self) {
        self.runs.cancel_all();
    }
}
