"""``manager.config``: a read-only view of datalake's validated config in the
shape of quants-infra's pydantic ``RootConfig``.

quants-infra code reads ``manager.config.data_lake.profiles[name].source.host``
and friends; the values here are what datalake loaded and will use (paths
expanded, datalake's defaults applied), as plain ``str``/``int``/``bool``
like the pydantic models held. Nothing is re-validated here.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from datalake._datalake import Config, Profile

__all__ = ["DataLakeConfig", "ProfileConfig", "RootConfig", "SourceConfig", "from_lake_config"]


@dataclass(frozen=True)
class SourceConfig:
    """``type`` is ``ssh`` or ``local``; host, port and user are None for local sources."""

    type: str
    host: str | None
    port: int | None
    user: str | None
    ssh_key: str | None
    remote_root: str


@dataclass(frozen=True)
class ProfileConfig:
    enabled: bool
    source: SourceConfig
    local_subdir: str
    retention_days: int
    # The flags rsync gets (the profile's rsync_args, or datalake's defaults), as one string.
    rsync_args: str
    checkpoint_file: str


@dataclass(frozen=True)
class DataLakeConfig:
    root_dir: str
    checkpoint_dir: str
    profiles: Mapping[str, ProfileConfig]

    def get_enabled_profiles(self) -> dict[str, ProfileConfig]:
        """The enabled profiles by name."""
        return {name: p for name, p in self.profiles.items() if p.enabled}


@dataclass(frozen=True)
class RootConfig:
    data_lake: DataLakeConfig


def _profile(p: Profile) -> ProfileConfig:
    s = p.source
    return ProfileConfig(
        enabled=p.enabled,
        source=SourceConfig(
            type=s.type,
            host=s.host,
            port=s.port,
            user=s.user,
            ssh_key=None if s.ssh_key is None else str(s.ssh_key),
            remote_root=s.remote_root,
        ),
        local_subdir=str(p.local_subdir),
        retention_days=p.retention_days,
        rsync_args=shlex.join(p.effective_rsync_args),
        checkpoint_file=str(p.checkpoint_file),
    )


def from_lake_config(config: Config) -> RootConfig:
    """The RootConfig-shaped view of a loaded datalake config (profiles in name order)."""
    profiles = {name: _profile(p) for name, p in config.profiles.items()}
    return RootConfig(
        data_lake=DataLakeConfig(
            root_dir=str(config.root_dir),
            checkpoint_dir=str(config.checkpoint_dir),
            profiles=MappingProxyType(profiles),
        )
    )
