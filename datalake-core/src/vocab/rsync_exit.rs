//! rsync exit codes and what to do about each (rsync(1), "EXIT VALUES").

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
    /// 20: rsync itself got SIGINT/SIGTERM/SIGUSR1.
    Interrupted,
}

impl ExitClass {
    /// Whether a retry may help.
    pub fn is_transient(self) -> bool {
        matches!(self, ExitClass::Transient | ExitClass::Partial)
    }
}

/// Classify an rsync exit code. 255 (ssh's own failure) and 12 (often a
/// dropped ssh link) default to transient here and are refined from stderr by
/// [`crate::rsync::failure`].
pub fn classify(code: i32) -> ExitClass {
    match code {
        0 => ExitClass::Success,
        24 => ExitClass::Vanished,
        23 => ExitClass::Partial,
        20 => ExitClass::Interrupted,
        10 | 12 | 14 | 21 | 30 | 35 | 255 => ExitClass::Transient,
        _ => ExitClass::Permanent,
    }
}

/// What an exit code means, in rsync's own words where it has them.
pub fn meaning(code: i32) -> &'static str {
    match code {
        0 => "success",
        1 => "syntax or usage error",
        2 => "protocol incompatibility",
        3 => "errors selecting input/output files, dirs",
        4 => "requested action not supported",
        5 => "error starting client-server protocol",
        6 => "daemon unable to append to log-file",
        10 => "error in socket I/O",
        11 => "error in file I/O",
        12 => "error in rsync protocol data stream",
        13 => "errors with program diagnostics",
        14 => "error in IPC code",
        20 => "received SIGUSR1 or SIGINT",
        21 => "some error returned by waitpid()",
        22 => "error allocating core memory buffers",
        23 => "partial transfer due to error",
        24 => "partial transfer due to vanished source files",
        25 => "the --max-delete limit stopped deletions",
        30 => "timeout in data send/receive",
        35 => "timeout waiting for daemon connection",
        126 => "command found but not executable",
        127 => "command not found",
        255 => "ssh failed",
        _ => "unknown exit code",
    }
}

/// What to do about a failing code (the generic advice; stderr-specific
/// advice is added by [`crate::rsync::failure`]).
pub fn hint(code: i32) -> &'static str {
    match code {
        1 => "check rsync_args in the config",
        2 => "upgrade rsync on this machine or the collector so their protocols match",
        3 | 11 => "check that the local directory is writable and the disk is not full",
        5 => "the collector's login shell printed something or rsync failed to start there: make ~/.bashrc quiet for non-interactive shells",
        10 | 12 | 30 | 35 | 255 => "the network or the collector may be down; the next run will resume where this one stopped",
        23 => "some files could not be read on the collector or written here; check permissions, the next run retries them",
        _ => "see rsync's message above; the next run resumes where this one stopped",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_classify_as_documented() {
        assert_eq!(classify(0), ExitClass::Success);
        assert_eq!(classify(24), ExitClass::Vanished);
        assert_eq!(classify(23), ExitClass::Partial);
        for c in [10, 12, 30, 35, 255] {
            assert_eq!(classify(c), ExitClass::Transient, "code {c}");
        }
        for c in [1, 2, 3, 4, 6, 22, 25, 126, 127] {
            assert_eq!(classify(c), ExitClass::Permanent, "code {c}");
        }
        assert_eq!(meaning(23), "partial transfer due to error");
    }
}
