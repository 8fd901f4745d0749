//! Listing the collector's partition directories (never the files inside
//! old partitions) and reading the collector's clock, in one round trip.
//!
//! SSH sources run a short POSIX sh script on the collector: `date -u`, then
//! the top level and, for nested layouts, the month and day levels of the
//! year directories: with GNU find (`-printf '%y %p\0'`, any byte in a name)
//! where it is there, else with `rsync --list-only -d -R` (rsync is required
//! on the collector anyway; it escapes unprintable bytes as `\#ooo`). Either
//! lists levels without descending, so the cost is O(partitions), not O(files).
//! Local sources are read with `read_dir` and this machine's clock.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::config::{Profile, Source};
use crate::rsync::failure::stderr_tail;
use crate::rsync::process::RunObserver;
use crate::rsync::tools::Tools;

use crate::collector::remote;

/// What kind of entry a listed name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
    /// Anything else (symlink, device...): rsync decides, as in a full run.
    Other,
}

/// One listed entry, relative to remote_root (`/`-separated, raw bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Relative path (`gate_io_BTC_20241128`, `2024/11/28`, `README`).
    pub path: Vec<u8>,
    /// Directory, file or other.
    pub kind: EntryKind,
}

/// The collector's top of the tree and its clock.
#[derive(Debug, Clone)]
pub struct Listing {
    /// The collector's current time.
    pub remote_now: DateTime<Utc>,
    /// Top-level entries, plus the month and day directories of nested layouts.
    pub entries: Vec<Entry>,
}

/// Marker in front of the clock line (login banners cannot be mistaken for it).
const MARK_CLOCK: &str = "DATALAKE_CLOCK ";
/// The script exits with this when remote_root cannot be entered.
const NO_ROOT_EXIT: i32 = 97;
/// Longest a listing may take before the planner gives up on it (the full run then says why).
const LIST_DEADLINE: Duration = Duration::from_secs(600);

/// Marker before NUL-terminated `find -printf '%y %p\0'` records (GNU find).
const MARK_FIND: &str = "DATALAKE_FIND";

/// The sh script run on the collector, remote_root single-quoted.
fn remote_script(remote_root: &str) -> String {
    let root = shell_words::quote(remote_root);
    // GNU find lists a level at half the cost of `rsync --list-only` (which
    // starts a sender and a receiver); rsync is the fallback, being required
    // on the collector anyway. One `rsync -d` per directory: several
    // directories in one `-d -R` call are deduplicated unreliably by rsync.
    // Year directories (YYYY, year=YYYY) get their month and day levels;
    // globs that match nothing stay literal and are dropped by `[ -d ]`.
    let years = "for y in [0-9][0-9][0-9][0-9] year=[0-9][0-9][0-9][0-9]; do [ -d \"$y\" ] || continue;";
    format!(
        "cd -- {root} || exit {NO_ROOT_EXIT}; echo \"{MARK_CLOCK}$(date -u +%Y-%m-%dT%H:%M:%S)\"; \
         LC_ALL=C; export LC_ALL; \
         if find . -maxdepth 0 -printf '' 2>/dev/null; then echo {MARK_FIND}; \
         find . -mindepth 1 -maxdepth 1 -printf '%y %p\\0' || exit; \
         {years} find \"./$y\" -mindepth 1 -maxdepth 2 -printf '%y %p\\0' || exit; done; \
         else rsync --list-only -d -R --no-h -- ./ || exit; \
         {years} for m in \"$y\"/*/; do [ -d \"$m\" ] || continue; \
         rsync --list-only -d -R --no-h -- \"./$m\" || exit; done; done; fi"
    )
}

/// Why the listing could not be used.
pub type ListError = String;

/// List the collector (or the local source). `Err` explains why, for the report.
/// `ssh_options` are added to ssh's (a shared connection's master options).
pub fn list(
    profile: &Profile,
    tools: &Tools,
    observer: &mut dyn RunObserver,
    ssh_options: &[String],
) -> Result<Listing, ListError> {
    match &profile.source {
        Source::Local { remote_root } => list_local(remote_root),
        Source::Ssh(_) => match &tools.ssh {
            Some(ssh) => list_ssh(ssh, profile, observer, ssh_options),
            None => Err("ssh was not found".into()),
        },
    }
}

fn list_local(root: &Path) -> Result<Listing, ListError> {
    let read = |dir: &Path| -> Result<Vec<(OsString, EntryKind)>, ListError> {
        let mut out = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
            let kind = match entry.file_type() {
                Ok(t) if t.is_dir() => EntryKind::Dir,
                Ok(t) if t.is_file() => EntryKind::File,
                _ => EntryKind::Other,
            };
            out.push((entry.file_name(), kind));
        }
        Ok(out)
    };
    let mut entries = Vec::new();
    for (name, kind) in read(root)? {
        let bytes = name.into_vec();
        let year = kind == EntryKind::Dir && is_year(&bytes);
        if year {
            let ydir = root.join(OsStr::from_bytes(&bytes));
            for (month, mkind) in read(&ydir)? {
                let mut mpath = bytes.clone();
                mpath.push(b'/');
                mpath.extend(month.clone().into_vec());
                if mkind == EntryKind::Dir {
                    for (day, dkind) in read(&ydir.join(&month))? {
                        let mut dpath = mpath.clone();
                        dpath.push(b'/');
                        dpath.extend(day.into_vec());
                        entries.push(Entry { path: dpath, kind: dkind });
                    }
                }
                entries.push(Entry { path: mpath, kind: mkind });
            }
        }
        entries.push(Entry { path: bytes, kind });
    }
    Ok(Listing { remote_now: Utc::now(), entries })
}

/// `YYYY` or `year=YYYY`: the top of a nested layout.
pub(crate) fn is_year(name: &[u8]) -> bool {
    let digits = name.strip_prefix(b"year=").unwrap_or(name);
    digits.len() == 4 && digits.iter().all(u8::is_ascii_digit)
}

fn list_ssh(
    ssh: &Path,
    profile: &Profile,
    observer: &mut dyn RunObserver,
    ssh_options: &[String],
) -> Result<Listing, ListError> {
    let Source::Ssh(src) = &profile.source else {
        return Err("not an ssh source".into());
    };
    let cmd = remote::command(profile, Some(ssh), ssh_options, &remote_script(&src.remote_root))?;
    let done = remote::run(cmd, Vec::new(), observer, LIST_DEADLINE, remote::read_all)
        .map_err(|e| format!("the listing on the collector failed: {e}"))?;
    match done.status.code() {
        Some(0) => {}
        Some(NO_ROOT_EXIT) => {
            return Err(format!("remote_root {} cannot be entered on the collector", src.remote_root))
        }
        Some(code) => {
            return Err(format!("the listing on the collector failed (exit {code}): {}", stderr_tail(&done.stderr, 3)))
        }
        None => return Err("the listing on the collector was killed by a signal".into()),
    }
    let out = done.stdout.map_err(|e| format!("the listing's output could not be read: {e}"))?;
    parse_listing(&out)
}

/// Parse the script's output: the clock line, then `rsync --list-only` lines
/// (`drwxr-xr-x          4096 2024/11/28 12:00:00 name`).
pub(crate) fn parse_listing(out: &[u8]) -> Result<Listing, ListError> {
    let mut remote_now = None;
    let mut entries = Vec::new();
    let (out, found) = match find_records(out) {
        Some((head, records)) => (head, Some(records)),
        None => (out, None),
    };
    for record in found.into_iter().flat_map(|r| r.split(|&b| b == 0)) {
        if let Some(entry) = parse_find_record(record) {
            entries.push(entry);
        }
    }
    for line in out.split(|&b| b == b'\n') {
        if let Some(rest) = line.strip_prefix(MARK_CLOCK.as_bytes()) {
            let text = String::from_utf8_lossy(rest);
            remote_now = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S").ok().map(|t| t.and_utc());
            if remote_now.is_none() {
                return Err(format!("the collector's clock could not be read (date printed {:?})", text.trim()));
            }
            continue;
        }
        if let Some(entry) = parse_list_line(line) {
            if entry.path != b"." {
                entries.push(entry);
            }
        }
    }
    let remote_now = remote_now.ok_or("the collector's clock could not be read (no date output)")?;
    // Month listings repeat their year and month directories.
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    entries.dedup_by(|a, b| a.path == b.path);
    Ok(Listing { remote_now, entries })
}

/// Split the output at the find marker line: (what comes before, the records).
fn find_records(out: &[u8]) -> Option<(&[u8], &[u8])> {
    let mark = format!("\n{MARK_FIND}\n");
    let at = out.windows(mark.len()).position(|w| w == mark.as_bytes())?;
    Some((&out[..at + 1], &out[at + mark.len()..]))
}

/// One `%y %p` record (`d ./gate_io_BTC_20241128`); `None` for an empty one.
fn parse_find_record(record: &[u8]) -> Option<Entry> {
    let (kind, path) = (record.first()?, record.get(2..)?.strip_prefix(b"./")?);
    let kind = match kind {
        b'd' => EntryKind::Dir,
        b'f' => EntryKind::File,
        _ => EntryKind::Other,
    };
    (!path.is_empty()).then(|| Entry { path: path.to_vec(), kind })
}

/// One `--list-only` line; `None` for anything else (banners, blank lines).
fn parse_list_line(line: &[u8]) -> Option<Entry> {
    let kind = match line.first()? {
        b'd' => EntryKind::Dir,
        b'-' => EntryKind::File,
        b'l' | b'c' | b'b' | b'p' | b's' => EntryKind::Other,
        _ => return None,
    };
    // perms, size, date, time: whitespace-separated; then one space and the name.
    let mut rest = line;
    for _ in 0..4 {
        let start = rest.iter().position(|b| *b != b' ')?;
        rest = &rest[start..];
        let end = rest.iter().position(|b| *b == b' ')?;
        rest = &rest[end..];
    }
    let mut name = rest.strip_prefix(b" ")?;
    if kind == EntryKind::Other && line[0] == b'l' {
        if let Some(at) = name.windows(4).position(|w| w == b" -> ") {
            name = &name[..at];
        }
    }
    let mut path = unescape(name);
    while path.last() == Some(&b'/') && path.len() > 1 {
        path.pop();
    }
    if path.starts_with(b"./") {
        path.drain(..2);
    }
    if path.is_empty() {
        return None;
    }
    Some(Entry { path, kind })
}

/// Undo rsync's `\#ooo` escaping of unprintable bytes.
fn unescape(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    let mut i = 0;
    while i < name.len() {
        if name[i] == b'\\' && i + 4 < name.len() && name[i + 1] == b'#' {
            let oct = &name[i + 2..i + 5];
            if oct.iter().all(|d| (b'0'..=b'7').contains(d)) {
                out.push(oct.iter().fold(0u8, |acc, d| acc.wrapping_mul(8).wrapping_add(d - b'0')));
                i += 5;
                continue;
            }
        }
        out.push(name[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn parses_clock_and_both_listing_forms() {
        let rsync = b"Welcome banner\nDATALAKE_CLOCK 2026-11-30T05:00:01\n\
drwxr-xr-x           4096 2026/11/30 05:00:00 .\n\
drwxr-xr-x           4096 2026/11/30 05:00:00 gate_io_BTC_20261130\n\
-rw-r--r--             12 2026/11/30 05:00:00 README with  spaces\n\
drwxr-xr-x           4096 2026/11/30 05:00:00 2026/11\n\
drwxr-xr-x           4096 2026/11/30 05:00:00 odd\\#012name\n\
lrwxrwxrwx              4 2026/11/30 05:00:00 link -> target\n";
        let find = b"Welcome\nDATALAKE_CLOCK 2026-11-30T05:00:01\nDATALAKE_FIND\n\
d ./gate_io_BTC_20261130\0f ./README with  spaces\0l ./link\0d ./odd\nname\0d ./2026/11\0";
        for out in [&rsync[..], &find[..]] {
            let l = parse_listing(out).unwrap();
            assert_eq!(l.remote_now.to_rfc3339(), "2026-11-30T05:00:01+00:00");
            let paths: Vec<_> =
                l.entries.iter().map(|e| (String::from_utf8_lossy(&e.path).into_owned(), e.kind)).collect();
            assert_eq!(
                paths,
                [
                    ("2026/11".to_string(), EntryKind::Dir),
                    ("README with  spaces".to_string(), EntryKind::File),
                    ("gate_io_BTC_20261130".to_string(), EntryKind::Dir),
                    ("link".to_string(), EntryKind::Other),
                    ("odd\nname".to_string(), EntryKind::Dir),
                ]
            );
        }
    }

    #[test]
    fn missing_or_bad_clock_is_an_error() {
        assert!(parse_listing(b"drwxr-xr-x 4096 2026/11/30 05:00:00 x\n").unwrap_err().contains("clock"));
        assert!(parse_listing(b"DATALAKE_CLOCK yesterday\n").unwrap_err().contains("yesterday"));
    }

    /// The collector script, run here with the real sh and rsync, lists the
    /// top level and the nested date levels but no file inside a partition.
    #[test]
    fn remote_script_lists_partitions_not_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("it's here");
        for d in ["x_20261130", "2026/11/29", "2026/12/01", "year=2026/month=11/day=30", "meta/sub"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        for f in ["x_20261130/part_1.parquet", "2026/11/29/a.parquet", "README", "odd\nname"] {
            std::fs::write(root.join(f), b"x").unwrap();
        }
        // With GNU find, and with only rsync (a PATH without find).
        let no_find = tempfile::tempdir().unwrap();
        for tool in ["rsync", "date"] {
            std::os::unix::fs::symlink(which::which(tool).unwrap(), no_find.path().join(tool)).unwrap();
        }
        let script = remote_script(&root.display().to_string());
        let with_find = Command::new("sh").arg("-c").arg(&script).output().unwrap();
        let with_rsync = Command::new("/bin/sh").arg("-c").arg(&script).env("PATH", no_find.path()).output().unwrap();
        assert!(String::from_utf8_lossy(&with_find.stdout).contains(MARK_FIND));
        assert!(!String::from_utf8_lossy(&with_rsync.stdout).contains(MARK_FIND));
        for out in [with_find, with_rsync] {
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let listing = parse_listing(&out.stdout).unwrap();
            let kinds: Vec<(String, EntryKind)> =
                listing.entries.iter().map(|e| (String::from_utf8_lossy(&e.path).into_owned(), e.kind)).collect();
            assert!(kinds.contains(&("README".to_string(), EntryKind::File)), "{kinds:?}");
            assert!(kinds.contains(&("2026/11/29".to_string(), EntryKind::Dir)), "{kinds:?}");
            let paths: Vec<String> = kinds.into_iter().map(|(p, _)| p).collect();
            assert_eq!(
                paths,
                [
                    "2026",
                    "2026/11",
                    "2026/11/29",
                    "2026/12",
                    "2026/12/01",
                    "README",
                    "meta",
                    "odd\nname",
                    "x_20261130",
                    "year=2026",
                    "year=2026/month=11",
                    "year=2026/month=11/day=30"
                ]
            );
            assert!((listing.remote_now - Utc::now()).num_seconds().abs() < 60);
        }
        let missing = Command::new("sh").arg("-c").arg(remote_script("/nonexistent/x")).output().unwrap();
        assert_eq!(missing.status.code(), Some(NO_ROOT_EXIT));
    }

    #[test]
    fn years() {
        assert!(is_year(b"2024") && is_year(b"year=2024"));
        assert!(!is_year(b"20241128") && !is_year(b"year=24") && !is_year(b"meta"));
    }
}
