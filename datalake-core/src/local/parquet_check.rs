//! Is a Parquet file complete? A check of its ends and its footer only.
//!
//! A Parquet file is `PAR1`, column chunks, the footer (Thrift
//! `FileMetaData`), the footer's length (4 bytes, little endian) and `PAR1`
//! again. A file cut short (still being written, an interrupted copy) loses
//! its trailing magic; a damaged end gives a length that does not fit or a
//! footer that does not decode. The check reads the first 4 bytes and the
//! footer (a few KiB), never the data pages: one `open` and one `pread` of the
//! last 16 KiB for most files (one more for the start of a bigger file, and
//! one for a footer that does not fit in those 16 KiB).
//!
//! The footer is decoded by the `parquet` crate (arrow-rs) with its default
//! features off: the Thrift decoder and the metadata types, no Arrow, no
//! compression codecs (footers are never compressed).

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use nix::errno::Errno;
use nix::fcntl::{openat, OFlag};
use nix::sys::stat::Mode;
use parquet::file::metadata::{ParquetMetaDataOptions, ParquetMetaDataReader, ParquetStatisticsPolicy};
use serde::Serialize;

/// The magic bytes at both ends of a plain Parquet file.
const MAGIC: &[u8; 4] = b"PAR1";
/// The trailing magic of a file with an encrypted footer.
const MAGIC_ENCRYPTED: &[u8; 4] = b"PARE";
/// Smallest possible file: two magics and the footer length.
const MIN_LEN: u64 = 12;
/// Bytes read from the end of a file at once.
const TAIL_READ: u64 = 16 * 1024;
/// Footers larger than this are refused (a corrupt length must not allocate gigabytes).
const MAX_FOOTER: u64 = 256 * 1024 * 1024;

/// What is wrong with a file that is not a complete Parquet file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// Shorter than the 12 bytes of an empty Parquet file.
    TooShort,
    /// The first 4 bytes are not `PAR1`.
    BadHeaderMagic,
    /// The last 4 bytes are not `PAR1`: truncated, or still being written.
    BadFooterMagic,
    /// The footer length does not fit in the file.
    BadFooterLength,
    /// The footer does not decode as Parquet metadata.
    BadFooter,
    /// A column chunk reaches past the footer's start.
    ChunkOutOfBounds,
    /// The file could not be read.
    Unreadable,
}

impl Problem {
    /// snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::TooShort => "too_short",
            Problem::BadHeaderMagic => "bad_header_magic",
            Problem::BadFooterMagic => "bad_footer_magic",
            Problem::BadFooterLength => "bad_footer_length",
            Problem::BadFooter => "bad_footer",
            Problem::ChunkOutOfBounds => "chunk_out_of_bounds",
            Problem::Unreadable => "unreadable",
        }
    }
}

/// Why a file failed the check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Defect {
    /// The kind of problem.
    pub problem: Problem,
    /// A sentence for people: what was found.
    pub reason: String,
}

impl Defect {
    fn new(problem: Problem, reason: impl Into<String>) -> Defect {
        Defect { problem, reason: reason.into() }
    }
}

/// Whether `path` names a file the checks apply to (`*.parquet`, any case).
pub fn is_parquet_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Check one file: `Ok(None)` when it is a complete Parquet file, `Ok(Some)`
/// with the defect otherwise. A file that cannot be opened or read is an
/// [`Problem::Unreadable`] defect; a file that vanished is `Err(NotFound)`.
pub fn check_file(path: &Path) -> io::Result<Option<Defect>> {
    check_file_of_size(path, None)
}

/// [`check_file`] for a file whose size a directory walk just read (saves an
/// `fstat` per file); if the file changed size since, it is checked again
/// with its current size.
pub fn check_file_of_size(path: &Path, size: Option<u64>) -> io::Result<Option<Defect>> {
    let file = match open_noatime(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(e),
        Err(e) => return Ok(Some(Defect::new(Problem::Unreadable, format!("cannot be opened: {e}")))),
    };
    check_opened(&file, size)
}

/// Check a file opened by the caller (e.g. with [`open_in`]); `size` as in
/// [`check_file_of_size`].
pub fn check_opened(file: &File, size: Option<u64>) -> io::Result<Option<Defect>> {
    if let Some(len) = size {
        match check_open(file, len) {
            Ok(()) => return Ok(None),
            // A short read: the walk's size is stale. Anything else is the file's own defect.
            Err(d) if d.problem != Problem::Unreadable => return Ok(Some(d)),
            Err(_) => {}
        }
    }
    let len = file.metadata()?.len();
    Ok(check_open(file, len).err())
}

/// Open `name` in the open directory `dir` (`openat`: no path lookup from
/// the root for every file of a big lake), without following a symlink and,
/// where allowed, without updating the access time.
pub fn open_in(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<File> {
    let base = OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW;
    let flags = if TRY_NOATIME.load(Ordering::Relaxed) { base | OFlag::O_NOATIME } else { base };
    let fd = match openat(Some(dir.as_raw_fd()), name, flags, Mode::empty()) {
        Err(Errno::EPERM) if flags.contains(OFlag::O_NOATIME) => {
            TRY_NOATIME.store(false, Ordering::Relaxed);
            openat(Some(dir.as_raw_fd()), name, base, Mode::empty())
        }
        other => other,
    }
    .map_err(io::Error::from)?;
    // SAFETY: `openat` just returned this descriptor and nothing else owns it.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// Cleared once `O_NOATIME` was refused (files owned by another user).
static TRY_NOATIME: AtomicBool = AtomicBool::new(true);

/// Open for reading without updating the access time where the kernel
/// allows it (the file's owner): checking a freshly synced lake must not
/// dirty every inode it reads.
fn open_noatime(path: &Path) -> io::Result<File> {
    if TRY_NOATIME.load(Ordering::Relaxed) {
        match std::fs::OpenOptions::new().read(true).custom_flags(nix::fcntl::OFlag::O_NOATIME.bits()).open(path) {
            Err(e) if e.raw_os_error() == Some(nix::errno::Errno::EPERM as i32) => {
                TRY_NOATIME.store(false, Ordering::Relaxed);
            }
            other => return other,
        }
    }
    File::open(path)
}

/// Column statistics are walked over by the Thrift decoder (so their
/// framing is checked) but not turned into values: nothing here reads them,
/// and building them was the largest part of a check.
fn decode_options() -> &'static ParquetMetaDataOptions {
    static OPTIONS: OnceLock<ParquetMetaDataOptions> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        ParquetMetaDataOptions::new()
            .with_column_stats_policy(ParquetStatisticsPolicy::SkipAll)
            .with_size_stats_policy(ParquetStatisticsPolicy::SkipAll)
            .with_encoding_stats_policy(ParquetStatisticsPolicy::SkipAll)
    })
}

fn read_at(file: &File, buf: &mut [u8], offset: u64) -> Result<(), Defect> {
    file.read_exact_at(buf, offset).map_err(|e| Defect::new(Problem::Unreadable, format!("cannot be read: {e}")))
}

fn check_open(file: &File, len: u64) -> Result<(), Defect> {
    if len < MIN_LEN {
        return Err(too_short(len));
    }
    // One read for the end of the file: it holds the footer of nearly every
    // file (a market-data footer is a few KiB); a bigger footer costs a second read.
    let tail_len = len.min(TAIL_READ);
    let mut tail = vec![0u8; tail_len as usize];
    read_at(file, &mut tail, len - tail_len)?;
    let mut head = [0u8; 4];
    if tail.len() as u64 == len {
        head.copy_from_slice(&tail[..4]);
    } else {
        read_at(file, &mut head, 0)?;
    }
    check_ends(file, len, head, &tail)
}

/// Check an open file whose size the caller does not know: one read from
/// its start holds the whole of a small file (no `fstat`, no second read);
/// a file larger than that is measured and checked from its end. `buf` is
/// the caller's, reused from file to file. Returns the file's length and
/// its defect, if any.
pub fn check_unsized(file: &File, buf: &mut Vec<u8>) -> io::Result<(u64, Option<Defect>)> {
    buf.resize(TAIL_READ as usize, 0);
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Ok((0, Some(Defect::new(Problem::Unreadable, format!("cannot be read: {e}"))))),
        }
    }
    if filled == buf.len() {
        // Not a small file: its end is elsewhere.
        let len = file.metadata()?.len();
        return Ok((len, check_open(file, len).err()));
    }
    let len = filled as u64;
    if len < MIN_LEN {
        return Ok((len, Some(too_short(len))));
    }
    let head = [buf[0], buf[1], buf[2], buf[3]];
    Ok((len, check_ends(file, len, head, &buf[..filled]).err()))
}

fn too_short(len: u64) -> Defect {
    Defect::new(
        Problem::TooShort,
        format!("{len} bytes, shorter than any Parquet file (12): truncated or still being written"),
    )
}

/// The checks once the first 4 bytes (`head`) and the last `tail.len()`
/// bytes of a file of `len` bytes are read (`file` for a footer larger than `tail`).
fn check_ends(file: &File, len: u64, head: [u8; 4], tail: &[u8]) -> Result<(), Defect> {
    if &head != MAGIC {
        return Err(Defect::new(Problem::BadHeaderMagic, "does not start with PAR1: not a Parquet file"));
    }
    let n = tail.len();
    let footer_len = u64::from(u32::from_le_bytes([tail[n - 8], tail[n - 7], tail[n - 6], tail[n - 5]]));
    let end_magic = &tail[n - 4..];
    if end_magic == MAGIC_ENCRYPTED {
        // Encrypted footers cannot be decoded without the key; the ends are intact.
        return if footer_len + MIN_LEN <= len {
            Ok(())
        } else {
            Err(Defect::new(Problem::BadFooterLength, "encrypted footer length larger than the file"))
        };
    }
    if end_magic != MAGIC {
        return Err(Defect::new(
            Problem::BadFooterMagic,
            format!("does not end with PAR1 ({len} bytes): truncated, or still being written"),
        ));
    }
    if footer_len + MIN_LEN > len || footer_len > MAX_FOOTER {
        return Err(Defect::new(
            Problem::BadFooterLength,
            format!("footer length {footer_len} does not fit in a file of {len} bytes"),
        ));
    }
    let footer_start = len - 8 - footer_len;
    let big;
    let footer: &[u8] = if footer_len as usize + 8 <= n {
        &tail[n - 8 - footer_len as usize..n - 8]
    } else {
        let mut buf = vec![0u8; footer_len as usize];
        read_at(file, &mut buf, footer_start)?;
        big = buf;
        &big
    };
    let metadata = ParquetMetaDataReader::decode_metadata_with_options(footer, Some(decode_options()))
        .map_err(|e| Defect::new(Problem::BadFooter, format!("footer does not decode: {e}")))?;
    for (i, group) in metadata.row_groups().iter().enumerate() {
        for column in group.columns() {
            let (start, size) = column.byte_range();
            if start < 4 || start.saturating_add(size) > footer_start {
                return Err(Defect::new(
                    Problem::ChunkOutOfBounds,
                    format!(
                        "row group {i}, column {}: bytes {start}..{} lie outside the data area (4..{footer_start})",
                        column.column_path(),
                        start.saturating_add(size)
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::Arc;

    use parquet::data_type::Int64Type;
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    /// A real Parquet file with one Int64 column of `rows` values.
    pub(crate) fn parquet_bytes(rows: usize) -> Vec<u8> {
        let schema = Arc::new(parse_message_type("message tick { required int64 ts; }").unwrap());
        let mut out = Vec::new();
        let mut writer =
            SerializedFileWriter::new(&mut out, schema, Arc::new(WriterProperties::builder().build())).unwrap();
        let mut group = writer.next_row_group().unwrap();
        let mut col = group.next_column().unwrap().unwrap();
        let values: Vec<i64> = (0..rows as i64).collect();
        col.typed::<Int64Type>().write_batch(&values, None, None).unwrap();
        col.close().unwrap();
        group.close().unwrap();
        writer.close().unwrap();
        out
    }

    fn check_bytes(bytes: &[u8]) -> Option<Problem> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.parquet");
        std::fs::write(&p, bytes).unwrap();
        check_file(&p).unwrap().map(|d| d.problem)
    }

    #[test]
    fn complete_file_passes() {
        assert_eq!(check_bytes(&parquet_bytes(1000)), None);
        assert_eq!(check_bytes(&parquet_bytes(0)), None);
    }

    #[test]
    fn every_defect_is_named() {
        let good = parquet_bytes(1000);
        assert_eq!(check_bytes(&good[..5]), Some(Problem::TooShort));
        assert_eq!(check_bytes(&good[..good.len() - 1]), Some(Problem::BadFooterMagic));
        assert_eq!(check_bytes(&good[..good.len() / 2]), Some(Problem::BadFooterMagic));
        let mut bad = good.clone();
        bad[0] = b'X';
        assert_eq!(check_bytes(&bad), Some(Problem::BadHeaderMagic));
        let mut bad = good.clone();
        let n = bad.len();
        bad[n - 8..n - 4].copy_from_slice(&(n as u32).to_le_bytes());
        assert_eq!(check_bytes(&bad), Some(Problem::BadFooterLength));
        // Garbage in the footer itself.
        let mut bad = good.clone();
        let footer_len = u32::from_le_bytes(bad[n - 8..n - 4].try_into().unwrap()) as usize;
        for b in &mut bad[n - 8 - footer_len..n - 8] {
            *b = 0xff;
        }
        assert_eq!(check_bytes(&bad), Some(Problem::BadFooter));
        // A footer that decodes but describes a longer file: the middle cut out.
        let mut cut = good[..4].to_vec();
        cut.extend_from_slice(&good[good.len() - 8 - footer_len..]);
        assert_eq!(check_bytes(&cut), Some(Problem::ChunkOutOfBounds));
        assert_eq!(check_bytes(b"plain text, not parquet at all"), Some(Problem::BadHeaderMagic));
    }

    #[test]
    fn files_larger_than_the_tail_read() {
        let good = parquet_bytes(100_000);
        assert!(good.len() as u64 > TAIL_READ);
        assert_eq!(check_bytes(&good), None);
        let mut bad = good.clone();
        bad[1] = b'X';
        assert_eq!(check_bytes(&bad), Some(Problem::BadHeaderMagic));
        assert_eq!(check_bytes(&good[..good.len() - 100]), Some(Problem::BadFooterMagic));
    }

    #[test]
    fn vanished_file_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(check_file(&dir.path().join("gone.parquet")).unwrap_err().kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn names() {
        assert!(is_parquet_name(Path::new("a/part_1.parquet")));
        assert!(is_parquet_name(Path::new("A.PARQUET")));
        assert!(!is_parquet_name(Path::new("a.parquet.tmp")));
        assert!(!is_parquet_name(Path::new("parquet")));
    }
}
