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
//! A check can be stopped through its observer (the caller's
//! [`RunControl`] and the handle's cancel, joined by the facade): the footer
//! checks and the comparison both end with [`Error::Interrupted`].

use std::ffi::{CString, OsStr, OsString};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use nix::dir::{Dir, Type};
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{fstatat, Mode, SFlag};
use serde::Serialize;

use crate::collector::min_age;
use crate::config::Profile;
use crate::local::parquet_check::{self, Defect, Problem};
use crate::local::partition::cutoff_date;
use crate::local::partition::expired_exclude_patterns;
use crate::local::partition::today;
use crate::rsync;
use crate::rsync::command;
use crate::rsync::failure::classify_failure;
use crate::rsync::output::unescape_name;
use crate::rsync::process::{self, CancelOnly, RunObserver, POLL_INTERVAL};
use crate::rsync::tools::Tools;
use crate::state::quarantine::{self};
use crate::vocab::cancel::CancelToken;
use crate::vocab::error::{Error, Result};
use crate::vocab::names::PARTIAL_DIR;
use crate::vocab::names::{QUARANTINE_DIR, REPLACED_DIR};
use crate::vocab::progress::Progress;
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
    /// `files_done` of the files found, `bytes_done`/`bytes_total` their
    /// sizes), cancellation and the caller's poll; a stop ends the check with
    /// an `Interrupted` error.
    pub control: RunControl<'a>,
}

/// A file that failed the footer check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenFile {
    /// Path relative to the profile directory.
    pub path: PathBuf,
    /// What is wrong.
    pub problem: Problem,
    /// In words.
    pub reason: String,
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
}

/// What `verify` found for one profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyReport {
    /// Profile name.
    pub profile: String,
    /// False when a file is broken or differs from the collector's copy.
    pub ok: bool,
    /// Parquet files checked.
    pub files_checked: u64,
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

/// The Parquet files of the lake, grouped by directory.
struct LakeFiles {
    /// Directories, relative to the root.
    dirs: Vec<PathBuf>,
    /// (index in `dirs`, file name, size).
    files: Vec<(usize, CString, u64)>,
}

impl LakeFiles {
    fn rel(&self, i: usize) -> PathBuf {
        let (d, name, _) = &self.files[i];
        self.dirs[*d].join(OsStr::from_bytes(name.as_bytes()))
    }
}

/// Walk the lake (never following symlinks, skipping partial and quarantine
/// folders); each directory is read once more through its descriptor, and
/// sizes come from `fstatat` relative to it.
fn parquet_files(root: &Path) -> Result<LakeFiles> {
    let mut out = LakeFiles { dirs: Vec::new(), files: Vec::new() };
    let mut walk = walkdir::WalkDir::new(root).follow_links(false).into_iter();
    while let Some(entry) = walk.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) if e.depth() == 0 && e.io_error().is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) => {
                return Ok(out)
            }
            Err(e) => {
                let path = e.path().map(Path::to_path_buf).unwrap_or_else(|| root.to_path_buf());
                return Err(Error::io_default("read directory", path, std::io::Error::other(e.to_string())));
            }
        };
        if !entry.file_type().is_dir() {
            continue;
        }
        let name = entry.file_name();
        if entry.depth() > 0
            && (name == PARTIAL_DIR || (entry.depth() == 1 && (name == QUARANTINE_DIR || name == REPLACED_DIR)))
        {
            walk.skip_current_dir();
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root) else { continue };
        let mut dir =
            match Dir::open(entry.path(), OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty()) {
                Ok(d) => d,
                Err(Errno::ENOENT) => continue,
                Err(e) => return Err(Error::io_default("read directory", entry.path(), e.into())),
            };
        let fd = dir.as_raw_fd();
        let index = out.dirs.len();
        let mut any = false;
        for item in dir.iter() {
            let item = item.map_err(|e| Error::io_default("read directory", entry.path(), e.into()))?;
            let file_name = item.file_name();
            if !matches!(item.file_type(), Some(Type::File) | None)
                || !parquet_check::is_parquet_name(Path::new(OsStr::from_bytes(file_name.to_bytes())))
            {
                continue;
            }
            let st = match fstatat(Some(fd), file_name, AtFlags::AT_SYMLINK_NOFOLLOW) {
                Ok(st) => st,
                Err(Errno::ENOENT) => continue,
                Err(e) => {
                    return Err(Error::io_default(
                        "read metadata of",
                        entry.path().join(OsStr::from_bytes(file_name.to_bytes())),
                        e.into(),
                    ))
                }
            };
            if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFREG {
                continue;
            }
            out.files.push((index, file_name.to_owned(), st.st_size.max(0) as u64));
            any = true;
        }
        if any {
            out.dirs.push(rel.to_path_buf());
        }
    }
    Ok(out)
}

/// Check `files` on `jobs` threads; the calling thread reports progress and polls for cancellation.
fn check_all(
    profile: &str,
    root: &Path,
    lake: &LakeFiles,
    jobs: usize,
    observer: &mut dyn RunObserver,
) -> Result<Vec<BrokenFile>> {
    let next = AtomicUsize::new(0);
    let done = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let broken = Mutex::new(Vec::new());
    let token = CancelToken::new();
    let total_bytes: u64 = lake.files.iter().map(|f| f.2).sum();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let (next, done, bytes, broken, token) = (&next, &done, &bytes, &broken, token.clone());
            scope.spawn(move || {
                // The directory of the last file: consecutive files mostly share it.
                let mut current: Option<(usize, std::io::Result<File>)> = None;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((d, name, len)) = lake.files.get(i) else { break };
                    if token.is_cancelled() {
                        break;
                    }
                    if current.as_ref().is_none_or(|(open, _)| open != d) {
                        current = Some((*d, File::open(root.join(&lake.dirs[*d]))));
                    }
                    let opened = match current.as_ref().map(|(_, dir)| dir) {
                        Some(Ok(dir)) => parquet_check::open_in(dir, name),
                        Some(Err(e)) => Err(std::io::Error::new(e.kind(), e.to_string())),
                        None => Err(std::io::Error::other("no directory")),
                    };
                    let defect = match opened.and_then(|file| parquet_check::check_opened(&file, Some(*len))) {
                        Ok(d) => d,
                        // Removed meanwhile (a cleanup): nothing to say about it.
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                        Err(e) => Some(Defect { problem: Problem::Unreadable, reason: format!("cannot be read: {e}") }),
                    };
                    if let Some(d) = defect {
                        let entry = BrokenFile { path: lake.rel(i), problem: d.problem, reason: d.reason };
                        broken.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(entry);
                    }
                    bytes.fetch_add(*len, Ordering::Relaxed);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        let mut progress = Progress { profile: profile.to_string(), ..Progress::default() };
        progress.bytes_total = Some(total_bytes);
        loop {
            let finished = done.load(Ordering::Relaxed) as usize >= lake.files.len();
            progress.files_done = done.load(Ordering::Relaxed);
            progress.bytes_done = bytes.load(Ordering::Relaxed);
            let secs = started.elapsed().as_secs_f64();
            progress.rate = if secs > 0.0 { progress.bytes_done as f64 / secs } else { 0.0 };
            observer.progress(&progress);
            if finished || token.is_cancelled() {
                break;
            }
            if observer.should_cancel() {
                token.cancel();
                continue;
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    });
    if token.is_cancelled() {
        return Err(Error::Interrupted { profile: profile.to_string(), operation: "verify".into() });
    }
    let mut broken = broken.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    broken.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(broken)
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
    let anchored = [format!("/{QUARANTINE_DIR}/"), format!("/{REPLACED_DIR}/"), format!("{PARTIAL_DIR}/")];
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
    let argv = compare_argv(&tools, profile, today, recent.as_ref().map(|r| r.exclude_file.path()));
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
    for name in &run.transferred {
        let path = name_to_path(name);
        if profile.local_dir.join(&path).exists() {
            diff.differ.push(path);
        } else {
            diff.missing_locally.push(path);
        }
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
    let files = parquet_files(root)?;
    let jobs = match jobs {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .clamp(1, files.files.len().max(1));
    let broken = check_all(&profile.name, root, &files, jobs, observer)?;
    let mut warnings = Vec::new();
    let remote = if remote { Some(compare(profile, observer, &mut warnings)?) } else { None };
    let ok = broken.is_empty() && remote.as_ref().is_none_or(|r| r.differ.is_empty());
    Ok(VerifyReport {
        profile: profile.name.clone(),
        ok,
        files_checked: files.files.len() as u64,
        bytes_checked: files.files.iter().map(|f| f.2).sum(),
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
