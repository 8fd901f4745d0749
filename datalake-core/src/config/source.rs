//! A profile's `source` block: ssh or local, its login words, remote_root and
//! the key file, each checked with the position of its YAML node.

use std::path::{Path, PathBuf};

use super::ctx::{join, Ctx};
use super::expand::{expand_local, expand_vars};
use super::fields::*;
use super::keys::{self, DEFAULT_PORT, DEFAULT_SSH_KEY, PORT};
use super::rules::check_login_word;
use super::spec::Scope;
use super::types::{Source, SshSource};
use super::yaml::{Node, Pos};

pub(super) fn walk_source(
    ctx: &mut Ctx<'_>,
    pf: &Fields<'_>,
    name_node: &Node,
    prefix: &str,
    enabled: bool,
) -> Option<Source> {
    let Some(src) = pf.get("source").filter(|e| !e.value.is_null()) else {
        let pos = pf.get("source").map_or(name_node.pos, |e| e.key.pos);
        ctx.error(
            pos,
            &join(prefix, "source"),
            "source is required: where the data comes from (type, host, user, remote_root)",
        );
        return None;
    };
    let sp = join(prefix, "source");
    let f = fields(ctx, src.value, &sp, &keys::names(Scope::Source), &|k| {
        keys::is_key(Scope::Profile, k)
            .then(|| format!("{k} belongs in the profile, next to source:, not under it; move it up one level"))
    })?;
    let key = |k: &str| join(&sp, k);

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
    let port = read_int(ctx, f.get(PORT.name), &key(PORT.name), &PORT).map_or(DEFAULT_PORT, |n| n as u16);
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
