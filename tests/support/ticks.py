"""Order-book parts in the collectors' real shape, for the compaction tests and the bench.

quants-lab's ``TickOrderBookWriter`` (``core/data_sources/tick_orderbook_writer.py``)
writes one part per flush into ``{exchange}_{pair}_{YYYYMMDD}/part_NNNNN.parquet``:
``ORDERBOOK_TICK_SCHEMA`` (below, copied from ``core/data_structures/orderbook_tick.py``),
``pq.write_table(..., compression="snappy", use_dictionary=True, write_statistics=True)``,
about 150 rows and 7 KB a part on gate_io (a flush every 10 s). Rows here are
deterministic in (pair, day, update_id), so a test knows exactly which rows the lake
must hold, and a part written twice (a restarted collector, a second collector) holds
the same rows.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ORDERBOOK_TICK_SCHEMA = pa.schema(
    [
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("received_timestamp", pa.timestamp("us", tz="UTC")),
        ("exchange", pa.string()),
        ("trading_pair", pa.string()),
        ("update_id", pa.int64()),
        ("snapshot_flag", pa.bool_()),
        ("side", pa.string()),  # 'bid' or 'ask'
        ("price", pa.float64()),
        ("amount", pa.float64()),
        ("best_bid_price", pa.float64()),
        ("best_ask_price", pa.float64()),
        ("total_bid_volume", pa.float64()),
        ("total_ask_volume", pa.float64()),
    ]
)

OLD = 3600.0
"""An age (seconds) past any ``min_age`` a test uses."""


def partition(pair: str, day: dt.date, exchange: str = "gate_io") -> str:
    return f"{exchange}_{pair}_{day:%Y%m%d}"


def ticks(pair: str, day: dt.date, first_id: int, rows: int, exchange: str = "gate_io") -> pa.Table:
    """``rows`` ticks of ``pair`` on ``day``, update ids from ``first_id``, 10 ms apart."""
    base = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp() * 1_000_000)
    seed = zlib.crc32(f"{exchange}{pair}".encode())
    ids = list(range(first_id, first_id + rows))
    ts = [base + i * 10_000 for i in ids]
    price = [100.0 + ((i * 7919 + seed) % 10_000) / 100 for i in ids]
    return pa.table(
        {
            "timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")),
            "received_timestamp": pa.array([t + 1_500 for t in ts], pa.timestamp("us", tz="UTC")),
            "exchange": pa.array([exchange] * rows, pa.string()),
            "trading_pair": pa.array([pair] * rows, pa.string()),
            "update_id": pa.array(ids, pa.int64()),
            "snapshot_flag": pa.array([i % 500 == 0 for i in ids], pa.bool_()),
            "side": pa.array(["bid" if i % 2 == 0 else "ask" for i in ids], pa.string()),
            "price": pa.array(price, pa.float64()),
            "amount": pa.array([((i * 31 + seed) % 1000) / 10 for i in ids], pa.float64()),
            "best_bid_price": pa.array([p - 0.01 if i % 3 else None for i, p in zip(ids, price)], pa.float64()),
            "best_ask_price": pa.array([p + 0.01 if i % 3 else None for i, p in zip(ids, price)], pa.float64()),
            "total_bid_volume": pa.array([float(i % 97) if i % 5 else None for i in ids], pa.float64()),
            "total_ask_volume": pa.array([float(i % 89) if i % 5 else None for i in ids], pa.float64()),
        },
        schema=ORDERBOOK_TICK_SCHEMA,
    )


def write_table(root: Path, rel: str, table: pa.Table, age: float = OLD) -> Path:
    """Write ``table`` at ``root/rel`` as the collector does (snappy, dictionary,
    statistics; dirs 755, file 644, readable by the test sshd), mtime ``age`` s ago."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    p = path.parent
    while p != root and root in p.parents:
        p.chmod(0o755)
        p = p.parent
    pq.write_table(table, path, compression="snappy", use_dictionary=True, write_statistics=True)
    path.chmod(0o644)
    when = time.time() - age
    os.utime(path, (when, when))
    return path


def write_parts(
    root: Path,
    pair: str,
    day: dt.date,
    parts: int,
    rows: int = 150,
    first_part: int = 1,
    first_id: int = 0,
    age: float = OLD,
) -> list[Path]:
    """``parts`` consecutive parts (``part_00001`` ...) of ``rows`` rows; the newest is the last."""
    out = []
    for k in range(parts):
        n = first_part + k
        rel = f"{partition(pair, day)}/part_{n:05d}.parquet"
        table = ticks(pair, day, first_id + k * rows, rows)
        out.append(write_table(root, rel, table, age=age + (parts - k)))
    return out
