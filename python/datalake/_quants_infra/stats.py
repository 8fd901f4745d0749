"""quants-infra's ``StatsCollector`` on datalake-core's statistics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from datalake._datalake import partition_date

from . import _text
from ._lake import DEFAULT_RETENTION_DAYS, directory_lake
from .cleaner import _as_datetime

__all__ = ["StatsCollector"]


class StatsCollector:
    """Statistics of a data directory as the old dicts, and the old ``stats`` table."""

    def get_profile_stats(
        self,
        profile_name: str,
        profile_config: Mapping[str, Any],
        checkpoint_data: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The old statistics dict for ``root_dir/local_subdir`` of ``profile_config``.

        Sizes, counts and dates come from datalake-core's walk of the
        directory (partial transfers in ``.rsync-partial`` are not counted);
        ``last_sync_time``/``last_sync_status`` from ``checkpoint_data``, as before.
        """
        local_path = Path(profile_config.get("root_dir", "/data/lake")) / profile_config.get("local_subdir", "")
        source = profile_config.get("source", {})
        remote_source = (
            f"{source.get('user', 'unknown')}@{source.get('host', 'unknown')}:{source.get('remote_root', 'unknown')}"
        )
        retention_days = int(profile_config.get("retention_days", DEFAULT_RETENTION_DAYS))
        lake, profile = directory_lake(local_path, retention_days)
        s = lake.stats(profile.name)
        synced = checkpoint_data or {}
        return {
            "profile_name": profile_name,
            "local_path": str(local_path),
            "remote_source": remote_source,
            "exists": s.exists,
            "total_size": s.total_size,
            "total_size_human": self._format_bytes(s.total_size),
            "file_count": s.file_count,
            "dir_count": s.dir_count,
            "earliest_date": None if s.earliest_date is None else s.earliest_date.isoformat(),
            "latest_date": None if s.latest_date is None else s.latest_date.isoformat(),
            "last_sync_time": synced.get("last_sync_time") if s.exists else None,
            "last_sync_status": synced.get("last_sync_status") if s.exists else None,
            "retention_days": retention_days,
        }

    def format_stats_table(self, stats: Mapping[str, Any]) -> str:
        """The ``quants-infra data-lake stats`` table for one stats dict."""
        return _text.stats_table(stats)

    def _format_bytes(self, bytes_count: float) -> str:
        return _text.format_bytes(bytes_count)

    def _extract_date_from_dirname(self, dirname: str) -> dt.datetime | None:
        return _as_datetime(partition_date(dirname))

    def _time_ago(self, when: dt.datetime) -> str:
        return _text.time_ago(when)
