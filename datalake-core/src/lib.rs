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
//! - [`table`]: closed days compacted into the profile's Delta table, exactly
//!   once (the record of what it absorbed lives in [`state::absorbed`]).
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
//!   `renameat2(RENAME_EXCHANGE)` and `statvfs` for records that survive a full disk;
//!   inotify for the landing area's watch (feature `inotify`: a module of
//!   nix, no new crate and no measurable build time).
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
//!   the landing check and `verify`, rows when a sync must tell whether a
//!   replaced file grew or was rewritten ([`local::growth`]), and Arrow
//!   batches for compaction ([`table`]). The Apache Arrow project's own
//!   reader, kept in step with the format. Version 59, the arrow-rs release
//!   delta-rs is built on, so the build holds one parquet and one Arrow. Its
//!   codec features (`snap`, `lz4`, `flate2-rust_backend`, `zstd`) decode the
//!   pages pyarrow and the collectors write (snappy by default, zstd, gzip,
//!   lz4) and write the table's zstd files; only `zstd` builds C code. The
//!   `arrow` feature is the one compaction needs (Arrow arrays to merge, sort
//!   and deduplicate); brotli comes in with `deltalake-core` anyway.
//! - `deltalake-core` 1.1 (delta-rs, default features off, `rustls`): the
//!   Delta Lake table of compacted days ([`table`]): the log protocol, the
//!   Parquet writer with per-file statistics, atomic commits with our own
//!   `commitInfo`, `create`, `vacuum`. Why Delta and which parts: see
//!   [`table`]. Left out: DataFusion (81 more crates, the biggest of the
//!   tree; merging, sorting and deduplicating a day is a few Arrow kernels
//!   here, and reading is the faces' engines' job), the Azure/GCS
//!   back-ends (`gs://`, `az://` are untested), the `json` writer. One of `rustls` or
//!   `native-tls` is mandatory (`delta_kernel`'s default engine carries an
//!   HTTP client even for local tables); `rustls` needs no system OpenSSL.
//! - `deltalake-aws` 1.0 (`rustls`, default features off): `s3://` tables
//!   ([`table::store`]): delta-rs' S3 object store factory and log store
//!   (commits by conditional put), object_store's `aws` client, and the AWS
//!   SDK's credential chain (profiles, SSO, STS web identity) that delta-rs
//!   resolves credentials with. `bytes`, already in the tree, is the buffer
//!   type object_store returns.
//! - `tokio` (`rt` only): delta-rs is async; [`table::delta`] drives it on a
//!   current-thread runtime, so no thread pool appears behind the caller.
//! - `url`, `uuid` (v4), `flate2`: the table's location as delta-rs wants it,
//!   unique names for manifests, `.csv.gz` parts.
//!
//! What delta-rs costs, measured on the 2-core CI machine, clean builds
//! (`CARGO_TARGET_DIR` empty), before -> after this dependency:
//! - `cargo build --workspace --all-targets` (debug, what `cargo test` and
//!   clippy build): 73 s -> 214 s wall (116 -> 322 CPU-seconds), 177 -> 419
//!   compilation units, target 2.3 -> 4.1 GB (dependencies are built without
//!   debug info, `[profile.dev.package."*"]`; with it each test binary was
//!   ~500 MB).
//! - `cargo build --release -p datalake-py -p datalake-ffi` (the wheel's and
//!   the C library's build): 152 s -> 466 s wall (151 -> 918 CPU-seconds),
//!   target 0.3 -> 1.3 GB.
//! - The Python extension grows from 6.0 to 57.5 MB (45.8 MB stripped; the
//!   wheel, compressed, from about 2.2 to 17.6 MB), mostly Arrow's kernels
//!   (casts, comparisons for every type) and the HTTP/TLS stack.
//! - `deltalake-aws` (issue 21) adds 49 crates (57 compilation units: the
//!   AWS SDK's smithy runtime, `aws-config`, STS/SSO clients, `time`): 73
//!   CPU-seconds of compilation in a debug build (`cargo build --timings`;
//!   the biggest: `aws-smithy-http-client` 12 s, `aws-config` 7 s,
//!   `aws-smithy-runtime` 7 s, `aws-sdk-sts` 6 s), so about 40 s more wall
//!   time on 2 cores for a clean debug build; the incremental build that
//!   added them (with `datalake-core` rebuilt) took 118 s wall on the shared
//!   machine. The release extension: see [`table`].
//! - CI (`bash .ci/run`) pays it in the debug build shared by clippy, test
//!   and doc, in `cargo package`'s own verification build and in the release
//!   wheel: see the closing note of issue 20 for the total.

pub mod collector;
pub mod config;
pub mod inspect;
pub mod lake;
pub mod local;
pub mod read;
pub mod rsync;
pub mod state;
pub mod table;
pub mod transfer;
pub mod vocab;

pub use collector::connection::{ConnectionReport, ConnectionStatus};
pub use config::{Config, Profile, Source, ValidationReport};
pub use inspect::coverage::{Coverage, CoverageOptions, DayState, SeriesCoverage};
pub use inspect::health::HealthReport;
pub use inspect::stats::ProfileStats;
pub use inspect::verify::{VerifyOptions, VerifyReport};
pub use lake::aggregates::{CleanupAllReport, CoverageAllReport, ProfileOutcome, VerifyAllReport};
pub use lake::compact::{CompactAllReport, CompactOptions};
pub use lake::outcome::{AggregateFailure, SyncAllReport};
pub use lake::selection::{Command, Selection};
pub use lake::{DataLake, SyncOptions};
pub use read::catalog::{Catalog, FileEntry, SelectedPartition};
pub use read::schema::SchemaGroup;
pub use read::selection::FileSelection;
pub use rsync::output::TransferStats;
pub use state::absorbed::report::{CompactReport, CompactedDay, SkippedDay};
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
