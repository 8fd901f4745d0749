//! datalake-core: pull date-partitioned market data from collector machines
//! into a local data lake, with rsync over SSH.
//!
//! Collectors record exchange data as `<exchange>_<symbol>_<YYYYMMDD>/part_N.parquet`
//! directories. A workstation or NAS runs [`DataLake::sync`] from cron: it
//! takes the profile's lock, runs rsync (resumable, readers never see a
//! half-written file, expired partitions never downloaded), records a JSON
//! checkpoint and applies retention. [`DataLake::stats`] tells what is there.
//!
//! ```no_run
//! use datalake_core::{DataLake, SyncOptions};
//!
//! fn main() -> Result<(), datalake_core::Error> {
//!     let lake = DataLake::open("config/data_lake.yml")?;
//!     let report = lake.sync("cex_ticks", &mut SyncOptions::default())?;
//!     println!(
//!         "{}: {} files, {} bytes in {:.1}s",
//!         report.status.as_str(),
//!         report.files_transferred,
//!         report.bytes_transferred,
//!         report.duration_seconds
//!     );
//!     if let Some(err) = report.failure() {
//!         eprintln!("{err}");
//!         std::process::exit(report.exit_code().code());
//!     }
//!     Ok(())
//! }
//! ```
//!
//! # Layout
//! - [`config`] — the quants-infra YAML format, validated with file:line:column diagnostics.
//! - [`rsync`] — argv building, output parsing, exit codes, the process runner.
//! - [`syncer`] — attempts, retries and backoff for one profile.
//! - [`checkpoint`], [`lock`] — per-profile run records and mutual exclusion;
//!   [`reserved`] writes the records so that a full disk cannot stop them,
//!   [`diskspace`] says which filesystem is full and how full.
//! - [`partition`], [`cleaner`], [`stats`] — what a dated partition is, retention, statistics.
//! - [`connection`] — the `test_connection` check.
//! - [`min_age`] — files the collector is still writing wait for the next run.
//! - [`parquet_check`], [`quarantine`] — footer checks of landed files; broken ones moved aside.
//! - [`verify`] — footer checks of the whole lake, and a checksum comparison with the collector.
//! - [`coverage`] — series, missing days, stopped series.
//! - [`planner`] — windowed and full runs, parallel streams: what each run hands rsync.
//! - [`lake`] — the [`DataLake`] facade the Python and C bindings wrap.
//! - [`outcome`] — what a result means for every face: failure or not, the
//!   error it carries, exit codes, the `sync_all` aggregate, checkpoint counting.
//! - [`metrics`], [`health`] — Prometheus metrics (node_exporter textfiles) and the `status --max-age` check.
//!
//! # Dependencies, and why
//! - `which`: finds `rsync`/`ssh` on `PATH` exactly as a shell would.
//! - `shell-words`: POSIX quoting for `rsync_args` and the remote check script.
//! - `shellexpand`: `~` and `${VAR}` in config paths, with unset variables as errors.
//! - `strsim`: "did you mean" for unknown keys and profile names.
//! - `walkdir`: tree walks that never follow symlinks and stay on one filesystem.
//! - `nix`: signalling rsync's process group on cancel; `fallocate`,
//!   `renameat2(RENAME_EXCHANGE)` and `statvfs` for records that survive a full disk.
//! - `tempfile`: atomic checkpoint writes (temp file in the same directory, then rename).
//! - `chrono`: dates of partitions and timestamps of checkpoints.
//! - `serde`/`serde_json`: reports and checkpoints; the JSON is the same for the CLI, Python and C.
//! - `humantime`: durations people write (`--max-age 90min`, `min_age: 1m`, `full_sync_every: 24h`,
//!   `7d`) and print, one grammar for every face, with clear parse errors; `0` is accepted for "off"
//!   where a key allows it.
//! - No Prometheus client crate: `prometheus-client` writes OpenMetrics only (its `_total` counters are read
//!   as untyped by node_exporter's textfile collector, a text-format 0.0.4 parser), and the `prometheus`
//!   crate is a registry of live atomics for long-running servers; here a snapshot read from the checkpoint is printed once, in the four line types of the text
//!   format (`metrics::exposition`), checked by `promtool check metrics` in the tests.
//! - `parquet` (arrow-rs, default features off): decodes Parquet footers for
//!   the landing check and `verify`. The Apache Arrow project's own reader,
//!   kept in step with the format (new footer fields, encodings); without its
//!   default features it pulls no Arrow and no compression codecs, only the
//!   Thrift metadata decoder. A hand-written Thrift decoder would be smaller
//!   but would have to follow the format by itself; the tests use the same
//!   crate's writer to make real files.

pub mod cancel;
pub mod checkpoint;
pub mod cleaner;
pub mod config;
pub mod connection;
pub mod coverage;
pub mod diskspace;
pub mod error;
pub mod fswalk;
pub mod health;
pub mod lake;
pub mod lock;
pub mod metrics;
pub mod min_age;
pub mod outcome;
pub mod parquet_check;
pub mod partition;
pub mod planner;
pub mod progress;
pub mod quarantine;
pub mod remote;
pub mod report;
pub mod reserved;
pub mod rsync;
pub mod stats;
pub mod syncer;
pub mod verify;

pub use cancel::CancelToken;
pub use checkpoint::Checkpoint;
pub use cleaner::CleanupReport;
pub use config::{Config, Diagnostic, Profile, Severity, Source, ValidationReport};
pub use connection::{ConnectionReport, ConnectionStatus};
pub use coverage::{Coverage, DayState, SeriesCoverage};
pub use error::{ConfigErrors, ConnectFailure, Error, ErrorKind, Result};
pub use health::HealthReport;
pub use lake::{DataLake, SyncOptions};
pub use outcome::{all_error_kinds, all_sync_statuses, AggregateFailure, ExitCode, RunEffect, SyncAllReport};
pub use planner::SyncMode;
pub use progress::Progress;
pub use quarantine::QuarantinedFile;
pub use report::{SyncReport, SyncStatus, TransferStats};
pub use stats::ProfileStats;
pub use verify::{VerifyOptions, VerifyReport};
