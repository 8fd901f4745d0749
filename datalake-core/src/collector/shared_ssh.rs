//! One ssh connection for the listing and the run's single rsync.
//!
//! An ssh handshake costs about as much as a windowed no-op's whole transfer,
//! so the listing opens a multiplexing master (OpenSSH `ControlMaster`) that
//! the sizing pass and a single-stream rsync reuse. Parallel streams keep
//! their own connections: sharing one TCP stream is what they avoid.
//!
//! The control socket lives in a fresh private temp directory, the master
//! exits on its own after 30 idle seconds, and is told to exit when the
//! run ends. If the master is gone, `ControlMaster=no` clients connect on their own.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::config::SshSource;

/// Idle seconds after which an orphaned master exits by itself.
const PERSIST_SECS: u32 = 30;
/// Unix socket paths are limited to about 104 bytes.
const MAX_SOCKET_PATH: usize = 100;

/// A control socket shared by the ssh commands of one run.
#[derive(Debug)]
pub struct SharedSsh {
    _dir: tempfile::TempDir,
    socket: PathBuf,
    ssh: PathBuf,
    target: String,
}

impl SharedSsh {
    /// A new control path for `src`; `None` when no short private directory can be made.
    pub fn new(ssh: &Path, src: &SshSource) -> Option<SharedSsh> {
        let dir = tempfile::Builder::new().prefix("datalake-ssh-").tempdir().ok()?;
        let socket = dir.path().join("cm");
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return None;
        }
        Some(SharedSsh { _dir: dir, socket, ssh: ssh.to_path_buf(), target: format!("{}@{}", src.user, src.host) })
    }

    /// Options for the first command: become the master and persist.
    pub fn master_options(&self) -> Vec<String> {
        vec![
            "-o".into(),
            "ControlMaster=auto".into(),
            "-o".into(),
            format!("ControlPath={}", self.socket.display()),
            "-o".into(),
            format!("ControlPersist={PERSIST_SECS}"),
        ]
    }

    /// Options for later commands: use the master if it is there.
    pub fn client_options(&self) -> Vec<String> {
        vec!["-o".into(), "ControlMaster=no".into(), "-o".into(), format!("ControlPath={}", self.socket.display())]
    }
}

impl Drop for SharedSsh {
    fn drop(&mut self) {
        if self.socket.exists() {
            let _ = Command::new(&self.ssh)
                .arg("-o")
                .arg(format!("ControlPath={}", self.socket.display()))
                .args(["-O", "exit", "--", &self.target])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Append ssh options to the `-e` value of an rsync argv (words quoted for rsync's own splitting).
pub fn with_ssh_options(mut argv: Vec<std::ffi::OsString>, options: &[String]) -> Vec<std::ffi::OsString> {
    if let Some(at) = argv.iter().position(|a| a == "-e") {
        if let Some(value) = argv.get_mut(at + 1) {
            for o in options {
                value.push(" ");
                value.push(crate::rsync::command::quote_for_rsync_e(o));
            }
        }
    }
    argv
}
