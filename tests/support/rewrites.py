"""A collector that writes files again under the same name, for the `on_rewrite` tests.

Every face (CLI, Python, C) runs the same scenario and must tell the same story:

- ``part_00001.parquet`` of today's partition: a restarted tick collector writes it again
  with other rows (and an older mtime): a rewrite, the earlier version is kept;
- ``orderbook_snapshots/binance_BTC-USDT_<date>.parquet``: the snapshot task rewrites the
  growing daily file with more rows and other row groups: a growth, nothing kept;
- ``trades.csv``: appended to: a growth;
- ``meta.json``: rewritten, same size: a rewrite;
- yesterday's ``part_00001.parquet``: untouched.

All Parquet files are pyarrow-written order-book snapshots (:func:`parquet_files.orderbook_bytes`),
all files older than any ``min_age`` the tests use.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import parquet_files as pf
import trees

REPLACED = ".datalake-replaced"
KEPT_NAME = re.compile(r"^(?P<name>.+)\.(?P<stamp>\d{8}T\d{6}Z)(\.\d+)?$")


def today_part() -> str:
    return trees.partition_name("BTC-USDT", trees.utc_today(), prefix="binance")


def yesterday_part() -> str:
    return trees.partition_name("BTC-USDT", trees.last_days(2)[0], prefix="binance")


def snapshot_rel() -> str:
    return f"orderbook_snapshots/binance_BTC-USDT_{trees.utc_today():%Y%m%d}.parquet"


def csv_lines(start: int, end: int) -> bytes:
    return "".join(f"{1_767_225_600_000 + n},BTC-USDT,{60000 + n % 7}.5,0.0{n % 9 + 1}\n" for n in range(start, end)).encode()


def first_versions() -> dict[str, bytes]:
    """What the collector holds at the first sync."""
    return {
        f"{today_part()}/part_00001.parquet": pf.orderbook_bytes(0, 1000, seed=1, row_group_size=400),
        snapshot_rel(): pf.orderbook_bytes(0, 600, seed=2),
        f"{today_part()}/trades.csv": csv_lines(0, 100),
        f"{today_part()}/meta.json": b'{"session": 1}\n',
        f"{yesterday_part()}/part_00001.parquet": pf.orderbook_bytes(0, 800, seed=3),
    }


def second_versions() -> dict[str, tuple[bytes, float]]:
    """The files the collector writes again, with the age of their new mtime."""
    return {
        # Restarted: the part counter starts over; other rows, an older mtime.
        f"{today_part()}/part_00001.parquet": (pf.orderbook_bytes(5000, 1200, seed=1, row_group_size=500), pf.OLD + 600),
        # The growing daily snapshot, rewritten whole with other row groups.
        snapshot_rel(): (pf.orderbook_bytes(0, 900, seed=2, row_group_size=250), pf.OLD - 100),
        f"{today_part()}/trades.csv": (csv_lines(0, 160), pf.OLD - 100),
        f"{today_part()}/meta.json": (b'{"session": 2}\n', pf.OLD - 100),
    }


REWRITTEN = ("part_00001.parquet", "meta.json")


def write_first(collector: Path) -> dict[str, bytes]:
    first = first_versions()
    for rel, data in first.items():
        pf.write(collector, rel, data)
    return first


def write_second(collector: Path) -> dict[str, tuple[bytes, float]]:
    second = second_versions()
    for rel, (data, age) in second.items():
        pf.write(collector, rel, data, age=age)
    return second


def kept_files(profile_dir: Path) -> dict[str, bytes]:
    """The kept versions by real name (relative path), checking each kept name."""
    out: dict[str, bytes] = {}
    root = profile_dir / REPLACED
    for path in sorted(root.rglob("*")) if root.exists() else []:
        if path.is_file():
            rel = path.relative_to(root)
            assert rel.parts[0] != ".incoming", f"left unsettled: {rel}"
            m = KEPT_NAME.match(path.name)
            assert m, f"kept name does not begin with the real name and end with a UTC time: {rel}"
            out[str(rel.parent / m["name"])] = path.read_bytes()
    return out


def check_second_sync(report: dict[str, Any], profile_dir: Path, first: dict[str, bytes], collector: Path) -> None:
    """What every face must show after the second sync (``report`` as a JSON dict)."""
    assert report["status"] == "success", report
    assert report["files_transferred"] == 4, report
    assert report["rewrites_kept"] == 2 and report["files_grown"] == 2, report
    kept = sorted(report["kept_versions"], key=lambda k: k["path"])
    assert [k["path"] for k in kept] == sorted(f"{today_part()}/{n}" for n in REWRITTEN)
    reasons = {Path(k["path"]).name: k["reason"] for k in kept}
    assert reasons["part_00001.parquet"] == "row 0 differs from the earlier version's", reasons
    assert reasons["meta.json"].startswith("its bytes differ from the earlier version at offset 12"), reasons
    for k in kept:
        assert Path(k["kept_as"]).read_bytes() == first[k["path"]]
    assert any(w.startswith("2 files the lake already had were replaced") for w in report["warnings"]), report["warnings"]
    # The lake holds every new version under its name, every rewritten earlier one kept.
    for rel in first:
        assert (profile_dir / rel).read_bytes() == (collector / rel).read_bytes(), rel
    assert kept_files(profile_dir) == {f"{today_part()}/{n}": first[f"{today_part()}/{n}"] for n in REWRITTEN}


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The face-independent part of a report: compared across CLI, Python and C."""
    return {
        "status": report["status"],
        "files_transferred": report["files_transferred"],
        "rewrites_kept": report["rewrites_kept"],
        "files_grown": report["files_grown"],
        "kept": sorted((k["path"], k["reason"], _kept_real_name(k["kept_as"])) for k in report["kept_versions"]),
        "warnings": [w for w in report["warnings"] if "replaced" in w],
    }


def _kept_real_name(kept_as: str) -> str:
    m = KEPT_NAME.match(Path(kept_as).name)
    assert m, kept_as
    return m["name"]
