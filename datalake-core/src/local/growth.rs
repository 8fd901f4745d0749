//! Did a new version of a file grow from the earlier one, or replace it?
//!
//! A collector may write a file again under the same name. Two cases look
//! alike to rsync but not to the lake:
//!
//! - growth: the new version holds everything the earlier one held (a daily
//!   snapshot file rewritten with more rows, a log appended to). Replacing
//!   the earlier version loses nothing.
//! - rewrite: anything else (a collector restarted and wrote `part_00001`
//!   again with other rows). Replacing the earlier version loses its rows.
//!
//! For Parquet (both versions decode as Parquet) the test is on rows: the new
//! version's first N rows equal the earlier version's N rows, compared value
//! by value whatever the row groups, pages, encodings or compression of the
//! two files; the schemas must be equal too. The footers answer first where
//! they can (a different schema, fewer rows, no rows at all) and the rows are
//! decoded only when they cannot. For any other file (or a version that is
//! not readable Parquet) the test is on bytes: the earlier version is a
//! prefix of the new one (an append).
//!
//! Rows are decoded by the `parquet` crate's record reader (no Arrow); its
//! compression codecs (snappy, gzip, lz4, zstd; not brotli) are the features
//! the crate enables. A file that cannot be decoded (an unknown codec, a damaged
//! page) is a rewrite: when in doubt, the earlier version is kept.
//! Floating-point values compare equal when they are equal or both NaN.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use parquet::file::properties::ReaderProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::serialized_reader::ReadOptionsBuilder;
use parquet::record::{Field, Row};

use super::parquet_check::is_parquet_name;

/// What a new version is, next to the earlier one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The new version holds every row (or byte) of the earlier one.
    Grown,
    /// It does not, or that could not be shown: why, for people.
    Rewritten(String),
}

/// Compare the earlier version `old` of a file with its new version `new`.
/// `name` is the file's real name (its extension decides Parquet). An error
/// is an unreadable `old` or `new` (missing, permissions).
pub fn judge(name: &Path, old: &Path, new: &Path) -> io::Result<Verdict> {
    if is_parquet_name(name) {
        if let Some(verdict) = judge_parquet(old, new)? {
            return Ok(verdict);
        }
    }
    judge_bytes(old, new)
}

/// The byte test: `old` is a prefix of `new`.
pub fn judge_bytes(old: &Path, new: &Path) -> io::Result<Verdict> {
    let (mut a, mut b) = (File::open(old)?, File::open(new)?);
    let (old_len, new_len) = (a.metadata()?.len(), b.metadata()?.len());
    if new_len < old_len {
        return Ok(Verdict::Rewritten(format!("{new_len} bytes where the earlier version had {old_len}")));
    }
    let (mut x, mut y) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    let mut at = 0u64;
    while at < old_len {
        let n = (old_len - at).min(x.len() as u64) as usize;
        a.read_exact(&mut x[..n])?;
        b.read_exact(&mut y[..n])?;
        if x[..n] != y[..n] {
            let first = x[..n].iter().zip(&y[..n]).position(|(p, q)| p != q).unwrap_or(0) as u64;
            return Ok(Verdict::Rewritten(format!(
                "its bytes differ from the earlier version at offset {}",
                at + first
            )));
        }
        at += n as u64;
    }
    Ok(Verdict::Grown)
}

/// A record reader of `file`. It reads bloom filters (none in files pyarrow
/// writes by default, so nothing is read): the row group reader's other path
/// (`repeat_n(None, columns)`) makes valgrind's memcheck report a branch on
/// uninitialised memory in release builds, and the C tests run under it.
fn reader(file: File) -> parquet::errors::Result<SerializedFileReader<File>> {
    let props = ReaderProperties::builder().set_read_bloom_filter(true).build();
    SerializedFileReader::new_with_options(file, ReadOptionsBuilder::new().with_reader_properties(props).build())
}

/// The row test; `None` when `old` is not readable Parquet (the byte test decides).
fn judge_parquet(old: &Path, new: &Path) -> io::Result<Option<Verdict>> {
    let Ok(old_reader) = reader(File::open(old)?) else {
        return Ok(None);
    };
    let new_reader = match reader(File::open(new)?) {
        Ok(r) => r,
        Err(e) => return Ok(Some(Verdict::Rewritten(format!("the new version does not read as Parquet ({e})")))),
    };
    let (old_meta, new_meta) = (old_reader.metadata().file_metadata(), new_reader.metadata().file_metadata());
    if old_meta.schema_descr().root_schema() != new_meta.schema_descr().root_schema() {
        return Ok(Some(Verdict::Rewritten("its schema differs from the earlier version's".into())));
    }
    let (old_rows, new_rows) = (old_meta.num_rows().max(0) as u64, new_meta.num_rows().max(0) as u64);
    if new_rows < old_rows {
        return Ok(Some(Verdict::Rewritten(format!("{new_rows} rows where the earlier version had {old_rows}"))));
    }
    if old_rows == 0 {
        return Ok(Some(Verdict::Grown));
    }
    let undecodable = |which: &str, e: parquet::errors::ParquetError| {
        Verdict::Rewritten(format!("the {which} version's rows could not be decoded ({e})"))
    };
    let old_iter = match old_reader.get_row_iter(None) {
        Ok(i) => i,
        Err(e) => return Ok(Some(undecodable("earlier", e))),
    };
    let new_iter = match new_reader.get_row_iter(None) {
        Ok(i) => i,
        Err(e) => return Ok(Some(undecodable("new", e))),
    };
    let mut seen = 0u64;
    for (a, b) in old_iter.zip(new_iter) {
        let a = match a {
            Ok(r) => r,
            Err(e) => return Ok(Some(undecodable("earlier", e))),
        };
        let b = match b {
            Ok(r) => r,
            Err(e) => return Ok(Some(undecodable("new", e))),
        };
        if !same_row(&a, &b) {
            return Ok(Some(Verdict::Rewritten(format!("row {seen} differs from the earlier version's"))));
        }
        seen += 1;
    }
    if seen < old_rows {
        // The footers promised more rows than the pages held.
        return Ok(Some(Verdict::Rewritten(format!("only {seen} of the earlier version's {old_rows} rows were read"))));
    }
    Ok(Some(Verdict::Grown))
}

fn same_row(a: &Row, b: &Row) -> bool {
    a.len() == b.len() && a.get_column_iter().zip(b.get_column_iter()).all(|((n, x), (m, y))| n == m && same(x, y))
}

fn same(a: &Field, b: &Field) -> bool {
    match (a, b) {
        (Field::Float(x), Field::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Field::Double(x), Field::Double(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Field::Float16(x), Field::Float16(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Field::Group(x), Field::Group(y)) => same_row(x, y),
        (Field::ListInternal(x), Field::ListInternal(y)) => {
            x.len() == y.len() && x.elements().iter().zip(y.elements()).all(|(p, q)| same(p, q))
        }
        (Field::MapInternal(x), Field::MapInternal(y)) => {
            x.len() == y.len()
                && x.entries().iter().zip(y.entries()).all(|((k1, v1), (k2, v2))| same(k1, k2) && same(v1, v2))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use parquet::basic::{Compression, GzipLevel, ZstdLevel};
    use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    use super::*;

    /// An order-book-like file: rows `from..to` in row groups of `group` rows.
    fn book(from: i64, to: i64, group: i64, codec: Compression, price_of: impl Fn(i64) -> f64) -> Vec<u8> {
        let schema = Arc::new(
            parse_message_type(
                "message book { required int64 timestamp; required binary trading_pair (UTF8); optional double bid_price; }",
            )
            .unwrap(),
        );
        let props = Arc::new(WriterProperties::builder().set_compression(codec).build());
        let mut out = Vec::new();
        let mut writer = SerializedFileWriter::new(&mut out, schema, props).unwrap();
        let mut start = from;
        while start < to {
            let end = (start + group).min(to);
            let mut rg = writer.next_row_group().unwrap();
            let ts: Vec<i64> = (start..end).collect();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<Int64Type>().write_batch(&ts, None, None).unwrap();
            c.close().unwrap();
            let pairs: Vec<ByteArray> = ts.iter().map(|_| ByteArray::from("BTC-USDT")).collect();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<ByteArrayType>().write_batch(&pairs, None, None).unwrap();
            c.close().unwrap();
            // Every 10th price is missing, every 7th is NaN.
            let def: Vec<i16> = ts.iter().map(|t| i16::from(t % 10 != 0)).collect();
            let prices: Vec<f64> =
                ts.iter().filter(|t| *t % 10 != 0).map(|t| if t % 7 == 0 { f64::NAN } else { price_of(*t) }).collect();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<DoubleType>().write_batch(&prices, Some(&def), None).unwrap();
            c.close().unwrap();
            rg.close().unwrap();
            start = end;
        }
        writer.close().unwrap();
        out
    }

    fn price(t: i64) -> f64 {
        100.0 + t as f64 / 8.0
    }

    fn verdict(old: &[u8], new: &[u8], name: &str) -> Verdict {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("old"), dir.path().join("new"));
        std::fs::write(&a, old).unwrap();
        std::fs::write(&b, new).unwrap();
        judge(Path::new(name), &a, &b).unwrap()
    }

    #[test]
    fn a_parquet_file_with_more_rows_grew_whatever_its_row_groups_and_codec() {
        let old = book(0, 1000, 300, Compression::SNAPPY, price);
        let codecs = [
            (1500, Compression::SNAPPY),
            (64, Compression::UNCOMPRESSED),
            (999, Compression::ZSTD(ZstdLevel::default())),
            (700, Compression::GZIP(GzipLevel::default())),
            (250, Compression::LZ4_RAW),
        ];
        for (group, codec) in codecs {
            let new = book(0, 1500, group, codec, price);
            assert_eq!(verdict(&old, &new, "s_20260101.parquet"), Verdict::Grown, "{group}");
        }
        // The same rows again (a rewrite with a new mtime only) lose nothing either.
        assert_eq!(verdict(&old, &old, "x.parquet"), Verdict::Grown);
        assert_eq!(verdict(&book(0, 0, 1, Compression::SNAPPY, price), &old, "x.parquet"), Verdict::Grown);
    }

    #[test]
    fn other_rows_under_the_same_name_are_a_rewrite() {
        let old = book(0, 1000, 300, Compression::SNAPPY, price);
        // A restarted collector: new rows from a later time, more of them.
        let restarted = book(5000, 7000, 300, Compression::SNAPPY, price);
        assert!(
            matches!(verdict(&old, &restarted, "part_00001.parquet"), Verdict::Rewritten(m) if m.contains("row 0"))
        );
        // One value changed deep inside.
        let changed = book(0, 1500, 300, Compression::SNAPPY, |t| if t == 778 { 1.0 } else { price(t) });
        assert!(matches!(verdict(&old, &changed, "p.parquet"), Verdict::Rewritten(m) if m.contains("row 778")));
        // Fewer rows: decided by the footers.
        let shorter = book(0, 500, 300, Compression::SNAPPY, price);
        assert!(matches!(verdict(&old, &shorter, "p.parquet"), Verdict::Rewritten(m) if m.contains("500 rows")));
        // A new version that is not Parquet at all.
        assert!(matches!(verdict(&old, b"PAR1 broken", "p.parquet"), Verdict::Rewritten(m) if m.contains("Parquet")));
    }

    #[test]
    fn other_files_grow_by_appending() {
        assert_eq!(verdict(b"line 1\n", b"line 1\nline 2\n", "log.csv"), Verdict::Grown);
        assert_eq!(verdict(b"", b"abc", "log.csv"), Verdict::Grown);
        assert!(
            matches!(verdict(b"line 1\n", b"line X\nline 2\n", "log.csv"), Verdict::Rewritten(m) if m.contains("offset 5"))
        );
        assert!(matches!(verdict(b"line 1\n", b"line", "log.csv"), Verdict::Rewritten(m) if m.contains("4 bytes")));
        // A big file: the difference is found past the first buffer.
        let old = vec![7u8; 200_000];
        let mut new = old.clone();
        new.extend_from_slice(b"more");
        assert_eq!(verdict(&old, &new, "blob.bin"), Verdict::Grown);
        new[150_000] = 8;
        assert!(matches!(verdict(&old, &new, "blob.bin"), Verdict::Rewritten(m) if m.contains("150000")));
        // An earlier version that was not readable Parquet is compared by bytes.
        assert_eq!(verdict(b"PAR1 half", b"PAR1 half written", "p.parquet"), Verdict::Grown);
    }
}
