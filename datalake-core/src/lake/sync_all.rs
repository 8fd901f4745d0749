//! The facade's sync calls: one profile on the calling thread, or every
//! enabled profile on worker threads with the calling thread relaying
//! progress and polling for a stop.

use std::collections::VecDeque;
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use super::outcome::SyncAllReport;
use super::run::ForwardingObserver;
use super::{DataLake, SyncOptions};
use crate::lake::selection::Command;
use crate::rsync::process::{RunObserver, POLL_INTERVAL};
use crate::transfer::report::SyncReport;
use crate::vocab::error::Result;
use crate::vocab::progress::Progress;

impl DataLake {
    /// Sync one profile: lock, mark running, rsync with retries, record the
    /// checkpoint, clean up after success or partial.
    ///
    /// `Err` when the run could not start (unknown or disabled profile,
    /// locked, rsync missing, unwritable checkpoint...); otherwise a report
    /// whose `status` tells how it ended and whose `error` carries the typed
    /// cause of a failure.
    pub fn sync(&self, name: &str, options: &mut SyncOptions<'_>) -> Result<SyncReport> {
        let profile = self.enabled_profile(name)?;
        let run = self.runs.start();
        let (dry_run, cleanup, full) = (options.dry_run, options.cleanup, options.full);
        let mut observer = run.observer(&mut options.control);
        self.sync_profile(profile, (dry_run, full), cleanup, &mut observer)
    }

    /// Sync every enabled profile, `options.jobs` at a time. One failing
    /// profile never stops the others; each gets a report, in name order, and
    /// the aggregate says what they add up to.
    pub fn sync_all(&self, options: &mut SyncOptions<'_>) -> SyncAllReport {
        let profiles = self.select_profiles(Command::Sync.all_profiles()).unwrap_or_default();
        let names: Vec<String> = profiles.iter().map(|p| p.name.clone()).collect();
        let run = self.runs.start();
        let jobs = (options.jobs.max(1) as usize).min(names.len().max(1));
        let queue = Mutex::new(names.iter().cloned().enumerate().collect::<VecDeque<_>>());
        let results: Mutex<Vec<(usize, SyncReport)>> = Mutex::new(Vec::new());
        let (tx, rx) = mpsc::channel::<Progress>();
        let (dry_run, cleanup, full) = (options.dry_run, options.cleanup, options.full);
        let heard = options.control.progress.is_some();

        std::thread::scope(|scope| {
            for _ in 0..jobs {
                let tx = tx.clone();
                let token = run.token.clone();
                let (queue, results) = (&queue, &results);
                scope.spawn(move || {
                    let mut observer = ForwardingObserver { tx, token, heard };
                    loop {
                        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).pop_front();
                        let Some((index, name)) = next else { break };
                        let report = match self
                            .enabled_profile(&name)
                            .and_then(|p| self.sync_profile(p, (dry_run, full), cleanup, &mut observer))
                        {
                            Ok(r) => r,
                            Err(e) => SyncReport::without_transfer(&name, e),
                        };
                        results.lock().unwrap_or_else(PoisonError::into_inner).push((index, report));
                    }
                });
            }
            drop(tx);
            // The calling thread is the caller's observer, as in `sync`: it relays
            // progress and polls for a stop until every worker has dropped its sender.
            let mut caller = run.observer(&mut options.control);
            let mut last_poll = Instant::now();
            loop {
                match rx.recv_timeout(POLL_INTERVAL) {
                    Ok(p) => caller.progress(&p),
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
                if last_poll.elapsed() >= POLL_INTERVAL {
                    last_poll = Instant::now();
                    caller.should_cancel();
                }
            }
        });
        let mut results = results.into_inner().unwrap_or_else(PoisonError::into_inner);
        results.sort_by_key(|(i, _)| *i);
        SyncAllReport::new(results.into_iter().map(|(_, r)| r).collect())
    }
}
