"""Writing ``data_lake:`` config files for tests (used by the ``write_config`` fixture).

Lives here rather than in conftest.py so test modules can import it under any pytest
import mode.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import sshd

WriteConfig = Callable[..., Path]
"""Type of the ``write_config`` fixture: ``(profiles, root_dir=None, **data_lake_keys) -> Path``."""


def ssh_profile_defaults(
    server: sshd.SshServer, name: str, profile: dict[str, Any]
) -> dict[str, Any]:
    """``profile`` with the defaults described in ``write_config`` filled in."""
    given: dict[str, Any] = dict(profile.get("source") or {})
    source: dict[str, Any] = {"type": given.get("type", "ssh")}
    if source["type"] == "ssh":
        source.update(host=server.host, port=server.port, user=server.user, ssh_key=str(server.key))
    source.update(given)
    out: dict[str, Any] = {"source": source}
    out.update({k: v for k, v in profile.items() if k != "source"})
    out.setdefault("local_subdir", name)
    # The generated trees are written just before the sync and hold Parquet-framed
    # random bytes, not real Parquet: tests of min_age and the Parquet check set these.
    out.setdefault("min_age", 0)
    out.setdefault("check_parquet", False)
    if source["type"] == "ssh":
        out.setdefault("known_hosts", str(server.known_hosts))
    cleaned: dict[str, Any] = drop_none(out)
    return cleaned


def drop_none(value: Any) -> Any:
    """A copy of nested dicts without the keys whose value is None."""
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    return value


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for dicts, lists and scalars.

    Scalars are written as JSON (a JSON string is a valid YAML double-quoted scalar), so
    paths with spaces, quotes, ``$``, ``:`` or ``#`` survive; Path values become strings.
    Avoids a PyYAML dependency in the test environment.
    """
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}\n"
        lines = []
        for k, v in value.items():
            key = json.dumps(str(k)) if not str(k).replace("_", "").isalnum() else str(k)
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{key}:\n{to_yaml(v, indent + 1)}")
            else:
                lines.append(f"{pad}{key}: {_scalar(v)}\n")
        return "".join(lines)
    if isinstance(value, list):
        if not value:
            return "[]\n"
        lines = []
        for item in value:
            if isinstance(item, (dict, list)) and item:
                body = to_yaml(item, indent + 1)
                lines.append(f"{pad}- {body.lstrip()}")
            else:
                lines.append(f"{pad}- {_scalar(item)}\n")
        return "".join(lines)
    return f"{pad}{_scalar(value)}\n"


def _scalar(v: Any) -> str:
    # Empty dicts and lists come out as JSON `{}` / `[]`, valid YAML flow style too.
    return json.dumps(str(v) if isinstance(v, Path) else v)
