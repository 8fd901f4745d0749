//! Layer 7, looking at the lake: statistics ([`stats`]), series and missing
//! days ([`coverage`]), footer and checksum checks ([`verify`]), the
//! `status --max-age` check ([`health`]) and Prometheus metrics ([`metrics`]).
//! It reads what the layers below wrote; it moves no data.

pub mod coverage;
pub mod health;
pub mod lake_index;
pub mod metrics;
pub mod stats;
pub mod verify;
