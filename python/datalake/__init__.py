"""datalake: pull date-partitioned market data from collector machines into a
local data lake with rsync over SSH.

The engine is the Rust crate datalake-core; this package exposes it to Python::

    import datalake

    lake = datalake.DataLake.open("config/data_lake.yml")
    report = lake.sync("cex_ticks", progress=lambda p: print(p.bytes_done))
    print(report.status, report.files_transferred)

``datalake.DataLakeManager`` is a drop-in for quants-infra's manager (plain
dicts), ``datalake.quants_infra`` for quants-infra's whole ``core.data_lake``
package, and ``datalake.cli.data_lake`` the click command group (``datalake``
on the command line). Rust log records arrive in :mod:`logging` under the
logger ``datalake``; the library never prints by itself.
"""

# First, before any slower import: a signal while the program starts ends it quietly.
from datalake import _startup

_startup.quiet_until_main()

import logging as _logging  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from datalake._datalake import (
    AuthenticationError,
    CancelledError,
    Catalog,
    Checkpoint,
    CleanupAllReport,
    CleanupReport,
    Config,
    ConfigError,
    ConnectError,
    ConnectionReport,
    Coverage,
    CoverageAllReport,
    DataLake,
    DataLakeError,
    Diagnostic,
    FileEntry,
    HealthReport,
    HostKeyError,
    InvalidArgumentError,
    LocalIOError,
    LockedError,
    Profile,
    ProfileNotFoundError,
    ProfileStats,
    Progress,
    RsyncNotFoundError,
    RunningMarker,
    RunRecord,
    SkippedPath,
    Source,
    SyncError,
    SyncAllReport,
    SyncReport,
    ToolNotFoundError,
    ValidationReport,
    VerifyAllReport,
    VerifyReport,
    __version__,
    all_commands,
    all_error_kinds,
    all_sync_statuses,
    human_size,
    validate_file,
)

if TYPE_CHECKING:
    from datalake.manager import DataLakeManager


def __getattr__(name: str) -> object:
    # The quants-infra manager (and what it imports) loads on first use: `datalake --version`
    # and `datalake status` start without it.
    if name == "DataLakeManager":
        from datalake.manager import DataLakeManager

        return DataLakeManager
    raise AttributeError(f"module 'datalake' has no attribute {name!r}")


# Library convention: no output unless the application configures logging.
_logging.getLogger("datalake").addHandler(_logging.NullHandler())

__all__ = [
    "AuthenticationError",
    "CancelledError",
    "Catalog",
    "Checkpoint",
    "CleanupAllReport",
    "CleanupReport",
    "Config",
    "ConfigError",
    "ConnectError",
    "ConnectionReport",
    "Coverage",
    "CoverageAllReport",
    "DataLake",
    "DataLakeError",
    "DataLakeManager",
    "Diagnostic",
    "FileEntry",
    "HealthReport",
    "HostKeyError",
    "InvalidArgumentError",
    "LocalIOError",
    "LockedError",
    "Profile",
    "ProfileNotFoundError",
    "ProfileStats",
    "Progress",
    "RsyncNotFoundError",
    "RunRecord",
    "RunningMarker",
    "SkippedPath",
    "Source",
    "SyncError",
    "SyncAllReport",
    "SyncReport",
    "ToolNotFoundError",
    "ValidationReport",
    "VerifyAllReport",
    "VerifyReport",
    "__version__",
    "all_commands",
    "all_error_kinds",
    "all_sync_statuses",
    "human_size",
    "validate_file",
]
