//! What a run's result means, decided once for every face.
//!
//! The C ABI, the Python module, the CLI and the quants-infra manager only
//! map what this module says: whether a report is a failure, the error it
//! carries, the exit code a command line uses, how several runs combine, and
//! how a checkpoint counts each status. The aggregates of the commands other
//! than `sync` (cleanup, verify and coverage over several profiles) are in
//! [`crate::lake::aggregates`]; which profiles `--all` covers, in
//! [`crate::lake::selection`].
//!
//! | result | exit code |
//! |---|---|
//! | [`SyncReport`] | that of its error (`partial` and `failed`: 1, `interrupted`: 130, locked: 3), 0 for `success` |
//! | [`SyncAllReport`] | that of its worst report |
//! | [`ConnectionReport`] | that of its error, 0 when the collector is usable |
//! | [`ValidationReport`] | 2 for an invalid file |
//! | [`CleanupReport`] | 0 (a cleanup that could not run is an error) |
//! | [`VerifyReport`] | 1 when a file is broken or differs |
//! | [`Coverage`] | 1 for a gap when asked to fail on gaps, else 0 |
//! | [`HealthReport`] | 1 when an enabled profile has a problem |
//! | any [`Error`] | [`ErrorKind::exit_code`] |
//!
//! # `partial` is a failure
//! rsync exit 23 after its retry means some files did not arrive: data is
//! missing, and whoever is paged at 3 a.m. must hear about it. So a `partial`
//! run behaves like a `failed` one everywhere (it carries an error, exit code
//! 1, `consecutive_failures` grows, `last_success_time` stays), while the
//! files that did arrive stay on disk and the status stays `partial` so the
//! two can be told apart. `success` with vanished files (rsync 24) is a
//! success: the files were deleted on the collector while it was read, which
//! is the collector's normal life, not missing data.

use serde::Serialize;

use crate::collector::connection::ConnectionReport;
use crate::config::ValidationReport;
use crate::inspect::coverage::Coverage;
use crate::inspect::health::HealthReport;
use crate::inspect::verify::VerifyReport;
use crate::state::cleaner::CleanupReport;
use crate::transfer::report::SyncReport;
use crate::vocab::error::{ConfigErrors, Error, ErrorKind};
use crate::vocab::exit_code::ExitCode;
use crate::vocab::status::SyncStatus;

impl SyncReport {
    /// Whether this run is a failure to alert on (see [`SyncStatus::is_failure`]).
    pub fn is_failure(&self) -> bool {
        self.status.is_failure()
    }

    /// The error this run ended with: set for every status but `success`
    /// (`skipped` runs say why they were skipped, e.g. locked). The faces
    /// raise or return exactly this; `None` means the run did what was asked.
    pub fn failure(&self) -> Option<&Error> {
        // The core builds every report through `without_transfer` or the
        // syncer's outcome, both of which attach the error.
        debug_assert!(
            self.status == SyncStatus::Success || self.error.is_some(),
            "{} without error",
            self.status.as_str()
        );
        match self.status {
            SyncStatus::Success => None,
            SyncStatus::Skipped | SyncStatus::Partial | SyncStatus::Interrupted | SyncStatus::Failed => {
                self.error.as_ref()
            }
        }
    }

    /// The exit code a command line reports for this run.
    pub fn exit_code(&self) -> ExitCode {
        self.failure().map_or(ExitCode::Ok, Error::exit_code)
    }
}

impl ConnectionReport {
    /// The error a failed connection test carries; `None` when the collector is usable.
    pub fn failure(&self) -> Option<&Error> {
        debug_assert!(self.ok || self.error.is_some(), "a failed connection test without error");
        if self.ok {
            None
        } else {
            self.error.as_ref()
        }
    }

    /// The exit code a command line reports for this test.
    pub fn exit_code(&self) -> ExitCode {
        self.failure().map_or(ExitCode::Ok, Error::exit_code)
    }
}

impl CleanupReport {
    /// A cleanup that returned a report did its job (what it kept on purpose
    /// is in `skipped` and `warnings`); one that could not is an `Err`.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::Ok
    }
}

impl VerifyReport {
    /// Failed (1) when a file is broken or differs from the collector's copy
    /// (`ok` false); a check that could not run is an `Err`.
    pub fn exit_code(&self) -> ExitCode {
        if self.ok {
            ExitCode::Ok
        } else {
            ExitCode::Failed
        }
    }
}

impl Coverage {
    /// Whether a series misses a day within retention.
    pub fn has_gaps(&self) -> bool {
        self.missing_days > 0
    }

    /// Gaps are facts (0), unless the caller asked to fail on them
    /// (`fail_on_gaps`, the CLI's `--fail-on-gaps`): then a gap is a failure (1).
    pub fn exit_code(&self) -> ExitCode {
        if self.fail_on_gaps && self.has_gaps() {
            ExitCode::Failed
        } else {
            ExitCode::Ok
        }
    }
}

impl HealthReport {
    /// Failed (1) when an enabled profile has a problem (never ran, last run
    /// failed or partial, last success too old, unreadable checkpoint).
    pub fn exit_code(&self) -> ExitCode {
        if self.ok {
            ExitCode::Ok
        } else {
            ExitCode::Failed
        }
    }
}

impl ValidationReport {
    /// The configuration error listing every problem; `None` when the file
    /// has no errors (warnings allowed).
    pub fn failure(&self) -> Option<Error> {
        if self.errors.is_empty() {
            return None;
        }
        Some(Error::Config(ConfigErrors { path: Some(self.path.clone()), errors: self.errors.clone() }))
    }

    /// The exit code a command line reports: usage (2) for an invalid file.
    pub fn exit_code(&self) -> ExitCode {
        self.failure().map_or(ExitCode::Ok, |e| e.exit_code())
    }
}

/// The result of [`crate::DataLake::sync_all`]: every profile's report, and
/// what they add up to.
#[derive(Debug, Serialize)]
pub struct SyncAllReport {
    /// The worst status of the reports (`success` when there are none).
    pub status: SyncStatus,
    /// Profiles synced (enabled ones).
    pub profiles: usize,
    /// Profiles whose report carries an error (failed, partial, interrupted, skipped).
    pub not_ok: usize,
    /// Regular files transferred, over all profiles.
    pub files_transferred: u64,
    /// Bytes transferred, over all profiles.
    pub bytes_transferred: u64,
    /// One report per enabled profile, in name order.
    pub reports: Vec<SyncReport>,
}

/// Why several runs together did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateFailure {
    /// The kind of the error of the first report (in name order) with the worst status.
    pub kind: ErrorKind,
    /// That error alone when one profile failed; otherwise a line per profile.
    pub message: String,
}

impl AggregateFailure {
    /// The failure of `total` runs of which `failing` (profile, error) did
    /// not succeed, `kind` being that of the one that speaks for the whole:
    /// one failing profile gives its error's own message; several give a
    /// line per profile under `<n> of <total> profiles <did_not>:`.
    pub(super) fn new(kind: ErrorKind, failing: &[(&str, &Error)], total: usize, did_not: &str) -> AggregateFailure {
        let message = match failing {
            [(_, only)] => only.to_string(),
            many => {
                let mut m = format!("{} of {total} profiles {did_not}:", many.len());
                for (profile, e) in many {
                    m.push_str(&format!("\n  {profile}: {e}"));
                }
                m
            }
        };
        AggregateFailure { kind, message }
    }
}

impl SyncAllReport {
    /// Combine the reports of one `sync_all`, kept in the given (name) order.
    pub fn new(reports: Vec<SyncReport>) -> SyncAllReport {
        SyncAllReport {
            status: SyncStatus::worst(reports.iter().map(|r| r.status)),
            profiles: reports.len(),
            not_ok: reports.iter().filter(|r| r.failure().is_some()).count(),
            files_transferred: reports.iter().map(|r| r.files_transferred).sum(),
            bytes_transferred: reports.iter().map(|r| r.bytes_transferred).sum(),
            reports,
        }
    }

    /// Whether any run is a failure to alert on.
    pub fn is_failure(&self) -> bool {
        self.status.is_failure()
    }

    /// The report that speaks for the whole: among those that carry an
    /// error, the worst exit code (interrupted, then failed or partial, then
    /// locked), then the worst status (failed over partial); the first in
    /// name order among equals. The C status, the exit code and the Python
    /// exception of the whole all come from it.
    pub fn worst(&self) -> Option<&SyncReport> {
        let key = |r: &SyncReport| (r.exit_code(), r.status);
        let failing = || self.reports.iter().filter(|r| r.failure().is_some());
        let worst = failing().map(key).max()?;
        failing().find(|r| key(r) == worst)
    }

    /// The error kind and message for the whole, `None` when every run succeeded.
    pub fn failure(&self) -> Option<AggregateFailure> {
        let kind = self.worst()?.failure()?.kind();
        let failing: Vec<(&str, &Error)> =
            self.reports.iter().filter_map(|r| r.failure().map(|e| (r.profile.as_str(), e))).collect();
        Some(AggregateFailure::new(kind, &failing, self.reports.len(), "did not sync"))
    }

    /// The exit code a command line reports: that of [`SyncAllReport::worst`]
    /// (which is also the worst of all the reports' exit codes).
    pub fn exit_code(&self) -> ExitCode {
        self.worst().map_or(ExitCode::Ok, SyncReport::exit_code)
    }

    /// The report as a JSON value.
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::error::all_error_kinds;
    use crate::vocab::status::{all_sync_statuses, RunEffect};

    fn locked() -> Error {
        Error::Locked { profile: "p".into(), activity: "synced".into(), pid: Some(1), since: None }
    }

    fn rsync(code: i32) -> Error {
        Error::Rsync { profile: "p".into(), code, meaning: "m".into(), stderr: String::new(), hint: "h".into() }
    }

    fn report(profile: &str, status: SyncStatus, error: Option<Error>) -> SyncReport {
        let mut r = SyncReport::without_transfer(profile, locked());
        r.status = status;
        r.error_kind = error.as_ref().map(Error::kind);
        r.error = error;
        r
    }

    #[test]
    fn lists_are_complete_and_ordered() {
        for (i, k) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i, "ErrorKind::ALL is out of order at {k:?}");
        }
        assert_eq!(all_error_kinds().len(), ErrorKind::ALL.len());
        let mut sorted = SyncStatus::ALL;
        sorted.sort();
        assert_eq!(sorted, SyncStatus::ALL, "ALL follows the severity order");
        assert_eq!(all_sync_statuses(), ["success", "skipped", "partial", "interrupted", "failed"]);
        let mut codes = ExitCode::ALL;
        codes.sort();
        assert_eq!(codes, ExitCode::ALL);
    }

    #[test]
    fn partial_is_a_failure_everywhere() {
        let r = report("p", SyncStatus::Partial, Some(rsync(23)));
        assert!(r.is_failure());
        assert_eq!(r.failure().map(Error::kind), Some(ErrorKind::Sync));
        assert_eq!(r.exit_code().code(), 1);
        assert_eq!(SyncStatus::Partial.run_effect(), RunEffect::Failure);
        assert!(SyncStatus::Partial.runs_cleanup());
    }

    #[test]
    fn exit_codes() {
        assert_eq!(report("p", SyncStatus::Success, None).exit_code(), ExitCode::Ok);
        assert_eq!(report("p", SyncStatus::Skipped, Some(locked())).exit_code().code(), 3);
        let interrupted = Error::Interrupted { profile: "p".into(), operation: "sync".into() };
        assert_eq!(report("p", SyncStatus::Interrupted, Some(interrupted)).exit_code().code(), 130);
        assert_eq!(ErrorKind::Config.exit_code().code(), 2);
        assert_eq!(ExitCode::worst([ExitCode::Locked, ExitCode::Failed, ExitCode::Usage]), ExitCode::Failed);
        assert_eq!(ExitCode::worst([]), ExitCode::Ok);
    }

    #[test]
    fn aggregate_takes_the_worst_first_in_order() {
        let empty = SyncAllReport::new(Vec::new());
        assert_eq!((empty.status, empty.failure(), empty.exit_code()), (SyncStatus::Success, None, ExitCode::Ok));

        let auth = Error::Authentication { target: "u@h:22".into(), key: "/k".into(), detail: "denied".into() };
        let all = SyncAllReport::new(vec![
            report("a", SyncStatus::Partial, Some(rsync(23))),
            report("b", SyncStatus::Failed, Some(auth)),
            report("c", SyncStatus::Success, None),
            report("d", SyncStatus::Failed, Some(rsync(12))),
            report("e", SyncStatus::Skipped, Some(locked())),
        ]);
        assert_eq!(all.status, SyncStatus::Failed);
        assert_eq!(all.worst().map(|r| r.profile.as_str()), Some("b"), "failed beats partial and locked; b before d");
        let f = all.failure().expect("failure");
        assert_eq!(f.kind, ErrorKind::Authentication);
        assert!(f.message.starts_with("4 of 5 profiles did not sync:\n  a: "), "{}", f.message);
        assert_eq!((all.profiles, all.not_ok, all.exit_code()), (5, 4, ExitCode::Failed));

        // An interruption speaks for the whole, as on the command line.
        let interrupted = Error::Interrupted { profile: "z".into(), operation: "sync".into() };
        let cut = SyncAllReport::new(vec![
            report("a", SyncStatus::Failed, Some(rsync(12))),
            report("z", SyncStatus::Interrupted, Some(interrupted)),
        ]);
        assert_eq!((cut.status, cut.exit_code()), (SyncStatus::Failed, ExitCode::Interrupted));
        assert_eq!(cut.failure().map(|f| f.kind), Some(ErrorKind::Interrupted));

        // Only locked profiles: not a failure, but the whole says locked.
        let busy = SyncAllReport::new(vec![report("a", SyncStatus::Skipped, Some(locked()))]);
        assert!(!busy.is_failure());
        assert_eq!((busy.exit_code().code(), busy.failure().map(|f| f.kind)), (3, Some(ErrorKind::Locked)));

        let one = SyncAllReport::new(vec![
            report("a", SyncStatus::Success, None),
            report("b", SyncStatus::Partial, Some(rsync(23))),
        ]);
        assert_eq!(one.failure().map(|f| f.message), Some(rsync(23).to_string()));
        assert_eq!(one.exit_code(), ExitCode::Failed);
    }
}
