//! Per-profile JSON checkpoints, compatible with the quants-infra format.
//!
//! On disk, the keys the quants-infra tool knows (`profile_name`,
//! `last_sync_time`, `last_sync_status`, `files_transferred`,
//! `bytes_transferred`, `duration_seconds`, `errors`, `saved_at`) keep their
//! old form, timestamps as naive local ISO strings with microseconds (what
//! Python's `datetime.now().isoformat()` writes and `fromisoformat` reads), so
//! the old tool can still read a file this crate wrote. The new keys
//! (`last_success_time`, `consecutive_failures`, `history`, `running`) use
//! RFC 3339 UTC. Reading accepts either form for every timestamp, tolerates
//! missing keys, `null` values and unknown keys.
//!
//! The `Serialize` impl of [`Checkpoint`] (used for JSON output by front ends)
//! writes RFC 3339 UTC everywhere; only [`Checkpoint::save`] writes the legacy
//! form.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::vocab::counters::Counters;
use crate::vocab::error::{Error, Result};
use crate::vocab::status::RunEffect;
use crate::vocab::status::SyncMode;
use crate::vocab::status::SyncStatus;

/// Maximum number of runs kept in [`Checkpoint::history`].
pub const HISTORY_LEN: usize = 20;

/// Marker written while a sync runs, so a crash leaves evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningMarker {
    /// Process id of the syncing process.
    pub pid: u32,
    /// When the run started.
    #[serde(deserialize_with = "time::required")]
    pub started_at: DateTime<Utc>,
}

/// One past run, as kept in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// When the run started.
    #[serde(deserialize_with = "time::required")]
    pub started_at: DateTime<Utc>,
    /// How the run ended.
    pub status: SyncStatus,
    /// Regular files transferred.
    #[serde(default, deserialize_with = "null_default")]
    pub files_transferred: u64,
    /// rsync's "Total transferred file size".
    #[serde(default, deserialize_with = "null_default")]
    pub bytes_transferred: u64,
    /// Wall time.
    #[serde(default, deserialize_with = "null_default")]
    pub duration_seconds: f64,
    /// rsync exit code of the last attempt, if rsync ran.
    #[serde(default)]
    pub rsync_exit_code: Option<i32>,
    /// Error messages.
    #[serde(default, deserialize_with = "null_default")]
    pub errors: Vec<String>,
}

/// The checkpoint of one profile.
///
/// Reads files written by quants-infra (naive local timestamps such as
/// `2026-11-26T03:03:41.514316`, or with `Z`/offsets) and writes the same keys
/// plus the new ones.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Checkpoint {
    /// Profile name.
    #[serde(deserialize_with = "null_default")]
    pub profile_name: String,
    /// Start of the last finished run.
    #[serde(deserialize_with = "time::optional")]
    pub last_sync_time: Option<DateTime<Utc>>,
    /// Status of the last finished run.
    pub last_sync_status: Option<String>,
    /// Files of the last run.
    #[serde(deserialize_with = "null_default")]
    pub files_transferred: u64,
    /// Bytes of the last run.
    #[serde(deserialize_with = "null_default")]
    pub bytes_transferred: u64,
    /// Duration of the last run.
    #[serde(deserialize_with = "null_default")]
    pub duration_seconds: f64,
    /// Errors of the last run.
    #[serde(deserialize_with = "null_default")]
    pub errors: Vec<String>,
    /// When this file was written.
    #[serde(deserialize_with = "time::optional")]
    pub saved_at: Option<DateTime<Utc>>,
    /// Start of the last successful run (`partial` is not one).
    #[serde(deserialize_with = "time::optional")]
    pub last_success_time: Option<DateTime<Utc>>,
    /// Failed, partial or interrupted runs since the last success.
    #[serde(deserialize_with = "null_default")]
    pub consecutive_failures: u32,
    /// The last [`HISTORY_LEN`] runs, oldest first.
    #[serde(deserialize_with = "null_default")]
    pub history: Vec<RunRecord>,
    /// Present while a sync runs.
    pub running: Option<RunningMarker>,
    /// Start of the last successful full sync (the planner's safety net).
    #[serde(deserialize_with = "time::optional")]
    pub last_full_sync_time: Option<DateTime<Utc>>,
    /// `window` or `full`: what the last finished sync transferred (for the metrics).
    pub last_sync_mode: Option<SyncMode>,
    /// Cumulative counters for the Prometheus metrics; `None` in files written
    /// before they existed (see [`crate::vocab::counters::Counters`]).
    pub counters: Option<Counters>,
    /// Failed Parquet checks in a row, per file (relative path), for files
    /// in quarantine; see [`crate::state::quarantine`].
    #[serde(deserialize_with = "null_default", skip_serializing_if = "BTreeMap::is_empty")]
    pub quarantine_failures: BTreeMap<String, u32>,
}

/// What loading a checkpoint file found.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The checkpoint, or `None` when there was no (usable) file.
    pub checkpoint: Option<Checkpoint>,
    /// Set when a corrupt file was moved aside: the new path, for a warning.
    pub moved_aside: Option<PathBuf>,
}

/// The on-disk form: legacy keys first, in their legacy spelling.
#[derive(Serialize)]
struct OnDisk<'a> {
    profile_name: &'a str,
    last_sync_time: Option<String>,
    last_sync_status: Option<&'a str>,
    files_transferred: u64,
    bytes_transferred: u64,
    duration_seconds: f64,
    errors: &'a [String],
    saved_at: Option<String>,
    last_success_time: Option<DateTime<Utc>>,
    consecutive_failures: u32,
    history: &'a [RunRecord],
    running: Option<&'a RunningMarker>,
    last_full_sync_time: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_sync_mode: Option<SyncMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    counters: Option<&'a Counters>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    quarantine_failures: &'a BTreeMap<String, u32>,
}

const BUG_HINT: &str = "this is a bug in datalake; please report it";

/// The checkpoint's JSON text: an unserialisable checkpoint is an error, never an empty file.
fn serialise(on_disk: &OnDisk<'_>, path: &Path) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(on_disk)
        .map_err(|e| Error::io("serialise checkpoint", path, std::io::Error::other(e), BUG_HINT))
}

impl Checkpoint {
    /// An empty checkpoint for `profile_name`.
    pub fn new(profile_name: impl Into<String>) -> Checkpoint {
        Checkpoint { profile_name: profile_name.into(), ..Checkpoint::default() }
    }

    /// A checkpoint from JSON text with checkpoint keys (quants-infra's or
    /// this crate's; missing keys take their defaults, unknown keys are
    /// ignored). An `InvalidArgument` error saying what is wrong otherwise.
    pub fn from_json_str(text: &str) -> Result<Checkpoint> {
        serde_json::from_str(text).map_err(|e| {
            Error::InvalidArgument(format!(
                "not a checkpoint: {e}; pass a dict of checkpoint keys (profile_name, last_sync_time, last_sync_status, ...)"
            ))
        })
    }

    /// Read `path`. A missing file gives `Ok(None)` inside [`Loaded`]; a corrupt
    /// or empty one is renamed to `<file>.corrupt-<timestamp>` and also gives
    /// `None`, with `moved_aside` set (unless `read_only`, then it is left).
    pub fn load(path: &Path, read_only: bool) -> Result<Loaded> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Loaded { checkpoint: None, moved_aside: None })
            }
            Err(e) => return Err(Error::io_default("read checkpoint", path, e)),
        };
        let parse_error = match serde_json::from_slice::<Checkpoint>(&bytes) {
            Ok(checkpoint) => return Ok(Loaded { checkpoint: Some(checkpoint), moved_aside: None }),
            Err(e) => e,
        };
        if read_only {
            log::warn!("checkpoint {} is unreadable ({parse_error}); ignoring it", path.display());
            return Ok(Loaded { checkpoint: None, moved_aside: None });
        }
        let aside = corrupt_name(path);
        std::fs::rename(path, &aside).map_err(|e| {
            Error::io(
                "move corrupt checkpoint aside",
                path,
                e,
                format!("the file is not a valid checkpoint ({parse_error}); delete or fix it by hand"),
            )
        })?;
        // Info, not warn: the caller puts this in its report's warnings, and the
        // front ends print those; a warn here would show it twice.
        log::info!("checkpoint {} was corrupt ({parse_error}); moved it to {}", path.display(), aside.display());
        Ok(Loaded { checkpoint: None, moved_aside: Some(aside) })
    }

    /// Write atomically and durably, also on a full disk: into the reserved
    /// spare `.<file>.spare` (or a temp file), fsync, swap in, fsync the
    /// directory ([`crate::local::reserved`]). Creates the directory if needed.
    ///
    /// `saved_at` is written as the current time (the value in `self` is not
    /// used); a crash at any point leaves either the old or the new file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).map_err(|e| Error::io_default("create checkpoint directory", dir, e))?;
        let mut text = serialise(&self.on_disk(Some(Utc::now())), path)?;
        text.push(b'\n');

        // Through a reserved spare, so the record of a run that filled the disk
        // does not need the space the run used up (see crate::local::reserved).
        crate::local::reserved::replace(path, &text, 0o644).map_err(|e| {
            let action = format!("{} for checkpoint", e.action);
            match crate::vocab::diskspace::is_full(&e.source) {
                true => {
                    let hint = crate::vocab::diskspace::full_disk_hint(&e.path, Some(text.len() as u64));
                    Error::io(action, e.path, e.source, hint)
                }
                false => Error::io_default(action, e.path, e.source),
            }
        })
    }

    /// The on-disk form with `saved_at` as given (legacy keys first, legacy time format).
    fn on_disk(&self, saved_at: Option<DateTime<Utc>>) -> OnDisk<'_> {
        OnDisk {
            profile_name: &self.profile_name,
            last_sync_time: self.last_sync_time.map(legacy_time),
            last_sync_status: self.last_sync_status.as_deref(),
            files_transferred: self.files_transferred,
            bytes_transferred: self.bytes_transferred,
            duration_seconds: self.duration_seconds,
            errors: &self.errors,
            saved_at: saved_at.map(legacy_time),
            last_success_time: self.last_success_time,
            consecutive_failures: self.consecutive_failures,
            history: &self.history,
            running: self.running.as_ref(),
            last_full_sync_time: self.last_full_sync_time,
            last_sync_mode: self.last_sync_mode,
            counters: self.counters.as_ref(),
            quarantine_failures: &self.quarantine_failures,
        }
    }

    /// The JSON text [`Checkpoint::save`] would write, with this checkpoint's
    /// own `saved_at`: the form quants-infra code reads, keys in file order.
    pub fn to_legacy_json(&self) -> Result<String> {
        let text = serialise(&self.on_disk(self.saved_at), Path::new(&self.profile_name))?;
        String::from_utf8(text).map_err(|e| {
            Error::io("serialise checkpoint", Path::new(&self.profile_name), std::io::Error::other(e), BUG_HINT)
        })
    }

    /// Record a finished run: updates the legacy keys, `last_success_time`,
    /// `consecutive_failures`, appends to `history` (bounded) and clears `running`.
    ///
    /// The status's [`RunEffect`] decides: only `success` advances
    /// `last_success_time`; `partial`, `failed` and `interrupted` count as failures.
    pub fn record_run(&mut self, run: RunRecord) {
        self.last_sync_time = Some(run.started_at);
        self.last_sync_status = Some(run.status.as_str().to_string());
        self.files_transferred = run.files_transferred;
        self.bytes_transferred = run.bytes_transferred;
        self.duration_seconds = run.duration_seconds;
        self.errors = run.errors.clone();
        match run.status.run_effect() {
            RunEffect::Success => {
                self.last_success_time = Some(run.started_at);
                self.consecutive_failures = 0;
            }
            RunEffect::Neutral => {}
            RunEffect::Failure => self.consecutive_failures = self.consecutive_failures.saturating_add(1),
        }
        self.history.push(run);
        if self.history.len() > HISTORY_LEN {
            let excess = self.history.len() - HISTORY_LEN;
            self.history.drain(..excess);
        }
        self.running = None;
    }
}

/// `2026-11-26T03:03:41.514316`: naive local time, always with microseconds
/// (older Pythons' `fromisoformat` accept 0, 3 or 6 fraction digits).
fn legacy_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).naive_local().format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// `<file>.corrupt-<YYYYmmddTHHMMSS>`, with `-2`, `-3`... if taken.
fn corrupt_name(path: &Path) -> PathBuf {
    let base = format!("{}.corrupt-{}", path.display(), Local::now().format("%Y%m%dT%H%M%S"));
    let mut candidate = PathBuf::from(&base);
    let mut n = 2;
    while candidate.symlink_metadata().is_ok() {
        candidate = PathBuf::from(format!("{base}-{n}"));
        n += 1;
    }
    candidate
}

/// `null` reads as the type's default (Python may write `None`).
fn null_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Timestamps with an offset, or naive (taken as local time, as Python wrote them).
mod time {
    use super::*;

    /// Parse RFC 3339 / ISO 8601 with `Z` or an offset, or a naive
    /// `YYYY-MM-DD[T ]HH:MM:SS[.f]` taken as local time.
    pub(super) fn parse(s: &str) -> Option<DateTime<Utc>> {
        let s = s.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Some(t.with_timezone(&Utc));
        }
        let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())?;
        // A time in the autumn overlap takes the earlier instant; one in the
        // spring gap cannot come from a clock, so read it as UTC.
        Some(match Local.from_local_datetime(&naive).earliest() {
            Some(t) => t.with_timezone(&Utc),
            None => naive.and_utc(),
        })
    }

    fn invalid<E: serde::de::Error>(s: &str) -> E {
        E::custom(format!("invalid timestamp {s:?}: expected ISO 8601 like 2026-11-26T03:03:41.514316 or RFC 3339"))
    }

    pub(super) fn optional<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<DateTime<Utc>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => parse(&s).map(Some).ok_or_else(|| invalid(&s)),
        }
    }

    pub(super) fn required<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        parse(&s).ok_or_else(|| invalid(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn local_naive(s: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").unwrap();
        Local.from_local_datetime(&naive).earliest().unwrap().with_timezone(&Utc)
    }

    fn run(status: &str, started: DateTime<Utc>) -> RunRecord {
        RunRecord {
            started_at: started,
            status: serde_json::from_value(serde_json::Value::from(status)).expect("a status name"),
            files_transferred: 7,
            bytes_transferred: 7000,
            duration_seconds: 1.25,
            rsync_exit_code: Some(0),
            errors: if status == "failed" { vec!["boom".into()] } else { vec![] },
        }
    }

    fn dir_entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn missing_file_is_none() {
        let tmp = tempfile::tempdir().unwrap();
        let loaded = Checkpoint::load(&tmp.path().join("nope.json"), false).unwrap();
        assert_eq!(loaded, Loaded { checkpoint: None, moved_aside: None });
    }

    #[test]
    fn round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("new/dir/cex.json");
        let mut cp = Checkpoint::new("cex");
        cp.running = Some(RunningMarker { pid: 42, started_at: utc("2026-11-26T03:00:12.123456Z") });
        cp.record_run(run("failed", utc("2026-11-25T03:00:00.5Z")));
        cp.record_run(run("success", utc("2026-11-26T03:03:41.514316Z")));
        cp.running = Some(RunningMarker { pid: 43, started_at: utc("2026-11-27T03:00:00Z") });
        let before = Utc::now() - TimeDelta::seconds(1);
        cp.save(&path).unwrap();

        let loaded = Checkpoint::load(&path, false).unwrap();
        assert_eq!(loaded.moved_aside, None);
        let mut back = loaded.checkpoint.unwrap();
        let saved_at = back.saved_at.take().unwrap();
        assert!(saved_at >= before && saved_at <= Utc::now() + TimeDelta::seconds(1), "{saved_at}");
        assert_eq!(back, cp);
        assert_eq!(dir_entries(path.parent().unwrap()), [".cex.json.spare", "cex.json"]);

        // The front-end JSON form (RFC 3339 everywhere) reads back too.
        let json = serde_json::to_string(&cp).unwrap();
        assert_eq!(serde_json::from_str::<Checkpoint>(&json).unwrap(), cp);
    }

    #[test]
    fn written_file_keeps_the_legacy_form() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("cex.json");
        let mut cp = Checkpoint::new("cex");
        cp.record_run(run("success", utc("2026-11-26T03:03:41Z")));
        cp.save(&path).unwrap();
        let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let legacy = value["last_sync_time"].as_str().unwrap();
        let expected = utc("2026-11-26T03:03:41Z").with_timezone(&Local).naive_local();
        assert_eq!(legacy, expected.format("%Y-%m-%dT%H:%M:%S.000000").to_string());
        let saved_at = value["saved_at"].as_str().unwrap();
        assert_eq!(saved_at.len(), "2026-11-26T03:03:41.514316".len(), "{saved_at}");
        assert_eq!(value["last_success_time"], "2026-11-26T03:03:41Z");
        assert_eq!(value["history"][0]["started_at"], "2026-11-26T03:03:41Z");
        assert_eq!(value["files_transferred"], 7);
        assert_eq!(value["last_sync_status"], "success");
        assert!(value["running"].is_null());

        // What the Python tool does with it.
        let script = "import datetime, json, sys\n\
                      d = json.load(open(sys.argv[1]))\n\
                      t = datetime.datetime.fromisoformat(d['last_sync_time'])\n\
                      datetime.datetime.fromisoformat(d['saved_at'])\n\
                      assert t.tzinfo is None\n\
                      print(t.isoformat(), d['files_transferred'], d['bytes_transferred'], d['duration_seconds'])\n";
        let out = std::process::Command::new("python3").arg("-c").arg(script).arg(&path).output().unwrap();
        assert!(out.status.success(), "python could not read it: {}", String::from_utf8_lossy(&out.stderr));
        let printed = String::from_utf8(out.stdout).unwrap();
        assert_eq!(printed.trim(), format!("{} 7 7000 1.25", expected.format("%Y-%m-%dT%H:%M:%S")));
    }

    #[test]
    fn legacy_json_is_the_file_with_its_own_saved_at() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("cex.json");
        let mut cp = Checkpoint::new("cex");
        cp.record_run(run("failed", utc("2026-11-26T03:03:41Z")));
        assert!(serde_json::from_str::<serde_json::Value>(&cp.to_legacy_json().unwrap()).unwrap()["saved_at"].is_null());
        cp.save(&path).unwrap();
        let file = std::fs::read_to_string(&path).unwrap();
        let loaded = Checkpoint::load(&path, true).unwrap().checkpoint.unwrap();
        // Same text as the file (keys in file order), saved_at included.
        assert_eq!(loaded.to_legacy_json().unwrap().trim_end(), file.trim_end());
        let keys: Vec<String> =
            file.lines().filter_map(|l| l.strip_prefix("  \"")?.split('"').next().map(String::from)).collect();
        assert_eq!(
            keys[..8],
            [
                "profile_name",
                "last_sync_time",
                "last_sync_status",
                "files_transferred",
                "bytes_transferred",
                "duration_seconds",
                "errors",
                "saved_at"
            ]
        );
    }

    #[test]
    fn reads_quants_infra_files() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("cex.json");
        std::fs::write(
            &path,
            r#"{
  "profile_name": "cex_ticks",
  "last_sync_time": "2026-11-26T03:03:41.514316",
  "last_sync_status": "success",
  "files_transferred": 60,
  "bytes_transferred": 123456789,
  "duration_seconds": 12,
  "errors": [],
  "saved_at": "2026-11-26T03:03:54",
  "remote_host": "10.0.0.11",
  "extra": {"nested": [1, 2]}
}"#,
        )
        .unwrap();
        let cp = Checkpoint::load(&path, false).unwrap().checkpoint.unwrap();
        assert_eq!(cp.profile_name, "cex_ticks");
        assert_eq!(cp.last_sync_time, Some(local_naive("2026-11-26T03:03:41.514316")));
        assert_eq!(cp.saved_at, Some(local_naive("2026-11-26T03:03:54")));
        assert_eq!(cp.last_sync_status.as_deref(), Some("success"));
        assert_eq!((cp.files_transferred, cp.bytes_transferred, cp.duration_seconds), (60, 123456789, 12.0));
        assert_eq!((cp.last_success_time, cp.consecutive_failures, cp.history.len()), (None, 0, 0));
        assert_eq!(cp.running, None);
    }

    #[test]
    fn timestamps_with_zone_nulls_and_missing_keys() {
        let cp: Checkpoint = serde_json::from_str(
            r#"{"last_sync_time": "2026-11-26T03:03:41.514316Z", "saved_at": "2026-11-26T05:03:41+02:00",
                "last_success_time": "2026-11-26 03:03:41.5+00:00", "errors": null, "files_transferred": null,
                "running": {"pid": 9, "started_at": "2026-11-26T03:00:12"}}"#,
        )
        .unwrap();
        assert_eq!(cp.last_sync_time, Some(utc("2026-11-26T03:03:41.514316Z")));
        assert_eq!(cp.saved_at, Some(utc("2026-11-26T03:03:41Z")));
        assert_eq!(cp.last_success_time, Some(utc("2026-11-26T03:03:41.5Z")));
        assert_eq!(cp.running.unwrap().started_at, local_naive("2026-11-26T03:00:12"));
        assert_eq!((cp.profile_name.as_str(), cp.files_transferred), ("", 0));
        assert!(cp.errors.is_empty());
        assert_eq!(serde_json::from_str::<Checkpoint>("{}").unwrap(), Checkpoint::default());
        assert_eq!(time::parse("2026-11-26T03:03").unwrap(), local_naive("2026-11-26T03:03:00"));
        assert_eq!(time::parse("yesterday"), None);
    }

    #[test]
    fn corrupt_files_are_moved_aside() {
        for content in
            ["", "   \n", "{\"profile_name\": \"x\",", "[1, 2]", "{\"last_sync_time\": \"soon\"}", "\u{0}\u{1}"]
        {
            let tmp = tempfile::tempdir().unwrap();
            let path = tmp.path().join("cex.json");
            std::fs::write(&path, content).unwrap();

            // Read-only: reported as absent, left in place.
            let loaded = Checkpoint::load(&path, true).unwrap();
            assert_eq!(loaded, Loaded { checkpoint: None, moved_aside: None });
            assert_eq!(std::fs::read_to_string(&path).unwrap(), content);

            let loaded = Checkpoint::load(&path, false).unwrap();
            assert_eq!(loaded.checkpoint, None, "{content:?}");
            let aside = loaded.moved_aside.unwrap();
            assert!(!path.exists());
            assert_eq!(std::fs::read_to_string(&aside).unwrap(), content);
            let name = aside.file_name().unwrap().to_str().unwrap();
            let stamp = name.strip_prefix("cex.json.corrupt-").unwrap();
            assert!(NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S").is_ok(), "{name}");

            // A second corrupt file in the same second does not overwrite the first.
            std::fs::write(&path, "{").unwrap();
            let second = Checkpoint::load(&path, false).unwrap().moved_aside.unwrap();
            assert_ne!(second, aside);
            assert_eq!(std::fs::read_to_string(&aside).unwrap(), content);
        }
    }

    #[test]
    fn unreadable_path_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        // A directory where the file should be.
        let err = Checkpoint::load(tmp.path(), false).unwrap_err();
        assert_eq!(err.kind(), crate::vocab::error::ErrorKind::Io, "{err}");
        assert!(tmp.path().exists());
    }

    #[test]
    fn save_replaces_atomically_and_leaves_no_temp_files() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("cex.json");
        std::fs::write(&path, "old").unwrap();
        let mut cp = Checkpoint::new("cex");
        for i in 0..5 {
            cp.files_transferred = i;
            cp.save(&path).unwrap();
            assert_eq!(Checkpoint::load(&path, true).unwrap().checkpoint.unwrap().files_transferred, i);
        }
        assert_eq!(dir_entries(tmp.path()), [".cex.json.spare", "cex.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
        }
    }

    #[test]
    fn failed_save_keeps_the_old_file() {
        let tmp = tempfile::tempdir().unwrap();
        // The target is a non-empty directory: the rename fails.
        let path = tmp.path().join("cex.json");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("keep"), "x").unwrap();
        let err = Checkpoint::new("cex").save(&path).unwrap_err();
        assert_eq!(err.kind(), crate::vocab::error::ErrorKind::Io);
        assert!(err.to_string().contains("cex.json"), "{err}");
        assert_eq!(dir_entries(tmp.path()), ["cex.json"]);
    }

    #[test]
    fn record_run_counts_and_bounds_history() {
        let mut cp = Checkpoint::new("p");
        cp.running = Some(RunningMarker { pid: 1, started_at: utc("2026-01-01T00:00:00Z") });
        let t0 = utc("2026-01-01T00:00:00Z");
        cp.record_run(run("success", t0));
        assert_eq!((cp.last_success_time, cp.consecutive_failures, cp.running.clone()), (Some(t0), 0, None));

        let t1 = t0 + TimeDelta::hours(1);
        cp.record_run(run("failed", t1));
        cp.record_run(run("interrupted", t1 + TimeDelta::hours(1)));
        assert_eq!((cp.last_success_time, cp.consecutive_failures), (Some(t0), 2));
        assert_eq!(cp.last_sync_time, Some(t1 + TimeDelta::hours(1)));
        assert_eq!(cp.last_sync_status.as_deref(), Some("interrupted"));
        cp.record_run(run("skipped", t1 + TimeDelta::hours(2)));
        assert_eq!(cp.consecutive_failures, 2);

        let t2 = t1 + TimeDelta::hours(3);
        cp.record_run(run("failed", t2));
        assert_eq!(cp.errors, ["boom"]);
        // Partial: files are missing, so it counts as a failure.
        cp.record_run(run("partial", t2 + TimeDelta::hours(1)));
        assert_eq!((cp.last_success_time, cp.consecutive_failures), (Some(t0), 4));
        assert_eq!(cp.last_sync_status.as_deref(), Some("partial"));
        assert!(cp.errors.is_empty());
        assert_eq!((cp.files_transferred, cp.bytes_transferred, cp.duration_seconds), (7, 7000, 1.25));

        for i in 0..30 {
            cp.record_run(run("success", t2 + TimeDelta::days(i + 1)));
        }
        assert_eq!(cp.history.len(), HISTORY_LEN);
        assert_eq!(cp.history[0].started_at, t2 + TimeDelta::days(11));
        assert_eq!(cp.history[HISTORY_LEN - 1].started_at, t2 + TimeDelta::days(30));
    }

    #[test]
    fn from_json_text() {
        let cp = Checkpoint::from_json_str(r#"{"profile_name": "p", "unknown": 1}"#).expect("checkpoint");
        assert_eq!(cp.profile_name, "p");
        let e = Checkpoint::from_json_str(r#"{"consecutive_failures": "many"}"#).expect_err("not a checkpoint");
        assert_eq!(e.kind(), crate::vocab::error::ErrorKind::InvalidArgument);
        assert!(e.to_string().starts_with("invalid argument: not a checkpoint: "), "{e}");
        assert!(e
            .to_string()
            .ends_with("pass a dict of checkpoint keys (profile_name, last_sync_time, last_sync_status, ...)"));
    }
}
