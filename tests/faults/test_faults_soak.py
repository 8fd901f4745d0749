"""A soak: many syncs against a collector that keeps growing (also during
runs), about a third of them interrupted at a random moment by SIGINT,
SIGTERM or SIGKILL. Every run: ends by itself within its bound, a documented
exit code, no internal error, a valid and truthful checkpoint, no half-written
file under a real name, nothing outside the lake touched. At the end a clean
run makes the lake equal to the collector. CI runs 20; scripts/faults.sh 120."""

from __future__ import annotations

import random
import signal
import threading
from collections import Counter
from pathlib import Path

import faultkit
import sshd
import trees
from configs import WriteConfig

RUN_BOUND = 60.0  # seconds; a run here moves at most a few MB on loopback


def test_soak_with_a_changing_collector_and_random_interruptions(
    write_config: WriteConfig, ssh_server: sshd.SshServer, collector: Path, tmp_path: Path, outside: Path
) -> None:
    rng = faultkit.seeded("soak")
    writer_rng = random.Random(rng.randrange(1 << 31))  # one seed replays both
    config = write_config(
        {"remote": {"source": {"remote_root": str(collector)}, "bwlimit": 2000, "io_timeout": 20, "retries": 1}}
    )
    lake = tmp_path / "lake"
    ckpt = lake / ".checkpoints" / "remote.json"
    before_outside = faultkit.snapshot_outside([outside])
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            faultkit.grow_collector(collector, writer_rng, files=1, size=writer_rng.choice([8 << 10, 200 << 10, 1 << 20]))
            stop.wait(writer_rng.uniform(0.1, 0.6))

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    outcomes: Counter[str] = Counter()
    durations = []
    try:
        for i in range(faultkit.scaled(20, 120)):
            roll = rng.random()
            sig = None
            if roll < 0.33:
                sig = rng.choice([signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
            delay = rng.uniform(0, 0.02) if rng.random() < 0.3 else rng.uniform(0, 1.5)
            prev = faultkit.load_checkpoint(ckpt)
            run = faultkit.run_with_signal(faultkit.cli("sync", "remote", "--config", str(config)), sig, delay,
                                           timeout=RUN_BOUND)
            durations.append(run.elapsed)
            where = f"run {i}: signal {sig} at {delay * 1000:.0f} ms, exit {run.returncode}\n{run.stderr}"
            assert run.elapsed < RUN_BOUND, where
            if faultkit.in_interpreter_startup(run):
                outcomes["interpreter-startup"] += 1
                faultkit.assert_startup_outcome(run, prev, ckpt, where)
                continue
            if run.signal_sent == signal.SIGKILL:
                assert run.returncode in (0, 1, -signal.SIGKILL), where
            else:
                faultkit.assert_clean_output(run)
                assert run.returncode in faultkit.DOCUMENTED, where
                if run.signal_sent is not None:
                    assert run.returncode in faultkit.SIGNAL_EXITS[run.signal_sent], where
            doc = faultkit.load_checkpoint(ckpt)
            faultkit.assert_checkpoint_valid(doc, "remote")
            if run.signal_sent != signal.SIGKILL and doc is not None:
                assert not faultkit.left_running(doc, run), where
                if run.returncode == 0:
                    assert doc["last_sync_status"] == "success", where
            outcomes[f"exit {run.returncode}"] += 1
            faultkit.no_rsync_left(str(collector))
            if (lake / "remote").exists():
                faultkit.assert_no_half_written(lake / "remote", collector)
    finally:
        stop.set()
        thread.join(timeout=10)
    final = faultkit.run_with_signal(faultkit.cli("sync", "remote", "--config", str(config)), None, 0)
    assert final.returncode == 0, final.stderr
    assert trees.tree_digest(lake / "remote") == trees.tree_digest(collector)
    assert faultkit.snapshot_outside([outside]) == before_outside
    faultkit.figure("soak_runs", sum(outcomes.values()))
    faultkit.figure("soak_outcomes", dict(sorted(outcomes.items())))
    faultkit.figure("soak_longest_run_s", round(max(durations), 2))
