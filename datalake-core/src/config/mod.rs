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
//! - `data_lake`: `root_dir` (required), `checkpoint_dir` (default
//!   `{root_dir}/.checkpoints`), `timezone` (`utc` default, or `local`),
//!   `profiles` (a mapping of names `[A-Za-z0-9_.-]+` to profiles),
//!   `metrics_dir` (optional: node_exporter textfile directory, see [`crate::inspect::metrics`]).
//! - profile: `enabled` (true), `source`, `local_subdir` (default: the profile
//!   name), `retention_days` (30, 1..=36500), `rsync_args`, `checkpoint_file`
//!   (default `{checkpoint_dir}/{name}.json`), `bwlimit` (KiB/s), `io_timeout`
//!   (300 s, 1..=86400), `connect_timeout` (15 s, 1..=3600), `retries` (3,
//!   0..=20), `exclude` (list of rsync patterns), `known_hosts`,
//!   `host_key_checking` (`accept-new` default or `yes`; `no` is refused),
//!   `timezone` (overrides the data_lake one), `min_age` (a duration, `1m`;
//!   `0` turns it off), `check_parquet` (true), `window_days` (2, 0..=36500;
//!   0 = always full), `full_sync_every` (`24h`; a duration such as `6h`,
//!   `7d`), `parallel` (1, 1..=16 rsync streams): see [`crate::transfer::planner`].
//! - `source`: `type` (`ssh` default, or `local`), `host`, `port` (6677),
//!   `user`, `ssh_key` (`~/.ssh/lightsail_key.pem`), `remote_root`. A `local`
//!   source takes only `type` and `remote_root`.
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
//! # Crates
//!
//! - `yaml-rust2` (event parser with line/column markers): see the `yaml`
//!   submodule for why not `serde_yaml`.
//! - `shellexpand` for `~`/`${VAR}`, `shell-words` for splitting `rsync_args`
//!   with POSIX quoting, `strsim` for "did you mean".

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use crate::vocab::diagnostic::{Diagnostic, Severity};
use crate::vocab::error::{ConfigErrors, Error, Result};

mod build;
mod cross;
mod expand;
mod fields;
mod load;
mod rsync_args;
mod rules;
mod source;
pub mod storage;
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;
mod yaml;

/// Default SSH port of the collectors (quants-infra convention).
pub const DEFAULT_PORT: u16 = 6677;
/// Default private key (quants-infra convention).
pub const DEFAULT_SSH_KEY: &str = "~/.ssh/lightsail_key.pem";
/// Default retention in calendar days.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
/// Default rsync I/O idle timeout in seconds.
pub const DEFAULT_IO_TIMEOUT: u32 = 300;
/// Default SSH connect timeout in seconds.
pub const DEFAULT_CONNECT_TIMEOUT: u32 = 15;
/// Default number of retries after a transient failure.
pub const DEFAULT_RETRIES: u32 = 3;

/// Default `min_age`: files the collector modified less than a minute ago
/// are left for the next run.
pub const DEFAULT_MIN_AGE: std::time::Duration = std::time::Duration::from_secs(60);
/// Largest `min_age` accepted.
pub const MAX_MIN_AGE: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);
/// Default window of a regular sync, in days back from the collector's today.
pub const DEFAULT_WINDOW_DAYS: u32 = 2;
/// Default longest time between two full syncs.
pub const DEFAULT_FULL_SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
/// Default number of rsync streams.
pub const DEFAULT_PARALLEL: u32 = 1;

/// Outcome of validating a config file without using it.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    /// The file validated.
    pub path: PathBuf,
    /// True when there are no errors (warnings allowed).
    pub ok: bool,
    /// Problems that stop the config from loading.
    pub errors: Vec<Diagnostic>,
    /// Problems worth a look.
    pub warnings: Vec<Diagnostic>,
}

/// How strictly the collector's SSH host key is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum HostKeyChecking {
    /// Trust on first use, refuse a changed key (ssh `accept-new`).
    #[serde(rename = "accept-new")]
    AcceptNew,
    /// The key must already be in known_hosts (ssh `yes`).
    #[serde(rename = "yes")]
    Yes,
}

impl HostKeyChecking {
    /// The value for ssh's `StrictHostKeyChecking` option.
    pub fn as_ssh_option(self) -> &'static str {
        match self {
            HostKeyChecking::AcceptNew => "accept-new",
            HostKeyChecking::Yes => "yes",
        }
    }
}

/// Which calendar "today" retention counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timezone {
    /// UTC (default): matches collectors that stamp partitions in UTC.
    Utc,
    /// The machine's local time zone.
    Local,
}

impl Timezone {
    /// `"utc"` or `"local"`, as in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            Timezone::Utc => "utc",
            Timezone::Local => "local",
        }
    }
}

/// An SSH collector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SshSource {
    /// Host name or address.
    pub host: String,
    /// SSH port.
    pub port: u16,
    /// Login user.
    pub user: String,
    /// Private key, `~` and `${VAR}` expanded.
    pub ssh_key: PathBuf,
    /// Absolute directory on the collector.
    pub remote_root: String,
}

impl SshSource {
    /// `user@host:port`, as used in messages.
    pub fn target(&self) -> String {
        format!("{}@{}:{}", self.user, self.host, self.port)
    }
}

/// Where a profile's data comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Source {
    /// A remote collector reached over SSH.
    Ssh(SshSource),
    /// A directory on this machine (mounted disk, NFS); same engine, no SSH.
    Local {
        /// Absolute directory to read from.
        remote_root: PathBuf,
    },
}

impl Source {
    /// `"ssh"` or `"local"`, as the config's `type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Source::Ssh(_) => "ssh",
            Source::Local { .. } => "local",
        }
    }

    /// `user@host:remote_root` for SSH, the directory for local sources.
    pub fn display_remote(&self) -> String {
        match self {
            Source::Ssh(s) => format!("{}@{}:{}", s.user, s.host, s.remote_root),
            Source::Local { remote_root } => remote_root.display().to_string(),
        }
    }
}

/// One collector-to-lake mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// Name (`[A-Za-z0-9_.-]+`).
    pub name: String,
    /// Disabled profiles are skipped by `sync_all` and refused by name.
    pub enabled: bool,
    /// The collector.
    pub source: Source,
    /// Relative directory below `root_dir`.
    pub local_subdir: PathBuf,
    /// `root_dir/local_subdir`, where the data lands.
    pub local_dir: PathBuf,
    /// Calendar days to keep, today included (>= 1).
    pub retention_days: u32,
    /// `rsync_args` split with POSIX shell quoting; `None` means the safe defaults.
    pub rsync_args: Option<Vec<String>>,
    /// JSON checkpoint file.
    pub checkpoint_file: PathBuf,
    /// Lock file (`{checkpoint_dir}/{name}.lock`).
    pub lock_file: PathBuf,
    /// rsync `--bwlimit` in KiB/s.
    pub bwlimit: Option<u32>,
    /// rsync `--timeout` (I/O idle) in seconds.
    pub io_timeout: u32,
    /// ssh `ConnectTimeout` in seconds.
    pub connect_timeout: u32,
    /// Retries after a transient failure.
    pub retries: u32,
    /// rsync exclude patterns.
    pub exclude: Vec<String>,
    /// ssh `UserKnownHostsFile`, when set.
    pub known_hosts: Option<PathBuf>,
    /// ssh `StrictHostKeyChecking`.
    pub host_key_checking: HostKeyChecking,
    /// Calendar used for retention.
    pub timezone: Timezone,
    /// Files modified on the collector more recently than this (by its
    /// clock) wait for the next run; zero turns the check off. In JSON: seconds.
    #[serde(serialize_with = "as_seconds")]
    pub min_age: std::time::Duration,
    /// Check the footer of every `.parquet` file a run transfers and
    /// quarantine the broken ones.
    pub check_parquet: bool,
    /// Regular runs transfer partitions dated within this many days of the
    /// collector's today (plus new and undated ones); 0 = every run is full.
    pub window_days: u32,
    /// A full run happens when the last one is older than this (serialized in
    /// whole seconds, like the other durations of a profile).
    #[serde(serialize_with = "whole_seconds")]
    pub full_sync_every: std::time::Duration,
    /// rsync streams at once (1..=16).
    pub parallel: u32,
}

fn as_seconds<S: serde::Serializer>(d: &std::time::Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

fn whole_seconds<S: serde::Serializer>(d: &std::time::Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

/// A loaded, validated configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    /// The file it was loaded from (`None` for in-memory text).
    pub path: Option<PathBuf>,
    /// Root of the lake.
    pub root_dir: PathBuf,
    /// Where checkpoints and locks live.
    pub checkpoint_dir: PathBuf,
    /// Profiles by name.
    pub profiles: BTreeMap<String, Profile>,
    /// Warnings found while loading (never errors: those fail the load).
    pub warnings: Vec<Diagnostic>,
    /// node_exporter textfile directory: every sync and cleanup rewrites
    /// `datalake_<profile>.prom` there (see [`crate::inspect::metrics`]).
    pub metrics_dir: Option<PathBuf>,
}

impl Config {
    /// Load and validate a YAML file. On failure the error carries every problem found.
    ///
    /// A missing or unreadable file is an [`Error::Config`] too, with one
    /// diagnostic naming the path.
    pub fn load(path: impl AsRef<Path>) -> Result<Config> {
        let path = path.as_ref();
        into_result(load::load_file(path), Some(path))
    }

    /// Load from YAML text; `origin` names the file in diagnostics.
    pub fn from_yaml_str(text: &str, origin: Option<&Path>) -> Result<Config> {
        into_result(load::load_text(text, origin), origin)
    }

    /// Validate a file and report errors and warnings, never failing.
    pub fn validate_file(path: impl AsRef<Path>) -> ValidationReport {
        let path = path.as_ref();
        let outcome = load::load_file(path);
        ValidationReport {
            path: path.to_path_buf(),
            ok: outcome.errors.is_empty(),
            errors: outcome.errors,
            warnings: outcome.warnings,
        }
    }

    /// Look a profile up by name; unknown names get a "did you mean" error.
    pub fn profile(&self, name: &str) -> Result<&Profile> {
        self.profiles.get(name).ok_or_else(|| Error::ProfileNotFound {
            name: name.to_string(),
            suggestion: rules::did_you_mean(name, self.profiles.keys().map(String::as_str)).map(str::to_string),
            known: self.profiles.keys().cloned().collect(),
        })
    }

    /// Enabled profiles, in name order.
    pub fn enabled_profiles(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values().filter(|p| p.enabled)
    }
}

fn into_result(outcome: load::Outcome, origin: Option<&Path>) -> Result<Config> {
    match outcome.config {
        Some(config) if outcome.errors.is_empty() => Ok(config),
        _ => {
            let mut errors = outcome.errors;
            if errors.is_empty() {
                // Cannot happen (no config means an error was recorded), but an
                // empty error list must never reach a user.
                errors.push(Diagnostic {
                    severity: Severity::Error,
                    file: origin.map(Path::to_path_buf),
                    line: None,
                    column: None,
                    key: String::new(),
                    message: "the configuration could not be loaded; run validation for details".into(),
                });
            }
            Err(Error::Config(ConfigErrors { path: origin.map(Path::to_path_buf), errors }))
        }
    }
}

/// A commented example config: the quants-infra format, with every optional
/// key shown (commented out) at its default or a typical value.
///
/// It loads as is (with warnings for its `rsync_args`, kept as in existing
/// quants-infra files, and for the key file when it is missing).
pub fn example_yaml() -> &'static str {
    EXAMPLE_YAML
}

/// The repository's `config/data_lake.yml.example`, compiled in: one file, no copy to keep equal.
const EXAMPLE_YAML: &str = include_str!("../../data_lake.yml.example");
