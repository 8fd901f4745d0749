//! Layer 5, what persists between runs: the per-profile checkpoint
//! ([`checkpoint`]), the profile lock ([`lock`]), files moved aside by the
//! landing check ([`quarantine`]), earlier versions of replaced files
//! ([`replaced`]), retention ([`cleaner`]) and the record of what the
//! profile's Delta table holds and absorbed ([`absorbed`]).

pub mod absorbed;
pub mod checkpoint;
pub mod cleaner;
pub mod lock;
pub mod quarantine;
pub mod replaced;
