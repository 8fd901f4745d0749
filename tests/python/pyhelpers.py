"""Helpers for the Python package tests (importable: tests/python is on sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import trees

import datalake

PROFILE = "cex_ticks"

# The keys quants-infra's get_stats() returned, in its order: the drop-in and the
# CLI's stats JSON must keep them. Written out here, not imported from the package,
# so the tests check the code against the issue rather than against itself.
LEGACY_STATS_KEYS = (
    "profile_name",
    "local_path",
    "remote_source",
    "exists",
    "total_size",
    "total_size_human",
    "file_count",
    "dir_count",
    "earliest_date",
    "latest_date",
    "last_sync_time",
    "last_sync_status",
    "retention_days",
)


@dataclass
class LocalLake:
    """A config with one ``type: local`` profile reading ``collector``."""

    config: Path
    collector: Path
    root: Path
    profile: str = PROFILE

    @property
    def local_dir(self) -> Path:
        return self.root / self.profile

    def open(self) -> datalake.DataLake:
        return datalake.DataLake.open(self.config)


def big_collector(collector: Path, size: int = 4 * 1024 * 1024) -> Path:
    """Add one large file to today's partition, so that a bwlimit-ed sync takes a while."""
    day = trees.utc_today()
    return trees.write_file(collector, f"{trees.partition_name('BTC-USDT', day)}/part_09999.parquet", size)


def child_pids(pid: int) -> list[int]:
    """Every descendant process of ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out: list[int] = []
    todo = [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def process_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The installed console script's code, as a real subprocess (``python -m datalake``)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "datalake", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )
