//! Layer 5, what persists between runs: the per-profile checkpoint
//! ([`checkpoint`]), the profile lock ([`lock`]), files moved aside by the
//! landing check ([`quarantine`]), the landing area where a sync's files are
//! checked before they get their real names ([`landing`]), earlier versions of replaced files
//! ([`replaced`]), retention ([`cleaner`]) and the record of what the
//! profile's Delta table holds and absorbed ([`absorbed`]).

pub mod absorbed;
pub mod checkpoint;
pub mod cleaner;
pub mod landing;
pub mod lock;
pub mod quarantine;
pub mod replaced;
