//! `verify`: is every Parquet file in the lake complete, and (with `remote`)
//! does the lake hold what the collector holds?
//!
//! Locally, every `.parquet` file below the profile directory (not in
//! `.rsync-partial` nor in quarantine) gets the footer check of
//! [`crate::local::parquet_check`], spread over all cores. With `remote`, rsync
//! itself compares the two sides: `-r --checksum --dry-run --delete` from the
//! collector into the lake, restricted to what retention keeps (the same
//! exclude patterns as a sync) and leaving out files younger than `min_age`;
//! its itemized output names the files whose content differs, the files only
//! on the collector and the files only in the lake. Nothing is written.
//!
//! The profile's Delta table: its data files are the ones its record names
//! (checked like the others, and missing or resized ones are broken); the
//! table directory is not walked as lake data. With `remote`, a collector
//! file the table absorbed is not "only on the collector": its size and
//! mtime are compared with the record (one `find` over the compacted
//! partitions it is in); equal, it counts in `absorbed`, different, in `differ`.
//!
//! A check can be stopped through its observer (the caller's
//! [`RunControl`] and the handle's cancel, joined by the facade): the footer
//! checks and the comparison both end with [`Error::Interrupted`].

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::collector::min_age;
use crate::config::Profile;
pub use crate::inspect::footer_scan::BrokenFile;
use crate::inspect::footer_scan::{self, KnownFile};
use crate::inspect::verify_table::{compare_absorbed, partition_of, table_files, table_name};
use crate::local::partition::cutoff_date;
use crate::local::partition::expired_exclude_patterns;
use crate::local::partition::today;
use crate::rsync;
use crate::rsync::command;
use crate::rsync::failure::classify_failure;
use crate::rsync::output::unescape_name;
use crate::rsync::process::{self, CancelOnly, RunObserver};
use crate::rsync::tools::Tools;
use crate::state::quarantine::{self};
use crate::transfer::planner::absorbed::Absorbed;
use crate::vocab::error::{Error, Result};
use crate::vocab::names::PARTIAL_DIR;
use crate::vocab::names::{LANDING_DIR, QUARANTINE_DIR, REPLACED_DIR};
use crate::vocab::rsync_exit::{self, ExitClass};
use crate::vocab::run_control::RunControl;

/// Options for [`crate::DataLake::verify`] and [`crate::DataLake::verify_all`].
#[derive(Debug, Default)]
pub struct VerifyOptions<'a> {
    /// Also compare the lake with the collector by checksum.
    pub remote: bool,
    /// Threads for the footer checks (0: one per core).
    pub jobs: usize,
    /// Progress (about 10 times a second during the footer checks:
    /// `files_done` and `bytes_done` of the files checked so far, no total:
    /// the lake is walked while it is checked), cancellation and the caller's poll; a stop ends the check with
    /// an `Interrupted` error.
    pub control: RunControl<'a>,
}

/// How the lake differs from the collector, within retention.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RemoteDiff {
    /// Files on both sides whose content differs (by checksum).
    pub differ: Vec<PathBuf>,
    /// Files on the collector and not in the lake (the next sync takes them).
    pub missing_locally: Vec<PathBuf>,
    /// Files in the lake and not on the collector (deleted there).
    pub missing_on_collector: Vec<PathBuf>,
    /// Files left out because the collector modified them less than `min_age` ago.
    pub too_recent_files: u64,
    /// Collector files the lake holds in its Delta table (absorbed, same size and mtime).
    pub absorbed: u64,
}

/// What `verify` found for one profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyReport {
    /// Profile name.
    pub profile: String,
    /// False when a file is broken or differs from the collector's copy.
    pub ok: bool,
    /// Parquet files checked (the table's data files included).
    pub files_checked: u64,
    /// Of those, the table's data files.
    pub table_files_checked: u64,
    /// Their bytes.
    pub bytes_checked: u64,
    /// Files that failed the footer check, by path.
    pub broken: Vec<BrokenFile>,
    /// Files already in quarantine (not checked again).
    pub quarantined: Vec<PathBuf>,
    /// The comparison with the collector, with `remote`.
    pub remote: Option<RemoteDiff>,
    /// Warnings (e.g. files rsync could not read).
    pub warnings: Vec<String>,
    /// Wall time.
    pub duration_seconds: f64,
}

/// rsync's argv for the checksum comparison.
fn compare_argv(
    tools: &Tools,
    profile: &Profile,
    today: chrono::NaiveDate,
    exclude_from: Option<&Path>,
) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec![tools.rsync.clone().into_os_string()];
    for a in ["-r", "--checksum", "--dry-run", "--delete", "--no-motd"] {
        argv.push(a.into());
    }
    argv.push(rsync::output::out_format_arg().into());
    argv.push(format!("--timeout={}", profile.io_timeout).into());
    let cutoff = cutoff_date(today, profile.retention_days);
    let mut anchored = vec![
        format!("/{QUARANTINE_DIR}/"),
        format!("/{REPLACED_DIR}/"),
        format!("/{LANDING_DIR}/"),
        format!("{PARTIAL_DIR}/"),
    ];
    anchored.extend(table_name(profile).and_then(|n| n.to_str()).map(|n| format!("/{n}/")));
    for p in profile.exclude.iter().chain(&expired_exclude_patterns(cutoff)).chain(&anchored) {
        argv.push(format!("--exclude={p}").into());
    }
    if let Some(file) = exclude_from {
        // rsync reads the file when it parses this option: --from0 must come first.
        argv.push("--from0".into());
        let mut arg = OsString::from("--exclude-from=");
        arg.push(file);
        argv.push(arg);
    }
    command::push_endpoints(&mut argv, tools, profile);
    argv
}

fn name_to_path(name: &str) -> PathBuf {
    PathBuf::from(OsString::from_vec(unescape_name(name)))
}

/// Compare with the collector by checksum (a dry run: nothing changes).
fn compare(profile: &Profile, observer: &mut dyn RunObserver, warnings: &mut Vec<String>) -> Result<RemoteDiff> {
    let tools = Tools::locate(profile)?;
    let today = today(profile.timezone);
    // rsync's own progress would be about a transfer that does not happen.
    let mut observer = CancelOnly(observer);
    let recent = if profile.min_age.is_zero() {
        None
    } else {
        let cutoff = cutoff_date(today, profile.retention_days);
        let prune = expired_exclude_patterns(cutoff);
        Some(min_age::list(&tools, profile, &prune, &min_age::Scope::default(), &mut observer)?)
    };
    let argv =
        compare_argv(&tools, profile, today, recent.as_ref().and_then(|r| r.exclude_file.as_ref()).map(|f| f.path()));
    let run = process::run(&argv, &profile.name, &mut observer)?;
    if run.cancelled {
        return Err(Error::Interrupted { profile: profile.name.clone(), operation: "verify".into() });
    }
    let code = run.exit_code.unwrap_or(-1);
    match rsync_exit::classify(code) {
        ExitClass::Success => {}
        ExitClass::Vanished | ExitClass::Partial => warnings.push(format!(
            "the comparison with the collector was incomplete (rsync exit {code}: {}); {}",
            rsync_exit::meaning(code),
            rsync::failure::stderr_tail(&run.stderr, 3)
        )),
        _ => return Err(classify_failure(profile, code, &run.stderr, None).error),
    }
    let mut diff = RemoteDiff { too_recent_files: recent.map_or(0, |r| r.paths.len() as u64), ..RemoteDiff::default() };
    let absorbed = Absorbed::load(profile);
    let mut maybe_absorbed = Vec::new();
    for name in &run.transferred {
        let path = name_to_path(name);
        if profile.local_dir.join(&path).exists() {
            diff.differ.push(path);
        } else if absorbed.holds(partition_of(&path)) {
            maybe_absorbed.push(path);
        } else {
            diff.missing_locally.push(path);
        }
    }
    if !maybe_absorbed.is_empty() {
        let (held, differ) = compare_absorbed(profile, &tools, &absorbed, maybe_absorbed, &mut observer)?;
        diff.absorbed = held;
        diff.differ.extend(differ);
    }
    for name in run.deleted.iter().filter(|n| !n.ends_with('/')) {
        diff.missing_on_collector.push(name_to_path(name));
    }
    diff.differ.sort();
    diff.missing_locally.sort();
    diff.missing_on_collector.sort();
    Ok(diff)
}

/// Verify one profile's part of the lake: `remote` and `jobs` as in
/// [`VerifyOptions`]; progress goes to `observer`, which may stop the check.
pub fn verify(profile: &Profile, remote: bool, jobs: usize, observer: &mut dyn RunObserver) -> Result<VerifyReport> {
    let clock = Instant::now();
    let root = profile.local_dir.as_path();
    let (table, missing) = table_files(profile)?;
    let table_files_checked = table.len() as u64;
    let known = table.into_iter().map(|(dir, name, size)| KnownFile { dir, name, size }).collect();
    let jobs = match jobs {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let scanned = footer_scan::scan(&profile.name, root, table_name(profile), known, jobs, observer)?;
    let mut broken = scanned.broken;
    broken.extend(missing.into_iter().map(|(path, problem, reason)| BrokenFile { path, problem, reason }));
    broken.sort_by(|a, b| a.path.cmp(&b.path));
    let mut warnings = Vec::new();
    let remote = if remote { Some(compare(profile, observer, &mut warnings)?) } else { None };
    let ok = broken.is_empty() && remote.as_ref().is_none_or(|r| r.differ.is_empty());
    Ok(VerifyReport {
        profile: profile.name.clone(),
        ok,
        files_checked: scanned.files,
        table_files_checked,
        bytes_checked: scanned.bytes,
        broken,
        quarantined: quarantine::list(root)?,
        remote,
        warnings,
        duration_seconds: clock.elapsed().as_secs_f64(),
    })
}

impl VerifyReport {
    /// The report as a JSON value: exactly the CLI's `--format json`.
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
