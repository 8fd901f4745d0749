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
//!     if let Some(err) = &report.error {
//!         eprintln!("{err}");
//!     }
//!     Ok(())
//! }
//! ```
//!
//! # Layout
//! - [`config`] — the quants-infra YAML format, validated with file:line:column diagnostics.
//! - [`rsync`] — argv building, output parsing, exit codes, the process runner.
//! - [`syncer`] — attempts, retries and backoff for one profile.
//! - [`checkpoint`], [`lock`] — per-profile run records and mutual exclusion.
//! - [`partition`], [`cleaner`], [`stats`] — what a dated partition is, retention, statistics.
//! - [`connection`] — the `test_connection` check.
//! - [`planner`] — windowed and full runs, parallel streams: what each run hands rsync.
//! - [`lake`] — the [`DataLake`] facade the Python and C bindings wrap.
//!
//! # Dependencies, and why
//! - `which`: finds `rsync`/`ssh` on `PATH` exactly as a shell would.
//! - `shell-words`: POSIX quoting for `rsync_args` and the remote check script.
//! - `shellexpand`: `~` and `${VAR}` in config paths, with unset variables as errors.
//! - `strsim`: "did you mean" for unknown keys and profile names.
//! - `walkdir`: tree walks that never follow symlinks and stay on one filesystem.
//! - `nix`: signalling rsync's process group on cancel.
//! - `tempfile`: atomic checkpoint writes (temp file in the same directory, then rename).
//! - `chrono`: dates of partitions and timestamps of checkpoints.
//! - `humantime`: `full_sync_every` durations (`24h`, `6h`, `7d`) in the
//!   spelling users know from systemd and other Rust tools, with clear parse
//!   errors; hand-parsing units would be a second, worse copy of it.
//! - `serde`/`serde_json`: reports and checkpoints; the JSON is the same for the CLI, Python and C.

pub mod cancel;
pub mod checkpoint;
pub mod cleaner;
pub mod config;
pub mod connection;
pub mod error;
pub mod lake;
pub mod lock;
pub mod partition;
pub mod planner;
pub mod progress;
pub mod report;
pub mod rsync;
pub mod stats;
pub mod syncer;

pub use cancel::CancelToken;
pub use checkpoint::Checkpoint;
pub use cleaner::CleanupReport;
pub use config::{Config, Diagnostic, Profile, Severity, Source, ValidationReport};
pub use connection::{ConnectionReport, ConnectionStatus};
pub use error::{ConfigErrors, ConnectFailure, Error, ErrorKind, Result};
pub use lake::{DataLake, SyncOptions};
pub use planner::SyncMode;
pub use progress::Progress;
pub use report::{overall_status, SyncReport, SyncStatus, TransferStats};
pub use stats::ProfileStats;
