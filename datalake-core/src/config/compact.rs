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
//!   table_uri: /data/lake/cex_ticks/_table     # default {local_dir}/_table; s3://bucket/prefix (compact_table.rs)
//!   storage_options: {aws_region: eu-west-1}    # the object store's client options (compact_table.rs)
//!   vacuum_after: 7d            # files removed from the table are deleted this long after
//!   csv_schema: {timestamp: timestamp, price: double}   # default: inferred from the first part
//! ```

use std::path::Path;
use std::time::Duration;

use super::compact_table::{table_place, CompactDefaults};
use super::compact_types::{parse_size, CompactConfig, Compression, CsvType};
use super::ctx::{join, Ctx};
use super::fields::*;
use super::keys::{self, COMPACT_AFTER, MAX_TARGET_FILE_SIZE, MIN_TARGET_FILE_SIZE, VACUUM_AFTER};
use super::spec::Scope;
use super::yaml::{Kind, Node};

/// Read the `compact` block (defaults for a missing one); `None` when it is not a mapping.
pub(super) fn walk_compact(
    ctx: &mut Ctx<'_>,
    e: Option<Entry<'_>>,
    (prefix, profile): (&str, &str),
    local_dir: &Path,
    defaults: &CompactDefaults,
) -> Option<CompactConfig> {
    let mut out = CompactConfig::default_for(local_dir);
    let cp = join(prefix, "compact");
    let Some(e) = e.filter(|e| !e.value.is_null()) else {
        if let Some(place) = table_place(ctx, defaults, None, None, &cp, profile, local_dir) {
            out.table = place;
        }
        return Some(out);
    };
    let f = fields(ctx, e.value, &cp, &keys::names(Scope::Compact), &|_| None)?;
    let key = |k: &str| join(&cp, k);

    if let Some(v) = read_bool(ctx, f.get("enabled"), &key("enabled")) {
        out.enabled = v;
    }
    if let Some(v) = read_duration(ctx, f.get("after"), &key("after"), &COMPACT_AFTER) {
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
    // A problem is reported; the default stands while the load fails.
    if let Some(place) =
        table_place(ctx, defaults, f.get("table_uri"), f.get("storage_options"), &cp, profile, local_dir)
    {
        out.table = place;
    }
    if let Some(v) = read_duration(ctx, f.get("vacuum_after"), &key("vacuum_after"), &VACUUM_AFTER) {
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

fn read_size(ctx: &mut Ctx<'_>, e: Entry<'_>, key: &str) -> Option<u64> {
    let text = match &e.value.kind {
        Kind::Scalar { text, .. } if !e.value.is_null() => text.clone(),
        _ if e.value.is_null() => return None,
        _ => {
            ctx.error(e.value.pos, key, format!("expected a size such as 128MiB, got {}", e.value.describe()));
            return None;
        }
    };
    match parse_size(&text) {
        Some(n) if (MIN_TARGET_FILE_SIZE..=MAX_TARGET_FILE_SIZE).contains(&n) => Some(n),
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
