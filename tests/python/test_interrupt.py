"""Ctrl-C on a real process: SIGINT to a syncing Python program and to the CLI.

The sync is slowed down with ``bwlimit`` so the signal lands mid-transfer. After
it: rsync stops within a second or two, the checkpoint says ``interrupted``,
the program sees KeyboardInterrupt (exit 130 for the CLI), and no rsync or ssh
process is left anywhere (local side and collector side both have the
collector path on their command line, which is how they are found).
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import textwrap
import time
from pathlib import Path

import pytest
import sshd
import trees
from configs import WriteConfig
from procs import processes_mentioning
from pyhelpers import big_collector, child_pids, process_name, wait_for


BIG_SIZE = 16 * 1024 * 1024


def big_collector_file(collector: Path) -> Path:
    """The large file ``slow_ssh_config`` put on the collector."""
    (big,) = (f for f in collector.rglob("*") if f.is_file() and f.stat().st_size == BIG_SIZE)
    return big


@pytest.fixture
def slow_ssh_config(write_config: WriteConfig, ssh_server: sshd.SshServer, collector: Path) -> Path:
    big_collector(collector, size=BIG_SIZE)  # ~80 s at 200 KiB/s: never finishes by itself
    return write_config({"remote": {"source": {"remote_root": str(collector)}, "bwlimit": 200}})


def landed_bytes(profile_dir: Path, name: str) -> int:
    """Bytes of file ``name`` rsync has written below ``profile_dir`` so far, its hidden
    temp file (``.name.XXXXXX``) and partial-dir copy included."""
    total = 0
    for f in profile_dir.rglob(f"*{name}*"):
        try:
            total += f.stat().st_size if f.is_file() else 0
        except FileNotFoundError:  # renamed or moved meanwhile
            pass
    return total


def checkpoint_of(config_root: Path, profile: str) -> dict:
    return json.loads((config_root / ".checkpoints" / f"{profile}.json").read_text())


def wait_for_rsync(proc: subprocess.Popen[str]) -> None:
    wait_for(
        lambda: proc.poll() is not None or any(process_name(p) == "rsync" for p in child_pids(proc.pid)),
        60,
        "rsync to start",
    )
    assert proc.poll() is None, proc.communicate()


def test_ctrl_c_in_a_python_program(slow_ssh_config: Path, collector: Path, tmp_path: Path) -> None:
    program = textwrap.dedent(
        f"""
        import json, sys, datalake
        lake = datalake.DataLake.open({str(slow_ssh_config)!r})
        started = False
        def progress(p):
            global started
            if not started and p.bytes_done > 0:
                started = True
                print("STARTED", flush=True)
        try:
            lake.sync("remote", progress=progress)
        except KeyboardInterrupt as e:
            report = getattr(e, "report", None)
            print(json.dumps({{"caught": "KeyboardInterrupt",
                               "status": report.status if report else None}}), flush=True)
            sys.exit(42)
        print("NOT INTERRUPTED", flush=True)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "STARTED", (line, proc.stderr.read() if proc.stderr else "")
        os.kill(proc.pid, signal.SIGINT)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 42, (out, err)
    assert json.loads(out.strip().splitlines()[-1]) == {"caught": "KeyboardInterrupt", "status": "interrupted"}
    assert elapsed < 5, elapsed  # rsync gets SIGTERM at once, SIGKILL after a short grace period
    assert checkpoint_of(tmp_path / "lake", "remote")["last_sync_status"] == "interrupted"
    assert checkpoint_of(tmp_path / "lake", "remote").get("running") is None
    wait_for(lambda: not processes_mentioning(str(collector)), 10, "rsync/ssh to be gone")


def test_ctrl_c_on_the_cli_exits_130(slow_ssh_config: Path, collector: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "datalake", "sync", "remote", "--config", str(slow_ssh_config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_rsync(proc)
        # Interrupt only once bytes of the big file have landed, so there is partial data to
        # keep (a fixed sleep raced with a slow ssh start on a loaded machine).
        big = big_collector_file(collector).name
        wait_for(lambda: landed_bytes(tmp_path / "lake" / "remote", big) > 0, 60, f"bytes of {big} to land")
        os.kill(proc.pid, signal.SIGINT)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out, err)
    assert elapsed < 5, elapsed
    assert "Traceback" not in err and "interrupted" in err
    assert checkpoint_of(tmp_path / "lake", "remote")["last_sync_status"] == "interrupted"
    wait_for(lambda: not processes_mentioning(str(collector)), 10, "rsync/ssh to be gone")

    # The next run resumes from the kept partial data and finishes the tree.
    fast = slow_ssh_config.with_name("fast.yml")
    fast_text = slow_ssh_config.read_text().replace("bwlimit: 200", "bwlimit: 100000")
    assert "bwlimit: 100000" in fast_text
    fast.write_text(fast_text)
    p = subprocess.run(
        [sys.executable, "-m", "datalake", "sync", "remote", "--config", str(fast), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["matched_bytes"] > 0  # partial data reused
    assert trees.tree_digest(tmp_path / "lake" / "remote") == trees.tree_digest(collector)


def test_ctrl_c_with_json_output_prints_the_interrupted_report(slow_ssh_config: Path, collector: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "datalake", "sync", "--all", "--format", "json", "--config", str(slow_ssh_config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_rsync(proc)
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out, err)
    docs = json.loads(out)
    assert [d["status"] for d in docs] == ["interrupted"]
    wait_for(lambda: not processes_mentioning(str(collector)), 10, "rsync/ssh to be gone")


def _take_the_terminal() -> None:
    # Runs in the child between fork and exec: become the session leader of a
    # new session and make the pty its controlling terminal, as a login shell
    # does, so that ^C typed on it sends SIGINT to the foreground group.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_ctrl_c_typed_on_a_terminal(slow_ssh_config: Path, collector: Path, tmp_path: Path) -> None:
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "datalake", "sync", "remote", "--config", str(slow_ssh_config)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=_take_the_terminal,
    )
    os.close(slave)
    out = b""

    def read_some(timeout: float) -> bool:
        nonlocal out
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        out += chunk
        return bool(chunk)

    try:
        deadline = time.monotonic() + 60
        while b"\rremote " not in out and time.monotonic() < deadline and proc.poll() is None:
            read_some(0.2)  # wait for the progress bar: rsync is running
        assert b"\rremote " in out, out.decode(errors="replace")
        os.write(master, b"\x03")  # the user presses Ctrl-C
        typed = time.monotonic()
        while proc.poll() is None and time.monotonic() - typed < 30:
            if not read_some(0.2):
                break
        code = proc.wait(30)
        elapsed = time.monotonic() - typed
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    text = out.decode(errors="replace")
    assert code == 130, text
    assert elapsed < 5, elapsed
    assert "Traceback" not in text and "interrupted" in text
    assert checkpoint_of(tmp_path / "lake", "remote")["last_sync_status"] == "interrupted"
    wait_for(lambda: not processes_mentioning(str(collector)), 10, "rsync/ssh to be gone")


# ---------------------------------------------------------------- SIGTERM (kill, timeout, systemctl stop)


def run_and_terminate(args: list[str], whole_group: bool) -> tuple[subprocess.CompletedProcess[str], float]:
    """Start the CLI, wait for rsync, send SIGTERM; the result and how long the exit took.

    ``whole_group``: to the CLI's whole process group, as ``timeout`` and
    ``systemctl stop`` do (the CLI and its ssh both get it); else to its pid, as ``kill PID``.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "datalake", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=whole_group,
    )
    try:
        wait_for_rsync(proc)
        time.sleep(0.5)  # let bytes flow, so there is partial data to keep
        if whole_group:
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            os.kill(proc.pid, signal.SIGTERM)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), elapsed


def test_sigterm_on_the_cli_stops_the_sync_and_exits_143(
    slow_ssh_config: Path, collector: Path, tmp_path: Path
) -> None:
    p, elapsed = run_and_terminate(["sync", "remote", "--config", str(slow_ssh_config)], whole_group=False)
    assert p.returncode == 143, (p.stdout, p.stderr)
    assert elapsed < 5, elapsed
    assert "Traceback" not in p.stderr and "terminated by SIGTERM" in p.stderr, p.stderr
    checkpoint = checkpoint_of(tmp_path / "lake", "remote")
    assert checkpoint["last_sync_status"] == "interrupted" and checkpoint.get("running") is None
    wait_for(lambda: not processes_mentioning(str(collector)), 10, "rsync/ssh to be gone")


def test_sigterm_to_the_process_group_with_json(slow_ssh_config: Path, collector: Path, tmp_path: Path) -> None:
    p, elapsed = run_and_terminate(
        ["sync", "--all", "--format", "json", "--config", str(slow_ssh_config)], whole_group=True
    )
    assert p.returncode == 143, (p.stdout, p.stderr)
    assert elapsed < 5, elapsed
    assert "Traceback" not in p.stderr
    assert [d["status"] for d in json.loads(p.stdout)] == ["interrupted"]
    assert checkpoint_of(tmp_path / "lake", "remote")["last_sync_status"] == "interrupted"
    wait_for(lambda: not processes_mentioning(str(collector)), 10, "rsync/ssh to be gone")


def test_only_the_program_installs_a_sigterm_handler(tmp_path: Path) -> None:
    # Importing the package, or running the click group mounted in another
    # program, leaves the program's SIGTERM disposition alone; main() puts
    # back what it found when it returns.
    program = textwrap.dedent(
        """
        import signal
        import datalake, datalake.cli
        from click.testing import CliRunner
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        CliRunner().invoke(datalake.cli.data_lake, ["--help"])
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        mine = lambda signum, frame: None
        signal.signal(signal.SIGTERM, mine)
        try:
            datalake.cli.main(["--version"])
        except SystemExit as e:
            assert e.code == 0, e.code
        assert signal.getsignal(signal.SIGTERM) is mine
        print("OK")
        """
    )
    p = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.strip().endswith("OK"), (p.stdout, p.stderr)
