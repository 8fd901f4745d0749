//! Layer 5, what persists between runs: the per-profile checkpoint
//! ([`checkpoint`]), the profile lock ([`lock`]), files moved aside by the
//! landing check ([`quarantine`]), earlier versions of replaced files
//! ([`replaced`]) and retention ([`cleaner`]).

pub mod checkpoint;
pub mod cleaner;
pub mod lock;
pub mod quarantine;
pub mod replaced;
