//! `datalake_status`: the result code of every fallible call.

use datalake_core::ErrorKind;

/// The result of every fallible call.
///
/// `DATALAKE_OK` is 0; every other value is a failure whose detailed message
/// is available from `datalake_last_error_message()` on the same thread.
/// Values are stable: new codes are only ever appended, retired ones stay
/// reserved.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C)]
pub enum datalake_status {
    /// Success.
    DATALAKE_OK = 0,
    /// A NULL pointer, a non-UTF-8 string, or an argument the call cannot use
    /// (for example a profile with `enabled: false`).
    DATALAKE_ERR_INVALID_ARGUMENT = 1,
    /// The configuration file is missing, unreadable or invalid.
    DATALAKE_ERR_CONFIG = 2,
    /// No profile of that name exists (the message suggests the closest name).
    DATALAKE_ERR_PROFILE_NOT_FOUND = 3,
    /// A local filesystem operation failed.
    DATALAKE_ERR_IO = 4,
    /// `rsync` or `ssh` is not installed on this machine (formerly
    /// `DATALAKE_ERR_RSYNC_NOT_FOUND`, still defined as an alias).
    DATALAKE_ERR_TOOL_NOT_FOUND = 5,
    /// The collector could not be reached (DNS, refused, timeout, network).
    DATALAKE_ERR_CONNECT = 6,
    /// SSH authentication with the configured key was rejected.
    DATALAKE_ERR_AUTHENTICATION = 7,
    /// The collector's host key is unknown (with `host_key_checking: yes`) or changed.
    DATALAKE_ERR_HOST_KEY = 8,
    /// rsync ran and failed, the sync ended `partial`, or the collector cannot serve the profile.
    DATALAKE_ERR_SYNC = 9,
    /// Another run holds the profile's lock.
    DATALAKE_ERR_LOCKED = 10,
    /// The operation was cancelled (`datalake_cancel`).
    DATALAKE_ERR_INTERRUPTED = 11,
    /// Internal error: a panic was caught at the library boundary. This is a
    /// bug in libdatalake; the message says where.
    DATALAKE_ERR_PANIC = 12,
    /// A file's content keeps its day out of the table (schemas that cannot
    /// merge, a malformed CSV row, a `sort_by`/`dedup_on` column missing); the
    /// day stays raw and readable.
    DATALAKE_ERR_DATA = 13,
    /// The profile's Delta table could not be read, written or committed to.
    DATALAKE_ERR_TABLE = 14,
}

/// The raw integer a C caller passes where a `datalake_status` is expected.
///
/// Functions that *receive* a status take this instead of the enum, because a
/// C caller may pass any integer and an out-of-range Rust enum would be
/// undefined behaviour. `cbindgen.toml` renames it to `datalake_status` and
/// excludes its own typedef, so the header shows the enum type.
#[allow(non_camel_case_types)]
pub type datalake_status_value = u32;

/// Every status, in numeric order.
const ALL: [datalake_status; 15] = [
    datalake_status::DATALAKE_OK,
    datalake_status::DATALAKE_ERR_INVALID_ARGUMENT,
    datalake_status::DATALAKE_ERR_CONFIG,
    datalake_status::DATALAKE_ERR_PROFILE_NOT_FOUND,
    datalake_status::DATALAKE_ERR_IO,
    datalake_status::DATALAKE_ERR_TOOL_NOT_FOUND,
    datalake_status::DATALAKE_ERR_CONNECT,
    datalake_status::DATALAKE_ERR_AUTHENTICATION,
    datalake_status::DATALAKE_ERR_HOST_KEY,
    datalake_status::DATALAKE_ERR_SYNC,
    datalake_status::DATALAKE_ERR_LOCKED,
    datalake_status::DATALAKE_ERR_INTERRUPTED,
    datalake_status::DATALAKE_ERR_PANIC,
    datalake_status::DATALAKE_ERR_DATA,
    datalake_status::DATALAKE_ERR_TABLE,
];

impl datalake_status {
    /// The status for a raw value, `None` when out of range.
    pub fn from_value(value: datalake_status_value) -> Option<datalake_status> {
        ALL.get(usize::try_from(value).ok()?).copied()
    }

    /// A short, static, NUL-terminated description.
    pub fn description(self) -> &'static str {
        match self {
            datalake_status::DATALAKE_OK => "ok\0",
            datalake_status::DATALAKE_ERR_INVALID_ARGUMENT => "invalid argument\0",
            datalake_status::DATALAKE_ERR_CONFIG => "invalid configuration\0",
            datalake_status::DATALAKE_ERR_PROFILE_NOT_FOUND => "profile not found\0",
            datalake_status::DATALAKE_ERR_IO => "local I/O error\0",
            datalake_status::DATALAKE_ERR_TOOL_NOT_FOUND => "rsync or ssh not installed\0",
            datalake_status::DATALAKE_ERR_CONNECT => "cannot reach the collector\0",
            datalake_status::DATALAKE_ERR_AUTHENTICATION => "SSH authentication failed\0",
            datalake_status::DATALAKE_ERR_HOST_KEY => "SSH host key verification failed\0",
            datalake_status::DATALAKE_ERR_SYNC => "sync failed\0",
            datalake_status::DATALAKE_ERR_LOCKED => "profile locked by another run\0",
            datalake_status::DATALAKE_ERR_INTERRUPTED => "interrupted\0",
            datalake_status::DATALAKE_ERR_PANIC => "internal error (bug in libdatalake)\0",
            datalake_status::DATALAKE_ERR_DATA => "a file keeps its day out of the table\0",
            datalake_status::DATALAKE_ERR_TABLE => "Delta table error\0",
        }
    }
}

impl From<ErrorKind> for datalake_status {
    /// The 1:1 mapping of the core's error kinds onto status codes.
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidArgument => datalake_status::DATALAKE_ERR_INVALID_ARGUMENT,
            ErrorKind::Config => datalake_status::DATALAKE_ERR_CONFIG,
            ErrorKind::ProfileNotFound => datalake_status::DATALAKE_ERR_PROFILE_NOT_FOUND,
            ErrorKind::Io => datalake_status::DATALAKE_ERR_IO,
            ErrorKind::ToolNotFound => datalake_status::DATALAKE_ERR_TOOL_NOT_FOUND,
            ErrorKind::Connect => datalake_status::DATALAKE_ERR_CONNECT,
            ErrorKind::Authentication => datalake_status::DATALAKE_ERR_AUTHENTICATION,
            ErrorKind::HostKey => datalake_status::DATALAKE_ERR_HOST_KEY,
            ErrorKind::Sync => datalake_status::DATALAKE_ERR_SYNC,
            ErrorKind::Locked => datalake_status::DATALAKE_ERR_LOCKED,
            ErrorKind::Interrupted => datalake_status::DATALAKE_ERR_INTERRUPTED,
            ErrorKind::Data => datalake_status::DATALAKE_ERR_DATA,
            ErrorKind::Table => datalake_status::DATALAKE_ERR_TABLE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_dense_and_ordered() {
        for (i, s) in ALL.iter().enumerate() {
            assert_eq!(*s as usize, i);
            assert_eq!(datalake_status::from_value(i as u32), Some(*s));
            assert!(s.description().ends_with('\0'));
        }
        assert_eq!(datalake_status::from_value(15), None);
        assert_eq!(datalake_status::from_value(u32::MAX), None);
    }
}
