"""What ``DataLakeManager`` prints with ``verbose=True``: the old tool's lines,
filled from datalake-core's reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TextIO

from datalake._datalake import CleanupReport, Profile

from . import _text
from .cleaner import print_cleanup

__all__ = ["cleanup_footer", "cleanup_header", "sync_header", "sync_result", "sync_all_summary", "valid_config"]


def _emit(out: TextIO, lines: list[str]) -> None:
    out.write("".join(f"{line}\n" for line in lines))
    out.flush()


def sync_header(out: TextIO, profile: Profile, last_run: Mapping[str, Any]) -> None:
    """Profile, paths, the previous run (from the checkpoint dict), then ``开始同步...``."""
    lines = ["", _text.RULE, f"同步 Profile: {profile.name}", _text.RULE]
    lines += [f"本地路径: {profile.local_dir}", f"远程源: {profile.remote_source}", ""]
    if last_run:
        last = last_run.get("last_sync_time") or "Unknown"
        status = last_run.get("last_sync_status") or "Unknown"
        lines += [f"上次同步: {last} (状态: {status})", ""]
    _emit(out, lines + ["开始同步..."])


def sync_result(
    out: TextIO,
    result: Mapping[str, Any],
    errors: list[str],
    warnings: list[str],
    recorded: bool,
    cleanup: CleanupReport | None,
    retention_days: int,
) -> None:
    """Outcome and counts; errors; whether the checkpoint was written; retention's result."""
    lines = ["", "✅ 同步成功" if result["success"] else "❌ 同步失败"]
    lines += [
        f"  传输文件数: {result['files_transferred']:,}",
        f"  传输字节数: {result['bytes_transferred']:,}",
        f"  耗时: {result['duration_seconds']:.1f} 秒",
    ]
    if errors:
        lines += ["", "错误信息:", *errors]
    lines += [f"警告: {w}" for w in warnings]
    lines.append("")
    if recorded:
        lines += ["✅ Checkpoint 已保存", ""]
    _emit(out, lines)
    if cleanup is None:
        return
    _emit(out, [f"清理保留期超过 {retention_days} 天的数据..."])
    print_cleanup(cleanup, retention_days, verbose=True)
    if cleanup.deleted_dirs > 0:
        lines = [f"✅ 已删除 {cleanup.deleted_dirs} 个目录", f"  释放空间: {_text.format_bytes(cleanup.freed_bytes)}"]
    else:
        lines = ["✅ 无需清理"]
    _emit(out, lines + [""])


def sync_all_summary(out: TextIO, results: list[dict[str, Any]]) -> None:
    ok = sum(1 for r in results if r["success"])
    total_bytes = sum(int(r["bytes_transferred"]) for r in results)
    total_files = sum(int(r["files_transferred"]) for r in results)
    _emit(
        out,
        [
            "",
            _text.RULE,
            "同步完成",
            _text.RULE,
            f"成功: {ok}/{len(results)}",
            f"总文件数: {total_files:,}",
            f"总字节数: {_text.format_bytes(total_bytes)}",
        ],
    )


def cleanup_header(out: TextIO, profile: Profile, dry_run: bool) -> None:
    lines = ["", _text.RULE, f"清理 Profile: {profile.name}", _text.RULE]
    lines += [f"本地路径: {profile.local_dir}", f"保留天数: {profile.retention_days}"]
    if dry_run:
        lines.append("模式: 干跑（仅显示将要删除的内容）")
    _emit(out, lines + [""])


def cleanup_footer(out: TextIO, report: CleanupReport) -> None:
    _emit(
        out,
        [
            "",
            _text.RULE,
            "清理完成",
            _text.RULE,
            f"删除目录数: {report.deleted_dirs}",
            f"删除文件数: {report.deleted_files}",
            f"释放空间: {_text.format_bytes(report.freed_bytes)}",
        ],
    )


def valid_config(out: TextIO, root_dir: str, profiles: int, enabled: int) -> None:
    _emit(
        out,
        [
            "✅ 配置文件验证通过",
            f"  根目录: {root_dir}",
            f"  Profiles 数量: {profiles}",
            f"  已启用 Profiles: {enabled}",
        ],
    )
