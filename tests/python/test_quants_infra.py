"""``datalake.quants_infra``: quants-infra's ``core.data_lake`` classes, used the way
quants-infra's own CLI and tests use them, against the real loopback sshd.

Each test names the call it stands for; the expected values are what that code
reads (dict keys, value types, console strings), checked against what really
happened on disk.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sshd
import trees
from configs import WriteConfig
from pyhelpers import LEGACY_STATS_KEYS, PROFILE

import datalake
import datalake.quants_infra as qi
from datalake.quants_infra import (
    CheckpointManager,
    DataLakeManager,
    RetentionCleaner,
    RsyncSyncer,
    StatsCollector,
)

RUN_KEYS = [
    "success",
    "profile_name",
    "files_transferred",
    "bytes_transferred",
    "duration_seconds",
    "cleanup_performed",
]
CHECKPOINT_RUN_KEYS = [
    "profile_name",
    "last_sync_time",
    "last_sync_status",
    "files_transferred",
    "bytes_transferred",
    "duration_seconds",
    "errors",
]
NAIVE_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}")


def local_today() -> dt.date:
    return dt.date.today()


def dated_dirs(root: Path, days_back: list[int], files: int = 1, size: int = 100) -> dict[int, Path]:
    """``exchange_symbol_<local date>`` directories, ``days_back`` days before today, each with files."""
    out = {}
    for back in days_back:
        day = local_today() - dt.timedelta(days=back)
        d = root / f"exchange_symbol_{day:%Y%m%d}"
        for n in range(files):
            trees.write_file(root, f"{d.name}/part_{n:05d}.parquet", size, seed=back)
        out[back] = d
    return out


@pytest.fixture
def lake_config(write_config: WriteConfig, collector: Path, world_tmp: Path, tmp_path: Path) -> Path:
    """An enabled ssh profile over the collector, a second enabled one, and a disabled one."""
    other = world_tmp / "other"
    trees.make_collector_tree(other, symbols=("SOL-USDT",), parts=1)
    return write_config(
        {
            PROFILE: {"source": {"remote_root": str(collector)}},
            "other": {"source": {"remote_root": str(other)}, "retention_days": 7},
            "off": {"source": {"remote_root": str(other)}, "enabled": False},
        },
        checkpoint_dir=str(tmp_path / "checkpoints"),
    )


@pytest.fixture
def manager(lake_config: Path) -> DataLakeManager:
    return DataLakeManager(str(lake_config))


def source_dict(manager: DataLakeManager, name: str) -> dict[str, Any]:
    """The source dict quants-infra's CLI builds for test_connection."""
    s = manager.config.data_lake.profiles[name].source
    return {"host": s.host, "port": s.port, "user": s.user, "ssh_key": s.ssh_key, "remote_root": s.remote_root}


# ---------------------------------------------------------------- the module


def test_star_import_is_the_old_package() -> None:
    namespace: dict[str, Any] = {}
    exec("from datalake.quants_infra import *", namespace)
    names = {k for k in namespace if not k.startswith("__")}
    assert names == {"DataLakeManager", "RsyncSyncer", "RetentionCleaner", "CheckpointManager", "StatsCollector"}
    assert namespace["DataLakeManager"] is datalake.DataLakeManager is qi.DataLakeManager
    # The constructors quants-infra calls: no arguments for the components.
    for cls in (RsyncSyncer, RetentionCleaner, CheckpointManager, StatsCollector):
        cls()


# ---------------------------------------------------------------- manager.config (validate, test-connection)


def test_config_mirrors_root_config(
    manager: DataLakeManager, lake_config: Path, ssh_server: sshd.SshServer, collector: Path, tmp_path: Path
) -> None:
    dl = manager.config.data_lake
    assert dl.root_dir == str(tmp_path / "lake") and dl.checkpoint_dir == str(tmp_path / "checkpoints")
    assert isinstance(dl.root_dir, str)
    assert list(dl.profiles) == [PROFILE, "off", "other"]
    p = dl.profiles[PROFILE]
    assert p.enabled is True and dl.profiles["off"].enabled is False
    assert (p.source.type, p.source.host, p.source.port, p.source.user) == (
        "ssh",
        "127.0.0.1",
        ssh_server.port,
        ssh_server.user,
    )
    assert p.source.ssh_key == str(ssh_server.key) and p.source.remote_root == str(collector)
    assert p.local_subdir == PROFILE and p.retention_days == 30 and dl.profiles["other"].retention_days == 7
    assert p.checkpoint_file == str(tmp_path / "checkpoints" / f"{PROFILE}.json")
    # rsync_args: the flags datalake passes when the config sets none (not the old "-az --partial --inplace").
    assert p.rsync_args == "-rt --partial-dir=.rsync-partial"
    assert list(dl.get_enabled_profiles()) == [PROFILE, "other"]
    # Read-only: a view of what datalake loaded, not a second config to edit.
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.retention_days = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        dl.profiles["new"] = p  # type: ignore[index]
    # The line quants-infra's validate prints for the local directory names the real one.
    assert Path(f"{dl.root_dir}/{p.local_subdir}") == manager.lake.profile(PROFILE).local_dir


def test_config_rsync_args_as_written(write_config: WriteConfig, collector: Path) -> None:
    config = write_config(
        {PROFILE: {"source": {"remote_root": str(collector)}, "rsync_args": "-rt --partial-dir=.p -v"}}
    )
    assert DataLakeManager(str(config)).config.data_lake.profiles[PROFILE].rsync_args == "-rt --partial-dir=.p -v"


def test_syncer_test_connection(manager: DataLakeManager, capsys: pytest.CaptureFixture[str]) -> None:
    # manager.syncer.test_connection(source_config) as the CLI calls it: the profile's own
    # settings (known_hosts of the test server) apply because the dict describes that profile.
    assert manager.syncer.test_connection(source_dict(manager, PROFILE)) is True
    assert capsys.readouterr().out == ""
    wrong = dict(source_dict(manager, PROFILE), remote_root="/nonexistent/collector/dir")
    assert manager.syncer.test_connection(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("连接测试失败: ") and "/nonexistent/collector/dir" in out, out


def test_standalone_syncer_test_connection_refused(
    ssh_server: sshd.SshServer, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = {
        "host": "127.0.0.1",
        "port": sshd.free_port(),
        "user": ssh_server.user,
        "ssh_key": str(ssh_server.key),
        "remote_root": "/tmp",
    }
    assert RsyncSyncer().test_connection(dead) is False
    assert "refused" in capsys.readouterr().out


# ---------------------------------------------------------------- manager: sync, stats, cleanup, validate


def test_sync_profile(
    manager: DataLakeManager, collector: Path, ssh_server: sshd.SshServer, capsys: pytest.CaptureFixture[str]
) -> None:
    files = sorted(p for p in collector.rglob("*") if p.is_file())
    result = manager.sync_profile(PROFILE, dry_run=False, verbose=True)
    assert list(result) == RUN_KEYS
    assert result["success"] is True and result["profile_name"] == PROFILE and result["cleanup_performed"] is True
    assert result["files_transferred"] == len(files) and result["bytes_transferred"] == sum(
        p.stat().st_size for p in files
    )
    assert trees.tree_digest(manager.lake.profile(PROFILE).local_dir) == trees.tree_digest(collector)
    out = capsys.readouterr().out
    for line in [
        "=" * 80,
        f"同步 Profile: {PROFILE}",
        f"本地路径: {manager.lake.profile(PROFILE).local_dir}",
        f"远程源: {ssh_server.user}@127.0.0.1:{collector}",
        "开始同步...",
        "✅ 同步成功",
        f"  传输文件数: {len(files):,}",
        f"  传输字节数: {result['bytes_transferred']:,}",
        "✅ Checkpoint 已保存",
        "清理保留期超过 30 天的数据...",
        "清理保留期: 30 天",
        "找到 0 个过期目录",
        "✅ 无需清理",
    ]:
        assert line in out.splitlines(), (line, out)
    assert "上次同步" not in out  # no checkpoint before the first run

    again = manager.sync_profile(PROFILE, verbose=True)
    assert again["success"] is True and again["files_transferred"] == 0
    last = manager.checkpoint_mgr.load_checkpoint(manager.config.data_lake.profiles[PROFILE].checkpoint_file)
    out = capsys.readouterr().out
    assert f"上次同步: {last['last_sync_time']} (状态: success)" not in out  # that is this run's time
    assert re.search(r"^上次同步: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6} \(状态: success\)$", out, re.M), out


def test_sync_profile_dry_run_and_failure(manager: DataLakeManager, capsys: pytest.CaptureFixture[str]) -> None:
    dry = manager.sync_profile(PROFILE, dry_run=True, verbose=True)
    assert dry["success"] is True and dry["cleanup_performed"] is False
    assert not manager.lake.profile(PROFILE).local_dir.exists() or not any(
        manager.lake.profile(PROFILE).local_dir.iterdir()
    )
    out = capsys.readouterr().out
    assert "✅ 同步成功" in out and "Checkpoint 已保存" not in out and "清理保留期" not in out
    assert manager.checkpoint_mgr.load_checkpoint(manager.config.data_lake.profiles[PROFILE].checkpoint_file) == {}


def test_sync_profile_unknown_and_disabled(manager: DataLakeManager) -> None:
    with pytest.raises(ValueError, match="Profile 不存在"):
        manager.sync_profile("nonexistent_profile", dry_run=True, verbose=False)
    with pytest.raises(ValueError, match="Profile 不存在"):
        manager.get_stats("nonexistent_profile")
    with pytest.raises(ValueError, match="Profile 不存在"):
        manager.cleanup("nonexistent_profile")
    result = manager.sync_profile("off", dry_run=True, verbose=False)
    assert result == {"success": False, "message": "Profile off 未启用", "profile_name": "off"}


def test_failed_sync_is_a_result(
    write_config: WriteConfig, ssh_server: sshd.SshServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config({PROFILE: {"source": {"remote_root": "/nonexistent/collector"}, "retries": 0}})
    m = DataLakeManager(str(config))
    result = m.sync_profile(PROFILE)
    assert result["success"] is False and "/nonexistent/collector" in result["error"]
    out = capsys.readouterr().out
    assert "❌ 同步失败" in out and "错误信息:" in out and "✅ Checkpoint 已保存" in out
    assert (
        m.checkpoint_mgr.load_checkpoint(m.config.data_lake.profiles[PROFILE].checkpoint_file)["last_sync_status"]
        == "failed"
    )


def test_missing_config_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        DataLakeManager(str(tmp_path / "nonexistent" / "config.yml"))


def test_sync_all(manager: DataLakeManager, capsys: pytest.CaptureFixture[str]) -> None:
    assert manager.get_enabled_profiles() == [PROFILE, "other"]
    result = manager.sync_all(dry_run=False, verbose=False)
    assert list(result) == ["success", "profiles", "total_files", "total_bytes"]
    assert result["success"] is True
    assert [r["profile_name"] for r in result["profiles"]] == [PROFILE, "other"]
    assert all(list(r) == RUN_KEYS for r in result["profiles"])
    assert result["total_files"] == sum(r["files_transferred"] for r in result["profiles"]) == 12 + 3
    out = capsys.readouterr().out.splitlines()
    # The summary is printed even when not verbose, as before.
    assert out[-5:] == [
        "同步完成",
        "=" * 80,
        "成功: 2/2",
        "总文件数: 15",
        f"总字节数: {manager._format_bytes(result['total_bytes'])}",
    ]


def test_get_stats_and_table(manager: DataLakeManager, collector: Path, ssh_server: sshd.SshServer) -> None:
    before = manager.get_stats(PROFILE)
    assert list(before) == list(LEGACY_STATS_KEYS) and before["exists"] is False
    assert before["total_size_human"] == "0 B" and before["last_sync_time"] is None
    assert "状态: 目录不存在" in manager.stats.format_stats_table(before)

    manager.sync_profile(PROFILE, verbose=False)
    s = manager.get_stats(PROFILE)
    n_bytes = sum(p.stat().st_size for p in collector.rglob("*") if p.is_file())
    assert s["total_size"] == n_bytes == 12 * 4096 and s["total_size_human"] == "48.0 KB"
    assert s["remote_source"] == f"{ssh_server.user}@127.0.0.1:{collector}"
    assert s["last_sync_status"] == "success" and NAIVE_ISO.fullmatch(s["last_sync_time"])
    days = trees.last_days(3)
    assert (s["earliest_date"], s["latest_date"]) == (days[0].isoformat(), days[-1].isoformat())
    table = manager.stats.format_stats_table(s).splitlines()
    assert table[:2] == [f"Profile: {PROFILE}", "=" * 80]
    assert "数据大小:     48.0 KB" in table and "文件数:       12" in table and "目录数:       6" in table
    assert f"最新数据:     {days[-1].isoformat()}" in table and "同步状态:     ✅ success" in table
    assert "保留策略:     30 天" in table
    assert any(re.fullmatch(r"上次同步:     \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d+ 秒前\)", line) for line in table), (
        table
    )
    # The CLI's --format json prints the dict as is: it must serialise.
    assert json.loads(json.dumps(s, ensure_ascii=False)) == s


def test_cleanup(manager: DataLakeManager, capsys: pytest.CaptureFixture[str]) -> None:
    manager.sync_profile("other", verbose=False)
    local = manager.lake.profile("other").local_dir
    old = dated_dirs(local, [20, 30], files=3, size=100)
    capsys.readouterr()

    dry = manager.cleanup(profile_name="other", dry_run=True, verbose=True)
    assert dry == {
        "deleted_dirs": 2,
        "deleted_files": 6,
        "freed_bytes": 600,
        "deleted_paths": [str(old[30]), str(old[20])],
    }
    assert old[20].exists() and old[30].exists()
    out = capsys.readouterr().out.splitlines()
    cutoff = local_today() - dt.timedelta(days=7)
    for line in [
        "清理 Profile: other",
        f"本地路径: {local}",
        "保留天数: 7",
        "模式: 干跑（仅显示将要删除的内容）",
        "清理保留期: 7 天",
        f"截止日期: {cutoff.isoformat()}",
        "找到 2 个过期目录",
        f"  - {old[20].name} (300.0 B, 3 文件)",
        "清理完成",
        "删除目录数: 2",
        "删除文件数: 6",
        "释放空间: 600.0 B",
    ]:
        assert line in out, (line, out)

    real = manager.cleanup("other", verbose=False)
    assert real == dry and not old[20].exists() and not old[30].exists()
    assert capsys.readouterr().out == ""
    assert any(local.iterdir())  # today's data stays


def test_validate_config(
    manager: DataLakeManager, lake_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert manager.validate_config() is True
    assert capsys.readouterr().out.splitlines() == [
        "✅ 配置文件验证通过",
        f"  根目录: {tmp_path / 'lake'}",
        "  Profiles 数量: 3",
        "  已启用 Profiles: 2",
    ]
    lake_config.write_text(lake_config.read_text() + "    retention_day: 3\n")
    assert manager.validate_config() is False
    out = capsys.readouterr().out
    assert out.startswith("❌ 配置验证失败:") and "retention_day" in out


# ---------------------------------------------------------------- CheckpointManager


def test_checkpoint_round_trip(manager: DataLakeManager) -> None:
    # quants-infra's integration test: create, save at profile.checkpoint_file, load.
    cm = manager.checkpoint_mgr
    path = manager.config.data_lake.profiles[PROFILE].checkpoint_file
    assert cm.load_checkpoint(path) == {} and cm.get_last_sync_time(path) is None
    data = cm.create_checkpoint_data(
        profile_name=PROFILE, status="success", files_transferred=50, bytes_transferred=1000000, duration_seconds=30.5
    )
    assert list(data) == CHECKPOINT_RUN_KEYS and data["errors"] == []
    assert NAIVE_ISO.fullmatch(data["last_sync_time"])
    assert abs(dt.datetime.fromisoformat(data["last_sync_time"]) - dt.datetime.now()) < dt.timedelta(minutes=1)
    assert cm.save_checkpoint(path, data) is True and Path(path).exists()
    assert NAIVE_ISO.fullmatch(data["saved_at"])  # set on the caller's dict, as before
    loaded = cm.load_checkpoint(path)
    assert list(loaded)[:7] == CHECKPOINT_RUN_KEYS
    assert {k: loaded[k] for k in CHECKPOINT_RUN_KEYS} == {k: data[k] for k in CHECKPOINT_RUN_KEYS}
    assert cm.get_last_sync_time(path) == data["last_sync_time"] and cm.is_last_sync_successful(path) is True
    # The same file datalake itself reads: stats see the saved run.
    assert manager.lake.checkpoint(PROFILE).files_transferred == 50
    assert manager.get_stats(PROFILE)["last_sync_time"] == data["last_sync_time"]


def test_checkpoint_after_a_real_sync_and_foreign_files(
    manager: DataLakeManager, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cm = CheckpointManager()
    manager.sync_profile(PROFILE, verbose=False)
    path = manager.config.data_lake.profiles[PROFILE].checkpoint_file
    loaded = cm.load_checkpoint(path)
    assert list(loaded)[:7] == CHECKPOINT_RUN_KEYS and loaded["last_sync_status"] == "success"
    assert loaded["files_transferred"] == 12 and NAIVE_ISO.fullmatch(loaded["last_sync_time"])
    assert cm.is_last_sync_successful(path)
    # A 'Z' time as quants-infra's unit test writes it; ~ in the path is expanded.
    other = tmp_path / "sub" / "test_checkpoint.json"
    assert cm.save_checkpoint(
        str(other),
        {
            "profile_name": "t",
            "last_sync_time": "2024-11-28T14:30:45Z",
            "last_sync_status": "success",
            "files_transferred": 100,
            "bytes_transferred": 1234567890,
        },
    )
    again = cm.load_checkpoint(str(other))
    assert again["files_transferred"] == 100 and again["bytes_transferred"] == 1234567890
    want = dt.datetime(2024, 11, 28, 14, 30, 45, tzinfo=dt.timezone.utc).astimezone().replace(tzinfo=None)
    assert dt.datetime.fromisoformat(again["last_sync_time"]) == want
    # Not a checkpoint: {} and the file is left as it was.
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert cm.load_checkpoint(broken) == {} and broken.read_text() == "{not json"
    assert f"警告: checkpoint 文件格式错误: {broken}" in capsys.readouterr().out
    # Unwritable: False and a message, as before.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cm.save_checkpoint(str(blocker / "x.json"), {"profile_name": "t"}) is False
    assert "错误: 无法保存 checkpoint" in capsys.readouterr().out
    # Not checkpoint data: False and a message naming the problem, nothing written.
    assert cm.save_checkpoint(str(tmp_path / "bad.json"), {"files_transferred": "many"}) is False
    assert "not a checkpoint" in capsys.readouterr().out and not (tmp_path / "bad.json").exists()


# ---------------------------------------------------------------- RetentionCleaner


def test_cleaner_dates() -> None:
    c = RetentionCleaner()
    assert c._extract_date_from_dirname("gate_io_VIRTUAL-USDT_20241128") == dt.datetime(2024, 11, 28)
    assert c._extract_date_from_dirname("20241128") == dt.datetime(2024, 11, 28)
    assert c._extract_date_from_dirname("2024-11-28") == dt.datetime(2024, 11, 28)
    assert c._extract_date_from_dirname("2024_11_28") == dt.datetime(2024, 11, 28)
    assert c._extract_date_from_dirname("invalid_name") is None
    assert c._extract_date_from_dirname("x_20241341") is None  # not a date
    assert StatsCollector()._extract_date_from_dirname("gate_io_VIRTUAL-USDT_20241128") == dt.datetime(2024, 11, 28)


def test_cleaner_on_a_bare_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "cleanup_test"
    dirs = dated_dirs(data, [0, 15, 400], files=2, size=10)
    undated = data / "notes"
    undated.mkdir()
    c = RetentionCleaner()

    info = c.get_retention_info(local_path=str(data), retention_days=7)
    cutoff = (local_today() - dt.timedelta(days=7)).isoformat()
    assert info == {"total_dirs": 3, "expired_dirs": 2, "expired_size": 40, "cutoff_date": cutoff}

    dry = c.cleanup_old_data(local_path=str(data), retention_days=7, dry_run=True, verbose=False)
    assert dry["deleted_dirs"] == 2 and dry["deleted_files"] == 4 and dry["freed_bytes"] == 40
    assert sorted(dry["deleted_paths"]) == sorted([str(dirs[15]), str(dirs[400])])
    assert all(d.exists() for d in dirs.values())
    # A dry run lists what would go even when not verbose, as before.
    assert f"  - {dirs[15].name} (20.0 B, 2 文件)" in capsys.readouterr().out.splitlines()

    real = c.cleanup_old_data(local_path=str(data), retention_days=7, dry_run=False, verbose=True)
    assert real == dry
    assert dirs[0].exists() and undated.exists() and not dirs[15].exists() and not dirs[400].exists()
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["清理保留期: 7 天", f"截止日期: {cutoff}", "找到 2 个过期目录"]

    assert c.cleanup_old_data(str(tmp_path / "missing"), 7) == {
        "deleted_dirs": 0,
        "deleted_files": 0,
        "freed_bytes": 0,
        "deleted_paths": [],
    }
    assert c.get_retention_info(str(tmp_path / "missing"), 7)["cutoff_date"] is None
    assert c._format_bytes(0) == "0.0 B" and c._format_bytes(1536) == "1.5 KB"


def test_cleaner_keeps_the_newest_day(tmp_path: Path) -> None:
    # datalake's rule where the old tool had none: a collector that stopped must not empty the lake.
    dirs = dated_dirs(tmp_path / "stale", [40, 50])
    result = RetentionCleaner().cleanup_old_data(str(tmp_path / "stale"), retention_days=7, verbose=False)
    assert result["deleted_paths"] == [str(dirs[50])] and dirs[40].exists()


# ---------------------------------------------------------------- StatsCollector


def test_stats_collector_on_a_bare_directory(tmp_path: Path) -> None:
    root = tmp_path / "stats_test"
    dated_dirs(root, [0, 3, 9], files=2, size=1000)
    config = {
        "root_dir": str(root),
        "local_subdir": "",
        "source": {"host": "10.0.0.11", "user": "ubuntu", "remote_root": "/var/data"},
        "retention_days": 7,
    }
    sc = StatsCollector()
    s = sc.get_profile_stats(profile_name="test", profile_config=config, checkpoint_data=None)
    assert list(s) == list(LEGACY_STATS_KEYS)
    assert s["exists"] is True and s["file_count"] == 6 and s["total_size"] == 6000 and s["dir_count"] == 3
    assert s["total_size_human"] == "5.9 KB" and s["remote_source"] == "ubuntu@10.0.0.11:/var/data"
    assert s["earliest_date"] == (local_today() - dt.timedelta(days=9)).isoformat()
    assert s["latest_date"] == local_today().isoformat() and s["retention_days"] == 7
    assert s["last_sync_time"] is None and s["last_sync_status"] is None
    table = sc.format_stats_table(s)
    assert "Profile: test" in table and s["total_size_human"] in table and "上次同步:     从未同步" in table

    synced = sc.get_profile_stats(
        "test", config, {"last_sync_time": "2024-11-28T14:30:45.000001", "last_sync_status": "failed"}
    )
    assert synced["last_sync_time"] == "2024-11-28T14:30:45.000001"
    lines = sc.format_stats_table(synced).splitlines()
    assert "同步状态:     ❌ failed" in lines
    assert any(re.fullmatch(r"上次同步:     2024-11-28 14:30:45 \(\d+ 天前\)", line) for line in lines)

    missing = sc.get_profile_stats(
        "test",
        {
            "root_dir": "/nonexistent",
            "local_subdir": "test",
            "source": {"host": "10.0.0.11", "user": "ubuntu", "remote_root": "/var/data"},
            "retention_days": 30,
        },
    )
    assert missing["exists"] is False and missing["total_size"] == 0 and missing["file_count"] == 0
    assert missing["total_size_human"] == "0 B" and missing["local_path"] == "/nonexistent/test"
    assert sc.format_stats_table(missing) == (
        "Profile: test\n" + "=" * 80 + "\n状态: 目录不存在\n本地路径: /nonexistent/test\n"
        "远程源: ubuntu@10.0.0.11:/var/data\n"
    )


@pytest.mark.parametrize(
    "size, text",
    [
        (0, "0 B"),
        (1, "1.0 B"),
        (1023, "1023.0 B"),
        (1024, "1.0 KB"),
        (1536, "1.5 KB"),
        (1024**2, "1.0 MB"),
        (1024**3, "1.0 GB"),
        (5 * 1024**4, "5.0 TB"),
        (3 * 1024**5, "3.0 PB"),
    ],
)
def test_format_bytes_keeps_the_old_strings(size: int, text: str, manager: DataLakeManager) -> None:
    assert StatsCollector()._format_bytes(size) == text == manager._format_bytes(size)


def test_time_ago() -> None:
    sc = StatsCollector()
    now = dt.datetime.now()
    assert sc._time_ago(now - dt.timedelta(seconds=5)) in ("5 秒前", "6 秒前")
    assert sc._time_ago(now - dt.timedelta(minutes=3, seconds=1)) == "3 分钟前"
    assert sc._time_ago(now - dt.timedelta(hours=2, seconds=1)) == "2 小时前"
    assert sc._time_ago((now - dt.timedelta(days=4, seconds=1)).astimezone()) == "4 天前"


# ---------------------------------------------------------------- RsyncSyncer


def test_parse_rsync_output_reads_thousands(tmp_path: Path) -> None:
    # Real rsync --stats output for 1,200 files: the old parser read "1,200" as 1.
    src = tmp_path / "src"
    for n in range(1200):
        trees.write_file(src, f"d/f{n:05d}", 10)
    run = subprocess.run(
        ["rsync", "-rt", "--stats", f"{src}/", f"{tmp_path / 'dst'}/"], capture_output=True, text=True, check=True
    )
    assert "Number of regular files transferred: 1,200" in run.stdout
    assert RsyncSyncer()._parse_rsync_output(run.stdout) == {"files_transferred": 1200, "bytes_transferred": 12000}
    assert RsyncSyncer()._parse_rsync_output("no stats here") == {"files_transferred": 0, "bytes_transferred": 0}


def test_syncer_sync(manager: DataLakeManager, collector: Path, world_tmp: Path) -> None:
    # Through the manager's syncer: the source of a configured profile runs as that profile.
    local = manager.lake.profile(PROFILE).local_dir
    result = manager.syncer.sync(source_config=source_dict(manager, PROFILE), local_path=str(local), verbose=False)
    assert list(result) == [
        "success",
        "files_transferred",
        "bytes_transferred",
        "duration_seconds",
        "stdout",
        "stderr",
        "exit_code",
    ]
    assert result["success"] is True and result["files_transferred"] == 12 and result["exit_code"] == 0
    assert trees.tree_digest(local) == trees.tree_digest(collector)
    # A bare directory and a local source: a one-profile lake, nothing past retention applied.
    old = dated_dirs(collector, [400])[400]
    dest = world_tmp / "bare" / "dest"
    bare = RsyncSyncer().sync({"type": "local", "remote_root": str(collector)}, str(dest), verbose=False)
    assert bare["success"] is True and bare["files_transferred"] == 13 and (dest / old.name).is_dir()
    failed = RsyncSyncer().sync({"type": "local", "remote_root": str(world_tmp / "nope")}, str(dest), verbose=False)
    assert failed["success"] is False and str(world_tmp / "nope") in failed["stderr"]
