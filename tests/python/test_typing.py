"""The installed package is typed: user code type-checks against the shipped stubs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

GOOD = """
import datetime
from pathlib import Path
import datalake

lake = datalake.DataLake.open("config/data_lake.yml")
root: Path = lake.config.root_dir
profiles: dict[str, datalake.Profile] = lake.config.profiles
def on_progress(p: datalake.Progress) -> None:
    total: int | None = p.bytes_total
report = lake.sync("cex_ticks", dry_run=True, cleanup=False, progress=on_progress)
status: str = report.status
started: datetime.datetime = report.started_at
everything: datalake.SyncAllReport = lake.sync_all(jobs=2)
reports: list[datalake.SyncReport] = everything.reports
first: datalake.SyncReport = everything[0]
exit_status: int = everything.cli_exit_code
for each in everything:
    alert: bool = each.is_failure
earliest: datetime.date | None = lake.stats("cex_ticks").earliest_date
freed: int = lake.cleanup("cex_ticks", dry_run=True).freed_bytes
ok: bool = lake.test_connection("cex_ticks").ok
cp: datalake.Checkpoint | None = lake.checkpoint("cex_ticks")
try:
    lake.sync("x")
except datalake.SyncError as e:
    code: int | None = e.exit_code
except datalake.LockedError as e:
    pid: int | None = e.pid
except datalake.ConfigError as e:
    problems: list[datalake.Diagnostic] = e.errors
m = datalake.DataLakeManager("config/data_lake.yml")
result: dict[str, object] = m.sync_profile("cex_ticks", verbose=False)
"""

BAD = """
import datalake
lake = datalake.DataLake.open("config/data_lake.yml")
lake.sync(42)
n: str = lake.stats("x").file_count
"""


def mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("mypy")
    f = tmp_path / "user_code.py"
    f.write_text(source)
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.10", str(f)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )


def test_user_code_type_checks(tmp_path: Path) -> None:
    p = mypy(tmp_path, GOOD)
    assert p.returncode == 0, p.stdout + p.stderr


def test_type_errors_are_caught(tmp_path: Path) -> None:
    p = mypy(tmp_path, BAD)
    assert p.returncode == 1
    assert 'Argument 1 to "sync" of "DataLake" has incompatible type "int"' in p.stdout
    assert 'Incompatible types in assignment (expression has type "int", variable has type "str")' in p.stdout
