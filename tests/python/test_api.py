"""Every call of the Python API, against the installed package, real rsync and sshd."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path

import pytest
import sshd
import trees
from configs import WriteConfig
from pyhelpers import LEGACY_STATS_KEYS, PROFILE, LocalLake, big_collector, wait_for

import datalake

SYNC_REPORT_FIELDS = {
    "profile",
    "status",
    "files_transferred",
    "bytes_transferred",
    "duration_seconds",
    "rsync_exit_code",
    "attempts",
    "errors",
    "warnings",
    "cleanup",
}


def tree_size(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def test_package_exports_everything() -> None:
    for name in datalake.__all__:
        assert hasattr(datalake, name), name
    assert datalake.__version__ == datalake._datalake.__version__
    assert isinstance(datalake.__version__, str) and datalake.__version__.count(".") == 2
    # The package is typed: stubs and marker ship with it.
    pkg = Path(datalake.__file__).parent
    assert (pkg / "py.typed").exists()
    assert (pkg / "_datalake.pyi").exists()


def test_open_exposes_the_config(local_lake: LocalLake) -> None:
    lake = local_lake.open()
    cfg = lake.config
    assert isinstance(cfg, datalake.Config)
    assert cfg.path is not None and cfg.path.name == local_lake.config.name
    assert cfg.root_dir == local_lake.root
    assert cfg.checkpoint_dir == local_lake.root / ".checkpoints"
    assert list(cfg.profiles) == [PROFILE]
    assert cfg.enabled_profiles() == [PROFILE]
    p = cfg.profiles[PROFILE]
    assert isinstance(p, datalake.Profile)
    assert p.name == PROFILE and p.enabled
    assert p.local_dir == local_lake.local_dir
    assert p.local_subdir == Path(PROFILE)
    assert p.retention_days == 30 and p.io_timeout == 300 and p.connect_timeout == 15 and p.retries == 3
    assert p.rsync_args is None and p.bwlimit is None and p.exclude == []
    assert p.checkpoint_file == cfg.checkpoint_dir / f"{PROFILE}.json"
    assert p.lock_file == cfg.checkpoint_dir / f"{PROFILE}.lock"
    assert p.host_key_checking == "accept-new" and p.timezone == "utc"
    assert p.source.type == "local" and p.source.host is None and p.source.target is None
    assert p.source.remote_root == str(local_lake.collector)
    assert p.remote_source == str(local_lake.collector)
    assert lake.profile(PROFILE).name == PROFILE
    # to_dict is the core's serialization: JSON-ready, same names.
    d = cfg.to_dict()
    json.dumps(d)
    assert d["profiles"][PROFILE]["retention_days"] == 30
    assert p.to_dict()["name"] == PROFILE
    assert p.source.to_dict()["type"] == "local"
    assert "cex_ticks" in repr(lake) and "cex_ticks" in repr(cfg) and "Profile(name='cex_ticks'" in repr(p)


def test_ssh_profile_attributes(write_config: WriteConfig, ssh_server: sshd.SshServer) -> None:
    path = write_config({"remote": {"source": {"remote_root": "/var/data/x"}, "bwlimit": 100, "exclude": ["*.tmp"]}})
    p = datalake.DataLake.open(path).config.profiles["remote"]
    assert p.source.type == "ssh"
    assert p.source.host == ssh_server.host and p.source.port == ssh_server.port and p.source.user == ssh_server.user
    assert p.source.ssh_key == ssh_server.key
    assert p.source.target == f"{ssh_server.user}@{ssh_server.host}:{ssh_server.port}"
    assert p.remote_source == f"{ssh_server.user}@{ssh_server.host}:/var/data/x"
    assert p.known_hosts == ssh_server.known_hosts
    assert p.bwlimit == 100 and p.exclude == ["*.tmp"]


def test_validate_and_validate_file(local_lake: LocalLake, tmp_path: Path) -> None:
    report = local_lake.open().validate()
    assert isinstance(report, datalake.ValidationReport)
    assert report.ok and report.errors == []
    bad = tmp_path / "bad.yml"
    bad.write_text("data_lake:\n  root_dir: /tmp/x\n  profiles:\n    p:\n      retention_day: 3\n")
    r = datalake.validate_file(bad)  # never raises
    assert not r.ok and r.path == bad
    assert len(r.errors) >= 2  # unknown key, missing source, missing local_subdir...
    d = next(e for e in r.errors if "retention_day" in e.key)
    assert d.severity == "error" and d.line == 5 and d.column == 7 and d.file == bad
    assert str(d).startswith(f"{bad}:5:7: ")
    assert "retention_days" in d.message  # did you mean
    assert r.to_dict()["ok"] is False
    assert "ok=False" in repr(r)


def test_warnings_are_reported(make_local) -> None:
    lake = make_local(rsync_args="-az --inplace").open()
    messages = [w.message for w in lake.config.warnings]
    assert any("inplace" in m for m in messages), messages
    assert all(w.severity == "warning" for w in lake.validate().warnings)


def test_sync_first_then_noop(local_lake: LocalLake) -> None:
    lake = local_lake.open()
    n_files, n_bytes = tree_size(local_lake.collector)
    r = lake.sync(PROFILE)
    assert isinstance(r, datalake.SyncReport)
    assert r.profile == PROFILE and r.status == "success" and not r.dry_run
    assert r.files_transferred == n_files and r.bytes_transferred == n_bytes
    assert r.rsync_exit_code == 0 and r.rsync_exit_meaning and r.attempts == 1
    assert r.errors == [] and r.error_kind is None
    assert isinstance(r.started_at, dt.datetime) and r.started_at.tzinfo is not None
    assert r.finished_at >= r.started_at and r.duration_seconds >= 0
    assert isinstance(r.cleanup, datalake.CleanupReport) and r.cleanup.deleted_dirs == 0
    assert trees.tree_digest(local_lake.local_dir) == trees.tree_digest(local_lake.collector)
    r.raise_for_status()  # success: no exception
    d = r.to_dict()
    assert SYNC_REPORT_FIELDS <= set(d)
    assert d["status"] == "success" and d["files_transferred"] == n_files
    json.dumps(d)
    assert repr(r).startswith("SyncReport(profile='cex_ticks', status='success'")

    again = lake.sync(PROFILE, cleanup=False)
    assert again.status == "success" and again.files_transferred == 0 and again.cleanup is None


def test_sync_dry_run_changes_nothing(local_lake: LocalLake) -> None:
    lake = local_lake.open()
    r = lake.sync(PROFILE, dry_run=True)
    assert r.dry_run and r.status == "success"
    assert not any(local_lake.local_dir.rglob("*.parquet")) if local_lake.local_dir.exists() else True
    assert lake.checkpoint(PROFILE) is None


def test_progress_callback_gets_progress_objects(local_lake: LocalLake) -> None:
    big_collector(local_lake.collector, size=2 * 1024 * 1024)
    seen: list[datalake.Progress] = []
    lake = local_lake.open()
    lake.sync(PROFILE, progress=seen.append)
    assert seen, "no progress reported"
    last = seen[-1]
    assert isinstance(last, datalake.Progress) and last.profile == PROFILE
    assert isinstance(last.bytes_done, int) and isinstance(last.rate, float) and isinstance(last.files_done, int)
    assert last.bytes_total is None or last.bytes_total >= last.bytes_done
    assert any(p.current_file for p in seen)
    assert set(last.to_dict()) >= {"bytes_done", "bytes_total", "rate", "files_done", "current_file"}
    assert repr(last).startswith("Progress(profile='cex_ticks'")


def test_progress_must_be_callable(local_lake: LocalLake) -> None:
    with pytest.raises(TypeError, match="callable"):
        local_lake.open().sync(PROFILE, progress=42)  # type: ignore[arg-type]


def test_exception_in_progress_callback_cancels_and_is_reraised(make_local) -> None:
    lake_env = make_local(bwlimit=200)
    big_collector(lake_env.collector, size=8 * 1024 * 1024)  # ~40 s at 200 KiB/s
    lake = lake_env.open()
    boom = RuntimeError("stop right there")

    def progress(p: datalake.Progress) -> None:
        if p.bytes_done > 0:
            raise boom

    start = time.monotonic()
    with pytest.raises(RuntimeError) as info:
        lake.sync(PROFILE, progress=progress)
    assert info.value is boom  # re-raised unchanged
    assert time.monotonic() - start < 20
    assert isinstance(info.value.report, datalake.SyncReport)  # type: ignore[attr-defined]
    assert info.value.report.status == "interrupted"  # type: ignore[attr-defined]
    cp = lake.checkpoint(PROFILE)
    assert cp is not None and cp.last_sync_status == "interrupted" and cp.running is None


def test_cancel_from_another_thread(make_local) -> None:
    lake_env = make_local(bwlimit=200)
    big_collector(lake_env.collector, size=8 * 1024 * 1024)
    lake = lake_env.open()
    started = threading.Event()

    def progress(p: datalake.Progress) -> None:
        started.set()

    def canceller() -> None:
        started.wait(30)
        lake.cancel()

    t = threading.Thread(target=canceller)
    t.start()
    start = time.monotonic()
    with pytest.raises(datalake.CancelledError) as info:
        lake.sync(PROFILE, progress=progress)
    t.join()
    assert time.monotonic() - start < 25
    assert info.value.kind == "interrupted"
    assert info.value.report is not None and info.value.report.status == "interrupted"
    cp = lake.checkpoint(PROFILE)
    assert cp is not None and cp.last_sync_status == "interrupted"


def test_sync_all(make_local, world_tmp: Path) -> None:
    other = world_tmp / "other"
    trees.make_collector_tree(other, symbols=("SOL-USDT",))
    lake_env = make_local(
        extra_profiles={
            "other": {"source": {"type": "local", "remote_root": str(other)}},
            "off": {"source": {"type": "local", "remote_root": str(other)}, "enabled": False},
        }
    )
    lake = lake_env.open()
    progress_profiles: set[str] = set()
    reports = lake.sync_all(jobs=2, progress=lambda p: progress_profiles.add(p.profile))
    assert sorted(r.profile for r in reports) == [PROFILE, "other"]  # disabled one left out
    assert all(r.status == "success" for r in reports)
    assert trees.tree_digest(lake_env.root / "other") == trees.tree_digest(other)
    assert progress_profiles <= {PROFILE, "other"}
    dry = lake.sync_all(dry_run=True)
    assert all(r.dry_run and r.files_transferred == 0 for r in dry)


def test_stats(local_lake: LocalLake) -> None:
    lake = local_lake.open()
    before = lake.stats(PROFILE)
    assert not before.exists and before.file_count == 0 and before.earliest_date is None
    lake.sync(PROFILE)
    s = lake.stats(PROFILE)
    assert isinstance(s, datalake.ProfileStats)
    n_files, n_bytes = tree_size(local_lake.collector)
    days = trees.last_days(3)
    assert s.profile_name == PROFILE and s.exists
    assert s.local_path == local_lake.local_dir
    assert s.remote_source == str(local_lake.collector)
    assert s.file_count == n_files and s.total_size == n_bytes
    assert s.total_size_human == datalake.human_size(n_bytes)
    assert s.dir_count == 6 and s.partition_count == 6
    assert s.earliest_date == days[0] and s.latest_date == days[-1]
    assert isinstance(s.last_sync_time, dt.datetime) and s.last_sync_status == "success"
    assert s.retention_days == 30 and s.consecutive_failures == 0
    assert s.expired_partitions == 0 and s.partial_files == 0 and s.symlinks == 0
    assert isinstance(s.newest_file_mtime, dt.datetime)
    d = s.to_dict()
    assert set(LEGACY_STATS_KEYS) <= set(d)
    assert d["earliest_date"] == days[0].isoformat()
    json.dumps(d)
    assert repr(s).startswith("ProfileStats(profile_name='cex_ticks'")


def test_cleanup_dry_run_and_real(make_local) -> None:
    lake_env = make_local(retention_days=3)
    lake = lake_env.open()
    lake.sync(PROFILE)
    # Old partitions already in the lake (the sync itself never downloads expired ones).
    old_days = [trees.utc_today() - dt.timedelta(days=d) for d in (10, 11)]
    trees.make_collector_tree(lake_env.local_dir, days=old_days, symbols=("BTC-USDT",), parts=2, size=1000)
    expired = sorted(lake_env.local_dir / trees.partition_name("BTC-USDT", d) for d in old_days)

    dry = lake.cleanup(PROFILE, dry_run=True)
    assert isinstance(dry, datalake.CleanupReport) and dry.dry_run
    assert dry.cutoff_date == trees.utc_today() - dt.timedelta(days=2)
    assert dry.deleted_dirs == 2 and dry.deleted_files == 4 and dry.freed_bytes == 4000
    assert sorted(dry.deleted_paths) == expired
    assert all(p.exists() for p in expired)

    real = lake.cleanup(PROFILE)
    assert not real.dry_run and real.deleted_dirs == 2 and real.freed_bytes == 4000
    assert not any(p.exists() for p in expired)
    assert trees.tree_digest(lake_env.local_dir) == trees.tree_digest(lake_env.collector)
    d = real.to_dict()
    assert {"deleted_dirs", "deleted_files", "freed_bytes", "deleted_paths", "cutoff_date"} <= set(d)
    assert d["cutoff_date"] == dry.cutoff_date.isoformat()
    assert "CleanupReport(profile='cex_ticks'" in repr(real)


def test_cleanup_reports_skipped_symlinks(make_local, world_tmp: Path) -> None:
    lake_env = make_local(retention_days=1)
    lake = lake_env.open()
    lake.sync(PROFILE)
    target = world_tmp / "elsewhere"
    trees.make_collector_tree(target, days=[trees.utc_today() - dt.timedelta(days=30)], size=10)
    link = lake_env.local_dir / "gate_io_LINK_20200101"
    link.symlink_to(target, target_is_directory=True)
    report = lake.cleanup(PROFILE)
    assert any(s.path == link for s in report.skipped), report.skipped
    skipped = next(s for s in report.skipped if s.path == link)
    assert skipped.reason and "SkippedPath(" in repr(skipped) and skipped.to_dict()["reason"] == skipped.reason
    assert any(target.rglob("*.parquet"))  # symlink target untouched


def test_test_connection_local(local_lake: LocalLake) -> None:
    t = local_lake.open().test_connection(PROFILE)
    assert isinstance(t, datalake.ConnectionReport)
    assert t.ok and t.status == "ok" and t.error_kind is None
    assert t.local_rsync_version and t.remote_entries == 6
    t.raise_for_status()
    assert t.to_dict()["status"] == "ok"
    assert repr(t).startswith("ConnectionReport(profile='cex_ticks'")


def test_test_connection_ssh(write_config: WriteConfig, ssh_server: sshd.SshServer, collector: Path) -> None:
    lake = datalake.DataLake.open(write_config({"remote": {"source": {"remote_root": str(collector)}}}))
    t = lake.test_connection("remote")
    assert t.ok, t.message
    assert t.target == f"{ssh_server.user}@{ssh_server.host}:{ssh_server.port}"
    assert t.round_trip_ms is not None and t.round_trip_ms > 0
    assert t.remote_rsync_version and "rsync" in t.remote_rsync_version
    assert t.remote_entries == 6


def test_test_connection_failure_is_a_report(write_config: WriteConfig, ssh_server: sshd.SshServer) -> None:
    lake = datalake.DataLake.open(
        write_config({"remote": {"source": {"remote_root": "/x", "ssh_key": str(ssh_server.wrong_key)}}})
    )
    t = lake.test_connection("remote")
    assert not t.ok and t.status == "authentication" and t.error_kind == "authentication"
    assert t.message
    with pytest.raises(datalake.AuthenticationError) as info:
        t.raise_for_status()
    assert info.value.report is t or info.value.report.status == "authentication"


def test_sync_over_ssh_is_byte_identical(
    write_config: WriteConfig, ssh_server: sshd.SshServer, collector: Path, tmp_path: Path
) -> None:
    today = trees.utc_today()
    trees.write_file(collector, f"gate_io_ODD_{today:%Y%m%d}/odd name $x;'\"/part 1.parquet", 1000)
    lake = datalake.DataLake.open(write_config({"remote": {"source": {"remote_root": str(collector)}}}))
    r = lake.sync("remote", cleanup=False)
    assert r.status == "success", r.errors
    assert trees.tree_digest(tmp_path / "lake" / "remote") == trees.tree_digest(collector)


def test_checkpoint(local_lake: LocalLake) -> None:
    lake = local_lake.open()
    assert lake.checkpoint(PROFILE) is None
    r = lake.sync(PROFILE)
    cp = lake.checkpoint(PROFILE)
    assert isinstance(cp, datalake.Checkpoint)
    assert cp.profile_name == PROFILE and cp.last_sync_status == "success"
    assert cp.files_transferred == r.files_transferred and cp.bytes_transferred == r.bytes_transferred
    assert cp.last_success_time is not None and cp.saved_at is not None and cp.consecutive_failures == 0
    assert cp.running is None and cp.errors == []
    assert len(cp.history) == 1
    h = cp.history[0]
    assert isinstance(h, datalake.RunRecord) and h.status == "success" and h.rsync_exit_code == 0
    assert h.files_transferred == r.files_transferred and isinstance(h.started_at, dt.datetime)
    assert "RunRecord(" in repr(h) and h.to_dict()["status"] == "success"
    d = cp.to_dict()
    assert {"profile_name", "last_sync_time", "last_sync_status", "history", "running"} <= set(d)
    assert "Checkpoint(profile_name='cex_ticks'" in repr(cp)


def test_running_marker_is_visible_while_syncing(make_local) -> None:
    lake_env = make_local(bwlimit=300)
    big_collector(lake_env.collector, size=3 * 1024 * 1024)
    lake = lake_env.open()
    seen: list[datalake.Checkpoint] = []

    def progress(p: datalake.Progress) -> None:
        if not seen and p.bytes_done > 0:
            cp = lake.checkpoint(PROFILE)  # re-entrant call from inside the callback
            if cp is not None:
                seen.append(cp)
            lake.cancel()

    with pytest.raises(datalake.CancelledError):
        lake.sync(PROFILE, progress=progress)
    assert seen and seen[0].running is not None
    marker = seen[0].running
    assert marker.pid > 0 and isinstance(marker.started_at, dt.datetime)
    assert "RunningMarker(pid=" in repr(marker) and marker.to_dict()["pid"] == marker.pid


def test_gil_is_released_during_sync(make_local) -> None:
    lake_env = make_local(bwlimit=500)
    big_collector(lake_env.collector, size=1024 * 1024)  # ~2 s
    lake = lake_env.open()
    ticks = [0]
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            ticks[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        wait_for(lambda: ticks[0] > 0, 5, "the spinning thread to start")
        before = ticks[0]
        start = time.monotonic()
        lake.sync(PROFILE)
        elapsed = time.monotonic() - start
        during = ticks[0] - before
    finally:
        stop.set()
        t.join()
    assert elapsed > 1.0
    # A thread starved by a held GIL would only tick at the 5 ms switch interval
    # while the callbacks run; a released GIL lets it run flat out.
    assert during > 100_000, during


def test_calls_from_several_threads_at_once(local_lake: LocalLake) -> None:
    lake = local_lake.open()
    lake.sync(PROFILE)
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(lake.stats(PROFILE))),
        threading.Thread(target=lambda: results.append(lake.test_connection(PROFILE))),
        threading.Thread(target=lambda: results.append(lake.cleanup(PROFILE, dry_run=True))),
        threading.Thread(target=lambda: results.append(lake.checkpoint(PROFILE))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 4


def test_human_size() -> None:
    # IEC binary units: the number and the unit agree (issue 7).
    assert datalake.human_size(0) == "0 B"
    assert datalake.human_size(65_536) == "64.00 KiB"
    assert datalake.human_size(17_694_720) == "16.88 MiB"
    assert datalake.human_size(3 * 1024**3) == "3.00 GiB"
