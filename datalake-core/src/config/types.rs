//! The types a loaded configuration is made of: [`Config`], [`Profile`],
//! [`Source`] and their small enums, plus lookups that need no loading.
//! Plain data: reading and checking the YAML is [`super::load`] and [`super::build`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::compact_types::CompactConfig;
use super::rules::did_you_mean;
use crate::vocab::diagnostic::Diagnostic;
use crate::vocab::error::{Error, Result};

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
    pub const fn as_ssh_option(self) -> &'static str {
        match self {
            HostKeyChecking::AcceptNew => "accept-new",
            HostKeyChecking::Yes => "yes",
        }
    }
}

/// What a sync does with the lake's copy of a file that a new version replaces
/// (profile key `on_rewrite`; see [`crate::state::replaced`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnRewrite {
    /// Keep the earlier version when the new one does not hold all its rows
    /// (a rewrite); drop it when the new one grew from it (default).
    Auto,
    /// Keep every earlier version.
    Keep,
    /// Replace it, as rsync does (nothing is checked or kept).
    Replace,
}

impl OnRewrite {
    /// `"auto"`, `"keep"` or `"replace"`, as in the config file.
    pub const fn as_str(self) -> &'static str {
        match self {
            OnRewrite::Auto => "auto",
            OnRewrite::Keep => "keep",
            OnRewrite::Replace => "replace",
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
    pub const fn as_str(self) -> &'static str {
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
    /// Calendar days to keep, today included (range: [`super::keys::RETENTION_DAYS`]).
    pub retention_days: u32,
    /// `rsync_args` split with POSIX shell quoting; `None` means the safe defaults
    /// (what rsync gets either way: [`Profile::effective_rsync_args`]).
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
    /// rsync streams at once (range: [`super::keys::PARALLEL`]).
    pub parallel: u32,
    /// What happens to the lake's copy of a file a new version replaces.
    pub on_rewrite: OnRewrite,
    /// How a series name splits into fields (`"{exchange}_{symbol}"`), for
    /// reading the lake (see [`crate::read`]); `None`: series have no fields.
    pub series_format: Option<super::series_format::SeriesFormat>,
    /// How closed days become the profile's Delta table (see [`crate::table`]).
    pub compact: CompactConfig,
}

impl Profile {
    /// A cache of this profile's kept beside its checkpoint:
    /// `<checkpoint file name>.<suffix>` (the lake index, the quick check's memory).
    pub fn beside_checkpoint(&self, suffix: &str) -> PathBuf {
        let mut name = self.checkpoint_file.file_name().unwrap_or_default().to_os_string();
        name.push(".");
        name.push(suffix);
        self.checkpoint_file.with_file_name(name)
    }
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
    /// Look a profile up by name; unknown names get a "did you mean" error.
    pub fn profile(&self, name: &str) -> Result<&Profile> {
        self.profiles.get(name).ok_or_else(|| Error::ProfileNotFound {
            name: name.to_string(),
            suggestion: did_you_mean(name, self.profiles.keys().map(String::as_str)).map(str::to_string),
            known: self.profiles.keys().cloned().collect(),
        })
    }

    /// Profiles whose `compact.enabled` is true (the ones `datalake compact
    /// --all` takes), in name order; `enabled: false` ones too (compaction reads
    /// the lake only).
    pub fn compacted_profiles(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values().filter(|p| p.compact.enabled)
    }

    /// Enabled profiles, in name order.
    pub fn enabled_profiles(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values().filter(|p| p.enabled)
    }
}
