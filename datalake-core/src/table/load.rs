//! Reading one file into Arrow batches: a raw Parquet part, a CSV part
//! (plain or gzip) with the configured or inferred schema, or a table file a
//! merge reads back.
//!
//! CSV parts: the first line is the header. With `compact.csv_schema` every
//! header column must be named there (the types come from it); without it,
//! a day whose columns the table has already is read with the table's types,
//! and otherwise the types are inferred from the first CSV part of the day
//! (its first 1,000 rows) and every other part of the day is read with them. A row that does
//! not fit (wrong number of fields, a value that does not parse) keeps the
//! whole day raw, and the error names the file and the line.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::Path;
use std::sync::Arc;

use deltalake_core::arrow::array::RecordBatch;
use deltalake_core::arrow::csv::reader::Format;
use deltalake_core::arrow::csv::ReaderBuilder;
use deltalake_core::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::parts::PartKind;
use crate::config::CsvType;

/// Rows per batch when decoding.
const BATCH_ROWS: usize = 64 * 1024;
/// Rows CSV type inference looks at.
const INFER_ROWS: usize = 1000;

/// A file's rows.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Its schema.
    pub schema: SchemaRef,
    /// Its rows.
    pub batches: Vec<RecordBatch>,
    /// How many.
    pub rows: u64,
}

/// Why a file could not be read: its content (with a CSV line), or the disk.
#[derive(Debug)]
pub enum LoadError {
    /// The content does not decode as configured.
    Bad {
        /// The 1-based line, for CSV.
        line: Option<u64>,
        /// What is wrong.
        problem: String,
    },
    /// Reading failed.
    Io(std::io::Error),
}

fn bad(problem: impl Into<String>) -> LoadError {
    LoadError::Bad { line: None, problem: problem.into() }
}

/// Read a Parquet file.
pub fn parquet(path: &Path) -> Result<Loaded, LoadError> {
    parquet_from(File::open(path).map_err(LoadError::Io)?)
}

/// Read a Parquet file from a reader (a local file, or the bytes of a remote one).
pub fn parquet_from<R: parquet::file::reader::ChunkReader + 'static>(file: R) -> Result<Loaded, LoadError> {
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| bad(format!("does not decode as Parquet ({e})")))?;
    let schema = builder.schema().clone();
    let reader =
        builder.with_batch_size(BATCH_ROWS).build().map_err(|e| bad(format!("does not decode as Parquet ({e})")))?;
    let mut batches = Vec::new();
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| bad(format!("a row group does not decode ({e})")))?;
        rows += batch.num_rows() as u64;
        batches.push(batch);
    }
    Ok(Loaded { schema, batches, rows })
}

/// The schema CSV parts are read with.
#[derive(Debug, Clone)]
pub enum CsvSchema {
    /// `compact.csv_schema`: types by column name.
    Configured(Vec<(String, CsvType)>),
    /// Inferred from the day's first CSV part.
    Inferred(SchemaRef),
    /// Not known yet: the table's types for columns it has (when it has them
    /// all), else inferred from this part.
    Infer(Option<SchemaRef>),
}

/// Read a CSV part; with [`CsvSchema::Infer`] the inferred schema is handed back in `schema`.
pub fn csv(path: &Path, kind: PartKind, schema: &mut CsvSchema) -> Result<Loaded, LoadError> {
    let header = header_line(path, kind)?;
    let names: Vec<String> = split_header(&header);
    let resolved: SchemaRef = match schema {
        CsvSchema::Configured(types) => {
            let mut fields = Vec::with_capacity(names.len());
            for n in &names {
                let Some((_, t)) = types.iter().find(|(c, _)| c == n) else {
                    return Err(LoadError::Bad {
                        line: Some(1),
                        problem: format!("column {n:?} is not in compact.csv_schema"),
                    });
                };
                fields.push(Field::new(n, arrow_type(*t), true));
            }
            Arc::new(Schema::new(fields))
        }
        CsvSchema::Inferred(s) => {
            let expected: Vec<&str> = s.fields().iter().map(|f| f.name().as_str()).collect();
            if expected != names.iter().map(String::as_str).collect::<Vec<_>>() {
                return Err(LoadError::Bad {
                    line: Some(1),
                    problem: format!(
                        "its header ({}) differs from the day's first CSV part ({}), whose types are used for the day; set compact.csv_schema to read both",
                        names.join(","),
                        expected.join(",")
                    ),
                });
            }
            s.clone()
        }
        CsvSchema::Infer(Some(table)) if names.iter().all(|n| table.field_with_name(n).is_ok()) => {
            let fields: Vec<Field> = names.iter().filter_map(|n| table.field_with_name(n).ok().cloned()).collect();
            let s = Arc::new(Schema::new(fields));
            *schema = CsvSchema::Inferred(s.clone());
            s
        }
        CsvSchema::Infer(_) => {
            let (inferred, _) = Format::default()
                .with_header(true)
                .infer_schema(open(path, kind)?, Some(INFER_ROWS))
                .map_err(|e| csv_error(&e.to_string()))?;
            let s = Arc::new(inferred);
            *schema = CsvSchema::Inferred(s.clone());
            s
        }
    };
    let reader = ReaderBuilder::new(resolved.clone())
        .with_header(true)
        .with_batch_size(BATCH_ROWS)
        .build(open(path, kind)?)
        .map_err(|e| csv_error(&e.to_string()))?;
    let mut batches = Vec::new();
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| csv_error(&e.to_string()))?;
        rows += batch.num_rows() as u64;
        batches.push(batch);
    }
    Ok(Loaded { schema: resolved, batches, rows })
}

fn arrow_type(t: CsvType) -> DataType {
    match t {
        CsvType::String => DataType::Utf8,
        CsvType::Int64 => DataType::Int64,
        CsvType::Double => DataType::Float64,
        CsvType::Bool => DataType::Boolean,
        CsvType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        CsvType::Date => DataType::Date32,
    }
}

/// The text of a CSV part (gunzipped).
fn open(path: &Path, kind: PartKind) -> Result<Box<dyn Read + Send>, LoadError> {
    let mut file = File::open(path).map_err(LoadError::Io)?;
    file.rewind().map_err(LoadError::Io)?;
    Ok(match kind {
        PartKind::CsvGz => Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file))),
        _ => Box::new(BufReader::new(file)),
    })
}

fn header_line(path: &Path, kind: PartKind) -> Result<String, LoadError> {
    let mut line = String::new();
    BufReader::new(open(path, kind)?).read_line(&mut line).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => {
            LoadError::Bad { line: Some(1), problem: "the header is not UTF-8 text".into() }
        }
        _ => LoadError::Io(e),
    })?;
    if line.trim().is_empty() {
        return Err(LoadError::Bad { line: Some(1), problem: "no header line (the file is empty)".into() });
    }
    Ok(line)
}

fn split_header(line: &str) -> Vec<String> {
    line.trim_end_matches(['\r', '\n']).split(',').map(|s| s.trim().trim_matches('"').to_string()).collect()
}

/// An arrow-csv error, with the line it names (arrow counts the header as line 0).
fn csv_error(message: &str) -> LoadError {
    let line = message
        .split("line ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<u64>().ok());
    LoadError::Bad { line: line.map(|l| l + 1), problem: format!("a row does not fit the schema ({message})") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn csv_parts_infer_then_reuse_their_schema_and_name_the_bad_line() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a.csv");
        std::fs::write(&a, "ts,price,side\n1,1.5,bid\n2,2.5,ask\n").unwrap();
        let gz = tmp.path().join("b.csv.gz");
        let mut enc =
            flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::default());
        enc.write_all(b"ts,price,side\n3,3.5,bid\n").unwrap();
        enc.finish().unwrap();
        let mut schema = CsvSchema::Infer(None);
        let first = csv(&a, PartKind::Csv, &mut schema).unwrap();
        assert_eq!(first.rows, 2);
        assert_eq!(first.schema.field(0).data_type(), &DataType::Int64);
        assert_eq!(csv(&gz, PartKind::CsvGz, &mut schema).unwrap().rows, 1);
        let broken = tmp.path().join("c.csv");
        std::fs::write(&broken, "ts,price,side\n4,4.5,bid\nfive,5.5,ask\n").unwrap();
        match csv(&broken, PartKind::Csv, &mut schema) {
            Err(LoadError::Bad { line, problem }) => {
                assert_eq!(line, Some(3), "{problem}");
            }
            other => panic!("{other:?}"),
        }
        let mut configured =
            CsvSchema::Configured(vec![("ts".into(), CsvType::Int64), ("price".into(), CsvType::Double)]);
        match csv(&a, PartKind::Csv, &mut configured) {
            Err(LoadError::Bad { line: Some(1), problem }) => assert!(problem.contains("\"side\""), "{problem}"),
            other => panic!("{other:?}"),
        }
    }
}
