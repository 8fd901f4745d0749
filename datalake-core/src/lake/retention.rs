//! The facade's retention calls: `cleanup` of one profile and `cleanup_all`.

use super::aggregates::{CleanupAllReport, ProfileOutcome};
use super::DataLake;
use crate::config::Profile;
use crate::inspect::metrics;
use crate::lake::selection::Command;
use crate::local::partition::today;
use crate::rsync::process::RunObserver;
use crate::state::cleaner::{self, CleanupOptions, CleanupReport};
use crate::state::lock::ProfileLock;
use crate::vocab::error::{Error, Result};

impl DataLake {
    /// Apply retention to one profile, disabled ones too (takes the profile
    /// lock unless `options.dry_run`). `Err` when it could not run or was
    /// stopped (`Interrupted`: cancel, or the caller's control).
    pub fn cleanup(&self, name: &str, options: &mut CleanupOptions<'_>) -> Result<CleanupReport> {
        let profile = self.config.profile(name)?;
        let run = self.runs.start();
        let mut observer = run.observer(&mut options.control);
        self.clean_profile(profile, options.dry_run, &mut observer)
    }

    /// Apply retention to every enabled profile, in name order. One profile
    /// that cannot be cleaned never stops the others; a stop ends the run at
    /// the profile it interrupted (see [`super::aggregates`]).
    pub fn cleanup_all(&self, options: &mut CleanupOptions<'_>) -> CleanupAllReport {
        let profiles = self.select_profiles(Command::Cleanup.all_profiles()).unwrap_or_default();
        let run = self.runs.start();
        let mut observer = run.observer(&mut options.control);
        let mut results = Vec::with_capacity(profiles.len());
        for profile in profiles {
            let result = self.clean_profile(profile, options.dry_run, &mut observer);
            let stopped = matches!(result, Err(Error::Interrupted { .. }));
            results.push(ProfileOutcome { profile: profile.name.clone(), result });
            if stopped {
                break;
            }
        }
        CleanupAllReport { results }
    }

    fn clean_profile(&self, profile: &Profile, dry_run: bool, observer: &mut dyn RunObserver) -> Result<CleanupReport> {
        let _lock =
            if dry_run { None } else { Some(ProfileLock::acquire(&profile.lock_file, &profile.name, "cleaned")?) };
        let today = today(profile.timezone);
        let mut report = cleaner::clean(profile, today, dry_run, observer)?;
        if !dry_run {
            let recorded = metrics::record_cleanup(profile, &report, self.config.metrics_dir.as_deref(), today);
            report.warnings.extend(recorded);
        }
        Ok(report)
    }
}
