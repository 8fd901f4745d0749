"""Exception classes: the hierarchy, and which class each core error kind raises.

Each core ``ErrorKind`` is provoked for real (bad file, closed port, wrong key,
changed host key, missing rsync, held lock...) and the test checks the exact
class, ``kind`` and the attributes the class documents.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import threading
from pathlib import Path
from typing import Callable

import pytest
import sshd
import ticks
from configs import WriteConfig
from pyhelpers import PROFILE, LocalLake, big_collector

import datalake
from datalake import _datalake

# The contract: core ErrorKind -> Python class (one explicit arm per kind in datalake-py/src/errors.rs).
KIND_TO_CLASS: dict[str, type[BaseException]] = {
    "invalid_argument": datalake.InvalidArgumentError,
    "config": datalake.ConfigError,
    "profile_not_found": datalake.ProfileNotFoundError,
    "io": datalake.LocalIOError,
    "tool_not_found": datalake.ToolNotFoundError,
    "connect": datalake.ConnectError,
    "authentication": datalake.AuthenticationError,
    "host_key": datalake.HostKeyError,
    "sync": datalake.SyncError,
    "locked": datalake.LockedError,
    "interrupted": datalake.CancelledError,
    "data": datalake.DataError,
    "table": datalake.TableError,
}

ALL_CLASSES = [
    datalake.ConfigError,
    datalake.ProfileNotFoundError,
    datalake.InvalidArgumentError,
    datalake.LocalIOError,
    datalake.ConnectError,
    datalake.AuthenticationError,
    datalake.HostKeyError,
    datalake.RsyncNotFoundError,
    datalake.SyncError,
    datalake.LockedError,
    datalake.CancelledError,
    datalake.DataError,
    datalake.TableError,
]


def stub_error_kinds() -> set[str]:
    """The kinds listed by the stub's ``_ErrorKindName`` Literal (the core's ``ErrorKind`` names)."""
    stub = Path(_datalake.__file__).with_name("_datalake.pyi").read_text()
    start = stub.index("_ErrorKindName = Literal[")
    body = stub[start : stub.index("]", start)]
    return {line.strip().strip('",') for line in body.splitlines()[1:] if line.strip()}


def test_every_kind_has_a_class_and_a_scenario() -> None:
    assert stub_error_kinds() == set(KIND_TO_CLASS)


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_hierarchy(cls: type[BaseException]) -> None:
    assert issubclass(cls, datalake.DataLakeError)
    assert issubclass(datalake.DataLakeError, Exception)
    assert cls.__module__ == "datalake"
    assert getattr(datalake, cls.__name__) is cls


def test_builtin_bases() -> None:
    assert issubclass(datalake.ProfileNotFoundError, KeyError)
    assert issubclass(datalake.InvalidArgumentError, ValueError)
    assert issubclass(datalake.LocalIOError, OSError)
    # KeyError would quote the message; ours reads like every other error.
    assert str(datalake.ProfileNotFoundError("profile x not found")) == "profile x not found"


def test_documented_attributes_exist_on_user_created_instances() -> None:
    assert datalake.SyncError("x").exit_code is None
    assert datalake.LockedError("x").pid is None
    e = datalake.ConfigError("x")
    assert (e.path, e.line, e.column, e.key) == (None, None, None, None)
    assert datalake.DataLakeError("x").kind is None and datalake.DataLakeError("x").report is None


# ---------------------------------------------------------------- each kind, provoked for real

Scenario = Callable[[], object]


@pytest.fixture
def scenarios(
    make_local: Callable[..., LocalLake],
    write_config: WriteConfig,
    ssh_server: sshd.SshServer,
    collector: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Scenario]:
    def invalid_argument() -> object:
        env = make_local(extra_profiles={"off": {"source": {"type": "local", "remote_root": "/tmp"}, "enabled": False}})
        return env.open().sync("off")

    def config() -> object:
        bad = tmp_path / "bad.yml"
        bad.write_text("data_lake:\n  root_dir: /tmp/x\n  profiles:\n    p:\n      retention_day: 3\n")
        return datalake.DataLake.open(bad)

    def profile_not_found() -> object:
        return make_local().open().stats("cex_tick")

    def io() -> object:
        not_a_dir = tmp_path / "file"
        not_a_dir.write_text("")
        env = make_local()
        cfg = env.config.read_text().replace(str(env.root), str(not_a_dir))
        env.config.write_text(cfg)
        return env.open().sync(PROFILE)

    def rsync_not_found() -> object:
        lake = make_local().open()
        empty = tmp_path / "empty-bin"
        empty.mkdir()
        monkeypatch.setenv("PATH", str(empty))
        return lake.sync(PROFILE)

    def connect() -> object:
        port = sshd.free_port()
        cfg = write_config({"remote": {"source": {"remote_root": str(collector), "port": port}, "retries": 0}})
        return datalake.DataLake.open(cfg).sync("remote")

    def authentication() -> object:
        cfg = write_config(
            {"remote": {"source": {"remote_root": str(collector), "ssh_key": str(ssh_server.wrong_key)}}}
        )
        return datalake.DataLake.open(cfg).sync("remote")

    def host_key() -> object:
        cfg = write_config(
            {"remote": {"source": {"remote_root": str(collector)}, "known_hosts": str(ssh_server.known_hosts_changed)}}
        )
        return datalake.DataLake.open(cfg).sync("remote")

    def sync() -> object:
        return make_local(rsync_args="-rt --no-such-option").open().sync(PROFILE)

    def locked() -> object:
        env = make_local()
        lock = env.root / ".checkpoints" / f"{PROFILE}.lock"
        lock.parent.mkdir(parents=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            record = {"pid": 4242, "activity": "synced", "started_at": "2026-01-02T03:04:05Z"}
            os.write(fd, json.dumps(record).encode())
            return env.open().sync(PROFILE)
        finally:
            os.close(fd)

    def interrupted() -> object:
        env = make_local(bwlimit=200)
        big_collector(env.collector, size=8 * 1024 * 1024)
        lake = env.open()
        started = threading.Event()
        t = threading.Thread(target=lambda: (started.wait(30), lake.cancel()))
        t.start()
        try:
            return lake.sync(PROFILE, progress=lambda p: started.set())
        finally:
            t.join()

    def data() -> object:
        env = make_local(compact={"enabled": True, "after": "0", "sort_by": ["no_such_column"]})
        day = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=2)
        ticks.write_parts(env.local_dir, "BTC-USDT", day, parts=1, rows=5)
        return env.open().compact(PROFILE)

    def table() -> object:
        env = make_local(compact={"enabled": True, "after": "0"})
        log = env.local_dir / "_table" / "_delta_log"
        log.mkdir(parents=True)
        (log / "00000000000000000000.json").write_text("this is not a Delta log\n")
        return env.open().compact(PROFILE)

    return {
        "data": data,
        "table": table,
        "invalid_argument": invalid_argument,
        "config": config,
        "profile_not_found": profile_not_found,
        "io": io,
        "tool_not_found": rsync_not_found,
        "connect": connect,
        "authentication": authentication,
        "host_key": host_key,
        "sync": sync,
        "locked": locked,
        "interrupted": interrupted,
    }


@pytest.mark.parametrize("kind", sorted(KIND_TO_CLASS))
def test_core_error_kind_raises_its_class(kind: str, scenarios: dict[str, Scenario]) -> None:
    with pytest.raises(datalake.DataLakeError) as info:
        scenarios[kind]()
    e = info.value
    assert type(e) is KIND_TO_CLASS[kind], f"{kind}: got {type(e).__name__}: {e}"
    assert e.kind == kind
    message = str(e)
    assert message and "\n" not in message.splitlines()[0]
    assert "Traceback" not in message


def test_config_error_attributes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "data_lake:\n"
        "  root_dir: /tmp/x\n"
        "  profiles:\n"
        "    p:\n"
        "      source: {type: local, remote_root: /tmp}\n"
        "      local_subdir: p\n"
        "      retention_day: 3\n"
        "      port: 0\n"
    )
    with pytest.raises(datalake.ConfigError) as info:
        datalake.DataLake.open(bad)
    e = info.value
    assert e.path == str(bad)
    assert (e.line, e.column) == (7, 7) and e.key is not None and "retention_day" in e.key
    assert len(e.errors) == 2  # every problem, not just the first
    assert all(isinstance(d, datalake.Diagnostic) and d.severity == "error" for d in e.errors)
    assert [d.line for d in e.errors] == [7, 8]
    assert "did you mean retention_days" in str(e)


def test_profile_not_found_attributes(local_lake: LocalLake) -> None:
    lake = local_lake.open()
    with pytest.raises(KeyError) as info:  # also a KeyError: `except KeyError` code keeps working
        lake.profile("cex_tick")
    e = info.value
    assert isinstance(e, datalake.ProfileNotFoundError)
    assert e.name == "cex_tick" and e.suggestion == PROFILE and e.known == [PROFILE]
    assert "did you mean cex_ticks" in str(e)


def test_sync_error_carries_exit_code_and_report(make_local: Callable[..., LocalLake]) -> None:
    lake = make_local(rsync_args="-rt --no-such-option").open()
    with pytest.raises(datalake.SyncError) as info:
        lake.sync(PROFILE)
    e = info.value
    assert e.exit_code == 1 and e.profile == PROFILE and "unknown option" in e.stderr
    assert isinstance(e.report, datalake.SyncReport)
    assert e.report.status == "failed" and e.report.rsync_exit_code == 1 and e.report.error_kind == "sync"
    with pytest.raises(datalake.SyncError):
        e.report.raise_for_status()
    # sync_all never raises for a failed profile: the report says it.
    (r,) = lake.sync_all()
    assert r.status == "failed" and r.error_kind == "sync"


def test_locked_error_carries_pid(make_local: Callable[..., LocalLake]) -> None:
    env = make_local()
    lock = env.root / ".checkpoints" / f"{PROFILE}.lock"
    lock.parent.mkdir(parents=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, json.dumps({"pid": 4242, "activity": "synced", "started_at": "2026-01-02T03:04:05Z"}).encode())
        lake = env.open()
        with pytest.raises(datalake.LockedError) as info:
            lake.sync(PROFILE)
        assert info.value.pid == 4242 and info.value.profile == PROFILE
        assert "pid 4242" in str(info.value)
        with pytest.raises(datalake.LockedError):
            lake.cleanup(PROFILE)
        (r,) = lake.sync_all()
        assert r.status == "skipped" and r.error_kind == "locked"
    finally:
        os.close(fd)


def test_connection_errors_name_the_target(
    write_config: WriteConfig, ssh_server: sshd.SshServer, collector: Path
) -> None:
    port = sshd.free_port()
    cfg = write_config({"remote": {"source": {"remote_root": str(collector), "port": port}, "retries": 0}})
    with pytest.raises(datalake.ConnectError) as c:
        datalake.DataLake.open(cfg).sync("remote")
    assert c.value.reason == "refused" and c.value.target == f"{ssh_server.user}@127.0.0.1:{port}"

    cfg = write_config({"remote": {"source": {"remote_root": str(collector), "ssh_key": str(ssh_server.wrong_key)}}})
    with pytest.raises(datalake.AuthenticationError) as a:
        datalake.DataLake.open(cfg).sync("remote")
    assert a.value.key_path == str(ssh_server.wrong_key) and "authorized_keys" in str(a.value)

    cfg = write_config(
        {"remote": {"source": {"remote_root": str(collector)}, "known_hosts": str(ssh_server.known_hosts_changed)}}
    )
    with pytest.raises(datalake.HostKeyError) as h:
        datalake.DataLake.open(cfg).sync("remote")
    assert h.value.host == "127.0.0.1" and h.value.port == ssh_server.port and "ssh-keygen -R" in str(h.value)


def test_local_io_error_is_an_oserror(make_local: Callable[..., LocalLake], tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    env = make_local()
    env.config.write_text(env.config.read_text().replace(str(env.root), str(not_a_dir)))
    with pytest.raises(OSError) as info:
        env.open().sync(PROFILE)
    e = info.value
    assert isinstance(e, datalake.LocalIOError)
    assert e.errno == 20 and e.filename and str(not_a_dir) in e.filename


def test_rsync_not_found_says_how_to_install(make_local: Callable[..., LocalLake], tmp_path: Path, monkeypatch) -> None:
    lake = make_local().open()
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(datalake.RsyncNotFoundError) as info:
        lake.sync(PROFILE)
    assert info.value.tool == "rsync" and "apt-get install rsync" in str(info.value)
