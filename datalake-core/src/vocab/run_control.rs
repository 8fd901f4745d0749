//! Run control: what every long operation takes from its caller. `sync`,
//! `verify` and `cleanup` (and the commands still to come) each take one
//! [`RunControl`]: a way to stop the run, a progress callback, and a poll on
//! the calling thread.
//!
//! The facade ([`crate::lake`]) adds the handle's own token to every run, so
//! `DataLake::cancel` stops whatever runs on the handle, whichever operation.

use super::cancel::CancelToken;
use super::progress::Progress;

/// How a caller steers one run and hears from it. Every callback is called
/// on the thread that started the run, never on a worker.
///
/// ```
/// use datalake_core::vocab::run_control::RunControl;
/// use datalake_core::CancelToken;
///
/// let stop = CancelToken::new();
/// let mut seen = 0;
/// let mut on_progress = |_: &datalake_core::Progress| seen += 1;
/// let control = RunControl { cancel: Some(stop.clone()), progress: Some(&mut on_progress), ..RunControl::default() };
/// # drop(control);
/// ```
#[derive(Default)]
pub struct RunControl<'a> {
    /// An extra cancellation token to honour, e.g. one a signal handler cancels.
    pub cancel: Option<CancelToken>,
    /// Progress, at most about 10 times a second (`sync`: bytes and files
    /// transferred; `verify`: files and bytes checked; `cleanup`: files and
    /// bytes deleted, the partition in `current_file`).
    pub progress: Option<&'a mut dyn FnMut(&Progress)>,
    /// Polled about every 100 ms; returning `true` stops the run (it ends
    /// `interrupted`). It is also the run's log sink: the bindings hand the
    /// log records queued meanwhile to their own logging here, and poll for
    /// Ctrl-C.
    pub interrupt_check: Option<&'a mut dyn FnMut() -> bool>,
}

impl RunControl<'_> {
    /// Hand a progress snapshot to the caller's callback, if there is one.
    pub fn report(&mut self, progress: &Progress) {
        if let Some(cb) = self.progress.as_mut() {
            cb(progress);
        }
    }

    /// Poll the caller once: whether its interrupt check or its token asks to stop.
    pub fn stop_requested(&mut self) -> bool {
        let asked = self.interrupt_check.as_mut().is_some_and(|check| check());
        asked || self.cancel.as_ref().is_some_and(CancelToken::is_cancelled)
    }
}

impl std::fmt::Debug for RunControl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunControl")
            .field("cancel", &self.cancel)
            .field("progress", &self.progress.is_some())
            .field("interrupt_check", &self.interrupt_check.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_the_check_and_the_token() {
        let mut nothing = RunControl::default();
        assert!(!nothing.stop_requested());
        nothing.report(&Progress::default());

        let token = CancelToken::new();
        let mut calls = 0;
        let mut check = || {
            calls += 1;
            calls >= 2
        };
        let mut control =
            RunControl { cancel: Some(token.clone()), interrupt_check: Some(&mut check), ..Default::default() };
        assert!(!control.stop_requested());
        assert!(control.stop_requested(), "the check asked on its second call");
        drop(control);

        let mut seen = Vec::new();
        let mut progress = |p: &Progress| seen.push(p.files_done);
        let mut control =
            RunControl { cancel: Some(token.clone()), progress: Some(&mut progress), ..Default::default() };
        control.report(&Progress { files_done: 3, ..Progress::default() });
        assert!(!control.stop_requested());
        token.cancel();
        assert!(control.stop_requested());
        assert!(format!("{control:?}").contains("progress: true"));
        drop(control);
        assert_eq!(seen, [3]);
    }
}
