//! Layer 10, the table: closed days of raw parts become one Delta Lake table
//! per profile, with one sorted, deduplicated zstd file per series and day,
//! and every raw part absorbed exactly once.
//!
//! # On disk
//! ```text
//! {local_dir}/_table/                       compact.table_uri (default)
//!   _delta_log/00000000000000000000.json    Delta's log: one JSON file per commit
//!   date=2024-11-28/series=gate_io_BTC-USDT/part-00001-<uuid>-c000.zstd.parquet
//!   _datalake/record.json                   what the table holds, for the layers below
//!   _datalake/manifests/<uuid>.json         the raw parts each series-day absorbed
//! ```
//! The table is partitioned by `date` (a Delta `date`) and `series` (the
//! partition path without its date), the two columns every read of the lake
//! adds, so `pl.scan_delta(path)`, `deltalake.DeltaTable(path)`, DuckDB or
//! Spark prune by them and return the same columns as `lake.read`. Each
//! commit's `commitInfo` carries `datalake: {operation, days: [{series, date,
//! manifest, parts, rows_in, rows_out}]}`, and each `add` the tag
//! `datalake.manifest`: the manifest names every part the day absorbed
//! (path, size, mtime, rows), so the table alone proves which raw parts it
//! holds and the record can be rebuilt from it.
//!
//! # The modules
//! - [`store`]: where the table lives (the local disk or an object store).
//! - [`remote`]: what datalake asks an object store itself (the probe of
//!   the next log version, manifests, read-back, the conditional-put probe).
//! - [`fault`]: what an object store's error means (bucket, credentials, down).
//! - [`verify`]: the footers of a remote table's files.
//! - [`delta`]: delta-rs: open, write files, commit, live files, vacuum.
//! - [`parts`]: the raw parts of closed days, from one walk of the lake.
//! - [`load`]: one Parquet or CSV file into Arrow batches.
//! - [`schema`]: the table's types, schema evolution, conflicts.
//! - [`merge`]: duplicates dropped (newest wins), stable sort.
//! - [`day`]: one series-day, from its parts to its new files and manifest.
//! - [`reconcile`]: the record brought level with the table after a crash.
//! - [`compact`]: a whole run.
//! - [`retention`]: days past retention removed, vacuum.
//!
//! # Why delta-rs, and which parts of it
//! Delta Lake needs no catalog server and is read by Polars, pyarrow (through
//! the `deltalake` package), pandas, DuckDB and Spark, on local disk and on
//! object storage alike. `deltalake-core` (the delta-rs crate without its
//! cloud back-ends) is used with its default features off: no DataFusion
//! (81 more crates; the table is written from Arrow batches that this
//! layer merges itself, and read by the faces' own engines), no Azure/GCS,
//! no `json` writer. S3 comes from `deltalake-aws` (see below). What remains is the log protocol
//! (`delta_kernel`), `RecordBatchWriter` (Parquet files with per-file
//! statistics), `CommitBuilder` (atomic commits carrying app metadata),
//! `create` and `vacuum`. It still brings `object_store`, Tokio and an HTTP
//! stack that `delta_kernel`'s default engine requires (the cost is measured
//! in the crate docs).
//!
//! # On an object store (`compact.table_uri: s3://bucket/prefix`)
//! ```text
//! s3://bucket/prefix/_delta_log/...               the table, as above
//! s3://bucket/prefix/_datalake/manifests/<id>.json  every manifest, written before its commit
//! {local_dir}/_table/_datalake/record.json         the record: on this machine
//! {local_dir}/_table/_datalake/manifests/          this lake's copies of the manifests
//! {local_dir}/_table/_datalake/conditional_put.json  the probe's verdict (endpoint, bucket)
//! ```
//! The record stays local so the layers below never wait on the network,
//! and so an hour with nothing new costs one HEAD (the log's next version:
//! absent); manifests go beside the table too, so the table alone proves
//! what it absorbed and a second lake compacting the same collector into the
//! same URI learns from the log and the manifests which parts are in, and
//! never appends them again. A compaction's commit does not let delta-rs
//! retry on top of a version it has not read: losing the race (conditional
//! put refused, 412) makes the run read the log and plan again.
//!
//! `deltalake-aws` 1.0 (`rustls`) brings object_store's S3 client and the
//! AWS SDK's credential chain: 49 more crates, 73 CPU-seconds of debug
//! compilation (measured with `cargo build --timings`; see the crate docs).

pub mod compact;
pub mod day;
pub mod delta;
pub mod fault;
pub mod load;
pub mod merge;
pub mod multipart;
pub mod parts;
pub mod reconcile;
pub mod remote;
pub mod retention;
pub mod schema;
pub mod store;
pub mod verify;

use deltalake_core::arrow::datatypes::{DataType, Schema};
use deltalake_core::parquet::basic::{BrotliLevel, Compression as Codec, Encoding, GzipLevel, ZstdLevel};
use deltalake_core::parquet::file::properties::WriterProperties;
use deltalake_core::parquet::schema::types::ColumnPath;

use crate::config::Compression;

/// The Parquet settings of the table's files of `schema`.
///
/// Integer, timestamp and date columns are delta-encoded instead of
/// dictionary-encoded: market data's times and update ids rise row after
/// row, so their deltas are small. On the order-book table that made the
/// files 0.6x as big and their reading faster (a dictionary of 150,000
/// distinct timestamps is all cost). Every engine that reads Delta reads
/// the encoding (pyarrow, Polars, DuckDB, Spark 3.3+).
pub fn writer_properties(compression: Compression, schema: &Schema) -> WriterProperties {
    let codec = match compression {
        Compression::Zstd(l) => ZstdLevel::try_new(l).map(Codec::ZSTD).unwrap_or(Codec::ZSTD(ZstdLevel::default())),
        Compression::Snappy => Codec::SNAPPY,
        Compression::Gzip(l) => GzipLevel::try_new(l).map(Codec::GZIP).unwrap_or(Codec::GZIP(GzipLevel::default())),
        Compression::Lz4 => Codec::LZ4_RAW,
        Compression::Brotli(l) => {
            BrotliLevel::try_new(l).map(Codec::BROTLI).unwrap_or(Codec::BROTLI(BrotliLevel::default()))
        }
        Compression::None => Codec::UNCOMPRESSED,
    };
    let mut builder = WriterProperties::builder().set_compression(codec);
    for field in schema.fields() {
        if matches!(
            field.data_type(),
            DataType::Int32 | DataType::Int64 | DataType::Timestamp(..) | DataType::Date32 | DataType::Date64
        ) {
            let path = ColumnPath::new(vec![field.name().clone()]);
            builder = builder
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_encoding(path, Encoding::DELTA_BINARY_PACKED);
        }
    }
    builder.build()
}

#[cfg(test)]
mod tests;
