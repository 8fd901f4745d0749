//! Runs on a handle: every `sync`, `verify` and `cleanup` registers its
//! cancellation token here for as long as it runs, so `DataLake::cancel`
//! reaches all of them; and the observers that join a run's token with the
//! caller's [`RunControl`].

use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::rsync::process::RunObserver;
use crate::vocab::cancel::CancelToken;
use crate::vocab::progress::Progress;
use crate::vocab::run_control::RunControl;

/// The tokens of the runs in progress on one handle.
#[derive(Debug, Default)]
pub(super) struct Runs {
    active: Mutex<Vec<CancelToken>>,
}

impl Runs {
    fn active(&self) -> MutexGuard<'_, Vec<CancelToken>> {
        // A poisoned list of tokens is still a valid list of tokens.
        self.active.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new run: its token, registered until the returned guard is dropped.
    pub(super) fn start(&self) -> ActiveRun<'_> {
        let token = CancelToken::new();
        self.active().push(token.clone());
        ActiveRun { runs: self, token }
    }

    /// Cancel every run in progress.
    pub(super) fn cancel_all(&self) {
        for token in self.active().iter() {
            token.cancel();
        }
    }
}

/// One registered run; deregisters its token when dropped.
pub(super) struct ActiveRun<'r> {
    runs: &'r Runs,
    /// The run's token: cancelled by `DataLake::cancel`, by the caller's
    /// control, or by the run itself to stop its workers.
    pub(super) token: CancelToken,
}

impl ActiveRun<'_> {
    /// The observer for work on the calling thread, reporting to `control`.
    pub(super) fn observer<'c, 'a>(&self, control: &'c mut RunControl<'a>) -> ControlObserver<'c, 'a> {
        ControlObserver { control, token: self.token.clone() }
    }
}

impl Drop for ActiveRun<'_> {
    fn drop(&mut self) {
        self.runs.active().retain(|t| !t.same_as(&self.token));
    }
}

/// The observer of a run on the calling thread: progress goes to the
/// caller's callback; a stop asked by the caller cancels the run's token
/// (which also reaches any workers watching it).
pub(super) struct ControlObserver<'c, 'a> {
    control: &'c mut RunControl<'a>,
    token: CancelToken,
}

impl RunObserver for ControlObserver<'_, '_> {
    fn progress(&mut self, progress: &Progress) {
        self.control.report(progress);
    }
    fn wants_progress(&self) -> bool {
        self.control.progress.is_some()
    }
    fn should_cancel(&mut self) -> bool {
        if self.control.stop_requested() {
            self.token.cancel();
        }
        self.token.is_cancelled()
    }
}

/// The observer of a run on a worker thread (`sync_all`): progress goes to
/// the calling thread through a channel; cancellation comes from the run's token.
pub(super) struct ForwardingObserver {
    pub(super) tx: mpsc::Sender<Progress>,
    pub(super) token: CancelToken,
    /// Whether the caller hears progress.
    pub(super) heard: bool,
}

impl RunObserver for ForwardingObserver {
    fn progress(&mut self, progress: &Progress) {
        let _ = self.tx.send(progress.clone());
    }
    fn should_cancel(&mut self) -> bool {
        self.token.is_cancelled()
    }
    fn wants_progress(&self) -> bool {
        self.heard
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_while_running_and_cancelled_together() {
        let runs = Runs::default();
        let first = runs.start();
        let second = runs.start();
        assert_eq!(runs.active().len(), 2);
        runs.cancel_all();
        assert!(first.token.is_cancelled() && second.token.is_cancelled());
        drop(first);
        assert_eq!(runs.active().len(), 1);
        drop(second);
        let later = runs.start();
        assert!(!later.token.is_cancelled(), "a cancel reaches only the runs in progress");
    }

    #[test]
    fn the_caller_stops_the_run() {
        let runs = Runs::default();
        let run = runs.start();
        let stop = CancelToken::new();
        let mut seen = 0;
        let mut count = |_: &Progress| seen += 1;
        let mut control =
            RunControl { cancel: Some(stop.clone()), progress: Some(&mut count), ..RunControl::default() };
        let mut observer = run.observer(&mut control);
        observer.progress(&Progress::default());
        assert!(!observer.should_cancel());
        stop.cancel();
        assert!(observer.should_cancel());
        assert!(run.token.is_cancelled(), "the run's token carries the stop to its workers");
        drop(control);
        assert_eq!(seen, 1);
    }
}
