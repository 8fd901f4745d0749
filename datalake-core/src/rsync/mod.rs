//! Everything about driving the rsync program: finding it, building argv,
//! reading its output, and what its exit codes mean.

pub mod exit_code;
