"""Concurrent runs of one profile, and a hostile collector."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import faultkit
import sshd
import trees
from configs import WriteConfig


def test_concurrent_runs_of_one_profile(
    write_config: WriteConfig, ssh_server: sshd.SshServer, collector: Path, tmp_path: Path
) -> None:
    trees.write_file(collector, f"{trees.partition_name('BTC-USDT', trees.utc_today())}/part_09999.parquet", 2 << 20)
    config = write_config({"remote": {"source": {"remote_root": str(collector)}, "bwlimit": 1000}})
    n = faultkit.scaled(6, 10)
    procs = [
        subprocess.Popen(faultkit.cli("sync", "remote", "--config", str(config)), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(n)
    ]
    results = [(p.pid, p.wait(timeout=120), *p.communicate()) for p in procs]
    for _, code, out, err in results:
        faultkit.assert_clean_output(faultkit.Run(code, out, err, 0))
    codes = sorted(code for _, code, _, _ in results)
    assert codes == [0] + [faultkit.EXIT_LOCKED] * (n - 1), codes
    winner = next(pid for pid, code, _, _ in results if code == 0)
    for _, code, _, err in results:
        if code == faultkit.EXIT_LOCKED:
            assert re.search(rf"pid {winner}\b", err), err  # names the holder
    doc = faultkit.load_checkpoint(tmp_path / "lake" / ".checkpoints" / "remote.json")
    assert doc is not None and doc["last_sync_status"] == "success" and len(doc["history"]) == 1, doc
    assert trees.tree_digest(tmp_path / "lake" / "remote") == trees.tree_digest(collector)


def test_hostile_collector_changes_nothing_outside_the_lake(
    write_config: WriteConfig, ssh_server: sshd.SshServer, collector: Path, tmp_path: Path, outside: Path
) -> None:
    day = trees.partition_name("BTC-USDT", trees.utc_today())
    part = collector / day
    os.symlink(str(outside), part / "escape")  # a directory symlink out of the tree
    os.symlink(str(outside / "keep.txt"), part / "escape_file.parquet")
    os.symlink("../../../../../../../../etc/passwd", part / "passwd.parquet")
    trees.write_file(collector, f"{day}/new\nline.parquet", 1000)
    bad = os.fsencode(str(part)) + b"/bad\xff\xfename.parquet"
    with open(bad, "wb") as f:
        f.write(b"PAR1xxxxPAR1")
    os.chmod(bad, 0o644)
    os.mkfifo(part / "fifo.parquet")
    unreadable = trees.write_file(collector, f"{day}/unreadable.parquet", 1000)
    unreadable.chmod(0o000)
    deep = "/".join(f"d{i}" for i in range(30))
    trees.write_file(collector, f"{day}/{deep}/deep.parquet", 100)
    trees.write_file(collector, f"{day}/.rsync-partial/part_00001.parquet", 50)  # its own partial dir
    trees.write_file(collector, f"{day}/../{trees.partition_name('ETH-USDT', trees.utc_today())}/x.parquet", 10)
    config = write_config({"remote": {"source": {"remote_root": str(collector)}}})
    lake = tmp_path / "lake"
    siblings = sorted(os.listdir(tmp_path))
    before = faultkit.snapshot_outside([outside, Path("/etc/passwd")])
    for _ in range(2):
        start = time.monotonic()
        run = faultkit.run_with_signal(faultkit.cli("sync", "remote", "--config", str(config)), None, 0)
        faultkit.assert_clean_output(run)
        # The unreadable file makes it partial (exit 1); everything else arrives.
        assert run.returncode in (faultkit.EXIT_OK, faultkit.EXIT_FAILED), run.stderr
        assert time.monotonic() - start < 60
    assert faultkit.snapshot_outside([outside, Path("/etc/passwd")]) == before
    assert sorted(os.listdir(tmp_path)) == sorted(siblings + ["lake"])  # the lake, and nothing else, is new
    doc = faultkit.load_checkpoint(lake / ".checkpoints" / "remote.json")
    faultkit.assert_checkpoint_valid(doc, "remote")
    assert doc is not None and doc["last_sync_status"] in ("success", "partial") and doc["running"] is None
    got = trees.tree_digest(lake / "remote")
    assert not any(v.startswith("symlink:") for v in got.values()), got  # links are not recreated
    assert not (lake / "remote" / day / "escape").exists()
    assert (lake / "remote" / day / deep / "deep.parquet").is_file()
    want = {k: v for k, v in trees.tree_digest(collector).items() if not v.startswith("symlink:")}
    want.pop(f"{day}/unreadable.parquet", None)
    assert got == want
    unreadable.chmod(0o644)
