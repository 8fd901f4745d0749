//! The names of the directories datalake reserves inside a profile directory.
//! Every layer that walks the lake (sync, stats, verify, coverage, cleanup)
//! knows them from here.

/// Name of the partial-transfer directory the syncer gives rsync
/// (`--partial-dir`), that stats counts apart and the cleaner empties.
pub const PARTIAL_DIR: &str = ".rsync-partial";

/// The quarantine folder, directly inside the profile directory.
pub const QUARANTINE_DIR: &str = ".datalake-quarantine";
