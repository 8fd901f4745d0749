"""SIGKILL while a sync replaces files the collector wrote again (`on_rewrite: auto`).

The promise: at any moment, every earlier version is either still under its name,
or staged (rsync's backup of this attempt), or kept in .datalake-replaced, or (a growth)
its rows are in the new version under its name: never nowhere. The next run settles
what a killed one staged, and nothing is kept twice or lost.

Each iteration: a fresh lake synced once; the collector writes new versions (restarted
parts with other rows, growing snapshot files); a sync is SIGKILLed at a random moment
of a typical run's duration (rsync's linkat/rename, the row comparisons, the moves into
.datalake-replaced); then the invariant is checked, and after one more sync, the end state.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import faultkit
import parquet_files as pf
import trees
from configs import WriteConfig

REPLACED = ".datalake-replaced"
KEPT = re.compile(r"^(?P<name>.+)\.\d{8}T\d{6}Z(\.\d+)?$")
PART = trees.partition_name("BTC-USDT", trees.utc_today(), prefix="binance")
REWRITES = [f"{PART}/part_{n:05d}.parquet" for n in range(1, 7)]
GROWTHS = [f"orderbook_snapshots/binance_PAIR{n}_{trees.utc_today():%Y%m%d}.parquet" for n in range(1, 7)]


def first(collector: Path) -> dict[str, bytes]:
    out = {}
    for i, rel in enumerate(REWRITES):
        out[rel] = pf.write(collector, rel, pf.orderbook_bytes(0, 3000, seed=i, row_group_size=1000)).read_bytes()
    for i, rel in enumerate(GROWTHS):
        out[rel] = pf.write(collector, rel, pf.orderbook_bytes(0, 6000, seed=10 + i)).read_bytes()
    return out


def second(collector: Path) -> None:
    for i, rel in enumerate(REWRITES):
        pf.write(collector, rel, pf.orderbook_bytes(50_000, 3000, seed=i), age=pf.OLD + 600)
    for i, rel in enumerate(GROWTHS):
        pf.write(collector, rel, pf.orderbook_bytes(0, 7000, seed=10 + i, row_group_size=2500), age=pf.OLD - 100)


def versions(profile_dir: Path) -> dict[str, list[bytes]]:
    """Every copy of each real name anywhere in the profile: under its name, staged, kept."""
    out: dict[str, list[bytes]] = {}
    for path in profile_dir.rglob("*"):
        if not path.is_file() or ".rsync-partial" in path.parts:
            continue
        rel = path.relative_to(profile_dir)
        if rel.parts[0] == REPLACED:
            inner = rel.relative_to(REPLACED)
            if inner.parts[0] == ".incoming":
                real = str(Path(*inner.parts[2:]))  # .incoming/<attempt>/<real name>
            else:
                m = KEPT.match(inner.name)
                assert m, f"unexpected name in {REPLACED}: {inner}"
                real = str(inner.parent / m["name"])
        else:
            real = str(rel)
        out.setdefault(real, []).append(path.read_bytes())
    return out


def test_sigkill_never_leaves_an_earlier_version_nowhere(
    write_config: WriteConfig, world_tmp: Path, tmp_path: Path
) -> None:
    rng = faultkit.seeded("sigkill-rewrites")
    typical = None
    # Where the kills landed: before any backup, with backups staged and none kept yet,
    # part-way through settling (some kept, some still staged), after settling.
    landed = {"before": 0, "staged": 0, "settling": 0, "settled": 0}
    for i in range(faultkit.scaled(5, 40)):
        collector = world_tmp / f"c{i}"
        collector.mkdir(mode=0o755)
        old = first(collector)
        config = write_config(
            {"books": {"source": {"remote_root": str(collector)}, "min_age": "1m"}}, root_dir=tmp_path / f"lake{i}"
        )
        profile_dir = tmp_path / f"lake{i}" / "books"
        sync = faultkit.cli("sync", "books", "--config", str(config))
        assert faultkit.run_with_signal(sync, None, 0).returncode == 0
        second(collector)
        new = {rel: (collector / rel).read_bytes() for rel in old}
        if typical is None:
            # One run without a kill, to learn how long one takes; then its end state.
            run = faultkit.run_with_signal(sync, None, 0)
            typical = run.elapsed
            faultkit.figure("rewrite_sync_seconds", round(typical, 3))
            delay = None
        else:
            delay = rng.uniform(0, typical * 1.1)
            run = faultkit.run_with_signal(sync, signal.SIGKILL, delay)
            faultkit.no_rsync_left(str(collector))
        where = f"iteration {i}: SIGKILL at {delay}: exit {run.returncode}\n{run.stderr}"
        assert run.returncode in (0, -signal.SIGKILL), where
        seen = versions(profile_dir)
        if delay is not None:
            staged = any((profile_dir / REPLACED / ".incoming").rglob("*.parquet"))
            kept = any(p.is_file() for p in (profile_dir / REPLACED / PART).glob("*"))
            landed[{(False, False): "before", (True, False): "staged", (True, True): "settling"}.get((staged, kept), "settled")] += 1
        for rel in REWRITES:
            assert old[rel] in seen.get(rel, []), f"{where}\n{rel}: the earlier version is nowhere"
        for rel in GROWTHS:
            # The earlier version, or the new one that holds all its rows.
            assert old[rel] in seen.get(rel, []) or new[rel] in seen.get(rel, []), f"{where}\n{rel}"
        # The next run settles what the killed one staged.
        final = faultkit.run_with_signal(sync, None, 0)
        assert final.returncode == 0, final.stderr
        seen = versions(profile_dir)
        left = sorted(str(p.relative_to(profile_dir)) for p in (profile_dir / REPLACED / ".incoming").rglob("*"))
        assert not (profile_dir / REPLACED / ".incoming").exists(), f"{where}\n{left}\n{final.stderr}"
        for rel in REWRITES:
            assert sorted(seen[rel]) == sorted([old[rel], new[rel]]), f"{where}\n{rel}: kept once, new in place"
        for rel in GROWTHS:
            assert seen[rel] == [new[rel]], f"{where}\n{rel}: a growth keeps nothing"
        faultkit.assert_clean_output(final)
    for state, n in landed.items():
        faultkit.figure(f"rewrite_kills_{state}", n)
