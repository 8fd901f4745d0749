//! The schema walk: from a positioned YAML tree to a [`Config`], collecting
//! every error and warning on the way instead of stopping at the first.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::expand::{expand_local, expand_vars};
use super::rules::{check_local_subdir, check_login_word, check_profile_name, did_you_mean, normalize};
use super::yaml::{self, Kind, Node, Pos};
use super::{
    rsync_args, Config, Diagnostic, HostKeyChecking, Profile, Severity, Source, SshSource, Timezone,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_IO_TIMEOUT, DEFAULT_PORT, DEFAULT_RETENTION_DAYS, DEFAULT_RETRIES,
    DEFAULT_SSH_KEY,
};
use super::{DEFAULT_FULL_SYNC_EVERY, DEFAULT_PARALLEL, DEFAULT_WINDOW_DAYS};

/// Biggest config file read; a real one is a few KiB.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

const DATA_LAKE_KEYS: &[&str] = &["root_dir", "checkpoint_dir", "timezone", "profiles"];
const PROFILE_KEYS: &[&str] = &[
    "enabled",
    "source",
    "local_subdir",
    "retention_days",
    "rsync_args",
    "checkpoint_file",
    "bwlimit",
    "io_timeout",
    "connect_timeout",
    "retries",
    "exclude",
    "known_hosts",
    "host_key_checking",
    "timezone",
    "window_days",
    "full_sync_every",
    "parallel",
];
const SOURCE_KEYS: &[&str] = &["type", "host", "port", "user", "ssh_key", "remote_root"];

/// What loading produced: a config when there are no errors, and every diagnostic.
pub(crate) struct Outcome {
    pub config: Option<Config>,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

/// Read and load a file.
pub(crate) fn load_file(path: &Path) -> Outcome {
    match read_text(path) {
        Ok(text) => load_text(&text, Some(path)),
        Err(message) => Outcome {
            config: None,
            errors: vec![Diagnostic {
                severity: Severity::Error,
                file: Some(path.to_path_buf()),
                line: message.1.map(|p| p.line),
                column: message.1.map(|p| p.column),
                key: String::new(),
                message: message.0,
            }],
            warnings: Vec::new(),
        },
    }
}

fn read_text(path: &Path) -> Result<String, (String, Option<Pos>)> {
    let file = std::fs::File::open(path).map_err(|e| {
        let message = match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "config file {} does not exist; check the path (--config or DATALAKE_CONFIG), or create it by copying config/data_lake.yml.example from the datalake repository and editing it",
                path.display()
            ),
            std::io::ErrorKind::PermissionDenied => format!(
                "cannot read config file {}: permission denied; check its permissions and those of its directories",
                path.display()
            ),
            _ => format!("cannot open config file {}: {e}; check the path", path.display()),
        };
        (message, None)
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| {
        let message = if e.raw_os_error() == Some(21) {
            format!("{} is a directory; pass the YAML file inside it", path.display())
        } else {
            format!("cannot read config file {}: {e}; check the file and the disk", path.display())
        };
        (message, None)
    })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err((
            format!(
                "{} is larger than {} MiB; this is not a data lake config: check the path",
                path.display(),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            None,
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        // Valid prefix: from_utf8 only fails at valid_up_to, so this cannot fail.
        let prefix = std::str::from_utf8(good).unwrap_or("");
        let line = prefix.matches('\n').count() + 1;
        let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (
            "the file is not UTF-8 text (binary data or another encoding); save it as UTF-8".to_string(),
            Some(Pos { line, column }),
        )
    })
}

/// Load YAML text.
pub(crate) fn load_text(text: &str, origin: Option<&Path>) -> Outcome {
    let mut ctx = Ctx { file: origin, errors: Vec::new(), warnings: Vec::new(), cwd: None };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let config = walk(&mut ctx, text);
    let Ctx { mut errors, mut warnings, .. } = ctx;
    let order = |d: &Diagnostic| (d.line.unwrap_or(0), d.column.unwrap_or(0));
    errors.sort_by_key(order);
    warnings.sort_by_key(order);
    let config = if errors.is_empty() {
        config.map(|mut c| {
            c.warnings = warnings.clone();
            c
        })
    } else {
        None
    };
    Outcome { config, errors, warnings }
}

struct Ctx<'a> {
    file: Option<&'a Path>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// Looked up once, only when a relative path needs it.
    cwd: Option<Result<PathBuf, String>>,
}

impl Ctx<'_> {
    fn push(&mut self, severity: Severity, pos: Option<Pos>, key: &str, message: String) {
        let d = Diagnostic {
            severity,
            file: self.file.map(Path::to_path_buf),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            key: key.to_string(),
            message,
        };
        match severity {
            Severity::Error => self.errors.push(d),
            Severity::Warning => self.warnings.push(d),
        }
    }

    fn error(&mut self, pos: Pos, key: &str, message: impl Into<String>) {
        self.push(Severity::Error, Some(pos), key, message.into());
    }

    fn warn(&mut self, pos: Pos, key: &str, message: impl Into<String>) {
        self.push(Severity::Warning, Some(pos), key, message.into());
    }

    fn cwd(&mut self) -> Result<PathBuf, String> {
        self.cwd
            .get_or_insert_with(|| {
                std::env::current_dir().map_err(|e| {
                    format!("cannot resolve a relative path: the current directory is unreadable ({e}); use an absolute path")
                })
            })
            .clone()
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// A known key found in a mapping.
#[derive(Clone, Copy)]
struct Entry<'n> {
    key: &'n Node,
    value: &'n Node,
}

/// The known keys of one mapping, after reporting unknown and duplicate ones.
struct Fields<'n> {
    entries: Vec<(&'static str, Entry<'n>)>,
}

impl<'n> Fields<'n> {
    fn get(&self, name: &str) -> Option<Entry<'n>> {
        self.entries.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
    }
}

/// Check a mapping's keys against `known`; `hint` may explain an unknown key
/// better than a spelling suggestion (a key at the wrong level).
fn fields<'n>(
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

fn path_of(prefix: &str, name: &str) -> String {
    join(prefix, name)
}

/// A string value; `None` when absent, null or invalid (then reported).
fn read_str(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str) -> Option<String> {
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

/// A duration such as `24h`, `6h`, `7d` (humantime syntax), at least a minute.
fn read_duration(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str) -> Option<Duration> {
    let pos = e.as_ref()?.value.pos;
    let text = read_str(ctx, e, key)?;
    match humantime::parse_duration(text.trim()) {
        Ok(d) if d >= Duration::from_secs(60) => Some(d),
        Ok(_) => {
            ctx.error(pos, key, format!("{text:?} is shorter than a minute; use e.g. 6h, 24h or 7d"));
            None
        }
        Err(e) => {
            ctx.error(pos, key, format!("{text:?} is not a duration ({e}); use e.g. 6h, 24h or 7d"));
            None
        }
    }
}

/// An integer in `min..=max`; `None` when absent, null or invalid (then reported).
fn read_int(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str, min: u64, max: u64, unit: &str) -> Option<u64> {
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
fn parse_int(text: &str, plain: bool) -> Option<i128> {
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

/// A boolean; YAML 1.1 spellings (yes/no/on/off) too, as PyYAML read them.
fn read_bool(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str) -> Option<bool> {
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

fn read_timezone(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str) -> Option<Timezone> {
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

fn read_host_key_checking(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str) -> Option<HostKeyChecking> {
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

/// A list of non-empty strings without control characters.
fn read_str_list(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str, example: &str) -> Option<Vec<String>> {
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
fn read_local_path(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str) -> Option<PathBuf> {
    let pos = e.map(|e| e.value.pos)?;
    let text = read_str(ctx, e, key)?;
    local_path(ctx, &text, pos, key)
}

fn local_path(ctx: &mut Ctx<'_>, text: &str, pos: Pos, key: &str) -> Option<PathBuf> {
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

fn walk(ctx: &mut Ctx<'_>, text: &str) -> Option<Config> {
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
    let f = fields(ctx, dl, "", DATA_LAKE_KEYS, &|_| None)?;

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
        _ => root_dir.as_ref().map(|r| r.join(".checkpoints")),
    };
    let timezone = read_timezone(ctx, f.get("timezone"), "timezone").unwrap_or(Timezone::Utc);

    let mut placed: Vec<Placed> = Vec::new();
    let mut profiles = BTreeMap::new();
    match f.get("profiles") {
        Some(e) if !e.value.is_null() => {
            if let Kind::Map(entries) = &e.value.kind {
                if entries.is_empty() {
                    ctx.warn(e.key.pos, "profiles", "no profiles: nothing will be synced; add one under profiles:");
                }
                let env = Env { root_dir: root_dir.as_deref(), checkpoint_dir: checkpoint_dir.as_deref(), timezone };
                for (name_node, body) in entries {
                    if let Some((profile, place)) = walk_profile(ctx, &env, name_node, body) {
                        if profiles.contains_key(&profile.name) {
                            ctx.error(
                                name_node.pos,
                                &path_of("profiles", &profile.name),
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
    })
}

/// What a profile inherits from `data_lake`.
struct Env<'a> {
    root_dir: Option<&'a Path>,
    checkpoint_dir: Option<&'a Path>,
    timezone: Timezone,
}

/// Where a profile writes, for the checks between profiles.
struct Placed {
    name: String,
    /// `None` when local_subdir or root_dir was invalid (already reported).
    local_dir: Option<(PathBuf, Pos, String)>,
    checkpoint_file: Option<(PathBuf, Pos, String)>,
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
    let prefix = path_of("profiles", &name);
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
    let f = fields(ctx, body, &prefix, PROFILE_KEYS, &|k| {
        SOURCE_KEYS
            .contains(&k)
            .then(|| format!("{k} belongs under source:, not directly in the profile; move it there"))
    })?;
    let key = |k: &str| path_of(&prefix, k);

    let enabled = read_bool(ctx, f.get("enabled"), &key("enabled")).unwrap_or(true);
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

    let retention_days = read_int(ctx, f.get("retention_days"), &key("retention_days"), 1, 36_500, " (days)")
        .map_or(DEFAULT_RETENTION_DAYS, |n| n as u32);

    let rsync_args = walk_rsync_args(ctx, f.get("rsync_args"), &key("rsync_args"));

    let checkpoint_file = match f.get("checkpoint_file") {
        Some(e) if !e.value.is_null() => {
            read_local_path(ctx, Some(e), &key("checkpoint_file")).map(|p| (p, e.value.pos))
        }
        _ => env.checkpoint_dir.map(|d| (d.join(format!("{name}.json")), name_node.pos)),
    };
    let lock_file = env.checkpoint_dir.map(|d| d.join(format!("{name}.lock"))).unwrap_or_default();

    let u32_max = u64::from(u32::MAX);
    let bwlimit = read_int(ctx, f.get("bwlimit"), &key("bwlimit"), 1, u32_max, " (KiB/s; omit it for no limit)")
        .map(|n| n as u32);
    let io_timeout = read_int(ctx, f.get("io_timeout"), &key("io_timeout"), 1, 86_400, " (seconds)")
        .map_or(DEFAULT_IO_TIMEOUT, |n| n as u32);
    let connect_timeout = read_int(ctx, f.get("connect_timeout"), &key("connect_timeout"), 1, 3_600, " (seconds)")
        .map_or(DEFAULT_CONNECT_TIMEOUT, |n| n as u32);
    let retries = read_int(ctx, f.get("retries"), &key("retries"), 0, 20, "").map_or(DEFAULT_RETRIES, |n| n as u32);
    let exclude = read_str_list(ctx, f.get("exclude"), &key("exclude"), "[\"*.tmp\"]").unwrap_or_default();
    let known_hosts = read_local_path(ctx, f.get("known_hosts"), &key("known_hosts"));
    let host_key_checking = read_host_key_checking(ctx, f.get("host_key_checking"), &key("host_key_checking"))
        .unwrap_or(HostKeyChecking::AcceptNew);
    let timezone = read_timezone(ctx, f.get("timezone"), &key("timezone")).unwrap_or(env.timezone);
    // Transfer planner (issue 11): window, full-run period, parallel streams.
    let window_days = read_int(ctx, f.get("window_days"), &key("window_days"), 0, 36_500, " (days; 0 = always full)")
        .map_or(DEFAULT_WINDOW_DAYS, |n| n as u32);
    let full_sync_every =
        read_duration(ctx, f.get("full_sync_every"), &key("full_sync_every")).unwrap_or(DEFAULT_FULL_SYNC_EVERY);
    let parallel = read_int(ctx, f.get("parallel"), &key("parallel"), 1, 16, " (rsync streams at once)")
        .map_or(DEFAULT_PARALLEL, |n| n as u32);

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
        window_days,
        full_sync_every,
        parallel,
    };
    Some((profile, placed))
}

fn walk_source(ctx: &mut Ctx<'_>, pf: &Fields<'_>, name_node: &Node, prefix: &str, enabled: bool) -> Option<Source> {
    let Some(src) = pf.get("source").filter(|e| !e.value.is_null()) else {
        let pos = pf.get("source").map_or(name_node.pos, |e| e.key.pos);
        ctx.error(
            pos,
            &path_of(prefix, "source"),
            "source is required: where the data comes from (type, host, user, remote_root)",
        );
        return None;
    };
    let sp = path_of(prefix, "source");
    let f = fields(ctx, src.value, &sp, SOURCE_KEYS, &|k| {
        PROFILE_KEYS
            .contains(&k)
            .then(|| format!("{k} belongs in the profile, next to source:, not under it; move it up one level"))
    })?;
    let key = |k: &str| path_of(&sp, k);

    let kind = match f.get("type") {
        Some(e) if !e.value.is_null() => {
            let pos = e.value.pos;
            match read_str(ctx, Some(e), &key("type")).map(|t| t.to_ascii_lowercase()) {
                Some(t) if t == "ssh" => Some(true),
                Some(t) if t == "local" => Some(false),
                Some(t) => {
                    ctx.error(pos, &key("type"), format!("expected ssh or local, got {t:?}"));
                    None
                }
                None => None,
            }
        }
        _ => Some(true),
    };
    let is_ssh = kind?;

    let remote_root = match f.get("remote_root") {
        Some(e) if !e.value.is_null() => {
            let pos = e.value.pos;
            read_str(ctx, Some(e), &key("remote_root"))
                .and_then(|text| remote_root(ctx, &text, pos, &key("remote_root"), is_ssh))
        }
        other => {
            let pos = other.map_or(src.key.pos, |e| e.key.pos);
            ctx.error(
                pos,
                &key("remote_root"),
                if is_ssh {
                    "remote_root is required: the absolute directory on the collector, e.g. /var/data/cex_tickers"
                } else {
                    "remote_root is required: the absolute directory to read from, e.g. /mnt/collector/cex_tickers"
                },
            );
            None
        }
    };

    if !is_ssh {
        for k in ["host", "port", "user", "ssh_key"] {
            if let Some(e) = f.get(k) {
                ctx.error(e.key.pos, &key(k), "not used by type: local; remove it");
            }
        }
        return Some(Source::Local { remote_root: PathBuf::from(remote_root?) });
    }

    let login = |ctx: &mut Ctx<'_>, k: &str, example: &str| match f.get(k) {
        Some(e) if !e.value.is_null() => {
            let pos = e.value.pos;
            let text = read_str(ctx, Some(e), &key(k))?;
            match check_login_word(&text, k) {
                Some(message) => {
                    ctx.error(pos, &key(k), message);
                    None
                }
                None => Some(text),
            }
        }
        other => {
            let pos = other.map_or(src.key.pos, |e| e.key.pos);
            ctx.error(pos, &key(k), format!("{k} is required for type: ssh, e.g. {k}: {example}"));
            None
        }
    };
    let host = login(ctx, "host", "10.0.0.11");
    let user = login(ctx, "user", "ubuntu");
    let port = read_int(ctx, f.get("port"), &key("port"), 1, 65_535, "").map_or(DEFAULT_PORT, |n| n as u16);
    let (ssh_key, key_pos, key_given) = match f.get("ssh_key") {
        Some(e) if !e.value.is_null() => (read_local_path(ctx, Some(e), &key("ssh_key")), e.value.pos, true),
        _ => (local_path(ctx, DEFAULT_SSH_KEY, src.key.pos, &key("ssh_key")), src.key.pos, false),
    };
    if enabled {
        if let Some(path) = &ssh_key {
            check_key_file(ctx, path, key_pos, &key("ssh_key"), key_given);
        }
    }
    Some(Source::Ssh(SshSource { host: host?, port, user: user?, ssh_key: ssh_key?, remote_root: remote_root? }))
}

fn remote_root(ctx: &mut Ctx<'_>, text: &str, pos: Pos, key: &str, is_ssh: bool) -> Option<String> {
    let expanded = if is_ssh { expand_vars(text) } else { expand_local(text) };
    let expanded = match expanded {
        Ok(s) => s,
        Err(message) => {
            ctx.error(pos, key, message);
            return None;
        }
    };
    if expanded.chars().any(char::is_control) {
        ctx.error(pos, key, "remote_root contains a control character (newline, tab...); remove it");
        return None;
    }
    if !expanded.starts_with('/') {
        let hint = if is_ssh && expanded.starts_with('~') { " (~ is not expanded for the collector)" } else { "" };
        ctx.error(
            pos,
            key,
            format!("remote_root {expanded:?} is not absolute{hint}; write the full path, starting with /"),
        );
        return None;
    }
    Some(expanded)
}

/// ssh refuses keys that others can read, and a missing key fails every sync:
/// both are worth a warning at load time (not an error: the key may be
/// installed after the config is written).
fn check_key_file(ctx: &mut Ctx<'_>, path: &Path, pos: Pos, key: &str, given: bool) {
    let default_note = if given { "" } else { " (the default ssh_key)" };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ctx.warn(
            pos,
            key,
            format!(
                "ssh_key {}{default_note} does not exist, so ssh cannot log in; create it (ssh-keygen -t ed25519 -f {}) or set ssh_key to the right file",
                path.display(),
                path.display()
            ),
        ),
        Err(e) => ctx.warn(
            pos,
            key,
            format!("cannot check ssh_key {}{default_note}: {e}; check the path and its permissions", path.display()),
        ),
        Ok(meta) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    ctx.warn(
                        pos,
                        key,
                        format!(
                            "ssh_key {} is readable by group or others (mode {mode:o}), and ssh refuses such keys; run chmod 600 {}",
                            path.display(),
                            path.display()
                        ),
                    );
                }
            }
            #[cfg(not(unix))]
            let _ = meta;
        }
    }
}

fn walk_rsync_args(ctx: &mut Ctx<'_>, e: Option<Entry<'_>>, key: &str) -> Option<Vec<String>> {
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
        Kind::Seq(_) => read_str_list(ctx, Some(e), key, "[\"-rt\", \"--partial-dir=.rsync-partial\"]")?,
        Kind::Map(_) => {
            ctx.error(
                pos,
                key,
                format!(
                    "expected a string of rsync options, e.g. \"-rt --partial-dir=.rsync-partial\", got {}",
                    e.value.describe()
                ),
            );
            return None;
        }
    };
    if args.is_empty() {
        ctx.warn(pos, key, "rsync_args is empty, so the safe defaults (-rt --partial-dir=.rsync-partial) are used; remove the key or set options");
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

/// Checks between profiles: no shared or nested local directories, no shared
/// checkpoint files, and the checkpoint_dir kept out of every local directory
/// (an rsync --delete or a cleanup there would take checkpoints and locks along).
fn cross_checks(ctx: &mut Ctx<'_>, placed: &[Placed], checkpoint_dir: &Path, cdir_pos: Pos) {
    for (j, b) in placed.iter().enumerate() {
        for a in &placed[..j] {
            if let (Some((da, pa, ka)), Some((db, pb, kb))) = (&a.local_dir, &b.local_dir) {
                if da == db {
                    ctx.error(
                        *pb,
                        kb,
                        format!(
                            "profiles {} and {} both write to {}; give each its own local_subdir",
                            a.name,
                            b.name,
                            db.display()
                        ),
                    );
                } else if db.starts_with(da) {
                    nested(ctx, (*pb, kb), (&b.name, db), (&a.name, da));
                } else if da.starts_with(db) {
                    nested(ctx, (*pa, ka), (&a.name, da), (&b.name, db));
                }
            }
            if let (Some((fa, _, _)), Some((fb, pb, kb))) = (&a.checkpoint_file, &b.checkpoint_file) {
                if fa == fb {
                    ctx.error(
                        *pb,
                        kb,
                        format!(
                            "profiles {} and {} share the checkpoint file {}; give each its own checkpoint_file (the default is {{checkpoint_dir}}/{{profile}}.json)",
                            a.name,
                            b.name,
                            fb.display()
                        ),
                    );
                }
            }
        }
    }
    for p in placed {
        let Some((dir, pos, key)) = &p.local_dir else { continue };
        if dir == checkpoint_dir {
            ctx.error(
                *pos,
                key,
                format!(
                    "the local directory of profile {} is the checkpoint_dir {}; choose another local_subdir or checkpoint_dir",
                    p.name,
                    dir.display()
                ),
            );
        } else if checkpoint_dir.starts_with(dir) {
            ctx.error(
                cdir_pos,
                "checkpoint_dir",
                format!(
                    "checkpoint_dir {} lies inside {}, the local directory of profile {}: an rsync --delete there would remove checkpoints and locks; move checkpoint_dir out of it",
                    checkpoint_dir.display(),
                    dir.display(),
                    p.name
                ),
            );
        }
        for q in placed {
            if let Some((file, fpos, fkey)) = &q.checkpoint_file {
                if file.starts_with(dir) {
                    ctx.error(
                        *fpos,
                        fkey,
                        format!(
                            "checkpoint file {} of profile {} lies inside {}, the local directory of profile {}; keep checkpoints outside synced directories",
                            file.display(),
                            q.name,
                            dir.display(),
                            p.name
                        ),
                    );
                }
            }
        }
    }
}

fn nested(ctx: &mut Ctx<'_>, at: (Pos, &String), inner: (&str, &Path), outer: (&str, &Path)) {
    ctx.error(
        at.0,
        at.1,
        format!(
            "the local directory {} of profile {} lies inside {}, the local directory of profile {}: syncs and cleanups of {} would touch {}'s files; choose local_subdirs that do not nest",
            inner.1.display(),
            inner.0,
            outer.1.display(),
            outer.0,
            outer.0,
            inner.0
        ),
    );
}
