"""The old tool's console strings, for what its users read and its tests match.

Presentation only: every number shown here comes from a datalake-core report.
Sizes use the old tool's own units (``1.0 KB`` for 1024 bytes, one decimal),
whatever datalake's own CLI prints, because quants-infra users and scripts
read these strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

RULE = "=" * 80
_UNITS = ("B", "KB", "MB", "GB", "TB")


def format_bytes(count: float, zero: str = "0 B") -> str:
    """``1.0 KB`` style: powers of 1024, one decimal, ``PB`` past the last unit.

    ``zero`` is what 0 prints as: the stats and manager code of the old tool
    printed ``0 B``, its cleaner ``0.0 B``.
    """
    if count == 0:
        return zero
    value = float(count)
    for unit in _UNITS:
        if value < 1024.0:
            return f"{value:.1f} {unit}"
        value /= 1024.0
    return f"{value:.1f} PB"


def time_ago(when: dt.datetime, now: dt.datetime | None = None) -> str:
    """``3 小时前``: whole seconds, minutes, hours or days since ``when`` (naive local)."""
    if when.tzinfo is not None:
        when = when.replace(tzinfo=None)
    seconds = ((now or dt.datetime.now()) - when).total_seconds()
    for size, word in ((86400, "天"), (3600, "小时"), (60, "分钟")):
        if seconds >= size:
            return f"{int(seconds / size)} {word}前"
    return f"{int(seconds)} 秒前"


_STATUS_MARK = {"success": "✅", "failed": "❌", "partial": "⚠️"}


def stats_table(stats: Mapping[str, Any]) -> str:
    """The old ``stats`` table for one get_stats()/get_profile_stats() dict."""
    head = f"Profile: {stats['profile_name']}\n{RULE}\n"
    if not stats.get("exists"):
        return f"{head}状态: 目录不存在\n本地路径: {stats['local_path']}\n远程源: {stats['remote_source']}\n"
    last = stats.get("last_sync_time")
    if not last:
        last_text = "从未同步"
    else:
        try:
            when = dt.datetime.fromisoformat(str(last))
            last_text = f"{when.strftime('%Y-%m-%d %H:%M:%S')} ({time_ago(when)})"
        except ValueError:
            last_text = str(last)
    status = stats.get("last_sync_status", "unknown")
    rows = [
        ("本地路径:", stats["local_path"]),
        ("远程源:", stats["remote_source"]),
        ("数据大小:", stats["total_size_human"]),
        ("文件数:", f"{stats['file_count']:,}"),
        ("目录数:", f"{stats['dir_count']:,}"),
        ("最早数据:", stats["earliest_date"] or "N/A"),
        ("最新数据:", stats["latest_date"] or "N/A"),
        ("上次同步:", last_text),
        ("同步状态:", f"{_STATUS_MARK.get(str(status), '❓')} {status}"),
        ("保留策略:", f"{stats['retention_days']} 天"),
    ]
    # Labels padded to the old column: 14 display cells (a CJK character is two).
    body = "".join(f"{label}{' ' * (14 - _cells(label))}{value}\n" for label, value in rows)
    return head + body


def _cells(text: str) -> int:
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


def cleanup_lines(retention_days: int, cutoff: dt.date, found: list[tuple[str, int, int]], listed: bool) -> list[str]:
    """The cleaner's own lines: retention, the last expired day, each expired partition."""
    lines = [f"清理保留期: {retention_days} 天", f"截止日期: {cutoff.isoformat()}", f"找到 {len(found)} 个过期目录"]
    if listed:
        lines += [f"  - {name} ({format_bytes(size, zero='0.0 B')}, {files} 文件)" for name, size, files in found]
    return lines
