//! Splitting a run's units into buckets for parallel streams: balanced by
//! bytes, whole partitions, a cap on files per bucket (fpsync's approach).
//!
//! Sizes (what would move) come from the quick check's `find` on the
//! collector ([`super::quick_check::measure`]; a windowed run has them
//! already), or where that fails from one `rsync --dry-run` of the units into
//! the lake ([`measure`]). Either costs O(files of the run) and is only done
//! when `parallel > 1`.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use crate::config::Profile;
use crate::rsync::command::{self, RunSpec};
use crate::rsync::output::parse_number;
use crate::rsync::tools::Tools;

use super::window::Unit;

/// Marks our size lines in the sizing dry run.
const SIZE_PREFIX: &str = "dl-size ";

/// Most files one bucket takes (a unit bigger than this is a bucket of its own).
pub const MAX_FILES_PER_BUCKET: u64 = 20_000;

/// A unit with its size.
#[derive(Debug, Clone)]
pub struct Sized {
    /// The unit.
    pub unit: Unit,
    /// Bytes in it.
    pub bytes: u64,
    /// Regular files in it.
    pub files: u64,
}

/// One rsync's share of a run.
#[derive(Debug, Clone, Default)]
pub struct Bucket {
    /// Paths relative to remote_root.
    pub paths: Vec<Vec<u8>>,
    /// Bytes.
    pub bytes: u64,
    /// Files.
    pub files: u64,
}

/// Split `units` into buckets for `streams` rsyncs: a multiple of `streams`
/// buckets, as few as keep them near `max_files` files each (whole units, so
/// a big unit may exceed it), filled largest unit first into the lightest
/// bucket by bytes. A multiple keeps the streams busy to the end: 3 equal
/// buckets over 2 streams would leave one stream idle for a third of the run.
pub fn split(mut units: Vec<Sized>, streams: usize, max_files: u64) -> Vec<Bucket> {
    units.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(b.files.cmp(&a.files)).then(a.unit.path.cmp(&b.unit.path)));
    let streams = streams.max(1);
    let files: u64 = units.iter().map(|u| u.files).sum();
    let rounds = usize::try_from(files.div_ceil(streams as u64 * max_files.max(1))).unwrap_or(usize::MAX).max(1);
    let count = streams.saturating_mul(rounds).min(units.len()).max(1);
    let mut buckets: Vec<Bucket> = (0..count).map(|_| Bucket::default()).collect();
    for s in units {
        if let Some(bucket) = buckets.iter_mut().min_by_key(|b| (b.bytes, b.files)) {
            bucket.bytes += s.bytes;
            bucket.files += s.files;
            bucket.paths.push(s.unit.path);
        }
    }
    buckets.retain(|b| !b.paths.is_empty());
    // Biggest first, so the longest stream starts at once.
    buckets.sort_by_key(|b| std::cmp::Reverse(b.bytes));
    buckets
}

/// Write paths NUL-separated (rsync `--from0 --files-from`) to a new temp file.
pub fn write_list(paths: &[Vec<u8>]) -> std::io::Result<tempfile::NamedTempFile> {
    let mut file = tempfile::Builder::new().prefix("datalake-files-").tempfile()?;
    {
        let mut w = std::io::BufWriter::new(file.as_file_mut());
        for p in paths {
            w.write_all(p)?;
            w.write_all(b"\0")?;
        }
        w.flush()?;
    }
    Ok(file)
}

/// Sizes of `units` (what would move) from one dry run with the run's excludes.
pub fn measure(
    tools: &Tools,
    profile: &Profile,
    units: Vec<Unit>,
    excludes: &[String],
    ssh_options: &[String],
) -> Result<Vec<Sized>, String> {
    let paths: Vec<Vec<u8>> = units.iter().map(|u| u.path.clone()).collect();
    let list = write_list(&paths).map_err(|e| format!("cannot write the file list: {e}"))?;
    // A dry run into the lake itself: rsync prints what it would transfer, so
    // buckets balance the bytes that actually have to move.
    let files_from = Some(list.path().to_path_buf());
    let spec = RunSpec { dry_run: true, extra_excludes: excludes.to_vec(), files_from, named: false };
    let mut argv = crate::collector::shared_ssh::with_ssh_options(command::build(tools, profile, &spec), ssh_options);
    argv.retain(|a| {
        let s = a.to_string_lossy();
        !(s.starts_with("--out-format") || s.starts_with("--info") || s == "--stats")
    });
    let dd = argv.iter().position(|a| a == "--").ok_or("no -- in the rsync command")?;
    argv.insert(dd, OsString::from(format!("--out-format={SIZE_PREFIX}%l %n")));
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env("LC_ALL", "C")
        .spawn()
        .map_err(|e| format!("cannot start rsync: {e}"))?;
    let mut sized: Vec<Sized> = units.into_iter().map(|unit| Sized { unit, bytes: 0, files: 0 }).collect();
    let mut order: Vec<usize> = (0..sized.len()).collect();
    order.sort_by(|a, b| sized[*a].unit.path.cmp(&sized[*b].unit.path));
    let keys: Vec<Vec<u8>> = order.iter().map(|i| sized[*i].unit.path.clone()).collect();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).split(b'\n').map_while(Result::ok) {
            let Some(rest) = line.strip_prefix(SIZE_PREFIX.as_bytes()) else { continue };
            let Some(space) = rest.iter().position(|b| *b == b' ') else { continue };
            let Some(size) = parse_number(&String::from_utf8_lossy(&rest[..space])) else { continue };
            let name = &rest[space + 1..];
            if name.ends_with(b"/") {
                continue;
            }
            if let Some(i) = unit_of(&keys, name) {
                let s = &mut sized[order[i]];
                s.bytes += size;
                s.files += 1;
            }
        }
    }
    let status = child.wait().map_err(|e| format!("cannot wait for rsync: {e}"))?;
    match status.code() {
        Some(0 | 23 | 24) => Ok(sized),
        other => Err(format!("sizing the run's partitions failed (rsync exit {other:?})")),
    }
}

/// Index in `keys` (sorted) of the unit containing `name` (escaped bytes are
/// compared as printed; hostile names only lose balance, never data).
fn unit_of(keys: &[Vec<u8>], name: &[u8]) -> Option<usize> {
    let cut = |n: usize| name.iter().enumerate().filter(|(_, b)| **b == b'/').nth(n).map(|(i, _)| &name[..i]);
    [cut(2), cut(0), Some(name)]
        .into_iter()
        .flatten()
        .find_map(|prefix| keys.binary_search_by(|k| k.as_slice().cmp(prefix)).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(path: &str, bytes: u64, files: u64) -> Sized {
        Sized { unit: Unit { path: path.as_bytes().to_vec(), dated: true }, bytes, files }
    }

    #[test]
    fn balanced_by_bytes_with_a_file_cap() {
        let units = vec![s("a", 100, 1), s("b", 60, 1), s("c", 50, 1), s("d", 40, 1), s("e", 10, 1)];
        let b = split(units, 2, 100);
        assert_eq!(b.len(), 2);
        assert_eq!(b.iter().map(|b| b.bytes).collect::<Vec<_>>(), [140, 120]);

        // The cap opens more buckets than streams: a multiple of them.
        let units = (0..10).map(|i| s(&format!("p{i}"), 10, 30)).collect();
        let b = split(units, 2, 100);
        assert_eq!(b.len(), 4, "{b:?}");
        assert!(b.iter().all(|b| b.files <= 100));
        // 60,000 equal files over 2 streams with a 20,000 cap: 4 buckets, never 3.
        let units = (0..3000).map(|i| s(&format!("p{i:04}"), 80, 20)).collect();
        let b = split(units, 2, 20_000);
        assert_eq!(b.iter().map(|b| b.files).collect::<Vec<_>>(), [15_000; 4]);

        // Fewer units than streams: one bucket each.
        assert_eq!(split(vec![s("a", 1, 1)], 4, 100).len(), 1);
    }

    #[test]
    fn files_map_to_their_unit() {
        let keys = vec![b"2026/11/30".to_vec(), b"README".to_vec(), b"x_20261130".to_vec()];
        assert_eq!(unit_of(&keys, b"x_20261130/part_1.parquet"), Some(2));
        assert_eq!(unit_of(&keys, b"2026/11/30/a/b.parquet"), Some(0));
        assert_eq!(unit_of(&keys, b"README"), Some(1));
        assert_eq!(unit_of(&keys, b"other/file"), None);
    }
}
