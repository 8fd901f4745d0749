"""Metrics, alerts, dashboard, health check, systemd units and JSON logs, with the real tools:
rsync over the loopback sshd, promtool, prometheus-node-exporter scraped over HTTP, and
systemd-analyze (all installed by scripts/setup.sh)."""

from __future__ import annotations

import calendar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sshd
import trees
from configs import WriteConfig
from pyhelpers import run_cli

import datalake

REPO = Path(__file__).resolve().parents[2]
CONTRIB = REPO / "contrib"
PROM_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def samples(text: str) -> dict[str, float]:
    """``name{labels}`` -> value for every sample line of an exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = PROM_SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def sample_names(text: str) -> set[str]:
    return {k.split("{")[0] for k in samples(text)}


def promtool(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    assert shutil.which("promtool"), "promtool missing: scripts/setup.sh installs the Debian package prometheus"
    return subprocess.run(["promtool", *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def node_exporter(world_tmp: Path) -> Iterator[tuple[Path, str]]:
    """A real prometheus-node-exporter on 127.0.0.1 with only the textfile collector:
    yields (its textfile directory, its /metrics URL)."""
    exe = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
    assert exe, "prometheus-node-exporter missing: scripts/setup.sh installs it"
    textfile = world_tmp / "textfile"
    textfile.mkdir()
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            f"--web.listen-address=127.0.0.1:{port}",
            "--collector.disable-defaults",
            "--collector.textfile",
            f"--collector.textfile.directory={textfile}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                scrape(url)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"node exporter did not start: {proc.communicate()[1]}") from None
                time.sleep(0.1)
        yield textfile, url
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as r:
        body: bytes = r.read()
    return body.decode()


@pytest.fixture
def ssh_lake(write_config: WriteConfig, collector: Path, tmp_path: Path) -> Any:
    """A config factory: two SSH profiles over the loopback sshd reading `collector`."""

    def make(metrics_dir: Path, **keys: Any) -> Path:
        profiles = {
            "cex_ticks": {"source": {"remote_root": str(collector)}},
            "dex_trades": {"source": {"remote_root": str(collector)}, "retention_days": 2},
        }
        return write_config(profiles, root_dir=tmp_path / "lake", metrics_dir=str(metrics_dir), **keys)

    return make


def test_node_exporter_serves_the_families_after_a_real_sync(
    ssh_lake: Any, node_exporter: tuple[Path, str], collector: Path
) -> None:
    textfile, url = node_exporter
    config = ssh_lake(textfile)
    r = run_cli("sync", "--all", "--config", str(config))
    assert r.returncode == 0, r.stderr
    files = sorted(p.name for p in textfile.iterdir())
    assert files == ["datalake_cex_ticks.prom", "datalake_dex_trades.prom"], "one file per profile, no temp files"
    for f in textfile.iterdir():
        checked = promtool("check", "metrics", stdin=f.read_text())
        assert checked.returncode == 0 and not (checked.stdout + checked.stderr).strip(), checked

    served = scrape(url)
    assert "node_textfile_scrape_error 0" in served, served
    got = samples(served)
    size = sum(p.stat().st_size for p in collector.rglob("*.parquet"))
    # dex_trades keeps 2 days: the third day was never downloaded.
    for profile, stored in (("cex_ticks", size), ("dex_trades", size * 2 // 3)):
        lbl = f'{{profile="{profile}"}}'
        assert got[f"data_lake_stored_bytes{lbl}"] == stored
        assert got[f'data_lake_sync_total{{profile="{profile}",status="success"}}'] == 1
        assert got[f'data_lake_last_sync_status{{profile="{profile}",status="success"}}'] == 1
        assert got[f"data_lake_bytes_transferred_total{lbl}"] == stored
        assert got[f"data_lake_consecutive_failures{lbl}"] == 0
        assert abs(got[f"data_lake_last_success_timestamp_seconds{lbl}"] - time.time()) < 120
        newest_day = trees.utc_today()
        midnight = calendar.timegm(newest_day.timetuple())
        assert got[f"data_lake_newest_partition_timestamp_seconds{lbl}"] == midnight
        assert got[f'data_lake_info{{profile="{profile}",version="{datalake.__version__}"}}'] == 1
    # Every family datalake writes is served, with HELP and TYPE.
    written = (textfile / "datalake_cex_ticks.prom").read_text().splitlines()
    own = [line.split()[2] for line in written if line.startswith("# TYPE")]
    assert len(own) >= 20
    for family in own:
        assert f"# TYPE {family} " in served, family
        assert f"# HELP {family} " in served, family

    # `datalake metrics --all` prints the same exposition (node_exporter reorders nothing we rely on).
    printed = run_cli("metrics", "--all", "--config", str(config))
    assert printed.returncode == 0, printed.stderr
    assert promtool("check", "metrics", stdin=printed.stdout).returncode == 0
    for key in ("data_lake_stored_bytes", "data_lake_sync_total", "data_lake_cleanup_runs_total"):
        mine = {k: v for k, v in samples(printed.stdout).items() if k.startswith(key)}
        assert mine and mine == {k: v for k, v in got.items() if k.startswith(key)}


def test_counters_only_grow_and_start_from_an_old_checkpoint(ssh_lake: Any, world_tmp: Path, tmp_path: Path) -> None:
    textfile = world_tmp / "textfile"
    textfile.mkdir()
    config = ssh_lake(textfile)
    # A checkpoint as the quants-infra tool wrote it: one run, naive local time, no counters.
    checkpoints = tmp_path / "lake" / ".checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / "cex_ticks.json").write_text(
        json.dumps(
            {
                "profile_name": "cex_ticks",
                "last_sync_time": "2026-11-26T03:03:41.514316",
                "last_sync_status": "failed",
                "files_transferred": 60,
                "bytes_transferred": 123456789,
                "duration_seconds": 12.5,
                "errors": ["connection refused"],
                "saved_at": "2026-11-26T03:03:54",
            }
        )
    )
    before = samples(run_cli("metrics", "cex_ticks", "--config", str(config)).stdout)
    assert before['data_lake_sync_total{profile="cex_ticks",status="failed"}'] == 1
    assert before['data_lake_bytes_transferred_total{profile="cex_ticks"}'] == 123456789
    assert before['data_lake_sync_duration_seconds_sum{profile="cex_ticks"}'] == 12.5

    seen: list[dict[str, float]] = [before]
    logs = []
    for _ in range(2):
        r = run_cli("-vv", "sync", "cex_ticks", "--config", str(config))
        assert r.returncode == 0, r.stderr
        logs.append(r.stderr)
        seen.append(samples((textfile / "datalake_cex_ticks.prom").read_text()))
    used_read_ahead = "its metrics use the walk made while it ran"
    assert used_read_ahead not in logs[0] and used_read_ahead in logs[1], logs
    first, second = seen[1], seen[2]
    assert first['data_lake_sync_total{profile="cex_ticks",status="success"}'] == 1
    assert second['data_lake_sync_total{profile="cex_ticks",status="success"}'] == 2
    assert second['data_lake_sync_total{profile="cex_ticks",status="failed"}'] == 1
    assert first['data_lake_bytes_transferred_total{profile="cex_ticks"}'] > 123456789
    # The second sync moved nothing new: the counter stays, the last-run gauge says 0.
    moved = 'data_lake_bytes_transferred_total{profile="cex_ticks"}'
    assert second[moved] == first[moved]
    assert second['data_lake_last_sync_transferred_bytes{profile="cex_ticks"}'] == 0
    # Its lake figures come from the walk made while it ran: what a walk now finds.
    assert samples(run_cli("metrics", "cex_ticks", "--config", str(config)).stdout) == second
    # The checkpoint is lost (deleted, or moved aside as corrupt): the counters go on from
    # the previous .prom file instead of starting again at 0.
    (checkpoints / "cex_ticks.json").unlink()
    assert run_cli("sync", "cex_ticks", "--config", str(config)).returncode == 0
    seen.append(samples((textfile / "datalake_cex_ticks.prom").read_text()))
    assert seen[3]['data_lake_sync_total{profile="cex_ticks",status="success"}'] == 3
    assert seen[3]['data_lake_sync_total{profile="cex_ticks",status="failed"}'] == 1
    assert seen[3]['data_lake_consecutive_failures{profile="cex_ticks"}'] == 0
    for a, b in zip(seen, seen[1:]):
        for key, value in a.items():
            if re.match(r"data_lake_\w+(_total|_sum|_count)\{", key):
                assert b[key] >= value, f"{key} went backwards: {value} -> {b[key]}"


def test_cleanup_is_counted_and_rewrites_the_file(ssh_lake: Any, world_tmp: Path, tmp_path: Path) -> None:
    textfile = world_tmp / "textfile"
    textfile.mkdir()
    config = ssh_lake(textfile)
    assert run_cli("sync", "dex_trades", "--config", str(config)).returncode == 0
    old = tmp_path / "lake" / "dex_trades" / "gate_io_OLD-USDT_20200101"
    old.mkdir()
    (old / "part_00001.parquet").write_bytes(b"x" * 1000)
    stale = samples(run_cli("metrics", "dex_trades", "--config", str(config)).stdout)
    assert stale['data_lake_expired_bytes{profile="dex_trades"}'] == 1000

    dry = run_cli("cleanup", "dex_trades", "--dry-run", "--config", str(config))
    assert dry.returncode == 0, dry.stderr
    runs = 'data_lake_cleanup_runs_total{profile="dex_trades"}'
    assert samples((textfile / "datalake_dex_trades.prom").read_text())[runs] == 1
    r = run_cli("cleanup", "dex_trades", "--config", str(config))
    assert r.returncode == 0, r.stderr
    after = samples((textfile / "datalake_dex_trades.prom").read_text())
    assert after['data_lake_cleanup_runs_total{profile="dex_trades"}'] == 2  # the sync's own, then this one
    assert after['data_lake_cleanup_deleted_dirs_total{profile="dex_trades"}'] == 1
    assert after['data_lake_cleanup_freed_bytes_total{profile="dex_trades"}'] == 1000
    assert after['data_lake_expired_bytes{profile="dex_trades"}'] == 0


def test_a_missing_metrics_dir_is_a_warning_not_a_failure(ssh_lake: Any, world_tmp: Path) -> None:
    missing = world_tmp / "no-such-textfile-dir"
    config = ssh_lake(missing)
    r = run_cli("sync", "cex_ticks", "--config", str(config))
    assert r.returncode == 0, r.stderr
    assert f"metrics_dir {missing} does not exist" in r.stderr
    assert not missing.exists()
    checkpoint = datalake.DataLake.open(config).checkpoint("cex_ticks")
    assert checkpoint is not None and checkpoint.last_sync_status == "success"


# ---------------------------------------------------------------- alerts and dashboard


def expressions() -> list[tuple[str, str]]:
    """(where, PromQL) of every alert rule and dashboard query."""
    out = []
    rules = (CONTRIB / "prometheus" / "datalake-alerts.yml").read_text()
    for m in re.finditer(r"expr: (\|\n((?:          .*\n)+)|(.+)\n)", rules):
        out.append(("alert rule", (m.group(2) or m.group(3)).strip()))
    dashboard = json.loads((CONTRIB / "grafana" / "datalake-dashboard.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            out.append((f"dashboard panel {panel['title']!r}", target["expr"]))
    return out


def test_alert_rules_pass_promtool() -> None:
    rules = CONTRIB / "prometheus"
    r = promtool("check", "rules", "datalake-alerts.yml", cwd=rules)
    assert r.returncode == 0 and "SUCCESS: 7 rules found" in r.stdout, r.stdout + r.stderr
    # Unit tests of the rules: they fire when they should and stay quiet otherwise.
    r = promtool("test", "rules", "datalake-alerts.test.yml", cwd=rules)
    assert r.returncode == 0, r.stdout + r.stderr


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    exprs = [e for where, e in expressions() if where.startswith("dashboard")]
    assert len(exprs) >= 15
    # promtool parses PromQL in rule files: one recording rule per query, variables filled in.
    lines = ["groups:", "  - name: dashboard", "    rules:"]
    for i, e in enumerate(exprs):
        lines += [f"      - record: dashboard:query{i}", f"        expr: {json.dumps(e.replace('$profile', '.*'))}"]
    (tmp_path / "dashboard-rules.yml").write_text("\n".join(lines) + "\n")
    r = promtool("check", "rules", "dashboard-rules.yml", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    dashboard = json.loads((CONTRIB / "grafana" / "datalake-dashboard.json").read_text())
    titles = {p["title"] for p in dashboard["panels"]}
    for wanted in ("Data freshness", "Last sync status", "Bytes per run", "Sync duration", "Failures", "Lake size"):
        assert wanted in titles


def test_every_metric_the_rules_and_dashboard_use_exists(local_lake: Any, tmp_path: Path) -> None:
    lake = datalake.DataLake.open(local_lake.config)
    lake.sync("cex_ticks")
    exposition = lake.metrics()
    names = sample_names(exposition)
    used: dict[str, str] = {}
    for where, expr in expressions():
        for name in re.findall(r"\b(data_lake_[a-z0-9_]+)\b", expr):
            used.setdefault(name, where)
    assert len(used) >= 15, used
    unknown = {n: w for n, w in used.items() if n not in names}
    assert not unknown, f"not in the exposition: {unknown}"


# ---------------------------------------------------------------- health check


def test_status_max_age(
    ssh_lake: Any, world_tmp: Path, write_config: WriteConfig, ssh_server: sshd.SshServer, collector: Path
) -> None:
    config = ssh_lake(world_tmp)
    r = run_cli("status", "--max-age", "2h", "--config", str(config))
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        "cex_ticks: never synced (no finished sync in its checkpoint)",
        "dex_trades: never synced (no finished sync in its checkpoint)",
    ]
    assert run_cli("sync", "--all", "--config", str(config)).returncode == 0
    r = run_cli("status", "--max-age", "2h", "--config", str(config))
    assert (r.returncode, r.stdout) == (0, "OK: 2 enabled profiles synced within 2h\n"), r.stderr
    assert run_cli("-q", "status", "--max-age", "2h", "--config", str(config)).stdout == ""

    time.sleep(1.2)
    r = run_cli("status", "--max-age", "1s", "--format", "json", "--config", str(config))
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["max_age_seconds"] == 1.0
    assert [p["problems"][0]["kind"] for p in doc["profiles"]] == ["stale", "stale"]
    message = doc["profiles"][0]["problems"][0]["message"]
    assert re.fullmatch(r"cex_ticks: last success \d+s ago, older than the allowed 1s", message), message

    # A failing run (wrong key): one line for the failure, exit 1.
    broken = write_config(
        {
            "cex_ticks": {
                "source": {"remote_root": str(collector), "ssh_key": str(ssh_server.wrong_key)},
                "retries": 0,
            },
            "off": {"enabled": False, "source": {"remote_root": str(collector)}},
        },
        root_dir=world_tmp / "lake2",
    )
    assert run_cli("sync", "cex_ticks", "--config", str(broken)).returncode == 1
    r = run_cli("status", "--max-age", "2h", "--config", str(broken))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert len(lines) == 2, r.stdout  # the disabled profile is not a problem
    assert lines[0].startswith("cex_ticks: last sync failed (1 in a row): authentication failed")
    assert lines[1] == "cex_ticks: no successful sync recorded (allowed age 2h)"

    r = run_cli("status", "--max-age", "soon", "--config", str(config))
    assert r.returncode == 2
    assert "max age \"soon\" is not a duration" in r.stderr and "90min" in r.stderr


def test_health_from_python(local_lake: Any) -> None:
    import datetime as dt

    lake = datalake.DataLake.open(local_lake.config)
    assert lake.health("1h").problems == ["cex_ticks: never synced (no finished sync in its checkpoint)"]
    lake.sync("cex_ticks")
    for max_age in ("1h", 3600, 3600.0, dt.timedelta(hours=1)):
        report = lake.health(max_age)
        assert report.ok and report.max_age_seconds == 3600.0 and report.problems == []
        assert report.profiles[0]["profile"] == "cex_ticks"
    with pytest.raises(datalake.InvalidArgumentError, match="positive"):
        lake.health(0)
    with pytest.raises(TypeError, match="max_age"):
        lake.health([1])  # type: ignore[arg-type]


# ---------------------------------------------------------------- systemd units


def test_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    exe = shutil.which("systemd-analyze")
    assert exe, "systemd-analyze missing: scripts/setup.sh installs the Debian package systemd"
    units = sorted((CONTRIB / "systemd").iterdir())
    assert [u.name for u in units] == [
        "datalake-sync-all.service",
        "datalake-sync-all.timer",
        "datalake-sync@.service",
        "datalake-sync@.timer",
    ]
    # verify checks that ExecStart's program exists: point it at the installed datalake.
    datalake_exe = Path(sys.executable).parent / "datalake"
    assert datalake_exe.exists()
    for unit in units:
        text = unit.read_text()
        if unit.suffix == ".service":
            assert "ExecStart=/usr/local/bin/datalake " in text
            for key in ("ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes", "User=datalake",
                        "ReadWritePaths=/data/lake", "SuccessExitStatus=143", "KillMode=mixed", "TimeoutStopSec=5min"):
                assert key in text.splitlines(), (unit.name, key)
        else:
            for key in ("OnCalendar=hourly", "RandomizedDelaySec=10min", "Persistent=true"):
                assert key in text.splitlines(), (unit.name, key)
        (tmp_path / unit.name).write_text(text.replace("/usr/local/bin/datalake", str(datalake_exe)))
    names = [
        "datalake-sync@cex_ticks.service",
        "datalake-sync@cex_ticks.timer",
        "datalake-sync-all.service",
        "datalake-sync-all.timer",
    ]
    r = subprocess.run([exe, "verify", *names], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    # verify exits 0 on unknown keys too, with a message: any output is a finding.
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr

    # And it does find mistakes here (the test can fail).
    (tmp_path / "datalake-sync-all.service").write_text(
        (tmp_path / "datalake-sync-all.service").read_text().replace("ProtectSystem=strict", "ProtectSytem=strict")
    )
    r = subprocess.run(
        [exe, "verify", "datalake-sync-all.service"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert "Unknown key" in r.stderr, r.stderr


# ---------------------------------------------------------------- --log-format json


def test_log_format_json(ssh_lake: Any, world_tmp: Path, write_config: WriteConfig) -> None:
    config = ssh_lake(world_tmp / "missing-metrics-dir")
    r = run_cli("--log-format", "json", "-vv", "sync", "--all", "--config", str(config))
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stderr.splitlines()]  # every line is one JSON object
    assert lines
    for doc in lines:
        assert list(doc) == ["time", "level", "profile", "event", "message", "fields"], doc
        assert doc["level"] in ("debug", "info", "warning", "error")
        assert doc["time"].endswith("+00:00")
    events = [(d["event"], d["profile"]) for d in lines]
    assert ("sync_started", None) in events
    finished = [d for d in lines if d["event"] == "sync_finished"]
    assert [d["profile"] for d in finished] == ["cex_ticks", "dex_trades"]
    assert finished[0]["fields"]["status"] == "success" and finished[0]["fields"]["files_transferred"] > 0
    assert finished[0]["level"] == "info"
    warnings = [d for d in lines if d["event"] == "sync_warning"]
    assert {d["profile"] for d in warnings} == {"cex_ticks", "dex_trades"}
    assert all("does not exist" in d["message"] and d["level"] == "warning" for d in warnings)
    assert any(d["event"] == "log" and d["fields"]["logger"].startswith("datalake") for d in lines)  # -vv: core records

    env = dict(os.environ, DATALAKE_LOG_FORMAT="json")
    bad = run_cli("sync", "nope", "--config", str(config), env=env)
    assert bad.returncode == 2
    docs = [json.loads(line) for line in bad.stderr.splitlines()]
    # The config's warning (its metrics_dir does not exist), then the error.
    assert [(d["level"], d["event"]) for d in docs] == [("warning", "config_warning"), ("error", "error")]
    assert docs[0]["fields"]["key"] == "metrics_dir" and "nope" in docs[1]["message"]

    gone = write_config({"gone": {"source": {"type": "local", "remote_root": str(world_tmp / "gone")}}})
    failed = run_cli("sync", "gone", "--config", str(gone), env=env)
    assert failed.returncode == 1
    docs = [json.loads(line) for line in failed.stderr.splitlines()]
    (end,) = [d for d in docs if d["event"] == "sync_finished"]
    assert (end["level"], end["profile"], end["fields"]["status"]) == ("error", "gone", "failed")
    assert any(d["level"] == "error" and d["event"] == "error" for d in docs)
