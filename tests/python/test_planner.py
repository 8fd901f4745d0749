"""Windowed and full runs through the Python API and the CLI (real sshd and rsync)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import trees
from configs import WriteConfig

import datalake


def late_and_fresh(collector: Path) -> tuple[str, str]:
    """Add a late file to a 2-day-old partition and a new part to today's; return both paths."""
    today = trees.utc_today()
    late = f"{trees.partition_name('BTC-USDT', today - dt.timedelta(days=2))}/part_99999.parquet"
    fresh = f"{trees.partition_name('BTC-USDT', today)}/part_99999.parquet"
    trees.write_file(collector, late, 300, 5)
    trees.write_file(collector, fresh, 300, 6)
    return late, fresh


def test_window_then_full_true(write_config: WriteConfig, collector: Path, tmp_path: Path) -> None:
    cfg = write_config({"p": {"source": {"remote_root": str(collector)}, "window_days": 1, "full_sync_every": "7d"}})
    lake = datalake.DataLake.open(cfg)
    profile = lake.profile("p")
    assert (profile.window_days, profile.full_sync_every, profile.parallel) == (1, dt.timedelta(days=7), 1)
    assert profile.to_dict()["full_sync_every"] == 7 * 86400
    first = lake.sync("p")
    assert first.mode == "full" and first.full_sync_reason and "first sync" in first.full_sync_reason
    assert first.files_missed_by_window is None
    cp = lake.checkpoint("p")
    assert cp is not None and cp.last_full_sync_time == first.started_at

    late, fresh = late_and_fresh(collector)
    local = tmp_path / "lake" / "p"
    window = lake.sync("p")
    assert (window.mode, window.full_sync_reason, window.streams) == ("window", None, 1)
    assert window.partitions_covered == len(trees.DEFAULT_SYMBOLS)
    # Only BTC's partition got a new part: the others were left out by the quick check.
    assert window.partitions_unchanged == len(trees.DEFAULT_SYMBOLS) - 1
    assert window.to_dict()["partitions_unchanged"] == window.partitions_unchanged
    assert (local / fresh).is_file() and not (local / late).exists()
    assert window.to_dict()["mode"] == "window"

    full = lake.sync("p", full=True)
    assert full.mode == "full" and full.full_sync_reason and "--full" in full.full_sync_reason
    assert full.files_missed_by_window == 1
    assert any("window_days" in w for w in full.warnings)
    assert (local / late).is_file()

    # The metrics carry the last run's mode and count the late file.
    metrics = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in lake.metrics(["p"]).splitlines()
        if not line.startswith("#")
    }
    assert metrics['data_lake_last_sync_mode{profile="p",mode="full"}'] == 1
    assert metrics['data_lake_last_sync_mode{profile="p",mode="window"}'] == 0
    assert metrics['data_lake_files_missed_by_window_total{profile="p"}'] == 1
    # Milliseconds, like the other timestamp gauges.
    assert abs(metrics['data_lake_last_full_sync_timestamp_seconds{profile="p"}'] - full.started_at.timestamp()) < 0.001


def test_cli_full_flag_and_json(write_config: WriteConfig, collector: Path, tmp_path: Path) -> None:
    cfg = write_config({"p": {"source": {"remote_root": str(collector)}, "window_days": 1}})
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "datalake", *a, "--config", str(cfg)], capture_output=True, text=True, timeout=120
    )
    assert run("sync", "p").returncode == 0
    late, _ = late_and_fresh(collector)
    r = run("sync", "p")
    assert r.returncode == 0, r.stderr
    assert "sync p: window run, 2 partitions (1 unchanged)" in r.stderr, r.stderr
    r = run("sync", "p", "--full", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["mode"] == "full" and doc["files_missed_by_window"] == 1 and doc["streams"] == 1
    assert "full run (a full sync was asked for (--full))" in r.stderr
    assert "1 file(s) in partitions older than the window" in r.stderr
    assert (tmp_path / "lake" / "p" / late).is_file()

    # --log-format json: the plan is an event with its fields, the finish carries the mode.
    r = run("--log-format", "json", "sync", "p")
    assert r.returncode == 0, r.stderr
    docs = [json.loads(line) for line in r.stderr.splitlines()]
    (plan,) = [d for d in docs if d["event"] == "sync_plan"]
    assert (plan["profile"], plan["level"]) == ("p", "info")
    assert plan["fields"] == {
        "mode": "window",
        "full_sync_reason": None,
        "partitions_covered": 2,
        "partitions_unchanged": 2,
        "files_missed_by_window": None,
        "streams": 1,
    }
    (finished,) = [d for d in docs if d["event"] == "sync_finished"]
    assert finished["fields"]["mode"] == "window"
