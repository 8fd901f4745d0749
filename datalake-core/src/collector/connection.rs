//! `test_connection`: can this machine pull from the collector right now?

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::Serialize;

use crate::config::{Profile, Source, SshSource};
use crate::rsync::tools::{self, Tools};
use crate::rsync::{command, failure};
use crate::vocab::error::{ConnectFailure, Error};

/// The outcome of a connection test, one value per distinct cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Reachable, authenticated, rsync present, remote_root readable.
    Ok,
    /// `rsync` or `ssh` missing on this machine.
    LocalToolMissing,
    /// Host name does not resolve.
    Dns,
    /// Connection refused.
    Refused,
    /// Connection timed out.
    Timeout,
    /// Other network failure.
    Network,
    /// Key rejected.
    Authentication,
    /// Host key unknown (with `host_key_checking: yes`) or changed.
    HostKey,
    /// rsync is not installed on the collector.
    RemoteRsyncMissing,
    /// remote_root does not exist.
    RemoteRootMissing,
    /// remote_root exists but cannot be listed.
    RemoteRootUnreadable,
}

/// What `test_connection` found.
#[derive(Debug, Serialize)]
pub struct ConnectionReport {
    /// Profile name.
    pub profile: String,
    /// `user@host:port`, or the local directory.
    pub target: String,
    /// True when `status` is `ok`.
    pub ok: bool,
    /// The distinct outcome.
    pub status: ConnectionStatus,
    /// Human explanation and what to do.
    pub message: String,
    /// Round trip of the check, in milliseconds.
    pub round_trip_ms: Option<f64>,
    /// First line of `rsync --version` here.
    pub local_rsync_version: Option<String>,
    /// First line of `rsync --version` on the collector.
    pub remote_rsync_version: Option<String>,
    /// Entries directly in remote_root.
    pub remote_entries: Option<u64>,
    /// E.g. rsync older than 3.4.0 (CVE-2024-12084..12088).
    pub warnings: Vec<String>,
    /// The typed cause when not ok.
    #[serde(skip)]
    pub error: Option<Error>,
}

/// Markers the remote check script prints, so the answer cannot be confused
/// with a login banner or shell noise.
const MARK_NO_RSYNC: &str = "DATALAKE_NO_RSYNC";
const MARK_NO_ROOT: &str = "DATALAKE_NO_ROOT";
const MARK_UNREADABLE: &str = "DATALAKE_UNREADABLE";
const MARK_ENTRIES: &str = "DATALAKE_ENTRIES ";
const MARK_VERSION: &str = "DATALAKE_RSYNC ";

/// The POSIX sh script run on the collector (remote_root single-quoted).
fn remote_script(remote_root: &str) -> String {
    let root = shell_words::quote(remote_root);
    format!(
        "command -v rsync >/dev/null 2>&1 || {{ echo {MARK_NO_RSYNC}; exit 0; }}; \
         echo \"{MARK_VERSION}$(rsync --version 2>/dev/null | head -n 1)\"; \
         if [ ! -e {root} ]; then echo {MARK_NO_ROOT}; \
         elif [ ! -r {root} ] || [ ! -x {root} ] || ! ls -A {root} >/dev/null 2>&1; then echo {MARK_UNREADABLE}; \
         else echo \"{MARK_ENTRIES}$(ls -A {root} | wc -l)\"; fi"
    )
}

struct Finding {
    status: ConnectionStatus,
    message: String,
    error: Option<Error>,
    remote_version: Option<String>,
    entries: Option<u64>,
}

impl Finding {
    /// A test that stopped at `error`, before the collector answered the script.
    fn failed(status: ConnectionStatus, error: Error) -> Finding {
        Finding { status, message: error.to_string(), error: Some(error), remote_version: None, entries: None }
    }
}

fn interpret_script_output(stdout: &str, profile: &Profile, target: &str, remote_root: &str) -> Finding {
    let mut f = Finding {
        status: ConnectionStatus::Ok,
        message: String::new(),
        error: None,
        remote_version: None,
        entries: None,
    };
    let problem =
        |status: ConnectionStatus, message: String| (status, Error::Remote { profile: profile.name.clone(), message });
    let mut found = None;
    for line in stdout.lines().map(str::trim) {
        if line == MARK_NO_RSYNC {
            found = Some(problem(
                ConnectionStatus::RemoteRsyncMissing,
                "rsync is not installed on the collector: install it there (sudo apt-get install rsync)".into(),
            ));
        } else if let Some(v) = line.strip_prefix(MARK_VERSION) {
            f.remote_version = Some(v.trim().to_string()).filter(|v| !v.is_empty());
        } else if line == MARK_NO_ROOT {
            found = Some(problem(
                ConnectionStatus::RemoteRootMissing,
                format!("remote_root {remote_root} does not exist on the collector: check remote_root in the config"),
            ));
        } else if line == MARK_UNREADABLE {
            found = Some(problem(
                ConnectionStatus::RemoteRootUnreadable,
                format!("remote_root {remote_root} exists but cannot be listed by this user: check its permissions on the collector"),
            ));
        } else if let Some(n) = line.strip_prefix(MARK_ENTRIES) {
            f.entries = n.trim().parse().ok();
        }
    }
    if found.is_none() && f.entries.is_none() {
        let error = Error::Connect {
            target: target.to_string(),
            reason: ConnectFailure::Network,
            detail: format!("the collector answered but the check did not complete; output was: {}", stdout.trim()),
            hint: "run the same ssh command by hand to see what the collector's shell prints".into(),
        };
        found = Some((ConnectionStatus::Network, error));
    }
    if let Some((status, error)) = found {
        f.status = status;
        f.message = error.to_string();
        f.error = Some(error);
    }
    f
}

fn status_of(error: &Error) -> ConnectionStatus {
    match error {
        Error::Authentication { .. } => ConnectionStatus::Authentication,
        Error::HostKey { .. } => ConnectionStatus::HostKey,
        Error::Connect { reason, .. } => match reason {
            ConnectFailure::Dns => ConnectionStatus::Dns,
            ConnectFailure::Refused => ConnectionStatus::Refused,
            ConnectFailure::Timeout => ConnectionStatus::Timeout,
            ConnectFailure::Network => ConnectionStatus::Network,
        },
        Error::ToolNotFound { .. } => ConnectionStatus::LocalToolMissing,
        // `ssh_failure` yields only the kinds above; anything else is a network failure.
        _ => ConnectionStatus::Network,
    }
}

fn test_local(remote_root: &Path, profile: &Profile) -> Finding {
    let root = remote_root.display().to_string();
    let out = match std::fs::read_dir(remote_root) {
        Ok(entries) => format!("{MARK_VERSION}\n{MARK_ENTRIES}{}", entries.count()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => MARK_NO_ROOT.to_string(),
        Err(_) => MARK_UNREADABLE.to_string(),
    };
    interpret_script_output(&out, profile, &root, &root)
}

fn test_ssh(ssh: &Path, src: &SshSource, profile: &Profile) -> Finding {
    let mut cmd = Command::new(ssh);
    cmd.args(command::ssh_args(src, profile))
        .arg("--")
        .arg(format!("{}@{}", src.user, src.host))
        .arg(remote_script(&src.remote_root))
        .stdin(Stdio::null())
        .env("LC_ALL", "C");
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => {
            let error = Error::io("start", ssh, e, "check that ssh is installed and executable");
            return Finding::failed(ConnectionStatus::LocalToolMissing, error);
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(255) || (!out.status.success() && !stdout.contains(MARK_VERSION)) {
        let error = failure::ssh_failure(profile, &stderr).unwrap_or_else(|| Error::Connect {
            target: src.target(),
            reason: ConnectFailure::Network,
            detail: failure::stderr_tail(&stderr, 3),
            hint: "ssh failed for a reason datalake does not recognise; try the same ssh command by hand".into(),
        });
        return Finding::failed(status_of(&error), error);
    }
    interpret_script_output(&stdout, profile, &src.target(), &src.remote_root)
}

/// Run the connection test for `profile`: one ssh round trip that checks
/// login, rsync on the collector and remote_root (or the local directory).
pub fn test_connection(profile: &Profile) -> ConnectionReport {
    let target = match &profile.source {
        Source::Ssh(s) => s.target(),
        Source::Local { remote_root } => remote_root.display().to_string(),
    };
    let mut report = ConnectionReport {
        profile: profile.name.clone(),
        target,
        ok: false,
        status: ConnectionStatus::LocalToolMissing,
        message: String::new(),
        round_trip_ms: None,
        local_rsync_version: None,
        remote_rsync_version: None,
        remote_entries: None,
        warnings: Vec::new(),
        error: None,
    };
    let tools = match Tools::locate(profile) {
        Ok(t) => t,
        Err(e) => {
            report.message = e.to_string();
            report.error = Some(e);
            return report;
        }
    };
    report.local_rsync_version = tools::version_line(&tools.rsync);
    let started = Instant::now();
    let finding = match (&profile.source, &tools.ssh) {
        (Source::Ssh(src), Some(ssh)) => test_ssh(ssh, src, profile),
        (Source::Local { remote_root }, _) => test_local(remote_root, profile),
        // `Tools::locate` always finds ssh for SSH sources; kept total without a panic.
        (Source::Ssh(_), None) => Finding::failed(
            ConnectionStatus::LocalToolMissing,
            Error::ToolNotFound { tool: "ssh".into(), package: "openssh-client".into() },
        ),
    };
    report.round_trip_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
    if let Some(v) = &report.local_rsync_version {
        report.warnings.extend(tools::version_warning("local", v));
    }
    if let Some(v) = &finding.remote_version {
        report.warnings.extend(tools::version_warning("collector", v));
    }
    report.remote_rsync_version = finding.remote_version.or_else(|| match profile.source {
        Source::Local { .. } => report.local_rsync_version.clone(),
        Source::Ssh(_) => None,
    });
    report.remote_entries = finding.entries;
    report.status = finding.status;
    report.ok = finding.status == ConnectionStatus::Ok;
    report.message = if report.ok {
        format!(
            "ok: {} entries in remote_root, round trip {:.0} ms",
            finding.entries.unwrap_or(0),
            report.round_trip_ms.unwrap_or(0.0)
        )
    } else {
        finding.message
    };
    report.error = finding.error;
    report
}
