//! Layer 0, the vocabulary: the words every other layer shares. Errors and
//! their kinds, diagnostics, run statuses and modes, exit codes, sizes,
//! the names of reserved directories, run control (cancellation, progress,
//! the caller's poll) and the metrics counters. Nothing here imports from another layer, so a
//! type lives here as soon as two layers need it.

pub mod cancel;
pub mod counters;
pub mod diagnostic;
pub mod diskspace;
pub mod error;
pub mod exit_code;
pub mod names;
pub mod progress;
pub mod rsync_exit;
pub mod run_control;
pub mod status;
pub mod units;
