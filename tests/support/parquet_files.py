"""Real Parquet files for tests and benchmarks, written with pyarrow (a test-only dependency).

``trees.py`` writes Parquet-*framed* random bytes, which is what plain transfer tests
need; the Parquet check, quarantine, verify and the benchmark of the footer check need
files a Parquet reader accepts.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

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
