//! A manifest: every raw part one series-day of the table absorbed.
//!
//! Written before the commit that references it (each `add` of the day
//! carries the tag `datalake.manifest` = its file name) and never changed
//! afterwards: a later commit that merges a late part into the day writes a
//! new manifest naming the old parts and the new ones. A manifest no live
//! `add` names is left over from an interrupted run and is deleted by the next.
//!
//! ```json
//! {"format":1,"series":"gate_io_BTC-USDT","date":"2024-11-28",
//!  "parts":{"gate_io_BTC-USDT_20241128":[["part_00001.parquet",7012,1732752000,123456789,150]]}}
//! ```
//!
//! Each part is `[name, size, mtime seconds, mtime nanoseconds, rows]`, its
//! name relative to its partition directory (itself relative to the profile
//! directory): 8,640 parts of a 10-second collector day take about 450 KB.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::place::{record_dir, RECORD_FORMAT};
use crate::config::TablePlace;
use crate::vocab::error::{Error, Result};

/// Directory of the manifests in `_datalake/`.
pub const MANIFEST_DIR: &str = "manifests";

/// One absorbed part: name (relative to its partition), size, mtime
/// (seconds, nanoseconds) and rows. Serialized as a JSON array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbsorbedPart(pub String, pub u64, pub i64, pub u32, pub u64);

impl AbsorbedPart {
    /// File name, relative to its partition directory.
    pub fn name(&self) -> &str {
        &self.0
    }
    /// Bytes.
    pub fn size(&self) -> u64 {
        self.1
    }
    /// Rows.
    pub fn rows(&self) -> u64 {
        self.4
    }

    /// Whether a file of this size and mtime is this part: the quick check's
    /// rule (seconds, and nanoseconds when both sides have them).
    pub fn same(&self, size: u64, secs: i64, nanos: u32) -> bool {
        self.1 == size && self.2 == secs && (self.3 == 0 || nanos == 0 || self.3 == nanos)
    }
}

/// The raw parts one series-day absorbed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format, as [`RECORD_FORMAT`].
    pub format: u32,
    /// The series.
    pub series: String,
    /// The day.
    pub date: NaiveDate,
    /// Parts by partition directory (relative to the profile directory).
    pub parts: BTreeMap<String, Vec<AbsorbedPart>>,
}

impl Manifest {
    /// An empty manifest for a series-day.
    pub fn new(series: &str, date: NaiveDate) -> Manifest {
        Manifest { format: RECORD_FORMAT, series: series.to_string(), date, parts: BTreeMap::new() }
    }

    /// Add a part, replacing an earlier one of the same name (a part the
    /// collector rewrote: the new version is the one it now has).
    pub fn insert(&mut self, partition: &str, part: AbsorbedPart) {
        let list = self.parts.entry(partition.to_string()).or_default();
        match list.iter_mut().find(|p| p.0 == part.0) {
            Some(old) => *old = part,
            None => list.push(part),
        }
    }

    /// The part at `partition/name`.
    pub fn get(&self, partition: &str, name: &str) -> Option<&AbsorbedPart> {
        self.parts.get(partition)?.iter().find(|p| p.0 == name)
    }

    /// Parts by `partition/name` path (relative to the profile directory).
    pub fn by_path(&self) -> BTreeMap<PathBuf, &AbsorbedPart> {
        let mut out = BTreeMap::new();
        for (partition, list) in &self.parts {
            for p in list {
                out.insert(Path::new(partition).join(&p.0), p);
            }
        }
        out
    }

    /// Number of parts.
    pub fn count(&self) -> u64 {
        self.parts.values().map(|l| l.len() as u64).sum()
    }

    /// Their bytes.
    pub fn raw_bytes(&self) -> u64 {
        self.parts.values().flatten().map(|p| p.1).sum()
    }

    /// Their rows.
    pub fn rows(&self) -> u64 {
        self.parts.values().flatten().map(|p| p.4).sum()
    }

    /// Write it as `manifests/<name>` (temp file, fsync, rename, fsync of the directory).
    pub fn write(&self, place: &TablePlace, name: &str) -> Result<()> {
        let dir = record_dir(place).join(MANIFEST_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io_default("create directory", &dir, e))?;
        let bytes = serde_json::to_vec(self)
            .map_err(|e| Error::io_default("serialize a manifest for", &dir, std::io::Error::other(e.to_string())))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".manifest")
            .tempfile_in(&dir)
            .map_err(|e| Error::io_default("create a temporary file in", &dir, e))?;
        tmp.write_all(&bytes).map_err(|e| Error::io_default("write", tmp.path(), e))?;
        tmp.as_file().sync_all().map_err(|e| Error::io_default("sync", tmp.path(), e))?;
        let path = dir.join(name);
        tmp.persist(&path).map_err(|e| Error::io_default("rename a manifest to", &path, e.error))?;
        sync_dir(&dir)
    }

    /// Read `manifests/<name>`.
    pub fn load(place: &TablePlace, name: &str) -> Result<Manifest> {
        let path = record_dir(place).join(MANIFEST_DIR).join(name);
        let bytes = std::fs::read(&path).map_err(|e| {
            Error::io(
                "read the manifest",
                &path,
                e,
                "the table's record names a manifest that is missing; run `datalake compact` to rebuild the record from the table",
            )
        })?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::io(
                "parse the manifest",
                &path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
                "the manifest is damaged; restore the table directory from a backup",
            )
        })
    }
}

/// Make the entries of `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::io_default("sync directory", dir, e))
}

/// Names of every manifest file on disk (temporary ones left out).
pub fn list(place: &TablePlace) -> Result<Vec<String>> {
    let dir = record_dir(place).join(MANIFEST_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io_default("read directory", &dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io_default("read directory", &dir, e))?;
        if let Some(name) = entry.file_name().to_str() {
            out.push(name.to_string());
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_and_a_rewritten_part_replaces_its_old_version() {
        let tmp = tempfile::tempdir().unwrap();
        let place = TablePlace::Local { path: tmp.path().join("t") };
        let day = NaiveDate::from_ymd_opt(2024, 11, 28).unwrap();
        let mut m = Manifest::new("gate_io_BTC-USDT", day);
        m.insert("gate_io_BTC-USDT_20241128", AbsorbedPart("part_00001.parquet".into(), 7000, 1732752000, 5, 150));
        m.insert("gate_io_BTC-USDT_20241128", AbsorbedPart("part_00002.parquet".into(), 7100, 1732752010, 0, 151));
        m.insert("gate_io_BTC-USDT_20241128", AbsorbedPart("part_00001.parquet".into(), 7200, 1732760000, 0, 160));
        assert_eq!((m.count(), m.raw_bytes(), m.rows()), (2, 14300, 311));
        m.write(&place, "m1.json").unwrap();
        let back = Manifest::load(&place, "m1.json").unwrap();
        assert_eq!(back, m);
        let text = std::fs::read_to_string(record_dir(&place).join(MANIFEST_DIR).join("m1.json")).unwrap();
        assert!(text.contains("[\"part_00002.parquet\",7100,1732752010,0,151]"), "{text}");
        assert_eq!(list(&place).unwrap(), ["m1.json"]);
        let p = back.get("gate_io_BTC-USDT_20241128", "part_00001.parquet").unwrap();
        assert!(p.same(7200, 1732760000, 999) && !p.same(7000, 1732752000, 5));
        assert!(Manifest::load(&place, "nope.json").unwrap_err().to_string().contains("rebuild the record"));
    }
}
