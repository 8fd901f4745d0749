//! Running one rsync process: output parsed on reader threads, progress and
//! cancellation handled on the calling thread (so callbacks run there, as the
//! bindings promise), and the whole process group stopped on cancel.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use crate::rsync::output::TransferStats;
use crate::vocab::error::{Error, Result};
use crate::vocab::progress::Progress;

use super::output::{self, Line};

/// How often the run loop wakes up to poll for cancellation.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Minimum time between two progress callbacks (about 10 a second).
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);
/// Time rsync gets to exit after SIGTERM before SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(3);
/// stderr lines kept for messages.
const STDERR_KEEP: usize = 40;
/// How long the reader of rsync's output lets lines gather after a read that
/// found the pipe nearly empty. rsync writes one line per file; read as they
/// come, a first sync of small files wakes this process (and its main thread)
/// once per file. Two milliseconds of lines fit many times in a pipe's 64 KiB,
/// so rsync never waits for us, and a progress bar never notices.
const GATHER: Duration = Duration::from_millis(2);
/// Read buffer of rsync's output; a read that returns less than half of it
/// found the pipe drained.
const READ_BUFFER: usize = 64 * 1024;

/// Receives what happens during a run, on the thread that called [`run`].
pub trait RunObserver {
    /// A progress snapshot (throttled by the caller of this trait).
    fn progress(&mut self, progress: &Progress);
    /// Polled about every [`POLL_INTERVAL`]; `true` stops the run.
    fn should_cancel(&mut self) -> bool;
    /// A regular file was transferred (its path relative to the transfer root).
    fn file_transferred(&mut self, _name: &str) {}
    /// Whether anyone hears [`RunObserver::progress`]. When nobody does,
    /// rsync runs without `--info=progress2`, whose line per file costs it a
    /// write and this process a read (about 10% of a first sync of small
    /// files); files and cancellation work the same.
    fn wants_progress(&self) -> bool {
        true
    }
}

/// Passes cancellation polls through and keeps progress to itself: for a step
/// whose progress would mean something else to the caller (the checksum
/// comparison of `verify`, the retention run at the end of a sync).
pub struct CancelOnly<'o>(pub &'o mut dyn RunObserver);

impl RunObserver for CancelOnly<'_> {
    fn progress(&mut self, _: &Progress) {}
    fn should_cancel(&mut self) -> bool {
        self.0.should_cancel()
    }
    fn wants_progress(&self) -> bool {
        false
    }
}

/// Hears nothing and never cancels: for callers with nobody to tell (tests, one-off tools).
pub struct Unobserved;

impl RunObserver for Unobserved {
    fn progress(&mut self, _: &Progress) {}
    fn should_cancel(&mut self) -> bool {
        false
    }
    fn wants_progress(&self) -> bool {
        false
    }
}

/// What one rsync process did.
#[derive(Debug, Default)]
pub struct RunOutcome {
    /// Exit code (`None` if killed by a signal).
    pub exit_code: Option<i32>,
    /// Parsed `--stats`.
    pub stats: TransferStats,
    /// The last stderr lines.
    pub stderr: String,
    /// True when the run was cancelled.
    pub cancelled: bool,
    /// Bytes still to transfer by rsync's last progress estimate, if it made one
    /// (what a run that filled the disk still needed).
    pub remaining: Option<u64>,
    /// Their names, relative to the destination, as rsync printed them (`%n`).
    pub transferred: Vec<String>,
    /// Names itemized as `*deleting` (with `--delete`, e.g. verify's dry run).
    pub deleted: Vec<String>,
}

enum Event {
    Progress { bytes: u64, percent: u32, files_done: Option<u64>, list_complete: bool },
    File(String),
}

/// Read `reader` and call `f` for every line, splitting on `\r` as well as
/// `\n` as the bytes arrive: progress2 rewrites its line with `\r` and never
/// ends it until the transfer is over. `chunk_read` runs after the lines of
/// each read (what arrived together can be handed on together); after a
/// short read, the next one waits `gather` for more lines to arrive.
fn for_each_line(reader: impl Read, mut f: impl FnMut(&str), mut chunk_read: impl FnMut(), gather: Duration) {
    let mut reader = BufReader::with_capacity(READ_BUFFER, reader);
    let mut line = Vec::with_capacity(512);
    loop {
        let chunk = match reader.fill_buf() {
            Ok([]) => break,
            Ok(chunk) => chunk,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        for &b in chunk {
            if b == b'\r' || b == b'\n' {
                if !line.is_empty() {
                    f(&String::from_utf8_lossy(&line));
                    line.clear();
                }
            } else {
                line.push(b);
            }
        }
        let n = chunk.len();
        reader.consume(n);
        chunk_read();
        if n < READ_BUFFER / 2 && !gather.is_zero() {
            thread::sleep(gather);
        }
    }
    if !line.is_empty() {
        f(&String::from_utf8_lossy(&line));
    }
    chunk_read();
}

/// `argv` without `--info=progress2` when nobody hears the progress it gives.
fn without_unheard_progress(argv: &[OsString], heard: bool) -> std::borrow::Cow<'_, [OsString]> {
    match heard {
        true => std::borrow::Cow::Borrowed(argv),
        false => argv.iter().filter(|a| *a != output::PROGRESS_ARG).cloned().collect::<Vec<_>>().into(),
    }
}

/// Stop rsync: SIGTERM to its whole process group, then SIGKILL to whatever
/// is left after [`KILL_GRACE`]. The group is waited for, not just the
/// process started: the one started can exit first while its receiver is
/// still moving the file it was receiving into `.rsync-partial` (killed
/// then, the resume data was lost).
fn stop_group(child: &mut Child) {
    let pgid = Pid::from_raw(child.id() as i32);
    let _ = killpg(pgid, Signal::SIGTERM);
    let deadline = Instant::now() + KILL_GRACE;
    let mut exited = false;
    while Instant::now() < deadline {
        exited = exited || matches!(child.try_wait(), Ok(Some(_)));
        if exited && !group_running(pgid) {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = killpg(pgid, Signal::SIGKILL);
    let _ = child.kill();
}

/// Whether a process of group `pgid` is still running. A zombie does not
/// count: rsync's orphaned children are reaped by init, and an init that
/// never reaps (a container's, often) would otherwise hold the group "alive"
/// for the whole grace. Without `/proc`, signal 0 to the group says.
fn group_running(pgid: Pid) -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return killpg(pgid, None).is_ok();
    };
    procs.flatten().any(|p| {
        let stat = std::fs::read(p.path().join("stat")).unwrap_or_default();
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let Some(close) = stat.iter().rposition(|b| *b == b')') else { return false };
        let mut fields = stat[close + 1..].split(|b| *b == b' ').filter(|f| !f.is_empty());
        let (state, _ppid, pgrp) = (fields.next(), fields.next(), fields.next());
        let live = !matches!(state, Some(b"Z" | b"X"));
        live && pgrp.and_then(|g| std::str::from_utf8(g).ok()?.parse::<i32>().ok()) == Some(pgid.as_raw())
    })
}

/// Run `argv` to completion (or cancellation), reporting progress for `profile`.
pub fn run(argv: &[OsString], profile: &str, observer: &mut dyn RunObserver) -> Result<RunOutcome> {
    let argv = without_unheard_progress(argv, observer.wants_progress());
    let (program, args) = argv.split_first().ok_or_else(|| Error::InvalidArgument("empty rsync command".into()))?;
    log::debug!("running {:?}", argv);
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Own process group: a terminal's Ctrl-C reaches us, not rsync, and
        // cancelling can stop rsync and its ssh child together.
        .process_group(0)
        .env("LC_ALL", "C");
    let parent = nix::unistd::getpid();
    // SAFETY: the closure runs between fork and exec and only makes two
    // async-signal-safe system calls (prctl, getppid); it allocates nothing
    // on the success path.
    unsafe {
        cmd.pre_exec(move || {
            // If this process dies (SIGKILL, OOM killer, a SIGTERM nobody handles),
            // rsync must not keep writing into the lake without our lock. The signal
            // is tied to the spawning thread, which always waits for this child.
            nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).map_err(std::io::Error::from)?;
            if nix::unistd::getppid() != parent {
                return Err(std::io::Error::other("datalake exited before rsync started"));
            }
            Ok(())
        });
    }
    let mut child =
        cmd.spawn().map_err(|e| Error::io("start", program, e, "check that rsync is installed and executable"))?;

    // Events go over in batches, one per read of rsync's output: a wake-up of
    // this thread per line costs more than the line (two per file on a first sync).
    let (tx, rx) = mpsc::channel::<Vec<Event>>();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let out_thread = thread::spawn(move || {
        let mut stats = TransferStats::default();
        let (mut transferred, mut deleted) = (Vec::new(), Vec::new());
        let pending = std::cell::RefCell::new(Vec::new());
        if let Some(out) = stdout {
            let line = |line: &str| match output::parse_line(line, &mut stats) {
                Line::Progress { bytes, percent, files_done, list_complete } => {
                    pending.borrow_mut().push(Event::Progress { bytes, percent, files_done, list_complete });
                }
                Line::Item { flags, name } => {
                    if output::is_file_transfer(&flags) {
                        transferred.push(name.clone());
                        pending.borrow_mut().push(Event::File(name));
                    } else if let Some(name) = output::deleted_name(&flags, &name) {
                        deleted.push(name);
                    }
                }
                Line::Stat | Line::Other => {}
            };
            let hand_on = || {
                let batch = std::mem::take(&mut *pending.borrow_mut());
                if !batch.is_empty() {
                    let _ = tx.send(batch);
                }
            };
            for_each_line(out, line, hand_on, GATHER);
        }
        (stats, transferred, deleted)
    });
    let err_thread = thread::spawn(move || {
        let mut lines: std::collections::VecDeque<String> = Default::default();
        if let Some(err) = stderr {
            let keep = |line: &str| {
                log::debug!("rsync: {line}");
                if lines.len() == STDERR_KEEP {
                    lines.pop_front();
                }
                lines.push_back(line.to_string());
            };
            for_each_line(err, keep, || {}, Duration::ZERO);
        }
        lines.into_iter().collect::<Vec<_>>().join("\n")
    });

    let started = Instant::now();
    let mut snapshot = Progress { profile: profile.to_string(), ..Progress::default() };
    let mut dirty = false;
    let mut last_emit: Option<Instant> = None;
    let mut cancelled = false;
    let mut last_poll = Instant::now();
    let mut last_bytes = (Instant::now(), 0u64);
    loop {
        let batch = match rx.recv_timeout(POLL_INTERVAL) {
            Ok(batch) => batch,
            Err(RecvTimeoutError::Timeout) => Vec::new(),
            Err(RecvTimeoutError::Disconnected) => break,
        };
        for event in batch {
            match event {
                Event::Progress { bytes, percent, files_done, list_complete } => {
                    let now = Instant::now();
                    let dt = now.duration_since(last_bytes.0).as_secs_f64();
                    if dt >= 0.5 {
                        let inst = bytes.saturating_sub(last_bytes.1) as f64 / dt;
                        // Smooth so the ETA does not jump with every update.
                        snapshot.rate = if snapshot.rate == 0.0 { inst } else { 0.7 * snapshot.rate + 0.3 * inst };
                        last_bytes = (now, bytes);
                    }
                    if snapshot.rate == 0.0 {
                        let secs = started.elapsed().as_secs_f64();
                        if secs > 0.0 {
                            snapshot.rate = bytes as f64 / secs;
                        }
                    }
                    snapshot.bytes_done = bytes;
                    snapshot.bytes_total = (list_complete && percent > 0)
                        .then(|| (bytes.saturating_mul(100) / u64::from(percent)).max(bytes));
                    if let Some(f) = files_done {
                        snapshot.files_done = f;
                    }
                    dirty = true;
                }
                Event::File(name) => {
                    observer.file_transferred(&name);
                    snapshot.current_file = Some(name);
                    dirty = true;
                }
            }
        }
        if dirty && last_emit.is_none_or(|t| t.elapsed() >= PROGRESS_INTERVAL) {
            observer.progress(&snapshot);
            last_emit = Some(Instant::now());
            dirty = false;
        }
        if !cancelled && last_poll.elapsed() >= POLL_INTERVAL {
            last_poll = Instant::now();
            if observer.should_cancel() {
                cancelled = true;
                log::info!("cancelling rsync for profile {profile}");
                stop_group(&mut child);
            }
        }
    }
    if dirty {
        observer.progress(&snapshot);
    }
    let status = child.wait().map_err(|e| Error::io("wait for", program, e, "rsync could not be waited for"))?;
    // A reader that panicked lost the output: an error, never a run with zero stats.
    let reader_panicked = |what: &str| {
        Error::io(
            "read the output of",
            program,
            std::io::Error::other(format!("the thread reading rsync's {what} panicked")),
            "this is a bug in datalake: please report it; the next run resumes the transfer",
        )
    };
    let (stats, transferred, deleted) = out_thread.join().map_err(|_| reader_panicked("stdout"))?;
    let stderr = err_thread.join().map_err(|_| reader_panicked("stderr"))?;
    let remaining = snapshot.bytes_total.map(|total| total.saturating_sub(snapshot.bytes_done));
    Ok(RunOutcome { exit_code: status.code(), stats, stderr, cancelled, remaining, transferred, deleted })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out one fixed piece per read, like a pipe does.
    struct Pieces(Vec<&'static [u8]>);

    impl Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            let piece = self.0.remove(0);
            buf[..piece.len()].copy_from_slice(piece);
            Ok(piece.len())
        }
    }

    #[test]
    fn a_group_left_to_zombies_is_not_running() {
        let mut child = Command::new("sh").args(["-c", "sleep 0.4 & exec sleep 0.1"]).process_group(0).spawn().unwrap();
        let pgid = Pid::from_raw(child.id() as i32);
        assert!(group_running(pgid));
        child.wait().unwrap();
        assert!(group_running(pgid), "the orphaned sleep still runs");
        let deadline = Instant::now() + Duration::from_secs(10);
        while group_running(pgid) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        // Ended: a zombie where init does not reap it, gone where it does.
        assert!(!group_running(pgid));
    }

    #[test]
    fn carriage_returns_end_lines_without_waiting_for_a_newline() {
        let reader = Pieces(vec![b"  1,000  10%\r", b"  2,000  20%\r  3,0", b"00  30%\ndl-item >f+++ a b\n", b"tail"]);
        let mut lines = Vec::new();
        let mut reads = 0;
        for_each_line(reader, |l| lines.push(l.to_string()), || reads += 1, Duration::ZERO);
        assert_eq!(lines, ["  1,000  10%", "  2,000  20%", "  3,000  30%", "dl-item >f+++ a b", "tail"]);
        assert_eq!(reads, 5, "after each of the four reads and at the end");
    }
}
