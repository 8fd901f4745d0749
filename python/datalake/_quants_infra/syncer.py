"""quants-infra's ``RsyncSyncer`` on datalake-core's sync engine and connection check."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from datalake._datalake import DataLake, DataLakeError, Source, SyncReport, parse_rsync_stats

from ._lake import DEFAULT_PORT, DEFAULT_SOURCE_TYPE, KEEP_ALL_DAYS, directory_lake

__all__ = ["RsyncSyncer"]


def _same_source(profile_source: Source, source_config: Mapping[str, Any]) -> bool:
    return bool(
        profile_source.type == (source_config.get("type") or DEFAULT_SOURCE_TYPE)
        and profile_source.host == source_config.get("host")
        and profile_source.user == source_config.get("user")
        and profile_source.port == (source_config.get("port") or DEFAULT_PORT)
        and profile_source.remote_root == source_config.get("remote_root")
    )


class RsyncSyncer:
    """rsync over SSH, as datalake runs it.

    ``DataLakeManager.syncer`` knows the manager's lake: a source dict that
    describes one of its profiles (same type, host, port, user, remote_root)
    runs as that profile, with all its settings (known_hosts,
    host_key_checking, timeouts, bwlimit, exclude). Any other source runs as
    a one-profile lake built from the dict.
    """

    def __init__(self, *, lake: DataLake | None = None) -> None:
        self._lake = lake

    def _configured(self, source_config: Mapping[str, Any], local_path: str | None = None) -> str | None:
        """Name of the manager's profile that ``source_config`` (and ``local_path``) describe."""
        if self._lake is None:
            return None
        for name, profile in self._lake.config.profiles.items():
            if not _same_source(profile.source, source_config):
                continue
            if local_path is None or Path(os.path.abspath(Path(local_path).expanduser())) == profile.local_dir:
                return name
        return None

    def sync(
        self,
        source_config: Mapping[str, Any],
        local_path: str,
        rsync_args: str | None = None,
        dry_run: bool = False,
        verbose: bool = True,
    ) -> dict[str, Any]:
        """Pull ``source_config``'s ``remote_root`` into ``local_path``; never raises for a failed transfer.

        ``rsync_args`` None means datalake's flags (``-rt --partial-dir=.rsync-partial``),
        not the old ``-az --partial --inplace``. No retention is applied here.
        Returns ``success``, ``files_transferred``, ``bytes_transferred``,
        ``duration_seconds``, ``stdout`` (empty: datalake parses rsync's output
        itself), ``stderr`` (the errors) and ``exit_code`` (rsync's, -1 when it did not run).
        ``verbose`` is accepted for compatibility; nothing is printed here (the manager prints).
        """
        started = time.monotonic()
        name = self._configured(source_config, local_path) if rsync_args is None else None
        lake = self._lake
        if name is None or lake is None:
            lake, profile = directory_lake(local_path, KEEP_ALL_DAYS, source=source_config, rsync_args=rsync_args)
            name = profile.name
        try:
            report = lake.sync(name, dry_run=dry_run, cleanup=False)
        except DataLakeError as e:
            failed = getattr(e, "report", None)
            if not isinstance(failed, SyncReport):
                return {
                    "success": False,
                    "files_transferred": 0,
                    "bytes_transferred": 0,
                    "duration_seconds": time.monotonic() - started,
                    "stdout": "",
                    "stderr": str(e),
                    "exit_code": -1,
                }
            report = failed
        return {
            "success": report.status == "success",
            "files_transferred": report.files_transferred,
            "bytes_transferred": report.bytes_transferred,
            "duration_seconds": report.duration_seconds,
            "stdout": "",
            "stderr": "\n".join(report.errors),
            "exit_code": -1 if report.rsync_exit_code is None else report.rsync_exit_code,
        }

    def test_connection(self, source_config: Mapping[str, Any]) -> bool:
        """True when the collector accepts the key and ``remote_root`` is readable there.

        On failure prints datalake's diagnosis (what failed and what to do).
        """
        name = self._configured(source_config)
        lake = self._lake
        if name is None or lake is None:
            # The local directory plays no part in a connection test.
            nowhere = Path(tempfile.gettempdir()) / "quants-infra-test-connection"
            lake, profile = directory_lake(nowhere, KEEP_ALL_DAYS, source=source_config)
            name = profile.name
        report = lake.test_connection(name)
        if not report.ok:
            print(f"连接测试失败: {report.message}")
        return report.ok

    def _parse_rsync_output(self, output: str) -> dict[str, int]:
        """``files_transferred`` and ``bytes_transferred`` from rsync's ``--stats`` block (``60,000`` is 60000)."""
        stats = parse_rsync_stats(output)
        return {"files_transferred": stats["files_transferred"], "bytes_transferred": stats["bytes_transferred"]}
