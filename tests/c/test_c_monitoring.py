"""datalake_metrics and datalake_health from a real C11 program (tests/c/monitoring_test.c),
natively and under valgrind, after a real sync over the loopback sshd."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from configs import WriteConfig
from test_c_api import BUILD, MODES, PROFILE, programs, run  # noqa: F401  (programs: a fixture)


@pytest.mark.parametrize("mode", MODES)
def test_metrics_and_health_from_c(
    programs: Path, write_config: WriteConfig, collector: Path, world_tmp: Path, mode: str  # noqa: F811
) -> None:
    metrics_dir = world_tmp / "textfile"
    metrics_dir.mkdir()
    config = write_config({PROFILE: {"source": {"remote_root": str(collector)}}}, metrics_dir=str(metrics_dir))
    run([BUILD / "monitoring_test", config, PROFILE, metrics_dir], mode=mode)
    checked = subprocess.run(
        ["promtool", "check", "metrics"],
        input=(metrics_dir / f"datalake_{PROFILE}.prom").read_text(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
