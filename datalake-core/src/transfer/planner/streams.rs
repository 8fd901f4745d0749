//! Running several rsyncs at once, one per bucket, each over its own ssh
//! connection and with its own retries, and combining what they did.
//!
//! Workers report to the calling thread over a channel; the calling thread
//! forwards one combined progress, polls for cancellation and cancels every
//! worker's rsync through a shared token.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::sync::{mpsc, Mutex, PoisonError};

use crate::collector::min_age::Scope;
use crate::rsync::process::{RunObserver, POLL_INTERVAL};
use crate::transfer::syncer::{Syncer, TransferOutcome};
use crate::vocab::cancel::CancelToken;
use crate::vocab::error::Error;
use crate::vocab::progress::Progress;
use crate::vocab::status::SyncStatus;

enum Msg {
    Progress(usize, Progress),
    File(String),
}

/// A worker's observer: forwards to the calling thread, cancels with the token.
struct BucketObserver {
    index: usize,
    tx: mpsc::Sender<Msg>,
    token: CancelToken,
    /// Whether the run's observer hears progress.
    heard: bool,
}

impl RunObserver for BucketObserver {
    fn progress(&mut self, progress: &Progress) {
        let _ = self.tx.send(Msg::Progress(self.index, progress.clone()));
    }
    fn should_cancel(&mut self) -> bool {
        self.token.is_cancelled()
    }
    fn file_transferred(&mut self, name: &str) {
        let _ = self.tx.send(Msg::File(name.to_string()));
    }
    fn wants_progress(&self) -> bool {
        self.heard
    }
}

/// Run every argv (one per bucket), `streams` at a time, and combine.
/// `planned_bytes` is the size of the whole run, for the combined progress bar.
pub fn run(
    syncer: &Syncer<'_>,
    argvs: &[(Vec<OsString>, Scope)],
    (streams, today): (usize, chrono::NaiveDate),
    planned_bytes: u64,
    observer: &mut dyn RunObserver,
) -> TransferOutcome {
    let token = CancelToken::new();
    let queue = Mutex::new((0..argvs.len()).collect::<VecDeque<_>>());
    let results: Mutex<Vec<(usize, TransferOutcome)>> = Mutex::new(Vec::new());
    let (tx, rx) = mpsc::channel::<Msg>();
    let heard = observer.wants_progress();
    std::thread::scope(|scope| {
        for _ in 0..streams.clamp(1, argvs.len().max(1)) {
            let (tx, token, queue, results) = (tx.clone(), token.clone(), &queue, &results);
            scope.spawn(move || loop {
                let next = queue.lock().unwrap_or_else(PoisonError::into_inner).pop_front();
                let Some(index) = next else { break };
                if token.is_cancelled() {
                    // Not started: reported as interrupted with the others.
                    let mut out = TransferOutcome::not_started(Error::Interrupted {
                        profile: syncer.profile_name().to_string(),
                        operation: "sync".into(),
                    });
                    out.status = SyncStatus::Interrupted;
                    results.lock().unwrap_or_else(PoisonError::into_inner).push((index, out));
                    continue;
                }
                let mut obs = BucketObserver { index, tx: tx.clone(), token: token.clone(), heard };
                let (argv, scope) = &argvs[index];
                let outcome = syncer.run_argv(argv, scope, today, &mut obs);
                results.lock().unwrap_or_else(PoisonError::into_inner).push((index, outcome));
            });
        }
        drop(tx);
        let mut latest: Vec<Option<Progress>> = vec![None; argvs.len()];
        let mut last_emit = std::time::Instant::now();
        let mut dirty = false;
        loop {
            match rx.recv_timeout(POLL_INTERVAL) {
                Ok(Msg::Progress(i, p)) => {
                    latest[i] = Some(p);
                    dirty = true;
                }
                Ok(Msg::File(name)) => observer.file_transferred(&name),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if dirty && last_emit.elapsed() >= POLL_INTERVAL {
                observer.progress(&combined(&latest, planned_bytes));
                last_emit = std::time::Instant::now();
                dirty = false;
            }
            if observer.should_cancel() {
                token.cancel();
            }
        }
        if dirty {
            observer.progress(&combined(&latest, planned_bytes));
        }
    });
    let mut results = results.into_inner().unwrap_or_else(PoisonError::into_inner);
    results.sort_by_key(|(i, _)| *i);
    combine(results.into_iter().map(|(_, o)| o).collect())
}

/// One progress for all buckets: sums, the planned total, the latest file.
fn combined(latest: &[Option<Progress>], planned_bytes: u64) -> Progress {
    let mut out = Progress::default();
    for p in latest.iter().flatten() {
        out.profile.clone_from(&p.profile);
        out.bytes_done += p.bytes_done;
        out.files_done += p.files_done;
        out.rate += p.rate;
        if p.current_file.is_some() {
            out.current_file.clone_from(&p.current_file);
        }
    }
    out.bytes_total = Some(planned_bytes.max(out.bytes_done));
    out
}

/// Combine the buckets' outcomes: the status is [`SyncStatus::worst`] (one
/// partial bucket makes the run partial, one failed bucket fails it, by the
/// same rules as one rsync), its error the run's; counters add up, the other
/// buckets' errors become warnings.
pub fn combine(outcomes: Vec<TransferOutcome>) -> TransferOutcome {
    let n = outcomes.len();
    let status = SyncStatus::worst(outcomes.iter().map(|o| o.status));
    let worst = outcomes.iter().position(|o| o.status == status).unwrap_or(0);
    let mut total = TransferOutcome::blank(status);
    let mut worst_error = None;
    for (i, o) in outcomes.into_iter().enumerate() {
        let s = &o.stats;
        total.stats.total_files += s.total_files;
        total.stats.total_size += s.total_size;
        total.stats.files_transferred += s.files_transferred;
        total.stats.bytes_transferred += s.bytes_transferred;
        total.stats.literal_bytes += s.literal_bytes;
        total.stats.matched_bytes += s.matched_bytes;
        total.stats.bytes_sent += s.bytes_sent;
        total.stats.bytes_received += s.bytes_received;
        total.attempts += o.attempts;
        // Every bucket lists the collector's young files over the whole tree: the same files.
        total.too_recent = total.too_recent.max(o.too_recent);
        total.landed.extend(o.landed);
        for w in o.warnings {
            if !total.warnings.contains(&w) {
                total.warnings.push(w);
            }
        }
        if i == worst {
            total.exit_code = o.exit_code;
            worst_error = o.error;
        } else if let Some(e) = o.error {
            total.warnings.push(format!("stream {} of {n}: {e}", i + 1));
        }
    }
    total.error = worst_error;
    total
}
