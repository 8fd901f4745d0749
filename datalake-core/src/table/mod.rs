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
//! - [`store`]: where the table lives (the local disk; object stores next).
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
//! layer merges itself, and read by the faces' own engines), no S3/Azure/GCS
//! (next issue), no `json` writer. What remains is the log protocol
//! (`delta_kernel`), `RecordBatchWriter` (Parquet files with per-file
//! statistics), `CommitBuilder` (atomic commits carrying app metadata),
//! `create` and `vacuum`. It still brings `object_store`, Tokio and an HTTP
//! stack that `delta_kernel`'s default engine requires (the cost is measured
//! in the crate docs).

pub mod compact;
pub mod day;
pub mod delta;
pub mod fault;
pub mod load;
pub mod merge;
pub mod parts;
pub mod reconcile;
pub mod remote;
pub mod retention;
pub mod schema;
pub mod store;

use deltalake_core::parquet::basic::{BrotliLevel, Compression as Codec, GzipLevel, ZstdLevel};
use deltalake_core::parquet::file::properties::WriterProperties;

use crate::config::Compression;

/// The Parquet settings of the table's files.
pub fn writer_properties(compression: Compression) -> WriterProperties {
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
    WriterProperties::builder().set_compression(codec).build()
}

#[cfg(test)]
mod tests;
