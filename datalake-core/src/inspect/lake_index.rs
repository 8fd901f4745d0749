//! What each partition held when it was last walked, so that the metrics
//! written after every sync cost O(what changed), not O(lake).
//!
//! A partition directory's own mtime changes whenever an entry is added to,
//! removed from or renamed inside it: rsync renames every file it lands into
//! place, the quarantine and retention rename or remove, and so does a person
//! deleting a file by hand. So a partition whose directory mtime is the one
//! recorded here, and which has no subdirectory (whose changes would not show
//! on it), still holds what its tally says, and the walk reuses the tally
//! instead of reading it. Everything else is walked: new partitions, changed
//! ones, partitions with subdirectories (a `.rsync-partial` among them), and
//! everything outside partitions.
//!
//! As git does for its index, a tally is only kept for reuse when its
//! directory's mtime is older than the walk by `local::fswalk::RACY_SECONDS`: a change in
//! the same clock tick as the walk could otherwise leave the mtime unchanged.
//! The index lives beside the checkpoint (`<checkpoint>.lake-index.json`);
//! a missing, unreadable or foreign index only means one full walk. Full
//! syncs always walk everything and write the index anew.
//!
//! The index is read and checked on every run of a big lake, so it is kept
//! small and quick to look up: short keys, counts of zero left out, and a
//! hash map (a sorted map compared paths component by component, which with
//! the parse was a third of the metrics' time on 3,000 partitions).

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::Profile;
use crate::local::reserved::replace_cache;

/// The index format; another number means a full walk.
const VERSION: u32 = 2;

/// What one partition held, as the stats walk counts it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// The partition's date.
    #[serde(rename = "d")]
    pub date: Option<NaiveDate>,
    /// Regular files outside `.rsync-partial`, and their bytes.
    #[serde(rename = "f", default, skip_serializing_if = "is_zero")]
    pub files: u64,
    /// Their bytes.
    #[serde(rename = "b", default, skip_serializing_if = "is_zero")]
    pub bytes: u64,
    /// Files and bytes inside `.rsync-partial` directories.
    #[serde(rename = "pf", default, skip_serializing_if = "is_zero")]
    pub partial_files: u64,
    /// Their bytes.
    #[serde(rename = "pb", default, skip_serializing_if = "is_zero")]
    pub partial_bytes: u64,
    /// Directories below the partition (not counting it).
    #[serde(rename = "sd", default, skip_serializing_if = "is_zero")]
    pub dirs: u64,
    /// Symlinks below it.
    #[serde(rename = "sl", default, skip_serializing_if = "is_zero")]
    pub symlinks: u64,
    /// Dated partitions below it.
    #[serde(rename = "np", default, skip_serializing_if = "is_zero")]
    pub nested_partitions: u64,
    /// Newest file mtime below it, as (seconds, nanoseconds).
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<(i64, i64)>,
    /// Whether files lie in a `.rsync-partial` directory below it.
    #[serde(rename = "p", default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// The partition directory's mtime when walked; `None`: not reusable.
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub dir_mtime: Option<(i64, i64)>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Tally {
    /// Whether this tally still describes a partition whose directory has `dir_mtime`.
    pub fn reusable(&self, dir_mtime: (i64, i64)) -> bool {
        self.dir_mtime == Some(dir_mtime) && self.dirs == 0 && self.nested_partitions == 0
    }
}

/// The tallies of one profile's partitions, by path relative to its directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LakeIndex {
    version: u32,
    /// The profile directory the tallies describe.
    local_dir: PathBuf,
    /// Tallies by partition path (relative, `/`-separated as the OS has it).
    pub partitions: HashMap<PathBuf, Tally>,
    /// Partitions whose tally the walk that made this index reused.
    #[serde(skip)]
    pub reused: u64,
}

impl LakeIndex {
    /// An empty index for `profile`.
    pub fn new(profile: &Profile) -> LakeIndex {
        LakeIndex { version: VERSION, local_dir: profile.local_dir.clone(), partitions: HashMap::new(), reused: 0 }
    }

    /// Where `profile`'s index lives: beside its checkpoint.
    pub fn path(profile: &Profile) -> PathBuf {
        profile.beside_checkpoint("lake-index.json")
    }

    /// The saved index of `profile`, when there is one that describes its
    /// directory in this format. Anything else (missing, unreadable, corrupt,
    /// another directory) is `None`: the caller walks everything.
    pub fn load(profile: &Profile) -> Option<LakeIndex> {
        let text = std::fs::read(LakeIndex::path(profile)).ok()?;
        let index: LakeIndex = serde_json::from_slice(&text).ok()?;
        (index.version == VERSION && index.local_dir == profile.local_dir).then_some(index)
    }

    /// Save atomically (a temporary file in the same directory, then a rename).
    /// A failure is the caller's warning: the next run walks everything.
    pub fn save(&self, profile: &Profile) -> Result<(), String> {
        let path = LakeIndex::path(profile);
        let write = || -> std::io::Result<()> {
            // Serialized in memory first: serde_json writes token by token, which
            // on an unbuffered file was one write(2) per token (273,000 for a lake
            // of 3,000 partitions, a quarter of a no-op sync's time).
            let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
            replace_cache(&path, &bytes)
        };
        write().map_err(|e| {
            format!(
                "could not save the lake index {} ({e}); the next metrics walk reads the whole lake",
                path.display()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_is_written_short_and_read_back_whole() {
        let plain = Tally {
            date: NaiveDate::from_ymd_opt(2026, 11, 30),
            files: 200,
            bytes: 605_790,
            newest: Some((1_796_443_619, 811_298_370)),
            dir_mtime: Some((1_796_447_258, 245_754_479)),
            ..Tally::default()
        };
        let text = serde_json::to_string(&plain).unwrap();
        assert_eq!(
            text,
            r#"{"d":"2026-11-30","f":200,"b":605790,"n":[1796443619,811298370],"m":[1796447258,245754479]}"#
        );
        assert_eq!(serde_json::from_str::<Tally>(&text).unwrap(), plain);
        let busy = Tally {
            partial_files: 1,
            partial_bytes: 2,
            dirs: 3,
            symlinks: 4,
            nested_partitions: 5,
            partial: true,
            dir_mtime: None,
            ..plain
        };
        let text = serde_json::to_string(&busy).unwrap();
        assert_eq!(serde_json::from_str::<Tally>(&text).unwrap(), busy, "{text}");
        assert_eq!(serde_json::from_str::<Tally>(r#"{"d":null}"#).unwrap(), Tally::default());
    }
}
