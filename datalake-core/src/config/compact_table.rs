//! Where a profile's table lives: `compact.table_uri` and `compact.storage_options`, in a
//! profile's `compact` block or in the top-level one, whose values are every profile's
//! defaults (`{profile}` in `table_uri` is replaced by the profile's name):
//!
//! ```yaml
//! data_lake:
//!   compact:                                   # defaults for every profile
//!     table_uri: s3://market-data/tables/{profile}
//!     storage_options: {aws_endpoint: "http://127.0.0.1:8333", aws_region: us-east-1, aws_allow_http: true}
//!   profiles:
//!     cex_ticks:
//!       compact: {enabled: true, storage_options: {aws_region: eu-west-1}}   # key by key over the default
//! ```
//!
//! The options' names, values and credentials are [`super::storage`]'s; this file places
//! their problems at the YAML node they come from.

use std::path::Path;

use super::compact_types::TablePlace;
use super::ctx::{join, Ctx};
use super::fields::*;
use super::storage::{resolve, OptionProblem, StorageOptions, TableUri, PROFILE_PLACEHOLDER};
use super::yaml::{Kind, Pos};
use crate::vocab::names::TABLE_DIR;

/// The keys of the top-level `compact` block.
pub(super) const DEFAULT_KEYS: &[&str] = &["table_uri", "storage_options"];

/// The top-level `compact` block: what every profile's `compact` block starts from.
#[derive(Debug, Clone, Default)]
pub(super) struct CompactDefaults {
    /// `table_uri` as written (`{profile}` not replaced yet), with its position.
    table_uri: Option<(String, Pos)>,
    storage_options: StorageOptions,
}

/// Read the top-level `compact` block.
pub(super) fn walk_defaults(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>) -> CompactDefaults {
    let mut out = CompactDefaults::default();
    let Some(e) = e.filter(|e| !e.value.is_null()) else { return out };
    let Some(f) = fields(ctx, e.value, "compact", DEFAULT_KEYS, &|_| {
        Some("the top-level compact block holds the defaults table_uri and storage_options; the other compact keys go in each profile's compact block".into())
    }) else {
        return out;
    };
    if let Some(e) = f.get("table_uri") {
        if let Some(text) = read_str(ctx, Some(e), "compact.table_uri") {
            out.table_uri = Some((text, e.value.pos));
        }
    }
    if let Some(e) = f.get("storage_options") {
        out.storage_options = read_options(ctx, e, "compact.storage_options");
    }
    out
}

/// A `storage_options` mapping: keys and values checked, problems placed at their node.
pub(super) fn read_options(ctx: &mut Ctx<'_>, e: Entry<'_>, key: &str) -> StorageOptions {
    if e.value.is_null() {
        return StorageOptions::default();
    }
    let Kind::Map(entries) = &e.value.kind else {
        ctx.error(
            e.value.pos,
            key,
            format!("expected a mapping of option: value (aws_endpoint: http://...), got {}", e.value.describe()),
        );
        return StorageOptions::default();
    };
    let mut pairs: Vec<(String, String, Pos)> = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let (Some(name), Some(value)) = (k.as_scalar(), v.as_scalar()) else {
            ctx.error(k.pos, key, "each storage option is a plain name with a plain value (text, number, true/false)");
            continue;
        };
        pairs.push((name.to_string(), value.to_string(), k.pos));
    }
    let (options, problems) = StorageOptions::parse(pairs.iter().map(|(k, v, _)| (k.as_str(), v.as_str())));
    for p in problems {
        let pos = pairs.iter().find(|(k, _, _)| *k == p.key).map_or(e.value.pos, |(_, _, pos)| *pos);
        place(ctx, pos, &join(key, &p.key), p);
    }
    options
}

fn place(ctx: &mut Ctx<'_>, pos: Pos, key: &str, p: OptionProblem) {
    if p.warning {
        ctx.warn(pos, key, p.message);
    } else {
        ctx.error(pos, key, p.message);
    }
}

/// The profile's table place from its `table_uri` and `storage_options` (either may be
/// `None`) over `defaults`; `None` after reporting a problem.
pub(super) fn table_place(
    ctx: &mut Ctx<'_>,
    defaults: &CompactDefaults,
    uri: Option<Entry<'_>>,
    options: Option<Entry<'_>>,
    prefix: &str,
    profile: &str,
    local_dir: &Path,
) -> Option<TablePlace> {
    let key = join(prefix, "table_uri");
    let written = match uri {
        Some(e) => read_str(ctx, Some(e), &key).map(|t| (t, e.value.pos)),
        None => defaults.table_uri.clone(),
    };
    let own = match options {
        Some(e) => read_options(ctx, e, &join(prefix, "storage_options")),
        None => StorageOptions::default(),
    };
    let local = local_dir.join(TABLE_DIR);
    let Some((text, pos)) = written else {
        if !own.is_empty() {
            let pos = options.map_or(Pos::default(), |e| e.key.pos);
            ctx.error(pos, &join(prefix, "storage_options"), "storage options without a table_uri on an object store: the table is local ({local_dir}/_table); set table_uri: s3://bucket/prefix, or remove them");
        }
        return Some(TablePlace::Local { path: local });
    };
    let text = text.replace(PROFILE_PLACEHOLDER, profile);
    let remote = text.split_once("://").is_some_and(|(s, _)| !s.eq_ignore_ascii_case("file"));
    if !remote {
        return local_table(ctx, &text, pos, &key, local_dir);
    }
    let table_uri = TableUri::parse(&text, profile).map_err(|m| ctx.error(pos, &key, m)).ok()?;
    let env = |name: &str| std::env::var(name).ok();
    match resolve(&table_uri, &own, &defaults.storage_options, &env) {
        Ok(storage) => Some(TablePlace::Remote { storage, local }),
        Err(problems) => {
            let at = options.map_or(pos, |e| e.value.pos);
            for p in problems {
                place(ctx, at, &join(&join(prefix, "storage_options"), &p.key), p);
            }
            None
        }
    }
}

/// A local directory (absolute, `~`/`${VAR}` expanded) or a `file://` URL.
fn local_table(ctx: &mut Ctx<'_>, text: &str, pos: Pos, key: &str, local_dir: &Path) -> Option<TablePlace> {
    let path_text = text.split_once("://").map_or(text, |(_, rest)| rest);
    let path = local_path(ctx, path_text, pos, key)?;
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

#[cfg(test)]
#[path = "compact_table_tests.rs"]
mod tests;
