//! The names of the directories datalake reserves inside a profile directory.
//! Every layer that walks the lake (sync, stats, verify, coverage, cleanup)
//! knows them from here.

/// Name of the partial-transfer directory the syncer gives rsync
/// (`--partial-dir`), that stats counts apart and the cleaner empties.
pub const PARTIAL_DIR: &str = ".rsync-partial";

/// The quarantine folder, directly inside the profile directory.
pub const QUARANTINE_DIR: &str = ".datalake-quarantine";

/// Earlier versions of files a sync replaced, kept because the new version
/// does not hold all their rows (profile key `on_rewrite`), directly inside
/// the profile directory: `.datalake-replaced/<partition>/<name>.<UTC time>`.
pub const REPLACED_DIR: &str = ".datalake-replaced";

/// Inside [`REPLACED_DIR`]: where rsync's `--backup-dir` puts the files an
/// attempt replaces (one subdirectory per attempt) until the run decides
/// whether to keep them.
pub const STAGING_DIR: &str = ".incoming";
