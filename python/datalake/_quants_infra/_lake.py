"""One-profile datalake configs for the old component classes.

quants-infra's RetentionCleaner, StatsCollector and RsyncSyncer take a bare
directory (and a source dict) instead of a profile name. To run datalake-core
on them, the arguments are written as a datalake config in memory (JSON is
YAML) and loaded with ``DataLake.from_yaml``: the core validates it and does
the work, exactly as for a configured profile.

The profile's ``root_dir`` is the directory's parent and its ``local_subdir``
the directory's name, so datalake's default checkpoint and lock live in
``<parent>/.checkpoints/``: where quants-infra kept them for a lake rooted there.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from datalake._datalake import DataLake, Profile, config_keys


def _table(scope: str, name: str, field: Literal["default", "max"]) -> object:
    """A fact of datalake's config-key table, the one its validator reads (no copy here)."""
    for key in config_keys():
        if key["scope"] == scope and key["name"] == name:
            return key[field]
    raise LookupError(f"datalake's config-key table has no key {scope}.{name}")


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer from datalake's config-key table, got {value!r}")
    return value


# Longest retention the config accepts: "keep everything" for a bare rsync.
KEEP_ALL_DAYS = _int(_table("profile", "retention_days", "max"))
# What a quants-infra dict without the key meant, and datalake's defaults.
DEFAULT_RETENTION_DAYS = _int(_table("profile", "retention_days", "default"))
DEFAULT_PORT = _int(_table("source", "port", "default"))
DEFAULT_SOURCE_TYPE = str(_table("source", "type", "default"))

# Stands in for the collector when only the local directory matters (cleanup,
# stats): a disabled profile, so nothing checks or contacts it.
_NO_SOURCE = {"type": "ssh", "host": "localhost", "user": "quants-infra", "remote_root": "/"}


def _profile_name(dirname: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", dirname).lstrip(".-")
    return name or "profile"


def split_dir(local_path: str | os.PathLike[str]) -> tuple[Path, str]:
    """(parent, name) of an absolute, ``~``-expanded directory path."""
    path = Path(os.path.abspath(Path(local_path).expanduser()))
    if not path.name:
        raise ValueError(f"{local_path!s} is the filesystem root; give a data directory below it")
    return path.parent, path.name


def source_entry(source_config: Mapping[str, Any]) -> dict[str, Any]:
    """quants-infra's source dict as a datalake ``source:`` mapping (datalake's default port when it names none)."""
    kind = source_config.get("type") or DEFAULT_SOURCE_TYPE
    if kind != "ssh":
        return {"type": kind, "remote_root": source_config.get("remote_root")}
    entry: dict[str, Any] = {
        "type": kind,
        "host": source_config.get("host"),
        "port": source_config.get("port") or DEFAULT_PORT,
        "user": source_config.get("user"),
        "remote_root": source_config.get("remote_root"),
    }
    if source_config.get("ssh_key"):
        entry["ssh_key"] = str(source_config["ssh_key"])
    return {k: v for k, v in entry.items() if v is not None}


def directory_lake(
    local_path: str | os.PathLike[str],
    retention_days: int = KEEP_ALL_DAYS,
    source: Mapping[str, Any] | None = None,
    rsync_args: str | None = None,
) -> tuple[DataLake, Profile]:
    """A lake whose only profile is ``local_path`` (disabled unless ``source`` is given).

    Dates follow the local calendar, as the old tool's ``datetime.now()`` did.
    """
    parent, name = split_dir(local_path)
    profile: dict[str, Any] = {
        "enabled": source is not None,
        "source": source_entry(source) if source is not None else _NO_SOURCE,
        "local_subdir": name,
        "retention_days": retention_days,
    }
    if rsync_args is not None:
        profile["rsync_args"] = rsync_args
    profile_name = _profile_name(name)
    doc = {"data_lake": {"root_dir": str(parent), "timezone": "local", "profiles": {profile_name: profile}}}
    lake = DataLake.from_yaml(json.dumps(doc))
    return lake, lake.profile(profile_name)
