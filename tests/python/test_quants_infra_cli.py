"""A ``data-lake`` click group of the kind quants-infra mounts (its commands, options and
console lines), importing DataLakeManager from ``datalake.quants_infra``, run against
the real loopback sshd: every command exits 0 and prints what quants-infra's users read.

The group is written here for the test; it follows quants-infra's commands
(sync / stats / cleanup / validate / test-connection) and what they print.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import sshd
import trees
from click.testing import CliRunner
from configs import WriteConfig
from pyhelpers import LEGACY_STATS_KEYS, PROFILE

from datalake.quants_infra import DataLakeManager

CONFIG_OPTION = click.option("--config", default="config/data_lake.yml", help="config file")


def _fail(message: str) -> None:
    click.echo(f"❌ {message}", err=True)
    sys.exit(1)


@click.group()
def data_lake() -> None:
    """Data lake commands, mounted as `quants-infra data-lake`."""


@data_lake.command()
@click.argument("profile_name", required=False)
@click.option("--all", "every", is_flag=True)
@CONFIG_OPTION
@click.option("--dry-run", is_flag=True)
def sync(profile_name: str | None, every: bool, config: str, dry_run: bool) -> None:
    try:
        m = DataLakeManager(config)
        if every:
            sys.exit(0 if m.sync_all(dry_run=dry_run, verbose=True)["success"] else 1)
        if not profile_name:
            _fail("请指定 profile 名称或使用 --all 选项")
        if not m.sync_profile(profile_name=profile_name, dry_run=dry_run, verbose=True)["success"]:
            _fail(f"同步失败: {profile_name}")
        sys.exit(0)
    except (FileNotFoundError, ValueError) as e:
        _fail(str(e))


@data_lake.command()
@click.argument("profile_name", required=False)
@click.option("--all", "every", is_flag=True)
@CONFIG_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def stats(profile_name: str | None, every: bool, config: str, fmt: str) -> None:
    try:
        m = DataLakeManager(config)
        names = m.get_enabled_profiles() if every else [profile_name] if profile_name else []
        if not names:
            _fail("请指定 profile 名称或使用 --all 选项")
        collected = [m.get_stats(name) for name in names]
        if fmt == "json":
            click.echo(json.dumps(collected if every else collected[0], indent=2, ensure_ascii=False))
        else:
            for one in collected:
                click.echo(m.stats.format_stats_table(one))
    except (FileNotFoundError, ValueError) as e:
        _fail(str(e))


@data_lake.command()
@click.argument("profile_name", required=False)
@click.option("--all", "every", is_flag=True)
@CONFIG_OPTION
@click.option("--dry-run", is_flag=True)
def cleanup(profile_name: str | None, every: bool, config: str, dry_run: bool) -> None:
    try:
        m = DataLakeManager(config)
        names = m.get_enabled_profiles() if every else [profile_name] if profile_name else []
        if not names:
            _fail("请指定 profile 名称或使用 --all 选项")
        for name in names:
            m.cleanup(profile_name=name, dry_run=dry_run, verbose=True)
    except (FileNotFoundError, ValueError) as e:
        _fail(str(e))


@data_lake.command()
@CONFIG_OPTION
def validate(config: str) -> None:
    m = DataLakeManager(config)
    if not m.validate_config():
        sys.exit(1)
    click.echo("\n✅ 配置文件验证通过")
    click.echo("\nProfiles:")
    dl = m.config.data_lake
    for name, p in dl.profiles.items():
        click.echo(f"  - {name}: {'✅ 已启用' if p.enabled else '⏸  已禁用'}")
        click.echo(f"    远程: {p.source.user}@{p.source.host}:{p.source.remote_root}")
        click.echo(f"    本地: {dl.root_dir}/{p.local_subdir}")
        click.echo(f"    保留期: {p.retention_days} 天")
    sys.exit(0)


@data_lake.command(name="test-connection")
@click.argument("profile_name")
@CONFIG_OPTION
def check_connection(profile_name: str, config: str) -> None:
    m = DataLakeManager(config)
    if profile_name not in m.config.data_lake.profiles:
        _fail(f"Profile 不存在: {profile_name}")
    src = m.config.data_lake.profiles[profile_name].source
    click.echo(f"测试连接到 {src.user}@{src.host}...")
    given: dict[str, Any] = {
        "host": src.host,
        "port": src.port,
        "user": src.user,
        "ssh_key": src.ssh_key,
        "remote_root": src.remote_root,
    }
    if not m.syncer.test_connection(given):
        _fail("连接失败")
    click.echo("✅ 连接成功")
    sys.exit(0)


# ---------------------------------------------------------------- the runs


@pytest.fixture
def env(write_config: WriteConfig, collector: Path, world_tmp: Path, tmp_path: Path) -> dict[str, Any]:
    other = world_tmp / "other"
    trees.make_collector_tree(other, symbols=("SOL-USDT",), parts=1)
    config = write_config(
        {
            PROFILE: {"source": {"remote_root": str(collector)}},
            "other": {"source": {"remote_root": str(other)}, "retention_days": 7},
            "off": {"source": {"remote_root": str(other)}, "enabled": False},
        }
    )
    return {"config": str(config), "collector": collector, "other": other, "root": tmp_path / "lake"}


def run(*args: str) -> list[str]:
    result = CliRunner().invoke(data_lake, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_validate(env: dict[str, Any], ssh_server: sshd.SshServer) -> None:
    out = run("validate", "--config", env["config"])
    root = env["root"]
    assert out[:4] == ["✅ 配置文件验证通过", f"  根目录: {root}", "  Profiles 数量: 3", "  已启用 Profiles: 2"]
    tail = out[out.index("Profiles:") :]
    assert tail[:5] == [
        "Profiles:",
        f"  - {PROFILE}: ✅ 已启用",
        f"    远程: {ssh_server.user}@127.0.0.1:{env['collector']}",
        f"    本地: {root}/{PROFILE}",
        "    保留期: 30 天",
    ]
    assert "  - off: ⏸  已禁用" in tail and "    保留期: 7 天" in tail


def test_test_connection(env: dict[str, Any], ssh_server: sshd.SshServer) -> None:
    assert run("test-connection", PROFILE, "--config", env["config"]) == [
        f"测试连接到 {ssh_server.user}@127.0.0.1...",
        "✅ 连接成功",
    ]


def test_sync_then_stats_and_cleanup(env: dict[str, Any], ssh_server: sshd.SshServer) -> None:
    out = run("sync", PROFILE, "--config", env["config"])
    for line in [
        f"同步 Profile: {PROFILE}",
        "开始同步...",
        "✅ 同步成功",
        "  传输文件数: 12",
        "✅ Checkpoint 已保存",
        "✅ 无需清理",
    ]:
        assert line in out, (line, out)
    assert trees.tree_digest(env["root"] / PROFILE) == trees.tree_digest(env["collector"])

    out = run("sync", "--all", "--config", env["config"])
    assert f"同步 Profile: {PROFILE}" in out and "同步 Profile: other" in out and "同步 Profile: off" not in out
    assert out[-5:-2] == ["同步完成", "=" * 80, "成功: 2/2"] and out[-2] == "总文件数: 3"
    assert (env["root"] / "other").is_dir()

    out = run("stats", PROFILE, "--config", env["config"])
    assert out[:2] == [f"Profile: {PROFILE}", "=" * 80]
    assert "数据大小:     48.0 KB" in out and "文件数:       12" in out and "同步状态:     ✅ success" in out

    out = run("stats", "--all", "--config", env["config"])
    assert out.count("=" * 80) == 2 and f"Profile: {PROFILE}" in out and "Profile: other" in out

    one = json.loads("\n".join(run("stats", PROFILE, "--config", env["config"], "--format", "json")))
    assert list(one) == list(LEGACY_STATS_KEYS) and one["file_count"] == 12 and one["total_size_human"] == "48.0 KB"
    every = json.loads("\n".join(run("stats", "--all", "--config", env["config"], "--format", "json")))
    assert [s["profile_name"] for s in every] == [PROFILE, "other"]

    old_day = dt.date.today() - dt.timedelta(days=30)
    expired = env["root"] / "other" / f"gate_io_SOL-USDT_{old_day:%Y%m%d}"
    trees.write_file(env["root"] / "other", f"{expired.name}/part_00001.parquet", 2048)
    out = run("cleanup", "other", "--dry-run", "--config", env["config"])
    for line in [
        "清理 Profile: other",
        "保留天数: 7",
        "模式: 干跑（仅显示将要删除的内容）",
        "找到 1 个过期目录",
        f"  - {expired.name} (2.0 KB, 1 文件)",
        "清理完成",
        "删除目录数: 1",
        "释放空间: 2.0 KB",
    ]:
        assert line in out, (line, out)
    assert expired.exists()

    out = run("cleanup", "--all", "--config", env["config"])
    assert out.count("清理完成") == 2 and f"清理 Profile: {PROFILE}" in out and "清理 Profile: off" not in out
    assert not expired.exists() and (env["root"] / PROFILE).is_dir()


def test_errors_exit_1_with_the_old_lines(env: dict[str, Any], tmp_path: Path) -> None:
    result = CliRunner().invoke(data_lake, ["stats", "nope", "--config", env["config"]])
    assert result.exit_code == 1 and "❌ Profile 不存在: nope" in result.output
    result = CliRunner().invoke(data_lake, ["sync", "--config", str(tmp_path / "missing.yml"), PROFILE])
    assert result.exit_code == 1 and "❌ " in result.output
