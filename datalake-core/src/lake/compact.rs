//! The facade's compaction: `compact` of one profile and `compact_all`, and
//! what their results mean.

use serde::Serialize;

use super::aggregates::ProfileOutcome;
use super::outcome::AggregateFailure;
use super::DataLake;
use crate::lake::selection::Command;
use crate::local::partition::today;
use crate::state::absorbed::report::CompactReport;
use crate::state::lock::ProfileLock;
use crate::table::compact::{self, RunTime};
use crate::vocab::error::{Error, Result};
use crate::vocab::exit_code::ExitCode;
use crate::vocab::run_control::RunControl;
use crate::vocab::status::SyncStatus;

/// Options for [`DataLake::compact`] and [`DataLake::compact_all`].
#[derive(Debug, Default)]
pub struct CompactOptions<'a> {
    /// Change nothing: report which days would be compacted (no lock taken).
    pub dry_run: bool,
    /// Progress (bytes of raw parts read, parts absorbed, the series-day in
    /// `current_file`), cancellation and the caller's poll; a stop ends the
    /// run `interrupted` after its last commit (every commit stays).
    pub control: RunControl<'a>,
}

impl DataLake {
    /// Compact one profile's closed days into its Delta table (see
    /// [`crate::table`]): takes the profile lock (unless `dry_run`), absorbs
    /// every new raw part of every closed day exactly once, deletes the
    /// absorbed parts (unless `compact.keep_raw`).
    ///
    /// `Err` when the run could not start (unknown profile, compaction not
    /// enabled, locked); otherwise a report whose `status` tells how it ended
    /// and whose [`CompactReport::failure`] is the typed cause.
    pub fn compact(&self, name: &str, options: &mut CompactOptions<'_>) -> Result<CompactReport> {
        let profile = self.config.profile(name)?;
        if !profile.compact.enabled {
            return Err(Error::InvalidArgument(format!(
                "compaction is not enabled for profile {name}: set compact.enabled: true in its profile (see the user guide, \"Compaction\")"
            )));
        }
        let _lock = if options.dry_run {
            None
        } else {
            Some(ProfileLock::acquire(&profile.lock_file, &profile.name, "compacted")?)
        };
        let run = self.runs.start();
        let mut observer = run.observer(&mut options.control);
        let when = RunTime { now: chrono::Utc::now(), today: today(profile.timezone), dry_run: options.dry_run };
        Ok(compact::run(profile, when, &mut observer))
    }

    /// Compact every profile with `compact.enabled`, in name order. One
    /// profile that cannot be compacted never stops the others; a stop ends
    /// the run at the profile it interrupted.
    pub fn compact_all(&self, options: &mut CompactOptions<'_>) -> CompactAllReport {
        let names: Vec<String> = self
            .select_profiles(Command::Compact.all_profiles())
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.name.clone())
            .collect();
        let mut results = Vec::with_capacity(names.len());
        for name in names {
            let result = self.compact(&name, options);
            let stopped = match &result {
                Ok(r) => r.status == SyncStatus::Interrupted,
                Err(e) => matches!(e, Error::Interrupted { .. }),
            };
            results.push(ProfileOutcome { profile: name, result });
            if stopped {
                break;
            }
        }
        CompactAllReport { results }
    }
}

impl CompactReport {
    /// The error this run ended with: set for every status but `success`
    /// (`partial`: closed days stay raw, see `skipped`). The faces raise or
    /// return exactly this.
    pub fn failure(&self) -> Option<&Error> {
        match self.status {
            SyncStatus::Success => None,
            _ => self.error.as_ref(),
        }
    }

    /// The exit code a command line reports for this run.
    pub fn exit_code(&self) -> ExitCode {
        self.failure().map_or(ExitCode::Ok, Error::exit_code)
    }
}

/// The result of [`DataLake::compact_all`].
#[derive(Debug, Serialize)]
pub struct CompactAllReport {
    /// One entry per profile attempted (those with `compact.enabled`, in name order).
    pub results: Vec<ProfileOutcome<CompactReport>>,
}

impl CompactAllReport {
    /// Each profile's error: the one that kept it from running, or its report's.
    fn failures(&self) -> impl Iterator<Item = (&str, &Error)> {
        self.results.iter().filter_map(|o| {
            let e = match &o.result {
                Ok(r) => r.failure()?,
                Err(e) => e,
            };
            Some((o.profile.as_str(), e))
        })
    }

    /// The error kind of the worst failure (by exit code, the first in name
    /// order among equals) and a message naming every profile that did not
    /// compact cleanly; `None` when all did.
    pub fn failure(&self) -> Option<AggregateFailure> {
        let worst = self.failures().map(|(_, e)| e.exit_code()).max()?;
        let (_, first) = self.failures().find(|(_, e)| e.exit_code() == worst)?;
        let failing: Vec<(&str, &Error)> = self.failures().collect();
        Some(AggregateFailure::new(first.kind(), &failing, self.results.len(), "did not compact cleanly"))
    }

    /// The exit code of `compact --all`: the worst of the profiles', 0 when every one succeeded.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::worst(self.failures().map(|(_, e)| e.exit_code()))
    }

    /// The report as a JSON value: `{"results": [...]}`, one entry per profile.
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
