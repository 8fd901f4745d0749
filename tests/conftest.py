"""Shared pytest fixtures: a real loopback SSH server, generated collector trees, configs.

Used by the Python tests (tests/python) and the C tests (tests/c) alike.

- ``ssh_server`` (session): one real OpenSSH server on 127.0.0.1, running as a non-root
  user (``datalake-test`` when the tests run as root). See tests/support/sshd.sh.
- ``world_tmp`` (function): a temp dir under /tmp that the sshd user can traverse (755).
  pytest's own ``tmp_path`` lives below a mode-700 directory, out of sshd's reach.
- ``collector`` (function): a generated collector tree (3 days up to today UTC,
  2 symbols, 2 parts of 4 KiB each) inside ``world_tmp``; regenerate or extend it with
  ``trees.make_collector_tree(collector, ...)``.
- ``write_config`` (function): writes a ``data_lake:`` YAML file, see its docstring.
- ``s3_server`` (session): one real S3 server (SeaweedFS ``weed mini``) on 127.0.0.1 with a
  random secret; see tests/support/s3.py.
- ``s3_bucket`` (function): a fresh bucket on ``s3_server``, deleted with its objects afterwards.
- ``s3_proxy`` (function): a counting proxy (tests/support/s3proxy.py) in front of
  ``s3_server``, counts starting at zero; point clients at ``s3_proxy.endpoint``.

Test trees must be readable by the sshd user: directories 755, files 644 (the helpers
in tests/support/trees.py do this).
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

import s3  # noqa: E402
import s3proxy  # noqa: E402
import sshd  # noqa: E402
import trees  # noqa: E402
from configs import WriteConfig, drop_none, ssh_profile_defaults, to_yaml  # noqa: E402


@pytest.fixture(scope="session")
def ssh_server() -> Iterator[sshd.SshServer]:
    server = sshd.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def world_tmp() -> Iterator[Path]:
    path = sshd.world_tmpdir("datalake-test-")
    try:
        yield path
    finally:
        sshd.remove_tree(path)


@pytest.fixture
def collector(world_tmp: Path) -> Path:
    root = world_tmp / "collector"
    trees.make_collector_tree(root)
    return root


@pytest.fixture
def write_config(ssh_server: sshd.SshServer, tmp_path: Path) -> WriteConfig:
    """Factory: ``write_config(profiles, root_dir=None, **data_lake_keys) -> Path``.

    ``profiles`` maps names to profile dicts, written as given, with these defaults:
    ``local_subdir`` = the profile name; ``min_age`` = 0 and ``check_parquet`` = false
    (generated trees are fresh, fake Parquet); ``source.type`` = ``ssh``; for ssh sources
    ``host``, ``port``, ``user``, ``ssh_key`` point at ``ssh_server``, and ``known_hosts``
    (a profile key) at its known_hosts file. A key whose value is ``None`` is left out,
    which drops the default, e.g. ``{"known_hosts": None}``. ``root_dir`` defaults to
    ``tmp_path/"lake"``; ``data_lake_keys`` (e.g. ``checkpoint_dir=...``) are added under
    ``data_lake``. Each call writes a new file in ``tmp_path`` and returns its path.
    """
    counter = [0]

    def factory(
        profiles: dict[str, dict[str, Any]],
        root_dir: Optional[Path] = None,
        **data_lake_keys: Any,
    ) -> Path:
        doc: dict[str, Any] = {"root_dir": str(root_dir or tmp_path / "lake")}
        doc.update(data_lake_keys)
        doc["profiles"] = {
            name: ssh_profile_defaults(ssh_server, name, profile)
            for name, profile in profiles.items()
        }
        counter[0] += 1
        path = tmp_path / ("data_lake.yml" if counter[0] == 1 else f"data_lake_{counter[0]}.yml")
        path.write_text(to_yaml({"data_lake": drop_none(doc)}))
        return path

    return factory


@pytest.fixture(scope="session")
def s3_server() -> Iterator[s3.S3Server]:
    server = s3.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server: s3.S3Server) -> Iterator[str]:
    name = f"t-{secrets.token_hex(6)}"
    s3_server.client().create_bucket(name).check()
    try:
        yield name
    finally:
        # SeaweedFS deletes a bucket with its objects (-s3.allowDeleteBucketNotEmpty, on in mini).
        s3_server.client().delete_bucket(name)


@pytest.fixture
def s3_proxy(s3_server: s3.S3Server) -> Iterator[s3proxy.CountingProxy]:
    with s3proxy.CountingProxy(s3_server.port, secret_key=s3_server.secret_key) as proxy:
        yield proxy
