"""quants-infra's ``RetentionCleaner`` on datalake-core's retention."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from datalake._datalake import CleanupReport, partition_date

from . import _text
from ._lake import directory_lake

__all__ = ["RetentionCleaner", "legacy_cutoff", "expired_partitions"]


def legacy_cutoff(report: CleanupReport) -> dt.date:
    """The old tool's "截止日期": the newest expired day, one before datalake's first kept day."""
    return report.cutoff_date - dt.timedelta(days=1)


def expired_partitions(report: CleanupReport) -> list[tuple[str, int, int]]:
    """(directory name, bytes, files) of each partition the report deleted or would delete."""
    return [
        (Path(entry["path"]).name, int(entry["bytes"]), int(entry["files"]))
        for entry in report.to_dict()["deleted"]
        if entry["date"] is not None
    ]


def print_cleanup(report: CleanupReport, retention_days: int, verbose: bool) -> None:
    """The old cleaner's lines for ``report`` (with ``verbose=False`` a dry run still lists what would go)."""
    found = expired_partitions(report)
    if verbose:
        lines = _text.cleanup_lines(retention_days, legacy_cutoff(report), found, listed=True)
        lines += [f"警告: {w}" for w in report.warnings]
    elif report.dry_run:
        lines = _text.cleanup_lines(retention_days, legacy_cutoff(report), found, listed=True)[3:]
    else:
        return
    for line in lines:
        print(line)


class RetentionCleaner:
    """Deletes date partitions older than the retention period, by datalake's rules.

    datalake-core decides what goes: dated directory names it recognises,
    never symlinks, other filesystems, undated directories, top-level files
    or the newest day; old ``.rsync-partial`` leftovers go too. Dates follow
    the local calendar, as before.
    """

    def cleanup_old_data(
        self,
        local_path: str | os.PathLike[str],
        retention_days: int,
        dry_run: bool = False,
        verbose: bool = True,
    ) -> dict[str, Any]:
        """``deleted_dirs``, ``deleted_files``, ``freed_bytes``, ``deleted_paths`` (what would go, on a dry run)."""
        lake, profile = directory_lake(local_path, retention_days)
        report = lake.cleanup(profile.name, dry_run=dry_run)
        if profile.local_dir.is_dir():
            print_cleanup(report, retention_days, verbose)
        return {
            "deleted_dirs": report.deleted_dirs,
            "deleted_files": report.deleted_files,
            "freed_bytes": report.freed_bytes,
            "deleted_paths": [str(p) for p in report.deleted_paths],
        }

    def get_retention_info(self, local_path: str | os.PathLike[str], retention_days: int) -> dict[str, Any]:
        """``total_dirs`` (dated partitions), ``expired_dirs``, ``expired_size`` and ``cutoff_date``
        (the newest expired day), without deleting anything."""
        lake, profile = directory_lake(local_path, retention_days)
        if not profile.local_dir.is_dir():
            return {"total_dirs": 0, "expired_dirs": 0, "expired_size": 0, "cutoff_date": None}
        plan = lake.cleanup(profile.name, dry_run=True)
        return {
            "total_dirs": lake.stats(profile.name).partition_count,
            "expired_dirs": plan.deleted_dirs,
            "expired_size": plan.freed_bytes,
            "cutoff_date": legacy_cutoff(plan).isoformat(),
        }

    def _extract_date_from_dirname(self, dirname: str) -> dt.datetime | None:
        """Midnight of the date a partition directory name stands for, or None."""
        return _as_datetime(partition_date(dirname))

    def _format_bytes(self, bytes_count: float) -> str:
        return _text.format_bytes(bytes_count, zero="0.0 B")


def _as_datetime(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else dt.datetime(day.year, day.month, day.day)
