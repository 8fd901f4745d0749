//! One series-day into the table: read its new parts (and, when the table
//! holds the day already, its table files), merge the schemas, drop
//! duplicates, sort, write the new files and the manifest. Nothing becomes
//! visible here: the caller commits.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::writer_properties;
use chrono::NaiveDate;
use deltalake_core::arrow::array::{ArrayRef, Date32Array, RecordBatch, StringArray};
use deltalake_core::arrow::datatypes::{Schema, SchemaRef};
use deltalake_core::kernel::{Add, Remove};

use super::delta::{LiveFile, Table, MANIFEST_TAG};
use super::load::{self, CsvSchema, LoadError, Loaded};
use super::merge::merge;
use super::parts::{PartKind, RawPart};
use super::remote;
use super::schema::{conform, unify, with_partitions};
use crate::config::{Compression, Profile};
use crate::state::absorbed::report::CompactedDay;
use crate::state::absorbed::{AbsorbedPart, DayEntry, Manifest, TableFile};
use crate::vocab::error::Error;

/// A series-day to write.
pub struct DayInput<'a> {
    /// The series.
    pub series: &'a str,
    /// The day.
    pub date: NaiveDate,
    /// Its new parts, in the order they were written.
    pub parts: &'a [RawPart],
    /// What the table holds for it already: the record's entry, its manifest, its live files.
    pub existing: Option<(&'a DayEntry, Manifest, Vec<LiveFile>)>,
}

/// A series-day written and waiting for its commit.
pub struct DayWork {
    /// The new files, tagged with the manifest.
    pub adds: Vec<Add>,
    /// The day's earlier files, taken out by the same commit.
    pub removes: Vec<Remove>,
    /// The record's entry once committed (`version` set by the caller).
    pub entry: DayEntry,
    /// The day's manifest (written already).
    pub manifest: Manifest,
    /// What the report says about it.
    pub report: CompactedDay,
    /// The table's data columns after this day.
    pub schema: Schema,
}

/// Why a day was not written.
pub enum DayError {
    /// Its files: the day stays raw, the run goes on.
    Skip(Box<Error>),
    /// The table or the disk: the run stops.
    Fatal(Box<Error>),
}

impl DayError {
    fn skip(e: Error) -> DayError {
        DayError::Skip(Box::new(e))
    }
    fn fatal(e: Error) -> DayError {
        DayError::Fatal(Box::new(e))
    }
}

/// The settings a day is written with.
pub struct DayCtx<'a> {
    /// The profile.
    pub profile: &'a Profile,
    /// The table.
    pub table: &'a Table,
    /// The compression of the new files.
    pub compression: Compression,
    /// A file of the table with its current schema, to name in a conflict.
    pub table_file: String,
}

impl DayCtx<'_> {
    fn bad_part(&self, part: &RawPart, line: Option<u64>, problem: String, hint: &str) -> DayError {
        DayError::skip(Error::BadPart {
            profile: self.profile.name.clone(),
            file: part.rel().display().to_string(),
            line,
            problem,
            hint: hint.to_string(),
        })
    }

    fn load_part(&self, part: &RawPart, csv: &mut CsvSchema) -> Result<Loaded, DayError> {
        let path = self.profile.local_dir.join(part.rel());
        let loaded = match part.kind {
            PartKind::Parquet => load::parquet(&path),
            PartKind::Csv | PartKind::CsvGz => load::csv(&path, part.kind, csv),
        };
        loaded.map_err(|e| match e {
            LoadError::Bad { line, problem } => self.bad_part(
                part,
                line,
                problem,
                "fix or move away the file (the collector may have been killed while writing it)",
            ),
            LoadError::Io(e) => DayError::skip(Error::io_default("read", path, e)),
        })
    }
}

/// Read `parts` on all cores, in order. CSV types are inferred from the
/// first CSV part (read first, alone) unless `compact.csv_schema` gives them.
fn load_parts(ctx: &DayCtx<'_>, parts: &[RawPart], table: Option<&Schema>) -> Result<Vec<Loaded>, DayError> {
    let mut csv = match &ctx.profile.compact.csv_schema {
        Some(types) => CsvSchema::Configured(types.clone()),
        None => CsvSchema::Infer(table.map(|s| Arc::new(s.clone()))),
    };
    let mut first = None;
    if let (CsvSchema::Infer(_), Some(i)) = (&csv, parts.iter().position(|p| p.kind != PartKind::Parquet)) {
        first = Some((i, ctx.load_part(&parts[i], &mut csv)?));
    }
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(parts.len().div_ceil(16)).max(1);
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<Loaded, DayError>>>> = parts.iter().map(|_| Mutex::new(None)).collect();
    if let Some((i, loaded)) = first {
        *lock(&slots[i]) = Some(Ok(loaded));
    }
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (next, slots, csv) = (&next, &slots, csv.clone());
            scope.spawn(move || {
                let mut csv = csv;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(part) = parts.get(i) else { break };
                    let mut slot = lock(&slots[i]);
                    if slot.is_none() {
                        *slot = Some(ctx.load_part(part, &mut csv));
                    }
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner).unwrap_or_else(unreachable_slot))
        .collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Every slot is filled by the workers; should one not be, it is an error, not a panic.
fn unreachable_slot() -> Result<Loaded, DayError> {
    Err(DayError::fatal(Error::InvalidArgument("a part was not read (a bug in datalake)".into())))
}

/// Build one series-day. `table_schema`: the table's data columns so far
/// (with the columns earlier days of the same commit added).
pub fn build(ctx: &DayCtx<'_>, input: DayInput<'_>, table_schema: Option<&Schema>) -> Result<DayWork, DayError> {
    let compact = &ctx.profile.compact;
    let store = ctx.table.store();
    let mut inputs: Vec<(String, Loaded)> = Vec::new();
    let mut bytes_before = 0u64;
    if let Some((_, _, files)) = &input.existing {
        for f in files {
            let loaded = match store.remote() {
                None => load::parquet(&store.file(&f.path)),
                Some(_) => load::parquet_from(remote::read(ctx.table, &f.path).map_err(DayError::fatal)?),
            }
            .map_err(|e| {
                let detail = match e {
                    LoadError::Bad { problem, .. } => problem,
                    LoadError::Io(e) => e.to_string(),
                };
                DayError::fatal(store.error(
                    "read back",
                    format!("{}: {detail}", f.path),
                    "`datalake verify` checks the table's files",
                ))
            })?;
            bytes_before += f.size;
            inputs.push((format!("{}/{}", store.uri(), f.path), loaded));
        }
    }
    let existing_inputs = inputs.len();
    let mut part_rows = Vec::with_capacity(input.parts.len());
    for (part, loaded) in input.parts.iter().zip(load_parts(ctx, input.parts, table_schema)?) {
        bytes_before += part.size;
        part_rows.push(loaded.rows);
        inputs.push((part.rel().display().to_string(), loaded));
    }

    let schemas: Vec<(String, SchemaRef)> = inputs.iter().map(|(f, l)| (f.clone(), l.schema.clone())).collect();
    let unified = unify(table_schema.map(|s| (ctx.table_file.as_str(), s)), &schemas).map_err(|c| {
        DayError::skip(Error::SchemaConflict {
            profile: ctx.profile.name.clone(),
            day: format!("{} on {}", input.series, input.date),
            files: Box::new([c.first, c.second]),
            difference: c.difference,
        })
    })?;
    let dedup = compact.dedup_on.as_deref();
    for (key, columns) in [("sort_by", compact.sort_by.as_slice()), ("dedup_on", dedup.unwrap_or(&[]))] {
        for (i, (_, loaded)) in inputs.iter().enumerate().skip(existing_inputs) {
            if let Some(c) = columns.iter().find(|c| loaded.schema.field_with_name(c).is_err()) {
                let part = &input.parts[i - existing_inputs];
                return Err(ctx.bad_part(
                    part,
                    None,
                    format!("has no column {c:?}, which compact.{key} names"),
                    &format!(
                        "check the spelling in compact.{key} (the file's columns: {})",
                        column_list(&loaded.schema)
                    ),
                ));
            }
        }
    }

    let mut batches = Vec::new();
    for (i, (file, loaded)) in inputs.into_iter().enumerate() {
        for b in &loaded.batches {
            let conformed = conform(b, &unified.schema).map_err(|problem| match i.checked_sub(existing_inputs) {
                Some(p) => {
                    ctx.bad_part(&input.parts[p], None, problem, "rewrite the file with a type the table can hold")
                }
                None => DayError::fatal(store.error(
                    "read back",
                    format!("{file}: {problem}"),
                    "`datalake verify` checks the table's files",
                )),
            })?;
            batches.push(conformed);
        }
    }
    let merged = merge(&unified.schema, &batches, dedup, &compact.sort_by).map_err(|e| {
        DayError::fatal(store.error("merge rows for", e, "this is a bug in datalake; please report it"))
    })?;
    drop(batches);
    let rows_out = merged.batch.num_rows() as u64;
    let full = with_partitions(&unified.schema);
    let batch = with_partition_values(&full, merged.batch, input.series, input.date).map_err(DayError::fatal)?;

    let manifest_name = format!("{}.json", uuid::Uuid::new_v4());
    let mut adds = ctx
        .table
        .write(&full, batch, writer_properties(ctx.compression, &unified.schema), compact.target_file_size)
        .map_err(DayError::fatal)?;
    for add in &mut adds {
        add.tags.get_or_insert_with(HashMap::new).insert(MANIFEST_TAG.to_string(), Some(manifest_name.clone()));
    }

    let (mut manifest, removes) = match input.existing {
        Some((_, manifest, files)) => (manifest, files.into_iter().map(|f| f.remove).collect()),
        None => (Manifest::new(input.series, input.date), Vec::new()),
    };
    for (part, rows) in input.parts.iter().zip(part_rows) {
        manifest.insert(&part.partition, AbsorbedPart(part.name.clone(), part.size, part.secs, part.nanos, rows));
    }
    manifest.write(store.place(), &manifest_name).map_err(DayError::fatal)?;
    remote::publish_manifest(ctx.table, &manifest_name).map_err(DayError::fatal)?;

    let files: Vec<TableFile> = adds
        .iter()
        .map(|a| TableFile {
            path: store.decode_path(&a.path),
            size: u64::try_from(a.size).unwrap_or(0),
            rows: rows_of(a),
        })
        .collect();
    let bytes_after = files.iter().map(|f| f.size).sum();
    let report = CompactedDay {
        series: input.series.to_string(),
        date: input.date,
        parts: input.parts.len() as u64,
        merged: existing_inputs > 0 || !removes.is_empty(),
        rows_in: merged.rows_in,
        rows_out,
        duplicates: merged.duplicates,
        bytes_before,
        bytes_after,
        files: files.len() as u64,
        added_columns: unified.added.clone(),
    };
    let entry = DayEntry {
        series: input.series.to_string(),
        date: input.date,
        version: 0,
        manifest: manifest_name,
        partitions: manifest.parts.keys().cloned().collect(),
        parts: manifest.count(),
        raw_bytes: manifest.raw_bytes(),
        rows: rows_out,
        files,
    };
    Ok(DayWork { adds, removes, entry, manifest, report, schema: unified.schema.as_ref().clone() })
}

fn column_list(schema: &Schema) -> String {
    schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(", ")
}

/// Rows of a written file, from its statistics.
fn rows_of(add: &Add) -> u64 {
    add.stats
        .as_deref()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .and_then(|v| v.get("numRecords").and_then(serde_json::Value::as_u64))
        .unwrap_or(0)
}

/// `batch` with the `date` and `series` columns of `full` appended.
fn with_partition_values(
    full: &SchemaRef,
    batch: RecordBatch,
    series: &str,
    date: NaiveDate,
) -> Result<RecordBatch, Error> {
    let rows = batch.num_rows();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
    let days = i32::try_from((date - epoch).num_days()).unwrap_or(0);
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    columns.push(Arc::new(Date32Array::from(vec![days; rows])));
    columns.push(Arc::new(StringArray::from(vec![series; rows])));
    RecordBatch::try_new(full.clone(), columns).map_err(|e| Error::InvalidArgument(format!("partition columns: {e}")))
}
