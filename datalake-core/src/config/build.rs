//! The schema walk: from a positioned YAML tree to a [`Config`], collecting
//! every error and warning on the way instead of stopping at the first.
//! Reading is [`super::load`], typed field readers [`super::fields`], the
//! checks between profiles [`super::cross`], the source block [`super::source`].

use std::collections::BTreeMap;
use std::path::Path;

use super::compact::walk_compact;
use super::compact_table::{walk_defaults, CompactDefaults};
use super::cross::{cross_checks, Placed};
use super::ctx::{join, Ctx};
use super::fields::*;
use super::keys::{self, *};
use super::rules::{check_local_subdir, check_profile_name, did_you_mean, normalize};
use super::series_format::SeriesFormat;
use super::source::walk_source;
use super::spec::{DurationKey, IntKey, Scope};
use super::types::{Config, Profile, Source, Timezone};
use super::yaml::{self, Kind, Node};
use crate::vocab::diagnostic::Severity;

pub(super) fn walk(ctx: &mut Ctx<'_>, text: &str) -> Option<Config> {
    let root = match yaml::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => {
            ctx.push(
                Severity::Error,
                None,
                "",
                "the file is empty; it needs a data_lake: section with root_dir and profiles (see the example config)"
                    .into(),
            );
            return None;
        }
        Err(e) => {
            ctx.push(Severity::Error, e.pos, "", e.message);
            return None;
        }
    };
    let Kind::Map(top) = &root.kind else {
        ctx.error(
            root.pos,
            "",
            format!("the top level must be a mapping with a data_lake: key, got {}", root.describe()),
        );
        return None;
    };
    // Other top-level keys belong to the rest of a quants-infra config: ignored.
    let mut data_lake: Option<(&Node, &Node)> = None;
    for (k, v) in top {
        if k.as_scalar() == Some("data_lake") {
            if data_lake.is_some() {
                ctx.error(k.pos, "", "duplicate data_lake: section; keep only one");
            } else {
                data_lake = Some((k, v));
            }
        }
    }
    let Some((dl_key, dl)) = data_lake else {
        let near = top.iter().find(|(k, _)| k.as_scalar().is_some_and(|s| did_you_mean(s, ["data_lake"]).is_some()));
        match near {
            Some((k, _)) => ctx.error(
                k.pos,
                "",
                format!("no data_lake: section; found {:?}: did you mean data_lake?", k.as_scalar().unwrap_or("")),
            ),
            None => ctx.push(
                Severity::Error,
                Some(root.pos),
                "",
                "no data_lake: section at the top level; add one with root_dir and profiles (see the example config)"
                    .into(),
            ),
        }
        return None;
    };
    if dl.is_null() {
        ctx.error(dl_key.pos, "", "data_lake: is empty; it needs root_dir and profiles (see the example config)");
        return None;
    }
    let f = fields(ctx, dl, "", &keys::names(Scope::DataLake), &|_| None)?;

    let root_dir = match f.get("root_dir") {
        Some(e) if !e.value.is_null() => read_local_path(ctx, Some(e), "root_dir"),
        _ => {
            let pos = f.get("root_dir").map_or(dl_key.pos, |e| e.key.pos);
            ctx.error(
                pos,
                "root_dir",
                "root_dir is required: the directory the lake lives in, e.g. root_dir: /data/lake",
            );
            None
        }
    };
    let checkpoint_dir = match f.get("checkpoint_dir") {
        Some(e) if !e.value.is_null() => read_local_path(ctx, Some(e), "checkpoint_dir"),
        _ => root_dir.as_ref().map(|r| r.join(CHECKPOINT_SUBDIR)),
    };
    let timezone = read_timezone(ctx, f.get("timezone"), "timezone").unwrap_or(DEFAULT_TIMEZONE);
    let metrics_dir = read_local_path(ctx, f.get("metrics_dir"), "metrics_dir");
    if let (Some(dir), Some(e)) = (&metrics_dir, f.get("metrics_dir")) {
        if !dir.is_dir() {
            let message = format!("{} is not a directory: metrics will not be written until it exists (create it, writable by the user running datalake)", dir.display());
            ctx.warn(e.value.pos, "metrics_dir", message);
        }
    }

    let compact_defaults = walk_defaults(ctx, f.get("compact"));
    let mut placed: Vec<Placed> = Vec::new();
    let mut profiles = BTreeMap::new();
    match f.get("profiles") {
        Some(e) if !e.value.is_null() => {
            if let Kind::Map(entries) = &e.value.kind {
                if entries.is_empty() {
                    ctx.warn(e.key.pos, "profiles", "no profiles: nothing will be synced; add one under profiles:");
                }
                let env = Env {
                    compact: &compact_defaults,
                    root_dir: root_dir.as_deref(),
                    checkpoint_dir: checkpoint_dir.as_deref(),
                    timezone,
                };
                for (name_node, body) in entries {
                    if let Some((profile, place)) = walk_profile(ctx, &env, name_node, body) {
                        if profiles.contains_key(&profile.name) {
                            ctx.error(
                                name_node.pos,
                                &join("profiles", &profile.name),
                                "duplicate profile; keep only one of them",
                            );
                            continue;
                        }
                        placed.push(place);
                        profiles.insert(profile.name.clone(), profile);
                    }
                }
            } else {
                ctx.error(
                    e.value.pos,
                    "profiles",
                    format!("expected a mapping of profile names to profiles, got {}", e.value.describe()),
                );
            }
        }
        other => {
            let pos = other.map_or(dl_key.pos, |e| e.key.pos);
            ctx.warn(pos, "profiles", "no profiles: nothing will be synced; add one under profiles:");
        }
    }

    if let Some(cdir) = &checkpoint_dir {
        let cdir_pos = f.get("checkpoint_dir").map_or(dl_key.pos, |e| e.value.pos);
        cross_checks(ctx, &placed, cdir, cdir_pos);
    }

    Some(Config {
        path: ctx.file.map(Path::to_path_buf),
        root_dir: root_dir?,
        checkpoint_dir: checkpoint_dir?,
        profiles,
        warnings: Vec::new(),
        metrics_dir,
    })
}

/// What a profile inherits from `data_lake`.
struct Env<'a> {
    /// The top-level `compact` block.
    compact: &'a CompactDefaults,
    root_dir: Option<&'a Path>,
    checkpoint_dir: Option<&'a Path>,
    timezone: Timezone,
}

fn walk_profile(ctx: &mut Ctx<'_>, env: &Env<'_>, name_node: &Node, body: &Node) -> Option<(Profile, Placed)> {
    let name = match name_node.as_scalar() {
        Some(n) if !name_node.is_null() => n.to_string(),
        _ => {
            ctx.error(
                name_node.pos,
                "profiles",
                format!("profile names must be plain names, got {}", name_node.describe()),
            );
            return None;
        }
    };
    let prefix = join("profiles", &name);
    let mut valid = true;
    if let Some(message) = check_profile_name(&name) {
        ctx.error(name_node.pos, &prefix, message);
        valid = false;
    }
    if body.is_null() {
        ctx.error(
            name_node.pos,
            &prefix,
            "profile is empty; it needs at least source: (type, host, user, remote_root)",
        );
        return None;
    }
    let f = fields(ctx, body, &prefix, &keys::names(Scope::Profile), &|k| {
        keys::is_key(Scope::Source, k)
            .then(|| format!("{k} belongs under source:, not directly in the profile; move it there"))
    })?;
    let key = |k: &str| join(&prefix, k);
    let int = |ctx: &mut Ctx<'_>, spec: &IntKey| read_int(ctx, f.get(spec.name), &key(spec.name), spec);
    let duration = |ctx: &mut Ctx<'_>, spec: &DurationKey| read_duration(ctx, f.get(spec.name), &key(spec.name), spec);

    let enabled = read_bool(ctx, f.get("enabled"), &key("enabled")).unwrap_or(DEFAULT_ENABLED);
    let source = walk_source(ctx, &f, name_node, &prefix, enabled);

    // local_subdir defaults to the profile name.
    let (subdir, subdir_pos) = match f.get("local_subdir") {
        Some(e) if !e.value.is_null() => (read_str(ctx, Some(e), &key("local_subdir")), e.value.pos),
        _ => (Some(name.clone()), name_node.pos),
    };
    let subdir = subdir.and_then(|s| match check_local_subdir(&s) {
        Some(message) => {
            if valid || f.get("local_subdir").is_some() {
                ctx.error(subdir_pos, &key("local_subdir"), message);
            }
            None
        }
        None => Some(normalize(Path::new(&s))),
    });
    let local_dir = match (env.root_dir, &subdir) {
        (Some(root), Some(sub)) => Some(root.join(sub)),
        _ => None,
    };

    let retention_days = int(ctx, &RETENTION_DAYS).map_or(DEFAULT_RETENTION_DAYS, |n| n as u32);

    let rsync_args = walk_rsync_args(ctx, f.get("rsync_args"), &key("rsync_args"));

    let checkpoint_file = match f.get("checkpoint_file") {
        Some(e) if !e.value.is_null() => {
            read_local_path(ctx, Some(e), &key("checkpoint_file")).map(|p| (p, e.value.pos))
        }
        _ => env.checkpoint_dir.map(|d| (d.join(format!("{name}.json")), name_node.pos)),
    };
    let lock_file = env.checkpoint_dir.map(|d| d.join(format!("{name}.lock"))).unwrap_or_default();

    let bwlimit = int(ctx, &BWLIMIT).map(|n| n as u32);
    let io_timeout = int(ctx, &IO_TIMEOUT).map_or(DEFAULT_IO_TIMEOUT, |n| n as u32);
    let connect_timeout = int(ctx, &CONNECT_TIMEOUT).map_or(DEFAULT_CONNECT_TIMEOUT, |n| n as u32);
    let retries = int(ctx, &RETRIES).map_or(DEFAULT_RETRIES, |n| n as u32);
    let exclude = read_str_list(ctx, f.get("exclude"), &key("exclude"), "[\"*.tmp\"]").unwrap_or_default();
    let known_hosts = read_local_path(ctx, f.get("known_hosts"), &key("known_hosts"));
    let host_key_checking = read_host_key_checking(ctx, f.get("host_key_checking"), &key("host_key_checking"))
        .unwrap_or(DEFAULT_HOST_KEY_CHECKING);
    let timezone = read_timezone(ctx, f.get("timezone"), &key("timezone")).unwrap_or(env.timezone);
    let min_age = duration(ctx, &MIN_AGE).unwrap_or(DEFAULT_MIN_AGE);
    let check_parquet = read_bool(ctx, f.get("check_parquet"), &key("check_parquet")).unwrap_or(DEFAULT_CHECK_PARQUET);
    // Transfer planner (issue 11): window, full-run period, parallel streams.
    let window_days = int(ctx, &WINDOW_DAYS).map_or(DEFAULT_WINDOW_DAYS, |n| n as u32);
    let full_sync_every = duration(ctx, &FULL_SYNC_EVERY).unwrap_or(DEFAULT_FULL_SYNC_EVERY);
    let parallel = int(ctx, &PARALLEL).map_or(DEFAULT_PARALLEL, |n| n as u32);
    let on_rewrite = read_on_rewrite(ctx, f.get("on_rewrite"), &key("on_rewrite")).unwrap_or(DEFAULT_ON_REWRITE);
    let series_format = f.get("series_format").and_then(|e| {
        let text = read_str(ctx, Some(e), &key("series_format"))?;
        SeriesFormat::parse(&text).map_err(|message| ctx.error(e.value.pos, &key("series_format"), message)).ok()
    });
    let local = local_dir.as_deref().unwrap_or(Path::new(""));
    let compact = walk_compact(ctx, f.get("compact"), (&prefix, &name), local, env.compact);

    if matches!(source, Some(Source::Local { .. })) {
        for k in ["known_hosts", "host_key_checking", "connect_timeout"] {
            if let Some(e) = f.get(k) {
                ctx.warn(e.key.pos, &key(k), "only used by type: ssh sources; it has no effect here");
            }
        }
    }

    let placed = Placed {
        name: name.clone(),
        local_dir: local_dir.clone().map(|d| (d, subdir_pos, key("local_subdir"))),
        checkpoint_file: checkpoint_file.clone().map(|(p, pos)| {
            let k = if f.get("checkpoint_file").is_some_and(|e| !e.value.is_null()) {
                key("checkpoint_file")
            } else {
                prefix.clone()
            };
            (p, pos, k)
        }),
    };
    let profile = Profile {
        name,
        enabled,
        source: source?,
        local_subdir: subdir.unwrap_or_default(),
        local_dir: local_dir.unwrap_or_default(),
        retention_days,
        rsync_args,
        checkpoint_file: checkpoint_file.map(|(p, _)| p).unwrap_or_default(),
        lock_file,
        bwlimit,
        io_timeout,
        connect_timeout,
        retries,
        exclude,
        known_hosts,
        host_key_checking,
        timezone,
        min_age,
        check_parquet,
        window_days,
        full_sync_every,
        parallel,
        on_rewrite,
        series_format,
        compact: compact?,
    };
    Some((profile, placed))
}
