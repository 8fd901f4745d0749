//! Checks on a profile's `rsync_args`.
//!
//! The string is split with POSIX shell quoting by the `shell-words` crate
//! (what a user who tested the flags in a shell expects), then read the way
//! rsync's option parser reads it: long options with `=VALUE` or a separate
//! value, short-option clusters where a value-taking letter swallows the rest.
//! That is enough to find what the tool owns (the remote shell, the output it
//! parses, the paths), what is dangerous, and what is merely unwise.
//!
//! Also the one rule for what rsync gets when `rsync_args` is unset:
//! [`Profile::effective_rsync_args`], which `rsync::command` builds its argv from.

use super::keys::{DEFAULT_IO_TIMEOUT, DEFAULT_RSYNC_ARGS};
use super::types::Profile;
use crate::vocab::names::PARTIAL_DIR;

impl Profile {
    /// The flags rsync gets before the tool's own: the profile's `rsync_args`,
    /// or [`DEFAULT_RSYNC_ARGS`] when it has none.
    pub fn effective_rsync_args(&self) -> Vec<&str> {
        match &self.rsync_args {
            Some(args) => args.iter().map(String::as_str).collect(),
            None => DEFAULT_RSYNC_ARGS.to_vec(),
        }
    }

    /// Whether a sync lands its files in the landing area, to give them
    /// their real names once checked: with `check_parquet`, unless
    /// `rsync_args` asks rsync to work on the real names themselves
    /// (`--delete*`, `--inplace`, `--append*`, its own `--*-dest`), which
    /// then keeps the check after the transfer.
    pub fn lands_checked(&self) -> bool {
        let in_place = |a: &&str| {
            let name = a.strip_prefix("--").unwrap_or("");
            let name = name.split('=').next().unwrap_or(name);
            name == "del"
                || name.starts_with("delete")
                || name == "inplace"
                || name.starts_with("append")
                || name.ends_with("-dest")
        };
        self.check_parquet && !self.effective_rsync_args().iter().any(in_place)
    }

    /// Whether rsync keeps the collector's modification times (`-t`, `-a`,
    /// `--times`, `--archive`, unless a later `--no-times`/`--no-t`): only
    /// then does a landed file's mtime say how old it is on the collector.
    pub fn preserves_times(&self) -> bool {
        keeps_times(&self.effective_rsync_args())
    }
}

/// [`Profile::preserves_times`] for split `args`.
fn keeps_times(args: &[&str]) -> bool {
    let mut times = false;
    for word in args {
        if let Some(long) = word.strip_prefix("--") {
            match long {
                "times" | "archive" => times = true,
                "no-times" | "no-t" => times = false,
                _ => {}
            }
        } else if let Some(cluster) = word.strip_prefix('-') {
            for c in cluster.chars() {
                if SHORT_WITH_VALUE.iter().any(|(s, _)| *s == c) {
                    break;
                }
                if c == 't' || c == 'a' {
                    times = true;
                }
            }
        }
    }
    times
}

/// One finding about `rsync_args`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArgIssue {
    /// True for errors, false for warnings.
    pub error: bool,
    pub message: String,
}

/// Long options (without `--`) that take a value, so a separate next word is
/// that value and not a path.
const LONG_WITH_VALUE: &[&str] = &[
    "address",
    "backup-dir",
    "block-size",
    "bwlimit",
    "cc",
    "checksum-choice",
    "checksum-seed",
    "chmod",
    "chown",
    "compare-dest",
    "compress-choice",
    "compress-level",
    "contimeout",
    "copy-as",
    "copy-dest",
    "debug",
    "early-input",
    "exclude",
    "exclude-from",
    "files-from",
    "filter",
    "groupmap",
    "iconv",
    "include",
    "include-from",
    "info",
    "link-dest",
    "log-file",
    "log-file-format",
    "log-format",
    "max-alloc",
    "max-delete",
    "max-size",
    "min-size",
    "modify-window",
    "only-write-batch",
    "out-format",
    "outbuf",
    "partial-dir",
    "password-file",
    "port",
    "protocol",
    "read-batch",
    "remote-option",
    "rsh",
    "rsync-path",
    "skip-compress",
    "sockopts",
    "stderr",
    "stop-after",
    "stop-at",
    "suffix",
    "temp-dir",
    "timeout",
    "usermap",
    "write-batch",
    "zc",
    "zl",
];

/// Short options that take a value, and their long names.
const SHORT_WITH_VALUE: &[(char, &str)] = &[
    ('B', "block-size"),
    ('e', "rsh"),
    ('f', "filter"),
    ('M', "remote-option"),
    ('T', "temp-dir"),
    ('@', "modify-window"),
];

const OWNS_OUTPUT: &str = "the tool parses rsync's output and sets its output options itself; remove it";

/// Why a long option (without `--`) is refused, if it is.
fn refusal(name: &str) -> Option<&'static str> {
    Some(match name {
        "rsh" => "the tool sets the remote shell itself (ssh with the profile's port, ssh_key, connect_timeout, known_hosts and host_key_checking); remove it and use those keys",
        "old-args" => "turns off rsync's argument protection, so names with spaces or shell characters break or reach the collector's shell; remove it",
        "trust-sender" => "turns off rsync's checks of what the collector sends (CVE-2024-12087, CVE-2024-12088: a malicious sender could write outside the lake); remove it",
        "remove-source-files" | "remove-sent-files" => "would delete the data on the collector after each transfer; the lake never changes the collector: remove it",
        "files-from" => "the tool chooses what to transfer (it skips partitions past retention); use exclude: for patterns instead",
        "dry-run" => "the tool has its own dry-run option (dry_run in the API, --dry-run on the command line), which also leaves the checkpoint alone; remove it",
        "daemon" | "server" | "sender" => "is internal to rsync and would break the transfer; remove it",
        "list-only" => "makes rsync list files instead of copying them; remove it",
        "write-batch" | "only-write-batch" | "read-batch" => "batch mode is not supported by the tool; remove it",
        "backup" | "backup-dir" | "suffix" => "the tool keeps the earlier versions of replaced files itself (profile key on_rewrite: auto or keep, in .datalake-replaced/); remove it",
        "out-format" | "log-format" | "info" | "debug" | "stderr" | "msgs2stderr" | "no-msgs2stderr" => OWNS_OUTPUT,
        _ => return None,
    })
}

/// Words that deserve a warning, per long option name.
fn caution(name: &str) -> Option<String> {
    Some(match name {
        "inplace" | "append" | "append-verify" => format!("writes files under their real name while they transfer, so readers can see half-written files; remove it (the default --partial-dir={PARTIAL_DIR} resumes just as well)"),
        "compress" | "old-compress" | "new-compress" => "Parquet is already compressed: compression costs CPU and saves nothing; remove it".into(),
        "timeout" => format!("the tool passes --timeout from io_timeout (default {DEFAULT_IO_TIMEOUT}); set io_timeout instead"),
        "bwlimit" => "the tool passes --bwlimit from the profile's bwlimit key; set bwlimit instead".into(),
        _ if name == "del" || name.starts_with("delete") => "the lake then loses whatever the collector's own cleanup drops, whatever retention_days says; remove it unless the lake should mirror the collector".into(),
        _ => return None,
    })
}

/// Split `rsync_args` with POSIX shell quoting.
pub(crate) fn split(text: &str) -> Result<Vec<String>, String> {
    shell_words::split(text).map_err(|_| {
        "unbalanced quotes (split with POSIX shell rules); close the quote or escape it with a backslash".to_string()
    })
}

/// Find everything wrong or unwise in split `rsync_args`.
pub(crate) fn check(args: &[String]) -> Vec<ArgIssue> {
    let mut issues: Vec<ArgIssue> = Vec::new();
    let mut push = |error: bool, message: String| {
        if !issues.iter().any(|i| i.message == message) {
            issues.push(ArgIssue { error, message });
        }
    };
    let mut partial = false;
    let mut partial_dir = false;
    let mut i = 0;
    while i < args.len() {
        let word = args[i].as_str();
        i += 1;
        if word == "--" {
            push(
                true,
                "`--` ends the options: the tool adds it, then the source and destination, itself; remove it and anything after it".into(),
            );
            break;
        }
        // Options reached through a long or short spelling, with how to name them in messages.
        let mut seen: Vec<(String, String)> = Vec::new();
        if let Some(long) = word.strip_prefix("--") {
            let (name, has_value) = match long.split_once('=') {
                Some((n, _)) => (n, true),
                None => (long, false),
            };
            if !has_value && LONG_WITH_VALUE.contains(&name) {
                if i < args.len() {
                    i += 1;
                } else {
                    push(true, format!("--{name} needs a value; add one or remove it"));
                }
            }
            seen.push((name.to_string(), format!("--{name}")));
        } else if let Some(cluster) = word.strip_prefix('-').filter(|c| !c.is_empty()) {
            for (at, c) in cluster.char_indices() {
                if let Some((_, long)) = SHORT_WITH_VALUE.iter().find(|(s, _)| *s == c) {
                    let rest = &cluster[at + c.len_utf8()..];
                    if rest.is_empty() {
                        if i < args.len() {
                            i += 1;
                        } else {
                            push(true, format!("-{c} needs a value; add one or remove it"));
                        }
                    }
                    seen.push((long.to_string(), shown(word, c)));
                    break;
                }
                let long = match c {
                    'n' => "dry-run",
                    'z' => "compress",
                    'P' => "partial",
                    'b' => "backup",
                    _ => continue,
                };
                seen.push((long.to_string(), shown(word, c)));
            }
        } else {
            push(
                true,
                format!("{word:?} is a path or a stray value: the tool passes the source and destination itself; remove it (or, if it is an option's value, write it as --option=value)"),
            );
            continue;
        }
        for (name, spelled) in seen {
            match name.as_str() {
                "partial" => partial = true,
                "partial-dir" => partial_dir = true,
                _ => {}
            }
            if let Some(why) = refusal(&name) {
                push(true, format!("{spelled}: {why}"));
            } else if let Some(why) = caution(&name) {
                push(false, format!("{spelled}: {why}"));
            }
        }
    }
    if partial && !partial_dir {
        push(
            false,
            format!("--partial without --partial-dir keeps an interrupted file under its real name, where readers can see it half-written; use --partial-dir={PARTIAL_DIR} instead"),
        );
    }
    issues
}

/// `-e` alone, or `e in -avze` for a letter inside a cluster.
fn shown(word: &str, c: char) -> String {
    if word.chars().count() == 2 {
        word.to_string()
    } else {
        format!("-{c} (in {word})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issues(text: &str) -> (Vec<String>, Vec<String>) {
        let args = split(text).unwrap();
        let all = check(&args);
        let errors = all.iter().filter(|i| i.error).map(|i| i.message.clone()).collect();
        let warnings = all.iter().filter(|i| !i.error).map(|i| i.message.clone()).collect();
        (errors, warnings)
    }

    #[test]
    fn legacy_example_warns_only() {
        let (e, w) = issues("-az --partial --inplace");
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w.iter().any(|m| m.contains("-z (in -az)") && m.contains("Parquet")));
        assert!(w.iter().any(|m| m.starts_with("--inplace")));
        assert!(w.iter().any(|m| m.starts_with("--partial without --partial-dir")));
    }

    #[test]
    fn safe_flags_pass() {
        for ok in [
            "-rt --partial-dir=.rsync-partial",
            "-a --partial --partial-dir .rsync-partial",
            "-rtv --exclude '*.tmp' --include '*/' --filter='- *.swp' -f '+ x' --chmod=F644",
            "-a -T /tmp/x -B 4096 --max-size 1G --modify-window 2 --compress-level 0",
            "-aT/tmp/dir_with_e_and_n",
            "-av --no-inplace --checksum-choice xxh3 --iconv utf8,utf8",
        ] {
            let (e, w) = issues(ok);
            assert!(e.is_empty(), "{ok}: {e:?}");
            assert!(w.is_empty(), "{ok}: {w:?}");
        }
    }

    #[test]
    fn owned_and_dangerous_flags_are_errors() {
        for (bad, needle) in [
            ("-e ssh", "-e:"),
            ("-avze ssh", "-e (in -avze)"),
            ("--rsh=ssh", "--rsh"),
            ("--rsh ssh", "--rsh"),
            ("--old-args", "--old-args"),
            ("--trust-sender", "CVE-2024-12087"),
            ("--remove-source-files", "collector"),
            ("--files-from=list.txt", "--files-from"),
            ("--files-from list.txt", "--files-from"),
            ("-n", "dry-run"),
            ("-avn", "-n (in -avn)"),
            ("--dry-run", "dry-run"),
            ("--daemon", "internal"),
            ("--server", "internal"),
            ("--sender", "internal"),
            ("--list-only", "list"),
            ("--write-batch=x", "batch"),
            ("--only-write-batch x", "batch"),
            ("--read-batch=x", "batch"),
            ("--backup", "on_rewrite"),
            ("-avb", "-b (in -avb)"),
            ("--backup-dir=/tmp/x", "on_rewrite"),
            ("--suffix .old", "on_rewrite"),
            ("--out-format=%n", "output"),
            ("--log-format %n", "output"),
            ("--info=progress2", "output"),
            ("--debug=ALL", "output"),
            ("-a /etc/passwd", "path"),
            ("-a -- x", "`--`"),
            ("-a -", "path"),
            ("--exclude", "needs a value"),
            ("-T", "needs a value"),
        ] {
            let (e, _) = issues(bad);
            assert!(e.iter().any(|m| m.contains(needle)), "{bad}: {e:?}");
        }
    }

    #[test]
    fn cautions_are_warnings() {
        for (text, needle) in [
            ("--append", "half-written"),
            ("--append-verify", "half-written"),
            ("-P", "--partial without"),
            ("--delete", "collector's own cleanup"),
            ("--delete-after", "collector's own cleanup"),
            ("--del", "collector's own cleanup"),
            ("--compress", "Parquet"),
            ("-rtz", "Parquet"),
            ("--timeout=10", "io_timeout"),
            ("--bwlimit 100", "bwlimit"),
        ] {
            let (e, w) = issues(text);
            assert!(e.is_empty(), "{text}: {e:?}");
            assert!(w.iter().any(|m| m.contains(needle)), "{text}: {w:?}");
        }
    }

    #[test]
    fn which_args_keep_modification_times() {
        assert!(keeps_times(DEFAULT_RSYNC_ARGS), "the defaults (-rt)");
        for yes in [&["-avz"][..], &["-rt"], &["--archive"], &["-r", "--times"], &["-rlptgoD"]] {
            assert!(keeps_times(yes), "{yes:?}");
        }
        for no in [&["-r"][..], &["-rlpgoD"], &["-a", "--no-times"], &["-rT/tmp/t"], &["-a", "--no-t"]] {
            assert!(!keeps_times(no), "{no:?}");
        }
    }

    #[test]
    fn unbalanced_quotes() {
        assert!(split("-a --exclude '*.tmp").unwrap_err().contains("unbalanced"));
    }
}
