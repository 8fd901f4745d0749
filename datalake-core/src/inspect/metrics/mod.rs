//! Prometheus metrics of each profile: what node_exporter's textfile
//! collector serves and `datalake metrics` prints.
//!
//! With `metrics_dir` set in the config, every sync and every cleanup
//! rewrites `<metrics_dir>/datalake_<profile>.prom` atomically (temporary
//! file in the same directory, then rename; one file per profile, so runs of
//! different profiles never race). A missing or unwritable directory is a
//! warning in the run's report, never a failed run.
//!
//! Names follow the Prometheus conventions: base units (seconds, bytes),
//! `_total` counters, `_timestamp_seconds` for points in time (0 when there
//! is none yet), `profile` as the only label everywhere, plus a `status` on
//! the run counters and the last-status state set and `version` on
//! `data_lake_info`. quants-infra's proposed six are kept, renamed where they
//! broke a convention (`data_lake_last_sync_timestamp` is
//! `data_lake_last_sync_timestamp_seconds`; `data_lake_sync_duration_seconds`
//! is a summary, `_sum` and `_count`).
//!
//! Counters live in the checkpoint ([`crate::vocab::counters::Counters`]) because the `.prom` file is
//! rewritten each time; they never go backwards: a checkpoint written by the
//! quants-infra tool seeds them with the run it records, and a lost one (or
//! one the old tool rewrote) goes on from the previous `.prom` file.
//!
//! A new family is one entry in [`FAMILIES`]: its name, help and a function
//! reading the value from a [`Snapshot`].

use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, NaiveDate, NaiveTime, TimeZone, Utc};

use crate::config::{Profile, Timezone};
use crate::inspect::stats::ProfileStats;
use crate::state::checkpoint::Checkpoint;
use crate::state::cleaner::CleanupReport;

mod counters;
mod exposition;
mod snapshot;
mod textfile;

pub use counters::{seed as seed_counters, ALL_STATUSES};
pub use exposition::{format_value, Family, Kind, Sample};
pub use snapshot::{ReadAhead, Snapshot, Walk};
pub use textfile::{file_name, write_atomically};

/// The exposition text of these snapshots (one or many profiles).
pub fn render(snapshots: &[Snapshot]) -> String {
    exposition::render(FAMILIES, snapshots)
}

/// Collect and write `datalake_<profile>.prom` into `dir`. Never fails:
/// returns warnings (naming the directory) for the run's report.
/// `walk` says how much of the lake it reads (see [`Snapshot::collect_after_run`]).
pub fn write_textfile(
    dir: &Path,
    profile: &Profile,
    checkpoint: Option<Checkpoint>,
    today: NaiveDate,
    walk: Walk,
) -> Vec<String> {
    let (snapshot, warnings) = Snapshot::collect_after_run(profile, checkpoint, today, walk);
    write_snapshot(dir, profile, snapshot, warnings)
}

/// [`write_textfile`] for a run that left the lake as it was: its lake
/// figures come from the walk `ahead` made while the run went on.
pub fn write_textfile_read_ahead(
    dir: &Path,
    profile: &Profile,
    checkpoint: Option<Checkpoint>,
    today: NaiveDate,
    ahead: ReadAhead,
) -> Vec<String> {
    let (snapshot, warnings) = Snapshot::collect_read_ahead(profile, checkpoint, today, ahead);
    write_snapshot(dir, profile, snapshot, warnings)
}

fn write_snapshot(dir: &Path, profile: &Profile, snapshot: Snapshot, mut warnings: Vec<String>) -> Vec<String> {
    if let Err(message) = write_atomically(dir, &file_name(&profile.name), &render(&[snapshot])) {
        warnings.push(message);
    }
    warnings
}

/// After a real (not dry-run) standalone cleanup: add it to the checkpoint's
/// counters and rewrite the profile's `.prom` file. Never fails: returns
/// warnings for the cleanup report. The caller holds the profile lock.
pub fn record_cleanup(profile: &Profile, report: &CleanupReport, dir: Option<&Path>, today: NaiveDate) -> Vec<String> {
    let mut warnings = Vec::new();
    let path = &profile.checkpoint_file;
    let checkpoint = match Checkpoint::load(path, false) {
        Ok(loaded) => {
            if let Some(aside) = loaded.moved_aside {
                warnings.push(format!(
                    "checkpoint {} was corrupt and was moved to {}",
                    path.display(),
                    aside.display()
                ));
            }
            let mut checkpoint = loaded.checkpoint.unwrap_or_else(|| Checkpoint::new(profile.name.clone()));
            seed_counters(&mut checkpoint, &profile.name, dir);
            checkpoint.counters_mut().add_cleanup(report);
            if let Err(e) = checkpoint.save(path) {
                warnings.push(format!("the cleanup is not counted in the metrics: {e}"));
            }
            Some(checkpoint)
        }
        Err(e) => {
            warnings.push(format!("the cleanup is not counted in the metrics: {e}"));
            None
        }
    };
    if let Some(dir) = dir {
        warnings.extend(write_textfile(dir, profile, checkpoint, today, Walk::Changed));
    }
    warnings
}

/// Where [`write_textfile`] writes for `profile`.
pub fn textfile_path(dir: &Path, profile: &str) -> PathBuf {
    dir.join(file_name(profile))
}

fn one(value: f64) -> Vec<Sample> {
    vec![Sample::plain(value)]
}

fn one_if(value: Option<f64>) -> Vec<Sample> {
    value.map(Sample::plain).into_iter().collect()
}

fn bool_value(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// Seconds since the epoch, 0 for "never".
fn timestamp(t: Option<DateTime<Utc>>) -> f64 {
    t.map_or(0.0, |t| t.timestamp_millis() as f64 / 1000.0)
}

/// Midnight starting `day` in the profile's calendar, in seconds since the epoch.
fn day_start(day: NaiveDate, tz: Timezone) -> f64 {
    let midnight = day.and_time(NaiveTime::MIN);
    let t = match tz {
        Timezone::Utc => midnight.and_utc(),
        // In a DST gap an hour either way does not matter for freshness.
        Timezone::Local => {
            Local.from_local_datetime(&midnight).earliest().map_or_else(|| midnight.and_utc(), |t| t.to_utc())
        }
    };
    t.timestamp() as f64
}

fn lake(s: &Snapshot, f: fn(&ProfileStats, Timezone) -> f64) -> Vec<Sample> {
    one_if(s.stats.as_ref().map(|st| f(st, s.timezone)))
}

/// Every family, in exposition order. Families that need data from another
/// subsystem (coverage: missing days, stopped series, quarantine) are added
/// here as one entry each once that data is in [`Snapshot`].
pub static FAMILIES: &[Family] = &[
    Family::gauge("data_lake_info", "datalake version that wrote these metrics (value always 1).", |_| {
        vec![Sample { suffix: "", labels: vec![("version", env!("CARGO_PKG_VERSION").to_string())], value: 1.0 }]
    }),
    Family::gauge("data_lake_profile_enabled", "1 when sync --all syncs the profile, 0 when it is disabled.", |s| {
        one(bool_value(s.enabled))
    }),
    Family::counter("data_lake_sync_total", "Finished syncs, by how they ended.", |s| {
        ALL_STATUSES
            .iter()
            .map(|st| Sample {
                suffix: "",
                labels: vec![("status", st.as_str().to_string())],
                value: s.counters.syncs(*st) as f64,
            })
            .collect()
    }),
    Family::summary(
        "data_lake_sync_duration_seconds",
        "Wall time of finished syncs, retries and cleanup included.",
        |s| {
            vec![
                Sample { suffix: "_sum", labels: vec![], value: s.counters.sync_duration_seconds },
                Sample { suffix: "_count", labels: vec![], value: s.counters.syncs_total() as f64 },
            ]
        },
    ),
    Family::counter("data_lake_bytes_transferred_total", "Bytes of files transferred by rsync.", |s| {
        one(s.counters.bytes_transferred as f64)
    }),
    Family::counter("data_lake_files_transferred_total", "Regular files transferred by rsync.", |s| {
        one(s.counters.files_transferred as f64)
    }),
    Family::counter("data_lake_rsync_attempts_total", "rsync runs, retries after failures included.", |s| {
        one(s.counters.rsync_attempts as f64)
    }),
    Family::counter("data_lake_cleanup_runs_total", "Retention runs (dry runs not counted).", |s| {
        one(s.counters.cleanups as f64)
    }),
    Family::counter("data_lake_cleanup_deleted_dirs_total", "Partition directories deleted by retention.", |s| {
        one(s.counters.cleanup_deleted_dirs as f64)
    }),
    Family::counter("data_lake_cleanup_deleted_files_total", "Files deleted by retention.", |s| {
        one(s.counters.cleanup_deleted_files as f64)
    }),
    Family::counter("data_lake_cleanup_freed_bytes_total", "Bytes freed by retention.", |s| {
        one(s.counters.cleanup_freed_bytes as f64)
    }),
    Family::gauge("data_lake_last_sync_timestamp_seconds", "Start of the last finished sync (0: never).", |s| {
        one(timestamp(s.last_run().and_then(|c| c.last_sync_time)))
    }),
    Family::gauge("data_lake_last_success_timestamp_seconds", "Start of the last successful sync (0: never).", |s| {
        one(timestamp(s.checkpoint.as_ref().and_then(|c| c.last_success_time)))
    }),
    Family::gauge("data_lake_last_sync_duration_seconds", "Wall time of the last finished sync.", |s| {
        one_if(s.last_run().map(|c| c.duration_seconds))
    }),
    Family::gauge("data_lake_last_sync_transferred_bytes", "Bytes transferred by the last finished sync.", |s| {
        one_if(s.last_run().map(|c| c.bytes_transferred as f64))
    }),
    Family::gauge("data_lake_last_sync_transferred_files", "Files transferred by the last finished sync.", |s| {
        one_if(s.last_run().map(|c| c.files_transferred as f64))
    }),
    Family::gauge(
        "data_lake_last_sync_status",
        "How the last finished sync ended: 1 for its status, 0 for the others (all 0: never synced).",
        |s| {
            let last = s.last_run().and_then(|c| c.last_sync_status.as_deref());
            ALL_STATUSES
                .iter()
                .map(|st| Sample {
                    suffix: "",
                    labels: vec![("status", st.as_str().to_string())],
                    value: bool_value(last == Some(st.as_str())),
                })
                .collect()
        },
    ),
    Family::gauge(
        "data_lake_last_sync_mode",
        "What the last finished sync transferred: 1 for its mode (window: recent and new partitions; full: the whole tree), 0 for the other.",
        |s| {
            let last = s.last_run().and_then(|c| c.last_sync_mode);
            crate::vocab::status::SyncMode::ALL
                .iter()
                .map(|m| Sample {
                    suffix: "",
                    labels: vec![("mode", m.as_str().to_string())],
                    value: bool_value(last == Some(*m)),
                })
                .collect()
        },
    ),
    Family::gauge(
        "data_lake_last_full_sync_timestamp_seconds",
        "Start of the last successful full sync, the windowed runs' safety net (0: never).",
        |s| one(timestamp(s.checkpoint.as_ref().and_then(|c| c.last_full_sync_time))),
    ),
    Family::counter(
        "data_lake_files_missed_by_window_total",
        "Files full syncs found in partitions older than the window (late arrivals); growing means window_days is too small.",
        |s| one(s.counters.files_missed_by_window as f64),
    ),
    Family::counter(
        "data_lake_rewrites_kept_total",
        "Files the collector wrote again without all of their earlier rows; the earlier versions were kept in .datalake-replaced.",
        |s| one(s.counters.rewrites_kept as f64),
    ),
    Family::counter(
        "data_lake_files_grown_total",
        "Replaced files whose new version held every row of the earlier one (nothing kept).",
        |s| one(s.counters.files_grown as f64),
    ),
    Family::gauge(
        "data_lake_consecutive_failures",
        "Partial, failed or interrupted syncs since the last success.",
        |s| one(s.checkpoint.as_ref().map_or(0.0, |c| f64::from(c.consecutive_failures))),
    ),
    Family::gauge("data_lake_stored_bytes", "Bytes of the profile's files in the lake.", |s| {
        lake(s, |st, _| st.total_size as f64)
    }),
    Family::gauge("data_lake_stored_files", "The profile's files in the lake (partial transfers excluded).", |s| {
        lake(s, |st, _| st.file_count as f64)
    }),
    Family::gauge("data_lake_stored_partitions", "Dated partition directories in the lake.", |s| {
        lake(s, |st, _| st.partition_count as f64)
    }),
    Family::gauge(
        "data_lake_newest_partition_timestamp_seconds",
        "Midnight starting the newest partition's date, in the profile's calendar (0: no partition).",
        |s| lake(s, |st, tz| st.latest_date.map_or(0.0, |d| day_start(d, tz))),
    ),
    Family::gauge(
        "data_lake_newest_file_timestamp_seconds",
        "Modification time of the newest file in the lake, as the collector wrote it (0: no file).",
        |s| lake(s, |st, _| timestamp(st.newest_file_mtime)),
    ),
    Family::gauge("data_lake_expired_bytes", "Bytes past retention that no cleanup has deleted yet.", |s| {
        lake(s, |st, _| st.expired_bytes as f64)
    }),
    Family::gauge("data_lake_expired_partitions", "Partitions past retention that no cleanup has deleted yet.", |s| {
        lake(s, |st, _| st.expired_partitions as f64)
    }),
    Family::gauge(
        "data_lake_partial_bytes",
        "Bytes of interrupted transfers kept for resuming (.rsync-partial).",
        |s| lake(s, |st, _| st.partial_bytes as f64),
    ),
    Family::gauge(
        "data_lake_missing_partitions",
        "Missing daily partitions (days with no partition between each series' first day and the latest day, within retention; datalake coverage).",
        |s| lake(s, |st, _| st.missing_days as f64),
    ),
    Family::gauge(
        "data_lake_stopped_series",
        "Series with no partition for the profile's latest day: the collector stopped producing them.",
        |s| lake(s, |st, _| st.stopped_series as f64),
    ),
    Family::gauge(
        "data_lake_kept_bytes",
        "Bytes of earlier versions of replaced files kept in .datalake-replaced.",
        |s| lake(s, |st, _| st.kept_bytes as f64),
    ),
    Family::gauge(
        "data_lake_quarantined_files",
        "Files that failed the Parquet landing check, kept in .datalake-quarantine until a good copy arrives.",
        |s| lake(s, |st, _| st.quarantined_files as f64),
    ),
    Family::gauge("data_lake_table_partitions", "Series-days (partitions) the profile's Delta table holds.", |s| {
        lake(s, |st, _| st.table_days as f64)
    }),
    Family::gauge("data_lake_table_bytes", "Bytes of the data files of the profile's Delta table.", |s| {
        lake(s, |st, _| st.table_bytes as f64)
    }),
    Family::gauge("data_lake_table_rows", "Rows in the profile's Delta table.", |s| lake(s, |st, _| st.table_rows as f64)),
    Family::gauge(
        "data_lake_absorbed_parts",
        "Raw parts the profile's Delta table absorbed (each exactly once; never fetched again).",
        |s| lake(s, |st, _| st.absorbed_parts as f64),
    ),
];

#[cfg(test)]
mod tests;
