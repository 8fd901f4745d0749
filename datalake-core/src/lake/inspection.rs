//! The facade's inspection calls: coverage and verify, of one profile and of all.

use super::aggregates::{CoverageAllReport, VerifyAllReport};
use super::DataLake;
use crate::config::Profile;
use crate::inspect::coverage::{Coverage, CoverageOptions};
use crate::inspect::stats::collect_with_coverage;
use crate::inspect::verify::{verify, VerifyOptions, VerifyReport};
use crate::lake::selection::Command;
use crate::local::partition::today;
use crate::state::checkpoint::Checkpoint;
use crate::vocab::error::Result;

impl DataLake {
    /// Coverage of a profile (disabled ones too): series, missing days,
    /// stopped series, from one walk of its directory. Its exit code follows
    /// `options.fail_on_gaps`.
    pub fn coverage(&self, name: &str, options: &CoverageOptions) -> Result<Coverage> {
        self.coverage_of(self.profile(name)?, options)
    }

    /// Coverage of every profile (the `coverage --all` table); the first that
    /// cannot be read ends it with its error.
    pub fn coverage_all(&self, options: &CoverageOptions) -> Result<CoverageAllReport> {
        let profiles = self.select_profiles(Command::Coverage.all_profiles())?;
        let coverages = profiles.into_iter().map(|p| self.coverage_of(p, options)).collect::<Result<Vec<_>>>()?;
        Ok(CoverageAllReport::new(coverages, options.fail_on_gaps))
    }

    fn coverage_of(&self, profile: &Profile, options: &CoverageOptions) -> Result<Coverage> {
        let checkpoint = Checkpoint::load(&profile.checkpoint_file, true)?.checkpoint;
        let (_, coverage) = collect_with_coverage(profile, checkpoint.as_ref(), today(profile.timezone))?;
        Ok(Coverage { fail_on_gaps: options.fail_on_gaps, ..coverage })
    }

    /// Check every Parquet file of a profile (disabled ones too); with
    /// `options.remote`, compare with the collector by checksum. `Err` when
    /// the check could not run (unknown profile, unreadable lake, collector
    /// unreachable, interrupted: cancel or the caller's control); broken files
    /// are in the report (`ok: false`, exit code 1).
    pub fn verify(&self, name: &str, options: &mut VerifyOptions<'_>) -> Result<VerifyReport> {
        let profile = self.profile(name)?;
        let run = self.runs.start();
        let mut observer = run.observer(&mut options.control);
        verify(profile, options.remote, options.jobs, &mut observer).and_then(|r| with_remote_table(profile, r))
    }

    /// Verify every profile (the `verify --all` table), one after the other;
    /// the first that cannot be checked ends it with its error.
    pub fn verify_all(&self, options: &mut VerifyOptions<'_>) -> Result<VerifyAllReport> {
        let profiles = self.select_profiles(Command::Verify.all_profiles())?;
        let run = self.runs.start();
        let mut observer = run.observer(&mut options.control);
        let reports = profiles
            .into_iter()
            .map(|p| verify(p, options.remote, options.jobs, &mut observer).and_then(|r| with_remote_table(p, r)))
            .collect::<Result<Vec<_>>>()?;
        Ok(VerifyAllReport::new(reports))
    }
}

/// The report with the checks of the profile's table on an object store added.
fn with_remote_table(profile: &Profile, mut report: VerifyReport) -> Result<VerifyReport> {
    let Some(check) = crate::table::verify::check(profile)? else { return Ok(report) };
    report.files_checked += check.files;
    report.table_files_checked += check.files;
    report.bytes_checked += check.bytes;
    report.ok &= check.broken.is_empty();
    report.broken.extend(check.broken);
    Ok(report)
}
