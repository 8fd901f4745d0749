//! The facade's compaction: `DataLake::compact`, and what its report means.

use crate::lake::DataLake;
use crate::local::partition::today;
use crate::rsync::process::RunObserver;
use crate::state::absorbed::report::CompactReport;
use crate::state::lock::ProfileLock;
use crate::table::compact::{self, RunTime};
use crate::vocab::cancel::CancelToken;
use crate::vocab::error::{Error, Result};
use crate::vocab::exit_code::ExitCode;
use crate::vocab::progress::Progress;
use crate::vocab::status::SyncStatus;

/// Options for [`DataLake::compact`].
#[derive(Default)]
pub struct CompactOptions<'a> {
    /// Change nothing: report what would be compacted (no lock taken).
    pub dry_run: bool,
    /// Called on the calling thread with progress (bytes of raw parts read).
    pub progress: Option<&'a mut dyn FnMut(&Progress)>,
    /// Polled between series-days; `true` stops the run (after the last commit, cleanly).
    pub interrupt_check: Option<&'a mut dyn FnMut() -> bool>,
    /// An extra cancellation token to honour.
    pub cancel: Option<CancelToken>,
}

struct Observer<'o, 'a> {
    options: &'o mut CompactOptions<'a>,
    token: CancelToken,
}

impl RunObserver for Observer<'_, '_> {
    fn progress(&mut self, progress: &Progress) {
        if let Some(cb) = self.options.progress.as_mut() {
            cb(progress);
        }
    }
    fn should_cancel(&mut self) -> bool {
        let asked = self.options.interrupt_check.as_mut().is_some_and(|check| check());
        if asked || self.options.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            self.token.cancel();
        }
        self.token.is_cancelled()
    }
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
        let profile = self.profile(name)?;
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
        let token = CancelToken::new();
        let _active = self.register(token.clone());
        let when = RunTime { now: chrono::Utc::now(), today: today(profile.timezone), dry_run: options.dry_run };
        let mut observer = Observer { options, token };
        Ok(compact::run(profile, when, &mut observer))
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
