//! `min_age`: files the collector is still writing stay there until the next run.
//!
//! rsync has no age filter, so before each attempt one command runs on the
//! collector (over the same ssh options as rsync; `sh -c` for a local
//! source): it reads the collector's own clock (`date +%s`) and lists, NUL
//! separated, the regular files modified less than `min_age` ago
//! (`find -newermt @<now - min_age>`, GNU find). Partitions that retention
//! excludes are pruned from that walk with the same patterns rsync gets, so it
//! only stats what the run may transfer; a planned run ([`Scope`]) walks only
//! its own units, fed to find on stdin, over the run's shared ssh connection.
//! The list becomes an rsync
//! `--exclude-from` file read with `--from0`, each name anchored at the
//! transfer root (`/name`) and its wildcard characters escaped, so any byte
//! sequence a collector can put in a file name (newlines, `*`, `[`, a leading
//! `#` or `- `) excludes exactly that file and nothing else.
//!
//! A windowed run walks its units once: the planner's quick check prints
//! every file's mtime, so the first attempt's list comes from that walk
//! ([`Scope::young`], with [`young_since`] and the listing's clock) instead
//! of a second `find` over the same units; later attempts list again.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use tempfile::NamedTempFile;

use crate::collector::remote;
use crate::config::{Profile, Source};
use crate::rsync::failure;
use crate::rsync::process::RunObserver;
use crate::rsync::tools::Tools;
use crate::vocab::error::{ConnectFailure, Error, Result};

/// The listing gives up after this (ssh keepalives catch a dead link sooner).
const LIST_DEADLINE: Duration = Duration::from_secs(1800);

/// The marker before the collector's clock in the listing's output.
const MARK_NOW: &[u8] = b"DATALAKE_NOW ";

/// What the listing found.
#[derive(Debug)]
pub struct RecentFiles {
    /// The collector's clock when it listed (seconds since the epoch).
    pub collector_now: i64,
    /// Files too recent, relative to remote_root, as raw bytes.
    pub paths: Vec<Vec<u8>>,
    /// The exclude file for rsync (`--exclude-from` with `--from0`), kept
    /// alive as long as this value; `None` when no file is too recent.
    pub exclude_file: Option<NamedTempFile>,
}

/// What one attempt may transfer, for the listing to walk: the whole tree,
/// or the planner's units (a window, a bucket).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Paths relative to remote_root; `None`: the whole tree.
    pub units: Option<Vec<Vec<u8>>>,
    /// Extra ssh options (the run's shared connection).
    pub ssh_options: Vec<String>,
    /// The files younger than `min_age` in these units, when the planner's
    /// own walk of them already found them: the first attempt uses this list
    /// and runs no listing of its own.
    pub young: Option<Vec<Vec<u8>>>,
}

/// The newest mtime (seconds since the epoch, on the collector's clock
/// `now`) a file may have to be old enough: a file modified after it is
/// younger than `min_age` (what `find -newermt @<it>` lists).
pub fn young_since(now: i64, min_age: Duration) -> i64 {
    now - min_age.as_secs().max(1) as i64
}

/// The exclude file for files a walk of the run's units already found
/// younger than `min_age` (see [`Scope::young`]).
pub fn from_walk(paths: Vec<Vec<u8>>) -> Result<RecentFiles> {
    with_exclude_file(paths, 0)
}

/// The POSIX sh script that lists recently modified files below `root`,
/// pruning the directories matched by the rsync-style `prune` patterns. With
/// `units`, only those are walked (read NUL-separated from stdin, so any
/// number of them and any name), and nothing is pruned: they are not expired.
pub fn script(root: &str, min_age: Duration, prune: &[String], units: bool) -> String {
    let mut prune_expr = String::new();
    for pattern in prune {
        let p = pattern.trim_end_matches('/');
        if p.is_empty() {
            continue;
        }
        if !prune_expr.is_empty() {
            prune_expr.push_str(" -o ");
        }
        // rsync matches a pattern with an inner `/` against the trailing path
        // components; find's -path against the whole path (`./a/b`).
        if p.contains('/') {
            prune_expr.push_str("-path ");
            prune_expr.push_str(&shell_words::quote(&format!("*/{p}")));
        } else {
            prune_expr.push_str("-name ");
            prune_expr.push_str(&shell_words::quote(p));
        }
    }
    let prune_part =
        if prune_expr.is_empty() { String::new() } else { format!("-type d \\( {prune_expr} \\) -prune -o ") };
    let head = format!(
        "cd {root} || exit 3; now=$(date +%s) || exit 4; printf 'DATALAKE_NOW %s\\n' \"$now\"; \
         DATALAKE_SINCE=\"@$((now - {age}))\"; export DATALAKE_SINCE; ",
        root = shell_words::quote(root),
        age = min_age.as_secs().max(1),
    );
    if units {
        let inner = "exec find \"$@\" -type f -newermt \"$DATALAKE_SINCE\" -print0";
        format!("{head}exec xargs -0 sh -c {} sh", shell_words::quote(inner))
    } else {
        format!("{head}exec find . {prune_part}-type f -newermt \"$DATALAKE_SINCE\" -print0")
    }
}

/// One excluded name as an rsync pattern: anchored at the transfer root, and
/// with `*?[]\` escaped when it holds a wildcard (rsync compares a pattern
/// without wildcards literally, backslashes included).
pub fn exclude_pattern(rel: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rel.len() + 8);
    out.push(b'/');
    let wild = rel.iter().any(|b| matches!(b, b'*' | b'?' | b'['));
    for &b in rel {
        if wild && matches!(b, b'*' | b'?' | b'[' | b']' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

/// Parse the listing: the clock line, then NUL-terminated `./path` entries.
fn parse(stdout: &[u8]) -> Option<(i64, Vec<Vec<u8>>)> {
    let at = stdout.windows(MARK_NOW.len()).position(|w| w == MARK_NOW)?;
    let rest = &stdout[at + MARK_NOW.len()..];
    let nl = rest.iter().position(|b| *b == b'\n')?;
    let now = std::str::from_utf8(&rest[..nl]).ok()?.trim().parse().ok()?;
    let paths = rest[nl + 1..]
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| p.strip_prefix(b"./").unwrap_or(p).to_vec())
        .collect();
    Some((now, paths))
}

fn listing_error(profile: &Profile, detail: String) -> Error {
    Error::Rsync {
        profile: profile.name.clone(),
        code: -1,
        meaning: "listing files younger than min_age on the collector failed".into(),
        stderr: detail,
        hint: "min_age needs sh, date and GNU find (-newermt) and xargs on the collector; install findutils there or set min_age: 0 in the profile to turn the check off".into(),
    }
}

/// List the files younger than `profile.min_age` on the collector and write
/// the exclude file. `prune`: rsync patterns of directories not transferred;
/// `scope`: what the attempt may transfer.
pub fn list(
    tools: &Tools,
    profile: &Profile,
    prune: &[String],
    scope: &Scope,
    observer: &mut dyn RunObserver,
) -> Result<RecentFiles> {
    if let (Source::Ssh(_), None) = (&profile.source, &tools.ssh) {
        return Err(Error::ToolNotFound { tool: "ssh".into(), package: "openssh-client".into() });
    }
    let root = match &profile.source {
        Source::Ssh(src) => src.remote_root.clone(),
        Source::Local { remote_root } => remote_root.display().to_string(),
    };
    let mut input = Vec::new();
    if let Some(units) = &scope.units {
        if units.is_empty() {
            // Nothing to walk (and xargs would run find once on the whole tree).
            return with_exclude_file(Vec::new(), 0);
        }
        for unit in units {
            input.extend_from_slice(b"./");
            input.extend_from_slice(unit);
            input.push(0);
        }
    }
    let script = script(&root, profile.min_age, prune, scope.units.is_some());
    let cmd = remote::command(profile, tools.ssh.as_deref(), &scope.ssh_options, &script)
        .map_err(|e| listing_error(profile, e))?;
    let out = match remote::run(cmd, input, observer, LIST_DEADLINE, remote::read_all) {
        Ok(out) => out,
        Err(remote::RunError::Stopped { cancelled: true }) => {
            return Err(Error::Interrupted { profile: profile.name.clone(), operation: "sync".into() })
        }
        Err(remote::RunError::Start(program, e)) => {
            return Err(Error::io("start", program, e, "check that ssh and sh are installed"))
        }
        Err(e) => return Err(listing_error(profile, e.to_string())),
    };
    let stderr = out.stderr.as_str();
    if let Source::Ssh(src) = &profile.source {
        if out.status.code() == Some(255) {
            return Err(failure::ssh_failure(profile, stderr).unwrap_or_else(|| Error::Connect {
                target: src.target(),
                reason: ConnectFailure::Network,
                detail: failure::stderr_tail(stderr, 3),
                hint: "ssh failed for a reason datalake does not recognise; try the same ssh command by hand".into(),
            }));
        }
    }
    let stdout = match &out.stdout {
        Ok(stdout) => stdout,
        Err(e) => return Err(listing_error(profile, format!("its output could not be read: {e}"))),
    };
    let Some((collector_now, paths)) = parse(stdout) else {
        if out.status.code() == Some(3) {
            // remote_root cannot be entered: rsync itself says why, with its own exit code.
            return with_exclude_file(Vec::new(), 0);
        }
        return Err(listing_error(profile, failure::stderr_tail(stderr, 3)));
    };
    if !out.status.success() {
        // find lists what it can read and complains about the rest: rsync
        // cannot read those either. An unknown -newermt lists nothing.
        // (Through xargs, find's exit 1 arrives as 123.)
        let find_complained = matches!(out.status.code(), Some(1) | Some(123));
        if paths.is_empty() && (stderr.contains("newermt") || !find_complained) {
            return Err(listing_error(profile, failure::stderr_tail(stderr, 3)));
        }
        log::warn!("profile {}: listing recent files: {}", profile.name, failure::stderr_tail(stderr, 3));
    }
    log::debug!(
        "profile {}: {} files younger than {}s on the collector (its clock {collector_now})",
        profile.name,
        paths.len(),
        profile.min_age.as_secs()
    );
    with_exclude_file(paths, collector_now)
}

/// The exclude file for `paths`, and the listing.
fn with_exclude_file(paths: Vec<Vec<u8>>, collector_now: i64) -> Result<RecentFiles> {
    if paths.is_empty() {
        return Ok(RecentFiles { collector_now, paths, exclude_file: None });
    }
    let mut exclude_file = tempfile::Builder::new()
        .prefix("datalake-min-age-")
        .tempfile()
        .map_err(|e| Error::io_default("create", std::env::temp_dir(), e))?;
    let mut buf = Vec::new();
    for p in &paths {
        buf.extend_from_slice(&exclude_pattern(p));
        buf.push(0);
    }
    exclude_file
        .write_all(&buf)
        .and_then(|()| exclude_file.flush())
        .map_err(|e| Error::io_default("write", exclude_file.path(), e))?;
    Ok(RecentFiles { collector_now, paths, exclude_file: Some(exclude_file) })
}

/// A path of the listing, for messages.
pub fn display(path: &[u8]) -> String {
    OsStr::from_bytes(path).to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_only_wildcard_names() {
        assert_eq!(exclude_pattern(b"a_20261101/p.parquet"), b"/a_20261101/p.parquet");
        assert_eq!(exclude_pattern(b"a\\b"), b"/a\\b");
        assert_eq!(exclude_pattern(b"a*b[1]\\?"), b"/a\\*b\\[1\\]\\\\\\?");
        assert_eq!(exclude_pattern(b"# x\nnew"), b"/# x\nnew");
    }

    #[test]
    fn parse_listing() {
        let out = b"banner\nDATALAKE_NOW 1700000000\n./a/b.parquet\0./new\nline\0";
        let (now, paths) = parse(out).unwrap();
        assert_eq!(now, 1_700_000_000);
        assert_eq!(paths, vec![b"a/b.parquet".to_vec(), b"new\nline".to_vec()]);
        assert!(parse(b"nothing").is_none());
    }

    #[test]
    fn script_prunes_with_find_syntax() {
        let prune = ["*_2026102[0-6]/".to_string(), "[0-1][0-9]/[0-9]/".to_string()];
        let s = script("/data/x y", Duration::from_secs(60), &prune, false);
        assert!(s.starts_with("cd '/data/x y' ||"), "{s}");
        assert!(s.contains("-name '*_2026102[0-6]' -o -path '*/[0-1][0-9]/[0-9]'"), "{s}");
        assert!(s.contains("DATALAKE_SINCE=\"@$((now - 60))\""), "{s}");
        assert!(s.contains("exec find . "), "{s}");
        // A planned run's units come on stdin, and are not pruned.
        let s = script("/data/x y", Duration::from_secs(60), &prune, true);
        assert!(s.contains("xargs -0 sh -c"), "{s}");
        assert!(!s.contains("-prune"), "{s}");
    }
}
