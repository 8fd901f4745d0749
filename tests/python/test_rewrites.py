"""A file the collector writes again never costs the lake its earlier rows (`on_rewrite`).

Real sshd, real rsync, pyarrow-written order-book Parquet (tests/support/rewrites.py has
the scenario that the CLI, Python and C faces all run)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import parquet_files as pf
import pyarrow.parquet as pq
import pytest
import rewrites as rw
import trees
from click.testing import CliRunner
from configs import WriteConfig

import datalake
from datalake.cli import data_lake

P = "books"


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(data_lake, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def books(world_tmp: Path) -> Path:
    root = world_tmp / "collector"
    root.mkdir(mode=0o755)
    return root


def config_for(write_config: WriteConfig, collector: Path, tmp_path: Path, **keys: Any) -> Path:
    profile: dict[str, Any] = {"source": {"remote_root": str(collector)}, "min_age": "1m", "check_parquet": True}
    profile.update(keys)
    metrics = tmp_path / "metrics"
    metrics.mkdir(exist_ok=True)
    return write_config({P: profile}, metrics_dir=str(metrics))


def test_python_keeps_rewrites_and_replaces_growths(
    write_config: WriteConfig, books: Path, tmp_path: Path
) -> None:
    first = rw.write_first(books)
    config = config_for(write_config, books, tmp_path)
    lake = datalake.DataLake.open(config)
    assert lake.profile(P).on_rewrite == "auto"
    r = lake.sync(P)
    assert r.status == "success" and r.files_transferred == 5
    assert (r.rewrites_kept, r.files_grown, r.kept_versions) == (0, 0, [])
    local = tmp_path / "lake" / P
    assert not (local / rw.REPLACED).exists(), "new files are never staged"

    rw.write_second(books)
    r = lake.sync(P)
    rw.check_second_sync(r.to_dict(), local, first, books)
    assert r.rewrites_kept == 2 and r.files_grown == 2 and len(r.kept_versions) == 2

    # stats counts the kept versions apart; verify and coverage do not see them.
    s = lake.stats(P)
    kept_bytes = sum(len(first[f"{rw.today_part()}/{n}"]) for n in rw.REWRITTEN)
    assert (s.kept_versions, s.kept_bytes) == (2, kept_bytes)
    assert s.file_count == 5 and s.total_size == sum(p.stat().st_size for p in books.rglob("*") if p.is_file())
    v = lake.verify(P)
    assert v.ok and v.files_checked == 3, v.to_dict()  # the three Parquet files under their names

    # The reader returns the overwritten rows too: kept versions are files of their partition.
    listed = {Path(f.path) for f in lake.files(P)}
    kept = {f for f in (local / rw.REPLACED).rglob("*") if f.is_file() and ".parquet." in f.name}
    assert kept and kept <= listed, (kept, listed)
    assert lake.read(P).num_rows == sum(pq.read_metadata(f).num_rows for f in listed)
    cov = lake.coverage(P)
    assert cov.missing_days == 0

    # The checkpoint counts them; the metrics say so (promtool-valid).
    doc = json.loads((tmp_path / "lake" / ".checkpoints" / f"{P}.json").read_text())
    assert doc["counters"]["rewrites_kept"] == 2 and doc["counters"]["files_grown"] == 2
    prom = (tmp_path / "metrics" / f"datalake_{P}.prom").read_text()
    assert f'data_lake_rewrites_kept_total{{profile="{P}"}} 2' in prom
    assert f'data_lake_files_grown_total{{profile="{P}"}} 2' in prom
    assert f'data_lake_kept_bytes{{profile="{P}"}} {kept_bytes}' in prom
    if shutil.which("promtool"):
        checked = subprocess.run(["promtool", "check", "metrics"], input=prom, capture_output=True, text=True)
        assert checked.returncode == 0 and not (checked.stdout + checked.stderr).strip(), checked

    # An hourly run where nothing changed: nothing staged, nothing kept.
    r = lake.sync(P)
    assert r.status == "success" and (r.files_transferred, r.rewrites_kept, r.files_grown) == (0, 0, 0)
    assert rw.kept_files(local).keys() == {f"{rw.today_part()}/{n}" for n in rw.REWRITTEN}


def test_cli_shows_kept_versions_in_sync_and_stats(write_config: WriteConfig, books: Path, tmp_path: Path) -> None:
    first = rw.write_first(books)
    config = config_for(write_config, books, tmp_path)
    code, out, err = invoke("sync", P, "--config", str(config), "--format", "json")
    assert code == 0, err
    rw.write_second(books)
    code, out, err = invoke("sync", P, "--config", str(config), "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    report = report[0] if isinstance(report, list) else report
    rw.check_second_sync(report, tmp_path / "lake" / P, first, books)
    assert "2 files the lake already had were replaced" in err
    code, out, err = invoke("stats", P, "--config", str(config))
    assert code == 0, err
    kept_bytes = sum(len(first[f"{rw.today_part()}/{n}"]) for n in rw.REWRITTEN)
    assert "kept versions" in out and f"2 ({datalake.human_size(kept_bytes)})" in out, out
    code, out, err = invoke("stats", P, "--config", str(config), "--format", "json")
    doc = json.loads(out)
    doc = doc[0] if isinstance(doc, list) else doc
    assert (doc["kept_versions"], doc["kept_bytes"]) == (2, kept_bytes)


def test_faces_agree(write_config: WriteConfig, world_tmp: Path, tmp_path: Path) -> None:
    """The same scenario from the CLI and from Python gives the same report (C: tests/c)."""
    summaries = []
    for face in ("python", "cli"):
        collector = world_tmp / f"collector-{face}"
        collector.mkdir(mode=0o755)
        rw.write_first(collector)
        config = write_config(
            {P: {"source": {"remote_root": str(collector)}, "min_age": "1m", "check_parquet": True}},
            root_dir=tmp_path / f"lake-{face}",
        )

        def sync() -> dict[str, Any]:
            if face == "python":
                return datalake.DataLake.open(config).sync(P).to_dict()
            code, out, err = invoke("sync", P, "--config", str(config), "--format", "json")
            assert code == 0, err
            doc = json.loads(out)
            return doc[0] if isinstance(doc, list) else doc

        sync()
        rw.write_second(collector)
        summaries.append(rw.summary(sync()))
    assert summaries[0] == summaries[1]
    assert summaries[0]["rewrites_kept"] == 2


def test_keep_and_replace(write_config: WriteConfig, books: Path, tmp_path: Path) -> None:
    first = rw.write_first(books)
    config = config_for(write_config, books, tmp_path, on_rewrite="keep")
    lake = datalake.DataLake.open(config)
    lake.sync(P)
    rw.write_second(books)
    r = lake.sync(P)
    assert (r.rewrites_kept, r.files_grown) == (4, 0)
    assert {k["reason"] for k in r.kept_versions} == {"on_rewrite: keep"}
    assert rw.kept_files(tmp_path / "lake" / P) == {rel: first[rel] for rel in rw.second_versions()}

    # replace: today's behaviour, nothing staged or kept.
    config = config_for(write_config, books, tmp_path, on_rewrite="replace")
    lake = datalake.DataLake.open(config)
    assert lake.profile(P).on_rewrite == "replace"
    pf.write(books, f"{rw.today_part()}/meta.json", b'{"session": 3}\n', age=pf.OLD - 50)
    r = lake.sync(P)
    assert (r.files_transferred, r.rewrites_kept, r.files_grown) == (1, 0, 0)
    assert len(rw.kept_files(tmp_path / "lake" / P)) == 4


def test_non_parquet_append_and_rewrite(write_config: WriteConfig, books: Path, tmp_path: Path) -> None:
    part = rw.today_part()
    pf.write(books, f"{part}/events.log", b"a\nb\n")
    pf.write(books, f"{part}/state.txt", b"state one")
    config = config_for(write_config, books, tmp_path)
    lake = datalake.DataLake.open(config)
    lake.sync(P)
    pf.write(books, f"{part}/events.log", b"a\nb\nc\n", age=pf.OLD - 100)
    pf.write(books, f"{part}/state.txt", b"state two, longer", age=pf.OLD - 100)
    r = lake.sync(P)
    assert (r.rewrites_kept, r.files_grown) == (1, 1)
    assert r.kept_versions[0]["path"] == f"{part}/state.txt"
    assert "offset 6" in r.kept_versions[0]["reason"]
    assert rw.kept_files(tmp_path / "lake" / P) == {f"{part}/state.txt": b"state one"}


def test_retention_removes_kept_versions_with_their_partition(
    write_config: WriteConfig, books: Path, tmp_path: Path
) -> None:
    old_part = trees.partition_name("BTC-USDT", trees.last_days(3)[0], prefix="binance")
    pf.write(books, f"{old_part}/part_00001.parquet", pf.orderbook_bytes(0, 300, seed=4))
    pf.write(books, f"{rw.today_part()}/part_00001.parquet", pf.orderbook_bytes(0, 300, seed=5))
    config = config_for(write_config, books, tmp_path)
    datalake.DataLake.open(config).sync(P)
    pf.write(books, f"{old_part}/part_00001.parquet", pf.orderbook_bytes(900, 300, seed=4), age=pf.OLD + 100)
    r = datalake.DataLake.open(config).sync(P, full=True)  # older than the window
    assert r.rewrites_kept == 1
    local = tmp_path / "lake" / P
    assert (local / rw.REPLACED / old_part).is_dir()
    # Two days kept: the partition of three days ago expires, its kept versions with it.
    config = config_for(write_config, books, tmp_path, retention_days=2)
    c = datalake.DataLake.open(config).cleanup(P)
    assert not (local / old_part).exists(), c.to_dict()
    assert not (local / rw.REPLACED / old_part).exists()
    assert c.deleted_dirs == 2, c.to_dict()
    assert datalake.DataLake.open(config).stats(P).kept_versions == 0


def test_a_dry_run_stages_nothing(write_config: WriteConfig, books: Path, tmp_path: Path) -> None:
    rw.write_first(books)
    config = config_for(write_config, books, tmp_path)
    lake = datalake.DataLake.open(config)
    lake.sync(P)
    rw.write_second(books)
    r = lake.sync(P, dry_run=True)
    assert r.dry_run and r.rewrites_kept == 0 and r.files_transferred == 4
    assert not (tmp_path / "lake" / P / rw.REPLACED).exists()
