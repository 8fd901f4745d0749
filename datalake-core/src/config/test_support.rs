//! Fixtures for the crate's unit tests.

use std::path::Path;

use super::{Profile, Timezone};

/// A profile for tests, with every field set (config loading is not needed).
pub(crate) fn test_profile(local_dir: &Path, retention_days: u32) -> Profile {
    use super::{HostKeyChecking, Source, SshSource};
    Profile {
        name: "cex_ticks".into(),
        enabled: true,
        source: Source::Ssh(SshSource {
            host: "10.0.0.11".into(),
            port: super::DEFAULT_PORT,
            user: "ubuntu".into(),
            ssh_key: "/home/a/.ssh/k.pem".into(),
            remote_root: "/var/data/cex_tickers".into(),
        }),
        local_subdir: "cex_ticks".into(),
        local_dir: local_dir.to_path_buf(),
        retention_days,
        rsync_args: None,
        checkpoint_file: local_dir.with_extension("json"),
        lock_file: local_dir.with_extension("lock"),
        bwlimit: None,
        io_timeout: super::DEFAULT_IO_TIMEOUT,
        connect_timeout: super::DEFAULT_CONNECT_TIMEOUT,
        retries: super::DEFAULT_RETRIES,
        exclude: Vec::new(),
        known_hosts: None,
        host_key_checking: HostKeyChecking::AcceptNew,
        timezone: Timezone::Utc,
        min_age: super::DEFAULT_MIN_AGE,
        check_parquet: true,
        on_rewrite: super::OnRewrite::Auto,
        window_days: super::DEFAULT_WINDOW_DAYS,
        full_sync_every: super::DEFAULT_FULL_SYNC_EVERY,
        parallel: super::DEFAULT_PARALLEL,
        series_format: None,
    }
}
