"""Compaction benchmarks (issue #20), run by ``bench/run.py --only compact`` (or ``all``).

On a lake in the collectors' real shape (tests/support/ticks.py: the order-book
long table, ~150-row snappy parts of ~7 KB, PAIRS x DAYS x PARTS, generated once and
kept under --cache), side by side:

  * compaction of every part (``datalake compact``) vs a pyarrow script doing the same
    work (read a day's parts, concatenate, sort by timestamp, write zstd(3)); target
    >= 1.5x faster; peak RSS of both
  * table bytes vs raw bytes; target <= 0.5x
  * reading one pair x 3 days sorted by timestamp: from the table (``lake.read``) vs the quants-lab loader's method on the
    raw parts (``load_orderbook_ticks``: a ``pyarrow.dataset`` per partition directory,
    concatenated, sorted); target >= 20x faster, the same rows
  * an hourly no-op sync (windowed) over loopback SSH before and after compaction: the
    same cost (target <= 1.2x), no file transferred; and a full sync after compaction
    transfers nothing
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

import sshd  # noqa: E402
import ticks  # noqa: E402

GNU_TIME = "/usr/bin/time"
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable


def measured(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """(seconds, peak RSS KiB of the process tree, stdout) of argv."""
    rss_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"datalake-bench-compact-rss-{os.getpid()}"
    wrapped = [GNU_TIME, "-q", "-f", "%M", "-o", str(rss_file), *argv] if Path(GNU_TIME).exists() else argv
    start = time.perf_counter()
    proc = subprocess.run(wrapped, capture_output=True, text=True, env={**os.environ, **(env or {})})
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(argv)}\n{proc.stderr[-3000:]}")
    rss = int(rss_file.read_text().split()[-1]) if wrapped is not argv else 0
    rss_file.unlink(missing_ok=True)
    return elapsed, rss, proc.stdout


def _write_pair(args: tuple[str, str, list[str], int, int]) -> int:
    root, pair, days, parts, rows = args
    for d in days:
        ticks.write_parts(Path(root), pair, dt.date.fromisoformat(d), parts=parts, rows=rows, age=7200)
    return parts * len(days)


def tick_tree(cache: Path, pairs: int, days: int, parts: int, rows: int) -> tuple[Path, list[str], list[dt.date]]:
    """The raw tree (generated once per day, kept): PAIRS x DAYS (yesterday back) x PARTS."""
    today = dt.datetime.now(dt.timezone.utc).date()
    names = [f"P{i:02d}-USDT" for i in range(pairs)]
    day_list = [today - dt.timedelta(days=d) for d in range(1, days + 1)]
    root = cache / f"ticks-{today:%Y%m%d}-{pairs}x{days}x{parts}x{rows}"
    tree = root / "collector"
    if not (root / "done").exists():
        shutil.rmtree(root, ignore_errors=True)
        tree.mkdir(parents=True)
        n = pairs * days * parts
        print(f"generating {n} order-book parts under {tree} (kept for later runs) ...", flush=True)
        jobs = [(str(tree), p, [d.isoformat() for d in day_list], parts, rows) for p in names]
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            sum(pool.map(_write_pair, jobs))
        subprocess.run(["chmod", "-R", "a+rX", str(root)], check=True)
        for p in (cache, root):
            p.chmod(0o755)
        (root / "done").touch()
    return tree, names, day_list


def write_config(path: Path, lake: Path, remote: Path, server: sshd.SshServer | None, **compact: object) -> None:
    if server is None:
        source = f"        type: local\n        remote_root: {remote}\n"
        extra = ""
    else:
        source = (
            f"        type: ssh\n        host: 127.0.0.1\n        port: {server.port}\n        user: {server.user}\n"
            f"        ssh_key: {server.key}\n        remote_root: {remote}\n"
        )
        extra = f"      known_hosts: {server.known_hosts}\n"
    block = "".join(f"        {k}: {json.dumps(v)}\n" for k, v in compact.items())
    path.write_text(
        "data_lake:\n"
        f"  root_dir: {lake}\n"
        "  profiles:\n"
        "    bench:\n"
        "      source:\n"
        f"{source}{extra}"
        "      local_subdir: bench\n"
        "      retention_days: 30\n"
        "      min_age: 0\n"
        "      check_parquet: false\n"
        "      compact:\n"
        "        enabled: true\n"
        "        after: '0'\n"
        f"{block}"
    )


PYARROW_COMPACT = r"""
import sys, pathlib, pyarrow as pa, pyarrow.parquet as pq
src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
for day in sorted(p for p in src.iterdir() if p.is_dir()):
    parts = sorted(day.glob("*.parquet"))
    table = pa.concat_tables([pq.read_table(p) for p in parts])
    table = table.sort_by("timestamp")
    pq.write_table(table, out / f"{day.name}.parquet", compression="zstd", compression_level=3)
"""

QUANTS_LAB_READ = r"""
import sys, time, json, pathlib
import pyarrow as pa, pyarrow.compute as pc, pyarrow.dataset as ds
root, pair, start, end, repeat = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
def load_orderbook_ticks(connector_name, trading_pair, start_date, end_date, output_dir):
    # quants-lab core/data_sources/tick_orderbook_writer.py, its method unchanged.
    matching_dirs = []
    for partition_dir in output_dir.iterdir():
        if not partition_dir.is_dir():
            continue
        parts = partition_dir.name.split('_')
        if len(parts) < 3:
            continue
        date_str = parts[-1]
        expected_prefix = f"{connector_name}_{trading_pair}"
        if partition_dir.name.startswith(expected_prefix) and start_date <= date_str <= end_date:
            matching_dirs.append(partition_dir)
    tables = []
    for partition_dir in sorted(matching_dirs):
        dataset = ds.dataset(partition_dir, format='parquet')
        tables.append(dataset.to_table())
    combined_table = pa.concat_tables(tables)
    indices = pc.sort_indices(combined_table, sort_keys=[('timestamp', 'ascending')])
    return pc.take(combined_table, indices)
times = []
for _ in range(repeat):
    t = time.perf_counter()
    table = load_orderbook_ticks("gate_io", pair, start, end, root)
    times.append(time.perf_counter() - t)
print(json.dumps({"seconds": sorted(times)[len(times) // 2], "rows": table.num_rows,
                  "ids": pc.sum(table["update_id"]).as_py(), "first": str(table["timestamp"][0])}))
"""

TABLE_READ = r"""
import sys, time, json, datetime as dt
import datalake
config, pair, start, end, repeat = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
lake = datalake.DataLake.open(config)
series = f"gate_io_{pair}"
how = "lake.read"
def read():
    return lake.read("bench", series=series, start=start, end=end, sort_by="timestamp")
times = []
for _ in range(repeat):
    t = time.perf_counter()
    table = read()
    times.append(time.perf_counter() - t)
import pyarrow.compute as pc
print(json.dumps({"seconds": sorted(times)[len(times) // 2], "rows": table.num_rows, "how": how,
                  "ids": pc.sum(table["update_id"]).as_py(), "first": str(table["timestamp"][0])}))
"""


def ratio_line(name: str, ours: float, base: float, base_name: str, target: float, at_least: bool, unit: str = "s") -> str:
    ratio = base / ours if at_least else ours / base
    good = ratio >= target if at_least else ratio <= target
    sign = ">=" if at_least else "<="
    what = "faster" if at_least else "of"
    return (
        f"{name:<28} {ours:9.2f} {unit} | {base_name:<26} {base:9.2f} {unit} | "
        f"{ratio:6.2f}x {what} (target {sign} {target}x) {'ok' if good else 'OFF TARGET'}"
    )


def compact_benchmarks(args: argparse.Namespace, server: sshd.SshServer, work: Path) -> list[str]:
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o755)
    pairs, days, parts = (int(x) for x in args.compact_tree.lower().split("x"))
    tree, names, day_list = tick_tree(cache, pairs, days, parts, 150)
    raw_bytes = sum(p.stat().st_size for p in tree.rglob("*.parquet"))
    out = [f"compact: {pairs} pairs x {days} days x {parts} parts = {pairs * days * parts} parts, {raw_bytes / 2**20:.0f} MiB raw"]

    # 1. compaction vs the pyarrow script, on copies of the same tree.
    lake = work / "compact-lake"
    config = work / "compact.yml"
    write_config(config, lake, tree, None, sort_by=["timestamp"])
    shutil.rmtree(lake, ignore_errors=True)
    shutil.copytree(tree, lake / "bench")
    subprocess.run(["sync"], check=False)
    ours_s, ours_rss, doc = measured([PY, "-m", "datalake", "-q", "compact", "bench", "--config", str(config), "--format", "json"])
    report = json.loads(doc)
    base_out = work / "pyarrow-out"
    shutil.rmtree(base_out, ignore_errors=True)
    subprocess.run(["sync"], check=False)
    base_s, base_rss, _ = measured([PY, "-c", PYARROW_COMPACT, str(tree), str(base_out)])
    out.append(ratio_line("compact (datalake)", ours_s, base_s, "pyarrow read+concat+sort", 1.5, True))
    out.append(f"{'  peak RSS':<28} {ours_rss / 1024:9.0f} MiB | {'pyarrow script':<26} {base_rss / 1024:9.0f} MiB")
    out.append(
        f"{'  report':<28} {report['days_compacted']} days, {report['parts_absorbed']} parts, "
        f"{report['rows_out']} rows, {report['commits']} commits"
    )
    table_bytes = report["bytes_after"]
    base_bytes = sum(p.stat().st_size for p in base_out.glob("*.parquet"))
    out.append(ratio_line("table bytes", table_bytes / 2**20, report["bytes_before"] / 2**20, "raw parts", 0.5, False, "MiB"))
    out.append(f"{'  (pyarrow zstd output)':<28} {base_bytes / 2**20:9.2f} MiB")

    # 2. one pair x 3 days, sorted by timestamp: the table vs quants-lab's loader on the raw parts.
    pair = names[0]
    start, end = day_list[3], day_list[1]
    q = json.loads(measured([PY, "-c", QUANTS_LAB_READ, str(tree), pair, f"{start:%Y%m%d}", f"{end:%Y%m%d}", str(args.repeat)])[2])
    t = json.loads(measured([PY, "-c", TABLE_READ, str(config), pair, str(start), str(end), str(args.repeat)])[2])
    same = (q["rows"], q["ids"], q["first"]) == (t["rows"], t["ids"], t["first"])
    out.append(ratio_line("read 1 pair x 3 days", t["seconds"], q["seconds"], "quants-lab loader (raw)", 20, True))
    out.append(f"{'  ':<28} {t['how']}; {t['rows']} rows; same rows: {'yes' if same else 'NO'}")

    # 3. hourly no-op sync over loopback SSH, before and after compaction.
    sync_lake = work / "sync-lake"
    sync_config = work / "sync.yml"
    write_config(sync_config, sync_lake, tree, server, sort_by=["timestamp"])
    shutil.rmtree(sync_lake, ignore_errors=True)
    sync = [PY, "-m", "datalake", "-q", "sync", "bench", "--config", str(sync_config), "--format", "json", "--no-cleanup"]
    first = json.loads(measured(sync)[2])
    before = [measured(sync) for _ in range(args.repeat)]
    measured([PY, "-m", "datalake", "-q", "compact", "bench", "--config", str(sync_config)])
    after = [measured(sync) for _ in range(args.repeat)]
    moved = [json.loads(r[2])["files_transferred"] for r in after]
    b = statistics.median(r[0] for r in before)
    a = statistics.median(r[0] for r in after)
    out.append(ratio_line("no-op sync after compact", a, b, "no-op sync before", 1.2, False))
    full = json.loads(measured([*sync, "--full"])[2])
    out.append(
        f"{'  files transferred':<28} first sync {first['files_transferred']}, no-op after compaction {max(moved)}, "
        f"full sync after compaction {full['files_transferred']}"
    )
    shutil.rmtree(lake, ignore_errors=True)
    shutil.rmtree(sync_lake, ignore_errors=True)
    shutil.rmtree(base_out, ignore_errors=True)
    return out
