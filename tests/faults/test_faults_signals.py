"""SIGINT, SIGTERM and SIGKILL at random moments of real syncs.

SIGINT/SIGTERM, from the first milliseconds of the CLI (interpreter start-up,
imports) to its end: the run ends the documented way (130 / 143, or death by
the signal's default action before the program started work, which a shell
also reports as 130 / 143), never 0 (a lost signal), never an internal error;
rsync is stopped; the checkpoint is valid, not left `running`, and records
`interrupted` for a run the signal stopped. The same for ``DataLake.sync`` in
a Python program: KeyboardInterrupt, never swallowed.

SIGKILL (nothing can be cleaned up): the checkpoint is never torn, no rsync
survives, no half-written file appears under a real name, and the next run
completes the lake.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import faultkit
import sshd
import trees
from configs import WriteConfig


def _ssh_config(write_config: WriteConfig, collector: Path, bwlimit: int = 400) -> Path:
    path: Path = write_config({"remote": {"source": {"remote_root": str(collector)}, "bwlimit": bwlimit}})
    return path


def _history(doc: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list((doc or {}).get("history") or [])


def test_sigint_and_sigterm_at_random_moments_of_the_cli(
    write_config: WriteConfig, ssh_server: sshd.SshServer, collector: Path, tmp_path: Path, outside: Path
) -> None:
    rng = faultkit.seeded("signals-cli")
    config = _ssh_config(write_config, collector)
    lake = tmp_path / "lake"
    ckpt = lake / ".checkpoints" / "remote.json"
    before_outside = faultkit.snapshot_outside([outside])
    early = late = startup = 0
    for i in range(faultkit.scaled(16, 80)):
        faultkit.grow_collector(collector, rng, files=1, size=300 << 10)  # about a second at 400 KiB/s
        sig = rng.choice([signal.SIGINT, signal.SIGTERM])
        delay = rng.uniform(0, 0.15) if rng.random() < 0.5 else rng.uniform(0.15, 1.5)
        prev = faultkit.load_checkpoint(ckpt)
        run = faultkit.run_with_signal(faultkit.cli("sync", "remote", "--config", str(config)), sig, delay)
        where = f"iteration {i}: {signal.Signals(sig).name} at {delay * 1000:.0f} ms, exit {run.returncode}\n{run.stderr}"
        if faultkit.in_interpreter_startup(run):
            # Before datalake's first line: CPython's own handling.
            faultkit.assert_startup_outcome(run, prev, ckpt, where)
            startup += 1
            continue
        faultkit.assert_clean_output(run)
        if run.signal_sent is None:
            assert run.returncode == 0, where  # finished before the signal was due
            continue
        early += delay < 0.15
        late += delay >= 0.15
        assert run.returncode in faultkit.SIGNAL_EXITS[sig], where
        doc = faultkit.load_checkpoint(ckpt)
        faultkit.assert_checkpoint_valid(doc, "remote")
        assert doc is None or doc.get("running") is None, where  # no SIGKILL here: never left set
        last = _history(doc)[-1] if _history(doc) else None
        if last is not None and last != (_history(prev)[-1] if _history(prev) else None):
            # The run this signal hit records `interrupted`, unless its outcome was
            # already recorded when the signal came (then the lake is complete).
            if last["status"] != "interrupted":
                assert last["status"] == "success", where
        faultkit.no_rsync_left(str(collector))
        if (lake / "remote").exists():
            faultkit.assert_no_half_written(lake / "remote", collector)
    faultkit.figure("signals_cli_sent_in_first_150ms", early)
    faultkit.figure("signals_cli_sent_later", late)
    faultkit.figure("signals_cli_in_interpreter_startup", startup)
    faultkit.figure("signals_cli_lost", 0)
    final = faultkit.run_with_signal(faultkit.cli("sync", "remote", "--config", str(config)), None, 0)
    assert final.returncode == 0, final.stderr
    assert trees.tree_digest(lake / "remote") == trees.tree_digest(collector)
    assert faultkit.snapshot_outside([outside]) == before_outside


def test_keyboard_interrupt_in_a_python_program_is_never_swallowed(
    write_config: WriteConfig, ssh_server: sshd.SshServer, collector: Path, tmp_path: Path
) -> None:
    rng = faultkit.seeded("signals-python")
    config = _ssh_config(write_config, collector)
    program = textwrap.dedent(
        f"""
        import logging, sys, time
        import datalake
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)  # the bridge busy all along
        lake = datalake.DataLake.open({str(config)!r})
        try:
            print("READY", flush=True)
            report = lake.sync("remote", progress=lambda p: None)
            print("DONE", report.status, flush=True)
            time.sleep(3)  # a signal sent after the sync returned lands here
            print("LOST", flush=True)
        except KeyboardInterrupt as e:
            r = getattr(e, "report", None)
            print("KI", r.status if r is not None else "-", flush=True)
            sys.exit(42)
        """
    )
    prog = tmp_path / "prog.py"
    prog.write_text(program)
    statuses = []
    for i in range(faultkit.scaled(8, 40)):
        faultkit.grow_collector(collector, rng, files=1, size=200 << 10)
        delay = rng.uniform(0, 0.02) if rng.random() < 0.3 else rng.uniform(0, 1.2)
        run = faultkit.run_with_signal([sys.executable, str(prog)], signal.SIGINT, delay, wait_ready="READY")
        where = f"iteration {i}: SIGINT {delay * 1000:.0f} ms after READY: exit {run.returncode}\n{run.stdout}\n{run.stderr}"
        assert run.signal_sent is not None, where
        assert run.returncode == 42 and "KI" in run.stdout and "LOST" not in run.stdout, where
        assert "SystemError" not in run.stderr and "Traceback" not in run.stderr, where
        statuses.append(run.stdout.split("KI", 1)[1].split()[0])
        doc = faultkit.load_checkpoint(tmp_path / "lake" / ".checkpoints" / "remote.json")
        faultkit.assert_checkpoint_valid(doc, "remote")
        assert doc is None or doc.get("running") is None, where
        faultkit.no_rsync_left(str(collector))
    faultkit.figure("python_keyboard_interrupts_raised", f"{len(statuses)}/{len(statuses)}")
    faultkit.figure("python_keyboard_interrupt_report_statuses", ",".join(sorted(set(statuses))))


def test_sigkill_at_random_moments(
    write_config: WriteConfig, ssh_server: sshd.SshServer, collector: Path, tmp_path: Path, outside: Path
) -> None:
    rng = faultkit.seeded("sigkill-cli")
    config = _ssh_config(write_config, collector)
    lake = tmp_path / "lake"
    before_outside = faultkit.snapshot_outside([outside])
    for i in range(faultkit.scaled(8, 60)):
        faultkit.grow_collector(collector, rng, files=1, size=300 << 10)
        delay = rng.uniform(0, 1.5)
        run = faultkit.run_with_signal(faultkit.cli("sync", "remote", "--config", str(config)), signal.SIGKILL, delay)
        where = f"iteration {i}: SIGKILL at {delay * 1000:.0f} ms: exit {run.returncode}\n{run.stderr}"
        assert run.returncode in (0, -signal.SIGKILL), where
        faultkit.assert_checkpoint_valid(faultkit.load_checkpoint(lake / ".checkpoints" / "remote.json"), "remote")
        faultkit.no_rsync_left(str(collector))
        if (lake / "remote").exists():
            faultkit.assert_no_half_written(lake / "remote", collector)
    final = faultkit.run_with_signal(faultkit.cli("sync", "remote", "--config", str(config)), None, 0)
    assert final.returncode == 0, final.stderr
    assert trees.tree_digest(lake / "remote") == trees.tree_digest(collector)
    assert faultkit.snapshot_outside([outside]) == before_outside


def test_sigkill_during_checkpoint_writes(write_config: WriteConfig, collector: Path, tmp_path: Path) -> None:
    # A program doing back-to-back no-op syncs of a local source spends much of
    # its time writing checkpoints (two per run): kills land inside those writes.
    rng = faultkit.seeded("sigkill-checkpoint")
    config = write_config({"local": {"source": {"type": "local", "remote_root": str(collector)}}})
    ckpt = tmp_path / "lake" / ".checkpoints" / "local.json"
    program = textwrap.dedent(
        f"""
        import datalake
        lake = datalake.DataLake.open({str(config)!r})
        print("READY", flush=True)
        n = 0
        while True:
            lake.sync("local", cleanup=False)
            n += 1
            print(n, flush=True)
        """
    )
    runs = 0
    for i in range(faultkit.scaled(12, 60)):
        delay = rng.uniform(0.0, 0.6)
        run = faultkit.run_with_signal([sys.executable, "-c", program], signal.SIGKILL, delay, wait_ready="READY")
        assert run.returncode == -signal.SIGKILL, run.stderr
        runs += len([line for line in run.stdout.splitlines() if line.strip().isdigit()])
        doc = faultkit.load_checkpoint(ckpt)  # parses: never torn
        faultkit.assert_checkpoint_valid(doc, "local")
        leftovers = [p.name for p in ckpt.parent.iterdir() if p.name.endswith(".tmp")]
        assert len(leftovers) <= 1, leftovers  # at most the one temp file a kill interrupted
    faultkit.figure("sigkill_checkpoint_syncs_between_kills", runs)
    p = subprocess.run(faultkit.cli("sync", "local", "--config", str(config)), capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    doc = faultkit.load_checkpoint(ckpt)
    assert doc is not None and doc["last_sync_status"] == "success" and doc["running"] is None
