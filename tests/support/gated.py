"""A collector whose rsync waits at a gate, for tests that stop a run while it talks to
the collector (``verify --remote`` cancelled, interrupted).

A dedicated loopback sshd (``sshd.start``) whose sessions find a wrapper ``rsync`` first
on their PATH: it creates ``reached`` in the gate directory, then waits (up to a minute)
until ``open`` appears there, then runs the real rsync. A test starts the run, waits for
:meth:`Gate.wait_reached`, stops the run, and :meth:`Gate.release` lets the wrapper go
on, so no remote process is left waiting (with its connection gone, the real rsync exits
at once).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import sshd

WRAPPER = """#!/bin/sh
# Test wrapper (tests/support/gated.py): hold rsync until the test opens the gate.
: > '{gate}/reached'
i=0
while [ ! -e '{gate}/open' ] && [ "$i" -lt 600 ]; do
    sleep 0.1
    i=$((i + 1))
done
exec '{rsync}' "$@"
"""


@dataclass
class Gate:
    server: sshd.SshServer
    dir: Path

    def source(self, remote_root: Path) -> dict[str, Any]:
        """A profile's ``source`` on this server (``write_config`` fills in the rest)."""
        s = self.server
        return {"remote_root": str(remote_root), "host": s.host, "port": s.port, "user": s.user, "ssh_key": str(s.key)}

    def profile(self, remote_root: Path, **keys: Any) -> dict[str, Any]:
        """A profile dict for ``write_config`` reading ``remote_root`` through the gate."""
        return {"source": self.source(remote_root), "known_hosts": str(self.server.known_hosts), **keys}

    @property
    def reached_file(self) -> Path:
        return self.dir / "reached"

    def wait_reached(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.reached_file.exists():
            if time.monotonic() > deadline:
                raise AssertionError(f"rsync did not reach the collector within {timeout}s")
            time.sleep(0.02)

    def release(self) -> None:
        (self.dir / "open").touch()


def start(base: Path) -> Iterator[Gate]:
    """A gated server under ``base`` (a directory the sshd user can traverse); stopped,
    gate released, when the generator is closed (use it as a pytest fixture body)."""
    rsync = shutil.which("rsync")
    assert rsync, "rsync is not installed"
    gate_dir = base / "gate"
    gate_dir.mkdir()
    os.chmod(gate_dir, 0o777)  # the sshd user writes `reached` here
    server = sshd.start()
    gate = Gate(server, gate_dir)
    try:
        wrapper = server.bin_dir / "rsync"
        wrapper.write_text(WRAPPER.format(gate=gate_dir, rsync=rsync))
        wrapper.chmod(0o755)
        yield gate
    finally:
        gate.release()
        server.stop()
