//! A profile's `compact` block: how closed days become the profile's Delta
//! table (see [`crate::table`]), each key checked with the position of its
//! YAML node.
//!
//! ```yaml
//! compact:
//!   enabled: true               # default false
//!   after: 2h                   # a day counts as closed this long after it ends (profile timezone)
//!   sort_by: [timestamp]        # default: none, parts keep the order they were written in
//!   dedup_on: [timestamp, update_id, side, price]   # default: none, every row is kept
//!   compression: zstd(3)        # zstd(1..22), snappy, gzip(0..9), lz4, brotli(0..11), none
//!   target_file_size: 128MiB    # a bigger series-day is split into files of about this size
//!   keep_raw: false             # keep the absorbed raw parts on disk
//!   auto: false                 # compact after each successful sync
//!   table_uri: /data/lake/cex_ticks/_table     # default {local_dir}/_table
//!   vacuum_after: 7d            # files removed from the table are deleted this long after
//!   csv_schema: {timestamp: timestamp, price: double}   # default: inferred from the first part
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::fields::*;
use super::load::{join, Ctx};
use super::yaml::{Kind, Node};
use crate::vocab::names::TABLE_DIR;

pub(super) const COMPACT_KEYS: &[&str] = &[
    "enabled",
    "after",
    "sort_by",
    "dedup_on",
    "compression",
    "target_file_size",
    "keep_raw",
    "auto",
    "table_uri",
    "vacuum_after",
    "csv_schema",
];

/// Default `after`: a day counts as closed two hours after it ends.
pub const DEFAULT_COMPACT_AFTER: Duration = Duration::from_secs(2 * 3600);
/// Default `target_file_size`: 128 MiB.
pub const DEFAULT_TARGET_FILE_SIZE: u64 = 128 * 1024 * 1024;
/// Default `vacuum_after` (Delta's own `deletedFileRetentionDuration`): a week.
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

/// Where a profile's table lives. Only the local disk for now; an object
/// store (`s3://...`) becomes a second variant carrying its URL and options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TablePlace {
    /// A directory on this machine.
    Local {
        /// Absolute path of the table's root (the directory holding `_delta_log`).
        path: PathBuf,
    },
}

impl TablePlace {
    /// The table's root on the local disk.
    pub fn local_path(&self) -> &Path {
        match self {
            TablePlace::Local { path } => path,
        }
    }

    /// How messages name it.
    pub fn display(&self) -> String {
        match self {
            TablePlace::Local { path } => path.display().to_string(),
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
    fn parse(text: &str) -> Option<CsvType> {
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

const AFTER_RULE: DurationRule = DurationRule {
    min: Duration::ZERO,
    max: Duration::from_secs(30 * 86_400),
    examples: "2h, 30m or 1d",
    max_reason: "a day waiting longer than that to close would outlive most retention settings",
};
const VACUUM_RULE: DurationRule = DurationRule {
    min: Duration::ZERO,
    max: Duration::from_secs(366 * 86_400),
    examples: "7d, 24h or 0",
    max_reason: "removed files would outlive retention by more than a year",
};

/// Read the `compact` block (defaults for a missing one); `None` when it is not a mapping.
pub(super) fn walk_compact(
    ctx: &mut Ctx<'_>,
    e: Option<Entry<'_>>,
    prefix: &str,
    local_dir: &Path,
) -> Option<CompactConfig> {
    let mut out = CompactConfig::default_for(local_dir);
    let Some(e) = e.filter(|e| !e.value.is_null()) else { return Some(out) };
    let cp = join(prefix, "compact");
    let f = fields(ctx, e.value, &cp, COMPACT_KEYS, &|_| None)?;
    let key = |k: &str| join(&cp, k);

    if let Some(v) = read_bool(ctx, f.get("enabled"), &key("enabled")) {
        out.enabled = v;
    }
    if let Some(v) = read_duration(ctx, f.get("after"), &key("after"), &AFTER_RULE) {
        out.after = v;
    }
    if let Some(v) = read_columns(ctx, f.get("sort_by"), &key("sort_by")) {
        out.sort_by = v;
    }
    match read_columns(ctx, f.get("dedup_on"), &key("dedup_on")) {
        Some(v) if v.is_empty() => {
            if let Some(e) = f.get("dedup_on") {
                ctx.warn(
                    e.value.pos,
                    &key("dedup_on"),
                    "an empty list deduplicates nothing; remove the key or name the columns",
                );
            }
        }
        Some(v) => out.dedup_on = Some(v),
        None => {}
    }
    if let Some(e) = f.get("compression") {
        if let Some(text) = read_str(ctx, Some(e), &key("compression")) {
            match Compression::parse(&text) {
                Ok(c) => out.compression = c,
                Err(message) => ctx.error(e.value.pos, &key("compression"), message),
            }
        }
    }
    if let Some(e) = f.get("target_file_size") {
        if let Some(n) = read_size(ctx, e, &key("target_file_size")) {
            out.target_file_size = n;
        }
    }
    if let Some(v) = read_bool(ctx, f.get("keep_raw"), &key("keep_raw")) {
        out.keep_raw = v;
    }
    if let Some(v) = read_bool(ctx, f.get("auto"), &key("auto")) {
        out.auto = v;
    }
    if let Some(e) = f.get("table_uri") {
        if let Some(place) = read_table_uri(ctx, e, &key("table_uri"), local_dir) {
            out.table = place;
        }
    }
    if let Some(v) = read_duration(ctx, f.get("vacuum_after"), &key("vacuum_after"), &VACUUM_RULE) {
        if v < Duration::from_secs(3600) {
            if let Some(e) = f.get("vacuum_after") {
                ctx.warn(
                    e.value.pos,
                    &key("vacuum_after"),
                    "a reader that opened an older version of the table may find its files gone; keep at least 1h unless nothing else reads the table",
                );
            }
        }
        out.vacuum_after = v;
    }
    if let Some(e) = f.get("csv_schema") {
        out.csv_schema = read_csv_schema(ctx, e, &key("csv_schema"));
    }
    if out.auto && !out.enabled {
        if let Some(e) = f.get("auto") {
            ctx.warn(e.key.pos, &key("auto"), "auto has no effect while compact.enabled is false; set enabled: true");
        }
    }
    // An invalid value was reported (and stops the load); its default stands meanwhile.
    Some(out)
}

/// A list of column names (non-empty, each once).
fn read_columns(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str) -> Option<Vec<String>> {
    let pos = e.map(|e| e.value.pos)?;
    let list = read_str_list(ctx, e, key, "[timestamp]")?;
    for (i, name) in list.iter().enumerate() {
        if list[..i].contains(name) {
            ctx.error(pos, key, format!("column {name:?} is listed twice; name each column once"));
            return None;
        }
    }
    Some(list)
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

fn read_size(ctx: &mut Ctx<'_>, e: Entry<'_>, key: &str) -> Option<u64> {
    const MIN: u64 = 1 << 20;
    const MAX: u64 = 16 << 30;
    let text = match &e.value.kind {
        Kind::Scalar { text, .. } if !e.value.is_null() => text.clone(),
        _ if e.value.is_null() => return None,
        _ => {
            ctx.error(e.value.pos, key, format!("expected a size such as 128MiB, got {}", e.value.describe()));
            return None;
        }
    };
    match parse_size(&text) {
        Some(n) if (MIN..=MAX).contains(&n) => Some(n),
        Some(_) => {
            ctx.error(
                e.value.pos,
                key,
                format!("{text:?} is outside 1MiB..16GiB; Parquet readers do best with files of 64MiB to 1GiB"),
            );
            None
        }
        None => {
            ctx.error(e.value.pos, key, format!("expected a size such as 128MiB, 512MB or 1GiB, got {text:?}"));
            None
        }
    }
}

/// A local directory (absolute, `~`/`${VAR}` expanded) or a `file://` URL.
fn read_table_uri(ctx: &mut Ctx<'_>, e: Entry<'_>, key: &str, local_dir: &Path) -> Option<TablePlace> {
    let pos = e.value.pos;
    let text = read_str(ctx, Some(e), key)?;
    let path_text = match text.split_once("://") {
        Some(("file", rest)) => rest.to_string(),
        Some((scheme, _)) => {
            ctx.error(
                pos,
                key,
                format!("{scheme}:// tables are not supported yet; give a local directory (or file:///path)"),
            );
            return None;
        }
        None => text.clone(),
    };
    let path = local_path(ctx, &path_text, pos, key)?;
    if path == local_dir || local_dir.starts_with(&path) {
        ctx.error(pos, key, "the table cannot be the profile directory or one of its parents; use a directory of its own, e.g. {local_dir}/_table");
        return None;
    }
    let hidden = path.file_name().is_some_and(|n| matches!(n.as_encoded_bytes().first(), Some(b'_' | b'.')));
    if path.starts_with(local_dir) && (path.parent() != Some(local_dir) || !hidden) {
        ctx.error(
            pos,
            key,
            format!(
                "inside the profile directory the table must sit directly below it under a name starting with _ or . (like {}/{TABLE_DIR}): walks of the lake leave those alone instead of taking the table's date=... directories for partitions",
                local_dir.display()
            ),
        );
        return None;
    }
    Some(TablePlace::Local { path })
}

fn read_csv_schema(ctx: &mut Ctx<'_>, e: Entry<'_>, key: &str) -> Option<Vec<(String, CsvType)>> {
    if e.value.is_null() {
        return None;
    }
    let Kind::Map(entries) = &e.value.kind else {
        ctx.error(
            e.value.pos,
            key,
            format!(
                "expected a mapping of column: type, e.g. {{timestamp: timestamp, price: double}}, got {}",
                e.value.describe()
            ),
        );
        return None;
    };
    let mut out: Vec<(String, CsvType)> = Vec::with_capacity(entries.len());
    let mut ok = true;
    for (k, v) in entries {
        let Some(name) = k.as_scalar().filter(|n| !n.is_empty()) else {
            ctx.error(k.pos, key, format!("column names must be plain text, got {}", k.describe()));
            ok = false;
            continue;
        };
        let item = join(key, name);
        if out.iter().any(|(n, _)| n == name) {
            ctx.error(k.pos, &item, "duplicate column; keep only one");
            ok = false;
            continue;
        }
        match v.as_scalar().and_then(CsvType::parse) {
            Some(t) => out.push((name.to_string(), t)),
            None => {
                ctx.error(
                    v.pos,
                    &item,
                    format!("unknown type {}; use string, int64, double, bool, timestamp or date", describe(v)),
                );
                ok = false;
            }
        }
    }
    if out.is_empty() && ok {
        ctx.error(e.value.pos, key, "no columns; remove the key to infer the schema from the first part");
        return None;
    }
    ok.then_some(out)
}

fn describe(v: &Node) -> String {
    v.as_scalar().map_or_else(|| v.describe(), |s| format!("{s:?}"))
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
