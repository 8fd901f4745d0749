"""The command line: click's runner for behaviour, real subprocesses for exit codes,
streams and the absence of tracebacks; mounted in a stand-in quants-infra CLI."""

from __future__ import annotations

import datetime as dt
import fcntl
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import click
import pytest
import sshd
import trees
from click.testing import CliRunner
from configs import WriteConfig
from pyhelpers import LEGACY_STATS_KEYS, PROFILE, LocalLake, big_collector, run_cli

import datalake
from datalake.cli import data_lake

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # anything but \t and \n


def invoke(*args: str, env: dict[str, str] | None = None) -> click.testing.Result:
    return CliRunner().invoke(data_lake, list(args), env=env, catch_exceptions=False)


# ---------------------------------------------------------------- commands through click's runner


def test_help_lists_every_command() -> None:
    r = invoke("--help")
    assert r.exit_code == 0
    for cmd in ("validate", "test-connection", "sync", "stats", "cleanup", "status"):
        assert cmd in r.output


def test_validate(local_lake: LocalLake, tmp_path: Path) -> None:
    r = invoke("validate", "--config", str(local_lake.config))
    assert r.exit_code == 0 and "OK" in r.output
    bad = tmp_path / "bad.yml"
    bad.write_text("data_lake:\n  root_dir: /tmp/x\n  profiles:\n    p:\n      retention_day: 3\n      port: 0\n")
    r = invoke("validate", "--config", str(bad))
    assert r.exit_code == 2
    lines = [line for line in r.output.splitlines() if ": error: " in line]
    assert len(lines) >= 2
    assert all(re.match(rf"{re.escape(str(bad))}:\d+:\d+: error: ", line) for line in lines)  # file:line:col first
    assert any(line.startswith(f"{bad}:5:7: error: profiles.p.retention_day") for line in lines), lines
    r = invoke("validate", "--config", str(bad), "--format", "json")
    assert r.exit_code == 2 and json.loads(r.stdout)["ok"] is False


def test_validate_shows_warnings(make_local: Callable[..., LocalLake]) -> None:
    env = make_local(rsync_args="-az --inplace")
    r = invoke("validate", "--config", str(env.config))
    assert r.exit_code == 0
    assert ": warning: " in r.output and "inplace" in r.output
    # Every command shows them (once), on stderr.
    r = invoke("sync", PROFILE, "--config", str(env.config))
    assert r.exit_code == 0 and r.stderr.count("--inplace") == 1, r.stderr


def test_sync_one_profile_table(local_lake: LocalLake) -> None:
    r = invoke("sync", PROFILE, "--config", str(local_lake.config))
    assert r.exit_code == 0, r.output
    assert re.search(rf"^{PROFILE}\s+success\s+12\s", r.stdout, re.M), r.stdout
    assert trees.tree_digest(local_lake.local_dir) == trees.tree_digest(local_lake.collector)


def test_sync_json_is_the_report(local_lake: LocalLake) -> None:
    r = invoke("sync", PROFILE, "--config", str(local_lake.config), "--format", "json", "--no-cleanup")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)  # exactly one document
    assert isinstance(doc, dict)
    assert doc["profile"] == PROFILE and doc["status"] == "success" and doc["files_transferred"] == 12
    assert doc["cleanup"] is None
    # Same fields as the library's to_dict (same core serialization).
    lake = local_lake.open()
    assert set(doc) == set(lake.sync(PROFILE).to_dict())


def test_sync_all_json_is_a_list(make_local: Callable[..., LocalLake], world_tmp: Path) -> None:
    other = world_tmp / "other"
    trees.make_collector_tree(other, symbols=("SOL-USDT",))
    env = make_local(extra_profiles={"other": {"source": {"type": "local", "remote_root": str(other)}}})
    r = invoke("sync", "--all", "--jobs", "2", "--config", str(env.config), "--format", "json")
    assert r.exit_code == 0
    docs = json.loads(r.stdout)
    assert [d["profile"] for d in sorted(docs, key=lambda d: d["profile"])] == [PROFILE, "other"]


def test_sync_dry_run(local_lake: LocalLake) -> None:
    r = invoke("sync", PROFILE, "--dry-run", "--config", str(local_lake.config), "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["dry_run"] is True
    assert not list(local_lake.root.rglob("*.parquet"))


def test_stats_json_has_every_legacy_key(local_lake: LocalLake) -> None:
    invoke("sync", PROFILE, "--config", str(local_lake.config))
    r = invoke("stats", PROFILE, "--config", str(local_lake.config), "--format", "json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    legacy = set(LEGACY_STATS_KEYS)
    assert legacy <= set(doc)
    assert doc == local_lake.open().stats(PROFILE).to_dict()
    r = invoke("stats", "--all", "--config", str(local_lake.config), "--format", "json")
    assert isinstance(json.loads(r.stdout), list)


def test_stats_table(local_lake: LocalLake) -> None:
    invoke("sync", PROFILE, "--config", str(local_lake.config))
    r = invoke("stats", PROFILE, "--config", str(local_lake.config))
    assert r.exit_code == 0
    assert re.search(r"^files\s+12$", r.stdout, re.M) and re.search(
        r"^last sync .*\((just now|.* ago)\)$", r.stdout, re.M
    )
    r = invoke("stats", "--all", "--config", str(local_lake.config))
    assert r.exit_code == 0 and r.stdout.splitlines()[0].startswith("PROFILE")


def test_cleanup(make_local: Callable[..., LocalLake]) -> None:
    env = make_local(retention_days=3)
    invoke("sync", PROFILE, "--config", str(env.config))
    old = trees.utc_today() - dt.timedelta(days=9)
    trees.make_collector_tree(env.local_dir, days=[old], symbols=("BTC-USDT",), parts=1, size=10)
    expired = env.local_dir / trees.partition_name("BTC-USDT", old)
    r = invoke("cleanup", PROFILE, "--dry-run", "--config", str(env.config))
    assert r.exit_code == 0 and f"would delete {expired}" in r.stdout and expired.exists()
    r = invoke("cleanup", "--all", "--config", str(env.config), "--format", "json")
    assert r.exit_code == 0
    (doc,) = json.loads(r.stdout)
    assert doc["deleted_dirs"] == 1 and doc["deleted_paths"] == [str(expired)] and not expired.exists()


def test_status(make_local: Callable[..., LocalLake], world_tmp: Path) -> None:
    env = make_local(
        extra_profiles={"off": {"source": {"type": "local", "remote_root": str(world_tmp)}, "enabled": False}}
    )
    r = invoke("status", "--config", str(env.config))
    assert r.exit_code == 0
    assert "never synced" in r.stdout
    invoke("sync", PROFILE, "--config", str(env.config))
    r = invoke("status", "--config", str(env.config))
    lines = r.stdout.splitlines()
    assert lines[0].split()[:3] == ["PROFILE", "ENABLED", "LAST"]
    row = next(line for line in lines if line.startswith(PROFILE))
    assert " yes " in row and "success" in row and ("just now" in row or "ago" in row)
    assert next(line for line in lines if line.startswith("off")).split()[1] == "no"
    docs = json.loads(invoke("status", "--config", str(env.config), "--format", "json").stdout)
    assert {d["profile_name"] for d in docs} == {PROFILE, "off"}


def test_test_connection(local_lake: LocalLake, write_config: WriteConfig, ssh_server: sshd.SshServer) -> None:
    r = invoke("test-connection", PROFILE, "--config", str(local_lake.config))
    assert r.exit_code == 0 and "status" in r.stdout and "ok" in r.stdout
    cfg = write_config({"remote": {"source": {"remote_root": "/x", "ssh_key": str(ssh_server.wrong_key)}}})
    r = invoke("test-connection", "remote", "--config", str(cfg), "--format", "json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["status"] == "authentication"


def test_config_from_environment_and_default_path(local_lake: LocalLake, tmp_path: Path) -> None:
    r = invoke("status", env={"DATALAKE_CONFIG": str(local_lake.config)})
    assert r.exit_code == 0 and PROFILE in r.stdout
    # Default: config/data_lake.yml relative to the working directory.
    (tmp_path / "cwd" / "config").mkdir(parents=True)
    (tmp_path / "cwd" / "config" / "data_lake.yml").write_text(local_lake.config.read_text())
    p = subprocess.run(
        [sys.executable, "-m", "datalake", "status"],
        cwd=tmp_path / "cwd",
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "DATALAKE_CONFIG"},
        timeout=60,
    )
    assert p.returncode == 0 and PROFILE in p.stdout, p.stderr


def test_quiet_and_verbose(local_lake: LocalLake) -> None:
    r = invoke("-q", "sync", PROFILE, "--config", str(local_lake.config))
    assert r.exit_code == 0 and r.stdout == "" and r.stderr == ""
    r = invoke("-vv", "sync", PROFILE, "--config", str(local_lake.config))
    assert r.exit_code == 0 and "DEBUG" in r.stderr and "datalake." in r.stderr


def test_exit_code_3_when_locked(local_lake: LocalLake) -> None:
    lock = local_lake.root / ".checkpoints" / f"{PROFILE}.lock"
    lock.parent.mkdir(parents=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, json.dumps({"pid": 4242, "activity": "synced", "started_at": "2026-01-02T03:04:05Z"}).encode())
        r = invoke("sync", PROFILE, "--config", str(local_lake.config))
        assert r.exit_code == 3 and "pid 4242" in r.stderr
        r = invoke("sync", "--all", "--config", str(local_lake.config))
        assert r.exit_code == 3
        r = invoke("sync", PROFILE, "--config", str(local_lake.config), "--format", "json")
        assert r.exit_code == 3 and json.loads(r.stdout)["error"]["kind"] == "locked"
    finally:
        os.close(fd)


def test_exit_code_1_when_sync_fails(make_local: Callable[..., LocalLake]) -> None:
    env = make_local(rsync_args="-rt --no-such-option")
    r = invoke("sync", PROFILE, "--config", str(env.config), "--format", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)  # the failed report itself
    assert doc["status"] == "failed" and doc["rsync_exit_code"] == 1 and doc["error_kind"] == "sync"
    assert "unknown option" in r.stderr
    assert invoke("sync", "--all", "--config", str(env.config)).exit_code == 1


def test_shell_completion_of_profile_names(local_lake: LocalLake) -> None:
    env = dict(os.environ)
    env.update(
        _DATALAKE_COMPLETE="bash_complete",
        COMP_WORDS="datalake sync cex",
        COMP_CWORD="2",
        DATALAKE_CONFIG=str(local_lake.config),
    )
    p = subprocess.run([sys.executable, "-m", "datalake"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and PROFILE in p.stdout, p.stderr


# ---------------------------------------------------------------- real subprocesses


def test_console_script_and_module_run() -> None:
    exe = Path(sys.executable).with_name("datalake")
    assert exe.exists(), "console script not installed"
    p = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and datalake.__version__ in p.stdout
    # The fast answer says what click's version option says, and imports neither click nor a command.
    from datalake.cli import data_lake

    assert p.stdout == CliRunner().invoke(data_lake, ["--version"], prog_name="datalake").output
    probe = "import sys; sys.argv = ['datalake', '--version']; from datalake.cli import main; main(); print(sorted(m for m in sys.modules if m.startswith(('click', 'datalake.cli.', 'logging'))))"
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.splitlines()[-1] == "[]", p.stdout + p.stderr
    p = run_cli("--help")
    assert p.returncode == 0 and "Usage: datalake" in p.stdout


def test_off_a_terminal_output_has_no_control_characters(local_lake: LocalLake) -> None:
    big_collector(local_lake.collector, size=2 * 1024 * 1024)
    p = run_cli("sync", PROFILE, "--config", str(local_lake.config))
    assert p.returncode == 0, p.stderr
    assert not CONTROL.search(p.stdout) and not CONTROL.search(p.stderr), (p.stdout, p.stderr)
    # timestamped event lines
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} sync cex_ticks: ", p.stderr, re.M), p.stderr


def test_on_a_terminal_sync_draws_a_progress_bar(make_local: Callable[..., LocalLake]) -> None:
    env = make_local(bwlimit=2000)
    big_collector(env.collector, size=3 * 1024 * 1024)  # ~1.5 s
    code, text = run_on_a_terminal(["sync", PROFILE, "--config", str(env.config)])
    assert code == 0, text
    # A line redrawn in place (\r) with the rate; the bar and ETA need rsync's total, when it has told.
    assert re.search(rf"\r{PROFILE} .*/s", text), text
    if "%" in text:
        assert "[" in text and "]" in text


BAD_INPUTS: list[tuple[str, list[str], int]] = [
    ("unknown command", ["frobnicate"], 2),
    ("unknown option", ["sync", "--frobnicate"], 2),
    ("no profile nor --all", ["sync", "--config", "{cfg}"], 2),
    ("profile and --all", ["sync", PROFILE, "--all", "--config", "{cfg}"], 2),
    ("unknown profile", ["sync", "cex_tick", "--config", "{cfg}"], 2),
    ("unknown profile, stats", ["stats", "nope", "--config", "{cfg}"], 2),
    ("unknown profile, cleanup", ["cleanup", "nope", "--config", "{cfg}"], 2),
    ("unknown profile, test-connection", ["test-connection", "nope", "--config", "{cfg}"], 2),
    ("test-connection without profile", ["test-connection", "--config", "{cfg}"], 2),
    ("disabled profile", ["sync", "off", "--config", "{cfg}"], 2),
    ("missing config file", ["sync", PROFILE, "--config", "{tmp}/missing.yml"], 2),
    ("config is a directory", ["status", "--config", "{tmp}"], 2),
    ("invalid YAML", ["status", "--config", "{tmp}/invalid.yml"], 2),
    ("empty config", ["status", "--config", "{tmp}/empty.yml"], 2),
    ("binary garbage config", ["status", "--config", "{tmp}/garbage.yml"], 2),
    ("unknown config key", ["status", "--config", "{tmp}/unknown_key.yml"], 2),
    ("jobs zero", ["sync", "--all", "--jobs", "0", "--config", "{cfg}"], 2),
    ("jobs not a number", ["sync", "--all", "--jobs", "many", "--config", "{cfg}"], 2),
    ("bad format", ["stats", PROFILE, "--format", "xml", "--config", "{cfg}"], 2),
    ("validate missing file", ["validate", "--config", "{tmp}/missing.yml"], 2),
    ("bad rsync_args value", ["sync", PROFILE, "--config", "{tmp}/bad_args.yml"], 1),
    ("wrong ssh key", ["sync", "remote", "--config", "{tmp}/wrong_key.yml"], 1),
    ("closed port, json", ["sync", "remote", "--format", "json", "--config", "{tmp}/closed.yml"], 1),
]


@pytest.fixture
def bad_input_files(
    make_local: Callable[..., LocalLake],
    write_config: WriteConfig,
    ssh_server: sshd.SshServer,
    collector: Path,
    tmp_path: Path,
) -> dict[str, str]:
    env = make_local(
        extra_profiles={"off": {"source": {"type": "local", "remote_root": str(collector)}, "enabled": False}}
    )
    (tmp_path / "invalid.yml").write_text("data_lake:\n  root_dir: [unclosed\n")
    (tmp_path / "empty.yml").write_text("")
    (tmp_path / "garbage.yml").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "unknown_key.yml").write_text(env.config.read_text().replace("root_dir", "root_dri"))
    bad_args = make_local(rsync_args="-rt --no-such-option").config
    (tmp_path / "bad_args.yml").write_text(bad_args.read_text())
    wrong = write_config({"remote": {"source": {"remote_root": str(collector), "ssh_key": str(ssh_server.wrong_key)}}})
    (tmp_path / "wrong_key.yml").write_text(wrong.read_text())
    closed = write_config(
        {"remote": {"source": {"remote_root": str(collector), "port": sshd.free_port()}, "retries": 0}}
    )
    (tmp_path / "closed.yml").write_text(closed.read_text())
    return {"cfg": str(env.config), "tmp": str(tmp_path)}


@pytest.mark.parametrize(("what", "args", "code"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gives_one_clear_line_and_no_traceback(
    what: str, args: list[str], code: int, bad_input_files: dict[str, str]
) -> None:
    p = run_cli(*[a.format(**bad_input_files) for a in args])
    assert p.returncode == code, (what, p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout
    assert "panicked" not in p.stderr
    assert p.stderr.strip(), "no error message"
    assert "Error" in p.stderr
    if "--format" in args and "json" in args:
        json.loads(p.stdout)  # still exactly one JSON document


def test_at_least_fifteen_kinds_of_bad_input() -> None:
    assert len(BAD_INPUTS) >= 15


# ---------------------------------------------------------------- mounted in another click CLI


def quants_infra_cli() -> click.Group:
    @click.group()
    def cli() -> None:
        """Stand-in for the quants-infra command line."""

    @cli.command()
    def deploy() -> None:
        click.echo("deploying")

    cli.add_command(data_lake, name="data-lake")
    return cli


def test_mounted_in_quants_infra(local_lake: LocalLake) -> None:
    cli = quants_infra_cli()
    runner = CliRunner()
    r = runner.invoke(cli, ["--help"])
    assert "data-lake" in r.output and "deploy" in r.output
    r = runner.invoke(cli, ["data-lake", "sync", "--all", "--config", str(local_lake.config)])
    assert r.exit_code == 0, r.output
    assert trees.tree_digest(local_lake.local_dir) == trees.tree_digest(local_lake.collector)
    r = runner.invoke(cli, ["data-lake", "stats", PROFILE, "--config", str(local_lake.config), "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["file_count"] == 12
    # Exit codes hold when mounted too.
    assert runner.invoke(cli, ["data-lake", "sync", "nope", "--config", str(local_lake.config)]).exit_code == 2


def test_mounted_as_a_real_program(local_lake: LocalLake, tmp_path: Path) -> None:
    script = tmp_path / "quants_infra.py"
    script.write_text(
        "import click\n"
        "from datalake.cli import data_lake\n"
        "@click.group()\n"
        "def cli():\n"
        "    pass\n"
        "cli.add_command(data_lake, name='data-lake')\n"
        "if __name__ == '__main__':\n"
        "    cli()\n"
    )
    p = subprocess.run(
        [sys.executable, str(script), "data-lake", "sync", "--all", "--config", str(local_lake.config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    p = subprocess.run(
        [sys.executable, str(script), "data-lake", "sync", "nope", "--config", str(local_lake.config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2 and "Traceback" not in p.stderr and "nope" in p.stderr


# ---------------------------------------------------------------- -q, errors once, progress bar end


def test_quiet_still_prints_warnings(make_local: Callable[..., LocalLake], world_tmp: Path, tmp_path: Path) -> None:
    # A dead collector: it only holds expired days, and so does the lake. The
    # cleanup keeps the lake's newest day although it is expired, and warns.
    dead = world_tmp / "dead"
    old = [trees.utc_today() - dt.timedelta(days=n) for n in (12, 11, 10)]
    trees.make_collector_tree(dead, days=old, symbols=("BTC-USDT",), parts=1, size=10)
    env = make_local(retention_days=3, rsync_args="-rt --inplace", source={"type": "local", "remote_root": str(dead)})
    trees.make_collector_tree(env.local_dir, days=old, symbols=("BTC-USDT",), parts=1, size=10)
    # A run that did not finish (its process died): the next sync warns about it.
    checkpoint = env.root / ".checkpoints" / f"{PROFILE}.json"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    checkpoint.write_text(
        json.dumps({"profile_name": PROFILE, "running": {"pid": 999999, "started_at": "2026-01-02T03:04:05Z"}})
    )

    p = run_cli("-q", "sync", PROFILE, "--config", str(env.config))
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""  # informational lines (table, cleanup summary) are what -q drops
    lines = p.stderr.splitlines()
    assert any(line.startswith("warning: ") and "--inplace" in line for line in lines), p.stderr  # config
    assert any(f"{PROFILE}: warning: previous run did not finish" in line for line in lines), p.stderr  # sync
    assert any(line.startswith(f"{PROFILE}: cleanup warning: newest partition") and "kept" in line for line in lines), (
        p.stderr
    )
    assert (env.local_dir / trees.partition_name("BTC-USDT", old[-1])).exists()
    assert f"sync {PROFILE}: " not in p.stderr  # no events (started, progress, success)
    assert len(lines) == 3, p.stderr
    assert not CONTROL.search(p.stderr)

    # The cleanup command too.
    p = run_cli("-q", "cleanup", PROFILE, "--config", str(env.config))
    assert p.returncode == 0 and p.stdout == "", p.stderr
    assert "newest partition" in p.stderr and "--inplace" in p.stderr

    # And with --format json: the warning is in the document and on stderr.
    p = run_cli("-q", "cleanup", PROFILE, "--config", str(env.config), "--format", "json")
    assert p.returncode == 0, p.stderr
    assert any("newest partition" in w for w in json.loads(p.stdout)["warnings"])
    assert "newest partition" in p.stderr


def test_a_failed_sync_prints_its_error_once(make_local: Callable[..., LocalLake]) -> None:
    env = make_local(rsync_args="-rt --no-such-option")
    p = run_cli("sync", PROFILE, "--config", str(env.config), "--format", "json")
    assert p.returncode == 1
    (message,) = json.loads(p.stdout)["errors"]
    assert "unknown option" in message
    assert p.stderr.count(message) == 1, p.stderr
    for args in ([], ["-q"]):
        p = run_cli(*args, "sync", PROFILE, "--config", str(env.config))
        assert p.returncode == 1
        assert p.stderr.count(message) == 1, p.stderr
        assert f"Error: {message}" in p.stderr
    # --all has no `Error:` line: the per-profile line, once.
    p = run_cli("sync", "--all", "--config", str(env.config))
    assert p.returncode == 1 and p.stderr.count(message) == 1, p.stderr
    assert f"{PROFILE}: error: {message}" in p.stderr


class FakeProgress:
    def __init__(self, done: int, total: int | None, rate: float = 1000.0, current: str | None = "a/b.parquet"):
        self.profile = PROFILE
        self.bytes_done = done
        self.bytes_total = total
        self.rate = rate
        self.files_done = 1
        self.current_file = current


class FakeReport:
    def __init__(self, status: str, bytes_transferred: int, duration_seconds: float = 2.0):
        self.profile = PROFILE
        self.status = status
        self.bytes_transferred = bytes_transferred
        self.duration_seconds = duration_seconds


def drawn(text: str) -> list[str]:
    """The states of the bar, in order (each redraw starts with \\r)."""
    return [part.strip() for part in text.replace("\n", "\r").split("\r") if part.strip()]


def test_progress_bar_ends_at_100_percent(monkeypatch: pytest.MonkeyPatch) -> None:
    from datalake._progress import ProgressDisplay

    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    display = ProgressDisplay(tty=True)
    # rsync's percentage covers the whole tree: an incremental sync stops at 14%.
    display(FakeProgress(done=140_000, total=1_000_000))  # type: ignore[arg-type]
    assert "14%" in drawn(err.getvalue())[-1] and "ETA" in drawn(err.getvalue())[-1]
    display.finish(FakeReport("success", 150_000))  # type: ignore[arg-type]
    last = drawn(err.getvalue())[-1]
    assert "[####################] 100%" in last and "ETA" not in last, err.getvalue()
    assert err.getvalue().endswith("\n")  # the finished bar stays on screen

    # A failed run: the bar is erased, not completed.
    err.truncate(0)
    err.seek(0)
    display = ProgressDisplay(tty=True)
    display(FakeProgress(done=140_000, total=1_000_000))  # type: ignore[arg-type]
    display.finish(FakeReport("failed", 140_000))  # type: ignore[arg-type]
    assert "100%" not in err.getvalue() and err.getvalue().endswith("\r")  # erased: \r, blanks, \r


def test_progress_without_total_has_no_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    from datalake._progress import ProgressDisplay

    for tty in (True, False):
        err = io.StringIO()
        monkeypatch.setattr(sys, "stderr", err)
        display = ProgressDisplay(tty=tty, interval=0)
        display(FakeProgress(done=140_000, total=None, rate=5000.0))  # type: ignore[arg-type]
        text = err.getvalue()
        assert datalake.human_size(140_000) in text, text
        assert "ETA" not in text and "%" not in text, text
        if not tty:
            display.finish(FakeReport("success", 140_000))  # type: ignore[arg-type]
            assert not CONTROL.search(err.getvalue()), repr(err.getvalue())
            assert "100%" not in err.getvalue()


def run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run the CLI with a pty as stdin/stdout/stderr; its exit code and everything it wrote."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "datalake", *args], stdin=slave, stdout=slave, stderr=slave, close_fds=True
    )
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(30), out.decode(errors="replace")


def test_on_a_terminal_an_incremental_sync_ends_the_bar_at_100(make_local: Callable[..., LocalLake]) -> None:
    fast = make_local()
    big_collector(fast.collector, size=8 * 1024 * 1024)
    assert run_cli("sync", PROFILE, "--config", str(fast.config)).returncode == 0
    # One new file of 1.5 MiB next to 8 MiB already there: over the whole tree (a full run),
    # rsync's percentage stays near 15%. (A windowed run names the new file alone to rsync,
    # whose percentage is then exact.)
    trees.write_file(fast.collector, f"{trees.partition_name('ETH-USDT', trees.utc_today())}/new.parquet", 3 * 2**19)
    slow = make_local(bwlimit=1000)
    code, text = run_on_a_terminal(["sync", PROFILE, "--full", "--config", str(slow.config)])
    assert code == 0, text
    before_result = text[: text.index(f"sync {PROFILE}: success")]
    bars = [s for s in drawn(before_result) if s.startswith(f"{PROFILE} ")]
    assert bars, text
    assert "100%" in bars[-1] and "ETA" not in bars[-1], bars
    assert any("%" in b and "100%" not in b for b in bars[:-1]), bars  # it did stop short before the fix
