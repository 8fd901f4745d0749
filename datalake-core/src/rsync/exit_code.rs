//! rsync exit codes and what to do about each.

/// How the engine reacts to an rsync exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    /// 0: done.
    Success,
    /// 24: some source files vanished during the transfer; success with a warning.
    Vanished,
    /// 23: partial transfer; retried once, then `partial`.
    Partial,
    /// Worth retrying with backoff.
    Transient,
    /// Retrying will not help.
    Permanent,
}

impl ExitClass {
    /// Whether a retry may help.
    pub fn is_transient(self) -> bool {
        matches!(self, ExitClass::Transient | ExitClass::Partial)
    }
}

/// Classify an rsync exit code (255, ssh's own failure, is refined by stderr elsewhere).
pub fn classify(code: i32) -> ExitClass {
    let _ = code;
    todo!("sync engine")
}
