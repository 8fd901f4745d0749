//! datalake-core: pull date-partitioned market data from collector machines
//! into a local data lake, with rsync over SSH.
//!
//! (crate docs to be written)

pub mod cancel;
pub mod checkpoint;
pub mod cleaner;
pub mod config;
pub mod connection;
pub mod error;
pub mod lake;
pub mod lock;
pub mod partition;
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
pub use progress::Progress;
pub use report::{SyncReport, SyncStatus, TransferStats};
pub use stats::ProfileStats;
