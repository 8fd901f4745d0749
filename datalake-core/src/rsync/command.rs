//! Building rsync's argv (never through a shell).

use std::ffi::OsString;
use std::path::Path;

use crate::config::{Profile, Source, SshSource};

use super::output;
use super::tools::Tools;

/// Quote one word for rsync's own `-e` splitting, which knows single and
/// double quotes but not backslashes: runs without `'` go in single quotes,
/// each `'` in double quotes, adjacent pieces join into one word.
pub fn quote_for_rsync_e(word: &str) -> String {
    let plain = !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./=:@+,%".contains(&b));
    if plain {
        return word.to_string();
    }
    let mut out = String::new();
    for (i, piece) in word.split('\'').enumerate() {
        if i > 0 {
            out.push_str("\"'\"");
        }
        if !piece.is_empty() {
            out.push('\'');
            out.push_str(piece);
            out.push('\'');
        }
    }
    if out.is_empty() {
        out.push_str("''");
    }
    out
}

/// Longest silence ssh accepts from the collector, whatever `io_timeout` says:
/// the 75 s ssh was given before the keepalive followed `io_timeout`.
pub const KEEPALIVE_CAP: u32 = 75;

/// ssh's keepalive (`ServerAliveInterval`, `ServerAliveCountMax`) for an
/// `io_timeout` of `secs` seconds.
///
/// rsync's own `--timeout` cannot see a dead link: its keepalives go into the
/// local ssh pipe, which keeps accepting them. ssh is the one process that
/// knows whether the collector still answers, so it must give up within
/// `io_timeout`: after `interval` seconds with nothing from the server it sends
/// a probe, and after `count` unanswered probes the next check disconnects
/// ("Timeout, server ... not responding", exit 255), i.e. about
/// `interval * (count + 1)` seconds of silence. The probes are answered by
/// sshd itself, so a collector that is busy (a long file-list scan) but
/// reachable is never cut off. Returns `(interval, count)` with
/// `interval * (count + 1) <= secs` (2 s for `secs` of 1), and never more
/// than [`KEEPALIVE_CAP`]: a link that answers nothing for that long is dead
/// whatever `io_timeout` allows rsync itself.
pub fn keepalive(secs: u32) -> (u32, u32) {
    let secs = secs.min(KEEPALIVE_CAP);
    let interval = (secs / 4).max(1);
    let count = (secs / interval).saturating_sub(1).max(1);
    (interval, count)
}

/// Seconds of silence after which ssh declares the link dead (see [`keepalive`]).
pub fn dead_link_after(io_timeout: u32) -> u32 {
    let (interval, count) = keepalive(io_timeout);
    interval * (count + 1)
}

/// ssh's argv (without the destination) for a collector.
pub fn ssh_args(src: &SshSource, profile: &Profile) -> Vec<String> {
    let mut args = vec!["-p".to_string(), src.port.to_string(), "-i".to_string(), src.ssh_key.display().to_string()];
    let mut opt = |o: String| {
        args.push("-o".to_string());
        args.push(o);
    };
    opt("BatchMode=yes".into());
    opt(format!("ConnectTimeout={}", profile.connect_timeout));
    let (interval, count) = keepalive(profile.io_timeout);
    opt(format!("ServerAliveInterval={interval}"));
    opt(format!("ServerAliveCountMax={count}"));
    opt("IdentitiesOnly=yes".into());
    opt(format!("StrictHostKeyChecking={}", profile.host_key_checking.as_ssh_option()));
    if let Some(kh) = &profile.known_hosts {
        // ssh splits this option's value on whitespace unless double-quoted.
        opt(format!("UserKnownHostsFile=\"{}\"", kh.display()));
    }
    args
}

/// The `-e` value: the ssh program and its options as one rsync-quoted string.
pub fn rsh_value(ssh: &Path, src: &SshSource, profile: &Profile) -> String {
    std::iter::once(ssh.display().to_string())
        .chain(ssh_args(src, profile))
        .map(|w| quote_for_rsync_e(&w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `user@host:` with IPv6 literals bracketed, as rsync expects.
pub fn remote_prefix(src: &SshSource) -> String {
    if src.host.contains(':') {
        format!("{}@[{}]:", src.user, src.host)
    } else {
        format!("{}@{}:", src.user, src.host)
    }
}

/// Everything that varies per run.
#[derive(Debug, Clone, Default)]
pub struct RunSpec {
    /// Add `--dry-run`.
    pub dry_run: bool,
    /// Extra exclude patterns (expired partitions), after the profile's own.
    pub extra_excludes: Vec<String>,
    /// A NUL-separated list of paths below remote_root to transfer instead of
    /// the whole tree (the planner's window or bucket).
    pub files_from: Option<std::path::PathBuf>,
    /// rsync prints a line per file it transfers (`--out-format`), for a
    /// caller that reads the names. It costs rsync about an eighth of a
    /// first sync of small files (its receiver hands each name to its
    /// generator, which prints it).
    pub named: bool,
}

/// `argv` (as [`build`] made it) with a NUL-separated exclude file spliced in
/// before the `--` that ends the options: the `min_age` list of one attempt,
/// added to an argv the planner prepared once for all attempts.
pub fn with_exclude_from(argv: &[OsString], file: &Path) -> Vec<OsString> {
    let end = argv.iter().rposition(|a| a == "--").unwrap_or(argv.len());
    let mut out = Vec::with_capacity(argv.len() + 2);
    out.extend_from_slice(&argv[..end]);
    // rsync reads the file when it parses this option: --from0 must come first.
    out.push("--from0".into());
    let mut opt = OsString::from("--exclude-from=");
    opt.push(file.as_os_str());
    out.push(opt);
    out.extend_from_slice(&argv[end..]);
    out
}

/// `argv` (as [`build`] made it) with rsync naming each file it transfers
/// (`--out-format`, see [`RunSpec::named`]), if it did not already.
pub fn with_names(argv: &[OsString]) -> Vec<OsString> {
    let arg = OsString::from(output::out_format_arg());
    let end = argv.iter().rposition(|a| a == "--").unwrap_or(argv.len());
    let mut out = argv.to_vec();
    if !argv[..end].contains(&arg) {
        out.insert(end, arg);
    }
    out
}

/// `argv` (as [`build`] made it) with `--backup --backup-dir=DIR` spliced in
/// before the `--` that ends the options: each file the attempt replaces is
/// first hard-linked into `DIR` (relative to the profile directory), then the
/// new version is renamed over it. A dry run makes no backups.
pub fn with_backup_dir(argv: &[OsString], dir: &str) -> Vec<OsString> {
    let end = argv.iter().rposition(|a| a == "--").unwrap_or(argv.len());
    let mut out = Vec::with_capacity(argv.len() + 2);
    out.extend_from_slice(&argv[..end]);
    out.push("--backup".into());
    out.push(format!("--backup-dir={dir}").into());
    out.extend_from_slice(&argv[end..]);
    out
}

/// `argv` (as [`build`] made it) writing into `area` instead of the profile
/// directory, which rsync still compares with (`--compare-dest=<lake>`) when
/// `lake` is given: a file the lake has unchanged is not transferred, a new
/// or changed one lands in `area` (and its partial file in `area`'s
/// `.rsync-partial` folders).
pub fn into_landing_area(argv: &[OsString], area: &Path, lake: Option<&Path>) -> Vec<OsString> {
    let end = argv.iter().rposition(|a| a == "--").unwrap_or(argv.len());
    let mut out = Vec::with_capacity(argv.len() + 1);
    out.extend_from_slice(&argv[..end]);
    if let Some(lake) = lake {
        let mut compare = OsString::from("--compare-dest=");
        compare.push(lake.as_os_str());
        out.push(compare);
    }
    out.extend_from_slice(&argv[end..]);
    if let Some(dest) = out.last_mut() {
        let mut to = area.as_os_str().to_os_string();
        to.push("/");
        *dest = to;
    }
    out
}

/// The full argv for syncing `profile` (program first).
pub fn build(tools: &Tools, profile: &Profile, spec: &RunSpec) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec![tools.rsync.clone().into_os_string()];
    // The profile's rsync_args, or the defaults: the rule is the config's.
    argv.extend(profile.effective_rsync_args().into_iter().map(OsString::from));
    // Tool-owned flags come after the user's so they win where rsync lets the last one win.
    argv.push("--stats".into());
    argv.push("--no-human-readable".into());
    argv.push(output::PROGRESS_ARG.into());
    if spec.named {
        argv.push(output::out_format_arg().into());
    }
    argv.push(format!("--timeout={}", profile.io_timeout).into());
    if let Some(bw) = profile.bwlimit {
        argv.push(format!("--bwlimit={bw}").into());
    }
    if spec.dry_run {
        argv.push("--dry-run".into());
    }
    if let Some(list) = &spec.files_from {
        // -a does not imply -r with --files-from; -r makes listed directories recurse.
        argv.push("-r".into());
        // A listed partition the collector's own cleanup removed since the
        // listing is not an error (it would otherwise make the run partial).
        argv.push("--ignore-missing-args".into());
        argv.push("--from0".into());
        let mut arg = OsString::from("--files-from=");
        arg.push(list);
        argv.push(arg);
    }
    for pattern in profile.exclude.iter().chain(&spec.extra_excludes) {
        argv.push(format!("--exclude={pattern}").into());
    }
    push_endpoints(&mut argv, tools, profile);
    argv
}

/// The end of every rsync argv: `-e <ssh …>` for an SSH source, then `--`,
/// the source (contents of `remote_root`) and the profile directory.
pub fn push_endpoints(argv: &mut Vec<OsString>, tools: &Tools, profile: &Profile) {
    let mut source = OsString::new();
    match &profile.source {
        Source::Ssh(src) => {
            if let Some(ssh) = &tools.ssh {
                argv.push("-e".into());
                argv.push(rsh_value(ssh, src, profile).into());
            }
            source.push(remote_prefix(src));
            source.push(format!("{}/", src.remote_root.trim_end_matches('/')));
        }
        Source::Local { remote_root } => {
            // The path as the OS has it (not lossily through UTF-8); a trailing
            // slash copies the directory's contents.
            source.push(remote_root.as_os_str());
            if !remote_root.as_os_str().as_encoded_bytes().ends_with(b"/") {
                source.push("/");
            }
        }
    }
    argv.push("--".into());
    argv.push(source);
    let mut dest = profile.local_dir.clone().into_os_string();
    dest.push("/");
    argv.push(dest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_decides_the_leading_flags() {
        let tools = Tools { rsync: "/usr/bin/rsync".into(), ssh: Some("/usr/bin/ssh".into()) };
        let mut profile = crate::config::test_support::test_profile(Path::new("/lake/p"), 7);
        let leading = |p: &Profile| build(&tools, p, &RunSpec::default())[1..3].to_vec();
        assert_eq!(leading(&profile), crate::config::DEFAULT_RSYNC_ARGS);
        profile.rsync_args = Some(vec!["-a".into(), "--stats".into()]);
        assert_eq!(leading(&profile), ["-a", "--stats"]);
    }

    #[test]
    fn rsync_names_its_files_only_when_asked_and_once() {
        let tools = Tools { rsync: "/usr/bin/rsync".into(), ssh: Some("/usr/bin/ssh".into()) };
        let profile = crate::config::test_support::test_profile(Path::new("/lake/p"), 7);
        let format = OsString::from(output::out_format_arg());
        let unnamed = build(&tools, &profile, &RunSpec::default());
        assert!(!unnamed.contains(&format));
        let named = with_names(&unnamed);
        let dashes = named.iter().position(|a| a == "--").unwrap();
        assert_eq!(named.iter().position(|a| *a == format), Some(dashes - 1), "an option, before --");
        assert_eq!(with_names(&named), named);
        let built = build(&tools, &profile, &RunSpec { named: true, ..RunSpec::default() });
        assert_eq!(built.iter().filter(|a| **a == format).count(), 1);
        assert_eq!(with_names(&built), built);
    }

    #[test]
    fn keepalive_declares_a_silent_link_dead_within_io_timeout() {
        assert_eq!(keepalive(10), (2, 4));
        assert_eq!(keepalive(300), (18, 3));
        assert_eq!(dead_link_after(300), 72);
        assert_eq!(keepalive(60), (15, 3));
        assert_eq!(keepalive(7), (1, 6));
        assert_eq!(keepalive(1), (1, 1));
        for secs in 1..=2000 {
            let (interval, count) = keepalive(secs);
            assert!(interval >= 1 && count >= 1, "{secs}");
            let dead = dead_link_after(secs);
            // Never later than io_timeout (2 s at the 1 s minimum), never much earlier.
            assert!(dead <= secs.max(2), "{secs}: {dead}");
            let wanted = secs.min(KEEPALIVE_CAP);
            assert!(dead * 4 >= wanted * 3 || secs < 8, "{secs}: {dead}");
        }
    }

    #[test]
    fn rsync_e_quoting() {
        assert_eq!(quote_for_rsync_e("/home/a/.ssh/key.pem"), "/home/a/.ssh/key.pem");
        assert_eq!(quote_for_rsync_e("/tmp/my key"), "'/tmp/my key'");
        assert_eq!(quote_for_rsync_e("it's"), "'it'\"'\"'s'");
        assert_eq!(quote_for_rsync_e("'"), "\"'\"");
        assert_eq!(quote_for_rsync_e(""), "''");
    }
}
