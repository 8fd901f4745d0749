//! Running one short command on the collector (or `sh -c` for a local
//! source): stdin from a temp file, stdout consumed on its own thread (so a
//! long output never blocks the child), with the run's cancel token and a deadline.

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::config::{Profile, Source, SshSource};
use crate::rsync::command;
use crate::rsync::process::{RunObserver, POLL_INTERVAL};

/// How often a command whose output has ended is checked for its exit: at
/// first often (it is about to exit), after [`EXIT_SOON`] as before.
const EXIT_POLL: (Duration, Duration) = (Duration::from_millis(1), Duration::from_millis(5));
/// How long after the end of its output a command counts as about to exit.
const EXIT_SOON: Duration = Duration::from_millis(100);

/// What a finished command left.
pub struct Finished<T> {
    /// The command's exit status.
    pub status: ExitStatus,
    /// What the stdout reader made of its output.
    pub stdout: T,
    /// Its stderr, whole.
    pub stderr: String,
}

/// Why a command gave no result.
#[derive(Debug)]
pub enum RunError {
    /// It could not be started (the program, then the OS error).
    Start(String, std::io::Error),
    /// The run was cancelled, or the deadline passed: the command was killed.
    Stopped { cancelled: bool },
    /// Waiting for it failed.
    Wait(std::io::Error),
    /// The output reader thread panicked.
    Reader,
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Start(program, e) => write!(f, "cannot start {program}: {e}"),
            RunError::Stopped { cancelled: true } => write!(f, "it was cancelled"),
            RunError::Stopped { cancelled: false } => write!(f, "it took too long and was stopped"),
            RunError::Wait(e) => write!(f, "cannot wait for it: {e}"),
            RunError::Reader => write!(f, "its output could not be read"),
        }
    }
}

/// The command that runs `script` where the profile's data is: over ssh (with
/// `ssh_options` added, a shared connection's) or under `sh -c` for a local source.
pub fn command(profile: &Profile, ssh: Option<&Path>, ssh_options: &[String], script: &str) -> Result<Command, String> {
    match &profile.source {
        Source::Ssh(src) => {
            let ssh = ssh.ok_or("ssh was not found")?;
            Ok(ssh_command(ssh, src, profile, ssh_options, script))
        }
        Source::Local { .. } => {
            let mut cmd = Command::new("sh");
            cmd.arg("-c").arg(script);
            Ok(cmd)
        }
    }
}

fn ssh_command(ssh: &Path, src: &SshSource, profile: &Profile, ssh_options: &[String], script: &str) -> Command {
    let mut cmd = Command::new(ssh);
    cmd.args(command::ssh_args(src, profile))
        .args(ssh_options)
        .arg("--")
        .arg(format!("{}@{}", src.user, src.host))
        .arg(script);
    cmd
}

/// A stdout reader for [`run`] that keeps the whole output.
pub fn read_all(mut out: ChildStdout) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    out.read_to_end(&mut buf).map(|_| buf)
}

/// Consumes a command's stdout, on its own thread.
pub type Reader<T> = Box<dyn FnOnce(ChildStdout) -> T + Send>;

/// Run `cmd` with `input` on its stdin; `read` consumes stdout on its own
/// thread. Cancelling the run or passing `deadline` kills the command's
/// process group.
pub fn run<T: Send + 'static>(
    cmd: Command,
    input: Vec<u8>,
    observer: &mut dyn RunObserver,
    deadline: Duration,
    read: impl FnOnce(ChildStdout) -> T + Send + 'static,
) -> Result<Finished<T>, RunError> {
    let mut done = run_all(vec![(cmd, input, Box::new(read))], observer, deadline)?;
    done.pop().ok_or(RunError::Reader)
}

/// [`run`] for several commands side by side (one walk split in parts):
/// each to its end, in the order given. Cancelling the run, passing
/// `deadline` or a command that cannot be started or waited for kills them all.
pub fn run_all<T: Send + 'static>(
    jobs: Vec<(Command, Vec<u8>, Reader<T>)>,
    observer: &mut dyn RunObserver,
    deadline: Duration,
) -> Result<Vec<Finished<T>>, RunError> {
    let (ended_tx, ended_rx) = mpsc::channel();
    let mut running = Vec::with_capacity(jobs.len());
    for (cmd, input, read) in jobs {
        match start(cmd, input, read, ended_tx.clone()) {
            Ok(r) => running.push(r),
            Err(e) => {
                kill_all(&mut running);
                return Err(e);
            }
        }
    }
    drop(ended_tx);
    let started = Instant::now();
    let mut statuses: Vec<Option<ExitStatus>> = vec![None; running.len()];
    let (mut outputs_ended, mut all_ended_at) = (0, None::<Instant>);
    loop {
        for (r, status) in running.iter_mut().zip(statuses.iter_mut()).filter(|(_, s)| s.is_none()) {
            match r.child.try_wait() {
                Ok(exited) => *status = exited,
                Err(e) => {
                    kill_all(&mut running);
                    return Err(RunError::Wait(e));
                }
            }
        }
        if statuses.iter().all(Option::is_some) {
            break;
        }
        let cancelled = observer.should_cancel();
        if cancelled || started.elapsed() > deadline {
            kill_all(&mut running);
            return Err(RunError::Stopped { cancelled });
        }
        match all_ended_at {
            Some(at) if at.elapsed() < EXIT_SOON => thread::sleep(EXIT_POLL.0),
            Some(_) => thread::sleep(EXIT_POLL.1),
            // Woken by the end of an output, or after a poll interval for the cancel token.
            None => {
                if !matches!(ended_rx.recv_timeout(POLL_INTERVAL), Err(RecvTimeoutError::Timeout)) {
                    outputs_ended += 1;
                    if outputs_ended >= running.len() {
                        all_ended_at = Some(Instant::now());
                    }
                }
            }
        }
    }
    let mut done = Vec::with_capacity(running.len());
    for (r, status) in running.into_iter().zip(statuses) {
        let stdout = r.out.join().map_err(|_| RunError::Reader)?;
        let stderr = String::from_utf8_lossy(&r.err.join().unwrap_or_default()).into_owned();
        done.push(Finished { status: status.ok_or(RunError::Reader)?, stdout, stderr });
    }
    Ok(done)
}

/// A started command and the threads reading its output.
struct Running<T> {
    child: Child,
    out: thread::JoinHandle<T>,
    err: thread::JoinHandle<Vec<u8>>,
}

fn start<T: Send + 'static>(
    mut cmd: Command,
    input: Vec<u8>,
    read: Reader<T>,
    ended: mpsc::Sender<()>,
) -> Result<Running<T>, RunError> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    // stdin is an unlinked temp file, not a pipe: a command that exits without
    // reading it must not raise SIGPIPE in a host program (a C program
    // embedding the library keeps SIGPIPE's default action, which kills it).
    let stdin = if input.is_empty() {
        Stdio::null()
    } else {
        let mut file = tempfile::tempfile().map_err(|e| RunError::Start(program.clone(), e))?;
        file.write_all(&input)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .map_err(|e| RunError::Start(program.clone(), e))?;
        Stdio::from(file)
    };
    cmd.stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0).env("LC_ALL", "C");
    let mut child = cmd.spawn().map_err(|e| RunError::Start(program, e))?;
    let (Some(stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        unreachable!("stdout and stderr were set to piped above");
    };
    let out = thread::spawn(move || {
        let out = read(stdout);
        // The end of the output is when the command is about to exit: the
        // wait then looks at once, not at its next poll.
        let _ = ended.send(());
        out
    });
    let err = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    Ok(Running { child, out, err })
}

/// Kill every command's process group and reap it.
fn kill_all<T>(running: &mut [Running<T>]) {
    for r in running {
        let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(r.child.id() as i32), nix::sys::signal::SIGKILL);
        let _ = r.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rsync::process::Unobserved;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script);
        cmd
    }

    fn job(script: &str, input: &[u8]) -> (Command, Vec<u8>, Reader<Vec<u8>>) {
        (sh(script), input.to_vec(), Box::new(|out| read_all(out).unwrap_or_default()))
    }

    #[test]
    fn commands_run_side_by_side_and_end_in_the_order_given() {
        let started = Instant::now();
        let jobs = vec![job("sleep 0.3; cat", b"first"), job("sleep 0.3; echo second >&2; exit 3", b"")];
        let done = run_all(jobs, &mut Unobserved, Duration::from_secs(30)).unwrap();
        assert!(started.elapsed() < Duration::from_millis(550), "side by side: {:?}", started.elapsed());
        assert_eq!(done[0].stdout, b"first");
        assert!(done[0].status.success());
        assert_eq!((done[1].status.code(), done[1].stderr.trim()), (Some(3), "second"));
    }

    #[test]
    fn the_deadline_stops_every_command() {
        let started = Instant::now();
        let jobs = vec![job("exec sleep 30", b""), job("true", b"")];
        let stopped = run_all(jobs, &mut Unobserved, Duration::from_millis(300)).err();
        assert!(matches!(stopped, Some(RunError::Stopped { cancelled: false })), "{stopped:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
