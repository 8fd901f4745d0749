# Hand-written stubs for the native module (datalake-py); checked in CI with
# `python -m mypy.stubtest datalake._datalake`.
import datetime
import os
from pathlib import Path
from collections.abc import Iterator
from collections.abc import Sequence
from typing import Any, Callable, Literal, TypedDict, final

import pandas  # type: ignore[import-untyped, unused-ignore]
import polars
import pyarrow  # type: ignore[import-untyped, unused-ignore]
import pyarrow.dataset  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "DataLakeError",
    "ConfigError",
    "ProfileNotFoundError",
    "InvalidArgumentError",
    "LocalIOError",
    "ConnectError",
    "AuthenticationError",
    "HostKeyError",
    "ToolNotFoundError",
    "RsyncNotFoundError",
    "SyncError",
    "LockedError",
    "CancelledError",
    "DataError",
    "TableError",
    "DataLake",
    "Config",
    "Profile",
    "Source",
    "Diagnostic",
    "ValidationReport",
    "SyncReport",
    "SyncAllReport",
    "CleanupReport",
    "CleanupAllReport",
    "CompactReport",
    "CompactAllReport",
    "SkippedPath",
    "ProfileStats",
    "ConnectionReport",
    "VerifyReport",
    "VerifyAllReport",
    "Coverage",
    "CoverageAllReport",
    "Progress",
    "Checkpoint",
    "RunRecord",
    "RunningMarker",
    "HealthReport",
    "Catalog",
    "FileEntry",
    "validate_file",
    "config_keys",
    "human_size",
    "partition_date",
    "parse_rsync_stats",
    "all_error_kinds",
    "all_sync_statuses",
    "all_commands",
    "exit_codes",
    "worst_exit_code",
    "__version__",
]

__version__: str

_StrPath = str | os.PathLike[str]
# Checked against all_sync_statuses() / all_error_kinds() by tests/python/test_outcome.py.
_SyncStatus = Literal["success", "skipped", "partial", "interrupted", "failed"]
_ErrorKindName = Literal[
    "invalid_argument",
    "config",
    "profile_not_found",
    "io",
    "tool_not_found",
    "connect",
    "authentication",
    "host_key",
    "sync",
    "locked",
    "interrupted",
    "data",
    "table",
]
# Checked against all_commands() by tests/python/test_outcome_lists.py.
_Command = Literal["sync", "cleanup", "stats", "verify", "coverage", "metrics", "health", "compact"]
_ConnectionStatus = Literal[
    "ok",
    "local_tool_missing",
    "dns",
    "refused",
    "timeout",
    "network",
    "authentication",
    "host_key",
    "remote_rsync_missing",
    "remote_root_missing",
    "remote_root_unreadable",
]


class _ConfigKey(TypedDict):
    """One row of the config-key table (``config_keys()``)."""

    scope: Literal["data_lake", "profile", "source", "compact"]
    name: str
    type: str
    required: bool
    # Typed: int, bool, str or list[str]; durations in seconds; None when required, unset or derived.
    default: int | bool | str | list[str] | None
    default_text: str
    # Bounds of integers and durations (seconds), else None.
    min: int | None
    max: int | None
    choices: list[str] | None
    allowed: str
    doc: str

# ---------------------------------------------------------------- exceptions

class DataLakeError(Exception):
    """Base class of every error raised by datalake; `kind` holds the core's error kind."""

    kind: _ErrorKindName | None
    # The exit code the `datalake` command reports for this error (core's table).
    cli_exit_code: int
    # Set when raised by DataLake.sync / raise_for_status: the run's report.
    report: SyncReport | ConnectionReport | CompactReport | None

class ConfigError(DataLakeError):
    """The configuration file is missing, unreadable or invalid."""

    path: str | None
    line: int | None
    column: int | None
    key: str | None
    errors: list[Diagnostic]

class ProfileNotFoundError(DataLakeError, KeyError):
    """No profile of that name exists."""

    name: str
    suggestion: str | None
    known: list[str]

class InvalidArgumentError(DataLakeError, ValueError):
    """An unusable argument, e.g. a disabled profile asked for by name."""

class LocalIOError(DataLakeError, OSError):
    """A local filesystem operation failed."""

    action: str

class ConnectError(DataLakeError):
    """The collector could not be reached."""

    target: str
    reason: Literal["dns", "refused", "timeout", "network"] | None
    detail: str

class AuthenticationError(DataLakeError):
    """SSH authentication with the configured key was rejected."""

    target: str
    key_path: str
    detail: str

class HostKeyError(DataLakeError):
    """The collector's SSH host key is unknown or has changed."""

    target: str
    host: str
    port: int
    detail: str

class ToolNotFoundError(DataLakeError):
    """rsync or ssh is not installed on this machine."""

    tool: str
    package: str

# The former name of ToolNotFoundError (the same class).
RsyncNotFoundError = ToolNotFoundError

class SyncError(DataLakeError):
    """rsync ran and failed, ended partial, or the collector cannot serve the profile."""

    # rsync's exit code, when rsync exited (not for a killed rsync or a remote_root problem).
    exit_code: int | None
    profile: str
    meaning: str
    stderr: str

class LockedError(DataLakeError):
    """Another process holds the profile's lock."""

    pid: int | None
    profile: str
    since: str | None

class CancelledError(DataLakeError):
    """The operation was cancelled (DataLake.cancel())."""

    profile: str

class DataError(DataLakeError):
    """A file's content keeps its day out of the table; the day stays raw and readable."""

    profile: str | None
    # The file (relative to the profile directory) and, for a CSV row, its 1-based line.
    file: str | None
    line: int | None

class TableError(DataLakeError):
    """The profile's Delta table could not be read, written or committed to."""

    profile: str
    uri: str | None

# ---------------------------------------------------------------- config

@final
class Diagnostic:
    @property
    def severity(self) -> Literal["error", "warning"]: ...
    @property
    def file(self) -> Path | None: ...
    @property
    def line(self) -> int | None: ...
    @property
    def column(self) -> int | None: ...
    @property
    def key(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def line_text(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class ValidationReport:
    @property
    def path(self) -> Path: ...
    @property
    def ok(self) -> bool: ...
    @property
    def cli_exit_code(self) -> int: ...
    @property
    def errors(self) -> list[Diagnostic]: ...
    @property
    def warnings(self) -> list[Diagnostic]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Source:
    @property
    def type(self) -> Literal["ssh", "local"]: ...
    @property
    def host(self) -> str | None: ...
    @property
    def port(self) -> int | None: ...
    @property
    def user(self) -> str | None: ...
    @property
    def ssh_key(self) -> Path | None: ...
    @property
    def remote_root(self) -> str: ...
    @property
    def target(self) -> str | None: ...
    @property
    def display(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Profile:
    @property
    def name(self) -> str: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def source(self) -> Source: ...
    @property
    def remote_source(self) -> str: ...
    @property
    def local_subdir(self) -> Path: ...
    @property
    def local_dir(self) -> Path: ...
    @property
    def retention_days(self) -> int: ...
    @property
    def rsync_args(self) -> list[str] | None: ...
    @property
    def effective_rsync_args(self) -> list[str]:
        """``rsync_args``, or the flags used when it is unset."""
    @property
    def checkpoint_file(self) -> Path: ...
    @property
    def lock_file(self) -> Path: ...
    @property
    def bwlimit(self) -> int | None: ...
    @property
    def io_timeout(self) -> int: ...
    @property
    def connect_timeout(self) -> int: ...
    @property
    def retries(self) -> int: ...
    @property
    def exclude(self) -> list[str]: ...
    @property
    def min_age(self) -> float: ...
    @property
    def check_parquet(self) -> bool: ...
    @property
    def known_hosts(self) -> Path | None: ...
    @property
    def host_key_checking(self) -> Literal["accept-new", "yes"]: ...
    @property
    def timezone(self) -> Literal["utc", "local"]: ...
    @property
    def window_days(self) -> int: ...
    @property
    def full_sync_every(self) -> datetime.timedelta: ...
    @property
    def parallel(self) -> int: ...
    @property
    def on_rewrite(self) -> Literal["auto", "keep", "replace"]: ...
    @property
    def series_format(self) -> str | None: ...
    @property
    def compact(self) -> dict[str, Any]:
        """The ``compact`` block: ``enabled``, ``after`` (seconds), ``sort_by``, ``dedup_on``, ``compression``..."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class Config:
    @property
    def path(self) -> Path | None: ...
    @property
    def root_dir(self) -> Path: ...
    @property
    def checkpoint_dir(self) -> Path: ...
    @property
    def metrics_dir(self) -> Path | None: ...
    @property
    def profiles(self) -> dict[str, Profile]: ...
    @property
    def warnings(self) -> list[Diagnostic]: ...
    def enabled_profiles(self) -> list[str]: ...
    def compacted_profiles(self) -> list[str]:
        """Profiles with ``compact.enabled`` (what ``datalake compact --all`` takes)."""
    def to_dict(self) -> dict[str, Any]: ...

# ---------------------------------------------------------------- reports

@final
class SkippedPath:
    @property
    def path(self) -> Path: ...
    @property
    def reason(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class CleanupReport:
    @property
    def profile(self) -> str: ...
    @property
    def dry_run(self) -> bool: ...
    @property
    def cutoff_date(self) -> datetime.date: ...
    @property
    def deleted_dirs(self) -> int: ...
    @property
    def deleted_files(self) -> int: ...
    @property
    def freed_bytes(self) -> int: ...
    @property
    def deleted_paths(self) -> list[Path]: ...
    @property
    def skipped(self) -> list[SkippedPath]: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def duration_seconds(self) -> float: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class CleanupAllReport:
    """What ``DataLake.cleanup_all`` did: per enabled profile, its report or its error."""

    @property
    def results(self) -> list[tuple[str, CleanupReport | DataLakeError]]:
        """``(profile, CleanupReport or the DataLakeError that kept it from running)``, in name order."""
    @property
    def reports(self) -> list[CleanupReport]: ...
    @property
    def errors(self) -> list[DataLakeError]: ...
    @property
    def ok(self) -> bool: ...
    @property
    def cli_exit_code(self) -> int:
        """The exit code of ``datalake cleanup --all``: the worst of the errors', 0 when every profile was cleaned."""
    def raise_for_status(self) -> None: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __len__(self) -> int: ...

@final
class CompactReport:
    """What a compaction did: days compacted, parts absorbed, rows in and out,
    duplicates dropped, bytes before and after, days left raw (``skipped``)."""

    @property
    def profile(self) -> str: ...
    @property
    def status(self) -> _SyncStatus: ...
    @property
    def dry_run(self) -> bool: ...
    @property
    def table_uri(self) -> str: ...
    @property
    def table_version(self) -> int | None: ...
    @property
    def days_compacted(self) -> int: ...
    @property
    def days_merged(self) -> int: ...
    @property
    def parts_absorbed(self) -> int: ...
    @property
    def rows_in(self) -> int: ...
    @property
    def rows_out(self) -> int: ...
    @property
    def duplicates_dropped(self) -> int: ...
    @property
    def bytes_before(self) -> int: ...
    @property
    def bytes_after(self) -> int: ...
    @property
    def raw_parts_removed(self) -> int: ...
    @property
    def commits(self) -> int: ...
    @property
    def days_open(self) -> int: ...
    @property
    def duration_seconds(self) -> float: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def errors(self) -> list[str]: ...
    @property
    def error_kind(self) -> _ErrorKindName | None: ...
    @property
    def skipped(self) -> list[dict[str, Any]]:
        """Closed days left raw: ``series``, ``date``, ``reason``, ``kind``."""
    @property
    def days(self) -> list[dict[str, Any]]:
        """Every series-day written: ``series``, ``date``, ``parts``, ``merged``, ``rows_in``, ``rows_out``..."""
    @property
    def cli_exit_code(self) -> int: ...
    def raise_for_status(self) -> None: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class CompactAllReport:
    """What ``DataLake.compact_all`` did: per profile with ``compact.enabled``, its report or its error."""

    @property
    def results(self) -> list[tuple[str, CompactReport | DataLakeError]]: ...
    @property
    def cli_exit_code(self) -> int:
        """The exit code of ``datalake compact --all``: the worst of the profiles', 0 when all succeeded."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class SyncReport:
    @property
    def profile(self) -> str: ...
    @property
    def status(self) -> _SyncStatus: ...
    @property
    def dry_run(self) -> bool: ...
    @property
    def started_at(self) -> datetime.datetime: ...
    @property
    def finished_at(self) -> datetime.datetime: ...
    @property
    def duration_seconds(self) -> float: ...
    @property
    def files_transferred(self) -> int: ...
    @property
    def bytes_transferred(self) -> int: ...
    @property
    def literal_bytes(self) -> int: ...
    @property
    def matched_bytes(self) -> int: ...
    @property
    def total_files(self) -> int: ...
    @property
    def bytes_sent(self) -> int: ...
    @property
    def bytes_received(self) -> int: ...
    @property
    def rsync_exit_code(self) -> int | None: ...
    @property
    def rsync_exit_meaning(self) -> str | None: ...
    @property
    def attempts(self) -> int: ...
    @property
    def errors(self) -> list[str]: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def config_warnings(self) -> list[str]: ...
    @property
    def error_kind(self) -> _ErrorKindName | None: ...
    @property
    def is_failure(self) -> bool: ...
    @property
    def ok(self) -> bool: ...
    @property
    def cli_exit_code(self) -> int: ...
    @property
    def cleanup(self) -> CleanupReport | None: ...
    @property
    def compaction(self) -> dict[str, Any] | None:
        """The compaction ``compact.auto`` ran after this sync (a CompactReport's ``to_dict()``)."""
    @property
    def too_recent_files(self) -> int: ...
    @property
    def parquet_checked(self) -> int: ...
    @property
    def quarantined(self) -> list[dict[str, Any]]: ...
    @property
    def mode(self) -> Literal["window", "full"] | None: ...
    @property
    def full_sync_reason(self) -> str | None: ...
    @property
    def partitions_covered(self) -> int: ...
    @property
    def partitions_unchanged(self) -> int: ...
    @property
    def files_missed_by_window(self) -> int | None: ...
    @property
    def streams(self) -> int: ...
    @property
    def rewrites_kept(self) -> int: ...
    @property
    def files_grown(self) -> int: ...
    @property
    def kept_versions(self) -> list[dict[str, Any]]: ...
    def raise_for_status(self) -> None: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class SyncAllReport:
    """The aggregate of a sync_all; iterates, indexes and ``len()`` over its reports."""

    @property
    def status(self) -> _SyncStatus: ...
    @property
    def profiles(self) -> int: ...
    @property
    def not_ok(self) -> int: ...
    @property
    def files_transferred(self) -> int: ...
    @property
    def bytes_transferred(self) -> int: ...
    @property
    def is_failure(self) -> bool: ...
    @property
    def ok(self) -> bool: ...
    @property
    def cli_exit_code(self) -> int: ...
    @property
    def reports(self) -> list[SyncReport]: ...
    def raise_for_status(self) -> None: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __len__(self) -> int: ...
    def __getitem__(self, index: int, /) -> SyncReport: ...
    def __iter__(self) -> Iterator[SyncReport]: ...

@final
class ProfileStats:
    @property
    def profile_name(self) -> str: ...
    @property
    def local_path(self) -> Path: ...
    @property
    def remote_source(self) -> str: ...
    @property
    def exists(self) -> bool: ...
    @property
    def total_size(self) -> int: ...
    @property
    def total_size_human(self) -> str: ...
    @property
    def file_count(self) -> int: ...
    @property
    def dir_count(self) -> int: ...
    @property
    def earliest_date(self) -> datetime.date | None: ...
    @property
    def latest_date(self) -> datetime.date | None: ...
    @property
    def last_sync_time(self) -> datetime.datetime | None: ...
    @property
    def last_sync_status(self) -> str | None: ...
    @property
    def retention_days(self) -> int: ...
    @property
    def partition_count(self) -> int: ...
    @property
    def newest_file_mtime(self) -> datetime.datetime | None: ...
    @property
    def expired_partitions(self) -> int: ...
    @property
    def expired_bytes(self) -> int: ...
    @property
    def partial_files(self) -> int: ...
    @property
    def partial_bytes(self) -> int: ...
    @property
    def symlinks(self) -> int: ...
    @property
    def last_sync_duration_seconds(self) -> float | None: ...
    @property
    def last_sync_bytes(self) -> int | None: ...
    @property
    def last_success_time(self) -> datetime.datetime | None: ...
    @property
    def consecutive_failures(self) -> int: ...
    @property
    def quarantined_files(self) -> int: ...
    @property
    def kept_versions(self) -> int: ...
    @property
    def kept_bytes(self) -> int: ...
    @property
    def missing_days(self) -> int: ...
    @property
    def stopped_series(self) -> int: ...
    @property
    def table_version(self) -> int | None: ...
    @property
    def table_days(self) -> int: ...
    @property
    def table_files(self) -> int: ...
    @property
    def table_bytes(self) -> int: ...
    @property
    def table_rows(self) -> int: ...
    @property
    def absorbed_parts(self) -> int: ...
    @property
    def absorbed_bytes(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class ConnectionReport:
    @property
    def profile(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def status(self) -> _ConnectionStatus: ...
    @property
    def message(self) -> str: ...
    @property
    def round_trip_ms(self) -> float | None: ...
    @property
    def local_rsync_version(self) -> str | None: ...
    @property
    def remote_rsync_version(self) -> str | None: ...
    @property
    def remote_entries(self) -> int | None: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def error_kind(self) -> _ErrorKindName | None: ...
    @property
    def cli_exit_code(self) -> int: ...
    def raise_for_status(self) -> None: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Progress:
    @property
    def profile(self) -> str: ...
    @property
    def bytes_done(self) -> int: ...
    @property
    def bytes_total(self) -> int | None: ...
    @property
    def rate(self) -> float: ...
    @property
    def files_done(self) -> int: ...
    @property
    def current_file(self) -> str | None: ...
    def to_dict(self) -> dict[str, Any]: ...

# ---------------------------------------------------------------- checkpoint

@final
class RunRecord:
    @property
    def started_at(self) -> datetime.datetime: ...
    @property
    def status(self) -> _SyncStatus: ...
    @property
    def files_transferred(self) -> int: ...
    @property
    def bytes_transferred(self) -> int: ...
    @property
    def duration_seconds(self) -> float: ...
    @property
    def rsync_exit_code(self) -> int | None: ...
    @property
    def errors(self) -> list[str]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class RunningMarker:
    @property
    def pid(self) -> int: ...
    @property
    def started_at(self) -> datetime.datetime: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Checkpoint:
    @property
    def profile_name(self) -> str: ...
    @property
    def last_sync_time(self) -> datetime.datetime | None: ...
    @property
    def last_sync_status(self) -> str | None: ...
    @property
    def files_transferred(self) -> int: ...
    @property
    def bytes_transferred(self) -> int: ...
    @property
    def duration_seconds(self) -> float: ...
    @property
    def errors(self) -> list[str]: ...
    @property
    def saved_at(self) -> datetime.datetime | None: ...
    @property
    def last_success_time(self) -> datetime.datetime | None: ...
    @property
    def consecutive_failures(self) -> int: ...
    @property
    def last_full_sync_time(self) -> datetime.datetime | None: ...
    @property
    def history(self) -> list[RunRecord]: ...
    @property
    def running(self) -> RunningMarker | None: ...
    def to_dict(self) -> dict[str, Any]: ...
    @staticmethod
    def load(path: _StrPath) -> Checkpoint | None:
        """None when the file is missing or not a checkpoint (left in place)."""
    @staticmethod
    def from_dict(data: dict[str, Any]) -> Checkpoint:
        """InvalidArgumentError (a ValueError) when ``data`` is not a checkpoint."""
    def save(self, path: _StrPath) -> None:
        """Atomic write; ``saved_at`` becomes now."""
    def to_legacy_dict(self) -> dict[str, Any]:
        """What ``save()`` writes: quants-infra's keys first, naive local ISO times."""

# ---------------------------------------------------------------- facade

_ProgressCallback = Callable[[Progress], object]

@final
class VerifyReport:
    """What ``DataLake.verify`` found: broken Parquet files, and with ``remote`` the differences."""

    @property
    def profile(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def cli_exit_code(self) -> int:
        """The exit code of ``datalake verify``: 1 unless ``ok``."""
    @property
    def files_checked(self) -> int: ...
    @property
    def bytes_checked(self) -> int: ...
    @property
    def broken(self) -> list[dict[str, Any]]: ...
    @property
    def quarantined(self) -> list[str]: ...
    @property
    def remote(self) -> dict[str, Any] | None: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def duration_seconds(self) -> float: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Coverage:
    """Days present and missing per series, stopped and new series."""

    @property
    def profile(self) -> str: ...
    @property
    def latest_day(self) -> datetime.date | None: ...
    @property
    def cutoff_date(self) -> datetime.date: ...
    @property
    def series(self) -> list[dict[str, Any]]: ...
    @property
    def missing_days(self) -> int: ...
    @property
    def series_with_gaps(self) -> int: ...
    @property
    def stopped_series(self) -> int: ...
    @property
    def new_series(self) -> int: ...
    @property
    def partial_days(self) -> int: ...
    @property
    def quarantined_files(self) -> int: ...
    @property
    def fail_on_gaps(self) -> bool:
        """Whether a missing day makes this coverage a failure (as asked of ``DataLake.coverage``)."""
    @property
    def cli_exit_code(self) -> int:
        """The exit code of ``datalake coverage``: 1 for a gap with ``fail_on_gaps``, else 0."""
    def grid(self, days: int = 30, color: bool = False) -> str: ...
    def summary(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class VerifyAllReport:
    """What ``DataLake.verify_all`` found: one VerifyReport per profile, in name order."""

    @property
    def ok(self) -> bool: ...
    @property
    def cli_exit_code(self) -> int:
        """The exit code of ``datalake verify --all``: the worst of the reports'."""
    @property
    def reports(self) -> list[VerifyReport]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __len__(self) -> int: ...

@final
class CoverageAllReport:
    """The coverage of every profile, in name order."""

    @property
    def fail_on_gaps(self) -> bool: ...
    @property
    def missing_days(self) -> int: ...
    @property
    def cli_exit_code(self) -> int:
        """The exit code of ``datalake coverage --all``: the worst of the coverages'."""
    @property
    def coverages(self) -> list[Coverage]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __len__(self) -> int: ...

@final
class DataLake:
    """A loaded lake configuration and the operations on it.

    Long calls release the GIL. Ctrl-C during a run (``sync``, ``verify``,
    ``cleanup`` and their ``*_all``; main thread) stops it and raises
    KeyboardInterrupt once it has stopped (a sync records ``interrupted`` in the
    checkpoint; ``.report`` / ``.reports`` are set where there is a report).
    """

    @staticmethod
    def open(config_path: _StrPath) -> DataLake:
        """Load and validate the config; ConfigError lists every problem."""
    @staticmethod
    def from_yaml(text: str) -> DataLake:
        """Like ``open``, from YAML (or JSON) text; relative paths are relative to the working directory."""
    @property
    def config(self) -> Config: ...
    def validate(self) -> ValidationReport:
        """Every error and warning of the config file; never raises."""
    def profile(self, name: str) -> Profile:
        """ProfileNotFoundError (also a KeyError) with a "did you mean" for unknown names."""
    def select_profiles(self, command: _Command, profile: str | None = None) -> list[str]:
        """The profiles ``command`` runs on: ``profile`` alone when given, else those its ``--all`` covers."""
    def sync(
        self,
        profile: str,
        *,
        dry_run: bool = False,
        cleanup: bool = True,
        progress: _ProgressCallback | None = None,
        full: bool = False,
    ) -> SyncReport:
        """Sync one profile.

        Returns the report of a success. Raises the matching DataLakeError
        subclass (``.report`` set) when the run failed or was partial (SyncError:
        some files did not arrive), CancelledError after ``cancel()``,
        KeyboardInterrupt after Ctrl-C, and whatever ``progress`` raised (which
        cancels the run).
        """
    def sync_all(
        self,
        *,
        jobs: int = 1,
        dry_run: bool = False,
        cleanup: bool = True,
        progress: _ProgressCallback | None = None,
        full: bool = False,
    ) -> SyncAllReport:
        """Sync every enabled profile, ``jobs`` at a time; failures are in the reports, not raised."""
    def stats(self, profile: str) -> ProfileStats: ...
    def cleanup(
        self, profile: str, *, dry_run: bool = False, progress: _ProgressCallback | None = None
    ) -> CleanupReport:
        """Apply retention; ``progress`` hears of each deleted partition. CancelledError after ``cancel()``."""
    def cleanup_all(self, *, dry_run: bool = False, progress: _ProgressCallback | None = None) -> CleanupAllReport:
        """Apply retention to every enabled profile; a profile's error is in ``.results``, not raised."""
    def compact(
        self, profile: str, *, dry_run: bool = False, progress: _ProgressCallback | None = None
    ) -> CompactReport:
        """Compact the profile's closed days into its Delta table.

        Returns the report of a success; raises the matching DataLakeError
        (``.report`` set) otherwise: DataError when closed days stay raw
        (``partial``), TableError when the table could not be written,
        KeyboardInterrupt after Ctrl-C (the commits made stay).
        """
    def compact_all(self, *, dry_run: bool = False, progress: _ProgressCallback | None = None) -> CompactAllReport:
        """Compact every profile with ``compact.enabled``; a profile's failure is in ``.results``, not raised."""
    def verify(
        self, profile: str, *, remote: bool = False, progress: _ProgressCallback | None = None
    ) -> VerifyReport:
        """Broken files are in the report (``ok``); CancelledError after ``cancel()``."""
    def verify_all(self, *, remote: bool = False, progress: _ProgressCallback | None = None) -> VerifyAllReport:
        """Verify every profile; the first that cannot be checked raises its error."""
    def coverage(self, profile: str, *, fail_on_gaps: bool = False) -> Coverage: ...
    def coverage_all(self, *, fail_on_gaps: bool = False) -> CoverageAllReport:
        """Coverage of every profile; the first that cannot be read raises its error."""
    def test_connection(self, profile: str) -> ConnectionReport:
        """A report either way; ``raise_for_status()`` raises the matching error."""
    def checkpoint(self, profile: str) -> Checkpoint | None: ...
    def metrics(self, profiles: Sequence[str] | None = None) -> str:
        """Prometheus exposition of ``profiles`` (every profile when None or empty), as written into metrics_dir."""
    def health(self, max_age: str | float | datetime.timedelta) -> HealthReport:
        """Verdicts from the checkpoints: never ran, last run failed, last success older than ``max_age``."""
    def cancel(self) -> None:
        """Cancel every sync, verify and cleanup running on this DataLake; callable from any thread."""
    # Reading (datalake-py/src/read.rs, python/datalake/reader.py). The selection keywords
    # are the same everywhere: series (names or globs), start/end (inclusive days) and one
    # keyword per field of the profile's series_format (exchange=, symbol=...).
    def catalog(
        self,
        profile: str,
        *,
        series: str | Sequence[str] | None = None,
        start: datetime.date | str | None = None,
        end: datetime.date | str | None = None,
        **fields: str | Sequence[str],
    ) -> Catalog:
        """The complete files of a selection, with the schema and retention checks of a read."""
    def table_storage(self, profile: str) -> dict[str, Any] | None:
        """The profile's table on an object store: ``{"uri": "s3://...", "options": {...}}``
        with object_store's option names, credentials in clear (pass them on, never print
        them); None for a local table."""
    def files(
        self,
        profile: str,
        *,
        series: str | Sequence[str] | None = None,
        start: datetime.date | str | None = None,
        end: datetime.date | str | None = None,
        **fields: str | Sequence[str],
    ) -> list[FileEntry]:
        """The complete files of a selection, by series, date and path."""
    def dataset(
        self,
        profile: str,
        *,
        series: str | Sequence[str] | None = None,
        start: datetime.date | str | None = None,
        end: datetime.date | str | None = None,
        **fields: str | Sequence[str],
    ) -> pyarrow.dataset.Dataset:
        """A pyarrow Dataset over exactly the selection's files (needs datalake[read])."""
    def read(
        self,
        profile: str,
        *,
        series: str | Sequence[str] | None = None,
        start: datetime.date | str | None = None,
        end: datetime.date | str | None = None,
        columns: Sequence[str] | None = None,
        filter: Any = None,
        time_column: str | None = None,
        start_time: datetime.datetime | None = None,
        end_time: datetime.datetime | None = None,
        sort_by: str | Sequence[Any] | None = None,
        **fields: str | Sequence[str],
    ) -> pyarrow.Table:
        """The selection's rows as a pyarrow Table (see datalake.reader.read)."""
    def scan(
        self,
        profile: str,
        *,
        series: str | Sequence[str] | None = None,
        start: datetime.date | str | None = None,
        end: datetime.date | str | None = None,
        **fields: str | Sequence[str],
    ) -> polars.LazyFrame:
        """The selection as a Polars LazyFrame (needs datalake[read])."""
    def read_pandas(
        self,
        profile: str,
        *,
        series: str | Sequence[str] | None = None,
        start: datetime.date | str | None = None,
        end: datetime.date | str | None = None,
        columns: Sequence[str] | None = None,
        filter: Any = None,
        time_column: str | None = None,
        start_time: datetime.datetime | None = None,
        end_time: datetime.datetime | None = None,
        sort_by: str | Sequence[Any] | None = None,
        **fields: str | Sequence[str],
    ) -> pandas.DataFrame:
        """``read(...).to_pandas()`` (needs datalake[read])."""

@final
class FileEntry:
    """One complete file of a selection; ``os.fspath(entry)`` is its path."""

    @property
    def path(self) -> str: ...
    @property
    def series(self) -> str: ...
    @property
    def date(self) -> datetime.date: ...
    @property
    def size(self) -> int: ...
    @property
    def mtime(self) -> datetime.datetime: ...
    @property
    def fields(self) -> dict[str, str]: ...
    def __fspath__(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Catalog:
    """The complete files of a selection of one profile."""

    @property
    def profile(self) -> str: ...
    @property
    def root(self) -> Path: ...
    @property
    def fields(self) -> list[str]: ...
    @property
    def files(self) -> list[FileEntry]: ...
    def paths(self) -> list[str]: ...
    @property
    def partitions(self) -> list[dict[str, Any]]: ...
    @property
    def warnings(self) -> list[str]: ...
    def schema_files(self) -> list[str]:
        """One file per distinct Parquet schema; InvalidArgumentError naming two files on a type conflict."""
    def check_still_there(self) -> None:
        """LocalIOError (``.partition``) when a selected partition was removed since it was listed."""
    def to_dict(self) -> dict[str, Any]: ...
    def __len__(self) -> int: ...

@final
class HealthReport:
    """What ``datalake status --max-age`` decides; ``problems`` has one sentence per problem."""

    @property
    def ok(self) -> bool: ...
    @property
    def cli_exit_code(self) -> int:
        """The exit code of ``datalake status --max-age``: 1 when a profile has a problem."""
    @property
    def max_age_seconds(self) -> float: ...
    @property
    def checked_at(self) -> datetime.datetime: ...
    @property
    def problems(self) -> list[str]: ...
    @property
    def profiles(self) -> list[dict[str, Any]]: ...
    def to_dict(self) -> dict[str, Any]: ...

def validate_file(path: _StrPath) -> ValidationReport: ...
def config_keys() -> list[_ConfigKey]:
    """Every config key (scope, name, type, default, allowed range, doc): the validator's own table."""
def human_size(bytes: int) -> str: ...
def partition_date(path: _StrPath) -> datetime.date | None:
    """The date a partition directory name (or relative path) stands for."""
def parse_rsync_stats(text: str) -> dict[str, int]:
    """The numbers of rsync's ``--stats`` block in ``text``; zeros where absent."""
def all_error_kinds() -> list[_ErrorKindName]:
    """Every error kind of the core (as pydantic-core's list_all_errors)."""
def all_sync_statuses() -> list[_SyncStatus]:
    """Every sync status of the core, in severity order."""
def all_commands() -> list[_Command]:
    """Every command ``DataLake.select_profiles`` knows."""
def exit_codes() -> list[tuple[str, int]]:
    """The core's exit-code table: (name, code), in combining order."""
def worst_exit_code(codes: list[int]) -> int:
    """The worst of several exit codes of the table; ValueError for other codes."""
