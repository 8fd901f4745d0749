//! The names of the directories datalake reserves inside a profile directory.
//! Every layer that walks the lake (sync, stats, verify, coverage, cleanup)
//! knows them from here.

/// Name of the partial-transfer directory the syncer gives rsync
/// (`--partial-dir`), that stats counts apart and the cleaner empties.
pub const PARTIAL_DIR: &str = ".rsync-partial";

/// The quarantine folder, directly inside the profile directory.
pub const QUARANTINE_DIR: &str = ".datalake-quarantine";

/// Where rsync lands the files of a sync (its destination, with
/// `--compare-dest` pointing at the profile directory), directly inside the
/// profile directory: each file gets its real name only after it passed the
/// Parquet check (see `state::landing`). Holds rsync's partial files between
/// runs, in `<partition>/.rsync-partial/` as in the lake itself.
pub const LANDING_DIR: &str = ".datalake-landing";

/// Earlier versions of files a sync replaced, kept because the new version
/// does not hold all their rows (profile key `on_rewrite`), directly inside
/// the profile directory: `.datalake-replaced/<partition>/<name>.<UTC time>`.
pub const REPLACED_DIR: &str = ".datalake-replaced";

/// Inside [`REPLACED_DIR`]: where rsync's `--backup-dir` puts the files an
/// attempt replaces (one subdirectory per attempt) until the run decides
/// whether to keep them.
pub const STAGING_DIR: &str = ".incoming";

/// The profile's Delta table, directly inside the profile directory unless
/// `compact.table_uri` puts it elsewhere. Every walk of the lake leaves it
/// alone: its files are read through the table's record (see
/// [`crate::state::absorbed`]), never as partitions.
pub const TABLE_DIR: &str = "_table";

/// The table's own directory for datalake's record of what the table holds
/// and absorbed (`record.json`, `manifests/`). Delta readers and vacuum skip
/// names starting with `_`.
pub const TABLE_RECORD_DIR: &str = "_datalake";

/// Whether `name` is rsync's temporary name for a file it is receiving,
/// `.<name>.XXXXXX`: renamed to `<name>` once the file is complete.
pub fn is_rsync_temp_name(name: &[u8]) -> bool {
    rsync_final_name(name).is_some()
}

/// For rsync's temporary name `.<name>.XXXXXX`, the `<name>` the file gets.
pub fn rsync_final_name(name: &[u8]) -> Option<&[u8]> {
    (name.len() > 8 && name[0] == b'.' && name[name.len() - 7] == b'.').then(|| &name[1..name.len() - 7])
}
