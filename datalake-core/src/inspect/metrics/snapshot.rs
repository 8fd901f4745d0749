//! What the metric families read for one profile: its checkpoint, counters
//! and one stats walk of its part of the lake.

use chrono::NaiveDate;

use crate::config::{Profile, Timezone};
use crate::inspect::lake_index::LakeIndex;
use crate::inspect::stats::{self, ProfileStats};
use crate::state::checkpoint::Checkpoint;
use crate::vocab::counters::Counters;
use crate::vocab::error::Result;

/// Everything the families read for one profile.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Profile name (the `profile` label).
    pub profile: String,
    /// Whether `sync --all` syncs it.
    pub enabled: bool,
    /// The calendar its partition dates are in.
    pub timezone: Timezone,
    /// Its checkpoint, if one was written.
    pub checkpoint: Option<Checkpoint>,
    /// Cumulative counters (seeded from an old checkpoint when needed).
    pub counters: Counters,
    /// What is in its part of the lake; `None` when that could not be read.
    pub stats: Option<ProfileStats>,
}

impl Snapshot {
    /// Read the lake (one stats walk) and combine it with `checkpoint`. A
    /// lake that cannot be read leaves its families out and gives a warning.
    pub fn collect(profile: &Profile, checkpoint: Option<Checkpoint>, today: NaiveDate) -> (Snapshot, Option<String>) {
        let (stats, warning) = match stats::collect(profile, checkpoint.as_ref(), today) {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(lake_unread(profile, &e))),
        };
        (Snapshot::new(profile, checkpoint, stats), warning)
    }

    /// [`Snapshot::collect`] after a run: with [`Walk::Changed`], partitions
    /// unchanged since the last walk are not read again (their tallies come
    /// from the lake index beside the checkpoint, which this call rewrites).
    pub fn collect_after_run(
        profile: &Profile,
        checkpoint: Option<Checkpoint>,
        today: NaiveDate,
        walk: Walk,
    ) -> (Snapshot, Vec<String>) {
        let previous = match walk {
            Walk::Changed => LakeIndex::load(profile),
            Walk::Everything => None,
        };
        let walked = walk_indexed(profile, checkpoint.as_ref(), today, previous);
        Snapshot::after_walk(profile, checkpoint, walked)
    }

    /// [`Snapshot::collect_after_run`] with [`Walk::Changed`] for a run that
    /// changed nothing in the lake: the walk `ahead` made while it went on
    /// says what a walk now would, and the run's record (`checkpoint`) is
    /// added to it. If that walk did not start or died, the lake is walked now.
    pub fn collect_read_ahead(
        profile: &Profile,
        checkpoint: Option<Checkpoint>,
        today: NaiveDate,
        ahead: ReadAhead,
    ) -> (Snapshot, Vec<String>) {
        let walked = match ahead.wait() {
            Some(walked) => walked.map(|mut read| {
                read.stats.set_last_run(checkpoint.as_ref());
                read
            }),
            None => walk_indexed(profile, checkpoint.as_ref(), today, LakeIndex::load(profile)),
        };
        Snapshot::after_walk(profile, checkpoint, walked)
    }

    /// The snapshot of a walk after (or during) a run; its index is saved
    /// when it changed (a no-op run reuses every tally: the saved index
    /// still says it all).
    fn after_walk(
        profile: &Profile,
        checkpoint: Option<Checkpoint>,
        walked: Result<Indexed>,
    ) -> (Snapshot, Vec<String>) {
        let mut warnings = Vec::new();
        let stats = match walked {
            Ok(read) => {
                warnings.extend(read.save_index(profile));
                Some(read.stats)
            }
            Err(e) => {
                warnings.push(lake_unread(profile, &e));
                None
            }
        };
        (Snapshot::new(profile, checkpoint, stats), warnings)
    }

    fn new(profile: &Profile, checkpoint: Option<Checkpoint>, stats: Option<ProfileStats>) -> Snapshot {
        let counters = checkpoint.as_ref().map(Checkpoint::counters).unwrap_or_default();
        Snapshot {
            profile: profile.name.clone(),
            enabled: profile.enabled,
            timezone: profile.timezone,
            checkpoint,
            counters,
            stats,
        }
    }

    /// The checkpoint when it records a finished run.
    pub(super) fn last_run(&self) -> Option<&Checkpoint> {
        self.checkpoint.as_ref().filter(|c| c.last_sync_status.is_some())
    }
}

/// The metrics walk of a windowed run, made while the run goes on (on a
/// thread of its own, mostly while the collector answers): an hourly run that
/// finds nothing to fetch then writes its metrics without walking the lake
/// after the run. Only for a run that then leaves the lake as it was: any
/// other walks again after the run ([`Walk::Changed`]). Dropping it waits for
/// the walk, so nothing reads the lake once the run has returned.
pub struct ReadAhead {
    walk: Option<std::thread::JoinHandle<Result<Indexed>>>,
}

/// A walk of the lake that read only what changed since `previous` (the
/// saved lake index), and the index it leaves.
struct Indexed {
    stats: ProfileStats,
    index: LakeIndex,
    /// The index differs from the saved one (save it).
    index_changed: bool,
}

fn walk_indexed(
    profile: &Profile,
    checkpoint: Option<&Checkpoint>,
    today: NaiveDate,
    previous: Option<LakeIndex>,
) -> Result<Indexed> {
    let (stats, _, index) = stats::collect_indexed(profile, checkpoint, today, previous.as_ref())?;
    let index_changed = previous.is_none_or(|p| p.partitions != index.partitions);
    Ok(Indexed { stats, index, index_changed })
}

impl Indexed {
    /// Save the index when it changed; the warning of a failed save.
    fn save_index(&self, profile: &Profile) -> Option<String> {
        self.index_changed.then(|| self.index.save(profile).err()).flatten()
    }
}

impl ReadAhead {
    /// Start the walk of `profile`'s part of the lake, as [`Walk::Changed`]
    /// does it (partitions unchanged since the lake index are not read).
    pub fn start(profile: &Profile, today: NaiveDate) -> ReadAhead {
        let profile = profile.clone();
        let walk = std::thread::Builder::new()
            .name("metrics-read-ahead".into())
            .spawn(move || walk_indexed(&profile, None, today, LakeIndex::load(&profile)));
        match walk {
            Ok(handle) => ReadAhead { walk: Some(handle) },
            Err(e) => {
                log::info!("no metrics walk during the run ({e}): the lake is walked after it");
                ReadAhead { walk: None }
            }
        }
    }

    /// One whose thread could not be started.
    #[cfg(test)]
    pub(super) fn not_started() -> ReadAhead {
        ReadAhead { walk: None }
    }

    /// Wait for the walk; `None` when it did not start or panicked.
    fn wait(mut self) -> Option<Result<Indexed>> {
        self.walk.take()?.join().ok()
    }

    /// For a run that changed the lake: wait for the walk and save the lake
    /// index it made when that differs from the saved one, so that the walk
    /// after the run reads only the partitions the run changed (their
    /// directories' mtimes moved) instead of everything the index lacked.
    /// Returns the warning of a failed save.
    pub fn keep_index(self, profile: &Profile) -> Option<String> {
        self.wait()?.ok()?.save_index(profile)
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        if let Some(walk) = self.walk.take() {
            let _ = walk.join();
        }
    }
}

/// How much of the lake a run's metrics read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Everything (a full sync: it also corrects any drift of the index).
    Everything,
    /// What changed since the last walk (a windowed sync, a cleanup).
    Changed,
}

fn lake_unread(profile: &Profile, e: &crate::vocab::error::Error) -> String {
    format!("metrics of profile {} leave out the lake's size: {e}", profile.name)
}
