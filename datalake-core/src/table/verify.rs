//! `verify` of a table on an object store: every data file the record names
//! is in the table's current version with the recorded size, and its Parquet
//! footer decodes (two ranged GETs per file: the last 8 bytes, then the
//! footer). A local table is checked by [`crate::inspect::verify`] itself.

use std::collections::HashMap;

use deltalake_core::logstore::object_store::path::Path as ObjectPath;
use deltalake_core::logstore::object_store::ObjectStoreExt;
use deltalake_core::parquet::file::metadata::ParquetMetaDataReader;

use super::delta::Table;
use super::store::Store;
use crate::config::Profile;
use crate::inspect::verify::BrokenFile;
use crate::local::parquet_check::Problem;
use crate::state::absorbed::Record;
use crate::vocab::error::Result;

/// What the check of a remote table found.
#[derive(Debug, Default)]
pub struct RemoteCheck {
    /// Data files checked.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// The broken ones, by their URL.
    pub broken: Vec<BrokenFile>,
}

/// Check the remote table of `profile`; `None` for a local table.
pub fn check(profile: &Profile) -> Result<Option<RemoteCheck>> {
    let store = Store::of(profile);
    if store.remote().is_none() {
        return Ok(None);
    }
    let mut out = RemoteCheck::default();
    let Some(record) = Record::load(profile)? else { return Ok(Some(out)) };
    let table = Table::open(store.clone())?;
    let live: HashMap<String, u64> = table.live_files()?.into_iter().map(|f| (f.path, f.size)).collect();
    for day in &record.days {
        for f in &day.files {
            out.files += 1;
            out.bytes += f.size;
            let broken = |problem: Problem, reason: String| BrokenFile { path: store.file(&f.path), problem, reason };
            match live.get(&f.path) {
                Some(size) if *size == f.size => {}
                Some(size) => {
                    out.broken.push(broken(
                        Problem::BadFooterLength,
                        format!("the record says {} bytes (version {}), the table's log {size}", f.size, day.version),
                    ));
                    continue;
                }
                None => {
                    out.broken.push(broken(
                        Problem::Unreadable,
                        format!("the record names it (version {}) but the table's current version does not; `datalake compact` rebuilds the record", day.version),
                    ));
                    continue;
                }
            }
            if let Some((problem, reason)) = footer_problem(&table, &f.path, f.size)? {
                out.broken.push(broken(problem, reason));
            }
        }
    }
    Ok(Some(out))
}

/// What is wrong with the footer of the table's file `rel` of `size` bytes, if anything.
fn footer_problem(table: &Table, rel: &str, size: u64) -> Result<Option<(Problem, String)>> {
    if size < 12 {
        return Ok(Some((Problem::TooShort, format!("{size} bytes: shorter than an empty Parquet file"))));
    }
    let key = ObjectPath::from(rel);
    let tail_key = key.clone();
    let tail = table.on_store("read a footer of", move |os| {
        Box::pin(async move {
            match os.get_range(&tail_key, size - 8..size).await {
                Ok(b) => Ok(Ok(b)),
                Err(e) => Ok(Err(e.to_string())),
            }
        })
    })?;
    let tail = match tail {
        Ok(t) => t,
        Err(e) => return Ok(Some((Problem::Unreadable, format!("cannot be read: {e}")))),
    };
    if tail.len() != 8 || &tail[4..] != b"PAR1" {
        return Ok(Some((Problem::BadFooterMagic, "the last 4 bytes are not PAR1".into())));
    }
    let len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if len + 12 > size {
        return Ok(Some((Problem::BadFooterLength, format!("a footer of {len} bytes does not fit in {size}"))));
    }
    let footer = table.on_store("read a footer of", move |os| {
        Box::pin(async move { os.get_range(&key, size - 8 - len..size - 8).await })
    })?;
    Ok(ParquetMetaDataReader::decode_metadata(&footer)
        .err()
        .map(|e| (Problem::BadFooter, format!("the footer does not decode: {e}"))))
}
