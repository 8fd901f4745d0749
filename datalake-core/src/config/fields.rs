//! Typed readers for the values of a config mapping: each reads one field,
//! reports what is wrong with it (with position and key) and returns `None`
//! rather than stopping, so one pass finds every problem.

use std::path::PathBuf;
use std::time::Duration;

use super::ctx::{join, Ctx};
use super::expand::expand_local;
use super::keys::DEFAULT_RSYNC_ARGS;
use super::rsync_args;
use super::rules::{did_you_mean, normalize};
use super::spec::{DurationKey, IntKey};
use super::types::{HostKeyChecking, OnRewrite, Timezone};
use super::yaml::{Kind, Node, Pos};

/// A known key found in a mapping.
#[derive(Clone, Copy)]
pub(super) struct Entry<'n> {
    pub(super) key: &'n Node,
    pub(super) value: &'n Node,
}

/// The known keys of one mapping, after reporting unknown and duplicate ones.
pub(super) struct Fields<'n> {
    entries: Vec<(&'static str, Entry<'n>)>,
}

impl<'n> Fields<'n> {
    pub(super) fn get(&self, name: &str) -> Option<Entry<'n>> {
        self.entries.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
    }
}

/// Check a mapping's keys against `known`; `hint` may explain an unknown key
/// better than a spelling suggestion (a key at the wrong level).
pub(super) fn fields<'n>(
    ctx: &mut Ctx<'_>,
    node: &'n Node,
    prefix: &str,
    known: &[&'static str],
    hint: &dyn Fn(&str) -> Option<String>,
) -> Option<Fields<'n>> {
    let Kind::Map(map) = &node.kind else {
        ctx.error(
            node.pos,
            prefix,
            format!("expected a mapping of keys ({}), got {}", known.join(", "), node.describe()),
        );
        return None;
    };
    let mut out = Fields { entries: Vec::with_capacity(map.len()) };
    for (k, v) in map {
        let Some(name) = k.as_scalar() else {
            ctx.error(
                k.pos,
                prefix,
                format!("keys must be plain names, got {}; use one of: {}", k.describe(), known.join(", ")),
            );
            continue;
        };
        let path = join(prefix, name);
        match known.iter().find(|&&n| n == name) {
            Some(&known_name) => {
                if out.get(known_name).is_some() {
                    ctx.error(k.pos, &path, "duplicate key; keep only one of them");
                } else {
                    out.entries.push((known_name, Entry { key: k, value: v }));
                }
            }
            None => {
                let message = match hint(name) {
                    Some(h) => h,
                    None => match did_you_mean(name, known.iter().copied()) {
                        Some(s) => format!("unknown field; did you mean {s}?"),
                        None => format!("unknown field; known fields here: {}", known.join(", ")),
                    },
                };
                ctx.error(k.pos, &path, message);
            }
        }
    }
    Some(out)
}

/// A string value; `None` when absent, null or invalid (then reported).
pub(super) fn read_str(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str) -> Option<String> {
    let e = e?;
    if e.value.is_null() {
        return None;
    }
    match &e.value.kind {
        Kind::Scalar { text, .. } => Some(text.clone()),
        _ => {
            ctx.error(e.value.pos, key, format!("expected a string, got {}", e.value.describe()));
            None
        }
    }
}

/// An integer in the key's range; `None` when absent, null or invalid (then reported).
pub(super) fn read_int(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str, spec: &IntKey) -> Option<u64> {
    let IntKey { min, max, unit, .. } = *spec;
    let e = e?;
    if e.value.is_null() {
        return None;
    }
    let parsed = match &e.value.kind {
        Kind::Scalar { text, plain } => parse_int(text, *plain),
        _ => None,
    };
    match parsed {
        Some(n) if n >= i128::from(min) && n <= i128::from(max) => u64::try_from(n).ok(),
        _ => {
            let range = if max == u64::from(u32::MAX) {
                format!("an integer >= {min}")
            } else {
                format!("an integer from {min} to {max}")
            };
            ctx.error(e.value.pos, key, format!("expected {range}{unit}, got {}", e.value.describe()));
            None
        }
    }
}

/// YAML 1.2 core integers (decimal, `0x`, `0o`, optional sign, `_` as PyYAML
/// allowed); quoted decimal digits are accepted too, as the old tool did.
pub(super) fn parse_int(text: &str, plain: bool) -> Option<i128> {
    let t = text.trim();
    let (negative, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let digits_clean: String;
    let digits = if plain && digits.contains('_') {
        digits_clean = digits.replace('_', "");
        digits_clean.as_str()
    } else {
        digits
    };
    let value = if let Some(hex) = digits.strip_prefix("0x").filter(|_| plain) {
        i128::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o").filter(|_| plain) {
        i128::from_str_radix(oct, 8).ok()?
    } else {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 30 {
            return None;
        }
        digits.parse::<i128>().ok()?
    };
    Some(if negative { -value } else { value })
}

/// A duration in humantime's syntax (`90s`, `1m`, `6h`, `7d`, `1h 30m`) or a bare
/// `0`, within the key's bounds; `None` when absent, null or invalid (then reported).
pub(super) fn read_duration(
    ctx: &mut Ctx<'_>,
    e: Option<Entry<'_>>,
    key: &str,
    rule: &DurationKey,
) -> Option<Duration> {
    let e = e?;
    if e.value.is_null() {
        return None;
    }
    let expected = || format!("expected a duration such as {}, got {}", rule.examples, e.value.describe());
    let Kind::Scalar { text, .. } = &e.value.kind else {
        ctx.error(e.value.pos, key, expected());
        return None;
    };
    let text = text.trim();
    let parsed = if text == "0" { Ok(Duration::ZERO) } else { humantime::parse_duration(text) };
    match parsed {
        Ok(d) if d > rule.max => {
            let max = humantime::format_duration(rule.max);
            ctx.error(e.value.pos, key, format!("at most {max}: {}", rule.max_reason));
            None
        }
        Ok(d) if d < rule.min => {
            let min = humantime::format_duration(rule.min);
            ctx.error(e.value.pos, key, format!("{text:?} is shorter than {min}; use e.g. {}", rule.examples));
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            ctx.error(e.value.pos, key, expected());
            None
        }
    }
}

/// A boolean; YAML 1.1 spellings (yes/no/on/off) too, as PyYAML read them.
pub(super) fn read_bool(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str) -> Option<bool> {
    let e = e?;
    if e.value.is_null() {
        return None;
    }
    if let Kind::Scalar { text, plain: true } = &e.value.kind {
        match text.as_str() {
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => return Some(true),
            "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => return Some(false),
            _ => {}
        }
    }
    let quoted = matches!(&e.value.kind, Kind::Scalar { plain: false, .. });
    ctx.error(
        e.value.pos,
        key,
        format!(
            "expected true or false, got {}{}",
            e.value.describe(),
            if quoted { " (quoted: remove the quotes)" } else { "" }
        ),
    );
    None
}

pub(super) fn read_timezone(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str) -> Option<Timezone> {
    let pos = e.map(|e| e.value.pos)?;
    let text = read_str(ctx, e, key)?;
    match text.to_ascii_lowercase().as_str() {
        "utc" => Some(Timezone::Utc),
        "local" => Some(Timezone::Local),
        _ => {
            ctx.error(
                pos,
                key,
                format!("expected utc or local, got {text:?}; named zones are not supported: set the machine's TZ and use local"),
            );
            None
        }
    }
}

pub(super) fn read_host_key_checking(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str) -> Option<HostKeyChecking> {
    let pos = e.map(|e| e.value.pos)?;
    let text = read_str(ctx, e, key)?;
    match text.to_ascii_lowercase().as_str() {
        "accept-new" => Some(HostKeyChecking::AcceptNew),
        "yes" | "true" => Some(HostKeyChecking::Yes),
        "no" | "off" | "false" => {
            ctx.error(
                pos,
                key,
                format!("{text:?} lets anyone on the network path impersonate the collector and feed the lake forged data; use accept-new (trust on first use, the default) or yes"),
            );
            None
        }
        _ => {
            ctx.error(pos, key, format!("expected accept-new or yes, got {text:?}"));
            None
        }
    }
}

pub(super) fn read_on_rewrite(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str) -> Option<OnRewrite> {
    let pos = e.map(|e| e.value.pos)?;
    let text = read_str(ctx, e, key)?;
    match text.to_ascii_lowercase().as_str() {
        "auto" => Some(OnRewrite::Auto),
        "keep" => Some(OnRewrite::Keep),
        "replace" => Some(OnRewrite::Replace),
        _ => {
            ctx.error(
                pos,
                key,
                format!("expected auto (keep an earlier version only when the new one lost rows, the default), keep or replace, got {text:?}"),
            );
            None
        }
    }
}

/// A list of non-empty strings without control characters.
pub(super) fn read_str_list(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str, example: &str) -> Option<Vec<String>> {
    let e = e?;
    if e.value.is_null() {
        return None;
    }
    let Kind::Seq(items) = &e.value.kind else {
        ctx.error(e.value.pos, key, format!("expected a list of strings, e.g. {example}, got {}", e.value.describe()));
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item_key = format!("{key}[{i}]");
        match &item.kind {
            Kind::Scalar { text, .. } if !item.is_null() && !text.is_empty() => {
                if text.chars().any(char::is_control) {
                    ctx.error(item.pos, &item_key, "contains a control character (newline, tab...); remove it");
                } else {
                    out.push(text.clone());
                }
            }
            _ => ctx.error(item.pos, &item_key, format!("expected a non-empty string, got {}", item.describe())),
        }
    }
    Some(out)
}

/// A local path: `~` and `${VAR}` expanded, relative ones resolved against the
/// current directory with a warning.
pub(super) fn read_local_path(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str) -> Option<PathBuf> {
    let pos = e.map(|e| e.value.pos)?;
    let text = read_str(ctx, e, key)?;
    local_path(ctx, &text, pos, key)
}

pub(super) fn local_path(ctx: &mut Ctx<'_>, text: &str, pos: Pos, key: &str) -> Option<PathBuf> {
    if text.trim().is_empty() {
        ctx.error(pos, key, "path is empty; write a directory or file path");
        return None;
    }
    let expanded = match expand_local(text) {
        Ok(p) => p,
        Err(message) => {
            ctx.error(pos, key, message);
            return None;
        }
    };
    let path = PathBuf::from(&expanded);
    if path.is_absolute() {
        return Some(normalize(&path));
    }
    match ctx.cwd() {
        Ok(cwd) => {
            let resolved = normalize(&cwd.join(&path));
            ctx.warn(
                pos,
                key,
                format!(
                    "relative path {expanded:?} resolves against the current directory, here {}; cron runs jobs from another directory (usually $HOME), so an absolute path is safer",
                    resolved.display()
                ),
            );
            Some(resolved)
        }
        Err(message) => {
            ctx.error(pos, key, message);
            None
        }
    }
}

pub(super) fn walk_rsync_args(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str) -> Option<Vec<String>> {
    let e = e?;
    if e.value.is_null() {
        return None;
    }
    let pos = e.value.pos;
    let args = match &e.value.kind {
        Kind::Scalar { text, .. } => match rsync_args::split(text) {
            Ok(args) => args,
            Err(message) => {
                ctx.error(pos, key, message);
                return None;
            }
        },
        // A list is taken word for word, without shell splitting.
        Kind::Seq(_) => read_str_list(ctx, Some(e), key, &format!("{DEFAULT_RSYNC_ARGS:?}"))?,
        Kind::Map(_) => {
            ctx.error(
                pos,
                key,
                format!(
                    "expected a string of rsync options, e.g. \"{}\", got {}",
                    DEFAULT_RSYNC_ARGS.join(" "),
                    e.value.describe()
                ),
            );
            return None;
        }
    };
    if args.is_empty() {
        let defaults = DEFAULT_RSYNC_ARGS.join(" ");
        ctx.warn(
            pos,
            key,
            format!("rsync_args is empty, so the safe defaults ({defaults}) are used; remove the key or set options"),
        );
        return None;
    }
    for issue in rsync_args::check(&args) {
        if issue.error {
            ctx.error(pos, key, issue.message);
        } else {
            ctx.warn(pos, key, issue.message);
        }
    }
    Some(args)
}
