"""Reading the lake (issue #19): the catalog, pyarrow, Polars, pandas and DuckDB readers,
on real Parquet in the collectors' order-book schema (tests/support/parquet_files.py), in
the flat, nested and hive layouts; with the C ABI and the CLI on the same selection."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import parquet_files
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from parquet_files import ORDERBOOK_TICK_SCHEMA, orderbook_partition, write_orderbook_day

import datalake
import datalake.reader

DAYS = [dt.date(2024, 11, 18), dt.date(2024, 11, 19), dt.date(2024, 11, 20)]
PAIRS = [("gate_io", "VIRTUAL-USDT"), ("gate_io", "VIRTUAL-USDTX"), ("mexc", "IRON-USDT")]
PARTS, ROWS = 3, 20
FORMATS = {"flat": "{exchange}_{symbol}", "nested": "{exchange}_{symbol}", "hive": "exchange={exchange}/symbol={symbol}"}


def series_of(exchange: str, pair: str, layout: str) -> str:
    return f"exchange={exchange}/symbol={pair}" if layout == "hive" else f"{exchange}_{pair}"


def make_lake(tmp_path: Path, layout: str = "flat", **profile: Any) -> tuple[datalake.DataLake, Path]:
    """A lake of PAIRS x DAYS x PARTS order-book parts, and its profile directory."""
    root = tmp_path / "lake" / "ticks"
    for exchange, pair in PAIRS:
        for day in DAYS:
            write_orderbook_day(root, exchange, pair, day, parts=PARTS, rows=ROWS, layout=layout)
    keys = {"series_format": FORMATS[layout], "retention_days": 36500, **profile}
    lines = "".join(f"      {k}: {json.dumps(v)}\n" for k, v in keys.items() if v is not None)
    config = tmp_path / "lake.yml"
    config.write_text(
        "data_lake:\n"
        f"  root_dir: {tmp_path / 'lake'}\n"
        "  profiles:\n"
        "    ticks:\n"
        f"      source: {{type: local, remote_root: {tmp_path / 'collector'}}}\n" + lines
    )
    return datalake.DataLake.open(config), root


@pytest.mark.parametrize("layout", ["flat", "nested", "hive"])
def test_files_select_by_series_dates_and_fields(tmp_path: Path, layout: str) -> None:
    lake, root = make_lake(tmp_path, layout)
    virtual = series_of("gate_io", "VIRTUAL-USDT", layout)
    files = lake.files("ticks", series=virtual, start="2024-11-19", end=dt.date(2024, 11, 20))
    # VIRTUAL-USDTX is another series, not a longer name of the same one.
    assert [(f.series, f.date) for f in files] == [(virtual, DAYS[1])] * PARTS + [(virtual, DAYS[2])] * PARTS
    first = files[0]
    assert Path(first.path) == root / orderbook_partition("gate_io", "VIRTUAL-USDT", DAYS[1], layout) / "part_00001.parquet"
    assert first.size == Path(first.path).stat().st_size and first.mtime.tzinfo is not None
    assert first.fields == {"exchange": "gate_io", "symbol": "VIRTUAL-USDT"}
    assert first.to_dict()["date"] == "2024-11-19" and Path(first) == Path(first.path)
    # Fields: an underscore inside the exchange, a list of symbols; and a series glob.
    both = lake.files("ticks", exchange="gate_io", symbol=["VIRTUAL-USDT", "IRON-USDT"], start="20241120")
    assert {f.series for f in both} == {virtual}
    mexc = lake.files("ticks", exchange="mexc")
    assert len(mexc) == len(DAYS) * PARTS and {f.fields["symbol"] for f in mexc} == {"IRON-USDT"}
    pattern = "exchange=gate_io/*" if layout == "hive" else "gate_io_*"
    assert {f.series for f in lake.files("ticks", series=pattern, end="20241118")} == {
        series_of("gate_io", p, layout) for p in ("VIRTUAL-USDT", "VIRTUAL-USDTX")
    }
    assert lake.files("ticks", series="nothing_*") == []


def test_read_keeps_the_files_types_and_adds_partition_columns(tmp_path: Path) -> None:
    lake, root = make_lake(tmp_path)
    table = lake.read("ticks", series="gate_io_VIRTUAL-USDT", start="20241119", end="20241120", sort_by="timestamp")
    assert table.num_rows == 2 * PARTS * ROWS
    for field in ORDERBOOK_TICK_SCHEMA:
        assert table.schema.field(field.name).type == field.type, field.name
    # `exchange` is the files' own column (string, its values); `symbol` comes from the format.
    assert table.schema.names[len(ORDERBOOK_TICK_SCHEMA) :] == ["series", "date", "symbol"]
    assert table.schema.field("series").type == pa.dictionary(pa.int32(), pa.string())
    assert table.schema.field("date").type == pa.date32()
    assert set(table["symbol"].to_pylist()) == {"VIRTUAL-USDT"}
    assert set(table["date"].to_pylist()) == {DAYS[1], DAYS[2]}
    ts = table["timestamp"].to_pylist()
    assert ts == sorted(ts)
    # The same rows as reading the files one by one.
    direct = pa.concat_tables(pq.read_table(f.path) for f in lake.files("ticks", series="gate_io_VIRTUAL-USDT", start="20241119", end="20241120"))
    assert sorted(table["update_id"].to_pylist()) == sorted(direct["update_id"].to_pylist())

    # Columns, a filter, and a time range pushed down to the files.
    some = lake.read("ticks", exchange="gate_io", columns=["timestamp", "price"], filter=pc.field("side") == "bid")
    assert some.schema.names == ["timestamp", "price"] and some.num_rows > 0
    all_rows = lake.read("ticks", series="mexc_IRON-USDT")
    lo, hi = dt.datetime(2024, 11, 19, 0, 0, 10), dt.datetime(2024, 11, 19, 0, 0, 30, tzinfo=dt.timezone.utc)
    window = lake.read("ticks", series="mexc_IRON-USDT", time_column="timestamp", start_time=lo, end_time=hi)
    expected = [t for t in all_rows["timestamp"].to_pylist() if lo.replace(tzinfo=dt.timezone.utc) <= t < hi]
    assert sorted(window["timestamp"].to_pylist()) == sorted(expected) and 0 < len(expected) < all_rows.num_rows
    with pytest.raises(datalake.InvalidArgumentError, match="need time_column="):
        lake.read("ticks", start_time=lo)


@pytest.mark.parametrize("layout", ["flat", "hive"])
def test_both_read_paths_give_the_same_table(tmp_path: Path, layout: str) -> None:
    """Without ``filter`` read() reads files one by one; with one, through pyarrow's scanner."""
    lake, root = make_lake(tmp_path, layout)
    part = root / orderbook_partition("mexc", "IRON-USDT", DAYS[2], layout)
    wider = pq.read_table(part / "part_00001.parquet").append_column("venue_seq", pa.array(range(ROWS), pa.int32()))
    pq.write_table(wider, part / "part_00004.parquet", row_group_size=7)
    everything = pc.field("update_id") >= 0
    lo, hi = dt.datetime(2024, 11, 20, 0, 0, 5), dt.datetime(2024, 11, 20, 0, 0, 25)
    for kwargs in [
        {},
        {"columns": ["price", "symbol", "date"]},
        {"time_column": "timestamp", "start_time": lo, "end_time": hi},
        {"time_column": "timestamp", "start_time": lo, "columns": ["amount"], "exchange": "mexc"},
    ]:
        fast = lake.read("ticks", **kwargs)
        scanned = lake.read("ticks", filter=everything, **kwargs)
        assert fast.schema == scanned.schema, kwargs
        keys = [(c, "ascending") for c, t in zip(fast.column_names, fast.schema.types) if not pa.types.is_dictionary(t)]
        assert fast.sort_by(keys).equals(scanned.sort_by(keys)), kwargs
        assert fast.num_rows > 0, kwargs
    with pytest.raises(datalake.InvalidArgumentError, match="no column 'nope'"):
        lake.read("ticks", columns=["nope"])


def test_an_empty_selection_is_an_empty_table_with_the_schema(tmp_path: Path) -> None:
    lake, _ = make_lake(tmp_path)
    full = lake.read("ticks", series="mexc_IRON-USDT")
    empty = lake.read("ticks", series="mexc_IRON-USDT", start="2030-01-01")
    assert empty.num_rows == 0 and empty.schema == full.schema
    assert lake.read("ticks", series="unknown_X").num_rows == 0


def test_hidden_partial_and_quarantined_files_are_never_read(tmp_path: Path) -> None:
    lake, root = make_lake(tmp_path)
    part = root / orderbook_partition("mexc", "IRON-USDT", DAYS[0])
    garbage = b"PAR1 half a file"
    for rel in [
        part / ".rsync-partial" / "part_00009.parquet",
        part / ".part_00004.parquet.a1B2c3",
        root / ".datalake-quarantine" / part.name / "part_00005.parquet",
        part / "_SUCCESS",
    ]:
        rel.parent.mkdir(parents=True, exist_ok=True)
        rel.write_bytes(garbage)
    files = lake.files("ticks", series="mexc_IRON-USDT", start=DAYS[0], end=DAYS[0])
    assert [Path(f.path).name for f in files] == [f"part_{i:05d}.parquet" for i in range(1, PARTS + 1)]
    assert lake.read("ticks", series="mexc_IRON-USDT").num_rows == len(DAYS) * PARTS * ROWS


def test_schemas_unify_or_fail_naming_two_files(tmp_path: Path) -> None:
    lake, root = make_lake(tmp_path)
    part = root / orderbook_partition("mexc", "IRON-USDT", DAYS[2])
    wider = pq.read_table(part / "part_00001.parquet").append_column("venue_seq", pa.array(range(ROWS), pa.int32()))
    pq.write_table(wider, part / "part_00004.parquet")
    table = lake.read("ticks", series="mexc_IRON-USDT")
    assert table.schema.field("venue_seq").nullable and table["venue_seq"].null_count == (len(DAYS) * PARTS) * ROWS
    assert table.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")

    other = pq.read_table(part / "part_00001.parquet")
    other = other.set_column(other.schema.get_field_index("price"), "price", pa.array(range(ROWS), pa.int64()))
    pq.write_table(other, part / "part_00005.parquet")
    with pytest.raises(datalake.InvalidArgumentError) as info:
        lake.read("ticks", series="mexc_IRON-USDT")
    text = str(info.value)
    assert "column price is DOUBLE" in text and "INT64" in text, text
    assert "part_00005.parquet" in text and "part_00001.parquet" in text, text


def test_a_series_that_does_not_fit_the_format_is_named(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lake, root = make_lake(tmp_path)
    parquet_files.write(root, "oddball_20241119/part_00001.parquet", (root / orderbook_partition("mexc", "IRON-USDT", DAYS[1]) / "part_00001.parquet").read_bytes())
    caplog.set_level(logging.WARNING, logger="datalake")
    table = lake.read("ticks", start="20241119", end="20241119")
    odd = table.filter(pc.field("series") == "oddball")
    assert odd.num_rows == ROWS and odd["symbol"].null_count == ROWS and table.schema.field("symbol").type == pa.string()
    assert table.to_pandas()["symbol"].isna().sum() == ROWS
    assert any("series oddball" in r.getMessage() and "does not fit" in r.getMessage() for r in caplog.records)
    caplog.clear()
    assert {f.series for f in lake.files("ticks", exchange="mexc", start="20241119", end="20241119")} == {"mexc_IRON-USDT"}
    assert any("oddball" in r.getMessage() and "left out" in r.getMessage() for r in caplog.records)


def test_selection_errors_say_what_to_do(tmp_path: Path) -> None:
    lake, _ = make_lake(tmp_path)
    with pytest.raises(datalake.InvalidArgumentError, match="2024-11-19 or 20241119"):
        lake.files("ticks", start="19/11/2024")
    with pytest.raises(TypeError, match="start_time= with time_column="):
        lake.files("ticks", start=dt.datetime(2024, 11, 19))
    with pytest.raises(datalake.InvalidArgumentError, match="venue is not a field .* exchange, symbol"):
        lake.files("ticks", venue="x")
    with pytest.raises(datalake.InvalidArgumentError, match="after end"):
        lake.files("ticks", start="20241120", end="20241119")
    with pytest.raises(TypeError, match="symbol takes a string or a list of strings"):
        lake.files("ticks", symbol=3)
    bare, _ = make_lake(tmp_path / "bare", series_format=None)
    with pytest.raises(datalake.InvalidArgumentError, match="has no series_format"):
        bare.files("ticks", exchange="gate_io")


def test_retention_removing_a_partition_during_a_read_fails_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datalake.reader as reader

    lake, root = make_lake(tmp_path)
    victim = root / orderbook_partition("mexc", "IRON-USDT", DAYS[0])
    listed = reader._catalog

    def list_then_clean(*args: Any) -> Any:
        catalog = listed(*args)
        shutil.rmtree(victim)  # retention runs between the listing and the read
        return catalog

    monkeypatch.setattr(reader, "_catalog", list_then_clean)
    with pytest.raises(datalake.LocalIOError) as info:
        lake.read("ticks", series="mexc_IRON-USDT")
    assert info.value.partition == victim.name and "read again" in str(info.value)
    monkeypatch.undo()
    assert lake.read("ticks", series="mexc_IRON-USDT").num_rows == (len(DAYS) - 1) * PARTS * ROWS

    # The real cleanup (a second handle whose retention ends before these days) between the
    # listing and the read: the read fails naming a partition it removed.
    strict = tmp_path / "strict.yml"
    strict.write_text((tmp_path / "lake.yml").read_text().replace("retention_days: 36500", "retention_days: 1"))
    cleaner = datalake.DataLake.open(strict)

    def list_then_cleanup(*args: Any) -> Any:
        catalog = listed(*args)
        assert cleaner.cleanup("ticks").deleted_dirs > 0
        return catalog

    monkeypatch.setattr(reader, "_catalog", list_then_cleanup)
    with pytest.raises(datalake.LocalIOError) as info:
        lake.read("ticks", series="mexc_IRON-USDT", sort_by="timestamp")
    assert info.value.partition.startswith("mexc_IRON-USDT_2024111"), info.value


def test_reads_during_a_sync_see_only_complete_files(tmp_path: Path) -> None:
    """A real sync (rsync, throttled) lands files while reads run: every read returns
    exactly the rows of the files it listed, never a half-written one."""
    collector = tmp_path / "collector"
    for exchange, pair in PAIRS[:2]:
        for day in DAYS[:2]:
            write_orderbook_day(collector, exchange, pair, day, parts=40, rows=ROWS)
    config = tmp_path / "sync.yml"
    config.write_text(
        "data_lake:\n"
        f"  root_dir: {tmp_path / 'synced'}\n"
        "  profiles:\n"
        "    ticks:\n"
        f"      source: {{type: local, remote_root: {collector}}}\n"
        "      retention_days: 36500\n      min_age: 0\n      bwlimit: 300\n"
        '      series_format: "{exchange}_{symbol}"\n'
    )
    lake = datalake.DataLake.open(config)
    done = threading.Event()
    errors: list[BaseException] = []

    def sync() -> None:
        try:
            lake.sync("ticks")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            done.set()

    thread = threading.Thread(target=sync)
    thread.start()
    reads = []
    while not done.is_set() or not reads:
        catalog = lake.catalog("ticks")
        table = lake.read("ticks")
        reads.append((len(catalog), table.num_rows))
        time.sleep(0.05)
    thread.join()
    assert not errors, errors
    # Files keep arriving, so a read may list more than the catalog before it; never fewer rows.
    assert all(rows >= n * ROWS and rows % ROWS == 0 for n, rows in reads), reads
    assert any(0 < rows < 2 * 2 * 40 * ROWS for _, rows in reads), f"no read saw the sync half-way: {reads}"
    assert lake.read("ticks").num_rows == 2 * 2 * 40 * ROWS


def test_polars_pandas_and_duckdb(tmp_path: Path) -> None:
    import duckdb
    import polars as pl

    lake, _ = make_lake(tmp_path)
    frame = lake.scan("ticks", exchange="gate_io", start="20241120").filter(pl.col("side") == "ask").collect()
    assert frame.height > 0 and set(frame["series"].cast(pl.String).to_list()) <= {"gate_io_VIRTUAL-USDT", "gate_io_VIRTUAL-USDTX"}
    assert frame.schema["timestamp"] == pl.Datetime("us", "UTC")
    df = lake.read_pandas("ticks", series="mexc_IRON-USDT", sort_by="timestamp")
    assert len(df) == len(DAYS) * PARTS * ROWS and str(df["timestamp"].dt.tz) == "UTC"
    ticks = lake.dataset("ticks", symbol="IRON-USDT")
    rows = duckdb.sql("SELECT date, count(*) FROM ticks GROUP BY date ORDER BY date").fetchall()
    assert rows == [(day, PARTS * ROWS) for day in DAYS]


def test_a_missing_reader_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake, _ = make_lake(tmp_path)
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(datalake.reader.MissingExtraError, match=r"pip install 'datalake\[read\]'"):
        lake.scan("ticks")


def test_python_c_and_cli_agree(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    lake, _ = make_lake(tmp_path)
    config = tmp_path / "lake.yml"
    selection = {"series": ["gate_io_*"], "start": "20241119", "fields": {"symbol": "VIRTUAL-USDT"}}
    py = [f.to_dict() for f in lake.files("ticks", series="gate_io_*", start="20241119", symbol="VIRTUAL-USDT")]
    assert len(py) == 2 * PARTS
    proc = subprocess.run(["make", "--no-print-directory", "c-tests"], cwd=repo, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    program = [repo / "build" / "c" / "files_test", config, "ticks", json.dumps(selection)]
    c = subprocess.run(program, capture_output=True, text=True, timeout=60)
    assert c.returncode == 0, c.stderr
    assert json.loads(c.stdout)["files"] == py
    # The same program under valgrind: no error, no leak (99 otherwise).
    memcheck = ["valgrind", "--tool=memcheck", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99"]
    checked = subprocess.run([*memcheck, *program], capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stderr[-3000:]
    cli = [sys.executable, "-m", "datalake", "files", "ticks", "--config", str(config)]
    args = ["--series", "gate_io_*", "--start", "20241119", "--field", "symbol=VIRTUAL-USDT"]
    out = subprocess.run([*cli, *args, "--format", "json"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["files"] == py
    plain = subprocess.run([*cli, *args], capture_output=True, text=True, timeout=60)
    assert plain.stdout.splitlines() == [f["path"] for f in py]
