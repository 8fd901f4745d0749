//! Turning a failed rsync or ssh run (exit code + stderr) into a typed
//! [`Error`] that names the cause and the fix, and deciding whether a retry
//! can help.

use crate::config::{Profile, Source};
use crate::error::{ConnectFailure, Error};

use super::exit_code::{self, ExitClass};

/// What went wrong with one attempt, and whether to try again.
#[derive(Debug)]
pub struct Failure {
    /// The typed error.
    pub error: Error,
    /// How the engine should react.
    pub class: ExitClass,
}

/// ssh's stderr phrases, most specific first.
fn ssh_cause(stderr: &str) -> Option<SshCause> {
    let s = stderr;
    let has = |needle: &str| s.contains(needle);
    if has("REMOTE HOST IDENTIFICATION HAS CHANGED")
        || has("Host key verification failed")
        || has("No ED25519 host key is known")
        || has("host key for") && has("has changed")
    {
        return Some(SshCause::HostKey);
    }
    if has("Permission denied (")
        || has("Too many authentication failures")
        || has("Load key")
        || has("no such identity")
        || has("Identity file") && has("not accessible")
    {
        return Some(SshCause::Authentication);
    }
    if has("Could not resolve hostname")
        || has("Name or service not known")
        || has("Temporary failure in name resolution")
    {
        return Some(SshCause::Connect(ConnectFailure::Dns));
    }
    if has("Connection refused") {
        return Some(SshCause::Connect(ConnectFailure::Refused));
    }
    if has("Connection timed out")
        || has("Operation timed out")
        || has("Timeout, server")
        || has("timed out during banner exchange")
    {
        return Some(SshCause::Connect(ConnectFailure::Timeout));
    }
    if has("No route to host")
        || has("Network is unreachable")
        || has("Connection reset")
        || has("Connection closed by")
        || has("Broken pipe")
        || has("kex_exchange_identification")
    {
        return Some(SshCause::Connect(ConnectFailure::Network));
    }
    None
}

enum SshCause {
    HostKey,
    Authentication,
    Connect(ConnectFailure),
}

/// The last few meaningful stderr lines, without ssh's chatter, for messages.
pub fn stderr_tail(stderr: &str, max_lines: usize) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter(|l| !l.starts_with("Warning: Permanently added"))
        .collect();
    let start = lines.len().saturating_sub(max_lines);
    lines[start..].join(" | ")
}

/// Classify a connection-level failure from ssh's stderr, if it is one.
pub fn ssh_failure(profile: &Profile, stderr: &str) -> Option<Error> {
    let Source::Ssh(src) = &profile.source else { return None };
    let detail = stderr_tail(stderr, 3);
    let target = src.target();
    Some(match ssh_cause(stderr)? {
        SshCause::HostKey => Error::HostKey {
            target,
            host: src.host.clone(),
            port: src.port,
            known_hosts: profile.known_hosts.clone(),
            detail,
        },
        SshCause::Authentication => Error::Authentication { target, key: src.ssh_key.clone(), detail },
        SshCause::Connect(reason) => {
            let hint = match reason {
                ConnectFailure::Dns => "check the host name in the config and this machine's DNS".to_string(),
                ConnectFailure::Refused => format!("is sshd running on the collector and listening on port {}? check the port in the config and the collector's firewall", src.port),
                ConnectFailure::Timeout => format!("is the collector up and port {} open in its firewall / security group? connect_timeout is {}s", src.port, profile.connect_timeout),
                ConnectFailure::Network => "the link dropped; the next run resumes where this one stopped".to_string(),
            };
            Error::Connect { target, reason, detail, hint }
        }
    })
}

/// Turn a failed attempt into a [`Failure`].
pub fn classify_failure(profile: &Profile, code: i32, stderr: &str) -> Failure {
    let mut class = exit_code::classify(code);
    // ssh failures surface as 255 (or 12 when the link drops mid-stream).
    if matches!(code, 255 | 12 | 5 | 10) {
        if let Some(error) = ssh_failure(profile, stderr) {
            let class = if error.is_transient() { ExitClass::Transient } else { ExitClass::Permanent };
            return Failure { error, class };
        }
    }
    let remote_root = match &profile.source {
        Source::Ssh(s) => s.remote_root.clone(),
        Source::Local { remote_root } => remote_root.display().to_string(),
    };
    let mut hint = exit_code::hint(code).to_string();
    if stderr.contains("rsync: command not found")
        || stderr.contains("rsync: not found")
        || (code == 127 && stderr.contains("rsync"))
    {
        class = ExitClass::Permanent;
        hint = "rsync is not installed on the collector: install it there (sudo apt-get install rsync)".into();
    } else if (stderr.contains("change_dir \"") || stderr.contains("link_stat \""))
        && stderr.contains(&format!("\"{}", remote_root.trim_end_matches('/')))
        && stderr.contains("failed:")
    {
        // The source root itself is missing or unreadable: nothing was transferred.
        class = ExitClass::Permanent;
        hint = format!("remote_root {remote_root} is missing or unreadable on the collector: check remote_root in the config and the directory's permissions");
    } else if stderr.contains("No space left on device") {
        class = ExitClass::Permanent;
        hint = "the local disk is full: free space or lower retention_days".into();
    }
    let error = Error::Rsync {
        profile: profile.name.clone(),
        code,
        meaning: exit_code::meaning(code).to_string(),
        stderr: stderr_tail(stderr, 4),
        hint,
    };
    Failure { error, class }
}
