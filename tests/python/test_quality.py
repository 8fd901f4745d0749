"""The truth about the data through Python and the CLI: min_age, the Parquet check and
quarantine, verify (local and --remote over the loopback sshd), coverage and gaps.
Every Parquet file here is a real one (pyarrow)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import parquet_files as pf
import pytest
import trees
from click.testing import CliRunner
from configs import WriteConfig

import datalake
from datalake.cli import data_lake

P = "ticks"


def day(n: int) -> dt.date:
    return trees.utc_today() - dt.timedelta(days=n)


def part(symbol: str, n: int) -> str:
    return trees.partition_name(symbol, day(n))


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(data_lake, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def local_config(write_config: WriteConfig, collector: Path, **keys: object) -> Path:
    profile: dict[str, object] = {"source": {"type": "local", "remote_root": str(collector)}, "min_age": "1m"}
    profile.update(check_parquet=True)
    profile.update(keys)
    return write_config({P: profile})


@pytest.fixture
def collector(world_tmp: Path) -> Path:
    root = world_tmp / "collector"
    root.mkdir(mode=0o755)
    return root


def test_min_age_leaves_fresh_files_for_the_next_run(write_config: WriteConfig, collector: Path, tmp_path: Path) -> None:
    pf.write_parquet(collector, f"{part('BTC', 0)}/old.parquet")
    fresh = pf.write_parquet(collector, f"{part('BTC', 0)}/fresh.parquet", age=0)
    lake = datalake.DataLake.open(local_config(write_config, collector))
    assert lake.profile(P).min_age == 60.0 and lake.profile(P).check_parquet
    r = lake.sync(P)
    assert r.status == "success" and r.too_recent_files == 1 and r.files_transferred == 1
    assert r.to_dict()["too_recent_files"] == 1
    assert any("min_age (1m)" in w for w in r.warnings)
    local = tmp_path / "lake" / P / part("BTC", 0)
    assert (local / "old.parquet").exists() and not (local / "fresh.parquet").exists()
    old = dt.datetime.now().timestamp() - 120
    os.utime(fresh, (old, old))
    r = lake.sync(P)
    assert r.too_recent_files == 0 and r.files_transferred == 1 and r.parquet_checked == 1
    assert (local / "fresh.parquet").read_bytes() == fresh.read_bytes()


def test_broken_files_are_quarantined_and_reported(write_config: WriteConfig, collector: Path, tmp_path: Path) -> None:
    good = pf.parquet_bytes(2000, 1)
    pf.write(collector, f"{part('ETH', 0)}/good.parquet", good)
    pf.write(collector, f"{part('ETH', 0)}/cut.parquet", good[: len(good) // 3])
    lake = datalake.DataLake.open(local_config(write_config, collector))
    for run in (1, 2, 3):
        # A quarantined file makes the run partial, which is a failure: raised with the report.
        with pytest.raises(datalake.SyncError) as raised:
            lake.sync(P)
        r = raised.value.report
        assert r.status == "partial" and r.cli_exit_code == 1
        assert "failed the landing check" in str(raised.value) and "quarantine" in str(raised.value)
        [q] = r.quarantined
        assert q["path"] == f"{part('ETH', 0)}/cut.parquet"
        assert q["defect"]["problem"] == "bad_footer_magic" and "truncated" in q["defect"]["reason"]
        assert q["failures"] == run and q["broken_on_collector"] == (run == 3)
        assert (tmp_path / "lake" / P / ".datalake-quarantine" / part("ETH", 0) / "cut.parquet").exists()
        assert not (tmp_path / "lake" / P / part("ETH", 0) / "cut.parquet").exists()
    assert any("is broken on the collector" in w for w in r.warnings)
    s = lake.stats(P)
    assert s.quarantined_files == 1 and s.file_count == 1
    assert s.to_dict()["quarantined_files"] == 1


def test_verify_cli_local_and_remote(write_config: WriteConfig, collector: Path, tmp_path: Path) -> None:
    for i, p in enumerate((part("BTC", 0), part("BTC", 1), part("SOL", 1))):
        pf.write_parquet(collector, f"{p}/part_00001.parquet", rows=3000, seed=i)
    config = write_config({P: {"source": {"remote_root": str(collector)}, "min_age": "1m", "check_parquet": True}})
    lake = datalake.DataLake.open(config)
    assert lake.sync(P).status == "success"
    code, out, _ = invoke("verify", P, "--config", str(config))
    assert code == 0, out
    assert "ok" in out.splitlines()[-1]

    local = tmp_path / "lake" / P
    flipped = local / part("BTC", 1) / "part_00001.parquet"
    data = bytearray(flipped.read_bytes())
    data[200] ^= 0xFF
    st = flipped.stat()
    flipped.write_bytes(bytes(data))
    os.utime(flipped, ns=(st.st_atime_ns, st.st_mtime_ns))
    cut = local / part("SOL", 1) / "part_00001.parquet"
    cut.write_bytes(cut.read_bytes()[:-50])

    code, out, _ = invoke("verify", P, "--config", str(config))
    assert code == 1
    assert f"broken {part('SOL', 1)}/part_00001.parquet: does not end with PAR1" in out
    assert "differs" not in out  # the flipped byte is invisible to the footer check

    code, out, _ = invoke("verify", P, "--remote", "--config", str(config), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["ok"] is False and doc["files_checked"] == 3
    assert [b["path"] for b in doc["broken"]] == [f"{part('SOL', 1)}/part_00001.parquet"]
    assert sorted(doc["remote"]["differ"]) == sorted(
        [f"{part('BTC', 1)}/part_00001.parquet", f"{part('SOL', 1)}/part_00001.parquet"]
    )
    assert doc["remote"]["missing_locally"] == [] and doc["remote"]["missing_on_collector"] == []

    report = lake.verify(P, remote=True, progress=lambda p: None)
    assert not report.ok and report.remote is not None and len(report.remote["differ"]) == 2


def test_coverage_cli_grid_and_json(write_config: WriteConfig, collector: Path) -> None:
    for n in range(6):
        if n != 3:
            pf.write_parquet(collector, f"{part('BTC', n)}/p.parquet", rows=10)
        if n >= 2:
            pf.write_parquet(collector, f"{part('DOGE', n)}/p.parquet", rows=10)
        if n <= 1:
            pf.write_parquet(collector, f"{part('PEPE', n)}/p.parquet", rows=10)
        if n != 4:
            pf.write_parquet(collector, f"trades/{day(n):%Y/%m/%d}/p.parquet", rows=10)
            pf.write_parquet(collector, f"hive/sym=X/{day(n):year=%Y/month=%m/day=%d}/p.parquet", rows=10)
    config = local_config(write_config, collector)
    lake = datalake.DataLake.open(config)
    assert lake.sync(P).status == "success"

    code, out, _ = invoke("coverage", P, "--days", "6", "--config", str(config))
    assert code == 0
    assert "\x1b" not in out  # plain off a terminal
    rows = {line.split()[0]: line for line in out.splitlines()[3:-1]}
    assert "##.###" in rows["gate_io_BTC"] and "1 missing" in rows["gate_io_BTC"]
    assert "####..  stopped after" in rows["gate_io_DOGE"]
    assert rows["gate_io_PEPE"].rstrip().endswith("new since " + str(day(1)))
    assert "#.####" in rows["trades"] and "#.####" in rows["hive/sym=X"]
    assert out.splitlines()[-1].startswith(f"{P}: 5 series, 5 missing days in 4 series, 1 stopped, 1 new")

    code, out, _ = invoke("coverage", P, "--config", str(config), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["missing_days"] == 5 and doc["stopped_series"] == 1
    btc = next(s for s in doc["series"] if s["series"] == "gate_io_BTC")
    assert btc["missing_days"] == [str(day(3))]

    code, _, _ = invoke("coverage", "--all", "--fail-on-gaps", "--config", str(config))
    assert code == 1

    cov = lake.coverage(P)
    assert cov.missing_days == 5 and cov.stopped_series == 1 and cov.latest_day == day(0)
    assert "\x1b[31m" in cov.grid(6, color=True)
    s = lake.stats(P)
    assert (s.missing_days, s.stopped_series) == (5, 1)
