"""Fault injection helpers: a TCP relay that can black-hole a link, a small
filesystem the test mounts, CLI runs with a signal at a chosen moment, and the
checks every fault test makes (the promises a user relies on).

Scale: ``DATALAKE_FAULTS_FULL=1`` (scripts/faults.sh) runs the full counts;
otherwise CI's short version. ``DATALAKE_FAULTS_SEED`` replays a run (every
test prints its seed). Figures go to stdout as ``FIGURE name=value`` lines
(and to ``$DATALAKE_FAULTS_FIGURES`` as JSON lines when that is set).
"""

from __future__ import annotations

import json
import os
import random
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import trees
from procs import processes_mentioning

FULL = os.environ.get("DATALAKE_FAULTS_FULL") == "1"

# Exit codes the guide documents for `datalake sync`, and death by the default
# action of SIGINT/SIGTERM (before the program has started work, or after it
# finished; a shell reports those as 130/143 too).
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_INT, EXIT_TERM = 0, 1, 2, 3, 130, 143
DOCUMENTED = {EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_INT, EXIT_TERM, -signal.SIGINT, -signal.SIGTERM}
SIGNAL_EXITS: dict[int, set[int]] = {signal.SIGINT: {EXIT_INT, -signal.SIGINT}, signal.SIGTERM: {EXIT_TERM, -signal.SIGTERM}}
STATUSES = {"success", "partial", "failed", "interrupted", "skipped"}
INTERNAL = ("Traceback", "internal error", "SystemError", "panicked", "PanicException")


def scaled(ci: int, full: int) -> int:
    return full if FULL else ci


def seeded(name: str) -> random.Random:
    """A seeded RNG for test `name`; the seed is printed so a failure can be replayed."""
    seed = int(os.environ.get("DATALAKE_FAULTS_SEED") or random.SystemRandom().randrange(1 << 31))
    print(f"SEED {name} DATALAKE_FAULTS_SEED={seed}")
    return random.Random(seed)


def figure(name: str, value: Any) -> None:
    """Record a measured figure for the report."""
    print(f"FIGURE {name}={value}")
    out = os.environ.get("DATALAKE_FAULTS_FIGURES")
    if out:
        with open(out, "a") as f:
            f.write(json.dumps({"name": name, "value": value}) + "\n")


# ------------------------------------------------------------------ the relay


@dataclass
class _Pair:
    client: socket.socket
    upstream: Optional[socket.socket]
    closed_at: Optional[float] = None


@dataclass
class Relay:
    """127.0.0.1 TCP relay to ``target_port``. ``blackhole()`` makes it a
    black hole: sockets stay open, every byte in either direction is read and
    dropped (so the peers' TCP stacks see no loss and only an application-level
    keepalive can tell), and new connections are accepted but never answered."""

    target_port: int
    port: int = 0
    blackholed_at: Optional[float] = None
    pairs: list[_Pair] = field(default_factory=list)
    _stop: bool = False

    def start(self) -> "Relay":
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._listener, selectors.EVENT_READ, None)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def blackhole(self) -> None:
        with self._lock:
            self.blackholed_at = time.monotonic()

    def first_close_after_blackhole(self) -> Optional[float]:
        """Seconds from ``blackhole()`` to the first connection the client closed."""
        with self._lock:
            times = [p.closed_at for p in self.pairs if p.closed_at is not None and self.blackholed_at is not None]
            if not times or self.blackholed_at is None:
                return None
            after = [t - self.blackholed_at for t in times if t >= self.blackholed_at]
            return min(after) if after else None

    def stop(self) -> None:
        self._stop = True
        self._thread.join(timeout=5)
        for p in self.pairs:
            for s in (p.client, p.upstream):
                if s is not None:
                    s.close()
        self._listener.close()

    def _loop(self) -> None:
        while not self._stop:
            for key, _ in self._sel.select(timeout=0.05):
                if key.data is None:
                    self._accept()
                else:
                    self._pump(key.fileobj, key.data)  # type: ignore[arg-type]

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        upstream = None
        if self.blackholed_at is None:
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            upstream.setblocking(False)
        client.setblocking(False)
        pair = _Pair(client, upstream)
        with self._lock:
            self.pairs.append(pair)
        self._sel.register(client, selectors.EVENT_READ, pair)
        if upstream is not None:
            self._sel.register(upstream, selectors.EVENT_READ, pair)

    def _pump(self, sock: socket.socket, pair: _Pair) -> None:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            with self._lock:
                if sock is pair.client and pair.closed_at is None:
                    pair.closed_at = time.monotonic()
            for s in (pair.client, pair.upstream):
                if s is not None:
                    try:
                        self._sel.unregister(s)
                    except (KeyError, ValueError):
                        pass
                    s.close()
            return
        if self.blackholed_at is not None:
            return  # dropped
        other = pair.upstream if sock is pair.client else pair.client
        if other is None:
            return
        view = memoryview(data)
        while view:
            try:
                n = other.send(view)
                view = view[n:]
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:
                return


# ------------------------------------------------------------ a small filesystem


def mount_tmpfs(path: Path, size: str) -> Optional[str]:
    """Mount a tmpfs of ``size`` at ``path``; the reason when it cannot be done."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return "mounting a small filesystem needs root (run scripts/faults.sh as root, or in CI)"
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return f"mount -t tmpfs failed here ({p.stderr.strip()}): no permission to mount in this container"
    return None


def resize_tmpfs(path: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True, capture_output=True)


def umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


# ------------------------------------------------------------------ CLI runs


def cli(*args: str) -> list[str]:
    """The installed ``datalake`` console script (what cron and users run)."""
    script = Path(sys.executable).parent / "datalake"
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "datalake", *args]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    elapsed: float
    signal_sent: Optional[int] = None
    sent_at: Optional[float] = None
    pid: int = 0


def run_with_signal(argv: list[str], sig: Optional[int], delay: float, timeout: float = 120,
                    wait_ready: Optional[str] = None) -> Run:
    """Run ``argv``; ``delay`` seconds after start (or after ``wait_ready`` shows on
    stdout) send ``sig`` if the process is still alive."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sent: Optional[int] = None
    sent_at: Optional[float] = None
    out_lines: list[str] = []
    try:
        if wait_ready is not None:
            assert proc.stdout is not None
            for line in proc.stdout:
                out_lines.append(line)
                if line.strip() == wait_ready:
                    break
            start = time.monotonic()
        if sig is not None:
            while time.monotonic() - start < delay and proc.poll() is None:
                time.sleep(min(0.002, delay))
            if proc.poll() is None:
                os.kill(proc.pid, sig)
                sent, sent_at = sig, time.monotonic() - start
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    elapsed = time.monotonic() - start
    if sent_at is not None and proc.returncode == 0 and elapsed - sent_at < EXITED_AS_SENT:
        # It exited between poll() and kill(): the signal reached a process already gone
        # (a zombie takes it without effect), not one that ignored it.
        sent = sent_at = None
    return Run(proc.returncode, "".join(out_lines) + out, err, elapsed, sent, sent_at, proc.pid)


EXITED_AS_SENT = 0.02
"""A clean exit this soon after the signal was sent is a process that had finished: one that
ignored the signal would go on doing its work for longer."""


def no_rsync_left(marker: str, timeout: float = 10) -> None:
    """No process whose command line mentions ``marker`` (the collector path) survives."""
    deadline = time.monotonic() + timeout
    while True:
        left = [cmd for _, cmd in processes_mentioning(marker) if "rsync" in cmd or "ssh" in cmd]
        if not left:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"processes survived: {left}")
        time.sleep(0.1)


# ------------------------------------------------------------------ the checks


def in_interpreter_startup(run: Run) -> bool:
    """The signal landed while CPython itself was starting (site, .pth files, the
    console script's own import statement), before the first line of datalake's
    code ran. Python then prints its own report: a traceback through frozen
    modules, a bare "KeyboardInterrupt" when importlib stripped all its frames, or
    "Fatal Python error: init_import_site"; nothing of datalake has started. Only a
    signal sent in the first tens of milliseconds (more on a loaded machine) can be that."""
    if run.signal_sent != signal.SIGINT or run.sent_at is None:
        return False
    text = run.stderr
    python_said = "KeyboardInterrupt" in text or "Fatal Python error" in text
    return python_said and "/datalake/" not in text


def assert_startup_outcome(run: Run, prev: Optional[dict[str, Any]], ckpt: Path, where: str) -> None:
    """What a SIGINT during CPython's own startup may leave. Mostly Python exits
    at once (1, or -2) and the checkpoint is as before. Rarely CPython prints the
    interrupt and carries on, e.g. when it lands in a path hook while site reads
    the .pth files; then the program ran to the end and must have recorded an
    ordinary, successful run."""
    doc = load_checkpoint(ckpt)
    if run.returncode != 0:
        assert doc == prev, where
        return
    assert doc is not None and doc.get("last_sync_status") == "success" and doc.get("running") is None, where


def assert_clean_output(run: Run) -> None:
    text = run.stderr + run.stdout
    for word in INTERNAL:
        assert word not in text, f"{word!r} in output (exit {run.returncode}):\n{run.stderr}"


def left_running(doc: Optional[dict[str, Any]], run: Run) -> bool:
    """Whether ``run`` itself left its ``running`` marker (an earlier SIGKILLed
    run's marker stays until the next run that gets as far as its checkpoint)."""
    marker = (doc or {}).get("running")
    return isinstance(marker, dict) and marker.get("pid") == run.pid


def load_checkpoint(path: Path) -> Optional[dict[str, Any]]:
    """The checkpoint as JSON (None if absent); fails on anything unparseable."""
    if not path.exists():
        return None
    doc = json.loads(path.read_text())
    assert isinstance(doc, dict), doc
    return doc


def assert_checkpoint_valid(doc: Optional[dict[str, Any]], profile: str) -> None:
    if doc is None:
        return
    assert doc.get("profile_name") == profile, doc
    status = doc.get("last_sync_status")
    assert status is None or status in STATUSES, doc
    assert isinstance(doc.get("consecutive_failures", 0), int), doc
    for rec in doc.get("history") or []:
        assert rec["status"] in STATUSES, rec


def assert_no_half_written(lake: Path, collector: Path) -> None:
    """Every file under a real name in the lake is byte-equal to the collector's
    file of that name (collector files are immutable once they appear)."""
    have = trees.tree_digest(lake)
    want = trees.tree_digest(collector)
    bad = {k: v for k, v in have.items() if want.get(k) != v}
    assert not bad, f"files under a real name that are not the collector's: {sorted(bad)[:5]}"


def snapshot_outside(paths: list[Path]) -> dict[str, Any]:
    """What must not change: digests and directory listings of ``paths``."""
    out: dict[str, Any] = {}
    for p in paths:
        if p.is_dir():
            out[str(p)] = (sorted(os.listdir(p)), trees.tree_digest(p))
        elif p.exists():
            out[str(p)] = p.read_bytes()
    return out


def grow_collector(collector: Path, rng: random.Random, files: int, size: int) -> None:
    """Add files the way a collector does: written aside, renamed into place."""
    day = trees.utc_today()
    for _ in range(files):
        sym = rng.choice(trees.DEFAULT_SYMBOLS)
        n = rng.randrange(10_000, 99_999)
        rel = f"{trees.partition_name(sym, day)}/part_{n:05d}.parquet"
        final = collector / rel
        if final.exists():
            continue
        tmp = collector.parent / f".incoming-{n}"
        tmp.write_bytes(trees.file_content(n, rel, size))
        tmp.chmod(0o644)
        final.parent.mkdir(parents=True, exist_ok=True)
        final.parent.chmod(0o755)
        os.rename(tmp, final)
