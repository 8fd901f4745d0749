"""The C ABI from real C11 and C++17 programs, against the real loopback SSH server.

``make c-tests`` builds tests/c/api_test.c, tests/c/api_test.cpp and the example of
include/README.md with ``-Wall -Wextra -Wpedantic -Werror`` against include/ and the
built libdatalake; each program asserts by itself (see the comments at their tops) and
exits non-zero with a message on the first failed check. Every scenario runs natively
and again under valgrind memcheck (no leaks, no errors) on small trees.
"""

from __future__ import annotations

import datetime as dt
import json
import fcntl
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator, Optional

import gated
import parquet_files as pf
import pytest
import rewrites as rw
import sshd
import trees
from configs import WriteConfig

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "c"
API_TEST = BUILD / "api_test"
API_TEST_CPP = BUILD / "api_test_cpp"
README_EXAMPLE = BUILD / "readme_example"
README_EXAMPLE_STATIC = BUILD / "readme_example_static"

VALGRIND = [
    "valgrind",
    "--tool=memcheck",
    "--leak-check=full",
    "--errors-for-leak-kinds=definite,indirect",
    "--error-exitcode=99",
    "--track-fds=no",
]

MODES = ["native", "valgrind"]

PROFILE = "ticks"
TREE_FILES = 3 * 2 * 2  # the `collector` fixture: 3 days x 2 symbols x 2 parts


@pytest.fixture(scope="session")
def programs() -> Path:
    """Build the library and the C/C++ test programs once per session."""
    proc = subprocess.run(
        ["make", "--no-print-directory", "c-tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, f"make c-tests failed:\n{proc.stdout}\n{proc.stderr}"
    return BUILD


def run(
    argv: list[Any],
    mode: str = "native",
    env: Optional[dict[str, str]] = None,
    timeout: float = 180,
    expect_rc: int = 0,
) -> subprocess.CompletedProcess[str]:
    """Run a test program (under valgrind in mode ``valgrind``) and check its exit code."""
    cmd = [str(a) for a in argv]
    if mode == "valgrind":
        # Absolute path: a test may empty PATH to hide rsync from the library.
        cmd = [shutil.which("valgrind") or "valgrind"] + VALGRIND[1:] + cmd
        timeout *= 3
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    print(proc.stdout + proc.stderr)  # shown by `pytest -rP`, e.g. the messages of the error paths
    assert proc.returncode == expect_rc, (
        f"{' '.join(cmd)}\nexited {proc.returncode} (expected {expect_rc}"
        f"{'; 99 = valgrind found errors or leaks' if mode == 'valgrind' else ''})\n"
        f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    )
    return proc


def lake_dir(config: Path) -> Path:
    """The lake root written by ``write_config`` (root_dir defaults to tmp_path/lake)."""
    return config.parent / "lake"


def old_partition(lake: Path, profile: str, days_ago: int) -> Path:
    """A dated partition past retention, placed directly in the lake."""
    day = trees.utc_today() - dt.timedelta(days=days_ago)
    return trees.write_file(
        lake / profile, f"{trees.partition_name('OLD-USDT', day)}/part_00001.parquet", 1000
    )


@pytest.fixture
def config(write_config: WriteConfig, collector: Path) -> Path:
    return write_config({PROFILE: {"source": {"remote_root": str(collector)}}})


@pytest.fixture
def bad_config(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yml"
    path.write_text(
        "data_lake:\n"
        f"  root_dir: {tmp_path / 'lake'}\n"
        "  profiles:\n"
        "    ticks:\n"
        "      source:\n"
        "        type: ssh\n"
        "        host: 127.0.0.1\n"
        "        port: 99999\n"
        "        user: ubuntu\n"
        "        remote_root: /var/data\n"
        "      local_subdir: ticks\n"
        "      retention_day: 3\n"
    )
    return path


# ---- build and link -------------------------------------------------------------------


def test_only_datalake_symbols_are_exported(programs: Path) -> None:
    proc = subprocess.run(
        ["make", "--no-print-directory", "check-symbols"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_install_and_pkg_config(programs: Path, tmp_path: Path, config: Path) -> None:
    """``make install PREFIX=...`` then ``cc app.c $(pkg-config --cflags --libs datalake)``."""
    prefix = tmp_path / "prefix"
    proc = subprocess.run(
        ["make", "--no-print-directory", "install", f"PREFIX={prefix}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for rel in [
        "include/datalake.h",
        "lib/libdatalake.so",
        "lib/libdatalake.a",
        "lib/pkgconfig/datalake.pc",
    ]:
        assert (prefix / rel).is_file(), f"make install did not install {rel}"
    assert (prefix / "include/datalake.h").read_text() == (ROOT / "include/datalake.h").read_text()

    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib/pkgconfig"))
    flags = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "datalake"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert (
        f"-I{prefix}/include" in flags and f"-L{prefix}/lib" in flags and "-ldatalake" in flags
    ), flags
    version = subprocess.run(
        ["pkg-config", "--modversion", "datalake"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "0.1.0"

    app = tmp_path / "app"
    subprocess.run(
        [
            "cc",
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Wpedantic",
            "-Werror",
            str(BUILD / "readme_example.c"),
            "-o",
            str(app),
        ]
        + flags,
        check=True,
        timeout=120,
    )
    out = run([app, config, PROFILE], env=dict(os.environ, LD_LIBRARY_PATH=str(prefix / "lib")))
    assert '"status":"success"' in out.stdout


# ---- the README example ---------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "program", [README_EXAMPLE, README_EXAMPLE_STATIC], ids=["shared", "static"]
)
def test_readme_example(
    programs: Path, config: Path, collector: Path, program: Path, mode: str
) -> None:
    out = run([program, config, PROFILE], mode=mode)
    assert '"status":"success"' in out.stdout, out.stdout
    assert trees.tree_digest(lake_dir(config) / PROFILE) == trees.tree_digest(collector)
    # A failing run: status string and message on stderr, exit 1.
    bad = run([program, config, "tickz"], mode=mode, expect_rc=1)
    assert "profile not found" in bad.stderr and "did you mean ticks" in bad.stderr, bad.stderr


# ---- the C program ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_null_and_invalid_arguments(programs: Path, config: Path, mode: str) -> None:
    run([API_TEST, "args", config, PROFILE], mode=mode)


@pytest.mark.parametrize("mode", MODES)
def test_validate_good_and_bad_config(
    programs: Path, config: Path, bad_config: Path, mode: str
) -> None:
    run([API_TEST, "validate", config, bad_config], mode=mode)


@pytest.mark.parametrize("mode", MODES)
def test_lifecycle(programs: Path, config: Path, collector: Path, mode: str) -> None:
    """test_connection, sync, stats, checkpoint, cleanup (dry run, real), no-op sync, sync_all."""
    lake = lake_dir(config)
    expired = [old_partition(lake, PROFILE, 40).parent, old_partition(lake, PROFILE, 41).parent]
    run([API_TEST, "lifecycle", config, PROFILE, TREE_FILES, len(expired)], mode=mode)
    assert not any(p.exists() for p in expired), "cleanup did not delete the expired partitions"
    assert trees.tree_digest(lake / PROFILE) == trees.tree_digest(collector)


@pytest.mark.parametrize("mode", MODES)
def test_verify_and_coverage(programs: Path, write_config: WriteConfig, world_tmp: Path, mode: str) -> None:
    """A truncated Parquet file is quarantined by sync; verify (local, remote) and coverage from C."""
    collector = world_tmp / "real"
    collector.mkdir(mode=0o755)
    days = [trees.utc_today() - dt.timedelta(days=n) for n in range(4)]
    for n, day in enumerate(days):
        if n != 2:  # a missing day
            pf.write_parquet(collector, f"{trees.partition_name('BTC-USDT', day)}/p.parquet", rows=500, seed=n)
    good = pf.parquet_bytes(500, 9)
    pf.write(collector, f"{trees.partition_name('BTC-USDT', days[0])}/cut.parquet", good[: len(good) // 2])
    config = write_config(
        {PROFILE: {"source": {"remote_root": str(collector)}, "min_age": "1m", "check_parquet": True}}
    )
    out = run([API_TEST, "quality", config, PROFILE], mode=mode).stdout.splitlines()
    sync, local, remote, coverage = (json.loads(line) for line in out[-4:])
    cut = f"{trees.partition_name('BTC-USDT', days[0])}/cut.parquet"
    assert sync["status"] == "partial" and [q["path"] for q in sync["quarantined"]] == [cut]
    assert local["ok"] is True and local["files_checked"] == 3 and local["quarantined"] == [cut]
    assert remote["remote"]["missing_locally"] == [cut]  # quarantined: the next sync fetches it again
    assert remote["remote"]["differ"] == []
    assert coverage["missing_days"] == 1 and coverage["series"][0]["series"] == "gate_io_BTC-USDT"
    assert coverage["series"][0]["missing_days"] == [str(days[2])]
    assert coverage["series"][0]["partial_days"] == [str(days[0])]


@pytest.mark.parametrize("mode", MODES)
def test_rewrites_kept(programs: Path, write_config: WriteConfig, world_tmp: Path, mode: str) -> None:
    """A restarted collector's part is kept, a growing snapshot replaced: the report and stats from C."""
    collector = world_tmp / "books"
    collector.mkdir(mode=0o755)
    first = rw.write_first(collector)
    config = write_config(
        {PROFILE: {"source": {"remote_root": str(collector)}, "min_age": "1m", "check_parquet": True}}
    )
    run([API_TEST, "synced", config, PROFILE], mode=mode)
    rw.write_second(collector)
    sync, stats = (json.loads(line) for line in run([API_TEST, "synced", config, PROFILE], mode=mode).stdout.splitlines()[-2:])
    rw.check_second_sync(sync, lake_dir(config) / PROFILE, first, collector)
    assert stats["kept_versions"] == 2
    assert stats["kept_bytes"] == sum(len(first[f"{rw.today_part()}/{n}"]) for n in rw.REWRITTEN)


@pytest.mark.parametrize("mode", MODES)
def test_progress_callbacks(
    programs: Path, write_config: WriteConfig, world_tmp: Path, mode: str
) -> None:
    remote = world_tmp / "big"
    trees.write_file(
        remote, f"{trees.partition_name('BTC-USDT', trees.utc_today())}/part_00001.parquet", 3 << 20
    )
    cfg = write_config({PROFILE: {"source": {"remote_root": str(remote)}, "bwlimit": 1024}})
    run([API_TEST, "progress", cfg, PROFILE], mode=mode)


@pytest.fixture
def throttled(write_config: WriteConfig, world_tmp: Path) -> Path:
    """A profile whose one large file takes ~40 s at its bwlimit: plenty of time to cancel."""
    remote = world_tmp / "large"
    trees.write_file(
        remote,
        f"{trees.partition_name('BTC-USDT', trees.utc_today())}/part_00001.parquet",
        20 << 20,
    )
    return write_config({PROFILE: {"source": {"remote_root": str(remote)}, "bwlimit": 500}})


@pytest.mark.parametrize("mode", MODES)
def test_cancel_from_another_thread(programs: Path, throttled: Path, mode: str) -> None:
    run([API_TEST, "cancel", throttled, PROFILE], mode=mode)
    leftover = rsync_running_for(lake_dir(throttled))
    assert not leftover, "an rsync process outlived the cancelled sync"


@pytest.fixture
def gate(world_tmp: Path) -> Iterator[gated.Gate]:
    yield from gated.start(world_tmp)


@pytest.mark.parametrize("mode", MODES)
def test_cancel_a_remote_verify_from_another_thread(
    programs: Path, gate: gated.Gate, write_config: WriteConfig, collector: Path, mode: str
) -> None:
    cfg = write_config({PROFILE: gate.profile(collector)})
    try:
        run([API_TEST, "verify-cancel", cfg, PROFILE, gate.reached_file], mode=mode)
    finally:
        gate.release()
    assert not rsync_running_for(collector), "an rsync process outlived the cancelled verify"


@pytest.mark.parametrize("mode", MODES)
def test_select_profiles_and_cleanup_all(
    programs: Path, write_config: WriteConfig, collector: Path, mode: str
) -> None:
    cfg = write_config(
        {
            "alpha": {"source": {"remote_root": str(collector)}},
            "off": {"enabled": False, "source": {"remote_root": str(collector)}},
        }
    )
    old_partition(lake_dir(cfg), "alpha", days_ago=400)
    old_partition(lake_dir(cfg), "alpha", days_ago=1)
    proc = run([API_TEST, "aggregates", cfg, '["alpha"]', '["alpha","off"]'], mode=mode)
    doc = json.loads(proc.stdout.splitlines()[0])
    [alpha] = doc["results"]
    assert alpha["profile"] == "alpha" and alpha["dry_run"] and alpha["deleted_dirs"] == 1, alpha


@pytest.mark.parametrize("mode", MODES)
def test_parallel_syncs_on_one_handle(
    programs: Path, write_config: WriteConfig, collector: Path, world_tmp: Path, mode: str
) -> None:
    other = world_tmp / "other"
    trees.make_collector_tree(other, seed=7)
    cfg = write_config(
        {
            "alpha": {"source": {"remote_root": str(collector)}},
            "beta": {"source": {"remote_root": str(other)}},
        }
    )
    run([API_TEST, "parallel", cfg, "alpha", "beta"], mode=mode)
    assert trees.tree_digest(lake_dir(cfg) / "alpha") == trees.tree_digest(collector)
    assert trees.tree_digest(lake_dir(cfg) / "beta") == trees.tree_digest(other)


# ---- every error path: status, message, report handed out or not ----------------------


@pytest.fixture
def error_env(
    ssh_server: sshd.SshServer, write_config: WriteConfig, collector: Path, tmp_path: Path
) -> Iterator[dict[str, Any]]:
    """One config with a profile per failure cause, plus what some causes need."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the lake expects a directory\n")
    cfg = write_config(
        {
            PROFILE: {"source": {"remote_root": str(collector)}},
            "off": {"source": {"remote_root": str(collector)}, "enabled": False},
            "refused": {
                "source": {"remote_root": str(collector), "port": sshd.free_port()},
                "retries": 0,
                "connect_timeout": 5,
            },
            "badkey": {
                "source": {"remote_root": str(collector), "ssh_key": str(ssh_server.wrong_key)}
            },
            "hostkey": {
                "source": {"remote_root": str(collector)},
                "known_hosts": str(ssh_server.known_hosts_changed),
            },
            "noroot": {"source": {"remote_root": str(collector / "missing")}, "retries": 0},
            "locked": {"source": {"remote_root": str(collector)}},
        }
    )
    io_cfg = write_config(
        {PROFILE: {"source": {"remote_root": str(collector)}}}, root_dir=blocker / "lake"
    )
    missing = tmp_path / "does-not-exist.yml"
    # Hold the profile lock the way another process would (flock, as File::try_lock does).
    lock_path = lake_dir(cfg) / ".checkpoints" / "locked.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        no_rsync = tmp_path / "empty-bin"
        no_rsync.mkdir()
        yield {"cfg": cfg, "io_cfg": io_cfg, "missing": missing, "no_rsync_path": str(no_rsync)}


# (op, config key, profile, status, message substring, report handed out, env)
ERROR_CASES = [
    ("open", "missing", "-", "DATALAKE_ERR_CONFIG", "does-not-exist.yml", "none", None),
    ("validate", "missing", "-", "DATALAKE_ERR_CONFIG", "does-not-exist.yml", "report", None),
    ("sync", "cfg", "tickz", "DATALAKE_ERR_PROFILE_NOT_FOUND", "did you mean ticks", "none", None),
    ("stats", "cfg", "tickz", "DATALAKE_ERR_PROFILE_NOT_FOUND", "not found", "none", None),
    ("cleanup", "cfg", "tickz", "DATALAKE_ERR_PROFILE_NOT_FOUND", "not found", "none", None),
    ("checkpoint", "cfg", "tickz", "DATALAKE_ERR_PROFILE_NOT_FOUND", "not found", "none", None),
    (
        "test_connection",
        "cfg",
        "tickz",
        "DATALAKE_ERR_PROFILE_NOT_FOUND",
        "not found",
        "none",
        None,
    ),
    ("sync", "cfg", "off", "DATALAKE_ERR_INVALID_ARGUMENT", "disabled", "none", None),
    ("sync", "cfg", "refused", "DATALAKE_ERR_CONNECT", "cannot reach", "report", None),
    ("test_connection", "cfg", "refused", "DATALAKE_ERR_CONNECT", "cannot reach", "report", None),
    (
        "sync",
        "cfg",
        "badkey",
        "DATALAKE_ERR_AUTHENTICATION",
        "authentication failed",
        "report",
        None,
    ),
    (
        "test_connection",
        "cfg",
        "badkey",
        "DATALAKE_ERR_AUTHENTICATION",
        "authentication failed",
        "report",
        None,
    ),
    (
        "sync",
        "cfg",
        "hostkey",
        "DATALAKE_ERR_HOST_KEY",
        "host key verification failed",
        "report",
        None,
    ),
    (
        "test_connection",
        "cfg",
        "hostkey",
        "DATALAKE_ERR_HOST_KEY",
        "host key verification failed",
        "report",
        None,
    ),
    ("sync", "cfg", "noroot", "DATALAKE_ERR_SYNC", "noroot", "report", None),
    ("test_connection", "cfg", "noroot", "DATALAKE_ERR_SYNC", "missing", "report", None),
    ("sync", "cfg", "locked", "DATALAKE_ERR_LOCKED", "locked by another process", "none", None),
    ("cleanup", "cfg", "locked", "DATALAKE_ERR_LOCKED", "locked by another process", "none", None),
    (
        "sync",
        "cfg",
        PROFILE,
        "DATALAKE_ERR_TOOL_NOT_FOUND",
        "not found in PATH",
        "none",
        "no_rsync",
    ),
    ("sync", "io_cfg", PROFILE, "DATALAKE_ERR_IO", "not-a-directory", "none", None),
    # The worst report decides (failed; badkey is first in name order), every failure is named.
    (
        "sync_all",
        "cfg",
        "-",
        "DATALAKE_ERR_AUTHENTICATION",
        "profiles did not sync:",
        "report",
        None,
    ),
]


def _case_id(case: tuple[Any, ...]) -> str:
    op, _, profile, status, *_ = case
    return f"{op}-{profile}-{status.replace('DATALAKE_ERR_', '').lower()}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", ERROR_CASES, ids=[_case_id(c) for c in ERROR_CASES])
def test_error_path(
    programs: Path, error_env: dict[str, Any], case: tuple[Any, ...], mode: str
) -> None:
    op, cfg_key, profile, status, substring, report, env_key = case
    env = None
    if env_key == "no_rsync":
        env = dict(os.environ, PATH=error_env["no_rsync_path"])
    run(
        [API_TEST, "expect", op, error_env[cfg_key], profile, status, substring, report],
        mode=mode,
        env=env,
    )


# ---- the C++ program -------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_cpp_lifecycle(programs: Path, config: Path, mode: str) -> None:
    run([API_TEST_CPP, "lifecycle", config, PROFILE], mode=mode)


@pytest.mark.parametrize("mode", MODES)
def test_cpp_cancel_from_std_thread(programs: Path, throttled: Path, mode: str) -> None:
    run([API_TEST_CPP, "cancel", throttled, PROFILE], mode=mode)
    leftover = rsync_running_for(lake_dir(throttled))
    assert not leftover, "an rsync process outlived the cancelled sync"


@pytest.mark.parametrize("mode", MODES)
def test_cpp_parallel_syncs(
    programs: Path, write_config: WriteConfig, collector: Path, mode: str
) -> None:
    cfg = write_config(
        {
            "alpha": {"source": {"remote_root": str(collector)}},
            "beta": {"source": {"remote_root": str(collector)}},
        }
    )
    run([API_TEST_CPP, "parallel", cfg, "alpha", "beta"], mode=mode)


def rsync_running_for(path: Path, grace: float = 5.0) -> bool:
    """Whether an rsync whose command line names ``path`` is still running after ``grace`` s."""
    deadline = time.monotonic() + grace
    while True:
        alive = False
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv and argv[0].endswith(b"rsync") and any(str(path).encode() in a for a in argv):
                alive = True
                break
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)
