//! The plain data of a profile's `compact` block (see [`crate::table`]):
//! [`CompactConfig`] and its codec, table place and CSV types. Reading and
//! checking the YAML is `compact.rs`; keys and ranges are in the key table
//! ([`super::keys`]), which takes these defaults from here.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::storage::ResolvedStorage;
use crate::vocab::names::TABLE_DIR;

/// Default `compact.after`: a day counts as closed two hours after it ends.
pub const DEFAULT_COMPACT_AFTER: Duration = Duration::from_secs(2 * 3600);
/// Default `compact.target_file_size`: 128 MiB.
pub const DEFAULT_TARGET_FILE_SIZE: u64 = 128 * 1024 * 1024;
/// Default `compact.vacuum_after` (Delta's own `deletedFileRetentionDuration`): a week.
pub const DEFAULT_VACUUM_AFTER: Duration = Duration::from_secs(7 * 86_400);

/// The Parquet codec of the table's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "codec", content = "level", rename_all = "snake_case")]
pub enum Compression {
    /// `zstd(level)`, level 1..=22 (default `zstd(3)`).
    Zstd(i32),
    /// `snappy`.
    Snappy,
    /// `gzip(level)`, level 0..=9.
    Gzip(u32),
    /// `lz4` (LZ4_RAW).
    Lz4,
    /// `brotli(level)`, level 0..=11.
    Brotli(u32),
    /// `none`.
    None,
}

impl Compression {
    /// Parse `zstd(3)`, `zstd` (level 3), `snappy`, `gzip(6)`, `lz4`, `brotli(4)`, `none`.
    pub fn parse(text: &str) -> Result<Compression, String> {
        let t = text.trim().to_ascii_lowercase();
        let (name, level) = match t.split_once('(') {
            Some((name, rest)) => {
                let Some(level) = rest.strip_suffix(')') else {
                    return Err(format!("{text:?} has an unclosed parenthesis; write e.g. zstd(3)"));
                };
                let level: i64 = level
                    .trim()
                    .parse()
                    .map_err(|_| format!("{text:?}: the level must be an integer, e.g. zstd(3)"))?;
                (name.trim().to_string(), Some(level))
            }
            None => (t.clone(), None),
        };
        let ranged = |min: i64, max: i64, default: i64| -> Result<i64, String> {
            let level = level.unwrap_or(default);
            if (min..=max).contains(&level) {
                Ok(level)
            } else {
                Err(format!("{name} levels go from {min} to {max}, got {level}"))
            }
        };
        let no_level = |c: Compression| match level {
            None => Ok(c),
            Some(_) => Err(format!("{name} takes no level; write {name}")),
        };
        match name.as_str() {
            "zstd" => Ok(Compression::Zstd(ranged(1, 22, 3)? as i32)),
            "gzip" => Ok(Compression::Gzip(ranged(0, 9, 6)? as u32)),
            "brotli" => Ok(Compression::Brotli(ranged(0, 11, 1)? as u32)),
            "snappy" => no_level(Compression::Snappy),
            "lz4" => no_level(Compression::Lz4),
            "none" | "uncompressed" => no_level(Compression::None),
            _ => Err(format!(
                "unknown codec {text:?}; use zstd(3) (the default), snappy, gzip(6), lz4, brotli(1) or none"
            )),
        }
    }
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Compression::Zstd(l) => write!(f, "zstd({l})"),
            Compression::Snappy => f.write_str("snappy"),
            Compression::Gzip(l) => write!(f, "gzip({l})"),
            Compression::Lz4 => f.write_str("lz4"),
            Compression::Brotli(l) => write!(f, "brotli({l})"),
            Compression::None => f.write_str("none"),
        }
    }
}

/// Where a profile's table lives: a directory here, or an object store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TablePlace {
    /// A directory on this machine.
    Local {
        /// Absolute path of the table's root (the directory holding `_delta_log`).
        path: PathBuf,
    },
    /// An object store (`s3://`; `gs://` and `az://` untested). Prints and serializes with
    /// its credentials redacted.
    Remote {
        /// The table's URI and every option its client is built with.
        storage: ResolvedStorage,
        /// This lake's own directory for the table's record (`{local_dir}/_table`, holding
        /// only `_datalake/`): the layers below the table read the record without the network.
        local: PathBuf,
    },
}

impl TablePlace {
    /// The table's root on the local disk; for a remote table, the local directory that
    /// holds datalake's record of it (`_datalake/`).
    pub fn local_path(&self) -> &Path {
        match self {
            TablePlace::Local { path } => path,
            TablePlace::Remote { local, .. } => local,
        }
    }

    /// The remote storage, for a table on an object store.
    pub fn remote(&self) -> Option<&ResolvedStorage> {
        match self {
            TablePlace::Local { .. } => None,
            TablePlace::Remote { storage, .. } => Some(storage),
        }
    }

    /// How messages name it (never with credentials).
    pub fn display(&self) -> String {
        match self {
            TablePlace::Local { path } => path.display().to_string(),
            TablePlace::Remote { storage, .. } => storage.table_uri.to_string(),
        }
    }
}

/// The Arrow type a CSV column is read as (`compact.csv_schema`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CsvType {
    /// UTF-8 text.
    String,
    /// 64-bit signed integer.
    Int64,
    /// 64-bit float.
    Double,
    /// `true`/`false`.
    Bool,
    /// Microseconds, UTC (ISO 8601 text or epoch microseconds).
    Timestamp,
    /// Calendar date (`YYYY-MM-DD`).
    Date,
}

impl CsvType {
    pub(super) fn parse(text: &str) -> Option<CsvType> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "string" | "str" | "utf8" | "text" => CsvType::String,
            "int64" | "int" | "integer" | "long" | "bigint" => CsvType::Int64,
            "double" | "float64" | "float" => CsvType::Double,
            "bool" | "boolean" => CsvType::Bool,
            "timestamp" | "timestamp[us, utc]" | "datetime" => CsvType::Timestamp,
            "date" | "date32" => CsvType::Date,
            _ => return None,
        })
    }
}

/// The `compact` block of a profile, with its defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompactConfig {
    /// Compact this profile at all (`datalake compact`, `--all`, `auto`).
    pub enabled: bool,
    /// A day counts as closed once this much time has passed since it ended
    /// in the profile's timezone. In JSON: seconds.
    #[serde(serialize_with = "whole_seconds")]
    pub after: Duration,
    /// Columns each series-day is sorted by (stable); empty keeps the order
    /// the parts were written in.
    pub sort_by: Vec<String>,
    /// Within one series-day, rows equal on all of these columns are one row
    /// (the one from the newest part); `None` keeps every row.
    pub dedup_on: Option<Vec<String>>,
    /// Codec of the table's files.
    pub compression: Compression,
    /// Bytes of a table file before the writer starts the next one.
    pub target_file_size: u64,
    /// Keep the absorbed raw parts on disk (readers skip them either way).
    pub keep_raw: bool,
    /// Compact after each successful sync.
    pub auto: bool,
    /// Where the table lives.
    pub table: TablePlace,
    /// How long files removed from the table stay for readers of older
    /// versions before vacuum deletes them. In JSON: seconds.
    #[serde(serialize_with = "whole_seconds")]
    pub vacuum_after: Duration,
    /// Types of CSV columns by name; `None`: inferred from the first part of each day.
    pub csv_schema: Option<Vec<(String, CsvType)>>,
}

fn whole_seconds<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

impl CompactConfig {
    /// The defaults, with the table at `{local_dir}/_table`.
    pub fn default_for(local_dir: &Path) -> CompactConfig {
        CompactConfig {
            enabled: false,
            after: DEFAULT_COMPACT_AFTER,
            sort_by: Vec::new(),
            dedup_on: None,
            compression: Compression::Zstd(3),
            target_file_size: DEFAULT_TARGET_FILE_SIZE,
            keep_raw: false,
            auto: false,
            table: TablePlace::Local { path: local_dir.join(TABLE_DIR) },
            vacuum_after: DEFAULT_VACUUM_AFTER,
            csv_schema: None,
        }
    }
}

/// `128MiB`, `64 MB`, `1GiB`, `1000000` (bytes).
pub(crate) fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1 << 10,
        "m" | "mb" => 1000 * 1000,
        "mib" => 1 << 20,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codecs_parse_with_and_without_levels() {
        assert_eq!(Compression::parse("zstd(3)"), Ok(Compression::Zstd(3)));
        assert_eq!(Compression::parse(" ZSTD "), Ok(Compression::Zstd(3)));
        assert_eq!(Compression::parse("gzip(9)"), Ok(Compression::Gzip(9)));
        assert_eq!(Compression::parse("snappy"), Ok(Compression::Snappy));
        assert_eq!(Compression::parse("none"), Ok(Compression::None));
        assert!(Compression::parse("zstd(23)").unwrap_err().contains("1 to 22"));
        assert!(Compression::parse("snappy(2)").unwrap_err().contains("takes no level"));
        assert!(Compression::parse("lzo").unwrap_err().contains("unknown codec"));
        assert!(Compression::parse("zstd(3").unwrap_err().contains("unclosed"));
        assert_eq!(Compression::Zstd(3).to_string(), "zstd(3)");
    }

    #[test]
    fn sizes_parse_in_si_and_iec_units() {
        assert_eq!(parse_size("128MiB"), Some(128 << 20));
        assert_eq!(parse_size("64 MB"), Some(64_000_000));
        assert_eq!(parse_size("1gib"), Some(1 << 30));
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("1.5GiB"), None);
        assert_eq!(parse_size("MiB"), None);
        assert_eq!(parse_size("12 parsecs"), None);
    }
}
