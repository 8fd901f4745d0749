"""``DataLake.cancel()`` and Ctrl-C stop ``verify`` and ``cleanup`` too, not only ``sync``:
every run registers its token on the handle (the core's run control).

The remote comparison of ``verify --remote`` is held at a gate on the collector
(tests/support/gated.py), so the stop always lands while rsync talks to the collector.
A cleanup is stopped from its own progress callback, which waits until another thread
has called ``cancel()``: the stop lands after the first deleted partition, every time.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import gated
import pytest
import trees
from configs import WriteConfig
from procs import processes_mentioning
from pyhelpers import wait_for

import datalake


@pytest.fixture
def gate(world_tmp: Path) -> Iterator[gated.Gate]:
    yield from gated.start(world_tmp)


def run_in_thread(call: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def body() -> None:
        try:
            out["result"] = call()
        except BaseException as e:  # noqa: B036 - the test looks at whatever came out
            out["error"] = e

    t = threading.Thread(target=body)
    t.start()
    return t, out


def test_cancel_stops_a_remote_verify(gate: gated.Gate, write_config: WriteConfig, collector: Path) -> None:
    lake = datalake.DataLake.open(write_config({"remote": gate.profile(collector)}))
    thread, out = run_in_thread(lambda: lake.verify("remote", remote=True))
    gate.wait_reached()
    cancelled = time.monotonic()
    lake.cancel()
    thread.join(30)
    elapsed = time.monotonic() - cancelled
    assert not thread.is_alive()
    err = out.get("error")
    assert isinstance(err, datalake.CancelledError), out
    assert str(err).startswith("verify of profile remote was interrupted"), err
    assert err.kind == "interrupted" and err.cli_exit_code == 130
    assert elapsed < 5, elapsed
    gate.release()
    wait_for(lambda: not processes_mentioning(str(collector)), 15, "rsync/ssh to be gone")

    # The next run on the handle is not cancelled by the earlier cancel().
    assert lake.verify("remote").ok


def test_ctrl_c_stops_a_remote_verify_on_the_cli(gate: gated.Gate, write_config: WriteConfig, collector: Path) -> None:
    config = write_config({"remote": gate.profile(collector)})
    proc = subprocess.Popen(
        [sys.executable, "-m", "datalake", "verify", "remote", "--remote", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        gate.wait_reached()
        os.kill(proc.pid, signal.SIGINT)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
        gate.release()
    assert proc.returncode == 130, (out, err)
    assert elapsed < 5, elapsed
    assert "Traceback" not in err and "interrupted" in err, err
    wait_for(lambda: not processes_mentioning(str(collector)), 15, "rsync/ssh to be gone")


def expired_lake(root: Path, profile: str, days: int) -> Path:
    """``days`` expired partitions (3 files each) and today's, in ``root/profile``."""
    lake = root / profile
    today = trees.utc_today()
    for n in range(40, 40 + days):
        for part in range(3):
            trees.write_file(lake, f"{trees.partition_name('OLD', today - dt.timedelta(days=n))}/p{part}.parquet", 100)
    trees.write_file(lake, f"{trees.partition_name('NEW', today)}/p.parquet", 100)
    return lake


class CancelAtFirstProgress:
    """A progress callback that, at its first call, waits until the test has cancelled."""

    def __init__(self) -> None:
        self.first = threading.Event()
        self.cancelled = threading.Event()
        self.calls: list[datalake.Progress] = []

    def __call__(self, p: datalake.Progress) -> None:
        self.calls.append(p)
        if not self.first.is_set():
            self.first.set()
            assert self.cancelled.wait(30), "the test did not cancel"

    def cancel(self, lake: datalake.DataLake) -> None:
        assert self.first.wait(30), "no progress from the cleanup"
        lake.cancel()
        self.cancelled.set()


def test_cancel_stops_a_cleanup(write_config: WriteConfig, collector: Path, tmp_path: Path) -> None:
    source = {"type": "local", "remote_root": str(collector)}
    config = write_config({"p": {"source": source, "retention_days": 3}})
    lake_dir = expired_lake(tmp_path / "lake", "p", days=20)
    lake = datalake.DataLake.open(config)
    progress = CancelAtFirstProgress()
    thread, out = run_in_thread(lambda: lake.cleanup("p", progress=progress))
    progress.cancel(lake)
    thread.join(30)
    err = out.get("error")
    assert isinstance(err, datalake.CancelledError), out
    assert str(err).startswith("cleanup of profile p was interrupted"), err
    [first] = progress.calls
    assert first.profile == "p" and first.files_done == 3 and first.bytes_done == 300
    assert first.current_file is not None and first.current_file.startswith("gate_io_OLD_")
    left = sorted(d.name for d in lake_dir.iterdir())
    assert len(left) == 20 and first.current_file not in left, left  # one partition went, then it stopped

    # Not cancelled, the next cleanup finishes the job.
    report = lake.cleanup("p")
    assert report.deleted_dirs == 19 and report.to_dict()["deleted_dirs"] == 19


def test_cancel_ends_cleanup_all_at_the_interrupted_profile(
    write_config: WriteConfig, collector: Path, tmp_path: Path
) -> None:
    source = {"type": "local", "remote_root": str(collector)}
    profiles = {name: {"source": source, "retention_days": 3} for name in ("a", "b")}
    config = write_config(profiles)
    for name in profiles:
        expired_lake(tmp_path / "lake", name, days=5)
    lake = datalake.DataLake.open(config)
    progress = CancelAtFirstProgress()
    thread, out = run_in_thread(lambda: lake.cleanup_all(progress=progress))
    progress.cancel(lake)
    thread.join(30)
    report = out.get("result")
    assert isinstance(report, datalake.CleanupAllReport), out
    # A cancel() is an outcome, not an exception: the aggregate says 130; b was not attempted.
    assert (report.cli_exit_code, report.ok, len(report)) == (130, False, 1)
    [(name, error)] = report.results
    assert name == "a" and isinstance(error, datalake.CancelledError)
    assert report.errors == [error] and report.reports == []
    with pytest.raises(datalake.CancelledError):
        report.raise_for_status()
    assert report.to_dict()["results"][0]["error"]["kind"] == "interrupted"
    assert len(list((tmp_path / "lake" / "b").iterdir())) == 6
