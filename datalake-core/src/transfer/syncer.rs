//! One profile's transfer: rsync attempts with retries and backoff, turned
//! into a status. Locking, checkpoints and cleanup are the facade's job
//! ([`crate::DataLake::sync`]); this module only moves data.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use crate::collector::min_age::{self, RecentFiles, Scope};
use crate::config::{OnRewrite, Profile};
use crate::local::partition::{cutoff_date, expired_exclude_patterns};
use crate::rsync::command::{self, RunSpec};
use crate::rsync::failure::{classify_failure, disk_full};
use crate::rsync::output::unescape_name;
use crate::rsync::output::TransferStats;
use crate::rsync::process::{self, RunObserver, POLL_INTERVAL};
use crate::rsync::tools::{self, Tools};
use crate::state::landing::Landing;
use crate::state::replaced;
use crate::vocab::error::{Error, Result};
use crate::vocab::names::{LANDING_DIR, QUARANTINE_DIR, REPLACED_DIR};
use crate::vocab::progress::Progress;
use crate::vocab::rsync_exit::{self, ExitClass};
use crate::vocab::status::SyncStatus;

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The outcome of [`Syncer::run`].
#[derive(Debug)]
pub struct TransferOutcome {
    /// How it ended.
    pub status: SyncStatus,
    /// Stats summed over all attempts.
    pub stats: TransferStats,
    /// Exit code of the last attempt.
    pub exit_code: Option<i32>,
    /// Attempts made.
    pub attempts: u32,
    /// Why it did not succeed: set for every status but success.
    pub error: Option<Error>,
    /// Warnings (vanished files, retried attempts, old rsync).
    pub warnings: Vec<String>,
    /// Files left on the collector because they were younger than `min_age`
    /// (at the last attempt).
    pub too_recent: u64,
    /// Regular files rsync transferred, relative to the profile directory.
    pub landed: Vec<std::path::PathBuf>,
}

/// Moves one profile's data with rsync.
#[derive(Debug, Clone)]
pub struct Syncer<'a> {
    profile: &'a Profile,
    tools: Tools,
    /// A NUL-separated exclude file every attempt gets (the parts the
    /// profile's Delta table absorbed, see `planner::absorbed`).
    exclude_from: Option<PathBuf>,
    /// Where the files land to be checked before they get their real names
    /// (`check_parquet`); `None`: rsync writes into the lake itself.
    landing: Option<Arc<Landing>>,
    /// Whether the caller reads the names of the files rsync transfers.
    names_read: bool,
}

fn add_stats(total: &mut TransferStats, s: &TransferStats) {
    total.total_files = s.total_files.max(total.total_files);
    total.total_size = s.total_size.max(total.total_size);
    total.files_transferred += s.files_transferred;
    total.bytes_transferred += s.bytes_transferred;
    total.literal_bytes += s.literal_bytes;
    total.matched_bytes += s.matched_bytes;
    total.bytes_sent += s.bytes_sent;
    total.bytes_received += s.bytes_received;
}

/// Exponential backoff: 1 s, 2 s, 4 s, ... capped at one minute.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(6)).min(MAX_BACKOFF)
}

/// Sleep `d`, waking every poll interval; returns `true` if cancelled meanwhile.
fn cancellable_sleep(d: Duration, observer: &mut dyn RunObserver) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if observer.should_cancel() {
            return true;
        }
        thread::sleep(POLL_INTERVAL.min(end.saturating_duration_since(Instant::now())));
    }
    observer.should_cancel()
}

impl<'a> Syncer<'a> {
    /// Prepare a syncer; fails when rsync (or ssh for SSH sources) is missing.
    pub fn new(profile: &'a Profile) -> Result<Self> {
        Ok(Syncer { profile, tools: Tools::locate(profile)?, exclude_from: None, landing: None, names_read: false })
    }

    /// The same syncer, whose runs (not dry runs) land their files in `landing`.
    pub fn with_landing(self, landing: Arc<Landing>) -> Syncer<'a> {
        Syncer { landing: Some(landing), ..self }
    }

    /// The landing area its runs write into, if any.
    pub fn landing(&self) -> Option<&Landing> {
        self.landing.as_deref()
    }

    /// The same syncer, every attempt of which also excludes the patterns in `file`.
    pub fn with_exclude_from(&self, file: PathBuf) -> Syncer<'a> {
        Syncer { exclude_from: Some(file), ..self.clone() }
    }

    /// The same syncer, whose observers hear the name of every file rsync
    /// transfers (`RunObserver::file_transferred`).
    pub fn naming_files(&self) -> Syncer<'a> {
        Syncer { names_read: true, ..self.clone() }
    }

    /// The profile this syncer moves.
    pub fn profile_name(&self) -> &str {
        &self.profile.name
    }

    /// The tools found (the planner lists and sizes with the same ssh).
    pub fn tools(&self) -> &Tools {
        &self.tools
    }

    /// The argv of one attempt (for logs and tests).
    pub fn argv(&self, dry_run: bool, today: NaiveDate) -> Vec<std::ffi::OsString> {
        self.argv_with(dry_run, today, None)
    }

    /// The argv of one attempt over a `--files-from` list (the planner's window or bucket).
    pub fn argv_with(
        &self,
        dry_run: bool,
        today: NaiveDate,
        files_from: Option<std::path::PathBuf>,
    ) -> Vec<std::ffi::OsString> {
        let mut extra_excludes = self.expired_excludes(today);
        // Anchored: only the profile's own quarantine and kept-versions
        // folders, and its Delta table when that sits in the profile directory
        // (a collector directory of the same name must not land inside the table).
        extra_excludes.push(format!("/{QUARANTINE_DIR}/"));
        extra_excludes.push(format!("/{REPLACED_DIR}/"));
        extra_excludes.push(format!("/{LANDING_DIR}/"));
        if let Some(name) = table_dir_name(self.profile) {
            extra_excludes.push(format!("/{name}/"));
        }
        // rsync names the files it transfers only for whoever reads the names:
        // the Parquet check of a run without a landing area (the landing area
        // sees its files arrive) and the caller that asked.
        let named = self.names_read || (self.profile.check_parquet && self.landing.is_none() && !dry_run);
        let spec = RunSpec { dry_run, extra_excludes, files_from, named };
        let mut argv = command::build(&self.tools, self.profile, &spec);
        if let Some(file) = &self.exclude_from {
            argv = command::with_exclude_from(&argv, file);
        }
        match &self.landing {
            Some(landing) if !dry_run => command::into_landing_area(&argv, landing.area(), landing.compare_with()),
            _ => argv,
        }
    }

    /// The patterns that keep expired partitions from being downloaded.
    pub fn expired_excludes(&self, today: NaiveDate) -> Vec<String> {
        expired_exclude_patterns(cutoff_date(today, self.profile.retention_days))
    }

    /// The files younger than `min_age` on the collector (none when it is 0),
    /// within what the attempt may transfer.
    /// The first attempt takes them from the planner's walk when it made one.
    fn recent_files(
        &self,
        (today, attempt): (NaiveDate, u32),
        scope: &Scope,
        observer: &mut dyn RunObserver,
    ) -> Result<Option<RecentFiles>> {
        if self.profile.min_age.is_zero() {
            return Ok(None);
        }
        if let (Some(young), 1) = (&scope.young, attempt) {
            return min_age::from_walk(young.to_vec()).map(Some);
        }
        let cutoff = cutoff_date(today, self.profile.retention_days);
        min_age::list(&self.tools, self.profile, &expired_exclude_patterns(cutoff), scope, observer).map(Some)
    }

    /// Transfer with retries: 23 is retried once then `partial`; transient
    /// codes back off exponentially up to `retries`; permanent ones stop at once.
    pub fn run(&self, dry_run: bool, today: NaiveDate, observer: &mut dyn RunObserver) -> TransferOutcome {
        self.run_argv(&self.argv(dry_run, today), &Scope::default(), today, observer)
    }

    /// [`Syncer::run`] for a given argv (one planner bucket, or the whole run);
    /// `scope` is what that argv may transfer, for the `min_age` listing.
    /// `today` dates the dry run that measures what a run that filled the disk still needed.
    pub fn run_argv(
        &self,
        argv: &[std::ffi::OsString],
        scope: &Scope,
        today: NaiveDate,
        observer: &mut dyn RunObserver,
    ) -> TransferOutcome {
        let profile = self.profile;
        let mut out = TransferOutcome::blank(SyncStatus::Failed);
        if let Some(w) = tools::version_line(&self.tools.rsync).and_then(|l| tools::version_warning("local", &l)) {
            out.warnings.push(w);
        }
        let interrupted = || Error::Interrupted { profile: profile.name.clone(), operation: "sync".into() };
        let mut partial_retried = false;
        let mut transient_retries = 0u32;
        loop {
            out.attempts += 1;
            // Listed again at every attempt: files age between attempts.
            let recent = match self.recent_files((today, out.attempts), scope, observer) {
                Ok(r) => r,
                Err(e) if e.is_transient() && transient_retries < profile.retries => {
                    transient_retries += 1;
                    let wait = backoff(transient_retries);
                    out.warnings.push(format!(
                        "attempt {} failed, retried after {}s: {e}",
                        out.attempts,
                        wait.as_secs()
                    ));
                    if cancellable_sleep(wait, observer) {
                        return out.ended(SyncStatus::Interrupted, interrupted());
                    }
                    continue;
                }
                Err(e @ Error::Interrupted { .. }) => return out.ended(SyncStatus::Interrupted, e),
                Err(e) => return out.ended(SyncStatus::Failed, e),
            };
            out.too_recent = recent.as_ref().map_or(0, |r| r.paths.len() as u64);
            let mut argv = match &recent {
                Some(RecentFiles { exclude_file: Some(file), .. }) => command::with_exclude_from(argv, file.path()),
                _ => argv.to_vec(),
            };
            // A directory of its own per attempt: rsync would replace an earlier backup of the same name.
            let backup = (profile.on_rewrite != OnRewrite::Replace)
                .then(|| replaced::staging_dir(chrono::Utc::now(), out.attempts));
            let run = match (&self.landing, backup) {
                // The landing area's movers keep the earlier versions, as rsync's --backup would.
                (Some(landing), backup) => {
                    let mut feed = landing.feed(observer, backup.map(PathBuf::from));
                    process::run(&argv, &profile.name, &mut feed)
                }
                (None, backup) => {
                    // Without a landing area, progress names the file rsync says it is on.
                    if observer.wants_progress() {
                        argv = command::with_names(&argv);
                    }
                    if let Some(dir) = backup {
                        argv = command::with_backup_dir(&argv, &dir);
                    }
                    process::run(&argv, &profile.name, observer)
                }
            };
            let run = match run {
                Ok(r) => r,
                Err(e) => return out.ended(SyncStatus::Failed, e),
            };
            drop(recent);
            out.landed.extend(run.transferred.iter().map(|n| PathBuf::from(OsString::from_vec(unescape_name(n)))));
            add_stats(&mut out.stats, &run.stats);
            out.exit_code = run.exit_code;
            if run.cancelled {
                return out.ended(SyncStatus::Interrupted, interrupted());
            }
            let Some(code) = run.exit_code else {
                let error = Error::RsyncKilled { profile: profile.name.clone(), stderr: run.stderr };
                return out.ended(SyncStatus::Failed, error);
            };
            match rsync_exit::classify(code) {
                ExitClass::Success => return out.succeeded(),
                ExitClass::Vanished => {
                    out.warnings.push(
                        "some files vanished on the collector during the transfer (rsync exit 24); they were skipped"
                            .into(),
                    );
                    return out.succeeded();
                }
                ExitClass::Interrupted => return out.ended(SyncStatus::Interrupted, interrupted()),
                _ => {}
            }
            let remaining = match disk_full(&run.stderr) {
                true => self.still_to_transfer(today, observer).or(run.remaining),
                false => run.remaining,
            };
            let failure = classify_failure(profile, code, &run.stderr, remaining);
            let message = failure.error.to_string();
            let wait = match failure.class {
                ExitClass::Partial if !partial_retried => {
                    partial_retried = true;
                    out.warnings.push(format!("attempt {} was partial, retrying once: {message}", out.attempts));
                    backoff(1)
                }
                ExitClass::Transient if transient_retries < profile.retries => {
                    transient_retries += 1;
                    let wait = backoff(transient_retries);
                    // Info: the same text goes into the report's warnings.
                    log::info!(
                        "profile {}: attempt {} failed, retrying in {}s: {message}",
                        profile.name,
                        out.attempts,
                        wait.as_secs()
                    );
                    out.warnings.push(format!(
                        "attempt {} failed, retried after {}s: {message}",
                        out.attempts,
                        wait.as_secs()
                    ));
                    wait
                }
                ExitClass::Partial => return out.ended(SyncStatus::Partial, failure.error),
                _ => return out.ended(SyncStatus::Failed, failure.error),
            };
            if cancellable_sleep(wait, observer) {
                return out.ended(SyncStatus::Interrupted, interrupted());
            }
        }
    }
}

/// The name of the profile's Delta table directory when it sits directly in
/// the profile directory: no run transfers into it.
pub fn table_dir_name(profile: &Profile) -> Option<&str> {
    let table = profile.compact.table.local_path();
    match table.parent() == Some(profile.local_dir.as_path()) {
        true => table.file_name().and_then(|n| n.to_str()),
        false => None,
    }
}

/// Forwards only cancellation: a measuring dry run shows no progress.
struct Quiet<'o>(&'o mut dyn RunObserver);

impl RunObserver for Quiet<'_> {
    fn wants_progress(&self) -> bool {
        false
    }
    fn progress(&mut self, _: &Progress) {}
    fn should_cancel(&mut self) -> bool {
        self.0.should_cancel()
    }
}

impl Syncer<'_> {
    /// Bytes the sync still has to bring over (rsync's own dry-run figure),
    /// for the message of a run that filled the disk: it says how much was needed.
    fn still_to_transfer(&self, today: NaiveDate, observer: &mut dyn RunObserver) -> Option<u64> {
        let run = process::run(&self.argv(true, today), &self.profile.name, &mut Quiet(observer)).ok()?;
        (run.exit_code == Some(0) && !run.cancelled).then_some(run.stats.bytes_transferred)
    }
}

impl TransferOutcome {
    /// An outcome with `status`, zero counters and nothing else yet.
    pub fn blank(status: SyncStatus) -> TransferOutcome {
        TransferOutcome {
            status,
            stats: TransferStats::default(),
            exit_code: None,
            attempts: 0,
            error: None,
            warnings: Vec::new(),
            too_recent: 0,
            landed: Vec::new(),
        }
    }

    /// Nothing to transfer: the planner's quick check found every file of the
    /// run in the lake already (`files` of `bytes`, reported as rsync's totals).
    pub fn up_to_date(files: u64, bytes: u64) -> TransferOutcome {
        let mut out = TransferOutcome::blank(SyncStatus::Success);
        out.stats.total_files = files;
        out.stats.total_size = bytes;
        out
    }

    /// An outcome before anything ran: `error` says why nothing could start.
    pub fn not_started(error: Error) -> TransferOutcome {
        let mut out = TransferOutcome::blank(SyncStatus::Failed);
        out.error = Some(error);
        out
    }

    /// The transfer succeeded: hand the outcome back.
    fn succeeded(mut self) -> TransferOutcome {
        self.status = SyncStatus::Success;
        self.error = None;
        self
    }

    /// The transfer ended `status` (not success) because of `error`.
    fn ended(mut self, status: SyncStatus, error: Error) -> TransferOutcome {
        self.status = status;
        self.error = Some(error);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(30), MAX_BACKOFF);
    }
}
