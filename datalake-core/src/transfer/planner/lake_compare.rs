//! The quick check's reading of the collector's records: unit by unit,
//! each compared with the lake, by the memory of the last check
//! ([`super::verified`]) when the unit and its lake directory are as they
//! were then, else file by file with one `lstat` relative to the open
//! partition directory.

use std::collections::HashMap;
use std::ffi::{CString, OsStr};
use std::io::{BufRead, BufReader};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::ChildStdout;
use std::sync::Arc;

use crate::local::fswalk::mtime_settled;
use crate::local::open_dir::CurrentDir;
use crate::vocab::names::PARTIAL_DIR;

use super::absorbed::AbsorbedFiles;
use super::verified::{below_unit, unit_dir, Digest, Seen, Verified};

/// Up to this many differing files, rsync gets them by name
/// (`quick_check::Checked::files`) instead of their units: it then lists and probes
/// only them, not every file of every kept partition (with
/// `--compare-dest`, a walk of the lake's path per file). Beyond it, naming
/// the units costs rsync about the same and keeps the list file small.
pub const NAMED_FILES_CAP: usize = 20_000;

/// Per unit, what differs from the lake.
#[derive(Debug, Clone)]
pub struct Measured {
    /// For each unit asked about (same order): files and bytes that differ.
    pub moving: Vec<(u64, u64)>,
    /// Collector files compared with their lake copies.
    pub files_compared: u64,
    /// Their bytes.
    pub bytes_compared: u64,
    /// Files the table absorbed unchanged: (unit slot, path).
    pub absorbed: Vec<(usize, Vec<u8>)>,
    /// Files modified after the `min_age` limit the check was given.
    pub young: Vec<Vec<u8>>,
    /// The files that differ (unit slot, path), while they number at most
    /// [`NAMED_FILES_CAP`]; `None` beyond.
    pub differing: Option<Vec<(usize, Vec<u8>)>>,
    /// The units found whole in the lake, to remember ([`super::verified`]).
    pub verified: Vec<(Vec<u8>, Seen)>,
}

impl Measured {
    /// Nothing found yet, for `units` unit slots.
    pub(super) fn empty(units: usize) -> Measured {
        Measured {
            moving: vec![(0, 0); units],
            files_compared: 0,
            bytes_compared: 0,
            absorbed: Vec::new(),
            young: Vec::new(),
            differing: Some(Vec::new()),
            verified: Vec::new(),
        }
    }

    /// The figures of two parts of one walk (each counted every unit slot).
    pub(super) fn add(mut self, other: Measured) -> Measured {
        for (mine, theirs) in self.moving.iter_mut().zip(other.moving) {
            mine.0 += theirs.0;
            mine.1 += theirs.1;
        }
        self.files_compared += other.files_compared;
        self.bytes_compared += other.bytes_compared;
        self.absorbed.extend(other.absorbed);
        self.young.extend(other.young);
        self.verified.extend(other.verified);
        self.differing = match (self.differing, other.differing) {
            (Some(mut mine), Some(theirs)) if mine.len() + theirs.len() <= NAMED_FILES_CAP => {
                mine.extend(theirs);
                mine.sort_by_key(|(slot, _)| *slot);
                Some(mine)
            }
            _ => None,
        };
        self
    }
}

/// How a walk compares: the files the table absorbed, the `min_age` limit
/// (list the files modified after it, seconds since the epoch) and what the
/// last check found whole in the lake.
pub(super) struct Walk {
    pub(super) absorbed: AbsorbedFiles,
    pub(super) since: Option<i64>,
    pub(super) memory: Option<Arc<Verified>>,
}

/// What the walks of one check share.
pub(super) struct Shared {
    pub(super) local: PathBuf,
    pub(super) index: HashMap<Vec<u8>, usize>,
    /// The units' paths, by slot.
    pub(super) paths: Vec<Vec<u8>>,
    pub(super) walk: Walk,
}

/// The records of the unit being read (they come unit by unit).
struct UnitRecords {
    slot: usize,
    files: Vec<RemoteFile>,
    digest: Digest,
    /// Some file lies in a subdirectory, or the unit came in two runs of records.
    nested: bool,
}

/// Read the records and count, per unit slot, the files that differ.
pub(super) fn compare(out: ChildStdout, shared: &Shared) -> Result<Measured, String> {
    let mut m = Measured::empty(shared.index.len());
    let mut reader = BufReader::with_capacity(1 << 16, out);
    let mut record = Vec::new();
    let mut lake_dir = CurrentDir::default();
    let mut unit: Option<UnitRecords> = None;
    let mut seen_slots = vec![false; shared.index.len()];
    let now = chrono::Utc::now().timestamp();
    loop {
        record.clear();
        match reader.read_until(0, &mut record) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(format!("reading the collector's listing: {e}")),
        }
        if record.last() == Some(&0) {
            record.pop();
        } else {
            return Err("the collector's listing ended mid-record".into());
        }
        let remote = parse_record(&record).ok_or_else(|| {
            format!("unexpected line in the collector's listing: {:?}", String::from_utf8_lossy(&record))
        })?;
        if in_partial_dir(remote.path) {
            continue;
        }
        let slot = unit_of(&shared.index, remote.path).ok_or_else(|| {
            format!("the collector listed {:?}, outside the units asked for", String::from_utf8_lossy(remote.path))
        })?;
        if unit.as_ref().is_none_or(|u| u.slot != slot) {
            if let Some(done) = unit.take() {
                settle(done, shared, (&mut lake_dir, now), &mut m);
            }
            let again = std::mem::replace(&mut seen_slots[slot], true);
            unit = Some(UnitRecords { slot, files: Vec::new(), digest: Digest::default(), nested: again });
        }
        let Some(u) = unit.as_mut() else { continue };
        u.digest.add(remote.path, remote.size, remote.secs, remote.nanos);
        u.nested |= below_unit(&shared.paths[slot], remote.path);
        u.files.push(remote.into_owned());
    }
    if let Some(done) = unit.take() {
        settle(done, shared, (&mut lake_dir, now), &mut m);
    }
    if let Some(d) = &mut m.differing {
        d.sort_by_key(|(slot, _)| *slot);
    }
    Ok(m)
}

/// Compare one unit's records with the lake: by the memory of the last
/// check when the unit and its lake directory are as they were then, else
/// file by file (and remember it when every file is there).
fn settle(unit: UnitRecords, shared: &Shared, (lake_dir, now): (&mut CurrentDir, i64), m: &mut Measured) {
    let path = &shared.paths[unit.slot];
    let dir_mtime = match unit.nested {
        true => None,
        false => lake_dir.at(&shared.local, unit_dir(path)).and_then(|fd| nix::sys::stat::fstat(fd.as_raw_fd()).ok()),
    }
    .map(|st| (st.st_mtime, st.st_mtime_nsec));
    let memory = shared.walk.memory.as_ref().and_then(|v| v.get(path));
    let seen = dir_mtime.map(|dir_mtime| Seen { digest: unit.digest.value(), dir_mtime });
    let known = seen.is_some() && memory == seen;
    let mut whole = true;
    for file in unit.files {
        let RemoteFile { size, secs, nanos, .. } = file;
        m.files_compared += 1;
        m.bytes_compared += size;
        if shared.walk.since.is_some_and(|t| (secs, nanos) > (t, 0)) {
            m.young.push(file.path.clone());
        }
        let present = known || in_lake(lake_dir, &shared.local, &file);
        whole &= present;
        if shared.walk.absorbed.same(&file.path, size, secs, nanos) {
            if !present {
                m.absorbed.push((unit.slot, file.path));
            }
        } else if !present {
            let (files, bytes) = &mut m.moving[unit.slot];
            *files += 1;
            *bytes += size;
            match &mut m.differing {
                Some(d) if d.len() < NAMED_FILES_CAP => d.push((unit.slot, file.path)),
                // Past the cap rsync gets the units: the names are not kept.
                _ => m.differing = None,
            }
        }
    }
    if let Some(seen) = seen.filter(|s| whole && mtime_settled(s.dir_mtime.0, now)) {
        m.verified.push((path.clone(), seen));
    }
}

/// One collector file: size, mtime (seconds, nanoseconds) and its path below
/// remote_root, borrowed from the listing while it is read (`P = &[u8]`),
/// then owned while its unit's records gather.
#[derive(Debug, PartialEq, Eq)]
struct RemoteFile<P = Vec<u8>> {
    size: u64,
    secs: i64,
    nanos: u32,
    path: P,
}

impl RemoteFile<&[u8]> {
    fn into_owned(self) -> RemoteFile {
        RemoteFile { size: self.size, secs: self.secs, nanos: self.nanos, path: self.path.to_vec() }
    }
}

/// `123 1732752000.1234567890 ./unit/name` (the name may hold any byte but NUL).
fn parse_record(record: &[u8]) -> Option<RemoteFile<&[u8]>> {
    let mut fields = record.splitn(3, |b| *b == b' ');
    let size = std::str::from_utf8(fields.next()?).ok()?.parse().ok()?;
    let time = std::str::from_utf8(fields.next()?).ok()?;
    let path = fields.next()?.strip_prefix(b"./")?;
    let (secs, frac) = time.split_once('.').unwrap_or((time, ""));
    let secs = secs.parse().ok()?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
    let nanos = digits.parse().ok()?;
    Some(RemoteFile { size, secs, nanos, path })
}

/// Whether `path` lies in a `.rsync-partial` directory, which rsync never transfers.
fn in_partial_dir(path: &[u8]) -> bool {
    let mut dirs = path.split(|b| *b == b'/');
    dirs.next_back();
    dirs.any(|d| d == PARTIAL_DIR.as_bytes())
}

/// The slot of the unit `path` lies in: its first component, or for nested
/// layouts its first three.
fn unit_of(index: &HashMap<Vec<u8>, usize>, path: &[u8]) -> Option<usize> {
    let cut = |n: usize| path.iter().enumerate().filter(|(_, b)| **b == b'/').nth(n).map_or(path, |(i, _)| &path[..i]);
    index.get(cut(0)).or_else(|| index.get(cut(2))).copied()
}

/// Whether the lake holds a regular file of the same size and mtime as
/// `remote`, looked up in its directory, which `lake_dir` keeps open (the
/// records come directory by directory).
fn in_lake(lake_dir: &mut CurrentDir, local: &Path, remote: &RemoteFile) -> bool {
    let (dir, name) = match remote.path.iter().rposition(|b| *b == b'/') {
        Some(at) => (&remote.path[..at], &remote.path[at + 1..]),
        None => (&b""[..], &remote.path[..]),
    };
    let (Some(fd), Ok(name)) = (lake_dir.at(local, Path::new(OsStr::from_bytes(dir))), CString::new(name)) else {
        return false;
    };
    let flags = nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW;
    let Ok(st) = nix::sys::stat::fstatat(Some(fd.as_raw_fd()), name.as_c_str(), flags) else {
        return false;
    };
    let nanos = st.st_mtime_nsec;
    (st.st_mode & nix::libc::S_IFMT) == nix::libc::S_IFREG
        && st.st_size as u64 == remote.size
        && st.st_mtime == remote.secs
        && (nanos == 0 || nanos == i64::from(remote.nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_parse_with_any_name_and_fraction() {
        let r = parse_record(b"64 1732752000.1234567890 ./x_20261130/part 1.parquet").unwrap();
        let path = &b"x_20261130/part 1.parquet"[..];
        assert_eq!(r, RemoteFile { size: 64, secs: 1732752000, nanos: 123456789, path });
        let r = parse_record(b"0 1732752000 ./README").unwrap();
        assert_eq!((r.secs, r.nanos, r.path), (1732752000, 0, &b"README"[..]));
        assert_eq!(parse_record(b"0 17.5 ./a").unwrap().nanos, 500_000_000);
        assert!(parse_record(b"x 1 ./a").is_none());
        assert!(parse_record(b"1 1.2e3 ./a").is_none());
        assert!(parse_record(b"1 1 /abs").is_none());
    }

    #[test]
    fn files_map_to_flat_and_nested_units() {
        let index: HashMap<Vec<u8>, usize> =
            [(b"x_20261130".to_vec(), 0), (b"2026/11/30".to_vec(), 1), (b"README".to_vec(), 2)].into_iter().collect();
        assert_eq!(unit_of(&index, b"x_20261130/a/b.parquet"), Some(0));
        assert_eq!(unit_of(&index, b"2026/11/30/b.parquet"), Some(1));
        assert_eq!(unit_of(&index, b"README"), Some(2));
        assert_eq!(unit_of(&index, b"2026/11/29/b.parquet"), None);
    }

    #[test]
    fn files_in_partial_dirs_are_left_out() {
        assert!(in_partial_dir(b"x_20261130/.rsync-partial/part_1.parquet"));
        assert!(in_partial_dir(b"meta/a/.rsync-partial/b"));
        assert!(!in_partial_dir(b"x_20261130/.rsync-partial"), "a file of that name is a file");
        assert!(!in_partial_dir(b"x_20261130/part.rsync-partial/b"));
    }
}
