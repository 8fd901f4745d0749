//! The health check behind `datalake status --max-age`: is every enabled
//! profile being synced? Reads checkpoints only, so it is cheap enough to run
//! every minute from a monitoring agent.
//!
//! A profile has a problem when it never ran, when its last run failed (or
//! was partial: some files could not be transferred), or when its last
//! success is older than the allowed age. Disabled profiles are listed but
//! never have problems.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Profile;
use crate::state::checkpoint::Checkpoint;
use crate::vocab::error::{Error, Result};

/// What is wrong with a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// No finished sync was ever recorded.
    NeverRan,
    /// The last success is older than the allowed age.
    Stale,
    /// The last finished sync ended `failed`.
    LastRunFailed,
    /// The last finished sync ended `partial`.
    LastRunPartial,
    /// The checkpoint exists but cannot be read.
    CheckpointUnreadable,
}

/// One problem, with the sentence a person reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// Which problem.
    pub kind: ProblemKind,
    /// `cex_ticks: last success 3h 2m ago, older than the allowed 2h`.
    pub message: String,
}

/// The verdict for one profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileHealth {
    /// Profile name.
    pub profile: String,
    /// Disabled profiles are never a problem.
    pub enabled: bool,
    /// No problems.
    pub ok: bool,
    /// What is wrong (empty when ok).
    pub problems: Vec<Problem>,
    /// Start of the last finished sync.
    pub last_sync_time: Option<DateTime<Utc>>,
    /// Its status.
    pub last_sync_status: Option<String>,
    /// Start of the last success.
    pub last_success_time: Option<DateTime<Utc>>,
    /// Seconds since `last_success_time`.
    pub last_success_age_seconds: Option<f64>,
    /// Failed or interrupted syncs since the last success.
    pub consecutive_failures: u32,
    /// A sync is running now (or died without recording its end).
    pub running: bool,
}

/// The verdicts for every profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthReport {
    /// True when no enabled profile has a problem.
    pub ok: bool,
    /// The allowed age of the last success.
    pub max_age_seconds: f64,
    /// When the check ran.
    pub checked_at: DateTime<Utc>,
    /// One verdict per configured profile, in name order.
    pub profiles: Vec<ProfileHealth>,
}

impl HealthReport {
    /// Every problem of every profile, in order.
    pub fn problems(&self) -> impl Iterator<Item = &Problem> {
        self.profiles.iter().flat_map(|p| p.problems.iter())
    }
}

/// The one rule for the allowed age, whatever form it was given in: a
/// positive duration. `shown` is how the caller wrote it, for the message.
fn positive(seconds: f64, shown: &str) -> Result<Duration> {
    if seconds.is_finite() && seconds > 0.0 {
        if let Ok(d) = Duration::try_from_secs_f64(seconds) {
            return Ok(d);
        }
    }
    Err(Error::InvalidArgument(format!("max age {shown} is not positive; give a positive duration such as 2h")))
}

/// Parse a duration like `2h`, `90min`, `1h 30m`, `1d` (humantime's grammar).
pub fn parse_max_age(text: &str) -> Result<Duration> {
    match humantime::parse_duration(text.trim()) {
        Ok(d) => positive(d.as_secs_f64(), &format!("{text:?}")),
        Err(e) => Err(Error::InvalidArgument(format!(
            "max age {text:?} is not a duration ({e}); write it like 90min, 2h, 1h30m or 1d"
        ))),
    }
}

/// The allowed age given in seconds (bindings: a number, a `timedelta`).
pub fn max_age_from_secs(seconds: f64) -> Result<Duration> {
    positive(seconds, &format!("{seconds} s"))
}

/// `max_age` itself, if positive (what [`crate::DataLake::health`] checks).
pub fn positive_max_age(max_age: Duration) -> Result<Duration> {
    positive(max_age.as_secs_f64(), &format!("{:?}", humantime::format_duration(max_age).to_string()))
}

/// `3h 2m`: seconds dropped above an hour, for messages.
fn human(d: Duration) -> String {
    let secs = d.as_secs();
    let rounded = if secs >= 3600 { secs - secs % 60 } else { secs };
    humantime::format_duration(Duration::from_secs(rounded)).to_string()
}

/// Check `profiles` (the facade passes every configured one) as of `now`.
pub fn check(profiles: &[&Profile], max_age: Duration, now: DateTime<Utc>) -> HealthReport {
    let profiles: Vec<ProfileHealth> = profiles
        .iter()
        .map(|p| {
            let loaded = Checkpoint::load(&p.checkpoint_file, true).map(|l| l.checkpoint);
            verdict(&p.name, p.enabled, loaded, max_age, now)
        })
        .collect();
    HealthReport {
        ok: profiles.iter().all(|p| p.ok),
        max_age_seconds: max_age.as_secs_f64(),
        checked_at: now,
        profiles,
    }
}

fn verdict(
    name: &str,
    enabled: bool,
    loaded: Result<Option<Checkpoint>>,
    max_age: Duration,
    now: DateTime<Utc>,
) -> ProfileHealth {
    let mut problems = Vec::new();
    let mut problem = |kind, message: String| problems.push(Problem { kind, message: format!("{name}: {message}") });
    let (checkpoint, unreadable) = match loaded {
        Ok(c) => (c, false),
        Err(e) => {
            if enabled {
                problem(ProblemKind::CheckpointUnreadable, format!("{e}"));
            }
            (None, true)
        }
    };
    let cp = checkpoint.unwrap_or_default();
    let age = cp.last_success_time.map(|t| (now - t).to_std().unwrap_or(Duration::ZERO));
    if enabled {
        let ran = cp.last_sync_time.is_some() || cp.last_sync_status.is_some();
        if !ran && !unreadable {
            problem(ProblemKind::NeverRan, "never synced (no finished sync in its checkpoint)".into());
        }
        match cp.last_sync_status.as_deref() {
            Some("failed") => problem(
                ProblemKind::LastRunFailed,
                format!(
                    "last sync failed ({} in a row){}",
                    cp.consecutive_failures.max(1),
                    cp.errors.first().map(|e| format!(": {e}")).unwrap_or_default()
                ),
            ),
            Some("partial") => problem(
                ProblemKind::LastRunPartial,
                "last sync was partial: some files could not be transferred".into(),
            ),
            _ => {}
        }
        match age {
            Some(age) if age > max_age => problem(
                ProblemKind::Stale,
                format!("last success {} ago, older than the allowed {}", human(age), human(max_age)),
            ),
            None if ran => {
                problem(ProblemKind::Stale, format!("no successful sync recorded (allowed age {})", human(max_age)))
            }
            _ => {}
        }
    }
    ProfileHealth {
        profile: name.to_string(),
        enabled,
        ok: problems.is_empty(),
        problems,
        last_sync_time: cp.last_sync_time,
        last_sync_status: cp.last_sync_status.clone(),
        last_success_time: cp.last_success_time,
        last_success_age_seconds: age.map(|a| a.as_secs_f64()),
        consecutive_failures: cp.consecutive_failures,
        running: cp.running.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn cp(status: Option<&str>, success_ago_h: Option<i64>, now: DateTime<Utc>) -> Checkpoint {
        Checkpoint {
            last_sync_time: status.map(|_| now - TimeDelta::minutes(5)),
            last_sync_status: status.map(str::to_string),
            last_success_time: success_ago_h.map(|h| now - TimeDelta::hours(h)),
            consecutive_failures: u32::from(status == Some("failed")),
            errors: if status == Some("failed") { vec!["connection refused".into()] } else { vec![] },
            ..Checkpoint::default()
        }
    }

    fn kinds(h: &ProfileHealth) -> Vec<ProblemKind> {
        h.problems.iter().map(|p| p.kind).collect()
    }

    #[test]
    fn verdicts() {
        let now = Utc::now();
        let two_h = Duration::from_secs(7200);
        let ok = verdict("a", true, Ok(Some(cp(Some("success"), Some(1), now))), two_h, now);
        assert!(ok.ok, "{ok:?}");
        assert!((ok.last_success_age_seconds.unwrap() - 3600.0).abs() < 1.0);

        let stale = verdict("a", true, Ok(Some(cp(Some("success"), Some(3), now))), two_h, now);
        assert_eq!(kinds(&stale), [ProblemKind::Stale]);
        assert_eq!(stale.problems[0].message, "a: last success 3h ago, older than the allowed 2h");

        let failed = verdict("a", true, Ok(Some(cp(Some("failed"), Some(1), now))), two_h, now);
        assert_eq!(kinds(&failed), [ProblemKind::LastRunFailed]);
        assert_eq!(failed.problems[0].message, "a: last sync failed (1 in a row): connection refused");

        let never = verdict("a", true, Ok(None), two_h, now);
        assert_eq!(kinds(&never), [ProblemKind::NeverRan]);
        let never_ok = verdict("a", true, Ok(Some(cp(Some("failed"), None, now))), two_h, now);
        assert_eq!(kinds(&never_ok), [ProblemKind::LastRunFailed, ProblemKind::Stale]);

        let disabled = verdict("a", false, Ok(None), two_h, now);
        assert!(disabled.ok);
        let unreadable = verdict("a", true, Err(Error::InvalidArgument("x".into())), two_h, now);
        assert_eq!(kinds(&unreadable), [ProblemKind::CheckpointUnreadable]);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_max_age("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_max_age("1h 30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_max_age("90min").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_max_age("1d").unwrap(), Duration::from_secs(86400));
        for bad in ["", "2", "soon", "0s", "-1h"] {
            let e = parse_max_age(bad).unwrap_err();
            assert_eq!(e.kind(), crate::vocab::error::ErrorKind::InvalidArgument, "{bad}");
        }
        // Zero or negative, in any form: the same rule and words.
        assert_eq!(
            parse_max_age("0s").unwrap_err().to_string(),
            "invalid argument: max age \"0s\" is not positive; give a positive duration such as 2h"
        );
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e30] {
            let e = max_age_from_secs(bad).unwrap_err();
            assert!(e.to_string().contains("is not positive; give a positive duration such as 2h"), "{e}");
        }
        assert_eq!(max_age_from_secs(3600.0).unwrap(), Duration::from_secs(3600));
        assert!(positive_max_age(Duration::ZERO).unwrap_err().to_string().contains("max age \"0s\" is not positive"));
        assert_eq!(positive_max_age(Duration::from_secs(60)).unwrap(), Duration::from_secs(60));
        assert_eq!(human(Duration::from_secs(3 * 3600 + 125)), "3h 2m");
        assert_eq!(human(Duration::from_secs(125)), "2m 5s");
    }
}
