//! Everything about driving the rsync program: finding it, building argv,
//! running it with progress and cancellation, reading its output, and what
//! why a run failed (what its exit codes mean is vocabulary: [`crate::vocab::rsync_exit`]).

pub mod command;
pub mod failure;
pub mod output;
pub mod process;
pub mod tools;
