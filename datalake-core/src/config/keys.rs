//! Every config key, in one table ([`KEYS`]): scope, name, type, default,
//! allowed range and one line of doc.
//!
//! Everything else reads it: the validator takes its ranges and defaults from
//! here, the "did you mean" lists are [`names`], `docs/config-reference.md` is
//! rendered from it (`config::reference`), and the bindings hand it out
//! (`config_keys()` in Python, `datalake_config_keys` in C) so the quants-infra
//! adapter needs no copy of a default. A typed `DEFAULT_*`/`MAX_*` constant
//! exists where code needs the value; the table refers to it.

use std::time::Duration;

pub use super::compact_types::{DEFAULT_COMPACT_AFTER, DEFAULT_TARGET_FILE_SIZE, DEFAULT_VACUUM_AFTER};
use super::spec::{DefaultValue as D, DurationKey, IntKey, KeySpec, Scope, ValueType as T};
use super::types::{HostKeyChecking, OnRewrite, Timezone};

/// Default SSH port of the collectors (quants-infra convention).
pub const DEFAULT_PORT: u16 = 6677;
/// Default private key (quants-infra convention).
pub const DEFAULT_SSH_KEY: &str = "~/.ssh/lightsail_key.pem";
/// Default retention in calendar days.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
/// Longest retention (and window) in days, about a century: "keep everything".
pub const MAX_DAYS: u32 = 36_500;
/// Default rsync I/O idle timeout in seconds.
pub const DEFAULT_IO_TIMEOUT: u32 = 300;
/// Default SSH connect timeout in seconds.
pub const DEFAULT_CONNECT_TIMEOUT: u32 = 15;
/// Default number of retries after a transient failure.
pub const DEFAULT_RETRIES: u32 = 3;
/// Default `min_age`: files the collector modified less than a minute ago
/// are left for the next run.
pub const DEFAULT_MIN_AGE: Duration = Duration::from_secs(60);
/// Largest `min_age` accepted.
pub const MAX_MIN_AGE: Duration = Duration::from_secs(7 * 86_400);
/// Default window of a regular sync, in days back from the collector's today.
pub const DEFAULT_WINDOW_DAYS: u32 = 2;
/// Default longest time between two full syncs.
pub const DEFAULT_FULL_SYNC_EVERY: Duration = Duration::from_secs(24 * 3600);
/// Default number of rsync streams.
pub const DEFAULT_PARALLEL: u32 = 1;
/// Flags rsync gets when a profile has no `rsync_args`: resumable, and readers
/// never see a half-written file under its real name (no `--inplace`, no `-z`).
pub const DEFAULT_RSYNC_ARGS: &[&str] = &["-rt", "--partial-dir=.rsync-partial"];
/// Default calendar of retention.
pub const DEFAULT_TIMEZONE: Timezone = Timezone::Utc;
/// Default host key policy.
pub const DEFAULT_HOST_KEY_CHECKING: HostKeyChecking = HostKeyChecking::AcceptNew;
/// Default `enabled`.
pub const DEFAULT_ENABLED: bool = true;
/// Default `check_parquet`.
pub const DEFAULT_CHECK_PARQUET: bool = true;
/// Default `on_rewrite`: keep an earlier version only when rows would be lost.
pub const DEFAULT_ON_REWRITE: OnRewrite = OnRewrite::Auto;
/// Default `checkpoint_dir`, below `root_dir`.
pub const CHECKPOINT_SUBDIR: &str = ".checkpoints";
/// Smallest and largest `compact.target_file_size`.
pub const MIN_TARGET_FILE_SIZE: u64 = 1 << 20;
pub const MAX_TARGET_FILE_SIZE: u64 = 16 << 30;
/// Default `compact.compression`.
pub const DEFAULT_COMPRESSION: &str = "zstd(3)";

pub const PORT: IntKey = IntKey { name: "port", min: 1, max: u16::MAX as u64, unit: "" };
pub const RETENTION_DAYS: IntKey = IntKey { name: "retention_days", min: 1, max: MAX_DAYS as u64, unit: " (days)" };
pub const BWLIMIT: IntKey =
    IntKey { name: "bwlimit", min: 1, max: u32::MAX as u64, unit: " (KiB/s; omit it for no limit)" };
pub const IO_TIMEOUT: IntKey = IntKey { name: "io_timeout", min: 1, max: 86_400, unit: " (seconds)" };
pub const CONNECT_TIMEOUT: IntKey = IntKey { name: "connect_timeout", min: 1, max: 3_600, unit: " (seconds)" };
pub const RETRIES: IntKey = IntKey { name: "retries", min: 0, max: 20, unit: "" };
pub const WINDOW_DAYS: IntKey =
    IntKey { name: "window_days", min: 0, max: MAX_DAYS as u64, unit: " (days; 0 = always full)" };
pub const PARALLEL: IntKey = IntKey { name: "parallel", min: 1, max: 16, unit: " (rsync streams at once)" };
pub const MIN_AGE: DurationKey = DurationKey {
    name: "min_age",
    min: Duration::ZERO,
    max: MAX_MIN_AGE,
    examples: "1m, 90s or 2h (0 turns it off)",
    max_reason: "a file older than that is not being written any more",
};
pub const FULL_SYNC_EVERY: DurationKey = DurationKey {
    name: "full_sync_every",
    min: Duration::from_secs(60),
    max: Duration::from_secs(366 * 86_400),
    examples: "6h, 24h or 7d",
    max_reason: "late files in old partitions would wait longer than retention keeps them",
};

pub const COMPACT_AFTER: DurationKey = DurationKey {
    name: "after",
    min: Duration::ZERO,
    max: Duration::from_secs(30 * 86_400),
    examples: "2h, 30m or 1d",
    max_reason: "a day waiting longer than that to close would outlive most retention settings",
};
pub const VACUUM_AFTER: DurationKey = DurationKey {
    name: "vacuum_after",
    min: Duration::ZERO,
    max: Duration::from_secs(366 * 86_400),
    examples: "7d, 24h or 0",
    max_reason: "removed files would outlive retention by more than a year",
};

const TIMEZONES: &[&str] = &[Timezone::Utc.as_str(), Timezone::Local.as_str()];
const ON_REWRITE: &[&str] = &[OnRewrite::Auto.as_str(), OnRewrite::Keep.as_str(), OnRewrite::Replace.as_str()];
const HOST_KEY_CHECKING: &[&str] = &[HostKeyChecking::AcceptNew.as_ssh_option(), HostKeyChecking::Yes.as_ssh_option()];

use Scope::{Compact, DataLake, Profile, Source};

/// Every key, by scope, in the order the file shows them (and messages list them).
pub static KEYS: &[KeySpec] = &[
    KeySpec {
        scope: DataLake,
        name: "root_dir",
        ty: T::Path,
        default: D::Required(""),
        rule: "",
        doc: "Directory the lake lives in.",
    },
    KeySpec {
        scope: DataLake,
        name: "checkpoint_dir",
        ty: T::Path,
        default: D::Below("root_dir", CHECKPOINT_SUBDIR),
        rule: "outside every profile's local directory",
        doc: "Checkpoints (`{profile}.json`) and locks (`{profile}.lock`); keep it on a local disk.",
    },
    KeySpec {
        scope: DataLake,
        name: "timezone",
        ty: T::Choice(TIMEZONES),
        default: D::Text(DEFAULT_TIMEZONE.as_str()),
        rule: "",
        doc: "Calendar in which \"today\" is counted for retention.",
    },
    KeySpec {
        scope: DataLake,
        name: "profiles",
        ty: T::Mapping,
        default: D::Unset("none (a warning: nothing to sync)"),
        rule: "names of letters, digits, `_`, `.` and `-`, not `.` or `..`, not starting with `-`",
        doc: "The profiles by name, one per collector directory.",
    },
    KeySpec {
        scope: DataLake,
        name: "metrics_dir",
        ty: T::Path,
        default: D::Unset("none"),
        rule: "",
        doc: "node_exporter textfile directory: every sync and cleanup rewrites `datalake_<profile>.prom` there.",
    },
    KeySpec {
        scope: DataLake,
        name: "compact",
        ty: T::Mapping,
        default: D::Unset("none"),
        rule: "only `table_uri` (`{profile}` is replaced by the profile's name) and `storage_options`",
        doc: "Defaults of every profile's `compact.table_uri` and `compact.storage_options` (a profile's own options override them key by key).",
    },
    KeySpec {
        scope: Profile,
        name: "enabled",
        ty: T::Bool,
        default: D::Bool(DEFAULT_ENABLED),
        rule: "",
        doc: "Disabled profiles are skipped by `sync --all` and `cleanup --all` and refused by name.",
    },
    KeySpec {
        scope: Profile,
        name: "source",
        ty: T::Mapping,
        default: D::Required(""),
        rule: "the `source` keys",
        doc: "Where the data comes from (the `source` keys below).",
    },
    KeySpec {
        scope: Profile,
        name: "local_subdir",
        ty: T::Path,
        default: D::Derived("the profile name"),
        rule: "relative, below `root_dir`, no `..`; profiles never share or nest directories",
        doc: "Directory below `root_dir` the data lands in.",
    },
    KeySpec::int(Profile, RETENTION_DAYS, D::Int(DEFAULT_RETENTION_DAYS as u64), "Calendar days kept, today included."),
    KeySpec {
        scope: Profile,
        name: "rsync_args",
        ty: T::Words,
        default: D::Words(DEFAULT_RSYNC_ARGS),
        rule: "no options the tool owns (`-e`, output formats, paths...)",
        doc: "Replaces the default flags; a string is split with POSIX shell quoting, a list taken word for word.",
    },
    KeySpec {
        scope: Profile,
        name: "checkpoint_file",
        ty: T::Path,
        default: D::Below("checkpoint_dir", "{name}.json"),
        rule: "not shared, outside every profile's local directory",
        doc: "The profile's JSON checkpoint.",
    },
    KeySpec::int(Profile, BWLIMIT, D::Unset("no limit"), "Passed to rsync as `--bwlimit`."),
    KeySpec::int(
        Profile,
        IO_TIMEOUT,
        D::Int(DEFAULT_IO_TIMEOUT as u64),
        "Seconds of silence after which an attempt gives up (rsync `--timeout`, ssh keepalive).",
    ),
    KeySpec::int(Profile, CONNECT_TIMEOUT, D::Int(DEFAULT_CONNECT_TIMEOUT as u64), "ssh `ConnectTimeout`."),
    KeySpec::int(Profile, RETRIES, D::Int(DEFAULT_RETRIES as u64), "Retries after a transient failure."),
    KeySpec {
        scope: Profile,
        name: "exclude",
        ty: T::Strings,
        default: D::EmptyList,
        rule: "non-empty strings without control characters",
        doc: "rsync patterns never transferred, one `--exclude` each (e.g. `*.tmp`).",
    },
    KeySpec {
        scope: Profile,
        name: "known_hosts",
        ty: T::Path,
        default: D::Unset("ssh's own (`~/.ssh/known_hosts`)"),
        rule: "",
        doc: "ssh `UserKnownHostsFile`.",
    },
    KeySpec {
        scope: Profile,
        name: "host_key_checking",
        ty: T::Choice(HOST_KEY_CHECKING),
        default: D::Text(DEFAULT_HOST_KEY_CHECKING.as_ssh_option()),
        rule: "`no` is refused",
        doc: "ssh `StrictHostKeyChecking`: `accept-new` trusts on first use and refuses a changed key.",
    },
    KeySpec {
        scope: Profile,
        name: "timezone",
        ty: T::Choice(TIMEZONES),
        default: D::Derived("the `data_lake` timezone"),
        rule: "",
        doc: "Per-profile override of the retention calendar.",
    },
    KeySpec::duration(
        Profile,
        MIN_AGE,
        DEFAULT_MIN_AGE,
        "Files the collector modified less than this long ago (by its clock) wait for the next run.",
    ),
    KeySpec {
        scope: Profile,
        name: "check_parquet",
        ty: T::Bool,
        default: D::Bool(DEFAULT_CHECK_PARQUET),
        rule: "",
        doc: "Check the footer of every `.parquet` file a run transfers; broken ones go to quarantine.",
    },
    KeySpec::int(
        Profile,
        WINDOW_DAYS,
        D::Int(DEFAULT_WINDOW_DAYS as u64),
        "Regular runs transfer partitions dated within this many days of the collector's today, plus new ones.",
    ),
    KeySpec::duration(
        Profile,
        FULL_SYNC_EVERY,
        DEFAULT_FULL_SYNC_EVERY,
        "A full run happens when the last successful one is older than this.",
    ),
    KeySpec::int(
        Profile,
        PARALLEL,
        D::Int(DEFAULT_PARALLEL as u64),
        "rsync streams at once, each over its own ssh connection.",
    ),
    KeySpec {
        scope: Profile,
        name: "on_rewrite",
        ty: T::Choice(ON_REWRITE),
        default: D::Text(DEFAULT_ON_REWRITE.as_str()),
        rule: "",
        doc: "A file the lake has, written again on the collector: `auto` keeps the earlier version in `.datalake-replaced/` when the new one lacks some of its rows, `keep` keeps every earlier version, `replace` replaces it.",
    },
    KeySpec {
        scope: Profile,
        name: "series_format",
        ty: T::Text,
        default: D::Unset("none: series have no fields"),
        rule: "`{field}` names with text between them, not `series` or `date`",
        doc: "How a series name splits into fields for reading (`\"{exchange}_{symbol}\"`): filters and columns.",
    },
    KeySpec {
        scope: Profile,
        name: "compact",
        ty: T::Mapping,
        default: D::Unset("no compaction"),
        rule: "the `compact` keys",
        doc: "How closed days become the profile's Delta table (the `compact` keys below).",
    },
    KeySpec {
        scope: Source,
        name: "type",
        ty: T::Choice(&["ssh", "local"]),
        default: D::Text("ssh"),
        rule: "",
        doc: "`local` reads `remote_root` on this machine (mounted disk, NFS) with the same engine and no SSH.",
    },
    KeySpec {
        scope: Source,
        name: "host",
        ty: T::Text,
        default: D::Required("for `type: ssh`"),
        rule: "no whitespace, shell metacharacters, `@` or leading `-`",
        doc: "Host name or address (IPv6 without brackets).",
    },
    KeySpec::int(Source, PORT, D::Int(DEFAULT_PORT as u64), "SSH port."),
    KeySpec {
        scope: Source,
        name: "user",
        ty: T::Text,
        default: D::Required("for `type: ssh`"),
        rule: "no whitespace, shell metacharacters, `@`, `:` or leading `-`",
        doc: "Login user.",
    },
    KeySpec {
        scope: Source,
        name: "ssh_key",
        ty: T::Path,
        default: D::Text(DEFAULT_SSH_KEY),
        rule: "",
        doc: "Private key (`ssh -i`, with `IdentitiesOnly=yes`).",
    },
    KeySpec {
        scope: Source,
        name: "remote_root",
        ty: T::Text,
        default: D::Required(""),
        rule: "absolute",
        doc: "Directory on the collector (on this machine for `type: local`).",
    },
    KeySpec {
        scope: Compact,
        name: "enabled",
        ty: T::Bool,
        default: D::Bool(false),
        rule: "",
        doc: "Compact the profile: `datalake compact`, `--all` and `auto` take it.",
    },
    KeySpec::duration(
        Compact,
        COMPACT_AFTER,
        DEFAULT_COMPACT_AFTER,
        "A day counts as closed (and is compacted) this long after it ends, in the profile's timezone.",
    ),
    KeySpec {
        scope: Compact,
        name: "sort_by",
        ty: T::Strings,
        default: D::EmptyList,
        rule: "column names, each once",
        doc: "Columns each series-day is sorted by (stable); empty keeps the order the parts were written in.",
    },
    KeySpec {
        scope: Compact,
        name: "dedup_on",
        ty: T::Strings,
        default: D::Unset("none: every row is kept"),
        rule: "column names, each once",
        doc: "Within one series-day, rows equal on all these columns are one row: the one from the newest part.",
    },
    KeySpec {
        scope: Compact,
        name: "compression",
        ty: T::Text,
        default: D::Text(DEFAULT_COMPRESSION),
        rule: "`zstd(1..22)`, `snappy`, `gzip(0..9)`, `lz4`, `brotli(0..11)` or `none`",
        doc: "Codec of the table's Parquet files.",
    },
    KeySpec {
        scope: Compact,
        name: "target_file_size",
        ty: T::Text,
        default: D::Text("128MiB"),
        rule: "a size from 1MiB to 16GiB (`512MB`, `1GiB`, bytes)",
        doc: "A series-day bigger than this is split into several files.",
    },
    KeySpec {
        scope: Compact,
        name: "keep_raw",
        ty: T::Bool,
        default: D::Bool(false),
        rule: "",
        doc: "Keep the absorbed raw parts on disk (readers skip them either way; retention deletes them).",
    },
    KeySpec {
        scope: Compact,
        name: "auto",
        ty: T::Bool,
        default: D::Bool(false),
        rule: "",
        doc: "Compact after each successful sync (under the same lock).",
    },
    KeySpec {
        scope: Compact,
        name: "table_uri",
        ty: T::Path,
        default: D::Below("local_dir", "_table"),
        rule: "`s3://bucket/prefix` (`gs://`, `az://` untested), a directory or `file://` URL; inside the profile directory only directly below it, named `_...` or `.…`; `{profile}` is the profile's name",
        doc: "Where the profile's Delta table lives (an object store: see `storage_options`).",
    },
    KeySpec {
        scope: Compact,
        name: "storage_options",
        ty: T::Mapping,
        default: D::Unset("the top-level `compact.storage_options`, then the environment (`AWS_*`)"),
        rule: "object_store's option names, as delta-rs and Polars take them (`aws_endpoint`, `aws_region`, `aws_allow_http`, ...); credentials from the environment or `${VAR}`",
        doc: "How to reach the table's object store; never printed with its credentials.",
    },
    KeySpec::duration(
        Compact,
        VACUUM_AFTER,
        DEFAULT_VACUUM_AFTER,
        "Files a newer version of the table no longer uses are deleted this long after (readers of old versions).",
    ),
    KeySpec {
        scope: Compact,
        name: "csv_schema",
        ty: T::Mapping,
        default: D::Unset("inferred from each day's first CSV part"),
        rule: "column: `string`, `int64`, `double`, `bool`, `timestamp` or `date`",
        doc: "Types of the columns of `.csv` and `.csv.gz` parts.",
    },
];

/// The key names of one scope, in table order.
pub fn names(scope: Scope) -> Vec<&'static str> {
    KEYS.iter().filter(|k| k.scope == scope).map(|k| k.name).collect()
}

/// True when `name` is a key of `scope`.
pub fn is_key(scope: Scope, name: &str) -> bool {
    KEYS.iter().any(|k| k.scope == scope && k.name == name)
}

/// The row of `scope`'s key `name`.
pub fn find(scope: Scope, name: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|k| k.scope == scope && k.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_key_with_a_doc_line() {
        for (i, k) in KEYS.iter().enumerate() {
            assert!(KEYS[..i].iter().all(|o| (o.scope, o.name) != (k.scope, k.name)), "{} twice", k.name);
            assert!(!k.doc.is_empty() && !k.doc.contains('\n') && !k.doc.contains('|'), "{}: one line", k.name);
            assert!(!k.rule.contains('|') && !k.default_text().contains('|'), "{}: no table bars", k.name);
        }
        // Scopes come in order, so messages list the keys as the reference does.
        assert!(KEYS.windows(2).all(|w| w[0].scope as u8 <= w[1].scope as u8));
    }

    #[test]
    fn default_rsync_args_use_the_reserved_partial_dir() {
        let partial = format!("--partial-dir={}", crate::vocab::names::PARTIAL_DIR);
        assert!(DEFAULT_RSYNC_ARGS.contains(&partial.as_str()));
    }

    #[test]
    fn shown_defaults_and_ranges() {
        let shown = |scope, name| find(scope, name).map(|k| (k.default_text(), k.allowed_text()));
        let text = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(shown(Profile, "retention_days"), text("30", "1 to 36500 (days)"));
        assert_eq!(shown(Profile, "bwlimit"), text("no limit", ">= 1 (KiB/s; omit it for no limit)"));
        assert_eq!(shown(Profile, "min_age"), text("1m", "0 to 7d, e.g. 1m, 90s or 2h (0 turns it off)"));
        assert_eq!(shown(Profile, "full_sync_every").map(|s| s.0), Some("24h".to_string()));
        assert_eq!(shown(Source, "port"), text("6677", "1 to 65535"));
        assert_eq!(shown(DataLake, "checkpoint_dir").map(|s| s.0), Some("{root_dir}/.checkpoints".to_string()));
        assert_eq!(shown(Profile, "rsync_args").map(|s| s.0), Some("-rt --partial-dir=.rsync-partial".to_string()));
        assert_eq!(shown(DataLake, "timezone").map(|s| s.1), Some("`utc` or `local`".to_string()));
        assert!(!is_key(Source, "retention_days") && is_key(Profile, "retention_days"));
    }

    #[test]
    fn json_rows_are_typed() {
        let row = serde_json::to_value(find(Profile, "full_sync_every")).unwrap_or_default();
        assert_eq!(row["default"], 86_400);
        assert_eq!(row["min"], 60);
        assert_eq!(row["type"], "duration");
        let row = serde_json::to_value(find(Source, "host")).unwrap_or_default();
        assert_eq!(row["required"], true);
        assert!(row["default"].is_null());
        let row = serde_json::to_value(find(Profile, "host_key_checking")).unwrap_or_default();
        assert_eq!(row["choices"], serde_json::json!(["accept-new", "yes"]));
        assert_eq!(row["default"], "accept-new");
    }
}
