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
//! Reading: [`DataLake::files`] lists the complete files of a [`FileSelection`]
//! (series names or patterns, an inclusive day range, values of the fields
//! of the profile's `series_format`), judged by directory names alone:
//!
//! ```no_run
//! use datalake_core::{DataLake, FileSelection};
//!
//! fn main() -> Result<(), datalake_core::Error> {
//!     let lake = DataLake::open("config/data_lake.yml")?;
//!     let mut selection = FileSelection { start: Some(FileSelection::parse_date("20241119")?), ..Default::default() };
//!     selection.series.push("gate_io_VIRTUAL-USDT".into());
//!     for file in lake.files("orderbook_ticks", &selection)?.files {
//!         println!("{} {} {} bytes", file.path.display(), file.date, file.size);
//!     }
//!     Ok(())
//! }
//! ```
//!
//! # Layout
//! The modules are layers, bottom first; each uses only the layers below it
//! (`scripts/check_layers.py` checks it in CI; `docs/ARCHITECTURE.md` tells
//! the whole story).
//! - [`vocab`]: the words every layer shares: [`Error`] and [`ErrorKind`],
//!   diagnostics, [`SyncStatus`], [`SyncMode`], [`ExitCode`], sizes, reserved
//!   directory names, run control ([`RunControl`]: cancellation, progress, the
//!   caller's poll), the metrics counters.
//! - [`config`]: the quants-infra YAML format, validated with file:line:column diagnostics.
//! - [`local`]: the lake's own disk: dated partitions, walks, Parquet footers,
//!   records that a full disk cannot stop.
//! - [`rsync`]: finding rsync and ssh, their argv, running them, reading their output.
//! - [`collector`]: remote commands, listing, `min_age`, the connection test.
//! - [`state`]: checkpoint, lock, quarantine, retention.
//! - [`transfer`]: the planner (windowed and full runs, parallel streams), the
//!   syncer (attempts, retries), the sync report.
//! - [`inspect`]: stats, coverage, verify, health, Prometheus metrics.
//! - [`read`]: the catalog of the complete files of a selection (series,
//!   dates, series fields), and the schema check of a read.
//! - [`lake`]: the [`DataLake`] facade the Python and C bindings wrap, which
//!   profiles each command's `--all` covers ([`lake::selection`]), and what
//!   every command's result means ([`lake::outcome`], [`lake::aggregates`]).
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
//!   the landing check and `verify`, and rows (its record reader, no Arrow
//!   arrays) when a sync must tell whether a replaced file grew or was
//!   rewritten ([`local::growth`]). The Apache Arrow project's own reader,
//!   kept in step with the format (new footer fields, encodings); without its
//!   default features it pulls no Arrow. Its codec features (`snap`, `lz4`,
//!   `flate2-rust_backend`, `zstd`) decode the pages pyarrow and the
//!   collectors write (snappy by default, zstd, gzip, lz4); only `zstd` builds
//!   C code. They add 1.8 MB to the Python extension (3.7 to 5.6 MB, release);
//!   brotli is left out (1.3 MB more): a brotli file cannot be compared and is kept. The `arrow` feature
//!   (arrow-array, -select, -ipc, ...) would add more than the codecs and is
//!   not needed to compare rows. The tests use the same crate's writer to
//!   make real files.

pub mod collector;
pub mod config;
pub mod inspect;
pub mod lake;
pub mod local;
pub mod read;
pub mod rsync;
pub mod state;
pub mod transfer;
pub mod vocab;

pub use collector::connection::{ConnectionReport, ConnectionStatus};
pub use config::{Config, Profile, Source, ValidationReport};
pub use inspect::coverage::{Coverage, CoverageOptions, DayState, SeriesCoverage};
pub use inspect::health::HealthReport;
pub use inspect::stats::ProfileStats;
pub use inspect::verify::{VerifyOptions, VerifyReport};
pub use lake::aggregates::{CleanupAllReport, CoverageAllReport, ProfileOutcome, VerifyAllReport};
pub use lake::outcome::{AggregateFailure, SyncAllReport};
pub use lake::selection::{Command, Selection};
pub use lake::{DataLake, SyncOptions};
pub use read::catalog::{Catalog, FileEntry, SelectedPartition};
pub use read::schema::SchemaGroup;
pub use read::selection::FileSelection;
pub use rsync::output::TransferStats;
pub use state::checkpoint::Checkpoint;
pub use state::cleaner::{CleanupOptions, CleanupReport};
pub use state::quarantine::QuarantinedFile;
pub use transfer::report::SyncReport;
pub use vocab::cancel::CancelToken;
pub use vocab::diagnostic::{Diagnostic, Severity};
pub use vocab::error::{all_error_kinds, ConfigErrors, ConnectFailure, Error, ErrorKind, Result};
pub use vocab::exit_code::ExitCode;
pub use vocab::progress::Progress;
pub use vocab::run_control::RunControl;
pub use vocab::status::{all_sync_statuses, RunEffect, SyncMode, SyncStatus};
