//! Do the files of a read share a schema? Their Parquet footers say, read
//! on every core (one `open` and one `pread` of the file's end each, no
//! data page): files are grouped by their columns (name, physical and
//! logical type, repetition), so a reader builds its schema from one file
//! per group, and groups that disagree on a column's type are an
//! [`Error::SchemaMismatch`] naming a file of each and the column. Groups
//! that only add columns (or differ in nullability) are compatible: a
//! column missing from a file reads as nulls.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use parquet::file::metadata::{ParquetMetaDataOptions, ParquetMetaDataReader, ParquetStatisticsPolicy};
use parquet::schema::types::{ColumnDescriptor, Type};
use serde::Serialize;

use crate::read::catalog::Catalog;
use crate::read::entry::FileEntry;
use crate::vocab::error::{Error, Result};

/// Files of a read that share one Parquet schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaGroup {
    /// The first file (in catalog order) of the group: read its schema.
    pub representative: PathBuf,
    /// How many files have this schema.
    pub files: usize,
    /// Top-level columns, in the file's order.
    pub columns: Vec<String>,
}

/// One leaf column: its path below the top-level column and its types.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Leaf {
    path: String,
    types: String,
    optional: bool,
}

/// A file's schema as compared: leaves in file order.
type Shape = Vec<Leaf>;

/// Group the catalog's files by schema, on `jobs` threads (0: one per core);
/// `Err(SchemaMismatch)` when two groups disagree on a column's type.
pub fn groups(catalog: &Catalog, jobs: usize) -> Result<Vec<SchemaGroup>> {
    // A remote table's files (`s3://...`) share the table's schema: one group,
    // represented by the newest of them (the widest schema), read by the face
    // with the table's storage options.
    let (remote, local): (Vec<&FileEntry>, Vec<&FileEntry>) = catalog.files.iter().partition(|f| is_url(&f.path));
    let remote_group = remote.iter().max_by_key(|f| f.date).map(|newest| SchemaGroup {
        representative: newest.path.clone(),
        files: remote.len(),
        columns: Vec::new(),
    });
    let paths: Vec<&Path> = local.iter().map(|f| f.path.as_path()).collect();
    let shapes = match read_all(&paths, jobs) {
        Ok(shapes) => shapes,
        Err(e) => {
            if matches!(&e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound) {
                // A file listed a moment ago is gone: retention removed its partition meanwhile.
                catalog.check_still_there()?;
            }
            return Err(e);
        }
    };
    let mut by_shape: BTreeMap<&Shape, usize> = BTreeMap::new();
    let mut out: Vec<(SchemaGroup, &Shape)> = Vec::new();
    for (path, shape) in paths.iter().zip(&shapes) {
        match by_shape.get(shape) {
            Some(&i) => out[i].0.files += 1,
            None => {
                by_shape.insert(shape, out.len());
                let columns = top_level(shape).into_keys().collect();
                out.push((SchemaGroup { representative: path.to_path_buf(), files: 1, columns }, shape));
            }
        }
    }
    for (i, (a, shape_a)) in out.iter().enumerate() {
        for (b, shape_b) in &out[i + 1..] {
            if let Some(difference) = conflict(shape_a, shape_b) {
                return Err(Error::SchemaMismatch {
                    profile: catalog.profile.clone(),
                    difference,
                    first: a.representative.display().to_string(),
                    second: b.representative.display().to_string(),
                });
            }
        }
    }
    Ok(out.into_iter().map(|(g, _)| g).chain(remote_group).collect())
}

/// True for a file named by its URL (`s3://...`: a remote table's), not a local path.
pub fn is_url(path: &Path) -> bool {
    path.to_str().and_then(|p| p.split_once("://")).is_some_and(|(s, _)| !s.is_empty() && !s.contains('/'))
}

/// Each top-level column's leaves, as (path, types), repetition left out.
fn top_level(shape: &Shape) -> BTreeMap<String, Vec<(&str, &str)>> {
    let mut out: BTreeMap<String, Vec<(&str, &str)>> = BTreeMap::new();
    for leaf in shape {
        let top = leaf.path.split('.').next().unwrap_or_default().to_string();
        out.entry(top).or_default().push((&leaf.path, &leaf.types));
    }
    out
}

/// The first column both shapes have with different types, as a sentence.
fn conflict(a: &Shape, b: &Shape) -> Option<String> {
    let (ta, tb) = (top_level(a), top_level(b));
    for (name, leaves_a) in &ta {
        let Some(leaves_b) = tb.get(name) else { continue };
        if leaves_a != leaves_b {
            let show = |leaves: &[(&str, &str)]| {
                leaves
                    .iter()
                    .map(|(p, t)| if p == name { t.to_string() } else { format!("{p} {t}") })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Some(format!(
                "column {name} is {} in the first file and {} in the second",
                show(leaves_a),
                show(leaves_b)
            ));
        }
    }
    None
}

fn read_all(paths: &[&Path], jobs: usize) -> Result<Vec<Shape>> {
    let jobs = match jobs {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(paths.len().div_ceil(64).max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Shape>>>> =
        Mutex::new(std::iter::repeat_with(|| None).take(paths.len()).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let start = next.fetch_add(64, Ordering::Relaxed);
                if start >= paths.len() {
                    break;
                }
                let end = (start + 64).min(paths.len());
                let chunk: Vec<Result<Shape>> = paths[start..end].iter().map(|p| shape_of(p)).collect();
                let mut slots = results.lock().unwrap_or_else(PoisonError::into_inner);
                for (slot, shape) in slots[start..end].iter_mut().zip(chunk) {
                    *slot = Some(shape);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::InvalidArgument("a footer was not read; this is a bug".into()))))
        .collect()
}

fn decode_options() -> ParquetMetaDataOptions {
    ParquetMetaDataOptions::new()
        .with_column_stats_policy(ParquetStatisticsPolicy::SkipAll)
        .with_size_stats_policy(ParquetStatisticsPolicy::SkipAll)
        .with_encoding_stats_policy(ParquetStatisticsPolicy::SkipAll)
}

/// The columns of one file, from its footer.
fn shape_of(path: &Path) -> Result<Shape> {
    let not_parquet = |why: String| {
        Error::io(
            "read the Parquet footer of",
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, why),
            "the file is not a complete Parquet file: run `datalake verify` on the profile, which finds broken files",
        )
    };
    let file = File::open(path).map_err(|e| Error::io_default("open", path, e))?;
    let len = file.metadata().map_err(|e| Error::io_default("read metadata of", path, e))?.len();
    if len < 12 {
        return Err(not_parquet(format!("{len} bytes, shorter than any Parquet file")));
    }
    let tail_len = len.min(16 * 1024);
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact_at(&mut tail, len - tail_len).map_err(|e| Error::io_default("read", path, e))?;
    let n = tail.len();
    if &tail[n - 4..] != b"PAR1" {
        return Err(not_parquet("it does not end with PAR1".into()));
    }
    let footer_len = u64::from(u32::from_le_bytes([tail[n - 8], tail[n - 7], tail[n - 6], tail[n - 5]]));
    if footer_len + 12 > len {
        return Err(not_parquet(format!("footer length {footer_len} does not fit in {len} bytes")));
    }
    let footer = if footer_len as usize + 8 <= n {
        tail[n - 8 - footer_len as usize..n - 8].to_vec()
    } else {
        let mut buf = vec![0u8; footer_len as usize];
        file.read_exact_at(&mut buf, len - 8 - footer_len).map_err(|e| Error::io_default("read", path, e))?;
        buf
    };
    let options = decode_options();
    let metadata = ParquetMetaDataReader::decode_metadata_with_options(&footer, Some(&options))
        .map_err(|e| not_parquet(format!("the footer does not decode: {e}")))?;
    Ok(metadata.file_metadata().schema_descr().columns().iter().map(|c| leaf(c)).collect())
}

fn leaf(c: &ColumnDescriptor) -> Leaf {
    let types = match (c.logical_type_ref(), c.converted_type()) {
        (Some(logical), _) => format!("{} ({logical:?})", c.physical_type()),
        (None, parquet::basic::ConvertedType::NONE) => c.physical_type().to_string(),
        (None, converted) => format!("{} ({converted})", c.physical_type()),
    };
    let optional = match c.self_type() {
        Type::PrimitiveType { basic_info, .. } => {
            basic_info.has_repetition() && basic_info.repetition() != parquet::basic::Repetition::REQUIRED
        }
        Type::GroupType { .. } => true,
    };
    Leaf { path: c.path().string(), types, optional }
}
