//! What a command run over several profiles adds up to, for the commands
//! other than `sync` (whose aggregate, [`SyncAllReport`](super::outcome::SyncAllReport),
//! lives with the sync outcome model).
//!
//! Two rules, one per kind of command:
//! - `cleanup --all` changes the lake: like `sync --all`, one profile that
//!   cannot be cleaned never stops the others; each profile gets its report
//!   or its error, and the exit code is the worst of the errors' (0 when every
//!   profile was cleaned). A stop (cancel, Ctrl-C) ends the run at the
//!   profile it interrupted: the ones after it are not attempted.
//! - `verify --all` and `coverage --all` look at the lake: the first profile
//!   that cannot be looked at ends the command with its error (an `Err`), as
//!   for one profile; otherwise the exit code is the worst of the reports'
//!   ([`VerifyReport::exit_code`], [`Coverage::exit_code`]).

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use super::outcome::AggregateFailure;
use crate::inspect::coverage::Coverage;
use crate::inspect::verify::VerifyReport;
use crate::state::cleaner::CleanupReport;
use crate::vocab::error::Error;
use crate::vocab::exit_code::ExitCode;

/// One profile's part of a command run over several: its report, or the
/// error that kept it from producing one.
#[derive(Debug)]
pub struct ProfileOutcome<R> {
    /// The profile.
    pub profile: String,
    /// Its report, or why there is none.
    pub result: Result<R, Error>,
}

impl<R> ProfileOutcome<R> {
    /// The error, when the profile did not produce a report.
    pub fn error(&self) -> Option<&Error> {
        self.result.as_ref().err()
    }
}

impl<R: Serialize> Serialize for ProfileOutcome<R> {
    /// The report's own JSON, or `{"profile": ..., "error": {"kind": ..., "message": ...}}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.result {
            Ok(report) => report.serialize(serializer),
            Err(e) => {
                let mut s = serializer.serialize_struct("ProfileOutcome", 2)?;
                s.serialize_field("profile", &self.profile)?;
                s.serialize_field("error", &ErrorDoc { kind: e.kind().as_str(), message: e.to_string() })?;
                s.end()
            }
        }
    }
}

#[derive(Serialize)]
struct ErrorDoc {
    kind: &'static str,
    message: String,
}

/// The result of [`crate::DataLake::cleanup_all`].
#[derive(Debug, Serialize)]
pub struct CleanupAllReport {
    /// One entry per profile attempted (enabled ones, in name order).
    pub results: Vec<ProfileOutcome<CleanupReport>>,
}

impl CleanupAllReport {
    /// The reports of the profiles that were cleaned, in name order.
    pub fn reports(&self) -> impl Iterator<Item = &CleanupReport> {
        self.results.iter().filter_map(|o| o.result.as_ref().ok())
    }

    /// The profiles that could not be cleaned, with why, in name order.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &Error)> {
        self.results.iter().filter_map(|o| o.error().map(|e| (o.profile.as_str(), e)))
    }

    /// The failure that speaks for the whole: the worst exit code, the first
    /// in name order among equals.
    pub fn worst(&self) -> Option<(&str, &Error)> {
        let worst = self.failures().map(|(_, e)| e.exit_code()).max()?;
        self.failures().find(|(_, e)| e.exit_code() == worst)
    }

    /// The error kind of [`CleanupAllReport::worst`] and a message naming
    /// every profile that could not be cleaned; `None` when all were.
    pub fn failure(&self) -> Option<AggregateFailure> {
        let (_, worst) = self.worst()?;
        let failing: Vec<(&str, &Error)> = self.failures().collect();
        Some(AggregateFailure::new(worst.kind(), &failing, self.results.len(), "could not be cleaned up"))
    }

    /// The exit code of `cleanup --all`: the worst of the errors', 0 when every profile was cleaned.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::worst(self.failures().map(|(_, e)| e.exit_code()))
    }

    /// The report as a JSON value: `{"results": [...]}`, one entry per profile.
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The result of [`crate::DataLake::verify_all`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyAllReport {
    /// True when every profile's report is ok.
    pub ok: bool,
    /// One report per profile (every profile, in name order).
    pub reports: Vec<VerifyReport>,
}

impl VerifyAllReport {
    /// Combine the reports of one `verify_all`, kept in the given (name) order.
    pub fn new(reports: Vec<VerifyReport>) -> VerifyAllReport {
        VerifyAllReport { ok: reports.iter().all(|r| r.ok), reports }
    }

    /// The exit code of `verify --all`: the worst of the reports'.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::worst(self.reports.iter().map(VerifyReport::exit_code))
    }

    /// The report as a JSON value.
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The result of [`crate::DataLake::coverage_all`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageAllReport {
    /// Whether a gap is a failure (the caller's `fail_on_gaps`).
    pub fail_on_gaps: bool,
    /// Missing days summed over every profile.
    pub missing_days: u64,
    /// One coverage per profile (every profile, in name order).
    pub coverages: Vec<Coverage>,
}

impl CoverageAllReport {
    /// Combine the coverages of one `coverage_all`, kept in the given (name) order.
    pub fn new(coverages: Vec<Coverage>, fail_on_gaps: bool) -> CoverageAllReport {
        let coverages: Vec<Coverage> = coverages.into_iter().map(|c| Coverage { fail_on_gaps, ..c }).collect();
        CoverageAllReport { fail_on_gaps, missing_days: coverages.iter().map(|c| c.missing_days).sum(), coverages }
    }

    /// The exit code of `coverage --all`: the worst of the coverages'.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::worst(self.coverages.iter().map(Coverage::exit_code))
    }

    /// The report as a JSON value.
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::error::ErrorKind;
    use chrono::NaiveDate;

    fn cleaned(profile: &str) -> ProfileOutcome<CleanupReport> {
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let report = CleanupReport {
            profile: profile.into(),
            dry_run: false,
            cutoff_date: day,
            deleted_dirs: 1,
            deleted_files: 2,
            freed_bytes: 3,
            deleted_paths: Vec::new(),
            deleted: Vec::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
            duration_seconds: 0.0,
        };
        ProfileOutcome { profile: profile.into(), result: Ok(report) }
    }

    fn failed(profile: &str, error: Error) -> ProfileOutcome<CleanupReport> {
        ProfileOutcome { profile: profile.into(), result: Err(error) }
    }

    fn locked(profile: &str) -> Error {
        Error::Locked { profile: profile.into(), activity: "synced".into(), pid: Some(7), since: None }
    }

    fn io(path: &str) -> Error {
        Error::io_default("delete", path, std::io::Error::from_raw_os_error(13))
    }

    #[test]
    fn cleanup_all_takes_the_worst_error() {
        let none = CleanupAllReport { results: Vec::new() };
        assert_eq!((none.exit_code(), none.failure()), (ExitCode::Ok, None));

        let fine = CleanupAllReport { results: vec![cleaned("a"), cleaned("b")] };
        assert_eq!((fine.exit_code(), fine.failure(), fine.reports().count()), (ExitCode::Ok, None, 2));

        // Locked (3) is not as bad as an I/O error (1): the first I/O error speaks for the whole.
        let mixed = CleanupAllReport {
            results: vec![failed("a", locked("a")), cleaned("b"), failed("c", io("/x")), failed("d", io("/y"))],
        };
        assert_eq!(mixed.exit_code(), ExitCode::Failed);
        assert_eq!(mixed.worst().map(|(p, _)| p), Some("c"));
        let f = mixed.failure().expect("failure");
        assert_eq!(f.kind, ErrorKind::Io);
        assert!(f.message.starts_with("3 of 4 profiles could not be cleaned up:\n  a: "), "{}", f.message);
        assert_eq!(mixed.reports().map(|r| r.profile.as_str()).collect::<Vec<_>>(), ["b"]);

        let busy = CleanupAllReport { results: vec![failed("a", locked("a")), cleaned("b")] };
        assert_eq!(busy.exit_code().code(), 3);
        assert_eq!(busy.failure().map(|f| f.message), Some(locked("a").to_string()));

        let cut = Error::Interrupted { profile: "b".into(), operation: "cleanup".into() };
        let stopped = CleanupAllReport { results: vec![failed("a", io("/x")), failed("b", cut)] };
        assert_eq!(stopped.exit_code().code(), 130);
        assert_eq!(stopped.failure().map(|f| f.kind), Some(ErrorKind::Interrupted));

        let json = &mixed.to_json_value()["results"];
        assert_eq!(json[0]["profile"], "a");
        assert_eq!(json[0]["error"]["kind"], "locked");
        assert_eq!(json[1]["deleted_dirs"], 1);
        assert_eq!(json[2]["error"]["message"], io("/x").to_string());
    }

    fn verified(profile: &str, ok: bool) -> VerifyReport {
        VerifyReport {
            profile: profile.into(),
            ok,
            files_checked: 1,
            bytes_checked: 1,
            broken: Vec::new(),
            quarantined: Vec::new(),
            remote: None,
            warnings: Vec::new(),
            duration_seconds: 0.0,
        }
    }

    #[test]
    fn verify_all_fails_when_one_is_broken() {
        let all = VerifyAllReport::new(vec![verified("a", true), verified("b", true)]);
        assert!(all.ok);
        assert_eq!(all.exit_code(), ExitCode::Ok);
        let broken = VerifyAllReport::new(vec![verified("a", true), verified("b", false)]);
        assert!(!broken.ok);
        assert_eq!((broken.exit_code(), broken.reports[1].exit_code()), (ExitCode::Failed, ExitCode::Failed));
        assert_eq!(VerifyAllReport::new(Vec::new()).exit_code(), ExitCode::Ok);
        assert_eq!(broken.to_json_value()["reports"][1]["profile"], "b");
    }

    fn coverage(profile: &str, missing: &[&str]) -> Coverage {
        use crate::inspect::coverage::{analyze, PartitionSeen};
        let d = |s: &str| s.parse::<NaiveDate>().expect("date");
        let seen = ["2026-11-01", "2026-11-02", "2026-11-03"]
            .into_iter()
            .filter(|day| !missing.contains(day))
            .map(|day| PartitionSeen {
                rel: format!("s_{}", day.replace('-', "")).into(),
                date: d(day),
                files: 1,
                partial: false,
            })
            .collect::<Vec<_>>();
        analyze(profile, d("2026-11-03"), d("2026-11-01"), &seen, &[])
    }

    #[test]
    fn coverage_fails_on_gaps_only_when_asked() {
        let gap = coverage("a", &["2026-11-02"]);
        let whole = coverage("b", &[]);
        assert!(gap.has_gaps() && !whole.has_gaps());
        assert_eq!(gap.exit_code(), ExitCode::Ok, "gaps are facts by default");
        let facts = CoverageAllReport::new(vec![gap.clone(), whole.clone()], false);
        assert_eq!((facts.exit_code(), facts.missing_days), (ExitCode::Ok, 1));
        let strict = CoverageAllReport::new(vec![gap, whole], true);
        assert_eq!(strict.exit_code(), ExitCode::Failed);
        assert_eq!(
            strict.coverages.iter().map(Coverage::exit_code).collect::<Vec<_>>(),
            [ExitCode::Failed, ExitCode::Ok]
        );
        let json = strict.to_json_value();
        assert_eq!(json["fail_on_gaps"], true);
        assert!(json["coverages"][0].get("fail_on_gaps").is_none(), "a coverage's JSON is unchanged");
    }
}
