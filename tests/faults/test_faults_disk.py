"""A full disk is recorded: the lake on a small tmpfs the test mounts, the
collector grows past it. Every run's outcome reaches the checkpoint (failed,
consecutive_failures counting, running cleared), status tells the truth, the
message names the filesystem and the space, and once there is room again the
next run completes the lake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import faultkit
import pytest
import sshd
import trees
from configs import WriteConfig


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "small-fs"
    why = faultkit.mount_tmpfs(mnt, "3m")
    if why is not None:
        pytest.skip(f"full-disk test skipped: {why}")
    try:
        yield mnt
    finally:
        faultkit.umount(mnt)


def test_full_disk_is_recorded_and_recovers(
    small_fs: Path, write_config: WriteConfig, ssh_server: sshd.SshServer, collector: Path, outside: Path
) -> None:
    lake = small_fs / "lake"
    config = write_config({"remote": {"source": {"remote_root": str(collector)}}}, root_dir=lake)
    checkpoint = lake / ".checkpoints" / "remote.json"
    before = faultkit.snapshot_outside([outside])

    first = faultkit.run_with_signal(faultkit.cli("sync", "remote", "--config", str(config)), None, 0)
    faultkit.assert_clean_output(first)
    assert first.returncode == 0, first.stderr

    # The collector grows past the filesystem.
    trees.write_file(collector, f"{trees.partition_name('ETH-USDT', trees.utc_today())}/part_07777.parquet", 5 << 20)
    for n in (1, 2):
        run = faultkit.run_with_signal(faultkit.cli("sync", "remote", "--config", str(config)), None, 0)
        faultkit.assert_clean_output(run)
        assert run.returncode == faultkit.EXIT_FAILED, run.stderr
        assert "could not be written" not in run.stderr, run.stderr
        # Which filesystem, how much is free, how much the run needed.
        assert f"the filesystem at {small_fs}" in run.stderr, run.stderr
        assert "free" in run.stderr and "needs about 5.00 MiB" in run.stderr, run.stderr
        doc = faultkit.load_checkpoint(checkpoint)
        faultkit.assert_checkpoint_valid(doc, "remote")
        assert doc is not None
        assert (doc["last_sync_status"], doc["consecutive_failures"], doc["running"]) == ("failed", n, None), doc
        assert any("No space left" in e or "disk is full" in e for e in doc["errors"]), doc["errors"]
        status = faultkit.run_with_signal(faultkit.cli("status", "--config", str(config), "--format", "json"), None, 0)
        assert status.returncode == 0, status.stderr
        assert [s["last_sync_status"] for s in json.loads(status.stdout)] == ["failed"], status.stdout
        faultkit.assert_no_half_written(lake / "remote", collector)

    faultkit.resize_tmpfs(small_fs, "32m")
    last = faultkit.run_with_signal(faultkit.cli("sync", "remote", "--config", str(config)), None, 0)
    assert last.returncode == 0, last.stderr
    doc = faultkit.load_checkpoint(checkpoint)
    assert doc is not None and (doc["last_sync_status"], doc["consecutive_failures"]) == ("success", 0)
    assert trees.tree_digest(lake / "remote") == trees.tree_digest(collector)
    assert faultkit.snapshot_outside([outside]) == before


def test_a_run_that_starts_on_a_full_disk_is_recorded(
    small_fs: Path, write_config: WriteConfig, ssh_server: sshd.SshServer, collector: Path
) -> None:
    # The disk fills up between runs (something else wrote to it): the next run
    # can still take its lock, mark itself running and record its failure.
    lake = small_fs / "lake"
    config = write_config({"remote": {"source": {"remote_root": str(collector)}}}, root_dir=lake)
    assert faultkit.run_with_signal(faultkit.cli("sync", "remote", "--config", str(config)), None, 0).returncode == 0
    filler = small_fs / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    trees.write_file(collector, f"{trees.partition_name('ETH-USDT', trees.utc_today())}/part_08888.parquet", 256 << 10)
    run = faultkit.run_with_signal(faultkit.cli("sync", "remote", "--config", str(config)), None, 0)
    faultkit.assert_clean_output(run)
    assert run.returncode == faultkit.EXIT_FAILED, run.stderr
    doc = faultkit.load_checkpoint(lake / ".checkpoints" / "remote.json")
    assert doc is not None
    assert (doc["last_sync_status"], doc["consecutive_failures"], doc["running"]) == ("failed", 1, None), doc
    filler.unlink()
