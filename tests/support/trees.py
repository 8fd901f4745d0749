"""Generated collector trees and byte-level tree digests, for tests.

A collector tree looks like what the quants-infra collectors write::

    ROOT/gate_io_BTC-USDT_20241128/part_00001.parquet

File contents are deterministic pseudo-random bytes (SHAKE-256 of the seed and the
relative path, framed by the Parquet magic ``PAR1``): incompressible like real Parquet,
identical for the same seed and path whatever else the tree holds, so a test can grow a
tree day by day and compare. (The Rust fixture uses its own generator: trees are not
meant to be byte-identical across languages.)

Everything is created readable by the test sshd user (dirs 755, files 644).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Iterable, Optional, Sequence

MAGIC = b"PAR1"
PARTIAL_DIR = ".rsync-partial"
DEFAULT_SYMBOLS = ("BTC-USDT", "ETH-USDT")


def utc_today() -> dt.date:
    """Today's date in UTC (the core's default retention calendar)."""
    return dt.datetime.now(dt.timezone.utc).date()


def last_days(n: int, end: Optional[dt.date] = None) -> list[dt.date]:
    """The ``n`` calendar days ending with ``end`` (default: today, UTC), oldest first."""
    end = end or utc_today()
    return [end - dt.timedelta(days=i) for i in reversed(range(n))]


def partition_name(symbol: str, day: dt.date, prefix: str = "gate_io") -> str:
    """``gate_io_<SYM>_<YYYYMMDD>``."""
    return f"{prefix}_{symbol}_{day:%Y%m%d}"


def file_content(seed: int, relpath: str, size: int) -> bytes:
    """Deterministic bytes of length ``size`` for ``relpath``; Parquet magic at both ends when it fits."""
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    body = hashlib.shake_256(f"{seed}:{relpath}".encode()).digest(size) if size else b""
    if size >= 2 * len(MAGIC):
        body = MAGIC + body[len(MAGIC) : size - len(MAGIC)] + MAGIC
    return body


def write_file(root: Path, relpath: str, size: int, seed: int = 0) -> Path:
    """Write one generated file (creating its directories, readable by everyone)."""
    path = root / relpath
    _mkdirs(root, path.parent)
    path.write_bytes(file_content(seed, relpath, size))
    path.chmod(0o644)
    return path


def make_collector_tree(
    root: Path,
    days: Optional[Iterable[dt.date]] = None,
    symbols: Sequence[str] = DEFAULT_SYMBOLS,
    parts: int = 2,
    size: int = 4096,
    seed: int = 0,
    prefix: str = "gate_io",
) -> list[Path]:
    """Write ``prefix_<SYM>_<YYYYMMDD>/part_0000N.parquet`` (N = 1..parts) under ``root``.

    ``days`` defaults to the last 3 days (UTC, today included). Existing files with the
    same name are overwritten with the same content. Returns the files written, sorted.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    written = []
    for day in last_days(3) if days is None else days:
        for symbol in symbols:
            part_dir = partition_name(symbol, day, prefix)
            for n in range(1, parts + 1):
                written.append(write_file(root, f"{part_dir}/part_{n:05d}.parquet", size, seed))
    return sorted(written)


def tree_digest(root: Path) -> dict[str, str]:
    """``{relative path: sha256 hex}`` of every regular file below ``root``.

    Paths use ``/``. Symlinks are not followed; they appear as ``symlink:<target>``, so
    a copy that turned a link into a file (or dropped it) compares unequal. Directories
    themselves are not listed (empty ones are invisible) and ``.rsync-partial``
    directories are skipped: they are rsync's resume state, not data.
    """
    root = Path(root)
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d != PARTIAL_DIR)
        names = list(filenames) + [d for d in dirnames if (base / d).is_symlink()]
        for name in names:
            path = base / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = f"symlink:{os.readlink(path)}"
            elif path.is_file():
                h = hashlib.sha256()
                with open(path, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                out[rel] = h.hexdigest()
    return dict(sorted(out.items()))


def _mkdirs(top: Path, path: Path) -> None:
    # mkdir -p, then mode 755 (whatever the umask) on `path` and each directory between it
    # and `top`; `top` itself and anything above it are left alone.
    path.mkdir(parents=True, exist_ok=True)
    p = path
    while p != top and top in p.parents:
        p.chmod(0o755)
        p = p.parent
