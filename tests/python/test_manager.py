"""``datalake.DataLakeManager``: the drop-in for quants-infra's manager (plain dicts, same keys)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import pytest
import sshd
import trees
from configs import WriteConfig
from pyhelpers import LEGACY_STATS_KEYS, PROFILE, LocalLake

from datalake import DataLakeManager

SYNC_KEYS = {
    "success",
    "profile_name",
    "files_transferred",
    "bytes_transferred",
    "duration_seconds",
    "cleanup_performed",
}
DISABLED_KEYS = {"success", "message", "profile_name"}
SYNC_ALL_KEYS = {"success", "profiles", "total_files", "total_bytes"}
CLEANUP_KEYS = {"deleted_dirs", "deleted_files", "freed_bytes", "deleted_paths"}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def tree_size(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


@pytest.fixture
def two_profiles(make_local: Callable[..., LocalLake], world_tmp: Path) -> LocalLake:
    other = world_tmp / "other"
    trees.make_collector_tree(other, symbols=("SOL-USDT",), parts=1)
    return make_local(
        extra_profiles={
            "other": {"source": {"type": "local", "remote_root": str(other)}},
            "off": {"source": {"type": "local", "remote_root": str(other)}, "enabled": False},
        }
    )


def test_missing_config_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.yml"):
        DataLakeManager(str(tmp_path / "nope.yml"))


def test_unknown_profile_is_value_error(local_lake: LocalLake) -> None:
    m = DataLakeManager(str(local_lake.config))
    for call in (m.sync_profile, m.get_stats, m.cleanup):
        with pytest.raises(ValueError, match="cex_tick"):
            call("cex_tick")


def test_sync_profile_dict(local_lake: LocalLake, capsys: pytest.CaptureFixture[str]) -> None:
    m = DataLakeManager(str(local_lake.config))
    n_files, n_bytes = tree_size(local_lake.collector)
    result = m.sync_profile(PROFILE, verbose=False)
    assert set(result) == SYNC_KEYS
    assert result["success"] is True and result["profile_name"] == PROFILE
    assert result["files_transferred"] == n_files and result["bytes_transferred"] == n_bytes
    assert isinstance(result["duration_seconds"], float) and result["cleanup_performed"] is True
    assert capsys.readouterr().out == ""  # verbose=False prints nothing

    again = m.sync_profile(PROFILE, dry_run=True, verbose=False)
    assert again["success"] and again["files_transferred"] == 0 and again["cleanup_performed"] is False


def test_verbose_prints_plain_progress_lines(local_lake: LocalLake, capsys: pytest.CaptureFixture[str]) -> None:
    trees.write_file(local_lake.collector, f"{trees.partition_name('BTC-USDT', trees.utc_today())}/big.parquet", 2**21)
    m = DataLakeManager(str(local_lake.config))
    m.sync_profile(PROFILE, verbose=True)
    out = capsys.readouterr().out
    # quants-infra's own lines, plus plain progress lines while rsync runs.
    assert f"同步 Profile: {PROFILE}" in out
    assert f"远程源: {local_lake.collector}" in out and f"本地路径: {local_lake.local_dir}" in out
    assert "✅ 同步成功" in out and f"[{PROFILE}]" in out
    assert not CONTROL.search(out), repr(out)


def test_disabled_profile(two_profiles: LocalLake) -> None:
    m = DataLakeManager(str(two_profiles.config))
    result = m.sync_profile("off", verbose=False)
    assert set(result) == DISABLED_KEYS
    assert result["success"] is False and result["profile_name"] == "off" and "off 未启用" in result["message"]


def test_sync_all_dict(two_profiles: LocalLake) -> None:
    m = DataLakeManager(str(two_profiles.config))
    assert m.get_enabled_profiles() == [PROFILE, "other"]
    result = m.sync_all(verbose=False)
    assert set(result) == SYNC_ALL_KEYS
    assert result["success"] is True
    # A list in profile order, as quants-infra returned it.
    assert [r["profile_name"] for r in result["profiles"]] == [PROFILE, "other"]
    for r in result["profiles"]:
        assert set(r) == SYNC_KEYS
    assert result["total_files"] == sum(r["files_transferred"] for r in result["profiles"]) > 0
    assert result["total_bytes"] == sum(r["bytes_transferred"] for r in result["profiles"]) > 0


def test_failed_sync_is_a_dict_not_an_exception(make_local: Callable[..., LocalLake]) -> None:
    env = make_local(rsync_args="-rt --no-such-option")
    result = DataLakeManager(str(env.config)).sync_profile(PROFILE, verbose=False)
    assert SYNC_KEYS <= set(result) and result["success"] is False
    assert "unknown option" in result["error"]


def test_get_stats_dict(local_lake: LocalLake) -> None:
    m = DataLakeManager(str(local_lake.config))
    m.sync_profile(PROFILE, verbose=False)
    s = m.get_stats(PROFILE)
    assert list(s) == list(LEGACY_STATS_KEYS)
    n_files, n_bytes = tree_size(local_lake.collector)
    days = trees.last_days(3)
    assert s["profile_name"] == PROFILE and s["local_path"] == str(local_lake.local_dir)
    assert s["remote_source"] == str(local_lake.collector)
    assert s["exists"] is True and s["file_count"] == n_files and s["total_size"] == n_bytes
    assert s["total_size_human"] == f"{n_bytes / 1024:.1f} KB"  # quants-infra's own units
    assert s["dir_count"] == 6
    assert s["earliest_date"] == days[0].strftime("%Y-%m-%d") and s["latest_date"] == days[-1].strftime("%Y-%m-%d")
    assert s["last_sync_status"] == "success" and isinstance(s["last_sync_time"], str)
    assert dt.datetime.fromisoformat(s["last_sync_time"].replace("Z", "+00:00"))
    assert s["retention_days"] == 30


def test_get_stats_remote_source_is_user_at_host(write_config: WriteConfig, ssh_server: sshd.SshServer) -> None:
    m = DataLakeManager(str(write_config({"remote": {"source": {"remote_root": "/var/data/cex_tickers"}}})))
    s = m.get_stats("remote")
    assert s["remote_source"] == f"{ssh_server.user}@{ssh_server.host}:/var/data/cex_tickers"
    assert s["exists"] is False and s["file_count"] == 0 and s["earliest_date"] is None


def test_cleanup_dict(make_local: Callable[..., LocalLake], capsys: pytest.CaptureFixture[str]) -> None:
    env = make_local(retention_days=3)
    m = DataLakeManager(str(env.config))
    m.sync_profile(PROFILE, verbose=False)
    old = trees.utc_today() - dt.timedelta(days=20)
    trees.make_collector_tree(env.local_dir, days=[old], symbols=("BTC-USDT",), parts=3, size=100)
    expired = env.local_dir / trees.partition_name("BTC-USDT", old)

    dry = m.cleanup(PROFILE, dry_run=True, verbose=False)
    assert set(dry) == CLEANUP_KEYS
    assert dry == {"deleted_dirs": 1, "deleted_files": 3, "freed_bytes": 300, "deleted_paths": [str(expired)]}
    assert expired.exists()

    real = m.cleanup(PROFILE, verbose=True)
    assert real == dry and not expired.exists()
    out = capsys.readouterr().out
    assert f"  - {expired.name} (300.0 B, 3 文件)" in out and "删除目录数: 1" in out and not CONTROL.search(out)


def test_validate_config(local_lake: LocalLake) -> None:
    m = DataLakeManager(str(local_lake.config))
    assert m.validate_config() is True
    local_lake.config.write_text(local_lake.config.read_text() + "    bogus_key: 1\n")
    assert m.validate_config() is False


def test_import_switch_is_one_line() -> None:
    # quants-infra: `from core.data_lake.manager import DataLakeManager` -> this.
    from datalake.manager import DataLakeManager as FromModule

    assert FromModule is DataLakeManager


LEGACY_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?")  # what 3.9/3.10 fromisoformat takes, naive


@pytest.fixture
def utc_plus_8(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time 8 hours ahead of UTC (POSIX TZ syntax: no tzdata needed)."""
    monkeypatch.setenv("TZ", "XST-8")
    time.tzset()
    # chrono reuses its local-timezone cache for up to a second before it looks at TZ
    # again; a test that read local time just before would otherwise still see UTC.
    time.sleep(1.1)
    yield
    monkeypatch.undo()
    time.tzset()


def test_get_stats_values_have_the_legacy_types(local_lake: LocalLake, utc_plus_8: None) -> None:
    m = DataLakeManager(str(local_lake.config))
    assert m.get_stats(PROFILE)["last_sync_time"] is None  # never synced
    m.sync_profile(PROFILE, verbose=False)
    s = m.get_stats(PROFILE)

    # last_sync_time: the old checkpoint's format, naive local time, no `Z`.
    value = s["last_sync_time"]
    assert isinstance(value, str) and LEGACY_ISO.fullmatch(value), value
    parsed = dt.datetime.fromisoformat(value)
    assert parsed.tzinfo is None
    aware = m.lake.stats(PROFILE).last_sync_time
    assert aware is not None
    assert parsed == aware.astimezone(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)
    assert abs(dt.datetime.now() - parsed) < dt.timedelta(minutes=5)  # local (UTC+8), not UTC

    for key in ("earliest_date", "latest_date"):
        assert isinstance(s[key], str) and re.fullmatch(r"\d{4}-\d\d-\d\d", s[key]), s[key]
        assert dt.date.fromisoformat(s[key])
    for key in ("total_size", "file_count", "dir_count", "retention_days"):
        assert type(s[key]) is int, (key, s[key])
    assert type(s["exists"]) is bool
    for key in ("profile_name", "local_path", "remote_source", "total_size_human", "last_sync_status"):
        assert type(s[key]) is str, (key, s[key])


def test_missing_config_says_how_to_create_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        DataLakeManager()  # the default path, config/data_lake.yml
    message = str(info.value)
    assert "cp config/data_lake.yml.example config/data_lake.yml" in message and "edit" in message, message
    # Following it works: the example is at that path in the repository, and loads.
    example = Path(__file__).resolve().parents[2] / "config" / "data_lake.yml.example"
    (tmp_path / "config").mkdir()
    shutil.copy(example, tmp_path / "config" / "data_lake.yml")
    assert DataLakeManager().get_enabled_profiles() == ["cex_ticks"]
