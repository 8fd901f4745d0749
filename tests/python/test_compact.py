"""Compaction into the profile's Delta table, end to end, with real Parquet parts in
the collectors' shape, the real sshd, and the three Delta readers users have (pyarrow
through the record's file list, Polars ``scan_delta``, the ``deltalake`` package).

What must hold at every moment (``lake_rows``): the rows a reader gets from the table
files the record names plus the raw parts the record does not name are exactly the
rows the collector wrote, each once (without ``dedup_on``: as a multiset).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import ticks
from configs import WriteConfig
from deltalake import DeltaTable
from pyhelpers import PROFILE, run_cli

import datalake

KEY = ["trading_pair", "timestamp", "update_id", "side"]
COLUMNS = [f.name for f in ticks.ORDERBOOK_TICK_SCHEMA]


def days_back(n: int) -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=n)


def sorted_rows(table: pa.Table) -> pa.Table:
    table = table.select(COLUMNS)
    return table.take(pc.sort_indices(table, [(k, "ascending") for k in KEY]))


def record_of(table_dir: Path) -> dict[str, Any] | None:
    path = table_dir / "_datalake" / "record.json"
    return json.loads(path.read_text()) if path.exists() else None


def lake_rows(local_dir: Path, table_dir: Path) -> pa.Table:
    """Every row of the profile as the record tells a reader to read it: the table's
    files at the record's version, and the raw parts the record does not name."""
    record = record_of(table_dir)
    pieces: list[pa.Table] = []
    absorbed: dict[str, tuple[int, int]] = {}
    for day in (record or {}).get("days", []):
        for f in day["files"]:
            pieces.append(pq.read_table(table_dir / f["path"], partitioning=None))
        manifest = json.loads((table_dir / "_datalake" / "manifests" / day["manifest"]).read_text())
        for partition, parts in manifest["parts"].items():
            for name, size, secs, _nanos, _rows in parts:
                absorbed[f"{partition}/{name}"] = (size, secs)
    for path in sorted(local_dir.rglob("*.parquet")):
        rel = path.relative_to(local_dir)
        if any(p.startswith((".", "_")) for p in rel.parts):
            continue
        st = path.stat()
        if absorbed.get(str(rel)) == (st.st_size, int(st.st_mtime)):
            continue
        pieces.append(pq.read_table(path))
    if not pieces:
        return ticks.ORDERBOOK_TICK_SCHEMA.empty_table()
    return sorted_rows(pa.concat_tables([p.select(COLUMNS) for p in pieces]))


def read_rows(lake: datalake.DataLake) -> pa.Table:
    """Every row of the profile through ``lake.read`` (the catalog: table and raw parts)."""
    return sorted_rows(lake.read(PROFILE))


def raw_parts(local_dir: Path) -> list[Path]:
    return sorted(p for p in local_dir.rglob("*.parquet") if not p.relative_to(local_dir).parts[0].startswith("_"))


def compact_profile(**keys: Any) -> dict[str, Any]:
    return {"enabled": True, "after": "0", **keys}


@pytest.fixture
def lake_dir(tmp_path: Path) -> Path:
    return tmp_path / "lake"


def local_config(write_config: WriteConfig, lake_dir: Path, source: Path, **compact: Any) -> Path:
    profile = {"source": {"type": "local", "remote_root": str(source)}, "compact": compact_profile(**compact)}
    return write_config({PROFILE: profile}, root_dir=lake_dir)


def test_sync_then_compact_over_ssh_and_every_reader_sees_the_rows_once(
    write_config: WriteConfig, collector: Path, lake_dir: Path
) -> None:
    shutil.rmtree(collector)
    expected = []
    for back in (3, 2, 1, 0):
        for pair in ("BTC-USDT", "ETH-USDT"):
            ticks.write_parts(collector, pair, days_back(back), parts=6, rows=150)
            expected.append(ticks.ticks(pair, days_back(back), 0, 6 * 150))
    want = sorted_rows(pa.concat_tables(expected))
    profile = {"source": {"remote_root": str(collector)}, "compact": compact_profile(sort_by=["timestamp"]), "window_days": 7}
    config = write_config({PROFILE: profile}, root_dir=lake_dir)
    lake = datalake.DataLake.open(config)
    lake.sync(PROFILE)
    local = lake_dir / PROFILE
    table_dir = local / "_table"
    assert lake_rows(local, table_dir) == want
    report = lake.compact(PROFILE)
    assert report.status == "success", report.errors
    # Yesterday closes 0 s after midnight (after: 0); today is open.
    assert (report.days_compacted, report.parts_absorbed, report.commits) == (6, 36, 3)
    assert report.rows_in == report.rows_out == 36 * 150
    assert report.raw_parts_removed == 36 and report.days_open == 2
    assert report.bytes_after < report.bytes_before
    assert len(raw_parts(local)) == 12  # today's
    assert lake_rows(local, table_dir) == want
    assert read_rows(lake) == want
    # The Delta readers: the table holds the closed days, each row once, with date and series.
    closed = want.filter(pc.less(want["timestamp"], pa.scalar(dt.datetime.combine(days_back(0), dt.time()), pa.timestamp("us", "UTC"))))
    delta = DeltaTable(str(table_dir))
    assert sorted_rows(delta.to_pyarrow_table()) == closed
    # lake.read of the closed days (table files) gives the same rows, with date and series.
    read = lake.read(PROFILE, end=days_back(1), sort_by="timestamp")
    assert sorted_rows(read) == closed
    assert read.column("timestamp").to_pylist() == sorted(read.column("timestamp").to_pylist())
    assert {"date", "series"} <= set(read.column_names)
    files = lake.files(PROFILE, end=days_back(1))
    assert all("_table" in str(f.path) for f in files) and len(files) == 6
    frame = pl.scan_delta(str(table_dir)).collect()
    assert set(frame.columns) == set(COLUMNS) | {"date", "series"}
    assert frame.height == closed.num_rows
    assert frame["series"].unique().sort().to_list() == ["gate_io_BTC-USDT", "gate_io_ETH-USDT"]
    one = pl.scan_delta(str(table_dir)).filter(pl.col("series") == "gate_io_BTC-USDT").collect()
    assert one.height == 3 * 900
    # Sorted by timestamp within each file.
    for day in record_of(table_dir)["days"]:
        for f in day["files"]:
            ts = pq.read_table(table_dir / f["path"]).column("timestamp").to_pylist()
            assert ts == sorted(ts)
    # stats and coverage count the table.
    stats = lake.stats(PROFILE)
    assert (stats.table_days, stats.table_rows, stats.absorbed_parts) == (6, 5400, 36)
    assert stats.partition_count == 8 and stats.earliest_date == days_back(3)
    cov = lake.coverage(PROFILE).to_dict()
    assert cov["missing_days"] == 0 and all(s["days_present"] == 4 for s in cov["series"])
    # Nothing left: a second run does nothing.
    again = lake.compact(PROFILE)
    assert (again.days_compacted, again.commits) == (0, 0)


def test_a_restarted_collector_two_collectors_and_a_late_part_merge_with_dedup(
    write_config: WriteConfig, collector: Path, lake_dir: Path
) -> None:
    shutil.rmtree(collector)
    day = days_back(2)
    ticks.write_parts(collector, "BTC-USDT", day, parts=4, rows=100)  # ids 0..399
    # A second collector's copy of parts 1-2 under its own names: the same rows twice.
    for n in (1, 2):
        table = ticks.ticks("BTC-USDT", day, (n - 1) * 100, 100)
        ticks.write_table(collector, f"{ticks.partition('BTC-USDT', day)}/b_part_{n:05d}.parquet", table)
    compact = compact_profile(sort_by=["update_id"], dedup_on=["update_id", "side", "price"])
    config = write_config({PROFILE: {"source": {"remote_root": str(collector)}, "compact": compact}}, root_dir=lake_dir)
    lake = datalake.DataLake.open(config)
    lake.sync(PROFILE, full=True)
    r = lake.compact(PROFILE)
    assert (r.rows_in, r.rows_out, r.duplicates_dropped) == (600, 400, 200)
    # The collector restarts: its part counter begins again and part_00001 now holds
    # ids 350..449 (50 known, 50 new); a late part 9 arrives too.
    ticks.write_table(
        collector, f"{ticks.partition('BTC-USDT', day)}/part_00001.parquet", ticks.ticks("BTC-USDT", day, 350, 100), age=10
    )
    ticks.write_table(
        collector, f"{ticks.partition('BTC-USDT', day)}/part_00009.parquet", ticks.ticks("BTC-USDT", day, 900, 10), age=10
    )
    sync = lake.sync(PROFILE, full=True)
    assert sync.files_transferred == 2, "only the rewritten and the late part travel"
    r = lake.compact(PROFILE)
    assert (r.days_compacted, r.days_merged, r.parts_absorbed) == (1, 1, 2)
    assert (r.rows_in, r.rows_out, r.duplicates_dropped) == (510, 460, 50)
    local = lake_dir / PROFILE
    got = lake_rows(local, local / "_table")
    assert got.column("update_id").to_pylist() == list(range(450)) + list(range(900, 910))
    assert DeltaTable(str(local / "_table")).to_pyarrow_table().num_rows == 460


def test_schema_evolution_and_a_conflict_that_keeps_its_day_raw(
    write_config: WriteConfig, world_tmp: Path, lake_dir: Path
) -> None:
    local = lake_dir / PROFILE
    ticks.write_parts(local, "BTC-USDT", days_back(3), parts=2, rows=10)
    wide = ticks.ticks("BTC-USDT", days_back(2), 0, 10).append_column("mid_price", pa.array([1.5] * 10))
    ticks.write_table(local, f"{ticks.partition('BTC-USDT', days_back(2))}/part_00001.parquet", wide)
    ticks.write_parts(local, "BTC-USDT", days_back(1), parts=1, rows=10)
    odd = ticks.ticks("BTC-USDT", days_back(1), 10, 10)
    odd = odd.set_column(odd.schema.get_field_index("price"), "price", pa.array(["x"] * 10))
    ticks.write_table(local, f"{ticks.partition('BTC-USDT', days_back(1))}/part_00002.parquet", odd)
    lake = datalake.DataLake.open(local_config(write_config, lake_dir, world_tmp))
    with pytest.raises(datalake.DataError) as caught:
        lake.compact(PROFILE)
    e = caught.value
    assert e.kind == "data" and e.cli_exit_code == 1
    report = e.report
    assert isinstance(report, datalake.CompactReport)
    assert report.status == "partial" and report.days_compacted == 2
    [skipped] = report.skipped
    assert skipped["kind"] == "data" and skipped["date"] == str(days_back(1))
    assert "part_00002.parquet" in skipped["reason"] and "column \"price\" is Float64" in skipped["reason"]
    assert [d["added_columns"] for d in report.days if d["added_columns"]] == [["mid_price"]]
    table = DeltaTable(str(local / "_table")).to_pyarrow_table()
    assert table.num_rows == 30 and table.column("mid_price").null_count == 20
    # The day that stays raw is still all there.
    assert len(list((local / ticks.partition("BTC-USDT", days_back(1))).glob("*.parquet"))) == 2
    # The CLI says the same, with the same exit code.
    out = run_cli("compact", PROFILE, "--config", str(lake.config.path), "--format", "json")
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    assert doc["status"] == "partial" and doc["skipped"][0]["reason"] == skipped["reason"]
    assert "stays raw" in out.stderr


def test_csv_parts_compact_and_a_malformed_row_names_the_file_and_line(
    write_config: WriteConfig, world_tmp: Path, lake_dir: Path
) -> None:
    import gzip

    local = lake_dir / PROFILE
    good = local / f"binance_trades_{days_back(2):%Y%m%d}"
    good.mkdir(parents=True)
    (good / "a.csv").write_text("ts,price,side\n1,1.5,buy\n2,2.5,sell\n")
    (good / "b.csv.gz").write_bytes(gzip.compress(b"ts,price,side\n3,3.5,buy\n"))
    bad = local / f"binance_trades_{days_back(1):%Y%m%d}"
    bad.mkdir(parents=True)
    (bad / "a.csv").write_text("ts,price,side\n1,1.5,buy\n2,oops,sell\n")
    for p in local.rglob("*.csv*"):
        os.utime(p, (time.time() - 3600,) * 2)
    lake = datalake.DataLake.open(local_config(write_config, lake_dir, world_tmp))
    with pytest.raises(datalake.DataError) as caught:
        lake.compact(PROFILE)
    report = caught.value.report
    assert report.days_compacted == 1 and report.rows_out == 3
    [skipped] = report.skipped
    assert f"binance_trades_{days_back(1):%Y%m%d}/a.csv:3" in skipped["reason"], skipped["reason"]
    table = DeltaTable(str(local / "_table")).to_pyarrow_table()
    assert sorted(table.column("ts").to_pylist()) == [1, 2, 3]


def test_retention_removes_compacted_days_and_cleanup_reports_them(
    write_config: WriteConfig, world_tmp: Path, lake_dir: Path
) -> None:
    local = lake_dir / PROFILE
    for back in (12, 11, 1):
        ticks.write_parts(local, "BTC-USDT", days_back(back), parts=2, rows=10)
    profile = {
        "source": {"type": "local", "remote_root": str(world_tmp)},
        "retention_days": 30,
        "compact": compact_profile(vacuum_after="0"),
    }
    lake = datalake.DataLake.open(write_config({PROFILE: profile}, root_dir=lake_dir))
    assert lake.compact(PROFILE).days_compacted == 3
    profile["retention_days"] = 10
    lake = datalake.DataLake.open(write_config({PROFILE: profile}, root_dir=lake_dir))
    dry = lake.cleanup(PROFILE, dry_run=True)
    assert sorted(str(d["date"]) for d in dry.to_dict()["deleted"]) == [str(days_back(12)), str(days_back(11))]
    assert DeltaTable(str(local / "_table")).to_pyarrow_table().num_rows == 60
    done = lake.cleanup(PROFILE)
    deleted = done.to_dict()["deleted"]
    assert sorted(str(d["date"]) for d in deleted) == [str(days_back(12)), str(days_back(11))]
    assert done.deleted_files >= 2 and done.freed_bytes > 0
    assert DeltaTable(str(local / "_table")).to_pyarrow_table().num_rows == 20
    assert [d["date"] for d in record_of(local / "_table")["days"]] == [str(days_back(1))]
    files = [p for p in (local / "_table").rglob("*.parquet") if "_delta_log" not in p.parts]
    assert len(files) == 1, files


def _template(root: Path) -> pa.Table:
    want = []
    for pair in ("BTC-USDT", "ETH-USDT", "SOL-USDT"):
        for back in (3, 2, 1):
            ticks.write_parts(root, pair, days_back(back), parts=30, rows=150)
            want.append(ticks.ticks(pair, days_back(back), 0, 30 * 150))
    return sorted_rows(pa.concat_tables(want))


KILLS = int(os.environ.get("DATALAKE_KILLS", "12"))


def test_kill_9_at_random_moments_never_shows_a_row_twice_or_loses_one(
    write_config: WriteConfig, world_tmp: Path, tmp_path: Path
) -> None:
    template = tmp_path / "template"
    want = _template(template / PROFILE)
    rng = random.Random(int(os.environ.get("DATALAKE_KILL_SEED", "20")))
    lake_dir = tmp_path / "lake"
    config = local_config(write_config, lake_dir, world_tmp, sort_by=["timestamp"])
    cmd = [sys.executable, "-m", "datalake", "-q", "compact", PROFILE, "--config", str(config)]

    shutil.copytree(template, lake_dir)
    start = time.monotonic()
    assert subprocess.run(cmd, capture_output=True, timeout=300).returncode == 0
    full = time.monotonic() - start
    shutil.rmtree(lake_dir)

    local = lake_dir / PROFILE
    for i in range(KILLS):
        shutil.copytree(template, lake_dir)
        delay = rng.uniform(0.0, full * 1.1)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert lake_rows(local, local / "_table") == want, f"kill {i} after {delay:.2f}s"
        assert read_rows(datalake.DataLake.open(config)) == want, f"kill {i} after {delay:.2f}s: lake.read"
        # The next run finishes the job.
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"kill {i} after {delay:.2f}s: {done.stderr}"
        assert lake_rows(local, local / "_table") == want
        assert raw_parts(local) == [], f"kill {i}: absorbed parts left"
        delta = DeltaTable(str(local / "_table"))
        assert sorted_rows(delta.to_pyarrow_table()) == want
        assert record_of(local / "_table")["table_version"] == delta.version()
        shutil.rmtree(lake_dir)


def test_not_enabled_and_locked_and_c_python_cli_agree(write_config: WriteConfig, world_tmp: Path, lake_dir: Path) -> None:
    local = lake_dir / PROFILE
    ticks.write_parts(local, "BTC-USDT", days_back(2), parts=3, rows=20)
    off = {"source": {"type": "local", "remote_root": str(world_tmp)}}
    lake = datalake.DataLake.open(write_config({PROFILE: off}, root_dir=lake_dir))
    with pytest.raises(datalake.InvalidArgumentError, match="compact.enabled: true"):
        lake.compact(PROFILE)
    out = run_cli("compact", PROFILE, "--config", str(lake.config.path))
    assert out.returncode == 2 and "compact.enabled" in out.stderr
    config = local_config(write_config, lake_dir, world_tmp)
    lake = datalake.DataLake.open(config)
    dry = lake.compact(PROFILE, dry_run=True)
    assert (dry.dry_run, dry.days_compacted, dry.parts_absorbed, dry.table_version) == (True, 1, 3, None)
    assert not (local / "_table" / "_delta_log").exists()
    out = run_cli("compact", "--all", "--config", str(config), "--format", "json")
    assert out.returncode == 0, out.stderr
    [doc] = json.loads(out.stdout)
    assert (doc["profile"], doc["status"], doc["parts_absorbed"], doc["rows_out"]) == (PROFILE, "success", 3, 60)
    assert lake.stats(PROFILE).table_rows == 60


# ---------------------------------------------------------------- every face says the same

# outcome -> (CLI exit code, C status, Python: the report's status or the exception class)
COMPACT_TABLE: dict[str, tuple[int, str, str]] = {
    "success": (0, "DATALAKE_OK", "success"),
    "data": (1, "DATALAKE_ERR_DATA", "DataError"),
    "table": (1, "DATALAKE_ERR_TABLE", "TableError"),
    "locked": (3, "DATALAKE_ERR_LOCKED", "LockedError"),
    "invalid_argument": (2, "DATALAKE_ERR_INVALID_ARGUMENT", "InvalidArgumentError"),
}


def test_the_compaction_table_covers_the_compaction_kinds() -> None:
    from test_outcomes import COMPACTION_KINDS

    assert COMPACTION_KINDS <= set(COMPACT_TABLE)


def _libdatalake() -> Any:
    import ctypes

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(["make", "--no-print-directory", "lib"], cwd=root, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"make lib failed:\n{proc.stdout}\n{proc.stderr}"
    target = Path(os.environ.get("CARGO_TARGET_DIR", root / "target"))
    lib = ctypes.CDLL(str(target / "release" / "libdatalake.so"))
    lib.datalake_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.datalake_open.restype = ctypes.c_uint32
    lib.datalake_compact.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_bool,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_void_p),
    ]
    lib.datalake_compact.restype = ctypes.c_uint32
    lib.datalake_free.argtypes = [ctypes.c_void_p]
    lib.datalake_string_free.argtypes = [ctypes.c_void_p]
    return lib


@pytest.mark.parametrize("outcome", list(COMPACT_TABLE))
def test_every_face_says_the_same_about_compaction(
    outcome: str, write_config: WriteConfig, world_tmp: Path, tmp_path: Path
) -> None:
    import ctypes
    import fcntl

    from test_outcome_lists import c_status_names

    lib = _libdatalake()
    names = c_status_names()
    want_cli, want_c, want_py = COMPACT_TABLE[outcome]
    got: dict[str, Any] = {}
    for face in ("cli", "c", "python"):
        lake_dir = tmp_path / f"lake-{face}"
        local = lake_dir / PROFILE
        ticks.write_parts(local, "BTC-USDT", days_back(2), parts=2, rows=10)
        compact = {} if outcome == "invalid_argument" else compact_profile()
        if outcome == "data":
            compact["sort_by"] = ["no_such_column"]
        profile = {"source": {"type": "local", "remote_root": str(world_tmp)}, **({"compact": compact} if compact else {})}
        config = write_config({PROFILE: profile}, root_dir=lake_dir)
        if outcome == "table":
            (local / "_table" / "_delta_log").mkdir(parents=True)
            (local / "_table" / "_delta_log" / "00000000000000000000.json").write_text("not a Delta log\n")
        fd = None
        if outcome == "locked":
            lock = lake_dir / ".checkpoints" / f"{PROFILE}.lock"
            lock.parent.mkdir(parents=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT)
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if face == "cli":
                got[face] = run_cli("compact", PROFILE, "--config", str(config)).returncode
            elif face == "c":
                handle = ctypes.c_void_p()
                assert lib.datalake_open(str(config).encode(), ctypes.byref(handle)) == 0
                out = ctypes.c_void_p()
                status = lib.datalake_compact(handle, PROFILE.encode(), False, None, None, ctypes.byref(out))
                if out.value:
                    lib.datalake_string_free(out)
                lib.datalake_free(handle)
                got[face] = names[status] if status < len(names) else status
            else:
                try:
                    got[face] = datalake.DataLake.open(config).compact(PROFILE).status
                except datalake.DataLakeError as e:
                    got[face] = type(e).__name__
        finally:
            if fd is not None:
                os.close(fd)
    assert got == {"cli": want_cli, "c": want_c, "python": want_py}
