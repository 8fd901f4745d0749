//! What the quick check found in the lake last time, so that an hourly run
//! looks up one lake directory per unchanged partition instead of every file
//! in it.
//!
//! For a unit whose every collector file had a lake copy of the same size
//! and modification time, the check remembers a digest of the collector's
//! records (names, sizes, mtimes, in any order) and the mtime of the unit's
//! lake directory. The next check that gets the same digest for the unit
//! and finds the directory's mtime unchanged knows the answer without a
//! lookup per file: any change on the collector changes the digest, and a
//! file added to, removed from or renamed in the lake directory changes its
//! mtime (the lake index relies on the same, see `inspect::lake_index`).
//! Not seen: a lake file rewritten in place by hand, until the next full run
//! (`full_sync_every`), which rsync compares file by file.
//!
//! Not remembered: units with subdirectories (changes inside them do not
//! show on the unit's mtime), and a directory modified less than
//! `local::fswalk::RACY_SECONDS` before the check (a change in the same clock tick could
//! leave its mtime as it was). The memory lives beside the checkpoint
//! (`<checkpoint>.quick-check.json`); a missing, unreadable or foreign one
//! only means a lookup per file, as before.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Profile;
use crate::local::reserved::replace_cache;

/// The memory's format; another number means none.
const VERSION: u32 = 1;

/// What the check found for one unit: every file in the lake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// [`Digest`] of the collector's records of the unit.
    pub digest: u64,
    /// The unit's lake directory mtime, as (seconds, nanoseconds).
    pub dir_mtime: (i64, i64),
}

/// The order-free digest of a unit's collector records.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Digest(u64);

impl Digest {
    /// Count one record in.
    pub fn add(&mut self, path: &[u8], size: u64, secs: i64, nanos: u32) {
        let mut h = DefaultHasher::new();
        (path, size, secs, nanos).hash(&mut h);
        self.0 = self.0.wrapping_add(h.finish());
    }

    /// The digest.
    pub fn value(self) -> u64 {
        self.0
    }
}

#[derive(Serialize, Deserialize, PartialEq, Eq)]
struct File {
    version: u32,
    local_dir: PathBuf,
    /// Unit path (UTF-8 ones only) and what was seen.
    units: Vec<(String, Seen)>,
}

/// The units the last check found whole in the lake.
#[derive(Debug, Default)]
pub struct Verified {
    units: HashMap<Vec<u8>, Seen>,
}

impl Verified {
    /// Where `profile`'s memory lives: beside its checkpoint.
    pub fn path(profile: &Profile) -> PathBuf {
        profile.beside_checkpoint("quick-check.json")
    }

    /// The saved memory of `profile`; empty when there is none that describes its directory.
    pub fn load(profile: &Profile) -> Verified {
        let Ok(text) = std::fs::read(Verified::path(profile)) else { return Verified::default() };
        let file: File = match serde_json::from_slice(&text) {
            Ok(f) => f,
            Err(e) => {
                log::debug!("profile {}: quick check memory unreadable ({e}); every file is looked up", profile.name);
                return Verified::default();
            }
        };
        if file.version != VERSION || file.local_dir != profile.local_dir {
            return Verified::default();
        }
        Verified { units: file.units.into_iter().map(|(unit, seen)| (unit.into_bytes(), seen)).collect() }
    }

    /// What the last check saw of `unit`, if it found all of it in the lake.
    pub fn get(&self, unit: &[u8]) -> Option<Seen> {
        self.units.get(unit).copied()
    }

    /// Replace the memory with `now` (the units this check found whole),
    /// unless it holds just that. A failure is logged: the next check looks
    /// every file up.
    pub fn save(&self, profile: &Profile, now: Vec<(Vec<u8>, Seen)>) {
        let now: HashMap<Vec<u8>, Seen> = now.into_iter().collect();
        if now == self.units {
            return;
        }
        let mut units: Vec<(String, Seen)> =
            now.into_iter().filter_map(|(unit, seen)| Some((String::from_utf8(unit).ok()?, seen))).collect();
        units.sort_by(|a, b| a.0.cmp(&b.0));
        let file = File { version: VERSION, local_dir: profile.local_dir.clone(), units };
        let path = Verified::path(profile);
        let write = || replace_cache(&path, &serde_json::to_vec(&file).map_err(std::io::Error::other)?);
        if let Err(e) = write() {
            log::info!(
                "cannot save the quick check's memory {} ({e}); the next check looks every file up",
                path.display()
            );
        }
    }
}

/// Whether `path` (below remote_root) lies in a subdirectory of `unit`.
pub fn below_unit(unit: &[u8], path: &[u8]) -> bool {
    path.get(unit.len() + 1..).is_some_and(|rest| rest.contains(&b'/'))
}

/// The unit's path as a lake path.
pub fn unit_dir(unit: &[u8]) -> &Path {
    Path::new(std::ffi::OsStr::from_bytes(unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_takes_any_order_and_sees_every_field() {
        let mut a = Digest::default();
        a.add(b"x/1.parquet", 10, 1_800_000_000, 5);
        a.add(b"x/2.parquet", 20, 1_800_000_001, 0);
        let mut b = Digest::default();
        b.add(b"x/2.parquet", 20, 1_800_000_001, 0);
        b.add(b"x/1.parquet", 10, 1_800_000_000, 5);
        assert_eq!(a, b);
        for (path, size, secs, nanos) in [
            (&b"x/3.parquet"[..], 10, 1_800_000_000, 5),
            (b"x/1.parquet", 11, 1_800_000_000, 5),
            (b"x/1.parquet", 10, 1_800_000_002, 5),
            (b"x/1.parquet", 10, 1_800_000_000, 6),
        ] {
            let mut c = Digest::default();
            c.add(path, size, secs, nanos);
            c.add(b"x/2.parquet", 20, 1_800_000_001, 0);
            assert_ne!(a, c, "{path:?} {size} {secs} {nanos}");
        }
    }

    #[test]
    fn the_memory_is_saved_when_it_changed_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut profile = crate::config::test_support::test_profile(&dir.path().join("lake"), 7);
        profile.checkpoint_file = dir.path().join("state/p.json");
        std::fs::create_dir_all(dir.path().join("state")).unwrap();
        assert!(Verified::load(&profile).get(b"x_20261101").is_none(), "none yet");
        let seen = Seen { digest: 42, dir_mtime: (1_800_000_000, 7) };
        Verified::load(&profile).save(&profile, vec![(b"x_20261101".to_vec(), seen)]);
        let loaded = Verified::load(&profile);
        assert_eq!(loaded.get(b"x_20261101"), Some(seen));
        let modified = std::fs::metadata(Verified::path(&profile)).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        loaded.save(&profile, vec![(b"x_20261101".to_vec(), seen)]);
        assert_eq!(std::fs::metadata(Verified::path(&profile)).unwrap().modified().unwrap(), modified, "unchanged");
        profile.local_dir = dir.path().join("elsewhere");
        assert!(Verified::load(&profile).get(b"x_20261101").is_none(), "another directory's memory");
    }

    #[test]
    fn subdirectories_are_below_the_unit() {
        assert!(below_unit(b"x_20261101", b"x_20261101/sub/a.parquet"));
        assert!(!below_unit(b"x_20261101", b"x_20261101/a.parquet"));
    }
}
