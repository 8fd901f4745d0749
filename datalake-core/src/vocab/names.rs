//! The names of the directories datalake reserves inside a profile directory.
//! Every layer that walks the lake (sync, stats, verify, coverage, cleanup)
//! knows them from here.

/// Name of the partial-transfer directory the syncer gives rsync
/// (`--partial-dir`), that stats counts apart and the cleaner empties.
pub const PARTIAL_DIR: &str = ".rsync-partial";

/// The quarantine folder, directly inside the profile directory.
pub const QUARANTINE_DIR: &str = ".datalake-quarantine";

/// The profile's Delta table, directly inside the profile directory unless
/// `compact.table_uri` puts it elsewhere. Every walk of the lake leaves it
/// alone: its files are read through the table's record (see
/// [`crate::state::absorbed`]), never as partitions.
pub const TABLE_DIR: &str = "_table";

/// The table's own directory for datalake's record of what the table holds
/// and absorbed (`record.json`, `manifests/`). Delta readers and vacuum skip
/// names starting with `_`.
pub const TABLE_RECORD_DIR: &str = "_datalake";
