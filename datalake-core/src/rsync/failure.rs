//! Turning a failed rsync or ssh run (exit code + stderr) into a typed
//! [`Error`] that names the cause and the fix, and deciding whether a retry
//! can help.

use crate::config::{Profile, Source};
use crate::vocab::error::{ConnectFailure, Error};

use crate::vocab::rsync_exit::{self as exit_code, ExitClass};

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
    // Reachability first: ssh warns about a missing key file and goes on, so
    // a key warning must not mask the real failure (DNS, refused, timeout).
    if has("Could not resolve hostname")
        || has("Name or service not known")
        || has("Temporary failure in name resolution")
    {
        return Some(SshCause::Connect(ConnectFailure::Dns));
    }
    if has("Connection refused") {
        return Some(SshCause::Connect(ConnectFailure::Refused));
    }
    // ssh's keepalive gave up: the link was up and then went silent (a dead
    // link mid-transfer), not a collector that never answered.
    if has("Timeout, server") && has("not responding") {
        return Some(SshCause::Stalled);
    }
    if has("Connection timed out")
        || has("Operation timed out")
        || has("Timeout, server")
        || has("timed out during banner exchange")
    {
        return Some(SshCause::Connect(ConnectFailure::Timeout));
    }
    if has("Permission denied (")
        || has("Too many authentication failures")
        || has("Load key")
        || has("no such identity")
        || has("Identity file") && has("not accessible")
    {
        return Some(SshCause::Authentication);
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
    /// The keepalive (derived from `io_timeout`) found the link silent.
    Stalled,
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
        SshCause::Stalled => Error::Connect {
            target,
            reason: ConnectFailure::Network,
            detail,
            hint: format!(
                "the link went silent: nothing came back from the collector for about {}s (io_timeout {}s), so ssh \
                 declared it dead; this is retried, and the next run resumes where this one stopped",
                super::command::dead_link_after(profile.io_timeout),
                profile.io_timeout
            ),
        },
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

/// Whether rsync failed because the local disk is full.
pub fn disk_full(stderr: &str) -> bool {
    stderr.contains("No space left on device") || stderr.contains("Disk quota exceeded")
}

/// Turn a failed attempt into a [`Failure`]. `remaining`: bytes rsync still
/// had to transfer by its last estimate, for the full-disk message.
pub fn classify_failure(profile: &Profile, code: i32, stderr: &str, remaining: Option<u64>) -> Failure {
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
    } else if disk_full(stderr) {
        class = ExitClass::Permanent;
        hint = crate::vocab::diskspace::full_disk_hint(&profile.local_dir, remaining);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SshSource;
    use crate::vocab::error::ErrorKind;

    fn profile() -> Profile {
        crate::config::test_support::test_profile(std::path::Path::new("/lake/cex_ticks"), 30)
    }

    fn classify(code: i32, stderr: &str) -> (ErrorKind, ExitClass, String) {
        let f = classify_failure(&profile(), code, stderr, Some(4 * 1024 * 1024));
        (f.error.kind(), f.class, f.error.to_string())
    }

    #[test]
    fn ssh_failures_by_their_words() {
        let closed = "rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]";
        let cases = [
            (
                "Warning: Identity file /home/a/.ssh/k.pem not accessible: No such file or directory.\nssh: Could not resolve hostname c9: Name or service not known",
                ErrorKind::Connect,
                ExitClass::Transient,
                "does not resolve",
            ),
            (
                "ssh: Could not resolve hostname collector-9: Name or service not known",
                ErrorKind::Connect,
                ExitClass::Transient,
                "does not resolve",
            ),
            (
                "ssh: connect to host 10.0.0.11 port 6677: Connection refused",
                ErrorKind::Connect,
                ExitClass::Transient,
                "refused",
            ),
            (
                "ssh: connect to host 10.0.0.11 port 6677: Connection timed out",
                ErrorKind::Connect,
                ExitClass::Transient,
                "timed out",
            ),
            ("Connection reset by 10.0.0.11 port 6677", ErrorKind::Connect, ExitClass::Transient, "network"),
            (
                "Timeout, server 10.0.0.11 not responding.",
                ErrorKind::Connect,
                ExitClass::Transient,
                "the link went silent",
            ),
            (
                "ubuntu@10.0.0.11: Permission denied (publickey).",
                ErrorKind::Authentication,
                ExitClass::Permanent,
                "/home/a/.ssh/k.pem",
            ),
            (
                "@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @\nHost key verification failed.",
                ErrorKind::HostKey,
                ExitClass::Permanent,
                "ssh-keygen -R '[10.0.0.11]:6677'",
            ),
        ];
        let port22 = match profile().source {
            Source::Ssh(s) => Profile { source: Source::Ssh(SshSource { port: 22, ..s }), ..profile() },
            Source::Local { .. } => unreachable!("the test profile is ssh"),
        };
        let f = classify_failure(&port22, 255, "Host key verification failed.", None);
        assert!(f.error.to_string().contains("`ssh-keygen -R 10.0.0.11`"), "{}", f.error);
        for (stderr, kind, class, needle) in cases {
            let (k, c, msg) = classify(255, &format!("{stderr}\n{closed}"));
            assert_eq!((k, c), (kind, class), "{stderr}");
            assert!(msg.contains(needle), "{msg}");
        }
    }

    #[test]
    fn rsync_failures_name_the_cause() {
        let (k, c, msg) = classify(12, "bash: line 1: rsync: command not found\nrsync: connection unexpectedly closed");
        assert_eq!((k, c), (ErrorKind::Sync, ExitClass::Permanent));
        assert!(msg.contains("not installed on the collector"), "{msg}");

        let (_, c, msg) =
            classify(23, "rsync: [sender] change_dir \"/var/data/cex_tickers\" failed: No such file or directory (2)");
        assert_eq!(c, ExitClass::Permanent, "a missing remote_root is not a partial transfer");
        assert!(msg.contains("remote_root /var/data/cex_tickers"), "{msg}");

        let (_, c, _) = classify(23, "rsync: [receiver] mkstemp \"x\" failed: Permission denied (13)");
        assert_eq!(c, ExitClass::Partial);
        let (_, c, _) = classify(30, "rsync error: timeout in data send/receive (code 30)");
        assert_eq!(c, ExitClass::Transient);
        let (_, c, msg) = classify(11, "rsync: write failed on \"/lake/p/x\": No space left on device (28)");
        assert_eq!(c, ExitClass::Permanent);
        assert!(msg.contains("disk is full: the filesystem at /"), "{msg}");
        assert!(msg.contains("needs about 4.00 MiB"), "{msg}");
    }
}
