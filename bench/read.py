#!/usr/bin/env python3
"""Reading the lake (issue #19): datalake's catalog and reader vs what people do today.

    .venv/bin/python bench/read.py [--quick] [--repeat N] [--shape PAIRSxDAYSxPARTS]
    (or: python3 bench/run.py --only read)

On a generated lake in the collectors' real shape (tests/support/parquet_files.py: the
order-book schema, ~7 KB snappy parts of 150 rows; 12 pairs x 30 days x 500 parts =
180,000 files by default), generated once and kept under bench/out/:

  * select one pair x 3 days: ``lake.files(...)`` (in process)  vs  ``find PROFILE -type f``
    over the profile; target <= 0.05x (it must not grow with the lake)
  * read one pair x 3 days into a timestamp-sorted pyarrow.Table:
    ``lake.read(..., sort_by="timestamp")``  vs  the quants-lab loader's method on the same
    files; target <= 0.7x its time, the same rows, peak RSS no more than the loader's

The loader is re-implemented below from hummingbot-quants-lab's
``core/data_sources/tick_orderbook_writer.py`` (``load_orderbook_ticks``, by its authors):
iterdir over the whole lake, keep folders whose name starts with ``{connector}_{pair}`` and
whose last ``_`` part is within the dates, one ``pyarrow.dataset.dataset(folder)`` and
``to_table()`` per folder, ``concat_tables``, ``sort_indices`` + ``take`` on ``timestamp``.

Each read runs in its own Python process (the page cache warm for both: one unmeasured
run first); the time is that of the call, measured inside the process; peak RSS is the
process's high-water mark (GNU time), pyarrow's import included for both. Results are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

GNU_TIME = "/usr/bin/time"
FIRST_DAY = dt.date(2024, 11, 1)
EXCHANGES = ("gate_io", "mexc")


def pairs(n: int) -> list[tuple[str, str]]:
    """``n`` (exchange, pair): gate_io first (an underscore inside the exchange)."""
    return [(EXCHANGES[i % 2], f"PAIR{i:02d}-USDT") for i in range(n)]


def _write_day(args: tuple[str, str, str, str, int]) -> int:
    import parquet_files

    root, exchange, pair, day, parts = args
    return len(parquet_files.write_orderbook_day(Path(root), exchange, pair, dt.date.fromisoformat(day), parts=parts))


def lake_of(shape: tuple[int, int, int]) -> Path:
    """The generated lake of this shape under bench/out/ (generated once, then kept)."""
    n_pairs, days, parts = shape
    base = ROOT / "bench" / "out" / f"read-lake-{n_pairs}x{days}x{parts}"
    profile = base / "lake" / "ticks"
    if (base / "done").exists():
        return base
    import shutil

    shutil.rmtree(base, ignore_errors=True)
    profile.mkdir(parents=True)
    jobs = [
        (str(profile), ex, pair, (FIRST_DAY + dt.timedelta(days=d)).isoformat(), parts)
        for ex, pair in pairs(n_pairs)
        for d in range(days)
    ]
    total = n_pairs * days * parts
    print(f"generating {total} files under {profile} (kept for later runs) ...", flush=True)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        written = sum(pool.map(_write_day, jobs, chunksize=4))
    print(f"  {written} files in {time.perf_counter() - start:.0f} s", flush=True)
    (base / "bench.yml").write_text(
        "data_lake:\n"
        f"  root_dir: {base / 'lake'}\n"
        "  profiles:\n"
        "    ticks:\n"
        f"      source: {{type: local, remote_root: {base / 'collector'}}}\n"
        "      retention_days: 36500\n"
        '      series_format: "{exchange}_{symbol}"\n'
    )
    (base / "done").touch()
    return base


def quants_lab_load(output_dir: Path, connector: str, pair: str, start: str, end: str) -> Any:
    """The method of quants-lab's load_orderbook_ticks (see the module docstring)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    matching = []
    for partition_dir in output_dir.iterdir():
        if not partition_dir.is_dir():
            continue
        parts = partition_dir.name.split("_")
        if len(parts) < 3:
            continue
        if partition_dir.name.startswith(f"{connector}_{pair}") and start <= parts[-1] <= end:
            matching.append(partition_dir)
    tables = [ds.dataset(d, format="parquet").to_table() for d in sorted(matching)]
    combined = pa.concat_tables(tables)
    return pc.take(combined, pc.sort_indices(combined, sort_keys=[("timestamp", "ascending")]))


def child(argv: list[str]) -> None:
    """One measured read, in this process: prints JSON (seconds, rows, a checksum)."""
    import pyarrow.compute as pc

    role, base_s, connector, pair, start, end = argv
    base = Path(base_s)
    if role == "loader":
        cpu = time.process_time()
        begin = time.perf_counter()
        table = quants_lab_load(base / "lake" / "ticks", connector, pair, start, end)
    else:
        import datalake

        lake = datalake.DataLake.open(base / "bench.yml")
        cpu = time.process_time()
        begin = time.perf_counter()
        table = lake.read("ticks", series=f"{connector}_{pair}", start=start, end=end, sort_by="timestamp")
    seconds = time.perf_counter() - begin
    cpu = time.process_time() - cpu
    ts = table["timestamp"].cast("int64")
    ordered = bool(pc.all(pc.greater_equal(ts.combine_chunks()[1:], ts.combine_chunks()[:-1])).as_py())
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "rows": table.num_rows,
                "update_id_sum": pc.sum(table["update_id"]).as_py(),
                "sorted": ordered,
                "timestamp_type": str(table.schema.field("timestamp").type),
            }
        )
    )


def measured(argv: list[str]) -> tuple[dict[str, Any], int]:
    """Run a child; its JSON and its peak RSS in KiB (0 without GNU time)."""
    rss_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"datalake-bench-read-rss-{os.getpid()}"
    cmd = [GNU_TIME, "-q", "-f", "%M", "-o", str(rss_file), *argv] if Path(GNU_TIME).exists() else argv
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed: {' '.join(argv)}\n{proc.stderr}")
    rss = int(rss_file.read_text().split()[-1]) if cmd is not argv else 0
    if cmd is not argv:
        rss_file.unlink()
    return json.loads(proc.stdout.strip().splitlines()[-1]), rss


def bench(shape: tuple[int, int, int], repeat: int) -> list[str]:
    import datalake

    base = lake_of(shape)
    profile = base / "lake" / "ticks"
    connector, pair = pairs(shape[0])[0]
    first = FIRST_DAY + dt.timedelta(days=shape[1] // 2)
    start, end = first.strftime("%Y%m%d"), (first + dt.timedelta(days=2)).strftime("%Y%m%d")
    lake = datalake.DataLake.open(base / "bench.yml")
    series = f"{connector}_{pair}"
    rows = []

    # Selection: in process, the median of 3 x `repeat` consecutive calls (warm cache), and
    # the median of `repeat` runs of find (its own process, warm cache too).
    lake.files("ticks", series=series, start=start, end=end)
    ours, base_t = [], []
    for _ in range(3 * repeat):
        t = time.perf_counter()
        files = lake.files("ticks", series=series, start=start, end=end)
        ours.append(time.perf_counter() - t)
    for _ in range(repeat):
        t = time.perf_counter()
        found = subprocess.run(["find", str(profile), "-type", "f"], capture_output=True, check=True).stdout.count(b"\n")
        base_t.append(time.perf_counter() - t)
    o, b = statistics.median(ours), statistics.median(base_t)
    rows.append(
        f"{'select':<8} lake.files {o * 1000:8.1f} ms ({len(files)} files) | find -type f {b * 1000:8.1f} ms "
        f"({found} files) | ratio {o / b:6.3f}x (target <= 0.05x) {'ok' if o / b <= 0.05 else 'OVER TARGET'}"
    )

    # Read: each in its own process, alternating; one unmeasured run of each first.
    args = [str(base), connector, pair, start, end]
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    measured([*me, "loader", *args])
    measured([*me, "datalake", *args])
    results: dict[str, list[tuple[dict[str, Any], int]]] = {"loader": [], "datalake": []}
    for _ in range(repeat):
        for role in ("loader", "datalake"):
            results[role].append(measured([*me, role, *args]))
    summary = {}
    for role, runs in results.items():
        summary[role] = (
            statistics.median(r[0]["seconds"] for r in runs),
            max(r[1] for r in runs),
            runs[0][0],
            statistics.median(r[0]["cpu"] for r in runs),
        )
    (lo_s, lo_rss, lo, lo_cpu), (dl_s, dl_rss, dl, dl_cpu) = summary["loader"], summary["datalake"]
    same = (lo["rows"], lo["update_id_sum"]) == (dl["rows"], dl["update_id_sum"]) and dl["sorted"] and lo["sorted"]
    ratio = dl_s / lo_s
    rows.append(
        f"{'read':<8} lake.read  {dl_s * 1000:8.1f} ms {dl_rss / 1024:6.0f} MiB | quants-lab loader {lo_s * 1000:8.1f} ms "
        f"{lo_rss / 1024:6.0f} MiB | ratio {ratio:5.2f}x (target <= 0.7x) {'ok' if ratio <= 0.7 else 'OVER TARGET'}; "
        f"peak RSS {dl_rss / max(lo_rss, 1):.2f}x (target <= 1.0x) {'ok' if dl_rss <= lo_rss else 'OVER TARGET'}; "
        f"rows {dl['rows']} {'same rows, sorted' if same else 'ROWS DIFFER'}; timestamp {dl['timestamp_type']}"
    )
    rows.append(
        f"{'':<8} cpu (user+sys, all threads): lake.read {dl_cpu * 1000:.0f} ms, loader {lo_cpu * 1000:.0f} ms: "
        f"{dl_cpu / lo_cpu:.2f}x"
    )
    with open("/proc/loadavg") as f:
        rows.append(f"(lake {shape[0]} pairs x {shape[1]} days x {shape[2]} parts; load average {f.read().split()[0]})")
    return rows


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a 4x6x50 lake, for a smoke run")
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement (median is reported)")
    ap.add_argument("--shape", default=None, help="PAIRSxDAYSxPARTS of the lake (12x30x500)")
    args = ap.parse_args()
    shape_text = args.shape or ("4x6x50" if args.quick else "12x30x500")
    dims = [int(x) for x in shape_text.lower().split("x")]
    if len(dims) != 3:
        raise SystemExit(f"--shape takes PAIRSxDAYSxPARTS, got {shape_text!r}")
    print()
    for line in bench((dims[0], dims[1], dims[2]), args.repeat):
        print(line)


if __name__ == "__main__":
    main()
