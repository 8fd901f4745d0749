#!/usr/bin/env python3
"""datalake vs the plain tools, on the same generated data, side by side.

    python3 bench/run.py [--quick] [--repeat N] [--only base|planner|first-sync|first-sync-default|verify|rewrites|read|compact|startup|object-storage]

Measures (median of N runs, wall time and peak RSS of the measured process):
  * first sync          vs  plain ``rsync -a`` over the same loopback SSH server
  * stats               vs  ``du -s`` plus ``find | wc -l``
  * cleanup (retention) vs  ``rm -rf`` of the same expired directories
  * config load+validate (in process, mean of 2,000 loads; target < 1 ms)
  * verify (footer check of a 60,000-file tree of real Parquet files, all cores)
                        vs  a Python loop of ``pyarrow.parquet.read_metadata`` over the same files

Peak RSS needs GNU time (/usr/bin/time, Debian package `time`); without it the column reads 0.

Targets (issue #2): sync <= 1.05x rsync, stats <= 1.5x du+find, cleanup <= 1.2x rm -rf.
Target (issue #12): verify >= 10x faster than the read_metadata loop (pyarrow from .venv).
Reading the lake (issue #19, --only read, run with .venv/bin/python): bench/read.py, the
catalog vs ``find`` and ``DataLake.read`` vs the quants-lab loader on 180,000 real files.

Planner (issue #11), on trees generated once and kept under --cache (sizes are parameters;
--quick shrinks them):
  * hourly no-op on DAYSxSYMBOLSxPARTS files (60x50x200 = 600,000): a regular (windowed)
    run vs a no-op ``rsync -a`` of the same tree; target <= 0.1x
  * hourly delta (one new part in each of today's partitions): target <= 0.2x
  * planner peak RSS (listing + window, in process) on that tree: target < 64 MiB
  * backfill (first sync, 1,200 files of 256 KiB in 150 partitions) through bench/relay.py,
    which caps each TCP connection at 8 MB/s: parallel 4 vs parallel 1, target >= 3x faster
  * first sync of a 60,000-file tree without the relay: parallel 1 vs ``rsync -a`` (<= 1.05x),
    parallel 2 vs parallel 1 (<= 1.0x)
First sync with the default config (issue #17, --only first-sync-default): --parquet-tree
DAYSxSYMBOLSxPARTS (60x10x100) real ~4 KiB Parquet files, check_parquet and min_age as a new
user gets them, vs ``rsync -a``; target <= 1.05x. --link-rate R puts both behind bench/relay.py
at R bytes/s per connection (a collector's link instead of the loopback's CPU; 8e6 = 64 Mbit/s).
DATALAKE_BENCH_BIN times another build;
--before-bin adds an earlier build's row, interleaved with the two.
Rewrites (issue #18), on the no-op tree: an hourly run where nothing changed with
``on_rewrite: auto`` (the default: rsync stages replaced files, the run settles them) vs
``on_rewrite: replace`` (no staging), windowed and full (rsync over the whole tree);
target <= 1.05x. Repetitions interleave the two.
Start-up (issue #17, --only startup): bench/startup.py, ``datalake --version`` and
``datalake status`` vs ``python -c pass``; target <= 60 ms median.
The lake on object storage (issue #21, --only object-storage, run with .venv/bin/python):
bench/object_storage.py, rclone and the quants-lab loader against datalake compact into
s3:// and lake.read from it, on a SeaweedFS server on 127.0.0.1 (--s3-shape PAIRSxDAYSxPARTS,
12x30x200 = 72,000 parts; --quick 4x5x50).

Compaction (issue #20): see bench/compact_bench.py (``--only compact``; the tree is
--compact-tree PAIRSxDAYSxPARTS, 12x7x1000 = 84,000 order-book parts).
The lakes a run writes live under $TMPDIR (default /tmp): on a machine whose disk is slower
than the tools (seen here: rsync -a of the 60,000-file tree took 3.1 s into tmpfs and 10 to 23 s
into /tmp, varying run to run), `TMPDIR=/dev/shm` measures the tools instead of the disk.
Everything talks to 127.0.0.1 only. Results are printed, never asserted: the machines
are shared and noisy, so a benchmark informs and a test does not time anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

import sshd  # noqa: E402
import trees  # noqa: E402

BENCH_BIN = Path(os.environ.get("DATALAKE_BENCH_BIN", ROOT / "target" / "release" / "examples" / "bench_ops"))
"""DATALAKE_BENCH_BIN: another build of bench_ops to time (an earlier commit's, for before/after)."""


GNU_TIME = "/usr/bin/time"


def run_measured(argv: list[str]) -> tuple[float, int, str]:
    """Run argv; return (seconds, peak RSS in KiB of its process tree, stdout).

    Peak RSS comes from GNU time: Linux carries a process's RSS high-water mark
    across exec, so a child forked from this Python would report Python's own
    size. GNU time is a small process, so its children's figures are their own.
    """
    rss_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"datalake-bench-rss-{os.getpid()}"
    wrapped = [GNU_TIME, "-q", "-f", "%M", "-o", str(rss_file), *argv] if Path(GNU_TIME).exists() else argv
    start = time.perf_counter()
    proc = subprocess.run(wrapped, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(argv)}\n{proc.stderr}")
    rss = 0
    if wrapped is not argv:
        rss = int(rss_file.read_text().split()[-1])
        rss_file.unlink()
    return elapsed, rss, proc.stdout.strip()


def run_shell_measured(cmd: str) -> tuple[float, int, str]:
    return run_measured(["bash", "-c", cmd])


def write_config(path: Path, lake: Path, server: sshd.SshServer, remote_root: Path, retention: int = 30) -> None:
    path.write_text(
        "data_lake:\n"
        f"  root_dir: {lake}\n"
        "  profiles:\n"
        "    bench:\n"
        "      source:\n"
        "        type: ssh\n"
        "        host: 127.0.0.1\n"
        f"        port: {server.port}\n"
        f"        user: {server.user}\n"
        f"        ssh_key: {server.key}\n"
        f"        remote_root: {remote_root}\n"
        "      local_subdir: bench\n"
        f"      retention_days: {retention}\n"
        f"      known_hosts: {server.known_hosts}\n"
        # Generated just before the run, Parquet-framed random bytes: as plain rsync sees them.
        "      min_age: 0\n"
        "      check_parquet: false\n"
    )


def write_planner_config(
    path: Path, lake: Path, server: sshd.SshServer, remote_root: Path, retention: int, extra: str = "", port: int = 0
) -> None:
    write_config(path, lake, server, remote_root, retention)
    text = path.read_text()
    if port:
        text = text.replace(f"port: {server.port}", f"port: {port}")
    path.write_text(text + "".join(f"      {line}\n" for line in extra.splitlines()))


def tree_shape(text: str) -> tuple[int, int, int]:
    d, s, p = (int(x) for x in text.lower().split("x"))
    return d, s, p


def cached_tree(
    cache: Path, name: str, shape: tuple[int, int, int], size: int, today: dt.date, real: bool = False
) -> Path:
    """A collector tree DAYSxSYMBOLSxPARTS of `size`-byte files, generated once per day and kept.
    With `real`, the files are real Parquet (16 variants of `size` rows, pyarrow: run with
    .venv/bin/python) modified an hour ago, so the default config (min_age, the Parquet
    check) takes them as a collector's."""
    days, symbols, parts = shape
    root = cache / f"{name}-{today:%Y%m%d}-{days}x{symbols}x{parts}x{size}{'-parquet' if real else ''}"
    collector = root / "collector"
    if (root / "done").exists():
        return collector
    shutil.rmtree(root, ignore_errors=True)
    collector.mkdir(parents=True)
    print(f"generating {days * symbols * parts} files under {collector} (kept for later runs) ...", flush=True)
    if real:
        import parquet_files  # pyarrow

        bodies = [parquet_files.parquet_bytes(rows=size, seed=i) for i in range(16)]
    else:
        body = bytes(range(256)) * (size // 256 + 1)
        bodies = [body[k : k + size] for k in range(256)]
    aged = time.time() - 3600
    for d in range(days):
        day = today - dt.timedelta(days=d)
        for s in range(symbols):
            part_dir = collector / trees.partition_name(f"SYM{s}-USDT", day)
            part_dir.mkdir()
            for n in range(parts):
                path = part_dir / f"part_{n:05d}.parquet"
                with open(path, "wb") as f:
                    f.write(bodies[(n + s) % len(bodies)])
                if real:
                    os.utime(path, (aged, aged))
    subprocess.run(["chmod", "-R", "a+rX", str(root)], check=True)
    for p in (cache, root):
        p.chmod(0o755)
    (root / "done").touch()
    return collector


def ratio_row(name: str, ours: float, base: float, base_name: str, target: float, at_least: bool = False) -> str:
    ratio = ours / base if base > 0 else float("inf")
    good = ratio >= target if at_least else ratio <= target
    sign = ">=" if at_least else "<="
    return (
        f"{name:<22} {ours * 1000:9.1f} ms | {base_name:<18} {base * 1000:9.1f} ms | "
        f"ratio {ratio:5.2f}x (target {sign} {target:.2f}x) {'ok' if good else 'OFF TARGET'}"
    )


def planner_benchmarks(args: argparse.Namespace, server: sshd.SshServer, work: Path) -> list[str]:
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o755)
    today = trees.utc_today()
    out: list[str] = []

    def rsync_src(c: Path) -> str:
        return f"{server.user}@127.0.0.1:{c}/"

    # --- hourly no-op and delta on the big tree, and the planner's memory.
    shape = tree_shape(args.noop_tree)
    # Real Parquet parts an hour old, and the default config (min_age, check_parquet):
    # the hourly run as a team runs it (issue 17).
    collector = cached_tree(cache, "noop", shape, 20, today, real=True)
    state = collector.parent
    lake, plain = state / "lake", state / "plain"
    config = work / "noop.yml"
    write_planner_config(config, lake, server, collector, shape[0] + 5, "full_sync_every: 7d")
    config.write_text(config.read_text().replace("      min_age: 0\n", "").replace("      check_parquet: false\n", ""))
    if not (state / "synced").exists():
        print("first sync of the no-op tree (datalake and rsync -a; kept for later runs) ...", flush=True)
        shutil.rmtree(lake, ignore_errors=True)
        shutil.rmtree(plain, ignore_errors=True)
        run_measured([str(BENCH_BIN), "sync", str(config), "bench"])
        run_measured(["rsync", "-a", "-e", server.rsh(), rsync_src(collector), f"{plain}/"])
        (state / "synced").touch()
    # full_sync_every: 7d and the kept checkpoint make every regular run below a windowed one.
    plain_argv = ["rsync", "-a", "-e", server.rsh(), rsync_src(collector), f"{plain}/"]
    n = shape[0] * shape[1] * shape[2]
    # The same no-op as a team with Prometheus runs it (issue #17): metrics_dir set, so the
    # run rewrites the .prom file; the lake index makes that O(what changed). One warm-up
    # run writes the index; the floor is one ssh connection to the same server.
    metrics_config = work / "noop-metrics.yml"
    metrics_dir = work / "textfiles"
    metrics_dir.mkdir(exist_ok=True)
    text = config.read_text().replace("data_lake:\n", f"data_lake:\n  metrics_dir: {metrics_dir}\n", 1)
    metrics_config.write_text(text)
    run_measured([str(BENCH_BIN), "sync", str(metrics_config), "bench"])
    # Interleaved, one sample of each per round: one ssh handshake here takes 210 or 260 ms
    # from one minute to the next, so every side is sampled in the same minutes.
    sides: dict[str, list[str]] = {
        "ours": [str(BENCH_BIN), "sync", str(config), "bench"],
        "base": plain_argv,
        "ours_m": [str(BENCH_BIN), "sync", str(metrics_config), "bench"],
        "floor": [*server.ssh_command(), "true"],
    }
    samples: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(args.repeat):
        for side, argv in sides.items():
            samples[side].append(run_measured(argv)[0])
    ours, base, ours_m, floor = (statistics.median(samples[side]) for side in sides)
    out.append(ratio_row(f"no-op {n} files", ours, base, "rsync -a no-op", 0.1))
    out.append(ratio_row(f"no-op {n} files, metrics_dir", ours_m, base, "rsync -a no-op", 0.1))
    out.append(ratio_row(f"no-op {n} files, metrics_dir", ours_m, floor, "ssh host true", 1.5))
    print("\n".join(out[-3:]), flush=True)

    ours_t, base_t = [], []
    for rep in range(args.repeat):
        tag = f"{time.time_ns()}"
        import parquet_files  # pyarrow

        body, aged = parquet_files.parquet_bytes(rows=20, seed=rep), time.time() - 120  # past the 1-minute min_age
        for s in range(shape[1]):
            part = collector / trees.partition_name(f"SYM{s}-USDT", today) / f"part_delta_{tag}.parquet"
            part.write_bytes(body)
            part.chmod(0o644)
            os.utime(part, (aged, aged))
        ours_t.append(run_measured([str(BENCH_BIN), "sync", str(config), "bench"])[0])
        base_t.append(run_measured(plain_argv)[0])
    out.append(ratio_row(f"delta +{shape[1]} files", statistics.median(ours_t), statistics.median(base_t), "rsync -a", 0.2))

    _, _, plan = run_measured([str(BENCH_BIN), "plan", str(config), "bench"])
    mode, entries, units, partitions, hwm = plan.split()
    verdict = "ok" if int(hwm) < 64 * 1024 else "OFF TARGET"
    out.append(
        f"planner peak RSS       {int(hwm) / 1024:.1f} MiB ({mode}: {entries} entries listed, {units} units, "
        f"{partitions} partitions) (target < 64 MiB) {verdict}"
    )

    # --- backfill through the rate-capping relay: parallel 4 vs 1.
    shape = tree_shape(args.backfill_tree)
    collector = cached_tree(cache, "backfill", shape, args.backfill_size, today)
    relay, relay_port = start_relay(server, args.relay_rate)
    try:
        lake = work / "backfill-lake"
        results = {}
        for streams in (1, 4):
            cfg = work / f"backfill-{streams}.yml"
            write_planner_config(cfg, lake, server, collector, shape[0] + 5, f"parallel: {streams}", port=relay_port)
            reset = lambda: shutil.rmtree(lake, ignore_errors=True)  # noqa: E731
            results[streams] = median_of(
                max(1, args.repeat // 2), reset, lambda: run_measured([str(BENCH_BIN), "sync", str(cfg), "bench"])
            )[0]
        files = shape[0] * shape[1] * shape[2]
        mib = files * args.backfill_size / 2**20
        out.append(
            f"backfill {files} files {mib:.0f} MiB via {args.relay_rate / 1e6:.0f} MB/s-per-connection relay: "
            f"parallel 1 {results[1]:.1f} s, parallel 4 {results[4]:.1f} s, speed-up "
            f"{results[1] / results[4]:.2f}x (target >= 3.00x) {'ok' if results[1] / results[4] >= 3 else 'OFF TARGET'}"
        )
    finally:
        relay.terminate()
        relay.wait()

    if not args.skip_first_sync:
        out += first_sync_benchmarks(args, server, work)
    return out


def rewrites_benchmarks(args: argparse.Namespace, server: sshd.SshServer, work: Path) -> list[str]:
    """Hourly no-op run with on_rewrite auto vs replace, windowed and full."""
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o755)
    today = trees.utc_today()
    shape = tree_shape(args.noop_tree)
    collector = cached_tree(cache, "noop", shape, 64, today)
    lake = work / "rewrites-lake"
    out = []
    for label, extra in (("windowed", "full_sync_every: 7d"), ("full", "window_days: 0")):
        configs = {}
        for mode in ("auto", "replace"):
            configs[mode] = work / f"rewrites-{label}-{mode}.yml"
            write_planner_config(configs[mode], lake, server, collector, shape[0] + 5, f"{extra}\non_rewrite: {mode}")
        run_measured([str(BENCH_BIN), "sync", str(configs["replace"]), "bench"])  # first sync (and after a switch)
        times: dict[str, list[float]] = {"auto": [], "replace": []}
        for _ in range(args.repeat):
            for mode in ("auto", "replace"):
                times[mode].append(run_measured([str(BENCH_BIN), "sync", str(configs[mode]), "bench"])[0])
        n = shape[0] * shape[1] * shape[2]
        out.append(
            ratio_row(f"{label} no-op {n} files", statistics.median(times["auto"]), statistics.median(times["replace"]),
                      "on_rewrite: replace", 1.05)
        )
        print(out[-1], flush=True)
    return out


def first_sync_benchmarks(args: argparse.Namespace, server: sshd.SshServer, work: Path) -> list[str]:
    """First sync of the 60k tree without the relay: parallel 1 vs rsync -a, parallel 2 vs 1.
    The three run in turn within each repetition, so a change in the machine's load
    hits all of them alike."""
    shape = tree_shape(args.big_tree)
    collector = cached_tree(Path(args.cache), "big", shape, 4096, trees.utc_today())
    lake, plain = work / "big-lake", work / "big-plain"
    configs = {}
    for streams in (1, 2):
        configs[streams] = work / f"big-{streams}.yml"
        write_planner_config(configs[streams], lake, server, collector, shape[0] + 5, f"parallel: {streams}")
    samples: dict[str, list[float]] = {"p1": [], "p2": [], "rsync": []}
    for _ in range(args.repeat):
        for name in ("p1", "p2", "rsync"):
            shutil.rmtree(lake, ignore_errors=True)
            shutil.rmtree(plain, ignore_errors=True)
            if name == "rsync":
                argv = ["rsync", "-a", "-e", server.rsh(), f"{server.user}@127.0.0.1:{collector}/", f"{plain}/"]
            else:
                argv = [str(BENCH_BIN), "sync", str(configs[int(name[1])]), "bench"]
            samples[name].append(run_measured(argv)[0])
    p1, p2, base = (statistics.median(samples[k]) for k in ("p1", "p2", "rsync"))
    n = shape[0] * shape[1] * shape[2]
    out = [
        ratio_row(f"first sync {n} p1", p1, base, "rsync -a", 1.05),
        ratio_row(f"first sync {n} p2", p2, p1, "parallel 1", 1.0),
    ]
    shutil.rmtree(lake, ignore_errors=True)
    shutil.rmtree(plain, ignore_errors=True)
    return out


def parquet_tree(cache: Path, shape: tuple[int, int, int], today: dt.date) -> Path:
    """A collector tree DAYSxSYMBOLSxPARTS of real ~4 KiB Parquet files (16 variants, written
    by bench_ops), an hour old: what the default config's footer check and min_age accept."""
    days, symbols, parts = shape
    root = cache / f"parquet-{today:%Y%m%d}-{days}x{symbols}x{parts}"
    collector = root / "collector"
    if (root / "done").exists():
        return collector
    shutil.rmtree(root, ignore_errors=True)
    collector.mkdir(parents=True)
    print(f"generating {days * symbols * parts} Parquet files under {collector} (kept for later runs) ...", flush=True)
    variants = []
    for i in range(16):
        template = root / f"template-{i}.parquet"
        subprocess.run([str(BENCH_BIN), "parquet", str(template), str(180 + 3 * i)], check=True, capture_output=True)
        variants.append(template.read_bytes())
        template.unlink()
    old = time.time() - 3600
    for d in range(days):
        day = today - dt.timedelta(days=d)
        for s in range(symbols):
            part_dir = collector / trees.partition_name(f"SYM{s}-USDT", day)
            part_dir.mkdir()
            for n in range(parts):
                path = part_dir / f"part_{n:05d}.parquet"
                path.write_bytes(variants[(d + s + n) % len(variants)])
                os.utime(path, (old, old))
    subprocess.run(["chmod", "-R", "a+rX", str(root)], check=True)
    for p in (cache, root):
        p.chmod(0o755)
    (root / "done").touch()
    return collector


def start_relay(server: sshd.SshServer, rate: float) -> tuple[subprocess.Popen[str], int]:
    """bench/relay.py in front of the server, each connection capped at `rate` bytes/s: (process, port)."""
    relay = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "relay.py"), "--target", f"127.0.0.1:{server.port}", "--rate", str(rate)],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = relay.stdout.readline() if relay.stdout else ""
    return relay, int(line.strip().split("=", 1)[1])


def first_sync_default_benchmarks(args: argparse.Namespace, server: sshd.SshServer, work: Path) -> list[str]:
    """First sync of real Parquet files with the default config (check_parquet and min_age
    as a new user gets them) vs rsync -a, interleaved within each repetition (issue 17).
    With --link-rate, both go through bench/relay.py at that many bytes/s per connection:
    the transfer as a collector's link limits it, instead of the loopback's CPU."""
    if args.link_rate:
        relay, port = start_relay(server, args.link_rate)
        try:
            return first_sync_default_rows(args, server, work, port)
        finally:
            relay.terminate()
            relay.wait()
    return first_sync_default_rows(args, server, work, 0)


def first_sync_default_rows(args: argparse.Namespace, server: sshd.SshServer, work: Path, port: int) -> list[str]:
    shape = tree_shape(args.parquet_tree)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o755)
    collector = parquet_tree(cache, shape, trees.utc_today())
    lake, plain = work / "pq-lake", work / "pq-plain"
    config = work / "pq-default.yml"
    write_planner_config(config, lake, server, collector, shape[0] + 5, port=port)
    rsh = server.rsh().replace(f"-p {server.port}", f"-p {port}") if port else server.rsh()
    text = config.read_text().replace("      min_age: 0\n", "").replace("      check_parquet: false\n", "")
    config.write_text(text)
    bins = {"default": str(BENCH_BIN)}
    if args.before_bin:
        bins["before"] = args.before_bin
    samples: dict[str, list[float]] = {name: [] for name in [*bins, "rsync"]}
    for _ in range(args.repeat):
        for name in samples:
            shutil.rmtree(lake, ignore_errors=True)
            shutil.rmtree(plain, ignore_errors=True)
            if name == "rsync":
                argv = ["rsync", "-a", "-e", rsh, f"{server.user}@127.0.0.1:{collector}/", f"{plain}/"]
            else:
                argv = [bins[name], "sync", str(config), "bench"]
            samples[name].append(run_measured(argv)[0])
    medians = {name: statistics.median(v) for name, v in samples.items()}
    base = medians["rsync"]
    n = shape[0] * shape[1] * shape[2]
    print(f"  samples (s): {samples}", flush=True)
    shutil.rmtree(lake, ignore_errors=True)
    shutil.rmtree(plain, ignore_errors=True)
    link = f" via {args.link_rate / 1e6:.0f} MB/s link" if port else ""
    return [ratio_row(f"first sync {n}{link} {name}", medians[name], base, "rsync -a", 1.05) for name in bins]


def write_ten_profile_config(path: Path) -> None:
    lines = ["data_lake:", "  root_dir: /tmp/datalake-bench-lake", "  profiles:"]
    for i in range(10):
        lines += [
            f"    collector_{i}:",
            "      source:",
            "        type: ssh",
            f"        host: 10.0.0.{i + 1}",
            "        port: 6677",
            "        user: ubuntu",
            "        ssh_key: /nonexistent/key.pem",
            f"        remote_root: /var/data/c{i}",
            f"      local_subdir: c{i}",
            "      retention_days: 30",
            "      exclude: ['*.tmp']",
        ]
    path.write_text("\n".join(lines) + "\n")


def median_of(repeat: int, prepare, measure) -> tuple[float, int, str]:  # type: ignore[no-untyped-def]
    times, rss, out = [], [], ""
    for _ in range(repeat):
        prepare()
        t, r, out = measure()
        times.append(t)
        rss.append(r)
    return statistics.median(times), max(rss), out


def row(name: str, ours: tuple[float, int, str], base: tuple[float, int, str], base_name: str, target: float) -> str:
    ratio = ours[0] / base[0] if base[0] > 0 else float("inf")
    verdict = "ok" if ratio <= target else "OVER TARGET"
    return (
        f"{name:<10} datalake {ours[0] * 1000:9.1f} ms {ours[1] / 1024:7.1f} MiB | "
        f"{base_name:<16} {base[0] * 1000:9.1f} ms {base[1] / 1024:7.1f} MiB | "
        f"ratio {ratio:5.2f}x (target {target:.2f}x) {verdict}"
    )


PYARROW_LOOP = """
import sys
from pathlib import Path
import pyarrow.parquet as pq
n = 0
for p in Path(sys.argv[1]).rglob("*.parquet"):
    pq.read_metadata(p)
    n += 1
print(n)
"""


def verify_bench(work: Path, quick: bool, repeat: int) -> str:
    """Footer-check a tree of real Parquet files: datalake verify vs a read_metadata loop."""
    import parquet_files  # needs pyarrow: run with .venv/bin/python (scripts/setup.sh installs it)

    days, symbols, parts = (5, 4, 100) if quick else (30, 20, 100)
    tree = work / "vlake" / "ptree"
    variants = [parquet_files.parquet_bytes(rows=50 + 10 * i, seed=i) for i in range(16)]
    today = trees.utc_today()
    n = 0
    for d in range(days):
        day = today - dt.timedelta(days=d)
        for s in range(symbols):
            part_dir = tree / trees.partition_name(f"SYM{s}-USDT", day)
            part_dir.mkdir(parents=True)
            for k in range(parts):
                (part_dir / f"part_{k:05d}.parquet").write_bytes(variants[(d + s + k) % len(variants)])
                n += 1
    config = work / "verify.yml"
    config.write_text(
        "data_lake:\n"
        f"  root_dir: {work / 'vlake'}\n"
        "  profiles:\n"
        "    ptree:\n"
        f"      source: {{type: local, remote_root: {work / 'collector'}}}\n"
        f"      retention_days: {days + 5}\n"
    )
    print(f"verify tree: {n} real Parquet files ({sum(map(len, variants)) // len(variants)} bytes each on average)")
    ours_argv = [str(BENCH_BIN), "verify", str(config), "ptree"]
    base_argv = [sys.executable, "-c", PYARROW_LOOP, str(tree)]
    run_cpu(ours_argv)  # warm the page cache for both
    ours = [run_cpu(ours_argv) for _ in range(repeat)]
    base = [run_cpu(base_argv) for _ in range(repeat)]
    if {o[2].split()[0] for o in ours} != {str(n)} or {b[2] for b in base} != {str(n)}:
        raise SystemExit(f"verify bench: expected {n} files, got {ours[0][2]!r} and {base[0][2]!r}")
    wall_ours, wall_base = statistics.median(o[0] for o in ours), statistics.median(b[0] for b in base)
    cpu_ours, cpu_base = statistics.median(o[1] for o in ours), statistics.median(b[1] for b in base)
    speedup = wall_base / wall_ours if wall_ours > 0 else float("inf")
    cpu_ratio = cpu_base / cpu_ours if cpu_ours > 0 else float("inf")
    verdict = "ok" if speedup >= 10 else "UNDER TARGET"
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    return (
        f"{'verify':<10} datalake {wall_ours * 1000:9.1f} ms (cpu {cpu_ours * 1000:.0f} ms) | "
        f"{'read_metadata':<16} {wall_base * 1000:9.1f} ms (cpu {cpu_base * 1000:.0f} ms) | "
        f"speedup {speedup:5.1f}x wall, {cpu_ratio:.1f}x cpu (target >= 10x) {verdict}; load average {load}"
    )


def run_cpu(argv: list[str]) -> tuple[float, float, str]:
    """Run argv; return (wall seconds, user+system CPU seconds of it and its children, stdout)."""
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = os.times()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(argv)}\n{proc.stderr}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, proc.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small tree, for a smoke run")
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement (median is reported)")
    ap.add_argument(
        "--only",
        choices=["all", "base", "planner", "first-sync", "first-sync-default", "verify", "rewrites", "read", "compact", "startup", "object-storage"],
        default="all",
        help="which benchmarks to run (read: bench/read.py, the lake's catalog and reader; needs .venv's pyarrow)",
    )
    ap.add_argument("--compact-tree", default=None, help="PAIRSxDAYSxPARTS of the compaction tree (12x7x1000)")
    ap.add_argument("--s3-shape", default="12x30x200", help="PAIRSxDAYSxPARTS of the object-storage lake (12x30x200)")
    ap.add_argument("--cache", default="/tmp/datalake-bench-cache", help="where generated planner trees are kept")
    ap.add_argument("--noop-tree", default=None, help="DAYSxSYMBOLSxPARTS of the no-op tree (60x50x200)")
    ap.add_argument("--before-bin", default=None, help="first-sync-default: also time this bench_ops build")
    ap.add_argument(
        "--parquet-tree", default=None, help="DAYSxSYMBOLSxPARTS of the real-Parquet first-sync tree (60x10x100)"
    )
    ap.add_argument("--big-tree", default=None, help="DAYSxSYMBOLSxPARTS of the first-sync tree (60x50x20)")
    ap.add_argument("--backfill-tree", default=None, help="DAYSxSYMBOLSxPARTS of the backfill (15x10x8)")
    ap.add_argument("--backfill-size", type=int, default=256 * 1024, help="bytes per backfill file")
    ap.add_argument("--skip-first-sync", action="store_true", help="planner: skip the 60,000-file first-sync rows")
    ap.add_argument("--relay-rate", type=float, default=8_000_000, help="relay cap, bytes/s per connection")
    ap.add_argument(
        "--link-rate", type=float, default=0, help="first-sync-default: through the relay at this many bytes/s per connection"
    )
    args = ap.parse_args()
    def quick_or(full: str, quick: str) -> str:
        return quick if args.quick else full

    args.noop_tree = args.noop_tree or quick_or("60x50x200", "10x20x20")
    args.big_tree = args.big_tree or quick_or("60x50x20", "10x10x20")
    args.parquet_tree = args.parquet_tree or quick_or("60x10x100", "10x10x20")
    args.backfill_tree = args.backfill_tree or quick_or("15x10x8", "5x4x6")
    args.compact_tree = args.compact_tree or quick_or("12x7x1000", "4x7x50")

    if args.only == "startup":
        # Start-up of the command line (issue #17): its own script, timing .venv's console script.
        subprocess.run([sys.executable, str(ROOT / "bench" / "startup.py"), "--repeat", str(max(args.repeat, 11))], check=True)
        return
    if args.only == "object-storage":
        # The lake on object storage (issue #21): its own script, server and cached raw lake.
        argv = [sys.executable, str(ROOT / "bench" / "object_storage.py"), "--shape", args.s3_shape]
        subprocess.run(argv + (["--quick"] if args.quick else []), check=True)
        return
    if args.only == "read":
        # Reading the lake (issue #19): its own script, with its own cached lake under bench/out/.
        argv = [sys.executable, str(ROOT / "bench" / "read.py"), "--repeat", str(args.repeat)]
        subprocess.run(argv + (["--quick"] if args.quick else []), check=True)
        return
    print("building target/release/examples/bench_ops ...", flush=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "datalake-core", "--example", "bench_ops"], cwd=ROOT, check=True)

    work = sshd.world_tmpdir("datalake-bench-")
    if args.only == "verify":
        try:
            print(verify_bench(work, args.quick, args.repeat))
        finally:
            sshd.remove_tree(work)
        return
    server = sshd.start()
    try:
        if args.only == "first-sync":
            for line in first_sync_benchmarks(args, server, work):
                print(line)
            return
        if args.only == "first-sync-default":
            for line in first_sync_default_benchmarks(args, server, work):
                print(line)
            return
        if args.only == "rewrites":
            for line in rewrites_benchmarks(args, server, work):
                print(line)
            return
        if args.only in ("all", "compact"):
            from compact_bench import compact_benchmarks  # pyarrow: run with .venv/bin/python

            compact_rows = compact_benchmarks(args, server, work)
            print()
            for line in compact_rows:
                print(line)
            print(flush=True)
        if args.only == "compact":
            return
        if args.only in ("all", "planner"):
            planner_rows = planner_benchmarks(args, server, work)
            print()
            for line in planner_rows:
                print(line)
            print(flush=True)
        if args.only == "planner":
            return
        today = trees.utc_today()
        if args.quick:
            days, symbols, parts, size = 6, ["A", "B"], 3, 16 * 1024
        else:
            days, symbols, parts, size = 40, [f"SYM{i}-USDT" for i in range(10)], 20, 64 * 1024
        collector = work / "collector"
        day_list = [today - dt.timedelta(days=d) for d in range(days)]
        trees.make_collector_tree(collector, days=day_list, symbols=symbols, parts=parts, size=size)
        n_files = days * len(symbols) * parts
        print(f"tree: {n_files} files, {n_files * size / 2**20:.0f} MiB, {days} days x {len(symbols)} symbols x {parts} parts")

        lake = work / "lake"
        config = work / "bench.yml"
        # Retention covers every generated day, so both tools copy the same files.
        write_config(config, lake, server, collector, retention=days + 5)
        dest = work / "plain"
        results = []

        def reset_sync() -> None:
            shutil.rmtree(lake, ignore_errors=True)
            shutil.rmtree(dest, ignore_errors=True)

        ours = median_of(args.repeat, reset_sync, lambda: run_measured([str(BENCH_BIN), "sync", str(config), "bench"]))
        base = median_of(
            args.repeat,
            reset_sync,
            lambda: run_measured(["rsync", "-a", "-e", server.rsh(), f"{server.user}@127.0.0.1:{collector}/", f"{dest}/"]),
        )
        results.append(row("sync", ours, base, "rsync -a", 1.05))

        # stats on the synced lake vs du -s + find | wc -l on the same directory.
        run_measured([str(BENCH_BIN), "sync", str(config), "bench"])
        subprocess.run(["sync"], check=False)
        local = lake / "bench"
        noop = lambda: None  # noqa: E731
        ours = median_of(args.repeat, noop, lambda: run_measured([str(BENCH_BIN), "stats", str(config), "bench"]))
        base = median_of(args.repeat, noop, lambda: run_shell_measured(f"du -s '{local}' >/dev/null && find '{local}' | wc -l"))
        results.append(row("stats", ours, base, "du -s + find|wc", 1.5))

        # cleanup: retention of 10 days deletes the same directories rm -rf is given.
        cleanup_config = work / "cleanup.yml"
        write_config(cleanup_config, lake, server, collector, retention=10)
        pristine = work / "pristine"
        shutil.rmtree(pristine, ignore_errors=True)
        shutil.copytree(local, pristine, symlinks=True)
        expired = sorted(
            p for p in local.iterdir() if p.is_dir() and p.name[-8:].isdigit() and p.name[-8:] < (today - dt.timedelta(days=9)).strftime("%Y%m%d")
        )
        expired_names = [p.name for p in expired]

        def restore() -> None:
            shutil.rmtree(local, ignore_errors=True)
            shutil.copytree(pristine, local, symlinks=True)
            subprocess.run(["sync"], check=False)

        ours = median_of(args.repeat, restore, lambda: run_measured([str(BENCH_BIN), "cleanup", str(cleanup_config), "bench"]))
        base = median_of(args.repeat, restore, lambda: run_measured(["rm", "-rf", *[str(local / n) for n in expired_names]]))
        results.append(row("cleanup", ours, base, "rm -rf", 1.2))

        results.append(verify_bench(work, args.quick, args.repeat))

        ten = work / "ten.yml"
        write_ten_profile_config(ten)
        _, _, micros = run_measured([str(BENCH_BIN), "config-load", str(ten), "2000"])

        print()
        for line in results:
            print(line)
        verdict = "ok" if float(micros) < 1000 else "OVER TARGET"
        print(f"config     load+validate of a 10-profile file: {float(micros):.1f} us (target < 1000 us) {verdict}")
    finally:
        server.stop()
        sshd.remove_tree(work)


if __name__ == "__main__":
    main()
