//! What the profile's Delta table absorbed, as the planner needs it: so that
//! a sync never downloads an absorbed part again, and still fetches a part
//! the collector added or rewrote in a compacted day.
//!
//! - The window treats a compacted partition whose raw directory is gone as
//!   present ([`Absorbed::holds`]): no collector walk for compacted days.
//! - The quick check counts a collector file the table absorbed with the same
//!   size and mtime as "in the lake" ([`AbsorbedFiles::same`]); a unit that
//!   still goes to rsync (a late or rewritten part) gets its absorbed parts
//!   excluded one by one ([`write_excludes`]).
//! - A full run checks the compacted partitions the same way (one `find` over
//!   them); without GNU find on the collector it excludes every absorbed part
//!   by name, and a part rewritten under an absorbed name is then only found by
//!   `datalake verify --remote` (a warning says so).
//!
//! The record is read without opening the table ([`crate::state::absorbed`]);
//! a record that cannot be read leaves the planner as it was without a table
//! (absorbed parts would be fetched again and removed by the next compaction).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use crate::collector::min_age::exclude_pattern;
use crate::config::{Profile, TablePlace};
use crate::state::absorbed::{AbsorbedPart, Manifest, Record};
use crate::vocab::error::{Error, Result};

/// The compacted partitions of a profile.
#[derive(Debug, Default)]
pub struct Absorbed {
    /// Raw partition directory (relative, as the collector lists it) -> its day's manifest.
    partitions: BTreeMap<Vec<u8>, String>,
    place: Option<TablePlace>,
}

/// Absorbed parts by path (relative to remote_root).
#[derive(Debug, Default)]
pub struct AbsorbedFiles {
    parts: HashMap<Vec<u8>, AbsorbedPart>,
}

impl AbsorbedFiles {
    /// Whether the table absorbed a file of this path, size and mtime.
    pub fn same(&self, path: &[u8], size: u64, secs: i64, nanos: u32) -> bool {
        self.parts.get(path).is_some_and(|p| p.same(size, secs, nanos))
    }

    /// Every absorbed path (for a run that cannot compare).
    pub fn paths(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.parts.keys()
    }

    /// True when nothing was absorbed.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

impl Absorbed {
    /// The profile's compacted partitions, from its record.
    pub fn load(profile: &Profile) -> Absorbed {
        match Record::load(profile) {
            Ok(Some(record)) => {
                let mut partitions = BTreeMap::new();
                for day in &record.days {
                    for p in &day.partitions {
                        partitions.insert(p.as_bytes().to_vec(), day.manifest.clone());
                    }
                }
                Absorbed { partitions, place: Some(profile.compact.table.clone()) }
            }
            Ok(None) => Absorbed::default(),
            Err(e) => {
                log::warn!(
                    "profile {}: the table's record cannot be read ({e}); absorbed parts may be fetched again",
                    profile.name
                );
                Absorbed::default()
            }
        }
    }

    /// Whether the table holds the day of this raw partition directory.
    pub fn holds(&self, partition: &[u8]) -> bool {
        self.partitions.contains_key(partition)
    }

    /// The compacted partitions.
    pub fn partitions(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.partitions.keys()
    }

    /// True when the table absorbed nothing.
    pub fn is_empty(&self) -> bool {
        self.partitions.is_empty()
    }

    /// The absorbed parts of `units` (compacted partitions; others are ignored).
    pub fn files_in<'u>(&self, units: impl IntoIterator<Item = &'u [u8]>) -> Result<AbsorbedFiles> {
        let mut out = AbsorbedFiles::default();
        let Some(place) = &self.place else { return Ok(out) };
        let mut loaded: HashMap<&str, Manifest> = HashMap::new();
        for unit in units {
            let Some(name) = self.partitions.get(unit) else { continue };
            if !loaded.contains_key(name.as_str()) {
                loaded.insert(name, Manifest::load(place, name)?);
            }
            let Some(manifest) = loaded.get(name.as_str()) else { continue };
            let Some(parts) = std::str::from_utf8(unit).ok().and_then(|u| manifest.parts.get(u)) else { continue };
            for p in parts {
                let mut path = unit.to_vec();
                path.push(b'/');
                path.extend_from_slice(p.name().as_bytes());
                out.parts.insert(path, p.clone());
            }
        }
        Ok(out)
    }
}

/// A NUL-separated rsync exclude file: each path anchored at the transfer
/// root (`/dir/` patterns for whole directories end in `/`).
pub fn write_excludes(patterns: &[Vec<u8>]) -> Result<tempfile::NamedTempFile> {
    let mut file = tempfile::Builder::new()
        .prefix("datalake-absorbed-")
        .tempfile()
        .map_err(|e| Error::io_default("create", std::env::temp_dir(), e))?;
    let mut buf = Vec::new();
    for p in patterns {
        buf.extend_from_slice(p);
        buf.push(0);
    }
    file.write_all(&buf).and_then(|()| file.flush()).map_err(|e| Error::io_default("write", file.path(), e))?;
    Ok(file)
}

/// The pattern excluding one file.
pub fn file_pattern(path: &[u8]) -> Vec<u8> {
    exclude_pattern(path)
}

/// The pattern excluding a whole directory.
pub fn dir_pattern(path: &[u8]) -> Vec<u8> {
    let mut p = exclude_pattern(path);
    p.push(b'/');
    p
}
