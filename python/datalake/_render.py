"""Rendering for the ``datalake`` command: tables, ages and sizes, stderr lines
and JSON documents (progress is :mod:`datalake._progress`). No rule lives here:
what an outcome means comes from the core (reports and exceptions), this module
only shows it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import click

from datalake import logformat
from datalake._datalake import CleanupReport, ProfileStats, SyncReport, human_size
from datalake._exit import Terminated

if TYPE_CHECKING:  # sync's renderer: not loaded by the commands that show no progress
    from datalake._progress import ProgressDisplay


class State:
    """Global options, kept on the click context."""

    def __init__(self, verbose: int = 0, quiet: bool = False) -> None:
        self.verbose = verbose
        self.quiet = quiet


def state() -> State:
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_object(State) if ctx is not None else None
    return obj if obj is not None else State()


def stderr_is_tty() -> bool:
    return sys.stderr.isatty()


def error(message: str) -> None:
    """One line per message on stderr (multi-line messages keep their lines)."""
    logformat.echo_err(f"Error: {message}", level="error", event="error")


def json_out(doc: Any) -> None:
    click.echo(json.dumps(doc, indent=2, sort_keys=False, default=str))


def interrupted_message(exc: BaseException) -> str:
    what = str(exc) if isinstance(exc, Terminated) and str(exc) else "interrupted"
    return f"{what}; partial data is kept and the next run resumes it"


def error_doc(exc: BaseException) -> dict[str, Any]:
    kind = getattr(exc, "kind", None)
    if isinstance(exc, KeyboardInterrupt):
        kind = "interrupted"
    return {"error": {"kind": kind, "type": type(exc).__name__, "message": str(exc) or type(exc).__name__}}


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Iterable[int] = ()) -> str:
    """Aligned plain-text table; columns in `right` are right-aligned."""
    right_cols = set(right)
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for r in cells:
        parts = [r[i].rjust(widths[i]) if i in right_cols else r[i].ljust(widths[i]) for i in range(len(headers))]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def kv(rows: Sequence[Sequence[Any]]) -> str:
    """Aligned `key  value` lines."""
    width = max((len(str(k)) for k, _ in rows), default=0)
    return "\n".join(f"{str(k).ljust(width)}  {'' if v is None else v}".rstrip() for k, v in rows)


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """`2 hours ago` style age."""
    if when is None:
        return "never"
    now = now or datetime.now(timezone.utc)
    seconds = (now - when).total_seconds()
    if seconds < 0:
        return "in the future"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def local_time(when: datetime | None) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M") if when is not None else "-"


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


class _EchoHandler(logging.Handler):
    """Logging to the *current* stderr (click.echo looks it up on every call)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(self.format(record), err=True)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


_HANDLER: _EchoHandler | None = None


def setup_logging(verbose: int, quiet: bool, log_format: str = "text") -> None:
    """Send the library's log records to stderr at a level set by -v (-q keeps warnings);
    with ``log_format="json"`` every stderr line is a JSON object (see datalake.logformat)."""
    global _HANDLER
    logger = logging.getLogger("datalake")
    if _HANDLER is None:
        _HANDLER = _EchoHandler()
        logger.addHandler(_HANDLER)
    tty = stderr_is_tty()
    fmt = "%(levelname)s: %(message)s" if tty else "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logformat.set_format(log_format)
    _HANDLER.setFormatter(logformat.JsonFormatter() if log_format == "json" else logging.Formatter(fmt))
    level = logging.WARNING if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logger.setLevel(level)


def silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the flush at exit stays quiet
    (the recipe of the Python docs, "Note on SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (tests)
        pass


def finished_fields(r: SyncReport) -> dict[str, Any]:
    """The `sync_finished` event of --log-format json."""
    return {
        "event": "sync_finished",
        "profile": r.profile,
        "level": {"success": "info", "skipped": "info", "failed": "error"}.get(r.status, "warning"),
        "status": r.status,
        "dry_run": r.dry_run,
        "files_transferred": r.files_transferred,
        "bytes_transferred": r.bytes_transferred,
        "duration_seconds": r.duration_seconds,
        "attempts": r.attempts,
        "rsync_exit_code": r.rsync_exit_code,
        "mode": r.mode,
        "rewrites_kept": r.rewrites_kept,
        "files_grown": r.files_grown,
    }


def plan_event(display: ProgressDisplay, r: SyncReport) -> None:
    """One line on what the planner chose: window or full (and why), partitions, streams;
    the same as the `sync_plan` event of --log-format json."""
    if r.mode is None:
        return
    why = f" ({r.full_sync_reason})" if r.full_sync_reason else ""
    streams = f", {r.streams} streams" if r.streams > 1 else ""
    unchanged = f" ({r.partitions_unchanged} unchanged)" if r.partitions_unchanged else ""
    missed = ""
    if r.files_missed_by_window is not None:
        missed = f", {r.files_missed_by_window} files missed by the window"
    display.event(
        f"sync {r.profile}: {r.mode} run{why}, {r.partitions_covered} partitions{unchanged}{streams}{missed}",
        "sync_plan",
        r.profile,
        "warning" if r.files_missed_by_window else "info",
        mode=r.mode,
        full_sync_reason=r.full_sync_reason,
        partitions_covered=r.partitions_covered,
        partitions_unchanged=r.partitions_unchanged,
        files_missed_by_window=r.files_missed_by_window,
        streams=r.streams,
    )


def sync_rows(reports: Sequence[SyncReport]) -> str:
    rows = [
        (
            r.profile,
            r.status + (" (dry run)" if r.dry_run else ""),
            r.files_transferred,
            human_size(r.bytes_transferred),
            duration(r.duration_seconds),
            r.attempts,
        )
        for r in reports
    ]
    return table(("PROFILE", "STATUS", "FILES", "TRANSFERRED", "DURATION", "ATTEMPTS"), rows, right=(2, 3, 4, 5))


def print_sync_details(reports: Sequence[SyncReport], already_shown: set[str], summary: bool) -> None:
    """Errors and run warnings of each run on stderr (always, -q too; the config's
    warnings were shown when it was opened); with `summary`, also what the
    retention run removed (stdout, informational)."""
    for r in reports:
        for e in r.errors:
            if e not in already_shown:  # printed as the command's `Error:` line
                logformat.echo_err(f"{r.profile}: error: {e}", level="error", event="sync_error", profile=r.profile)
        for w in r.warnings:
            logformat.echo_err(f"{r.profile}: warning: {w}", level="warning", event="sync_warning", profile=r.profile)
        c = r.cleanup
        if c is None:
            continue
        for w in c.warnings:  # e.g. the newest day kept although expired: a dead collector
            logformat.echo_err(
                f"{r.profile}: cleanup warning: {w}", level="warning", event="cleanup_warning", profile=r.profile
            )
        if summary and c.deleted_dirs:
            click.echo(
                f"{r.profile}: cleanup {'would delete' if c.dry_run else 'deleted'} {c.deleted_dirs} partitions, "
                f"{c.deleted_files} files, {human_size(c.freed_bytes)}"
            )


def stats_fields(s: ProfileStats) -> list[tuple[str, Any]]:
    return [
        ("profile", s.profile_name),
        ("local path", s.local_path),
        ("remote source", s.remote_source),
        ("exists", "yes" if s.exists else "no"),
        ("size", f"{s.total_size_human} ({s.total_size} bytes)"),
        ("files", s.file_count),
        ("directories", s.dir_count),
        ("partitions", s.partition_count),
        ("earliest date", s.earliest_date or "-"),
        ("latest date", s.latest_date or "-"),
        ("newest file", f"{local_time(s.newest_file_mtime)} ({ago(s.newest_file_mtime)})"),
        ("retention", f"{s.retention_days} days"),
        ("expired, not cleaned", f"{s.expired_partitions} partitions, {human_size(s.expired_bytes)}"),
        ("partial files", f"{s.partial_files} ({human_size(s.partial_bytes)})"),
        ("symlinks", s.symlinks),
        ("quarantined files", s.quarantined_files),
        ("kept versions", f"{s.kept_versions} ({human_size(s.kept_bytes)})"),
        ("missing days", s.missing_days),
        ("stopped series", s.stopped_series),
        ("last sync", f"{local_time(s.last_sync_time)} ({ago(s.last_sync_time)})"),
        ("last sync status", s.last_sync_status or "-"),
        ("last success", f"{local_time(s.last_success_time)} ({ago(s.last_success_time)})"),
        ("consecutive failures", s.consecutive_failures),
    ]


def cleanup_warnings(reports: Sequence[CleanupReport]) -> None:
    """Cleanup warnings on stderr in every output mode (e.g. a dead collector's newest day kept)."""
    for r in reports:
        for w in r.warnings:
            logformat.echo_err(
                f"{r.profile}: warning: {w}", level="warning", event="cleanup_warning", profile=r.profile
            )


def print_cleanup(reports: Sequence[CleanupReport], verbose: bool, quiet: bool) -> None:
    for r in reports:
        if verbose:
            for p in r.deleted_paths:
                click.echo(f"{'would delete' if r.dry_run else 'deleted'} {p}")
        for s in r.skipped:
            if verbose:
                click.echo(f"kept {s.path}: {s.reason}")
    cleanup_warnings(reports)
    if quiet:
        return
    rows = [
        (
            r.profile + (" (dry run)" if r.dry_run else ""),
            r.cutoff_date,
            r.deleted_dirs,
            r.deleted_files,
            human_size(r.freed_bytes),
        )
        for r in reports
    ]
    verb = "WOULD FREE" if any(r.dry_run for r in reports) else "FREED"
    click.echo(table(("PROFILE", "KEEP FROM", "PARTITIONS", "FILES", verb), rows, right=(2, 3, 4)))
