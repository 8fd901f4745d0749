"""Smoke tests of the shared fixtures themselves: real ssh + rsync through ``ssh_server``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import sshd
import trees
from configs import WriteConfig, to_yaml


def test_ssh_login_runs_as_non_root(ssh_server: sshd.SshServer) -> None:
    out = subprocess.run(
        ssh_server.ssh_command() + ["id -u; command -v rsync"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.split()
    assert out[0] != "0"
    assert out[1].endswith("/rsync")


def test_wrong_key_is_refused(ssh_server: sshd.SshServer) -> None:
    argv = ssh_server.ssh_command()
    argv[argv.index(str(ssh_server.key))] = str(ssh_server.wrong_key)
    proc = subprocess.run(argv + ["true"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 255
    assert "Permission denied" in proc.stderr


def test_rsync_copies_collector_byte_identical(
    ssh_server: sshd.SshServer, collector: Path, tmp_path: Path
) -> None:
    trees.write_file(collector, "odd name $x;'\"/part 1.parquet", 1000)
    dest = tmp_path / "lake"
    subprocess.run(
        [
            "rsync",
            "-rt",
            "--partial-dir=.rsync-partial",
            "-e",
            ssh_server.rsh(),
            "--",
            f"{ssh_server.user}@{ssh_server.host}:{collector}/",
            f"{dest}/",
        ],
        check=True,
        timeout=60,
    )
    want = trees.tree_digest(collector)
    assert len(want) == 3 * 2 * 2 + 1
    assert trees.tree_digest(dest) == want


def test_tree_is_deterministic_and_readable(world_tmp: Path) -> None:
    a = trees.make_collector_tree(world_tmp / "a", seed=3)
    trees.make_collector_tree(world_tmp / "b", seed=3)
    assert trees.tree_digest(world_tmp / "a") == trees.tree_digest(world_tmp / "b")
    assert all(p.read_bytes().startswith(b"PAR1") for p in a)
    assert all(os.stat(p).st_mode & 0o777 == 0o644 for p in a)
    (world_tmp / "a" / trees.PARTIAL_DIR).mkdir()
    (world_tmp / "a" / trees.PARTIAL_DIR / "x").write_bytes(b"partial")
    assert trees.tree_digest(world_tmp / "a") == trees.tree_digest(world_tmp / "b")


def test_write_config(write_config: WriteConfig, ssh_server: sshd.SshServer, collector: Path) -> None:
    path = write_config(
        {"cex": {"source": {"remote_root": collector}, "exclude": ["*.tmp"], "known_hosts": None}},
        retention_days_is_not_a_data_lake_key=None,
    )
    text = path.read_text()
    assert text.startswith("data_lake:\n  root_dir: ")
    assert "\n  profiles:\n    cex:\n      source:\n        type: \"ssh\"\n" in text
    assert f"\n        port: {ssh_server.port}\n" in text
    assert f'\n        remote_root: "{collector}"\n' in text
    assert '\n      exclude:\n        - "*.tmp"\n' in text
    assert "known_hosts" not in text
    assert "retention_days_is_not" not in text
    assert write_config({}) != path


def test_to_yaml_nesting() -> None:
    assert to_yaml({"a": [{"b": 1, "c": "x y"}, 2], "d": {}}) == 'a:\n  - b: 1\n    c: "x y"\n  - 2\nd: {}\n'
