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
