"""Drop-in replacement for quants-infra's ``core.data_lake.manager.DataLakeManager``.

Same constructor, attributes (``config``, ``syncer``, ``cleaner``,
``checkpoint_mgr``, ``stats``), methods, plain-dict results and console lines,
so existing scripts switch by changing one import::

    from datalake import DataLakeManager   # was: from core.data_lake.manager import ...

(or quants-infra's whole ``core.data_lake`` package: see :mod:`datalake.quants_infra`).
Everything is delegated to :class:`datalake.DataLake`; this module only
reshapes the reports into the legacy dicts and prints the legacy lines (plus
plain progress lines) when ``verbose=True``.
"""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from typing import Any, Callable, TextIO

from datalake._datalake import (
    DataLake,
    DataLakeError,
    Profile,
    ProfileNotFoundError,
    Progress,
    SyncReport,
    validate_file,
)
from datalake._quants_infra import console
from datalake._quants_infra._text import format_bytes
from datalake._quants_infra.checkpoint import CheckpointManager
from datalake._quants_infra.cleaner import RetentionCleaner, print_cleanup
from datalake._quants_infra.config import RootConfig, from_lake_config
from datalake._quants_infra.stats import StatsCollector
from datalake._quants_infra.syncer import RsyncSyncer

__all__ = ["DataLakeManager"]


def _legacy_date(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _legacy_time(when: datetime | None) -> str | None:
    """Naive local time with microseconds, the form the checkpoint file keeps
    (the core writes it the same way: always six fraction digits). Converted
    here, in the caller's process time zone, as the old tool did."""
    return when.astimezone().replace(tzinfo=None).isoformat(timespec="microseconds") if when is not None else None


class DataLakeManager:
    """Sync, inspect and clean the data lake described by a quants-infra config file."""

    def __init__(self, config_path: str = "config/data_lake.yml") -> None:
        """Load the config; FileNotFoundError if the file is missing, ConfigError if it is invalid."""
        self.config_path = str(config_path)
        if not os.path.exists(self.config_path):
            raise FileNotFoundError(
                f"data lake config not found: {self.config_path}. Create it from the example in the "
                f"datalake repository: `cp config/data_lake.yml.example {self.config_path}`, then edit root_dir "
                "and each profile's source (host, user, ssh_key, remote_root), and check it with "
                f"`datalake validate --config {self.config_path}`; or pass the path of an existing config "
                "to DataLakeManager()"
            )
        self.lake = DataLake.open(self.config_path)
        # What quants-infra code reaches into: the RootConfig-shaped config and the components.
        self.config: RootConfig = from_lake_config(self.lake.config)
        self.syncer = RsyncSyncer(lake=self.lake)
        self.cleaner = RetentionCleaner()
        self.checkpoint_mgr = CheckpointManager()
        self.stats = StatsCollector()

    # ------------------------------------------------------------ helpers

    def _profile(self, profile_name: str) -> Profile:
        try:
            return self.lake.profile(profile_name)
        except ProfileNotFoundError as e:
            # The legacy manager raised ValueError("Profile 不存在: <name>"); callers match that text.
            raise ValueError(f"Profile 不存在: {profile_name} ({e})") from e

    @staticmethod
    def _out() -> TextIO:
        return sys.stdout

    @staticmethod
    def _result(report: SyncReport) -> dict[str, Any]:
        return {
            "success": report.ok,
            "profile_name": report.profile,
            "files_transferred": report.files_transferred,
            "bytes_transferred": report.bytes_transferred,
            "duration_seconds": report.duration_seconds,
            "cleanup_performed": report.cleanup is not None and not report.dry_run,
        }

    def _failure(self, profile_name: str, error: DataLakeError) -> dict[str, Any]:
        report = getattr(error, "report", None)
        if isinstance(report, SyncReport):
            result = self._result(report)
        else:
            result = {
                "success": False,
                "profile_name": profile_name,
                "files_transferred": 0,
                "bytes_transferred": 0,
                "duration_seconds": 0.0,
                "cleanup_performed": False,
            }
        result["error"] = str(error)
        return result

    def _print_report(self, report: SyncReport, dry_run: bool) -> None:
        profile = self.lake.profile(report.profile)
        console.sync_result(
            self._out(),
            self._result(report),
            report.errors,
            report.warnings,
            recorded=not dry_run,
            cleanup=None if dry_run else report.cleanup,
            retention_days=profile.retention_days,
        )

    def _format_bytes(self, bytes_count: float) -> str:
        """The old tool's size strings: ``1.0 KB`` for 1024 bytes."""
        return format_bytes(bytes_count)

    # ------------------------------------------------------------ legacy API

    def sync_profile(self, profile_name: str, dry_run: bool = False, verbose: bool = True) -> dict[str, Any]:
        """Sync one profile; a disabled profile gives ``{'success': False, 'message', 'profile_name'}``."""
        profile = self._profile(profile_name)
        if not profile.enabled:
            return {
                "success": False,
                "message": f"Profile {profile_name} 未启用",
                "profile_name": profile_name,
            }
        out = self._out()
        if verbose:
            console.sync_header(out, profile, self.checkpoint_mgr.load_checkpoint(profile.checkpoint_file))
        progress: Callable[[Progress], None] | None = None
        if verbose:
            # Imported here: `import datalake` (and every `datalake` command) need not load it.
            from datalake._progress import ProgressDisplay

            # Plain progress lines on `out`, at most one per second.
            progress = ProgressDisplay(tty=False, interval=1.0, style="plain", out=out)
        try:
            report = self.lake.sync(profile_name, dry_run=dry_run, progress=progress)
        except DataLakeError as e:
            failure = self._failure(profile_name, e)
            if verbose:
                ran = isinstance(getattr(e, "report", None), SyncReport)
                recorded = ran and not dry_run
                console.sync_result(out, failure, [str(e)], [], recorded=recorded, cleanup=None, retention_days=0)
            return failure
        if verbose:
            self._print_report(report, dry_run)
        return self._result(report)

    def sync_all(self, dry_run: bool = False, verbose: bool = True) -> dict[str, Any]:
        """Sync every enabled profile in turn; ``profiles`` lists each sync_profile() dict.

        The summary lines are printed even with ``verbose=False``, as before.
        """
        names = self.lake.select_profiles("sync")  # the core's table: sync --all covers the enabled profiles
        if not names:
            print("没有已启用的 profiles", file=self._out(), flush=True)
            return {"success": True, "profiles": []}
        results = [self.sync_profile(name, dry_run=dry_run, verbose=verbose) for name in names]
        console.sync_all_summary(self._out(), results)
        return {
            "success": all(r["success"] for r in results),
            "profiles": results,
            "total_files": sum(int(r["files_transferred"]) for r in results),
            "total_bytes": sum(int(r["bytes_transferred"]) for r in results),
        }

    def get_stats(self, profile_name: str) -> dict[str, Any]:
        """The legacy statistics dict, with the legacy value types: paths as ``str``,
        sizes and counts as ``int``, dates as ``YYYY-MM-DD`` strings (or None),
        remote_source ``user@host:remote_root``, and last_sync_time as the old
        checkpoint held it: a naive local-time ISO string such as
        ``2026-11-26T03:03:41.514316`` (Python 3.9/3.10 ``datetime.fromisoformat``
        rejects a trailing ``Z``)."""
        self._profile(profile_name)
        s = self.lake.stats(profile_name)
        return {
            "profile_name": s.profile_name,
            "local_path": str(s.local_path),
            "remote_source": s.remote_source,
            "exists": s.exists,
            "total_size": s.total_size,
            "total_size_human": format_bytes(s.total_size),
            "file_count": s.file_count,
            "dir_count": s.dir_count,
            "earliest_date": _legacy_date(s.earliest_date),
            "latest_date": _legacy_date(s.latest_date),
            "last_sync_time": _legacy_time(s.last_sync_time),
            "last_sync_status": s.last_sync_status,
            "retention_days": s.retention_days,
        }

    def cleanup(self, profile_name: str, dry_run: bool = False, verbose: bool = True) -> dict[str, Any]:
        """Apply retention; returns ``deleted_dirs``, ``deleted_files``, ``freed_bytes``, ``deleted_paths``."""
        profile = self._profile(profile_name)
        out = self._out()
        if verbose:
            console.cleanup_header(out, profile, dry_run)
        report = self.lake.cleanup(profile_name, dry_run=dry_run)
        if profile.local_dir.is_dir():
            print_cleanup(report, profile.retention_days, verbose)
        if verbose:
            console.cleanup_footer(out, report)
        return {
            "deleted_dirs": report.deleted_dirs,
            "deleted_files": report.deleted_files,
            "freed_bytes": report.freed_bytes,
            "deleted_paths": [str(p) for p in report.deleted_paths],
        }

    def validate_config(self) -> bool:
        """Re-check the config file: print the old summary and return True, or every error and False."""
        report = validate_file(self.config_path)
        out = self._out()
        if not report.ok:
            print("❌ 配置验证失败:", file=out)
            for d in report.errors:
                print(f"  {d}", file=out)
            out.flush()
            return False
        config = self.lake.config
        console.valid_config(out, str(config.root_dir), len(config.profiles), len(config.enabled_profiles()))
        for w in report.warnings:
            print(f"  警告: {w}", file=out)
        out.flush()
        return True

    def get_enabled_profiles(self) -> list[str]:
        """Names of the enabled profiles, in name order."""
        return self.lake.config.enabled_profiles()
