//! Layer 4, talking to the collector over ssh: remote commands ([`remote`]),
//! the run's one shared connection ([`shared_ssh`]), listing its files
//! ([`listing`]), files still being written ([`min_age`]) and the
//! `test_connection` check ([`connection`]).

pub mod connection;
pub mod listing;
pub mod min_age;
pub mod remote;
pub mod shared_ssh;
