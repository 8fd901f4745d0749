//! Layer 2, the lake's own disk: what a dated partition is ([`partition`]),
//! walks that never follow links ([`fswalk`]), Parquet footer checks
//! ([`parquet_check`]), whether a new version of a file grew from the earlier one ([`growth`]), records that a full disk cannot stop ([`reserved`])
//! the directory of the last file looked at, kept open ([`open_dir`]), and
//! the files another process finishes in a directory tree ([`tree_watch`]).
//! Nothing here talks to the collector or keeps state between runs.

pub mod fswalk;
pub mod growth;
pub mod open_dir;
pub mod parquet_check;
pub mod partition;
pub mod reserved;
pub mod tree_watch;
