//! The one error type of the crate.
//!
//! Every variant's message says what happened and what to do about it, because
//! the text travels unchanged to Python exceptions, the C ABI's
//! `datalake_last_error_message` and the CLI's stderr line.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use crate::vocab::diagnostic::Diagnostic;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Coarse classification of an [`Error`], stable across releases.
///
/// The bindings map on this, not on the variants: Python picks the exception
/// class from it, the C ABI the `datalake_status` code.
///
/// Deliberately exhaustive: a new kind fails to compile in every face (C
/// status, Python exception, exit code) until each one maps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A caller passed something unusable (bad option, disabled profile).
    InvalidArgument,
    /// The configuration file is missing, unreadable or invalid.
    Config,
    /// No profile of that name exists.
    ProfileNotFound,
    /// A local filesystem operation failed.
    Io,
    /// `rsync` or `ssh` is not installed on this machine.
    ToolNotFound,
    /// The collector could not be reached (DNS, refused, timeout, network).
    Connect,
    /// SSH authentication with the configured key was rejected.
    Authentication,
    /// The collector's host key is unknown-and-not-accepted or has changed.
    HostKey,
    /// rsync ran and failed (exit code available).
    Sync,
    /// Another process holds the profile's lock.
    Locked,
    /// The operation was cancelled.
    Interrupted,
}

impl ErrorKind {
    /// Every kind, in declaration order (see [`crate::vocab::error::all_error_kinds`]).
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::InvalidArgument,
        ErrorKind::Config,
        ErrorKind::ProfileNotFound,
        ErrorKind::Io,
        ErrorKind::ToolNotFound,
        ErrorKind::Connect,
        ErrorKind::Authentication,
        ErrorKind::HostKey,
        ErrorKind::Sync,
        ErrorKind::Locked,
        ErrorKind::Interrupted,
    ];

    /// Position in [`ErrorKind::ALL`]; an exhaustive match, so a new kind
    /// cannot be added without placing it in the list (a test checks the order).
    pub fn index(self) -> usize {
        match self {
            ErrorKind::InvalidArgument => 0,
            ErrorKind::Config => 1,
            ErrorKind::ProfileNotFound => 2,
            ErrorKind::Io => 3,
            ErrorKind::ToolNotFound => 4,
            ErrorKind::Connect => 5,
            ErrorKind::Authentication => 6,
            ErrorKind::HostKey => 7,
            ErrorKind::Sync => 8,
            ErrorKind::Locked => 9,
            ErrorKind::Interrupted => 10,
        }
    }

    /// Short snake_case name, as used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Config => "config",
            ErrorKind::ProfileNotFound => "profile_not_found",
            ErrorKind::Io => "io",
            ErrorKind::ToolNotFound => "tool_not_found",
            ErrorKind::Connect => "connect",
            ErrorKind::Authentication => "authentication",
            ErrorKind::HostKey => "host_key",
            ErrorKind::Sync => "sync",
            ErrorKind::Locked => "locked",
            ErrorKind::Interrupted => "interrupted",
        }
    }
}

/// Why a connection to a collector failed, as told apart from ssh's stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectFailure {
    /// The host name does not resolve.
    Dns,
    /// Nothing listens on the port (or a firewall rejects).
    Refused,
    /// No answer within `connect_timeout`, or the link went silent.
    Timeout,
    /// Any other network-level failure (reset, unreachable, closed).
    Network,
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectFailure::Dns => "host name does not resolve",
            ConnectFailure::Refused => "connection refused",
            ConnectFailure::Timeout => "connection timed out",
            ConnectFailure::Network => "network failure",
        })
    }
}

/// All problems found in a configuration file, in file order.
#[derive(Debug, Clone)]
pub struct ConfigErrors {
    /// The file the problems were found in (`None` for in-memory text).
    pub path: Option<PathBuf>,
    /// Every error found; never empty.
    pub errors: Vec<Diagnostic>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        match n {
            1 => write!(f, "invalid configuration: {}", self.errors[0])?,
            _ => {
                write!(f, "invalid configuration ({n} problems):")?;
                for e in &self.errors {
                    write!(f, "\n  {e}")?;
                }
            }
        }
        Ok(())
    }
}

/// The crate's error type (exhaustive, like [`ErrorKind`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is invalid; carries every problem found.
    #[error("{0}")]
    Config(ConfigErrors),

    /// The named profile does not exist.
    #[error("profile {name:?} not found{}; known profiles: {}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default(), if known.is_empty() { "none".to_string() } else { known.join(", ") })]
    ProfileNotFound {
        /// The name asked for.
        name: String,
        /// Closest known name, when one is close.
        suggestion: Option<String>,
        /// All configured profile names.
        known: Vec<String>,
    },

    /// The profile exists but has `enabled: false`.
    #[error("profile {name:?} is disabled (enabled: false in the config); set enabled: true to sync it")]
    ProfileDisabled {
        /// The profile's name.
        name: String,
    },

    /// An invalid argument from the caller.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// A local filesystem operation failed.
    #[error("cannot {action} {}: {source}; {hint}", path.display())]
    Io {
        /// What was being done ("read", "create directory", ...).
        action: String,
        /// The path it was done to.
        path: PathBuf,
        /// What to check or do next.
        hint: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A required program is not installed locally.
    #[error("{tool} not found in PATH: install it (Debian/Ubuntu: sudo apt-get install {package}; macOS: brew install {package})")]
    ToolNotFound {
        /// `rsync` or `ssh`.
        tool: String,
        /// The package that provides it.
        package: String,
    },

    /// The collector could not be reached.
    #[error("cannot reach {target}: {reason}: {detail}; {hint}")]
    Connect {
        /// `user@host:port`.
        target: String,
        /// What kind of failure.
        reason: ConnectFailure,
        /// ssh's own words.
        detail: String,
        /// What to check.
        hint: String,
    },

    /// SSH authentication failed.
    #[error("authentication failed for {target} with key {}: is the public key in ~/.ssh/authorized_keys on the collector, and is the key file the right one? ({detail})", key.display())]
    Authentication {
        /// `user@host:port`.
        target: String,
        /// The private key used.
        key: PathBuf,
        /// ssh's own words.
        detail: String,
    },

    /// The collector's host key could not be verified.
    #[error("host key verification failed for {target}: {detail}; if the collector was rebuilt, remove its old key with `ssh-keygen -R {}{}` and sync again; otherwise someone may be impersonating it", known_hosts_entry(host, *port), known_hosts.as_ref().map(|p| format!(" -f {}", p.display())).unwrap_or_default())]
    HostKey {
        /// `user@host:port`.
        target: String,
        /// Host name alone.
        host: String,
        /// Port alone.
        port: u16,
        /// The known_hosts file in use, when configured.
        known_hosts: Option<PathBuf>,
        /// ssh's own words.
        detail: String,
    },

    /// rsync exited with a failure code.
    #[error("rsync failed for profile {profile} with exit code {code} ({meaning}){}; {hint}", if stderr.is_empty() { String::new() } else { format!(": {stderr}") })]
    Rsync {
        /// The profile being synced.
        profile: String,
        /// rsync's exit code.
        code: i32,
        /// What the code means.
        meaning: String,
        /// The last lines rsync wrote on stderr.
        stderr: String,
        /// What to do.
        hint: String,
    },

    /// rsync was killed by a signal datalake did not send.
    #[error("rsync for profile {profile} was killed by a signal{}; something outside datalake killed it (out of memory? a timeout wrapper?); the next run resumes", if stderr.is_empty() { String::new() } else { format!(": {stderr}") })]
    RsyncKilled {
        /// The profile being synced.
        profile: String,
        /// The last lines rsync wrote on stderr.
        stderr: String,
    },

    /// The collector answered but cannot serve the profile: no rsync there,
    /// or remote_root missing or unreadable (found by `test_connection`).
    #[error("{message}")]
    Remote {
        /// The profile tested.
        profile: String,
        /// What is wrong and what to do.
        message: String,
    },

    /// Files that arrived failed the Parquet landing check and went to
    /// quarantine: the run is partial (data the user expects is missing).
    #[error("{count} Parquet file{} of profile {profile} failed the landing check and {} moved to {}/ (first: {first}); the next run fetches {} again; a file that keeps failing is broken on the collector", if *count == 1 { "" } else { "s" }, if *count == 1 { "was" } else { "were" }, crate::vocab::names::QUARANTINE_DIR, if *count == 1 { "it" } else { "them" })]
    Quarantined {
        /// The profile synced.
        profile: String,
        /// How many files were quarantined by this run.
        count: usize,
        /// The first of them, relative to the profile directory.
        first: String,
    },

    /// Another process holds the profile's lock.
    #[error("{}", locked_message(profile, activity, *pid, since.as_deref()))]
    Locked {
        /// The locked profile.
        profile: String,
        /// What the holder is doing ("synced", "cleaned").
        activity: String,
        /// The holder's pid, when it wrote one.
        pid: Option<u32>,
        /// When the holder started, local time `HH:MM:SS`.
        since: Option<String>,
    },

    /// A partition a read selected was removed (by retention) before the
    /// read finished: the rows it returned may be incomplete.
    #[error("partition {partition} of profile {profile} was removed while it was being read (retention removes partitions past retention_days): the rows read may be incomplete; read again, the partition is no longer in the lake")]
    PartitionRemoved {
        /// The profile read.
        profile: String,
        /// The partition, relative to the profile directory.
        partition: String,
    },

    /// Files of one read have schemas Arrow cannot unify.
    #[error("the files of profile {profile} selected for this read cannot be read as one table: {difference} ({first} and {second}); select them apart (series=, start=, end=) or rewrite one of them")]
    SchemaMismatch {
        /// The profile read.
        profile: String,
        /// What differs, e.g. `column price is DOUBLE in the first and INT64 in the second`.
        difference: String,
        /// One file.
        first: String,
        /// Another file, whose schema conflicts with the first's.
        second: String,
    },

    /// The operation was cancelled before it finished.
    #[error("{operation} of profile {profile} was interrupted; partial data is kept and the next run resumes it")]
    Interrupted {
        /// The profile.
        profile: String,
        /// What was interrupted ("sync").
        operation: String,
    },
}

/// How known_hosts names a host: plain on port 22, `[host]:port` otherwise.
fn known_hosts_entry(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("'[{host}]:{port}'")
    }
}

fn locked_message(profile: &str, activity: &str, pid: Option<u32>, since: Option<&str>) -> String {
    const WAIT: &str = "wait for it to finish (the lock is released automatically when that process exits)";
    match (pid, since) {
        (Some(pid), Some(since)) => format!("profile {profile} is being {activity} by pid {pid} since {since}; {WAIT}"),
        (Some(pid), None) => format!("profile {profile} is being {activity} by pid {pid}; {WAIT}"),
        // The holder has not written its record (yet): we do not know what it is doing.
        _ => format!("profile {profile} is locked by another process that left no holder record; {WAIT}"),
    }
}

impl Error {
    /// The coarse kind, for bindings and exit codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) => ErrorKind::Config,
            Error::ProfileNotFound { .. } => ErrorKind::ProfileNotFound,
            Error::ProfileDisabled { .. } | Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Error::Io { .. } | Error::PartitionRemoved { .. } => ErrorKind::Io,
            Error::SchemaMismatch { .. } => ErrorKind::InvalidArgument,
            Error::ToolNotFound { .. } => ErrorKind::ToolNotFound,
            Error::Connect { .. } => ErrorKind::Connect,
            Error::Authentication { .. } => ErrorKind::Authentication,
            Error::HostKey { .. } => ErrorKind::HostKey,
            Error::Rsync { .. } | Error::RsyncKilled { .. } | Error::Remote { .. } | Error::Quarantined { .. } => {
                ErrorKind::Sync
            }
            Error::Locked { .. } => ErrorKind::Locked,
            Error::Interrupted { .. } => ErrorKind::Interrupted,
        }
    }

    /// Whether trying again later can help (network blips, locks, timeouts).
    pub fn is_transient(&self) -> bool {
        match self {
            // DNS too: resolvers fail transiently, and a typo costs only the backoff.
            Error::Connect { .. } => true,
            Error::Locked { .. } | Error::Interrupted { .. } => true,
            Error::Rsync { code, .. } => crate::vocab::rsync_exit::classify(*code).is_transient(),
            Error::RsyncKilled { .. } => true,
            // The next read no longer meets the removed partition.
            Error::PartitionRemoved { .. } => true,
            Error::SchemaMismatch { .. } => false,
            Error::Config(_)
            | Error::ProfileNotFound { .. }
            | Error::ProfileDisabled { .. }
            | Error::InvalidArgument(_)
            | Error::Io { .. }
            | Error::ToolNotFound { .. }
            | Error::Authentication { .. }
            | Error::HostKey { .. }
            | Error::Remote { .. } => false,
            // Refetched by the next run anyway; retrying now would fetch the same bytes.
            Error::Quarantined { .. } => false,
        }
    }

    /// Build an [`Error::Io`] with a hint.
    pub fn io(
        action: impl Into<String>,
        path: impl Into<PathBuf>,
        source: std::io::Error,
        hint: impl Into<String>,
    ) -> Self {
        Error::Io { action: action.into(), path: path.into(), hint: hint.into(), source }
    }

    /// Build an [`Error::Io`] with the generic hint derived from the io error kind.
    pub fn io_default(action: impl Into<String>, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        let hint = match source.kind() {
            std::io::ErrorKind::NotFound => "check that the path exists".to_string(),
            std::io::ErrorKind::PermissionDenied => {
                "check the permissions of the path and its parent directories".to_string()
            }
            _ if crate::vocab::diskspace::is_full(&source) => crate::vocab::diskspace::full_disk_hint(&path, None),
            _ => match source.raw_os_error() {
                Some(30) => "the filesystem is read-only".to_string(),
                _ => "check the path and the disk".to_string(),
            },
        };
        Error::io(action, path, source, hint)
    }
}

/// Every error kind, by its snake_case name (as pydantic-core's
/// `list_all_errors`): the faces' tests check their lists against this one.
pub fn all_error_kinds() -> Vec<&'static str> {
    ErrorKind::ALL.iter().map(|k| k.as_str()).collect()
}
