//! One ssh connection for the listing and the run's single rsync.
//!
//! An ssh handshake costs about as much as a windowed no-op's whole transfer,
//! so the listing opens a multiplexing master (OpenSSH `ControlMaster`) that
//! the sizing pass and a single-stream rsync reuse. Parallel streams keep
//! their own connections: sharing one TCP stream is what they avoid.
//!
//! The control socket lives in a fresh private temp directory, the master
//! exits on its own after 30 idle seconds, and is told to exit when the
//! transfer ends ([`SharedSsh::close`]: the run's last local steps go on
//! meanwhile). If the master is gone, `ControlMaster=no` clients connect on their own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::config::SshSource;

/// Idle seconds after which an orphaned master exits by itself.
const PERSIST_SECS: u32 = 30;
/// Unix socket paths are limited to about 104 bytes.
const MAX_SOCKET_PATH: usize = 100;

/// A control socket shared by the ssh commands of one run.
#[derive(Debug)]
pub struct SharedSsh {
    /// The socket's directory; `None` once [`SharedSsh::close`] took it.
    dir: Option<tempfile::TempDir>,
    socket: PathBuf,
    ssh: PathBuf,
    target: String,
}

impl SharedSsh {
    /// A new control path for `src`; `None` when no short private directory can be made.
    pub fn new(ssh: &Path, src: &SshSource) -> Option<SharedSsh> {
        // The owner's alone (by default it would be as the umask says, usually 0755).
        let private = std::os::unix::fs::PermissionsExt::from_mode(0o700);
        let dir = tempfile::Builder::new().prefix("datalake-ssh-").permissions(private).tempdir().ok()?;
        let socket = dir.path().join("cm");
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return None;
        }
        Some(SharedSsh { dir: Some(dir), socket, ssh: ssh.to_path_buf(), target: format!("{}@{}", src.user, src.host) })
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

impl SharedSsh {
    /// Tell the master to exit without waiting for it: the returned guard
    /// waits (and removes the socket's directory) when it is dropped.
    pub fn close(mut self) -> Closing {
        let exit = self.exit_command().and_then(|mut c| c.spawn().ok());
        Closing { exit, _dir: self.dir.take() }
    }

    /// `ssh -O exit` for the master, when its socket is there.
    fn exit_command(&self) -> Option<Command> {
        self.socket.exists().then(|| {
            let mut cmd = Command::new(&self.ssh);
            cmd.arg("-o")
                .arg(format!("ControlPath={}", self.socket.display()))
                .args(["-O", "exit", "--", &self.target])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            cmd
        })
    }
}

impl Drop for SharedSsh {
    /// Not closed (an early return): the master is told to exit, and waited for.
    fn drop(&mut self) {
        if self.dir.is_some() {
            let _ = self.exit_command().map(|mut c| c.status());
        }
    }
}

/// A master being told to exit; dropping this waits for that, then removes
/// the socket's directory.
#[derive(Debug)]
pub struct Closing {
    exit: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Closing {
    fn drop(&mut self) {
        if let Some(exit) = &mut self.exit {
            let _ = exit.wait();
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn source() -> SshSource {
        SshSource {
            host: "127.0.0.1".into(),
            port: 22,
            user: "u".into(),
            ssh_key: "/k".into(),
            remote_root: "/data".into(),
        }
    }

    #[test]
    fn the_socket_directory_is_private_and_goes_when_closed_or_dropped() {
        let shared = SharedSsh::new(Path::new("/usr/bin/ssh"), &source()).unwrap();
        let dir = shared.socket.parent().unwrap().to_path_buf();
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        // No master ran: nothing to tell, and the directory goes with the guard.
        let closing = shared.close();
        assert!(closing.exit.is_none());
        assert!(dir.exists(), "kept until the master has exited");
        drop(closing);
        assert!(!dir.exists());

        let shared = SharedSsh::new(Path::new("/usr/bin/ssh"), &source()).unwrap();
        let dir = shared.socket.parent().unwrap().to_path_buf();
        drop(shared);
        assert!(!dir.exists());
    }
}
