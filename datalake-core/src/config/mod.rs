//! Configuration: the quants-infra `data_lake:` YAML format, typed and validated.
//!
//! Loading collects *all* problems in one pass and reports each with file,
//! line:column and key path (see [`Diagnostic`]):
//!
//! ```text
//! config/data_lake.yml:14:7: profiles.cex_ticks.retention_day: unknown field; did you mean retention_days?
//! ```
//!
//! # Format
//!
//! A top-level mapping with a `data_lake:` key; other top-level keys are
//! ignored, so the section may live in a bigger quants-infra config. See
//! [`example_yaml`] for a commented file with every key. In short:
//!
//! - `data_lake`: `root_dir`, `checkpoint_dir`, `timezone`, `profiles` (a
//!   mapping of names to profiles), `metrics_dir`.
//! - a profile: `source` and the settings of one collector directory
//!   (retention, rsync, ssh, the transfer planner: [`crate::transfer::planner`]).
//! - `source`: `type` (`ssh` or `local`), `host`, `port`, `user`, `ssh_key`,
//!   `remote_root`. A `local` source takes only `type` and `remote_root`.
//! - `compact`: how closed days become the profile's Delta table
//!   ([`crate::table`]): `enabled`, `after`, `sort_by`, `dedup_on`,
//!   `compression`, `target_file_size`, `keep_raw`, `auto`, `table_uri`,
//!   `vacuum_after`, `csv_schema`.
//!
//! Each key's type, default, allowed range and meaning are in one table,
//! [`keys::KEYS`]; the validator reads its ranges and defaults there, and
//! `docs/config-reference.md` is rendered from it ([`reference_markdown`]).
//!
//! Paths on this machine (`root_dir`, `checkpoint_dir`, `ssh_key`,
//! `known_hosts`, `checkpoint_file`, a local `remote_root`) expand `~` and
//! environment variables in the braced form `${VAR}` only (a bare `$` is a
//! literal character, so paths may contain one); an SSH
//! `remote_root` expands variables only, since `~` there would be the
//! collector's home. An unset variable is an error. Relative local paths
//! resolve against the current directory, as the old Python tool did, with a
//! warning. YAML 1.1 spellings that PyYAML accepted keep working: `yes`/`no`
//! booleans, merge keys (`<<: *defaults`); quoted integers (`port: "22"`) too.
//! A null value (`key:` or `key: ~`) means "use the default".
//!
//! `rsync_args` is a string split with POSIX shell quoting (or a YAML list,
//! taken word for word); what the tool owns (`-e`, output formats, paths...) is
//! refused, what is unwise (`--inplace`, `--delete`, `-z`...) warned about.
//! For enabled SSH profiles the key file is checked (missing, or readable by
//! others): a warning, since the key may be installed after the config.
//!
//! # Files, bottom first
//!
//! No file imports one that imports it back. `yaml`, `rules`, `expand` and
//! `spec` stand alone; `types` is the plain data; `keys` the table (it names
//! the types' defaults); `rsync_args` the rsync flag rules; `reference` the
//! rendered page; `ctx` collects diagnostics; `fields` reads typed values;
//! `cross`, `source` and `compact` check parts of a profile (`compact_types`
//! is the `compact` block's plain data); `build` walks the schema;
//! `load` reads the file and is the entry point. This file only declares and
//! re-exports.
//!
//! # Crates
//!
//! - `yaml-rust2` (event parser with line/column markers): see the `yaml`
//!   submodule for why not `serde_yaml`.
//! - `shellexpand` for `~`/`${VAR}`, `shell-words` for splitting `rsync_args`
//!   with POSIX quoting, `strsim` for "did you mean".

pub use crate::vocab::diagnostic::{Diagnostic, Severity};

mod build;
mod compact;
mod compact_table;
mod compact_types;
mod cross;
mod ctx;
mod expand;
mod fields;
pub mod keys;
mod load;
mod reference;
mod rsync_args;
mod rules;
mod series_format;
mod source;
mod spec;
pub mod storage;
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;
mod types;
mod yaml;

pub use compact_types::{CompactConfig, Compression, CsvType, TablePlace};
pub use keys::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_FULL_SYNC_EVERY, DEFAULT_IO_TIMEOUT, DEFAULT_MIN_AGE, DEFAULT_PARALLEL,
    DEFAULT_PORT, DEFAULT_RETENTION_DAYS, DEFAULT_RETRIES, DEFAULT_RSYNC_ARGS, DEFAULT_SSH_KEY, DEFAULT_WINDOW_DAYS,
    KEYS, MAX_DAYS, MAX_MIN_AGE,
};
pub use load::example_yaml;
pub use reference::{reference_markdown, REFRESH_COMMAND};
pub use series_format::{SeriesFormat, RESERVED_FIELDS};
pub use spec::{DefaultValue, DurationKey, IntKey, KeySpec, Scope, ValueType};
pub use types::{Config, HostKeyChecking, OnRewrite, Profile, Source, SshSource, Timezone, ValidationReport};
