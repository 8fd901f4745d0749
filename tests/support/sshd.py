"""A throwaway real OpenSSH server on 127.0.0.1, for tests (wraps ``sshd.sh``).

``sshd.sh`` does the work (keys, config, non-root user, readiness check); this module
only runs it and parses its ``KEY=VALUE`` output, so the Python, C and Rust tests share
one implementation.

The server runs as a non-root user (``datalake-test`` when tests run as root, else the
caller). Anything the remote side must read has to be readable by that user: use
:func:`world_tmpdir` and ``trees.make_collector_tree``, which take care of it.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Optional, Type

SCRIPT = Path(__file__).resolve().with_name("sshd.sh")


@dataclass
class SshServer:
    """A running server. ``stop()`` (or leaving the ``with`` block) shuts it down."""

    port: int
    user: str
    key: Path
    """Client private key (owned by the caller, mode 600), authorized on the server."""
    known_hosts: Path
    """known_hosts with the server's real host key for ``[127.0.0.1]:port``."""
    dir: Path
    log: Path
    """sshd's own log (LogLevel VERBOSE): read it when a login fails."""
    pid: int
    wrong_key: Path
    """A key the server does not accept (authentication failure tests)."""
    known_hosts_changed: Path
    """known_hosts naming a different host key (changed host key tests)."""
    bin_dir: Path
    """First on the login sessions' PATH; tests may place programs there."""
    host: str = "127.0.0.1"
    remove_dir: bool = field(default=False, repr=False)
    """Delete ``dir`` on ``stop()`` (set when ``start`` created it)."""

    def ssh_command(self) -> list[str]:
        """argv of an ssh client that logs into this server (append the remote command)."""
        return [
            "ssh",
            "-F",
            "none",
            "-p",
            str(self.port),
            "-i",
            str(self.key),
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            f"UserKnownHostsFile={self.known_hosts}",
            "-o",
            "StrictHostKeyChecking=yes",
            f"{self.user}@{self.host}",
        ]

    def rsh(self) -> str:
        """The ``-e`` value for ``rsync`` to reach this server."""
        return " ".join(self.ssh_command()[:-1])

    def stop(self) -> None:
        """Stop sshd and wait until it is gone. Idempotent."""
        if self.dir.exists():
            subprocess.run(["bash", str(SCRIPT), "stop", str(self.dir)], check=True, timeout=30)
            if self.remove_dir:
                remove_tree(self.dir)

    def __enter__(self) -> SshServer:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()


def start(
    dir: Optional[Path] = None,
    port: Optional[int] = None,
    session_path: Optional[str] = None,
    timeout: float = 60.0,
) -> SshServer:
    """Start a server in ``dir`` (a fresh or empty directory; a new temp dir when None).

    ``session_path`` replaces the PATH of login sessions (e.g. ``str(bin_dir)`` alone to
    simulate a collector without rsync). The server is also stopped, and its temp dir
    removed, if this process dies without calling ``stop()``.
    """
    remove_dir = dir is None
    if dir is None:
        dir = Path(tempfile.mkdtemp(prefix="datalake-sshd-", dir=_tmp_base()))
    env = dict(os.environ)
    env["SSHD_WATCH_PID"] = str(os.getpid())
    env["SSHD_WATCH_CLEANUP"] = "1" if remove_dir else "0"
    if session_path is not None:
        env["SSHD_SESSION_PATH"] = session_path
    argv = ["bash", str(SCRIPT), "start", str(dir)]
    if port is not None:
        argv.append(str(port))
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        if remove_dir:
            remove_tree(dir)
        raise RuntimeError(
            f"could not start the test sshd (exit {proc.returncode}):\n{proc.stderr}{proc.stdout}"
        )
    values = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    try:
        return SshServer(
            host=values["SSH_HOST"],
            port=int(values["SSH_PORT"]),
            user=values["SSH_USER"],
            key=Path(values["SSH_KEY"]),
            known_hosts=Path(values["SSH_KNOWN_HOSTS"]),
            dir=Path(values["SSHD_DIR"]),
            log=Path(values["SSHD_LOG"]),
            pid=int(values["SSHD_PID"]),
            wrong_key=Path(values["SSH_WRONG_KEY"]),
            known_hosts_changed=Path(values["SSH_KNOWN_HOSTS_CHANGED"]),
            bin_dir=Path(values["SSHD_BIN"]),
            remove_dir=remove_dir,
        )
    except (KeyError, ValueError) as e:
        subprocess.run(["bash", str(SCRIPT), "stop", str(dir)], check=False, timeout=30)
        raise RuntimeError(f"sshd.sh printed unexpected output ({e!r}):\n{proc.stdout}") from e


def free_port() -> int:
    """A loopback port nothing listens on right now (for "connection refused" tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _tmp_base() -> str:
    # /tmp is world-traversable; pytest's tmp_path (/tmp/pytest-of-root, mode 700) is not.
    return os.environ.get("TMPDIR", "/tmp")


def world_tmpdir(prefix: str = "datalake-") -> Path:
    """A new temp directory that the sshd user can traverse and read (mode 755)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=_tmp_base()))
    path.chmod(0o755)
    return path


def remove_tree(path: Path) -> None:
    """``rm -rf`` that also gets through directories a test made unreadable (chmod 000)."""
    if not path.exists() and not path.is_symlink():
        return
    _make_removable(path)
    shutil.rmtree(path)


def _make_removable(path: Path) -> None:
    # Give the owner rwx on every directory first (without following symlinks), so a
    # non-root caller can list and empty directories a test locked down.
    if path.is_symlink() or not path.is_dir():
        return
    try:
        path.chmod(stat.S_IRWXU | stat.S_IMODE(path.stat().st_mode))
    except PermissionError:
        return  # not ours: rmtree will report it
    for child in path.iterdir():
        _make_removable(child)
