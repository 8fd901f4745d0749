//! The exit code a command line reports: one table for every face.

use serde::Serialize;

use super::error::{Error, ErrorKind};

/// The exit code a command line reports; every face uses the same table.
///
/// Variants are in combining order: the worst of several is the largest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitCode {
    /// 0: done.
    Ok,
    /// 3: another run holds the profile's lock; try again later.
    Locked,
    /// 2: bad usage or configuration (unknown profile included); fix the call.
    Usage,
    /// 1: the run failed or was partial; see the error.
    Failed,
    /// 130: interrupted (Ctrl-C, a cancel); partial data is kept.
    Interrupted,
}

impl ExitCode {
    /// Every exit code, in combining order.
    pub const ALL: [ExitCode; 5] =
        [ExitCode::Ok, ExitCode::Locked, ExitCode::Usage, ExitCode::Failed, ExitCode::Interrupted];

    /// The process exit status.
    pub fn code(self) -> i32 {
        match self {
            ExitCode::Ok => 0,
            ExitCode::Failed => 1,
            ExitCode::Usage => 2,
            ExitCode::Locked => 3,
            ExitCode::Interrupted => 130,
        }
    }

    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExitCode::Ok => "ok",
            ExitCode::Failed => "failed",
            ExitCode::Usage => "usage",
            ExitCode::Locked => "locked",
            ExitCode::Interrupted => "interrupted",
        }
    }

    /// The worst of several codes (`Ok` when there are none).
    pub fn worst(codes: impl IntoIterator<Item = ExitCode>) -> ExitCode {
        codes.into_iter().max().unwrap_or(ExitCode::Ok)
    }
}

impl ErrorKind {
    /// The exit code for an error of this kind.
    pub fn exit_code(self) -> ExitCode {
        match self {
            ErrorKind::InvalidArgument | ErrorKind::Config | ErrorKind::ProfileNotFound => ExitCode::Usage,
            ErrorKind::Locked => ExitCode::Locked,
            ErrorKind::Interrupted => ExitCode::Interrupted,
            ErrorKind::Io
            | ErrorKind::ToolNotFound
            | ErrorKind::Connect
            | ErrorKind::Authentication
            | ErrorKind::HostKey
            | ErrorKind::Sync
            | ErrorKind::Data
            | ErrorKind::Table => ExitCode::Failed,
        }
    }
}

impl Error {
    /// The exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        self.kind().exit_code()
    }
}
