"""Drop-in replacement for quants-infra's ``core.data_lake.manager.DataLakeManager``.

Same constructor, methods and plain-dict results, so existing scripts switch
by changing one import::

    from datalake import DataLakeManager   # was: from core.data_lake.manager import ...

Everything is delegated to :class:`datalake.DataLake`; this module only
reshapes the reports into the legacy dicts and prints the legacy plain
progress lines when ``verbose=True``.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import date, datetime
from typing import Any, Callable, TextIO

from datalake._datalake import (
    DataLake,
    DataLakeError,
    Profile,
    ProfileNotFoundError,
    Progress,
    SyncReport,
    human_size,
    validate_file,
)

__all__ = ["DataLakeManager"]

_log = logging.getLogger("datalake.manager")

def _legacy_date(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _legacy_time(when: datetime | None) -> str | None:
    """Naive local time with microseconds, the form the checkpoint file keeps
    (the core writes it the same way: always six fraction digits). Converted
    here, in the caller's process time zone, as the old tool did."""
    return when.astimezone().replace(tzinfo=None).isoformat(timespec="microseconds") if when is not None else None


class _ProgressPrinter:
    """Plain progress lines (no control characters), at most one per second."""

    def __init__(self, out: TextIO, interval: float = 1.0) -> None:
        self._out = out
        self._interval = interval
        self._last = 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self._last < self._interval:
            return
        self._last = now
        done = human_size(p.bytes_done)
        if p.bytes_total:
            pct = 100.0 * p.bytes_done / p.bytes_total
            amount = f"{done} / {human_size(p.bytes_total)} ({pct:.0f}%)"
        else:
            amount = done
        line = f"  [{p.profile}] {amount}, {p.files_done} files, {human_size(int(p.rate))}/s"
        if p.current_file:
            line += f"  {p.current_file}"
        print(line, file=self._out, flush=True)


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

    # ------------------------------------------------------------ helpers

    def _profile(self, profile_name: str) -> Profile:
        try:
            return self.lake.profile(profile_name)
        except ProfileNotFoundError as e:
            # The legacy manager raised ValueError for unknown profiles.
            raise ValueError(str(e)) from e

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
        out = self._out()
        prefix = "[DRY RUN] " if dry_run else ""
        if report.status == "success":
            print(
                f"{prefix}Sync completed: {report.profile}: {report.files_transferred} files, "
                f"{human_size(report.bytes_transferred)} in {report.duration_seconds:.1f}s",
                file=out,
            )
        else:
            print(f"{prefix}Sync {report.status}: {report.profile}", file=out)
        for line in report.errors:
            print(f"  error: {line}", file=out)
        for line in report.warnings:
            print(f"  warning: {line}", file=out)
        if report.cleanup is not None and report.cleanup.deleted_dirs:
            c = report.cleanup
            print(
                f"Cleanup: deleted {c.deleted_dirs} directories, {c.deleted_files} files, "
                f"freed {human_size(c.freed_bytes)}",
                file=out,
            )
        out.flush()

    # ------------------------------------------------------------ legacy API

    def sync_profile(self, profile_name: str, dry_run: bool = False, verbose: bool = True) -> dict[str, Any]:
        """Sync one profile; a disabled profile gives ``{'success': False, 'message', 'profile_name'}``."""
        profile = self._profile(profile_name)
        if not profile.enabled:
            return {
                "success": False,
                "message": f"Profile {profile_name} is disabled",
                "profile_name": profile_name,
            }
        out = self._out()
        if verbose:
            print(f"Syncing profile: {profile_name}", file=out)
            print(f"  Source: {profile.remote_source}", file=out)
            print(f"  Destination: {profile.local_dir}", file=out)
            out.flush()
        progress: Callable[[Progress], None] | None = _ProgressPrinter(out) if verbose else None
        try:
            report = self.lake.sync(profile_name, dry_run=dry_run, progress=progress)
        except DataLakeError as e:
            if verbose:
                print(f"Sync failed: {profile_name}: {e}", file=out, flush=True)
            return self._failure(profile_name, e)
        if verbose:
            self._print_report(report, dry_run)
        return self._result(report)

    def sync_all(self, dry_run: bool = False, verbose: bool = True) -> dict[str, Any]:
        """Sync every enabled profile; ``profiles`` maps each name to its sync_profile() dict."""
        out = self._out()
        names = self.get_enabled_profiles()
        if verbose:
            print(f"Syncing {len(names)} enabled profiles: {', '.join(names)}", file=out, flush=True)
        progress: Callable[[Progress], None] | None = _ProgressPrinter(out) if verbose else None
        all_reports = self.lake.sync_all(dry_run=dry_run, progress=progress)
        results: dict[str, dict[str, Any]] = {}
        for report in all_reports:
            result = self._result(report)
            if not report.ok:
                result["error"] = "; ".join(report.errors)
            results[report.profile] = result
            if verbose:
                self._print_report(report, dry_run)
        summary: dict[str, Any] = {
            "success": all_reports.ok,
            "profiles": results,
            "total_files": all_reports.files_transferred,
            "total_bytes": all_reports.bytes_transferred,
        }
        if verbose:
            print(
                f"All profiles: {summary['total_files']} files, {human_size(summary['total_bytes'])} transferred",
                file=out,
                flush=True,
            )
        return summary

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
            "total_size_human": s.total_size_human,
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
        self._profile(profile_name)
        report = self.lake.cleanup(profile_name, dry_run=dry_run)
        result: dict[str, Any] = {
            "deleted_dirs": report.deleted_dirs,
            "deleted_files": report.deleted_files,
            "freed_bytes": report.freed_bytes,
            "deleted_paths": [str(p) for p in report.deleted_paths],
        }
        if verbose:
            out = self._out()
            verb = "Would delete" if dry_run else "Deleted"
            for path in result["deleted_paths"]:
                print(f"  {verb}: {path}", file=out)
            print(
                f"{verb} {report.deleted_dirs} directories, {report.deleted_files} files, "
                f"{human_size(report.freed_bytes)} (keeping {self.lake.profile(profile_name).retention_days} days)",
                file=out,
            )
            for warning in report.warnings:
                print(f"  warning: {warning}", file=out)
            out.flush()
        return result

    def validate_config(self) -> bool:
        """True when the config file has no errors (problems are logged at WARNING level)."""
        report = validate_file(self.config_path)
        for d in report.errors:
            _log.warning("%s", d)
        return report.ok

    def get_enabled_profiles(self) -> list[str]:
        """Names of the enabled profiles, in name order."""
        return self.lake.config.enabled_profiles()
