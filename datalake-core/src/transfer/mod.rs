//! Layer 6, moving bytes: what each run hands rsync ([`planner`]), attempts,
//! retries and backoff for one profile ([`syncer`]), and the sync report
//! ([`report`]).

pub mod planner;
pub mod report;
pub mod syncer;
