"""Real Parquet files for tests and benchmarks, written with pyarrow (a test-only dependency).

``write_orderbook_day`` writes the production shape: the collectors' order-book schema,
one ~7 KB snappy part of ~150 rows per flush; tests and bench/read.py both use it.

``trees.py`` writes Parquet-*framed* random bytes, which is what plain transfer tests
need; the Parquet check, quarantine, verify and the benchmark of the footer check need
files a Parquet reader accepts.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

OLD = 3600.0
"""An age (seconds) well past any ``min_age`` a test uses."""


def parquet_bytes(rows: int = 1000, seed: int = 0) -> bytes:
    """The bytes of a real Parquet file: ``rows`` ticks (ts, sym, price)."""
    table = pa.table(
        {
            "ts": pa.array([seed * 1_000_000 + i for i in range(rows)], pa.int64()),
            "sym": pa.array([f"SYM{(i + seed) % 97}" for i in range(rows)], pa.string()),
            "price": pa.array([100.0 + ((i * 7 + seed) % 1000) / 10 for i in range(rows)], pa.float64()),
        }
    )
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, row_group_size=max(1, rows // 3) if rows else None)
    return bytes(sink.getvalue().to_pybytes())


def write(root: Path, rel: str, data: bytes, age: float = OLD) -> Path:
    """Write ``data`` at ``root/rel`` (dirs 755, file 644) with an mtime ``age`` seconds ago."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    p = path.parent
    while p != root and root in p.parents:
        p.chmod(0o755)
        p = p.parent
    path.write_bytes(data)
    path.chmod(0o644)
    when = time.time() - age
    os.utime(path, (when, when))
    return path


def write_parquet(root: Path, rel: str, rows: int = 1000, seed: int = 0, age: float = OLD) -> Path:
    """A real Parquet file at ``root/rel``."""
    return write(root, rel, parquet_bytes(rows, seed), age)


BOOK_DEPTH = 5
"""Levels per side in :func:`orderbook_table`."""


def orderbook_table(start: int, rows: int, pair: str = "BTC-USDT", seed: int = 0) -> pa.Table:
    """``rows`` order-book snapshots as the collectors write them, from snapshot ``start`` on.

    One row per snapshot: ``timestamp`` (ms, one per second), ``trading_pair``,
    ``update_id``, the ``bids`` and ``asks`` (lists of ``{price, amount}`` structs,
    best first) and the ``mid_price``. Row ``i`` depends only on ``(start + i, seed)``,
    so a table from 0 to 1500 starts with the same 1000 rows as one from 0 to 1000.
    """
    level = pa.struct([("price", pa.float64()), ("amount", pa.float64())])
    ts, ids, bids, asks, mids = [], [], [], [], []
    for n in range(start, start + rows):
        mid = 60_000.0 + ((n * 37 + seed * 101) % 2000) / 4
        ts.append(1_767_225_600_000 + n * 1000)
        ids.append(seed * 10_000_000 + n)
        bids.append([{"price": mid - 0.5 * (k + 1), "amount": 0.01 * ((n + k + seed) % 50 + 1)} for k in range(BOOK_DEPTH)])
        asks.append([{"price": mid + 0.5 * (k + 1), "amount": 0.01 * ((n * 3 + k + seed) % 50 + 1)} for k in range(BOOK_DEPTH)])
        mids.append(mid if n % 97 else float("nan"))  # the collectors write NaN when a side is empty
    return pa.table(
        {
            "timestamp": pa.array(ts, pa.int64()),
            "trading_pair": pa.array([pair] * rows, pa.string()),
            "update_id": pa.array(ids, pa.int64()),
            "bids": pa.array(bids, pa.list_(level)),
            "asks": pa.array(asks, pa.list_(level)),
            "mid_price": pa.array(mids, pa.float64()),
        }
    )


def orderbook_bytes(start: int, rows: int, seed: int = 0, row_group_size: int | None = None) -> bytes:
    """The bytes of a Parquet file of :func:`orderbook_table` (pyarrow's defaults: snappy)."""
    sink = pa.BufferOutputStream()
    pq.write_table(orderbook_table(start, rows, seed=seed), sink, row_group_size=row_group_size)
    return bytes(sink.getvalue().to_pybytes())
# The collectors' order-book "long table": the schema of hummingbot-quants-lab's
# core/data_structures/orderbook_tick.py (ORDERBOOK_TICK_SCHEMA), written the way its
# TickOrderBookWriter flushes a part (snappy, dictionary encoding, statistics), one part
# per flush into `{exchange}_{pair}_{YYYYMMDD}/part_NNNNN.parquet`.
ORDERBOOK_TICK_SCHEMA = pa.schema(
    [
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("received_timestamp", pa.timestamp("us", tz="UTC")),
        ("exchange", pa.string()),
        ("trading_pair", pa.string()),
        ("update_id", pa.int64()),
        ("snapshot_flag", pa.bool_()),
        ("side", pa.string()),
        ("price", pa.float64()),
        ("amount", pa.float64()),
        ("best_bid_price", pa.float64()),
        ("best_ask_price", pa.float64()),
        ("total_bid_volume", pa.float64()),
        ("total_ask_volume", pa.float64()),
    ]
)

LAYOUTS = ("flat", "nested", "hive")


def orderbook_partition(exchange: str, pair: str, day: dt.date, layout: str = "flat") -> str:
    """The partition directory of one pair and day in a layout: flat (the collectors'),
    nested ``YYYY/MM/DD`` or hive ``exchange=/symbol=/year=/month=/day=``."""
    if layout == "flat":
        return f"{exchange}_{pair}_{day:%Y%m%d}"
    if layout == "nested":
        return f"{exchange}_{pair}/{day:%Y/%m/%d}"
    if layout == "hive":
        return f"exchange={exchange}/symbol={pair}/year={day:%Y}/month={day:%m}/day={day:%d}"
    raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")


def orderbook_parts(
    exchange: str, pair: str, day: dt.date, parts: int = 500, rows: int = 150, every_s: float = 10.0, seed: int = 0
) -> list[pa.Table]:
    """``parts`` flushes of ``rows`` ticks each, one every ``every_s`` seconds from the
    day's midnight (UTC): distinct, valid rows (a snapshot of 20 levels every 50 rows,
    diffs in between), generated for the whole day at once with numpy."""
    import numpy as np

    n = parts * rows
    rng = np.random.default_rng(abs(hash((exchange, pair, day.toordinal(), seed))) % 2**32)
    start_us = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp() * 1_000_000)
    # One exchange update moves ~10 price levels: rows come in groups sharing a timestamp.
    group = np.arange(n) // 10
    updates = (n + 9) // 10
    per_flush = max(1, rows // 10)
    flush = np.minimum(np.arange(updates) // per_flush, parts - 1)
    update_offset = rng.integers(0, int(every_s * 1_000_000), size=updates)
    # Each flush's window is its own, so one sort orders the day and keeps every update in its flush.
    update_ts = np.sort(start_us + flush * int(every_s * 1_000_000) + update_offset)
    ts = update_ts[group]
    received = (update_ts + rng.integers(1_000, 50_000, size=updates))[group]
    snapshot = (np.arange(n) % 50) < 20
    side_bid = (np.arange(n) % 2) == 0
    tick = 0.0001
    mid = np.round((1.0 + 0.001 * np.cumsum(rng.standard_normal(updates)) / 10)[group] / tick) * tick
    level = rng.integers(1, 20, size=n)
    price = np.round(np.where(side_bid, mid - level * tick, mid + level * tick), 4)
    amount = np.where(rng.random(n) < 0.1, 0.0, rng.integers(1, 5000, size=n) / 10)
    nulls = ~snapshot

    def snap(values: Any) -> pa.Array:
        return pa.array(values, pa.float64(), mask=nulls)

    table = pa.table(
        {
            "timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")),
            "received_timestamp": pa.array(received, pa.timestamp("us", tz="UTC")),
            "exchange": pa.array([exchange] * n, pa.string()),
            "trading_pair": pa.array([pair] * n, pa.string()),
            "update_id": pa.array(1_000_000 + group.astype(np.int64), pa.int64()),
            "snapshot_flag": pa.array(snapshot, pa.bool_()),
            "side": pa.array(np.where(side_bid, "bid", "ask"), pa.string()),
            "price": pa.array(price, pa.float64()),
            "amount": pa.array(amount, pa.float64()),
            "best_bid_price": snap(np.round(mid - tick, 4)),
            "best_ask_price": snap(np.round(mid + tick, 4)),
            "total_bid_volume": snap(rng.integers(10_000, 60_000, size=n) / 10),
            "total_ask_volume": snap(rng.integers(10_000, 60_000, size=n) / 10),
        },
        schema=ORDERBOOK_TICK_SCHEMA,
    )
    return [table.slice(i * rows, rows) for i in range(parts)]


def write_orderbook_day(
    root: Path,
    exchange: str,
    pair: str,
    day: dt.date,
    parts: int = 500,
    rows: int = 150,
    layout: str = "flat",
    age: float = OLD,
    seed: int = 0,
) -> list[Path]:
    """Write one pair's day of order-book parts under ``root`` as the collector does
    (snappy, dictionary, statistics), dirs 755, files 644, mtimes ``age`` seconds ago."""
    part_dir = root / orderbook_partition(exchange, pair, day, layout)
    part_dir.mkdir(parents=True, exist_ok=True)
    p = part_dir
    while p != root and root in p.parents:
        p.chmod(0o755)
        p = p.parent
    when = time.time() - age
    out = []
    for i, table in enumerate(orderbook_parts(exchange, pair, day, parts, rows, seed=seed), start=1):
        path = part_dir / f"part_{i:05d}.parquet"
        pq.write_table(table, path, compression="snappy", use_dictionary=True, write_statistics=True)
        path.chmod(0o644)
        os.utime(path, (when, when))
        out.append(path)
    return out
