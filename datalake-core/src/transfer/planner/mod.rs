//! The transfer planner: what one sync run hands to rsync.
//!
//! rsync builds and sends the file list of everything it is given before it
//! copies a byte, and on the receiver it probes every listed file (with a
//! relative `--partial-dir`, also `dir/.rsync-partial/name`). A run over the
//! whole lake therefore costs O(lake) even when nothing changed. Market-data
//! partitions are named by day and stop changing soon after their day ends,
//! so a regular run hands rsync only what can have changed:
//!
//! 1. [`listing`]: one ssh round trip lists the collector's partition
//!    directories (never the files inside them) and reads its clock.
//! 2. [`window`]: a regular run takes partitions dated within `window_days`
//!    of the collector's today, partitions missing locally, and everything
//!    undated; a full run (first sync, `--full`, `full_sync_every` elapsed,
//!    window not computable) takes the whole tree. Expired partitions are
//!    excluded by the same patterns either way.
//! 3. [`buckets`] and [`streams`]: with `parallel > 1`, the run is split into
//!    buckets balanced by bytes and run as that many rsyncs at once.
//! 4. [`absorbed`]: parts the profile's Delta table absorbed are never
//!    fetched again (compacted partitions count as present, absorbed parts
//!    are excluded), while a new or rewritten part of a compacted day is.
//!
//! The selection reaches rsync as `--files-from` (NUL-separated), so partial
//! dirs, excludes, timeouts, retries and cancellation are the ones of a full run.

pub mod absorbed;
pub mod absorbed_run;
pub mod buckets;
mod lake_compare;
pub mod quick_check;
pub mod streams;
pub mod verified;
pub mod window;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::collector::min_age::{self, Scope};
use crate::collector::{listing, shared_ssh};
use crate::config::Profile;
use crate::rsync::process::RunObserver;
use crate::transfer::syncer::{Syncer, TransferOutcome};
use crate::vocab::error::Error;
use crate::vocab::status::RunEffect;
use crate::vocab::status::{SyncMode, SyncStatus};

pub use window::{Plan, Request};

/// What the planner tells the report.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    /// `window` or `full`.
    pub mode: SyncMode,
    /// Why the run was full.
    pub full_sync_reason: Option<String>,
    /// Dated partitions the run covered.
    pub partitions_covered: u64,
    /// Of those, partitions a windowed run left out because every collector
    /// file in them already had an identical lake copy ([`quick_check`]).
    pub partitions_unchanged: u64,
    /// On a full run after an earlier full run: files transferred into
    /// partitions the window skipped (late arrivals). `None` otherwise.
    pub files_missed_by_window: Option<u64>,
    /// rsync processes run at once (1 unless `parallel` and the run allow more).
    pub streams: u32,
    /// Buckets the run was split into (1 without parallel streams).
    pub buckets: u32,
}

/// Counts transferred files that the window would have skipped.
struct Counting<'o> {
    inner: &'o mut dyn RunObserver,
    outside: &'o [Vec<u8>],
    missed: u64,
}

impl RunObserver for Counting<'_> {
    fn progress(&mut self, progress: &crate::vocab::progress::Progress) {
        self.inner.progress(progress);
    }
    fn should_cancel(&mut self) -> bool {
        self.inner.should_cancel()
    }
    fn file_transferred(&mut self, name: &str) {
        if window::missed_by_window(self.outside, &unescape_item(name)) {
            self.missed += 1;
        }
        self.inner.file_transferred(name);
    }
    fn wants_progress(&self) -> bool {
        self.inner.wants_progress()
    }
}

/// rsync's `%n` escapes unprintable bytes as `\#ooo`.
fn unescape_item(name: &str) -> Vec<u8> {
    let b = name.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 4 < b.len()
            && b[i + 1] == b'#'
            && b[i + 2..i + 5].iter().all(|d| (b'0'..=b'7').contains(d))
        {
            out.push(b[i + 2..i + 5].iter().fold(0u8, |a, d| a.wrapping_mul(8).wrapping_add(d - b'0')));
            i += 5;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Plan and run one profile's transfer. The shared connection's master is
/// still exiting when this returns: keep the [`shared_ssh::Closing`] until
/// the run's end, whose last local steps overlap it.
pub fn transfer(
    syncer: &Syncer<'_>,
    profile: &Profile,
    req: Request,
    dry_run: bool,
    observer: &mut dyn RunObserver,
) -> (TransferOutcome, PlanSummary, Option<shared_ssh::Closing>) {
    let shared = match (&profile.source, &syncer.tools().ssh) {
        (crate::config::Source::Ssh(src), Some(ssh)) => shared_ssh::SharedSsh::new(ssh, src),
        _ => None,
    };
    let master = shared.as_ref().map(shared_ssh::SharedSsh::master_options).unwrap_or_default();
    let client = shared.as_ref().map(shared_ssh::SharedSsh::client_options).unwrap_or_default();
    let listing = listing::list(profile, syncer.tools(), observer, &master);
    match &listing {
        Ok(l) => log::debug!(
            "profile {}: the collector lists {} top-level and date-level entries; its clock reads {}",
            profile.name,
            l.entries.len(),
            l.remote_now.format("%Y-%m-%d %H:%M:%SZ")
        ),
        Err(why) => log::debug!("profile {}: no listing: {why}", profile.name),
    }
    // The quick check's walk also finds the files younger than min_age, by the listing's clock.
    let young_since = match (&listing, profile.min_age.is_zero()) {
        (Ok(l), false) => Some(min_age::young_since(l.remote_now.timestamp(), profile.min_age)),
        _ => None,
    };
    // Where files land checked and rsync keeps their times, the landing area
    // holds back the young ones by that clock: a run whose planner walks no
    // files (a full run) then needs no walk of the collector for min_age.
    let young_at_landing = match (young_since, syncer.landing()) {
        (Some(since), Some(landing)) if profile.preserves_times() => {
            landing.drop_younger_than(since);
            true
        }
        _ => false,
    };
    let absorbed = absorbed::Absorbed::load(profile);
    let mut plan = window::decide(profile, listing.as_ref().map_err(String::as_str), req, &absorbed);
    drop(listing);
    let remote = (client.as_slice(), young_since);
    let mut checked = leave_out_unchanged(syncer, profile, &mut plan, (&absorbed, !dry_run), remote, observer);
    let (excludes, note) = match (&mut checked, plan.mode) {
        (Some(c), _) => (std::mem::take(&mut c.excludes), None),
        (None, SyncMode::Window) => {
            absorbed_run::by_name(&absorbed, plan.selection.iter().flatten().map(|u| u.path.as_slice()))
        }
        (None, SyncMode::Full) => absorbed_run::full_run_excludes(syncer, profile, &plan, &absorbed, &client, observer),
    };
    let mut summary = PlanSummary {
        mode: plan.mode,
        full_sync_reason: plan.full_reason.clone(),
        partitions_covered: plan.partitions_covered,
        partitions_unchanged: checked.as_ref().map_or(0, |c| c.partitions_unchanged),
        files_missed_by_window: None,
        streams: 1,
        buckets: 1,
    };
    let exclude_file = match excludes.is_empty() {
        true => None,
        false => match absorbed::write_excludes(&excludes) {
            Ok(f) => Some(f),
            Err(e) => return (TransferOutcome::not_started(e), summary, None),
        },
    };
    let with_excludes = exclude_file.as_ref().map(|f| syncer.with_exclude_from(f.path().to_path_buf()));
    let syncer = with_excludes.as_ref().unwrap_or(syncer);
    let count = plan.mode == SyncMode::Full && req.last_full_sync.is_some() && plan.all_units.is_some();
    // Counting late arrivals takes the name of each file rsync transfers.
    let naming = count.then(|| syncer.naming_files());
    let syncer = naming.as_ref().unwrap_or(syncer);
    let mut counting = Counting { inner: observer, outside: &plan.outside_window, missed: 0 };
    let mut outcome = match &checked {
        // Every file of the window is in the lake: no rsync, no second file list.
        Some(c) if c.selection.is_empty() => TransferOutcome::up_to_date(c.files_compared, c.bytes_compared),
        _ => {
            let young = checked.as_mut().and_then(|c| c.young.take()).or_else(|| young_at_landing.then(Vec::new));
            let named = checked.as_mut().and_then(|c| c.files.take());
            let sized = checked.map(|c| c.selection);
            let mut how = Run { today: req.lake_today, dry_run, shared_ssh: &client, young, named };
            run_plan(syncer, profile, &plan, &mut how, sized, &mut counting, &mut summary)
        }
    };
    // The master exits while the run's last local steps go on.
    let closing = shared.map(shared_ssh::SharedSsh::close);
    if count {
        summary.files_missed_by_window = Some(counting.missed);
        if counting.missed > 0 {
            outcome.warnings.push(format!(
                "this full sync found {} file(s) in partitions older than the window ({} days) that earlier windowed runs could not see (late arrivals); consider a larger window_days",
                counting.missed, profile.window_days
            ));
        }
    }
    outcome.warnings.extend(plan.warnings.iter().cloned());
    outcome.warnings.extend(note);
    if outcome.status == SyncStatus::Interrupted && outcome.error.is_none() {
        outcome.error = Some(Error::Interrupted { profile: profile.name.clone(), operation: "sync".into() });
    }
    (outcome, summary, closing)
}

/// A windowed run's quick check: units whose files are all in the lake
/// already are left out. If the check fails, the whole window goes (and the
/// reason is logged): it only ever saves work.
fn leave_out_unchanged(
    syncer: &Syncer<'_>,
    profile: &Profile,
    plan: &mut Plan,
    absorbed: (&absorbed::Absorbed, bool),
    remote: (&[String], Option<i64>),
    observer: &mut dyn RunObserver,
) -> Option<quick_check::Checked> {
    let selection = plan.selection.take()?;
    match quick_check::check(profile, syncer.tools(), remote, selection.clone(), absorbed, observer) {
        Ok(checked) => {
            log::info!(
                "profile {}: quick check compared {} file(s); {} of {} window partition(s) unchanged",
                profile.name,
                checked.files_compared,
                checked.partitions_unchanged,
                plan.partitions_covered
            );
            for s in &checked.selection {
                log::debug!(
                    "profile {}: {} goes to rsync: {} file(s), {} differ from the lake",
                    profile.name,
                    String::from_utf8_lossy(&s.unit.path),
                    s.files,
                    crate::vocab::units::human_size(s.bytes)
                );
            }
            if checked.selection.is_empty() {
                log::debug!("profile {}: every file of the window is in the lake; rsync is not started", profile.name);
            }
            plan.selection = Some(checked.selection.iter().map(|s| s.unit.clone()).collect());
            Some(checked)
        }
        Err(why) => {
            log::info!("profile {}: no quick check ({why}); the whole window goes to rsync", profile.name);
            plan.selection = Some(selection);
            None
        }
    }
}

/// How a plan runs: the lake's today (retention), dry or not, the shared
/// connection's ssh options, the young files the quick check found, and the
/// files it found differing, by name (see `quick_check::Checked::files`).
struct Run<'a> {
    today: NaiveDate,
    dry_run: bool,
    shared_ssh: &'a [String],
    young: Option<Vec<Vec<u8>>>,
    named: Option<Vec<Vec<u8>>>,
}

/// Run the plan: one rsync, or buckets over parallel streams. `sized`: the
/// window's units with what would move in each, when the quick check ran.
fn run_plan(
    syncer: &Syncer<'_>,
    profile: &Profile,
    plan: &Plan,
    how: &mut Run<'_>,
    sized: Option<Vec<buckets::Sized>>,
    observer: &mut dyn RunObserver,
    summary: &mut PlanSummary,
) -> TransferOutcome {
    let Run { today, dry_run, shared_ssh, .. } = *how;
    let scope =
        |units: Option<Vec<Vec<u8>>>| Scope { units, ssh_options: shared_ssh.to_vec(), young: how.young.clone() };
    let units = match plan.mode {
        SyncMode::Window => plan.selection.clone(),
        // A full run over several streams splits the whole tree; nested
        // layouts go by year directory, so stray files in them are kept.
        SyncMode::Full if profile.parallel > 1 => plan.all_units.as_ref().map(|all| by_top_level(all)),
        SyncMode::Full => None,
    };
    let failed_start = |e: std::io::Error| {
        TransferOutcome::not_started(Error::io_default("write a file list in", std::env::temp_dir(), e))
    };
    let Some(units) = units else {
        let argv = shared_ssh::with_ssh_options(syncer.argv(dry_run, today), shared_ssh);
        let whole_tree = scope(None);
        return syncer.run_argv(&argv, &whole_tree, today, observer);
    };
    let mut note = None;
    if profile.parallel > 1 && units.len() > 1 {
        let sized = match sized {
            Some(sized) => Ok(sized),
            None => size_units(syncer, profile, units.clone(), how, observer),
        };
        match sized {
            // Work in at most one unit: one rsync does it without N ssh handshakes.
            Ok(sized) if sized.iter().filter(|s| s.files > 0).count() <= 1 => {}
            Ok(sized) => {
                let busy = sized.iter().filter(|s| s.files > 0).count();
                let streams = (profile.parallel as usize).min(busy);
                let split = buckets::split(sized, streams, buckets::MAX_FILES_PER_BUCKET);
                let planned: u64 = split.iter().map(|b| b.bytes).sum();
                let mut lists = Vec::new();
                for b in &split {
                    match buckets::write_list(&b.paths) {
                        Ok(l) => lists.push(l),
                        Err(e) => return failed_start(e),
                    }
                }
                let argvs: Vec<_> = lists
                    .iter()
                    .zip(&split)
                    .map(|(l, b)| {
                        (syncer.argv_with(dry_run, today, Some(l.path().to_path_buf())), scope(Some(b.paths.clone())))
                    })
                    .collect();
                summary.buckets = split.len() as u32;
                summary.streams = (profile.parallel as usize).min(split.len()) as u32;
                log::info!(
                    "profile {}: {} bucket(s) over {} stream(s)",
                    profile.name,
                    summary.buckets,
                    summary.streams
                );
                return streams::run(syncer, &argvs, (summary.streams as usize, today), planned, observer);
            }
            Err(e) => {
                log::warn!("profile {}: cannot split the run into streams ({e}); using one", profile.name);
                note = Some(format!("the run could not be split into {} streams ({e}); it used one", profile.parallel));
            }
        }
    }
    // One rsync: the differing files by name when the quick check has them,
    // so rsync lists and probes those alone, else the units.
    let paths: Vec<Vec<u8>> = match how.named.take() {
        Some(named) => named,
        None => units.into_iter().map(|u| u.path).collect(),
    };
    let list = match buckets::write_list(&paths) {
        Ok(l) => l,
        Err(e) => return failed_start(e),
    };
    let argv = syncer.argv_with(dry_run, today, Some(list.path().to_path_buf()));
    let argv = shared_ssh::with_ssh_options(argv, shared_ssh);
    let mut outcome = syncer.run_argv(&argv, &scope(Some(paths)), today, observer);
    outcome.warnings.extend(note);
    outcome
}

/// What would move in each unit, for balancing buckets: one find on the
/// collector (the quick check's), else an rsync dry run.
fn size_units(
    syncer: &Syncer<'_>,
    profile: &Profile,
    units: Vec<window::Unit>,
    how: &Run<'_>,
    observer: &mut dyn RunObserver,
) -> Result<Vec<buckets::Sized>, String> {
    match quick_check::measure(profile, syncer.tools(), how.shared_ssh, &units, Default::default(), observer) {
        Ok(m) => Ok(units
            .into_iter()
            .zip(m.moving)
            .map(|(unit, (files, bytes))| buckets::Sized { unit, bytes, files })
            .collect()),
        Err(why) => {
            log::info!("profile {}: sizing with find failed ({why}); sizing with an rsync dry run", profile.name);
            let excludes = syncer.expired_excludes(how.today);
            buckets::measure(syncer.tools(), profile, units, &excludes, how.shared_ssh)
        }
    }
}

/// Units for a parallel full run: top-level entries, nested layouts by year.
fn by_top_level(all: &[window::Unit]) -> Vec<window::Unit> {
    let mut out: Vec<window::Unit> = Vec::new();
    for u in all {
        match u.path.iter().position(|b| *b == b'/') {
            None => out.push(u.clone()),
            Some(at) => {
                let top = u.path[..at].to_vec();
                if !out.iter().any(|o| o.path == top) {
                    out.push(window::Unit { path: top, dated: false });
                }
            }
        }
    }
    out
}

/// `last_full_sync_time` after a run: set by a successful full run only (a
/// partial or interrupted one may have missed late files, so the next run is full again).
pub fn last_full_after(
    previous: Option<DateTime<Utc>>,
    summary: &PlanSummary,
    status: SyncStatus,
    started: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if summary.mode == SyncMode::Full && status.run_effect() == RunEffect::Success {
        Some(started)
    } else {
        previous
    }
}
