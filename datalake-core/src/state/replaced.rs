//! Earlier versions of files a sync replaced: kept when the new version lost
//! rows (profile key `on_rewrite`).
//!
//! A collector that restarts may write `part_00001.parquet` again with other
//! rows; rsync would copy the new version over the lake's, and the earlier
//! rows would be gone from the lake too. So, unless `on_rewrite: replace`:
//!
//! 1. Every rsync attempt runs with `--backup --backup-dir=` a fresh
//!    directory `.datalake-replaced/.incoming/<attempt>/` ([`staging_name`]);
//!    when files land checked ([`super::landing`]), the landing step does
//!    the same link-then-rename for each file it moves into place.
//!    rsync then, for each file it is about to replace, hard-links the lake's
//!    copy there and only then renames the new version over the real name
//!    (strace of rsync 3.5: `linkat`, then `renameat`; since 3.1 its
//!    `finish_transfer` calls `make_backup(fname, prefer_rename = False)`,
//!    which links, or copies where links fail, and never renames the file away).
//!    Only replaced files land there: a run that replaces nothing costs
//!    nothing, and new files are never looked at.
//! 2. After the transfer (and the landing check), [`settle`] decides for each
//!    earlier version, with [`crate::local::growth`]: a growth (the new
//!    version holds all its rows) is deleted; a rewrite is renamed to
//!    `.datalake-replaced/<partition>/<name>.<UTC time>` ([`kept_name`]),
//!    the time being when the attempt replaced it. `keep` keeps every earlier
//!    version without comparing.
//!
//! A kill -9 at any moment leaves the earlier version either under its real
//! name (rsync had not replaced it yet), in the attempt's directory (the next
//! run settles it first, against whatever is then under the real name), or
//! kept: never nowhere. Each attempt has its own directory because rsync
//! replaces an older backup of the same name in its backup directory.
//!
//! A version whose real name is gone after the run was quarantined (the new
//! version failed the Parquet check: the earlier one goes back under its name,
//! so readers keep its rows) or deleted by a user's `--delete` (deleted, as
//! rsync would have). A file the user changed in the lake is an earlier
//! version like any other: kept unless the collector's version contains it.
//!
//! The folder is excluded from rsync, walked apart by stats (`kept_versions`,
//! `kept_bytes`), skipped by verify and coverage; retention deletes its dated
//! directories with the partitions they came from (the cleaner finds them
//! like any partition). Readers find them with [`list_kept`].

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::{OnRewrite, Profile};
use crate::local::growth::{self, Verdict};
use crate::vocab::error::{Error, Result};
use crate::vocab::names::{QUARANTINE_DIR, REPLACED_DIR, STAGING_DIR};

/// How many kept files a warning names.
pub const NAMED_IN_WARNING: usize = 3;

/// One earlier version a run kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeptVersion {
    /// The file's real name, relative to the profile directory.
    pub path: PathBuf,
    /// Where the earlier version now is.
    pub kept_as: PathBuf,
    /// Why it was kept (what differs, or `on_rewrite: keep`).
    pub reason: String,
}

/// What settling the earlier versions of a run did.
#[derive(Debug, Default)]
pub struct Settled {
    /// Earlier versions kept (rewrites; every one with `on_rewrite: keep`).
    pub kept: Vec<KeptVersion>,
    /// Replaced files whose new version holds all the earlier rows (no copy kept).
    pub grown: u64,
    /// Earlier versions put back under their name because the new version was quarantined.
    pub restored: Vec<PathBuf>,
    /// What could not be done (the earlier version then stays where it is).
    pub errors: Vec<String>,
}

/// [`settle`] for a sync of `profile`: nothing on a dry run (rsync staged
/// nothing); what cannot be done becomes a warning (the earlier versions stay
/// staged, and the next run settles them).
pub fn settle_run(profile: &Profile, dry_run: bool) -> Settled {
    if dry_run {
        return Settled::default();
    }
    settle(&profile.local_dir, profile.on_rewrite).unwrap_or_else(|e| Settled {
        errors: vec![format!("settling the earlier versions of replaced files failed: {e}")],
        ..Settled::default()
    })
}

impl Settled {
    /// Add what a later settling did.
    pub fn absorb(&mut self, other: Settled) {
        self.kept.extend(other.kept);
        self.grown += other.grown;
        self.restored.extend(other.restored);
        self.errors.extend(other.errors);
    }

    /// Whether settling found nothing to do (it changed nothing in the lake).
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty() && self.grown == 0 && self.restored.is_empty() && self.errors.is_empty()
    }

    /// The report's warnings: the kept files, the restored ones, the errors.
    pub fn warnings(&self) -> Vec<String> {
        let restored = self.restored.iter().map(|p| {
            format!(
                "{} was put back: its new version failed the Parquet check, the earlier one is kept under its name",
                p.display()
            )
        });
        self.warning().into_iter().chain(restored).chain(self.errors.iter().cloned()).collect()
    }

    /// The warning naming the first kept files, if any were kept.
    pub fn warning(&self) -> Option<String> {
        let first = self.kept.first()?;
        let n = self.kept.len();
        let names: Vec<String> =
            self.kept.iter().take(NAMED_IN_WARNING).map(|k| k.path.display().to_string()).collect();
        Some(format!(
            "{n} file{} the lake already had {} replaced by a version without all of {} rows; the earlier version{} kept in {}/ ({}{}; first: {})",
            if n == 1 { "" } else { "s" },
            if n == 1 { "was" } else { "were" },
            if n == 1 { "its" } else { "their" },
            if n == 1 { " is" } else { "s are" },
            REPLACED_DIR,
            names.join(", "),
            if n > NAMED_IN_WARNING { ", ..." } else { "" },
            first.reason
        ))
    }
}

/// The name of one attempt's backup directory, below
/// `.datalake-replaced/.incoming/`: sortable by time, unique per process and attempt.
pub fn staging_name(now: DateTime<Utc>, attempt: u32) -> String {
    format!("{}-p{}-a{attempt}", now.format("%Y%m%dT%H%M%S%.9fZ"), std::process::id())
}

/// rsync's `--backup-dir` for an attempt, relative to the profile directory.
pub fn staging_dir(now: DateTime<Utc>, attempt: u32) -> String {
    format!("{REPLACED_DIR}/{STAGING_DIR}/{}", staging_name(now, attempt))
}

/// `<name>.<YYYYMMDDTHHMMSSZ>`: the kept name of `name` replaced at the time
/// `stamp` starts with (a [`staging_name`]).
pub fn kept_name(name: &str, stamp: &str) -> String {
    let seconds = stamp.get(..15).unwrap_or(stamp);
    format!("{name}.{seconds}Z")
}

/// One earlier version in the kept folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeptFile {
    /// The real name it was kept for, relative to the profile directory.
    pub original: PathBuf,
    /// When it was replaced (`YYYYMMDDTHHMMSSZ`).
    pub replaced_at: String,
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
}

/// Split a kept file name into the real name and the time: `name.<stamp>` or
/// `name.<stamp>.<n>` (a second version kept in the same second).
pub fn parse_kept_name(kept: &str) -> Option<(&str, &str)> {
    let is_stamp = |s: &str| {
        s.len() == 16 && s.as_bytes()[8] == b'T' && s.ends_with('Z') && s[..8].bytes().all(|b| b.is_ascii_digit())
    };
    let (head, last) = kept.rsplit_once('.')?;
    if is_stamp(last) {
        return Some((head, last));
    }
    let (name, stamp) = head.rsplit_once('.')?;
    (last.bytes().all(|b| b.is_ascii_digit()) && is_stamp(stamp)).then_some((name, stamp))
}

/// Every kept version of the profile at `local_dir` (not the ones a run has
/// not settled yet), sorted by path. A missing folder is an empty list.
pub fn list_kept(local_dir: &Path) -> Result<Vec<KeptFile>> {
    let root = local_dir.join(REPLACED_DIR);
    let mut out = Vec::new();
    let walk = walkdir::WalkDir::new(&root).follow_links(false).sort_by_file_name();
    for entry in walk.into_iter().filter_entry(|e| !(e.depth() == 1 && e.file_name() == STAGING_DIR)) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) if e.io_error().is_some_and(|io| io.kind() == io::ErrorKind::NotFound) => continue,
            Err(e) => {
                let path = e.path().map(Path::to_path_buf).unwrap_or_else(|| root.clone());
                return Err(Error::io_default("read directory", path, io::Error::other(e.to_string())));
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let (Some(name), Ok(rel)) = (entry.file_name().to_str(), entry.path().strip_prefix(&root)) else { continue };
        let Some((original, stamp)) = parse_kept_name(name) else { continue };
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        out.push(KeptFile {
            original: rel.with_file_name(original),
            replaced_at: stamp.to_string(),
            path: entry.path().to_path_buf(),
            size,
        });
    }
    Ok(out)
}

/// Files and bytes held by kept versions and by versions not settled yet.
pub fn usage(local_dir: &Path) -> (u64, u64) {
    let mut files = 0;
    let mut bytes = 0;
    for entry in walkdir::WalkDir::new(local_dir.join(REPLACED_DIR)).follow_links(false).into_iter().flatten() {
        if entry.file_type().is_file() {
            files += 1;
            bytes += entry.metadata().map(|m| m.len()).unwrap_or(0);
        }
    }
    (files, bytes)
}

/// Staged earlier versions by real name: (attempt directory name, path), oldest first.
type Staged = BTreeMap<PathBuf, Vec<(String, PathBuf)>>;

/// The earlier versions waiting in the attempt directories below `root`;
/// `None` when there is no `root`.
fn staged(root: &Path) -> Result<Option<Staged>> {
    let mut out = Staged::new();
    let attempts = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        // The common case, and all it costs: nothing was replaced.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io_default("read directory", root, e)),
    };
    let mut dirs: Vec<(String, PathBuf)> = Vec::new();
    for entry in attempts {
        let entry = entry.map_err(|e| Error::io_default("read directory", root, e))?;
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            dirs.push((entry.file_name().to_string_lossy().into_owned(), entry.path()));
        }
    }
    dirs.sort();
    for (stamp, dir) in dirs {
        for entry in walkdir::WalkDir::new(&dir).follow_links(false) {
            let entry = entry.map_err(|e| {
                let path = e.path().map(Path::to_path_buf).unwrap_or_else(|| dir.clone());
                Error::io_default("read directory", path, io::Error::other(e.to_string()))
            })?;
            if entry.file_type().is_file() {
                if let Ok(rel) = entry.path().strip_prefix(&dir) {
                    out.entry(rel.to_path_buf()).or_default().push((stamp.clone(), entry.path().to_path_buf()));
                }
            }
        }
    }
    Ok(Some(out))
}

/// Decide every earlier version waiting in the attempt directories of the
/// profile at `local_dir`: delete it (growth), keep it (rewrite), put it back
/// (its new version was quarantined). `Replace` settles like `Auto`: its runs
/// stage nothing, so what is there was left by earlier runs.
pub fn settle(local_dir: &Path, mode: OnRewrite) -> Result<Settled> {
    let mut out = Settled::default();
    let root = local_dir.join(REPLACED_DIR).join(STAGING_DIR);
    let Some(staged) = staged(&root)? else {
        return Ok(out);
    };
    for (rel, versions) in &staged {
        let current = local_dir.join(rel);
        for (i, (stamp, old)) in versions.iter().enumerate() {
            let newer = versions.get(i + 1).map_or(current.as_path(), |(_, p)| p.as_path());
            if i + 1 == versions.len() && std::fs::symlink_metadata(&current).is_err() {
                settle_orphan(local_dir, rel, old, &mut out);
                continue;
            }
            let reason = match mode {
                OnRewrite::Keep => "on_rewrite: keep".to_string(),
                OnRewrite::Auto | OnRewrite::Replace => match growth::judge(rel, old, newer) {
                    Ok(Verdict::Grown) => {
                        match std::fs::remove_file(old) {
                            Ok(()) => out.grown += 1,
                            Err(e) => out.errors.push(format!("cannot remove {}: {e}", old.display())),
                        }
                        continue;
                    }
                    Ok(Verdict::Rewritten(why)) => why,
                    Err(e) => format!("could not be compared with the earlier version ({e})"),
                },
            };
            match keep(local_dir, rel, stamp, old) {
                Ok(kept_as) => out.kept.push(KeptVersion { path: rel.clone(), kept_as, reason }),
                Err(e) => out.errors.push(e.to_string()),
            }
        }
    }
    // Also what a killed run left empty (an attempt directory rsync made, or one settled).
    remove_empty_dirs(&root);
    Ok(out)
}

/// The newest earlier version of a file whose real name is gone.
fn settle_orphan(local_dir: &Path, rel: &Path, old: &Path, out: &mut Settled) {
    if local_dir.join(QUARANTINE_DIR).join(rel).exists() {
        let back = local_dir.join(rel);
        if let Some(parent) = back.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        match std::fs::rename(old, &back) {
            Ok(()) => out.restored.push(rel.to_path_buf()),
            Err(e) => out.errors.push(format!("cannot put {} back as {}: {e}", old.display(), rel.display())),
        }
    } else if let Err(e) = std::fs::remove_file(old) {
        out.errors.push(format!("cannot remove {}: {e}", old.display()));
    }
}

/// Rename `old` to `.datalake-replaced/<rel's dir>/<kept name>`, never over another kept file.
fn keep(local_dir: &Path, rel: &Path, stamp: &str, old: &Path) -> Result<PathBuf> {
    let name = rel.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = local_dir.join(REPLACED_DIR).join(rel.parent().unwrap_or(Path::new("")));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io_default("create directory", &dir, e))?;
    let base = kept_name(&name, stamp);
    let mut target = dir.join(&base);
    let mut n = 1;
    while std::fs::symlink_metadata(&target).is_ok() {
        n += 1;
        target = dir.join(format!("{base}.{n}"));
    }
    std::fs::rename(old, &target).map_err(|e| {
        Error::io("keep the earlier version", old, e, "it stays where it is; the next sync tries again")
    })?;
    Ok(target)
}

/// Remove the empty directories below and including `root` (best effort).
fn remove_empty_dirs(root: &Path) {
    let walk = walkdir::WalkDir::new(root).follow_links(false).contents_first(true);
    for entry in walk.into_iter().flatten() {
        if entry.file_type().is_dir() {
            // Fails, as it should, on a directory that is not empty.
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(path: &Path, bytes: &[u8]) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn stage(root: &Path, stamp: &str, rel: &str, bytes: &[u8]) {
        put(&root.join(REPLACED_DIR).join(STAGING_DIR).join(stamp).join(rel), bytes);
    }

    #[test]
    fn names() {
        let t = DateTime::parse_from_rfc3339("2026-03-01T12:34:56.5Z").unwrap().with_timezone(&Utc);
        let stamp = staging_name(t, 2);
        assert!(stamp.starts_with("20260301T123456.500000000Z-p"), "{stamp}");
        assert!(stamp.ends_with("-a2"));
        assert_eq!(kept_name("part_00001.parquet", &stamp), "part_00001.parquet.20260301T123456Z");
        assert_eq!(
            parse_kept_name("part_00001.parquet.20260301T123456Z"),
            Some(("part_00001.parquet", "20260301T123456Z"))
        );
        assert_eq!(parse_kept_name("a.csv.20260301T123456Z.3"), Some(("a.csv", "20260301T123456Z")));
        assert_eq!(parse_kept_name("part_00001.parquet"), None);
        assert_eq!(parse_kept_name("x.2"), None);
    }

    #[test]
    fn nothing_staged_costs_one_failed_read_dir() {
        let dir = tempfile::tempdir().unwrap();
        let s = settle(dir.path(), OnRewrite::Auto).unwrap();
        assert!(s.kept.is_empty() && s.grown == 0 && s.errors.is_empty());
        assert!(!dir.path().join(REPLACED_DIR).exists());
    }

    #[test]
    fn growth_is_dropped_rewrite_kept_and_chains_compare_with_the_next_version() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        put(&root.join("x_20260301/log.csv"), b"a\nb\nc\n");
        stage(root, "20260301T100000.000000000Z-p1-a1", "x_20260301/log.csv", b"a\n");
        put(&root.join("x_20260301/notes.txt"), b"new text");
        // Two runs replaced it (the first one was killed before it settled).
        stage(root, "20260301T090000.000000000Z-p1-a1", "x_20260301/notes.txt", b"first text");
        stage(root, "20260301T100000.000000000Z-p2-a1", "x_20260301/notes.txt", b"new");
        let s = settle(root, OnRewrite::Auto).unwrap();
        assert_eq!(s.grown, 2, "log.csv grew, and `new` is a prefix of `new text`");
        assert_eq!(s.kept.len(), 1);
        let k = &s.kept[0];
        assert_eq!(k.path, Path::new("x_20260301/notes.txt"));
        assert_eq!(k.kept_as, root.join(REPLACED_DIR).join("x_20260301/notes.txt.20260301T090000Z"));
        assert!(k.reason.contains("3 bytes where the earlier version had 10"), "{}", k.reason);
        assert_eq!(std::fs::read(&k.kept_as).unwrap(), b"first text");
        assert!(!root.join(REPLACED_DIR).join(STAGING_DIR).exists());
        let kept = list_kept(root).unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].original, Path::new("x_20260301/notes.txt"));
        assert_eq!((kept[0].replaced_at.as_str(), kept[0].size), ("20260301T090000Z", 10));
        assert_eq!(usage(root), (1, 10));
        let w = s.warning().unwrap();
        assert!(
            w.starts_with("1 file the lake already had was replaced")
                && w.contains("(x_20260301/notes.txt; first: 3 bytes"),
            "{w}"
        );
    }

    #[test]
    fn empty_attempt_directories_a_killed_run_left_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(REPLACED_DIR).join(STAGING_DIR).join("20260301T100000.0Z-p1-a1/x_20260301"))
            .unwrap();
        let s = settle(root, OnRewrite::Auto).unwrap();
        assert!(s.kept.is_empty() && s.errors.is_empty());
        assert!(!root.join(REPLACED_DIR).join(STAGING_DIR).exists());
    }

    #[test]
    fn keep_keeps_everything_and_never_overwrites_a_kept_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        put(&root.join("p/a.csv"), b"a\nb\n");
        put(&root.join(REPLACED_DIR).join("p/a.csv.20260301T100000Z"), b"older");
        stage(root, "20260301T100000.500000000Z-p1-a1", "p/a.csv", b"a\n");
        let s = settle(root, OnRewrite::Keep).unwrap();
        assert_eq!((s.kept.len(), s.grown), (1, 0));
        assert_eq!(s.kept[0].kept_as, root.join(REPLACED_DIR).join("p/a.csv.20260301T100000Z.2"));
        assert_eq!(s.kept[0].reason, "on_rewrite: keep");
        assert_eq!(std::fs::read(root.join(REPLACED_DIR).join("p/a.csv.20260301T100000Z")).unwrap(), b"older");
        assert_eq!(list_kept(root).unwrap().len(), 2);
    }

    #[test]
    fn a_quarantined_new_version_gives_the_name_back_to_the_earlier_one() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        put(&root.join(QUARANTINE_DIR).join("p/a.parquet"), b"PAR1 broken");
        stage(root, "20260301T100000.000000000Z-p1-a1", "p/a.parquet", b"earlier");
        // Deleted by a user's --delete: gone, as rsync would have it.
        stage(root, "20260301T100000.000000000Z-p1-a1", "p/gone.csv", b"x");
        let s = settle(root, OnRewrite::Auto).unwrap();
        assert_eq!(s.restored, vec![PathBuf::from("p/a.parquet")]);
        assert_eq!(std::fs::read(root.join("p/a.parquet")).unwrap(), b"earlier");
        assert!(!root.join("p/gone.csv").exists() && s.kept.is_empty() && s.errors.is_empty());
    }
}
