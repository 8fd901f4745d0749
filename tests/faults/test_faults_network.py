"""A link that goes silent mid-transfer (a relay that black-holes every byte,
sockets left open) is declared dead within io_timeout, classified as a
transient network failure, retried, and the run ends within its documented
bound: per attempt connect_timeout or io_timeout of silence, plus the backoff
between attempts (docs/user-guide.md, "What bounds a run")."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import faultkit
import pytest
import sshd
import trees
from configs import WriteConfig

SLACK = 5.0  # process start-up, ssh's own check granularity, rsync's exit


def backoff_total(retries: int) -> float:
    return float(sum(min(60, 2 ** (i - 1)) for i in range(1, retries + 1)))


def dead_link_after(io_timeout: int) -> int:
    # The same derivation as datalake-core/src/rsync/command.rs::keepalive.
    io_timeout = min(io_timeout, 75)
    interval = max(1, io_timeout // 4)
    count = max(1, io_timeout // interval - 1)
    return interval * (count + 1)


@pytest.mark.parametrize(
    "io_timeout, connect_timeout, retries",
    [
        pytest.param(4, 3, 1, id="io4-retry1"),
        pytest.param(10, 5, 1, id="io10-retry1-issue", marks=pytest.mark.long),
        pytest.param(6, 3, 2, id="io6-retry2", marks=pytest.mark.long),
    ],
)
def test_black_holed_link_is_dead_within_io_timeout(
    io_timeout: int,
    connect_timeout: int,
    retries: int,
    relay: faultkit.Relay,
    write_config: WriteConfig,
    ssh_server: sshd.SshServer,
    collector: Path,
    tmp_path: Path,
) -> None:
    trees.write_file(collector, f"{trees.partition_name('BTC-USDT', trees.utc_today())}/part_09999.parquet", 32 << 20)
    config = write_config(
        {
            "remote": {
                "source": {"remote_root": str(collector), "port": relay.port},
                "bwlimit": 500,
                "io_timeout": io_timeout,
                "connect_timeout": connect_timeout,
                "retries": retries,
            }
        }
    )
    lake = tmp_path / "lake"
    proc = subprocess.Popen(faultkit.cli("sync", "remote", "--config", str(config), "--format", "json"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        partial = lake / "remote"
        deadline = time.monotonic() + 60
        # Wait until bytes flow (the partial file of the big one grows), then cut the link.
        while time.monotonic() < deadline:
            sizes = [p.stat().st_size for p in partial.rglob("*part_09999*") if p.is_file()] if partial.exists() else []
            if sizes and max(sizes) > 100_000:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        relay.blackhole()
        cut = time.monotonic()
        out, err = proc.communicate(timeout=300)
        ended = time.monotonic() - cut
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    detected = relay.first_close_after_blackhole()
    attempts = retries + 1
    bound = (
        dead_link_after(io_timeout)
        + backoff_total(retries)
        + retries * connect_timeout
        + attempts * SLACK
    )
    faultkit.figure(f"dead_link_detected_s[io_timeout={io_timeout}]", round(detected or -1, 2))
    faultkit.figure(f"dead_link_detected_over_io_timeout[io_timeout={io_timeout}]", round((detected or 0) / io_timeout, 2))
    faultkit.figure(f"dead_link_run_ended_s[io_timeout={io_timeout},retries={retries}]", round(ended, 2))
    faultkit.figure(f"dead_link_run_bound_s[io_timeout={io_timeout},retries={retries}]", bound)
    run = faultkit.Run(proc.returncode, out, err, ended)
    faultkit.assert_clean_output(run)
    assert proc.returncode == faultkit.EXIT_FAILED, err
    assert detected is not None and detected <= io_timeout + 3, (detected, err)
    assert ended <= bound, (ended, bound, err)
    report = json.loads(out)
    assert report["status"] == "failed" and report["error_kind"] == "connect", report
    assert report["attempts"] == attempts, report  # retried as transient
    assert "went silent" in err or "timed out" in err, err
    doc = faultkit.load_checkpoint(lake / ".checkpoints" / "remote.json")
    faultkit.assert_checkpoint_valid(doc, "remote")
    assert doc is not None and doc["last_sync_status"] == "failed" and doc["running"] is None
    assert doc["consecutive_failures"] == 1
    faultkit.assert_no_half_written(lake / "remote", collector)
    faultkit.no_rsync_left(str(collector))
