"""Fixtures for the Python package tests (the shared ones live in tests/conftest.py).

Everything runs against the *installed* ``datalake`` package, with the real rsync
and, where the behaviour is about SSH, the real loopback sshd of ``ssh_server``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from configs import WriteConfig
from pyhelpers import PROFILE, LocalLake

MakeLocal = Callable[..., LocalLake]


@pytest.fixture
def make_local(write_config: WriteConfig, collector: Path, tmp_path: Path) -> MakeLocal:
    """Factory: ``make_local(**profile_keys)`` -> a LocalLake over the generated collector.

    ``extra_profiles`` (a dict) adds more profiles next to ``cex_ticks``.
    """

    def make(extra_profiles: dict[str, dict[str, Any]] | None = None, **profile_keys: Any) -> LocalLake:
        root = tmp_path / "lake"
        profile: dict[str, Any] = {"source": {"type": "local", "remote_root": str(collector)}}
        profile.update(profile_keys)
        profiles = {PROFILE: profile}
        profiles.update(extra_profiles or {})
        return LocalLake(config=write_config(profiles, root_dir=root), collector=collector, root=root)

    return make


@pytest.fixture
def local_lake(make_local: MakeLocal) -> LocalLake:
    return make_local()
