"""Fixtures of the fault-injection suite (tests/faults).

The shared ones (``ssh_server``, ``collector``, ``write_config``...) come from
tests/conftest.py. This directory goes on sys.path for ``faultkit``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import faultkit  # noqa: E402
import sshd  # noqa: E402


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if faultkit.FULL:
        return
    skip = pytest.mark.skip(reason="long fault case: run scripts/faults.sh (DATALAKE_FAULTS_FULL=1)")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def relay(ssh_server: sshd.SshServer) -> Iterator[faultkit.Relay]:
    r = faultkit.Relay(target_port=ssh_server.port).start()
    try:
        yield r
    finally:
        r.stop()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the lake with files no run may touch."""
    d = tmp_path / "outside"
    d.mkdir()
    (d / "keep.txt").write_text("not the lake's\n")
    d.chmod(0o755)
    return d
