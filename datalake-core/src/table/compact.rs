//! One compaction run of a profile (the caller holds the profile lock).
//!
//! 1. open the table, bring the record level with it ([`super::reconcile`]);
//! 2. walk the lake for the raw parts of closed days ([`super::parts`]); a
//!    part the record names with the same size and mtime is a leftover of an
//!    earlier run (deleted now, unless `keep_raw`), any other is new;
//! 3. per date, write each series-day with new parts ([`super::day`]), then
//!    commit them all in one version, rewrite the record, delete the
//!    absorbed raw parts.
//!
//! See [`crate::state::absorbed`] for why every moment of this, a kill -9
//! included, shows each row once.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use deltalake_core::arrow::datatypes::Schema;
use deltalake_core::kernel::Action;

use super::day::{self, DayCtx, DayError, DayInput, DayWork};
use super::delta::{Operation, Table};
use super::parts::{self, DayParts, RawPart};
use super::reconcile::{by_day, drop_unused_manifests, reconcile};
use super::store::Store;
use crate::config::Profile;
use crate::local::partition::{cutoff_date, today};
use crate::rsync::process::RunObserver;
use crate::state::absorbed::report::{CompactReport, CompactedDay, SkippedDay};
use crate::state::absorbed::{Manifest, Record};
use crate::vocab::error::{Error, Result};
use crate::vocab::progress::Progress;
use crate::vocab::status::SyncStatus;

/// When a run happens, and what it may change.
#[derive(Debug, Clone, Copy)]
pub struct RunTime {
    /// Now (closed days are those `compact.after` past their end).
    pub now: DateTime<Utc>,
    /// Today in the profile's calendar (retention).
    pub today: NaiveDate,
    /// Change nothing.
    pub dry_run: bool,
}

/// Compact `profile`. Failures are in the report (`status`, `error`).
pub fn run(profile: &Profile, when: RunTime, observer: &mut dyn RunObserver) -> CompactReport {
    let clock = Instant::now();
    let store = Store::of(profile);
    let mut report = CompactReport::new(&profile.name, store.uri(), when.dry_run);
    let mut outcome = run_inner(profile, store.clone(), when, observer, &mut report);
    // Another writer committed first: read what it committed and plan again.
    for _ in 1..RACE_ATTEMPTS {
        if !matches!(outcome, Ok(false)) {
            break;
        }
        report
            .warnings
            .push("another writer committed to the table at the same moment; read its commit and planned again".into());
        outcome = run_inner(profile, store.clone(), when, observer, &mut report);
    }
    let outcome = match outcome {
        Ok(true) => Ok(()),
        Ok(false) => Err(store.error(
            "commit to",
            format!("other writers committed first {RACE_ATTEMPTS} times in a row"),
            "run the compaction again",
        )),
        Err(e) => Err(e),
    };
    if let Err(e) = outcome {
        let status = if matches!(e, Error::Interrupted { .. }) { SyncStatus::Interrupted } else { SyncStatus::Failed };
        report.fail(status, e);
    }
    if report.status == SyncStatus::Success {
        if let Some(first) = report.skipped.first() {
            let error = Error::BadPart {
                profile: profile.name.clone(),
                file: format!("{} on {}", first.series, first.date),
                line: None,
                problem: format!("{} closed day(s) stay raw; the first: {}", report.skipped.len(), first.reason),
                hint: "see the report's skipped days".into(),
            };
            report.status = SyncStatus::Partial;
            report.error_kind = Some(first.kind);
            report.errors.push(error.to_string());
            report.error = Some(error);
        }
    }
    report.finished_at = Utc::now();
    report.duration_seconds = clock.elapsed().as_secs_f64();
    report
}

/// The compaction `compact.auto` runs after a successful sync (under the
/// sync's lock); `None` when it does not apply.
pub fn after_sync(
    profile: &Profile,
    status: SyncStatus,
    dry_run: bool,
    observer: &mut dyn RunObserver,
) -> Option<CompactReport> {
    if dry_run || status != SyncStatus::Success || !(profile.compact.enabled && profile.compact.auto) {
        return None;
    }
    let when = RunTime { now: Utc::now(), today: today(profile.timezone), dry_run };
    Some(run(profile, when, observer))
}

/// Work found in the lake: new parts by series-day, and leftovers.
struct Plan {
    days: BTreeMap<NaiveDate, Vec<(String, Vec<RawPart>)>>,
    leftovers: Vec<RawPart>,
    bytes: u64,
}

fn plan(record: &Record, store: &Store, found: BTreeMap<(String, NaiveDate), DayParts>) -> Result<Plan> {
    let mut out = Plan { days: BTreeMap::new(), leftovers: Vec::new(), bytes: 0 };
    for ((series, date), day) in found {
        let manifest = match record.day(&series, date) {
            Some(entry) => Some(Manifest::load(store.place(), &entry.manifest)?),
            None => None,
        };
        let mut new = Vec::new();
        for part in day.parts {
            let absorbed = manifest
                .as_ref()
                .and_then(|m| m.get(&part.partition, &part.name))
                .is_some_and(|a| a.same(part.size, part.secs, part.nanos));
            if absorbed {
                out.leftovers.push(part);
            } else {
                out.bytes += part.size;
                new.push(part);
            }
        }
        if !new.is_empty() {
            out.days.entry(date).or_default().push((series, new));
        }
    }
    Ok(out)
}

/// How many times a run plans anew after losing a commit to another writer.
const RACE_ATTEMPTS: u32 = 5;

/// One pass; false when another writer committed first (nothing of this
/// pass's current date is in the table; earlier dates are).
fn run_inner(
    profile: &Profile,
    store: Store,
    when: RunTime,
    observer: &mut dyn RunObserver,
    report: &mut CompactReport,
) -> Result<bool> {
    if store.remote().is_some() && !when.dry_run {
        if quiet(profile, &store, when, report)? {
            return Ok(true);
        }
        super::remote::check_conditional_put(&store)?;
        match super::multipart::abort_leftovers(&store, super::multipart::ORPHAN_AFTER) {
            Ok(Some(l)) if !l.aborted.is_empty() => report.warnings.push(format!(
                "aborted {} multipart upload(s) a killed run left under the table (the first: {})",
                l.aborted.len(),
                l.aborted[0].key
            )),
            Ok(_) => {}
            Err(e) => report.warnings.push(format!("{e}")),
        }
    }
    let mut table = Table::open(store.clone())?;
    let live = table.live_files()?;
    let files = by_day(&table, live)?;
    let loaded = Record::load_at(store.place())?;
    let (mut record, rebuilt) =
        if when.dry_run { (loaded.unwrap_or_default(), false) } else { reconcile(&table, loaded, &files)? };
    if rebuilt {
        report.warnings.push(format!(
            "the table's record was behind the table (an interrupted run); rebuilt it for version {}",
            record.table_version.unwrap_or(0)
        ));
    }
    if !when.dry_run {
        drop_unused_manifests(&table, &record)?;
    }
    let found = parts::find(profile, cutoff_date(when.today, profile.retention_days), when.now)?;
    report.days_open = found.open;
    let plan = plan(&record, &store, found.closed)?;
    let keep_raw = profile.compact.keep_raw;
    if !when.dry_run && !keep_raw {
        report.raw_parts_removed += remove_parts(&profile.local_dir, &plan.leftovers, report);
    }
    let mut progress = Progress { profile: profile.name.clone(), bytes_total: Some(plan.bytes), ..Progress::default() };
    let started = Instant::now();
    let mut schema = table.data_schema()?;
    for (date, series_days) in plan.days {
        let mut works: Vec<DayWork> = Vec::new();
        let mut absorbed: Vec<RawPart> = Vec::new();
        let schema_before = schema.clone();
        let ctx = DayCtx {
            profile,
            table: &table,
            compression: profile.compact.compression,
            table_file: newest_file(&record, &store),
        };
        for (series, new_parts) in series_days {
            if observer.should_cancel() {
                return Err(interrupted(profile));
            }
            progress.current_file = Some(format!("{series} {date}"));
            observer.progress(&progress);
            let day_bytes: u64 = new_parts.iter().map(|p| p.size).sum();
            let known = record.day(&series, date);
            if when.dry_run {
                report.add_day(CompactedDay {
                    series: series.clone(),
                    date,
                    parts: new_parts.len() as u64,
                    merged: known.is_some(),
                    rows_in: 0,
                    rows_out: 0,
                    duplicates: 0,
                    bytes_before: day_bytes,
                    bytes_after: 0,
                    files: 0,
                    added_columns: Vec::new(),
                });
                continue;
            }
            let existing = match known {
                Some(entry) => {
                    let live = files.get(&(series.clone(), date)).cloned().unwrap_or_default();
                    Some((entry, Manifest::load(store.place(), &entry.manifest)?, live))
                }
                None => None,
            };
            let input = DayInput { series: &series, date, parts: &new_parts, existing };
            match day::build(&ctx, input, schema.as_ref()) {
                Ok(work) => {
                    schema = Some(work.schema.clone());
                    absorbed.extend(new_parts.iter().cloned());
                    works.push(work);
                }
                Err(DayError::Skip(e)) => {
                    report.skipped.push(SkippedDay {
                        series: series.clone(),
                        date,
                        reason: e.to_string(),
                        kind: e.kind(),
                    });
                }
                Err(DayError::Fatal(e)) => return Err(*e),
            }
            progress.bytes_done += day_bytes;
            progress.files_done += new_parts.len() as u64;
            progress.rate = progress.bytes_done as f64 / started.elapsed().as_secs_f64().max(1e-3);
            observer.progress(&progress);
        }
        drop(ctx);
        if works.is_empty() {
            continue;
        }
        if observer.should_cancel() {
            return Err(interrupted(profile));
        }
        let evolved = if schema != schema_before { schema.as_ref() } else { None };
        if !commit(&mut table, &mut record, works, evolved, report)? {
            return Ok(false);
        }
        if !keep_raw {
            report.raw_parts_removed += remove_parts(&profile.local_dir, &absorbed, report);
        }
    }
    report.table_version = table.version();
    Ok(true)
}

/// A remote table with nothing new to publish, told without opening it: the
/// local record names the table's version and every part it absorbed, and
/// one HEAD shows nobody committed a newer version since. Absorbed
/// leftovers are still removed. True when that was the whole run.
fn quiet(profile: &Profile, store: &Store, when: RunTime, report: &mut CompactReport) -> Result<bool> {
    let record = Record::load_at(store.place())?.unwrap_or_default();
    let found = parts::find(profile, cutoff_date(when.today, profile.retention_days), when.now)?;
    let plan = plan(&record, store, found.closed)?;
    if !plan.days.is_empty() {
        return Ok(false);
    }
    let next = record.table_version.map_or(0, |v| v + 1);
    if super::remote::version_exists(store, next)? {
        return Ok(false);
    }
    report.days_open = found.open;
    if !profile.compact.keep_raw {
        report.raw_parts_removed += remove_parts(&profile.local_dir, &plan.leftovers, report);
    }
    report.table_version = record.table_version;
    Ok(true)
}

/// A file of the table's newest day (whose schema is the table's), as messages name it.
fn newest_file(record: &Record, store: &Store) -> String {
    let newest = record.days.iter().filter(|d| !d.files.is_empty()).max_by_key(|d| (d.date, d.version));
    match newest.and_then(|d| d.files.first()) {
        Some(f) => format!("{}/{}", store.uri(), f.path),
        None => format!("the table {}", store.uri()),
    }
}

fn interrupted(profile: &Profile) -> Error {
    Error::Interrupted { profile: profile.name.clone(), operation: "compaction".into() }
}

/// Commit one date's series-days and record them. False when another writer
/// committed first: nothing of this commit is in the table.
fn commit(
    table: &mut Table,
    record: &mut Record,
    works: Vec<DayWork>,
    evolved: Option<&Schema>,
    report: &mut CompactReport,
) -> Result<bool> {
    let mut actions = Vec::new();
    let mut days = Vec::new();
    for w in &works {
        actions.extend(w.removes.iter().cloned().map(Action::Remove));
        actions.extend(w.adds.iter().cloned().map(Action::Add));
        days.push(serde_json::json!({
            "series": w.entry.series, "date": w.entry.date, "manifest": w.entry.manifest,
            "parts": w.report.parts, "rows_in": w.report.rows_in, "rows_out": w.report.rows_out,
        }));
    }
    let info = serde_json::json!({ "operation": "compact", "days": days });
    let Some(version) = table.commit(actions, evolved, info, Operation::Compact)? else {
        return Ok(false);
    };
    report.commits += 1;
    for w in works {
        let mut entry = w.entry;
        entry.version = version;
        record.put(entry);
        report.add_day(w.report);
    }
    record.table_version = Some(version);
    record.save(table.store().place())?;
    Ok(true)
}

/// Delete raw parts that are absorbed (each checked again: same size and
/// mtime as recorded), then their partition directories once empty.
/// Failures are warnings: the parts stay absorbed and readers skip them.
pub fn remove_parts(root: &Path, parts: &[RawPart], report: &mut CompactReport) -> u64 {
    let mut removed = 0;
    let mut dirs: Vec<std::path::PathBuf> = Vec::new();
    let kept = root.join(crate::vocab::names::REPLACED_DIR);
    for part in parts {
        let path = root.join(part.rel());
        match std::fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => report.warnings.push(format!("could not delete absorbed part {}: {e}", path.display())),
        }
        let mut dir = path.parent().map(Path::to_path_buf);
        while let Some(d) = dir {
            if d.as_path() == root || d == kept || !d.starts_with(root) {
                break;
            }
            if !dirs.contains(&d) {
                dirs.push(d.clone());
            }
            dir = d.parent().map(Path::to_path_buf);
        }
    }
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in dirs {
        // Only empty ones go; the first non-empty parent stops nothing else.
        let _ = std::fs::remove_dir(&d);
    }
    removed
}
