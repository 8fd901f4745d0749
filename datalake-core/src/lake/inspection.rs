//! The facade's inspection calls: coverage and verify of one profile.

use super::DataLake;
use crate::inspect::coverage::Coverage;
use crate::inspect::stats::collect_with_coverage;
use crate::inspect::verify::{verify, VerifyOptions, VerifyReport};
use crate::local::partition::today;
use crate::state::checkpoint::Checkpoint;
use crate::vocab::error::Result;

impl DataLake {
    /// Coverage of a profile (disabled ones too): series, missing days,
    /// stopped series, from one walk of its directory.
    pub fn coverage(&self, name: &str) -> Result<Coverage> {
        let profile = self.profile(name)?;
        let checkpoint = Checkpoint::load(&profile.checkpoint_file, true)?.checkpoint;
        collect_with_coverage(profile, checkpoint.as_ref(), today(profile.timezone)).map(|(_, c)| c)
    }

    /// Check every Parquet file of a profile (disabled ones too); with
    /// `options.remote`, compare with the collector by checksum. `Err` when
    /// the check could not run (unknown profile, unreadable lake, collector
    /// unreachable, interrupted); broken files are in the report (`ok: false`).
    pub fn verify(&self, name: &str, options: &mut VerifyOptions<'_>) -> Result<VerifyReport> {
        verify(self.profile(name)?, options)
    }
}
