//! Everything about driving the rsync program: finding it, building argv,
//! running it with progress and cancellation, reading its output, and what
//! its exit codes mean.

pub mod command;
pub mod exit_code;
pub mod failure;
pub mod output;
pub mod process;
pub mod tools;
