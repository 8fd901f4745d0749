"""One table, every face: for each outcome of a sync, what the CLI's exit code, the C
status, the Python result or exception, the quants-infra manager's dict and the
checkpoint say. Every face runs the same scenario (built afresh for it) against the real
rsync and the real loopback sshd, so a face that holds its own rule shows up as a row
that disagrees with the others.

The C face is the real libdatalake.so (``make lib``) called through ctypes.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import sshd
import trees
from configs import WriteConfig
from test_outcome_lists import c_status_names

import datalake

ROOT = Path(__file__).resolve().parents[2]
PROFILE = "p"
FACES = ("cli", "c", "python", "manager")


# ---------------------------------------------------------------- the C library


@pytest.fixture(scope="session")
def libdatalake() -> ctypes.CDLL:
    proc = subprocess.run(["make", "--no-print-directory", "lib"], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"make lib failed:\n{proc.stdout}\n{proc.stderr}"
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    lib = ctypes.CDLL(str(target / "release" / "libdatalake.so"))
    lib.datalake_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.datalake_open.restype = ctypes.c_uint32
    lib.datalake_sync.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.datalake_sync.restype = ctypes.c_uint32
    lib.datalake_cancel.argtypes = [ctypes.c_void_p]
    lib.datalake_free.argtypes = [ctypes.c_void_p]
    lib.datalake_string_free.argtypes = [ctypes.c_void_p]
    return lib


# ---------------------------------------------------------------- scenarios


@dataclass
class Prepared:
    """One scenario, built for one face."""

    config: Path
    local_dir: Path
    profile: str = PROFILE
    env: dict[str, str] = field(default_factory=dict)
    # Once data flows: "cancel" the run, or make `victim` vanish from the collector.
    on_data: Optional[str] = None
    victim: Optional[Path] = None
    lock_file: Optional[Path] = None


@dataclass
class Row:
    """What every face says about one outcome."""

    cli: int
    c: str
    python: str
    manager: str
    checkpoint: Optional[tuple[str, int, bool]]


Builder = Callable[[str], Prepared]


@pytest.fixture
def scenarios(
    write_config: WriteConfig, ssh_server: sshd.SshServer, world_tmp: Path, tmp_path: Path
) -> dict[str, Builder]:
    def collector(face: str, big: int = 0, victim: bool = False, unreadable: bool = False) -> Path:
        root = world_tmp / f"collector-{face}"
        trees.make_collector_tree(root, days=trees.last_days(1), symbols=("BTC-USDT",), parts=1, size=4096)
        day = trees.partition_name("AAA-USDT", trees.utc_today())
        if big:
            trees.write_file(root, f"{day}/part_00001.parquet", big)
        if victim:
            trees.write_file(root, f"{day}/part_00002.parquet", 4096)
        if unreadable:
            trees.write_file(root, f"{day}/part_00003.parquet", 4096).chmod(0)
        return root

    def make(face: str, source: dict[str, Any], **keys: Any) -> Prepared:
        lake = tmp_path / f"lake-{face}"
        cfg = write_config({PROFILE: {"source": source, "retries": 0, **keys}}, root_dir=lake)
        return Prepared(config=cfg, local_dir=lake / PROFILE)

    def local(face: str, **keys: Any) -> Prepared:
        return make(face, {"type": "local", "remote_root": str(collector(face))}, **keys)

    def success(face: str) -> Prepared:
        return make(face, {"remote_root": str(collector(face))})

    def vanished(face: str) -> Prepared:
        root = collector(face, big=2 * 1024 * 1024, victim=True)
        p = make(face, {"remote_root": str(root)}, bwlimit=1000)
        p.on_data = "vanish"
        p.victim = root / trees.partition_name("AAA-USDT", trees.utc_today()) / "part_00002.parquet"
        return p

    def partial(face: str) -> Prepared:
        return make(face, {"remote_root": str(collector(face, big=4096, unreadable=True))})

    def config(face: str) -> Prepared:
        p = local(face)
        p.config.write_text(p.config.read_text().replace("retries: 0", "retries: many"))
        return p

    def profile_not_found(face: str) -> Prepared:
        p = local(face)
        p.profile = "no_such_profile"
        return p

    def invalid_argument(face: str) -> Prepared:
        return local(face, enabled=False)

    def io(face: str) -> Prepared:
        p = local(face)
        not_a_dir = tmp_path / f"file-{face}"
        not_a_dir.write_text("")
        p.config.write_text(p.config.read_text().replace(str(tmp_path / f"lake-{face}"), str(not_a_dir)))
        return p

    def tool_not_found(face: str) -> Prepared:
        p = local(face)
        empty = tmp_path / f"empty-bin-{face}"
        empty.mkdir()
        p.env = {"PATH": str(empty)}
        return p

    def connect(face: str) -> Prepared:
        return make(face, {"remote_root": str(collector(face)), "port": sshd.free_port()})

    def authentication(face: str) -> Prepared:
        return make(face, {"remote_root": str(collector(face)), "ssh_key": str(ssh_server.wrong_key)})

    def host_key(face: str) -> Prepared:
        return make(face, {"remote_root": str(collector(face))}, known_hosts=str(ssh_server.known_hosts_changed))

    def sync(face: str) -> Prepared:
        return local(face, rsync_args="-rt --no-such-option")

    def locked(face: str) -> Prepared:
        p = success(face)
        p.lock_file = p.local_dir.parent / ".checkpoints" / f"{PROFILE}.lock"
        return p

    def interrupted(face: str) -> Prepared:
        p = make(face, {"remote_root": str(collector(face, big=16 * 1024 * 1024))}, bwlimit=200)
        p.on_data = "cancel"
        return p

    return {
        "success": success,
        "vanished": vanished,
        "partial": partial,
        "config": config,
        "profile_not_found": profile_not_found,
        "invalid_argument": invalid_argument,
        "io": io,
        "tool_not_found": tool_not_found,
        "connect": connect,
        "authentication": authentication,
        "host_key": host_key,
        "sync": sync,
        "locked": locked,
        "interrupted": interrupted,
    }


FAILED = ("failed", 1, False)

# What the faces must say. A face that disagrees with the core's outcome model fails here.
TABLE: dict[str, Row] = {
    "success": Row(0, "DATALAKE_OK", "success", "success", ("success", 0, True)),
    # rsync 24: files deleted on the collector mid-transfer are the collector's normal life.
    "vanished": Row(0, "DATALAKE_OK", "success", "success", ("success", 0, True)),
    # rsync 23 after its retry: data is missing, so a failure everywhere; status stays partial.
    "partial": Row(1, "DATALAKE_ERR_SYNC", "SyncError:partial", "failure", ("partial", 1, False)),
    "config": Row(2, "DATALAKE_ERR_CONFIG", "ConfigError", "raises ConfigError", None),
    "profile_not_found": Row(2, "DATALAKE_ERR_PROFILE_NOT_FOUND", "ProfileNotFoundError", "raises ValueError", None),
    "invalid_argument": Row(2, "DATALAKE_ERR_INVALID_ARGUMENT", "InvalidArgumentError", "failure", None),
    "io": Row(1, "DATALAKE_ERR_IO", "LocalIOError", "failure", None),
    "tool_not_found": Row(1, "DATALAKE_ERR_TOOL_NOT_FOUND", "ToolNotFoundError", "failure", None),
    "connect": Row(1, "DATALAKE_ERR_CONNECT", "ConnectError:failed", "failure", FAILED),
    "authentication": Row(1, "DATALAKE_ERR_AUTHENTICATION", "AuthenticationError:failed", "failure", FAILED),
    "host_key": Row(1, "DATALAKE_ERR_HOST_KEY", "HostKeyError:failed", "failure", FAILED),
    "sync": Row(1, "DATALAKE_ERR_SYNC", "SyncError:failed", "failure", FAILED),
    "locked": Row(3, "DATALAKE_ERR_LOCKED", "LockedError", "failure", None),
    "interrupted": Row(
        130, "DATALAKE_ERR_INTERRUPTED", "CancelledError:interrupted", "failure", ("interrupted", 1, False)
    ),
}


def test_the_table_covers_every_kind_and_status() -> None:
    kinds = set(datalake.all_error_kinds())
    assert kinds <= set(TABLE), f"error kinds without a row: {kinds - set(TABLE)}"
    statuses = {r.checkpoint[0] for r in TABLE.values() if r.checkpoint} | {"skipped"}
    assert statuses == set(datalake.all_sync_statuses())


# ---------------------------------------------------------------- running a face


@contextlib.contextmanager
def conditions(p: Prepared, cancel: Callable[[], None]) -> Iterator[None]:
    """Hold the lock, set the environment, and act once data flows, for one run."""
    saved = {k: os.environ.get(k) for k in p.env}
    os.environ.update(p.env)
    fd = None
    if p.lock_file is not None:
        p.lock_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(p.lock_file, os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, json.dumps({"pid": 4242, "activity": "synced", "started_at": "2026-01-02T03:04:05Z"}).encode())
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.02):
            if any(f for _, _, files in os.walk(p.local_dir) for f in files):
                if p.on_data == "vanish":
                    assert p.victim is not None
                    p.victim.unlink()
                else:
                    cancel()
                return

    watcher = threading.Thread(target=watch) if p.on_data else None
    if watcher:
        watcher.start()
    try:
        yield
    finally:
        done.set()
        if watcher:
            watcher.join()
        if fd is not None:
            os.close(fd)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_cli(p: Prepared) -> int:
    env = {**os.environ, **p.env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "datalake", "-q", "sync", p.profile, "--config", str(p.config), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    # The environment is the child's; only the lock and the data trigger apply here.
    q = Prepared(p.config, p.local_dir, p.profile, {}, p.on_data, p.victim, p.lock_file)
    with conditions(q, lambda: os.kill(proc.pid, signal.SIGINT)):
        out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    if proc.returncode in (0, 1) and out.strip():
        json.loads(out)  # always one JSON document
    return proc.returncode


def run_c(lib: ctypes.CDLL, p: Prepared) -> str:
    names = c_status_names()
    lake = ctypes.c_void_p()
    status = lib.datalake_open(str(p.config).encode(), ctypes.byref(lake))
    if status != 0:
        return names[status]
    report = ctypes.c_void_p()
    try:
        with conditions(p, lambda: lib.datalake_cancel(lake)):
            status = lib.datalake_sync(lake, p.profile.encode(), None, ctypes.byref(report))
    finally:
        lib.datalake_string_free(report)
        lib.datalake_free(lake)
    return names[status]


def run_python(p: Prepared) -> str:
    try:
        lake = datalake.DataLake.open(p.config)
        with conditions(p, lake.cancel):
            return lake.sync(p.profile).status
    except datalake.DataLakeError as e:
        report = e.report
        return type(e).__name__ + (f":{report.status}" if isinstance(report, datalake.SyncReport) else "")


def run_manager(p: Prepared) -> str:
    try:
        m = datalake.DataLakeManager(str(p.config))
        with conditions(p, m.lake.cancel):
            result = m.sync_profile(p.profile, verbose=False)
    except Exception as e:
        return f"raises {type(e).__name__}"
    assert result["profile_name"] == p.profile
    if result["success"]:
        assert "error" not in result
        return "success"
    assert result.get("error") or result.get("message"), result
    return "failure"


def checkpoint_of(p: Prepared) -> Optional[tuple[str, int, bool]]:
    try:
        cp = datalake.DataLake.open(p.config).checkpoint(PROFILE)
    except datalake.DataLakeError:
        return None
    if cp is None:
        return None
    assert cp.running is None, "a finished run leaves no running marker"
    assert cp.last_sync_status is not None
    return (cp.last_sync_status, cp.consecutive_failures, cp.last_success_time is not None)


@pytest.mark.parametrize("outcome", list(TABLE))
def test_every_face_says_the_same(
    outcome: str, scenarios: dict[str, Builder], libdatalake: ctypes.CDLL, world_tmp: Path
) -> None:
    expected = TABLE[outcome]
    got: dict[str, Any] = {}
    prepared: dict[str, Prepared] = {}
    for face in FACES:
        p = prepared[face] = scenarios[outcome](face)
        started = time.monotonic()
        if face == "cli":
            got[face] = run_cli(p)
        elif face == "c":
            got[face] = run_c(libdatalake, p)
        elif face == "python":
            got[face] = run_python(p)
        else:
            got[face] = run_manager(p)
        got[f"checkpoint after {face}"] = checkpoint_of(p)
        assert time.monotonic() - started < 60, f"{outcome}/{face} took too long"
    want = {
        "cli": expected.cli,
        "c": expected.c,
        "python": expected.python,
        "manager": expected.manager,
        **{f"checkpoint after {face}": expected.checkpoint for face in FACES},
    }
    assert got == want

    if outcome in ("partial", "vanished"):
        for face, p in prepared.items():
            # The files that did arrive stay, whatever the status says.
            arrived = sorted(f for _, _, files in os.walk(p.local_dir) for f in files if f.endswith(".parquet"))
            assert "part_00001.parquet" in arrived and "part_00003.parquet" not in arrived, (face, arrived)
            cp = datalake.DataLake.open(p.config).checkpoint(PROFILE)
            assert cp is not None and cp.history[-1].rsync_exit_code == (23 if outcome == "partial" else 24), face


# ---------------------------------------------------------------- the other commands
#
# cleanup, verify, coverage and the health check: their outcomes are decided in the core
# too (lake/aggregates.rs, lake/outcome.rs). Each row runs one command on a lake built
# afresh for each face: the CLI's exit code, the Python result's `cli_exit_code` (or the
# exception it raises), and what C says where the C ABI has the command (status, and the
# report's `ok` where a finding is not an error in C).


@dataclass
class Command:
    """One command on one lake: how each face runs it."""

    cli: list[str]
    python: Callable[[datalake.DataLake], Any]
    c: Optional[Callable[[ctypes.CDLL, ctypes.c_void_p, ctypes.c_void_p], int]] = None
    locked: tuple[str, ...] = ()  # profiles whose lock another process holds


@dataclass
class CommandRow:
    cli: int
    python: str
    c: Optional[str]


def c_cleanup_all(lib: ctypes.CDLL, lake: ctypes.c_void_p, out: ctypes.c_void_p) -> int:
    return int(lib.datalake_cleanup_all(lake, False, ctypes.byref(out)))


def c_verify(profile: str) -> Callable[[ctypes.CDLL, ctypes.c_void_p, ctypes.c_void_p], int]:
    def call(lib: ctypes.CDLL, lake: ctypes.c_void_p, out: ctypes.c_void_p) -> int:
        return int(lib.datalake_verify(lake, profile.encode(), False, None, None, ctypes.byref(out)))

    return call


def c_health(max_age: str) -> Callable[[ctypes.CDLL, ctypes.c_void_p, ctypes.c_void_p], int]:
    def call(lib: ctypes.CDLL, lake: ctypes.c_void_p, out: ctypes.c_void_p) -> int:
        return int(lib.datalake_health(lake, max_age.encode(), ctypes.byref(out)))

    return call


COMMANDS: dict[str, Command] = {
    "cleanup_all_ok": Command(["cleanup", "--all"], lambda l: l.cleanup_all(), c_cleanup_all),
    "cleanup_all_locked": Command(["cleanup", "--all"], lambda l: l.cleanup_all(), c_cleanup_all, locked=("a",)),
    # A locked profile (3) and one that cannot be read (1): the worst speaks for the whole.
    "cleanup_all_locked_and_io": Command(
        ["cleanup", "--all"], lambda l: l.cleanup_all(), c_cleanup_all, locked=("a",)
    ),
    "verify_ok": Command(["verify", "a"], lambda l: l.verify("a"), c_verify("a")),
    "verify_broken": Command(["verify", "b"], lambda l: l.verify("b"), c_verify("b")),
    "verify_all_broken": Command(["verify", "--all"], lambda l: l.verify_all()),
    "coverage_gaps": Command(["coverage", "b"], lambda l: l.coverage("b")),
    "coverage_gaps_fail": Command(["coverage", "b", "--fail-on-gaps"], lambda l: l.coverage("b", fail_on_gaps=True)),
    "coverage_all_fail": Command(["coverage", "--all", "--fail-on-gaps"], lambda l: l.coverage_all(fail_on_gaps=True)),
    "coverage_whole_fail": Command(["coverage", "a", "--fail-on-gaps"], lambda l: l.coverage("a", fail_on_gaps=True)),
    "health_ok": Command(["status", "--max-age", "2h"], lambda l: l.health("2h"), c_health("2h")),
    "health_never_ran": Command(["status", "--max-age", "2h"], lambda l: l.health("2h"), c_health("2h")),
    "health_zero_age": Command(["status", "--max-age", "0s"], lambda l: l.health("0s"), c_health("0s")),
}

COMMAND_TABLE: dict[str, CommandRow] = {
    "cleanup_all_ok": CommandRow(0, "exit 0", "DATALAKE_OK"),
    "cleanup_all_locked": CommandRow(3, "exit 3", "DATALAKE_ERR_LOCKED"),
    "cleanup_all_locked_and_io": CommandRow(1, "exit 1", "DATALAKE_ERR_IO"),
    # In C a broken file or an unhealthy profile is a finding in the report, not a status.
    "verify_ok": CommandRow(0, "exit 0", "DATALAKE_OK ok"),
    "verify_broken": CommandRow(1, "exit 1", "DATALAKE_OK not ok"),
    "verify_all_broken": CommandRow(1, "exit 1", None),
    "coverage_gaps": CommandRow(0, "exit 0", None),
    "coverage_gaps_fail": CommandRow(1, "exit 1", None),
    "coverage_all_fail": CommandRow(1, "exit 1", None),
    "coverage_whole_fail": CommandRow(0, "exit 0", None),
    "health_ok": CommandRow(0, "exit 0", "DATALAKE_OK ok"),
    "health_never_ran": CommandRow(1, "exit 1", "DATALAKE_OK not ok"),
    "health_zero_age": CommandRow(2, "InvalidArgumentError", "DATALAKE_ERR_INVALID_ARGUMENT"),
}


def build_lake(outcome: str, face: str, write_config: WriteConfig, world_tmp: Path, tmp_path: Path) -> Path:
    """Two local profiles: `a` whole (real Parquet, today and yesterday), `b` with a gap, a
    broken file and an expired partition. Per outcome: `b` not a directory; both synced."""
    import parquet_files as pf

    collector = world_tmp / f"collector-{outcome}-{face}"
    collector.mkdir(parents=True)
    root = tmp_path / f"lake-{outcome}-{face}"
    today = trees.utc_today()
    for name, days in (("a", (0, 1)), ("b", (0, 2))):
        for n in days:
            pf.write_parquet(root / name, f"{trees.partition_name(name.upper(), today - dt_days(n))}/p.parquet")
    pf.write_parquet(root / "b", f"{trees.partition_name('B', today - dt_days(400))}/p.parquet")
    pf.write(root / "b", f"{trees.partition_name('B', today)}/cut.parquet", b"PAR1 not a footer")
    source = {"type": "local", "remote_root": str(collector)}
    profiles: dict[str, dict[str, Any]] = {name: {"source": source, "retention_days": 30} for name in ("a", "b")}
    if outcome == "cleanup_all_locked_and_io":
        (root / "not-a-directory").write_text("")
        profiles["b"]["local_subdir"] = "not-a-directory"
    config = write_config(profiles, root_dir=root)
    if outcome == "health_ok":
        lake = datalake.DataLake.open(config)
        for name in ("a", "b"):
            lake.sync(name)
    return config


def dt_days(n: int) -> Any:
    import datetime as dt

    return dt.timedelta(days=n)


@contextlib.contextmanager
def holding_locks(config: Path, profiles: tuple[str, ...]) -> Iterator[None]:
    fds = []
    try:
        for name in profiles:
            lock_file = datalake.DataLake.open(config).profile(name).lock_file
            lock_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock_file, os.O_RDWR | os.O_CREAT)
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, json.dumps({"pid": 4242, "activity": "synced"}).encode())
            fds.append(fd)
        yield
    finally:
        for fd in fds:
            os.close(fd)


def command_python(command: Command, config: Path) -> str:
    try:
        result = command.python(datalake.DataLake.open(config))
    except datalake.DataLakeError as e:
        return type(e).__name__
    return f"exit {result.cli_exit_code}"


def command_c(lib: ctypes.CDLL, command: Command, config: Path) -> Optional[str]:
    if command.c is None:
        return None
    names = c_status_names()
    lake = ctypes.c_void_p()
    assert lib.datalake_open(str(config).encode(), ctypes.byref(lake)) == 0
    out = ctypes.c_void_p()
    try:
        status = names[command.c(lib, lake, out)]
        if out.value and status == "DATALAKE_OK":
            doc = json.loads(ctypes.string_at(out.value).decode())
            if "ok" in doc:
                status += " ok" if doc["ok"] else " not ok"
    finally:
        lib.datalake_string_free(out)
        lib.datalake_free(lake)
    return status


@pytest.mark.parametrize("outcome", list(COMMAND_TABLE))
def test_every_face_says_the_same_for_the_other_commands(
    outcome: str, libdatalake: ctypes.CDLL, write_config: WriteConfig, world_tmp: Path, tmp_path: Path
) -> None:
    command = COMMANDS[outcome]
    for name, argtypes in {
        "datalake_cleanup_all": [ctypes.c_void_p, ctypes.c_bool, ctypes.POINTER(ctypes.c_void_p)],
        "datalake_verify": [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_bool, ctypes.c_void_p, ctypes.c_void_p,
                            ctypes.POINTER(ctypes.c_void_p)],
        "datalake_health": [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)],
    }.items():
        getattr(libdatalake, name).argtypes = argtypes
        getattr(libdatalake, name).restype = ctypes.c_uint32
    got: dict[str, Any] = {}
    config = build_lake(outcome, "cli", write_config, world_tmp, tmp_path)
    with holding_locks(config, command.locked):
        proc = subprocess.run(
            [sys.executable, "-m", "datalake", "-q", *command.cli, "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert "Traceback" not in proc.stderr, proc.stderr
    got["cli"] = proc.returncode
    config = build_lake(outcome, "python", write_config, world_tmp, tmp_path)
    with holding_locks(config, command.locked):
        got["python"] = command_python(command, config)
    config = build_lake(outcome, "c", write_config, world_tmp, tmp_path)
    with holding_locks(config, command.locked):
        got["c"] = command_c(libdatalake, command, config)
    row = COMMAND_TABLE[outcome]
    assert got == {"cli": row.cli, "python": row.python, "c": row.c}


def test_the_command_table_covers_every_aggregate_and_exit_code() -> None:
    assert set(COMMANDS) == set(COMMAND_TABLE)
    codes = {r.cli for r in COMMAND_TABLE.values()}
    assert codes == {0, 1, 2, 3}, codes  # 130 (interrupted): tests/python/test_cancel.py
    for verb in ("cleanup", "verify", "coverage", "status"):
        assert any(c.cli[0] == verb for c in COMMANDS.values()), verb


def test_which_profiles_all_covers_is_one_table(
    libdatalake: ctypes.CDLL, write_config: WriteConfig, collector: Path
) -> None:
    source = {"type": "local", "remote_root": str(collector)}
    config = write_config({"b": {"source": source}, "a": {"source": source}, "off": {"source": source, "enabled": False}})
    everything, enabled = ["a", "b", "off"], ["a", "b"]
    want = {"sync": enabled, "cleanup": enabled, **{c: everything for c in ("stats", "verify", "coverage", "metrics", "health")}}
    lake = datalake.DataLake.open(config)
    assert sorted(datalake.all_commands()) == sorted(want)
    assert {c: lake.select_profiles(c) for c in datalake.all_commands()} == want
    assert lake.select_profiles("sync", "off") == ["off"], "a profile named is selected; sync itself refuses it"
    with pytest.raises(datalake.ProfileNotFoundError):
        lake.select_profiles("verify", "of")
    with pytest.raises(datalake.InvalidArgumentError, match='unknown command "purge"'):
        lake.select_profiles("purge")  # type: ignore[arg-type]

    lib = libdatalake
    lib.datalake_select_profiles.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.datalake_select_profiles.restype = ctypes.c_uint32
    handle = ctypes.c_void_p()
    assert lib.datalake_open(str(config).encode(), ctypes.byref(handle)) == 0
    try:
        for command, names in want.items():
            out = ctypes.c_void_p()
            assert lib.datalake_select_profiles(handle, command.encode(), ctypes.byref(out)) == 0
            assert json.loads(ctypes.string_at(out.value).decode()) == names, command
            lib.datalake_string_free(out)
    finally:
        lib.datalake_free(handle)
