//! The window's quick check: drop the units in which every collector file
//! already has a lake copy of the same size and modification time.
//!
//! rsync decides the same thing per file (its "quick check"), but only after
//! building and sending the whole file list and, on the receiver, probing every
//! file and its relative `--partial-dir` twin: on a no-op window of 20,000
//! files that is most of the run. Here `find` on the collector prints
//! `size mtime path` for the files of the window's units (over the run's
//! shared ssh connection, in two parts side by side), and each is
//! compared with one `lstat` in the lake (module `lake_compare`), or, for a
//! partition found whole last time and unchanged since, by the memory of that
//! check ([`super::verified`]).
//! A unit whose files all match is left out of the run; any other difference,
//! a file missing here, a listing that fails or cannot be read keeps the unit
//! (or the whole selection) in, so the check can only save work, never skip a
//! file rsync would have copied:
//!
//! - Regular files only, as rsync without `-l`; files in a `.rsync-partial`
//!   directory are left out, as rsync excludes them.
//! - Files a `min_age` exclude holds back are missing here, so their unit
//!   stays in (and rsync excludes them again).
//! - Files only in the lake do not matter: the run never deletes.
//! - Times compare to the second, and to the nanosecond when the lake's copy
//!   has nanoseconds (rsync 3.1+ sets them on both sides).
//!
//! - A file the profile's Delta table absorbed with the same size and mtime
//!   counts as in the lake ([`super::absorbed`]); in a unit that still goes to
//!   rsync such files are excluded one by one (`Checked::excludes`), and a
//!   compacted partition whose raw directory is gone is not "missing".
//!
//! The same walk also finds the files younger than `min_age` (their mtimes
//! against the listing's clock, [`Checked::young`]): the run's first attempt
//! excludes them without walking the window a second time.
//!
//! Needs GNU find (`-printf`) and `xargs -0` on the collector; without them the
//! listing fails and the run transfers the whole window, as before.

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Profile, Source};
use crate::rsync::failure::stderr_tail;
use crate::rsync::process::RunObserver;
use crate::rsync::tools::Tools;

use super::absorbed::{file_pattern, Absorbed, AbsorbedFiles};
use super::buckets::Sized;
use super::lake_compare::{compare, Shared, Walk};
pub use super::lake_compare::{Measured, NAMED_FILES_CAP};
use super::verified::Verified;
use super::window::Unit;
use crate::collector::remote;

/// The check gives up (and the run transfers the whole window) after this.
const CHECK_DEADLINE: Duration = Duration::from_secs(300);

/// The window's units are walked in this many parts side by side (each a
/// `find` of its own over the shared connection): the walk is one `stat` per
/// file on the collector, and a collector with two cores does two at once.
/// A collector with one core takes the same time as one walk.
const WALKS: usize = 2;

/// What the check found.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The units the run still transfers, in the selection's order, each with
    /// the files and bytes that differ from the lake (what rsync would move).
    pub selection: Vec<Sized>,
    /// Dated partitions left out because nothing in them changed.
    pub partitions_unchanged: u64,
    /// Collector files compared with their lake copies.
    pub files_compared: u64,
    /// Their bytes.
    pub bytes_compared: u64,
    /// Exclude patterns for the files of the kept units that the table
    /// absorbed unchanged (rsync would fetch them again).
    pub excludes: Vec<Vec<u8>>,
    /// Files modified after the `young_since` time the check was given
    /// (younger than `min_age`), relative to remote_root; `None` without one.
    pub young: Option<Vec<Vec<u8>>>,
    /// What rsync gets instead of the kept units, when the differing files
    /// number at most [`NAMED_FILES_CAP`]: each differing file by name, and
    /// a kept unit with none (one missing here, empty) by its own name.
    pub files: Option<Vec<Vec<u8>>>,
}

/// The script run on the collector: NUL-separated `./unit` names on stdin,
/// `size mtime ./path` NUL-terminated records on stdout.
///
/// Nothing is pruned: the units are the window's, never expired, and GNU
/// find tests `-name` before `-type`, so a pattern is matched against every
/// file name (each retention pattern, or just `.rsync-partial`, which cost a
/// tenth of the walk). Files in a `.rsync-partial` directory are left out
/// when the records are read ([`in_partial_dir`]). A file of an expired
/// directory nested in an undated unit is missing here, so that unit goes to
/// rsync, which excludes it.
fn script(remote_root: &str) -> String {
    let inner = "exec find \"$@\" -type f -printf '%s %T@ %p\\0'";
    format!(
        "cd -- {} || exit 97; LC_ALL=C; export LC_ALL; exec xargs -0 sh -c {} sh",
        shell_words::quote(remote_root),
        shell_words::quote(inner)
    )
}

/// Run the quick check over `selection`; `Err` says why it could not (the
/// caller then keeps the whole selection). `ssh_options`: the shared
/// connection's; `young_since`: list the files modified after it (seconds
/// since the epoch, see `min_age::young_since`).
pub fn check(
    profile: &Profile,
    tools: &Tools,
    (ssh_options, young_since): (&[String], Option<i64>),
    selection: Vec<Unit>,
    (absorbed, remember): (&Absorbed, bool),
    observer: &mut dyn RunObserver,
) -> Result<Checked, String> {
    let files = absorbed.files_in(selection.iter().map(|u| u.path.as_slice())).map_err(|e| e.to_string())?;
    let memory = Arc::new(Verified::load(profile));
    let walk = Walk { absorbed: files, since: young_since, memory: Some(Arc::clone(&memory)) };
    let mut measured = measure_with(profile, tools, ssh_options, &selection, walk, observer)?;
    if remember {
        memory.save(profile, std::mem::take(&mut measured.verified));
    }
    let mut partitions_unchanged = 0;
    let mut kept = Vec::new();
    let mut kept_slots = Vec::new();
    for (slot, (unit, (files, bytes))) in selection.into_iter().zip(measured.moving).enumerate() {
        // A unit not in the lake yet goes even when empty (rsync creates it);
        // a compacted one whose raw directory is gone is in the lake.
        let missing =
            !profile.local_dir.join(std::ffi::OsStr::from_bytes(&unit.path)).exists() && !absorbed.holds(&unit.path);
        if files > 0 || missing {
            kept.push(Sized { unit, bytes, files });
            kept_slots.push(slot);
        } else if unit.dated {
            partitions_unchanged += 1;
        }
    }
    let files = measured.differing.map(|differing| {
        let mut named: Vec<Vec<u8>> = Vec::new();
        let mut by_slot = differing.into_iter().peekable();
        for (sized, slot) in kept.iter().zip(&kept_slots) {
            if sized.files == 0 {
                named.push(sized.unit.path.clone());
            }
            // Records arrive unit by unit, but not necessarily in slot order: take this slot's.
            while by_slot.peek().is_some_and(|(s, _)| s < slot) {
                by_slot.next();
            }
            while let Some((_, path)) = by_slot.next_if(|(s, _)| s == slot) {
                named.push(path);
            }
        }
        named
    });
    let excludes = measured
        .absorbed
        .iter()
        .filter(|(slot, _)| kept_slots.binary_search(slot).is_ok())
        .map(|(_, path)| file_pattern(path))
        .collect();
    Ok(Checked {
        selection: kept,
        partitions_unchanged,
        files_compared: measured.files_compared,
        bytes_compared: measured.bytes_compared,
        excludes,
        young: young_since.map(|_| measured.young),
        files,
    })
}

/// For each of `units`, the collector files that differ from the lake (missing
/// there, other size or mtime): what rsync would move. Also sizes a parallel
/// run's buckets, at the cost of one `find` instead of an rsync dry run.
pub fn measure(
    profile: &Profile,
    tools: &Tools,
    ssh_options: &[String],
    units: &[Unit],
    absorbed: AbsorbedFiles,
    observer: &mut dyn RunObserver,
) -> Result<Measured, String> {
    measure_with(profile, tools, ssh_options, units, Walk { absorbed, since: None, memory: None }, observer)
}

fn measure_with(
    profile: &Profile,
    tools: &Tools,
    ssh_options: &[String],
    units: &[Unit],
    walk: Walk,
    observer: &mut dyn RunObserver,
) -> Result<Measured, String> {
    if units.is_empty() {
        // (xargs would run find once, on the whole tree.)
        return Ok(Measured::empty(0));
    }
    let remote_root = match &profile.source {
        Source::Ssh(src) => src.remote_root.clone(),
        Source::Local { remote_root } => remote_root.display().to_string(),
    };
    let index: HashMap<Vec<u8>, usize> = units.iter().enumerate().map(|(slot, u)| (u.path.clone(), slot)).collect();
    let paths: Vec<Vec<u8>> = units.iter().map(|u| u.path.clone()).collect();
    let shared = Arc::new(Shared { local: profile.local_dir.clone(), index, paths, walk });
    let mut jobs: Vec<(_, _, remote::Reader<Result<Measured, String>>)> = Vec::new();
    for part in units.chunks(units.len().div_ceil(WALKS)) {
        let mut input = Vec::new();
        for unit in part {
            input.extend_from_slice(b"./");
            input.extend_from_slice(&unit.path);
            input.push(0);
        }
        let cmd = remote::command(profile, tools.ssh.as_deref(), ssh_options, &script(&remote_root))?;
        let shared = Arc::clone(&shared);
        jobs.push((cmd, input, Box::new(move |out| compare(out, &shared))));
    }
    let mut measured: Option<Measured> = None;
    for done in remote::run_all(jobs, observer, CHECK_DEADLINE).map_err(|e| e.to_string())? {
        let part = done.stdout?;
        if !done.status.success() {
            let code = done.status.code().map_or("a signal".to_string(), |c| format!("exit {c}"));
            return Err(format!("find on the collector failed ({code}): {}", stderr_tail(&done.stderr, 3)));
        }
        measured = Some(match measured {
            Some(m) => m.add(part),
            None => part,
        });
    }
    measured.ok_or_else(|| "the quick check ran no walk".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_quotes_the_root_and_partial_dirs_are_left_out() {
        let s = script("/data/it's here");
        assert!(s.starts_with("cd -- '/data/it'\\''s here' || exit 97;"), "{s}");
        assert!(s.contains("xargs -0 sh -c"), "{s}");
        assert!(!s.contains("-name"), "no pattern is matched against every file: {s}");
        assert!(s.contains("%s %T@ %p"), "{s}");
    }
}
