"""Start-up of the command line (issue #17), run by ``bench/run.py --only startup``.

``datalake --version`` and ``datalake status`` (one profile, never synced) as a
user runs them (the console script of .venv), interleaved with the interpreter's
own floor (``python -c pass``), median of --repeat runs each; target <= 60 ms.
Then ``python -X importtime``'s largest entries for ``status``: what is left.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
TARGET_MS = 60.0


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(argv)}\n{proc.stderr[-2000:]}")
    return elapsed * 1000


def import_top(argv: list[str], n: int) -> list[str]:
    """The n imports with the largest cumulative time under ``-X importtime``."""
    proc = subprocess.run(argv, capture_output=True, text=True)
    rows: list[tuple[int, int, str]] = []
    for line in proc.stderr.splitlines():
        # "import time:  self [us] | cumulative | imported package"
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue
        own, total, name = int(fields[0]), int(fields[1]), fields[2].strip()
        rows.append((total, own, name))
    rows.sort(reverse=True)
    return [f"    {total / 1000:6.1f} ms cumulative {own / 1000:6.1f} ms own  {name}" for total, own, name in rows[:n]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=21)
    args = ap.parse_args()
    python, exe = str(VENV_BIN / "python"), str(VENV_BIN / "datalake")
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "lake.yml"
        config.write_text(
            "data_lake:\n"
            f"  root_dir: {tmp}/lake\n"
            "  profiles:\n"
            "    ticks:\n"
            f"      source: {{type: local, remote_root: {tmp}/collector}}\n"
        )
        cases = {
            "python -c pass (floor)": [python, "-c", "pass"],
            "datalake --version": [exe, "--version"],
            "datalake status": [exe, "status", "--config", str(config)],
        }
        for argv in cases.values():
            timed(argv)  # warm the page cache
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeat):
            for name, argv in cases.items():
                times[name].append(timed(argv))
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
        print(f"start-up, median of {args.repeat} interleaved runs (load average {load}):")
        for name, values in times.items():
            median = statistics.median(values)
            verdict = "" if "floor" in name else (" ok" if median <= TARGET_MS else " OVER TARGET")
            target = "" if "floor" in name else f" (target <= {TARGET_MS:.0f} ms){verdict}"
            print(f"  {name:<24} {median:7.1f} ms, p90 {sorted(values)[int(0.9 * len(values))]:7.1f} ms{target}")
        print("  largest imports of `datalake status` (python -X importtime):")
        for line in import_top([python, "-X", "importtime", "-m", "datalake", "status", "--config", str(config)], 8):
            print(line)


if __name__ == "__main__":
    main()
