"""The ``datalake`` command line: a click group, also mountable in other click CLIs.

::

    datalake sync --all                       # what cron runs
    datalake status                           # the morning glance
    quants-infra data-lake sync cex_ticks     # after cli.add_command(data_lake, name="data-lake")

Exit codes: 0 ok; 1 a sync or cleanup failed or was partial (or a connection
test failed); 2 bad usage or config, unknown profile included; 3 the profile
is locked by another run; 130 interrupted (Ctrl-C, SIGINT); 143 terminated
(SIGTERM: ``kill``, ``timeout``, ``systemctl stop``; the ``datalake`` program
stops its run as cleanly as on Ctrl-C). Errors are one line on stderr,
never a traceback (``-vv`` adds one for internal errors). ``--format json``
prints exactly one JSON document on stdout, built from the core's own
serialization (the same fields as the library's ``to_dict()`` and the C ABI).
Progress goes to stderr: a bar on a terminal, timestamped plain lines otherwise.
``-q`` drops the informational lines only: warnings and errors still go to stderr.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from types import FrameType
from typing import Any, Callable, TypeVar, cast

import click

from datalake._datalake import (
    CancelledError,
    CleanupReport,
    ConfigError,
    DataLake,
    DataLakeError,
    InvalidArgumentError,
    LockedError,
    ProfileNotFoundError,
    ProfileStats,
    Progress,
    SyncReport,
    human_size,
    validate_file,
)

__all__ = [
    "data_lake",
    "main",
    "Terminated",
    "EXIT_OK",
    "EXIT_FAILED",
    "EXIT_USAGE",
    "EXIT_LOCKED",
    "EXIT_INTERRUPTED",
    "EXIT_TERMINATED",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143, what a shell reports for a process SIGTERM killed

DEFAULT_CONFIG = "config/data_lake.yml"
CONFIG_ENV = "DATALAKE_CONFIG"

F = TypeVar("F", bound=Callable[..., Any])


# ---------------------------------------------------------------- exit codes


class Terminated(KeyboardInterrupt):
    """Raised in the main thread by the SIGTERM handler that :func:`main` installs.

    A KeyboardInterrupt, so a SIGTERM stops a run exactly as Ctrl-C does: the
    binding's signal check (``check_signals`` while the core runs) parks it,
    cancels the run (rsync stopped, checkpoint ``interrupted``) and raises it
    once the core has returned. Only the exit code differs: 143, not 130.
    """


def exit_code_for_error(exc: BaseException) -> int:
    """The exit code for an exception raised by the library."""
    if isinstance(exc, Terminated):
        return EXIT_TERMINATED
    if isinstance(exc, (KeyboardInterrupt, CancelledError)):
        return EXIT_INTERRUPTED
    if isinstance(exc, (ConfigError, ProfileNotFoundError, InvalidArgumentError)):
        return EXIT_USAGE
    if isinstance(exc, LockedError):
        return EXIT_LOCKED
    return EXIT_FAILED


def exit_code_for_report(report: SyncReport) -> int:
    """The exit code for one sync report."""
    if report.status == "interrupted":
        return EXIT_INTERRUPTED
    if report.status in ("failed", "partial"):
        return EXIT_FAILED
    if report.status == "skipped" and report.error_kind == "locked":
        return EXIT_LOCKED
    return EXIT_OK


_SEVERITY = {EXIT_OK: 0, EXIT_LOCKED: 1, EXIT_USAGE: 2, EXIT_FAILED: 3, EXIT_INTERRUPTED: 4, EXIT_TERMINATED: 5}


def worst(codes: Iterable[int]) -> int:
    """Combine exit codes: terminated > interrupted > failed > usage > locked > ok."""
    return max(codes, key=lambda c: _SEVERITY.get(c, 3), default=EXIT_OK)


# ---------------------------------------------------------------- output helpers


class _State:
    """Global options, kept on the click context."""

    def __init__(self, verbose: int = 0, quiet: bool = False) -> None:
        self.verbose = verbose
        self.quiet = quiet


def _state() -> _State:
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_object(_State) if ctx is not None else None
    return obj if obj is not None else _State()


def _stderr_is_tty() -> bool:
    return sys.stderr.isatty()


def _error(message: str) -> None:
    """One line per message on stderr (multi-line messages keep their lines)."""
    click.echo(f"Error: {message}", err=True)


def _json_out(doc: Any) -> None:
    click.echo(json.dumps(doc, indent=2, sort_keys=False, default=str))


def _interrupted_message(exc: BaseException) -> str:
    what = str(exc) if isinstance(exc, Terminated) and str(exc) else "interrupted"
    return f"{what}; partial data is kept and the next run resumes it"


def _error_doc(exc: BaseException) -> dict[str, Any]:
    kind = getattr(exc, "kind", None)
    if isinstance(exc, KeyboardInterrupt):
        kind = "interrupted"
    return {"error": {"kind": kind, "type": type(exc).__name__, "message": str(exc) or type(exc).__name__}}


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Iterable[int] = ()) -> str:
    """Aligned plain-text table; columns in `right` are right-aligned."""
    right_cols = set(right)
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for r in cells:
        parts = [r[i].rjust(widths[i]) if i in right_cols else r[i].ljust(widths[i]) for i in range(len(headers))]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _kv(rows: Sequence[Sequence[Any]]) -> str:
    """Aligned `key  value` lines."""
    width = max((len(str(k)) for k, _ in rows), default=0)
    return "\n".join(f"{str(k).ljust(width)}  {'' if v is None else v}".rstrip() for k, v in rows)


def _ago(when: datetime | None, now: datetime | None = None) -> str:
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


def _local_time(when: datetime | None) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M") if when is not None else "-"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _eta(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressDisplay:
    """Progress on stderr: a redrawn bar on a terminal; off a terminal (cron,
    pipes) plain timestamped lines, at most one every `interval` seconds, and
    no control characters.

    The percentage and total are rsync's estimate over the whole tree, so on an
    incremental sync the last event may say 14%: :meth:`finish` closes the bar
    of a successful sync at 100%.
    """

    def __init__(self, tty: bool, enabled: bool = True, interval: float = 10.0) -> None:
        self.tty = tty
        self.enabled = enabled
        self.interval = interval if not tty else 0.1
        self._last = 0.0
        self._drawn = False
        # Last event per profile (every event, not only the drawn ones), for finish().
        self._latest: dict[str, Progress] = {}

    def _write(self, text: str) -> None:
        # sys.stderr looked up on each call: click's test runner swaps it.
        sys.stderr.write(text)
        sys.stderr.flush()

    def clear(self) -> None:
        if self.tty and self._drawn:
            width = shutil.get_terminal_size((80, 20)).columns
            self._write("\r" + " " * (width - 1) + "\r")
            self._drawn = False

    def event(self, message: str) -> None:
        """A one-line event (start, end, warning)."""
        if not self.enabled:
            return
        self.clear()
        if self.tty:
            self._write(message + "\n")
        else:
            stamp = datetime.now().astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
            self._write(f"{stamp} {message}\n")

    @staticmethod
    def _bar_line(
        profile: str, done: int, total: int | None, rate: float, current: str | None, width: int, finished: bool = False
    ) -> str:
        if finished:
            pct: float | None = 100.0
            eta = ""
            amount = f"{human_size(done)}/{human_size(done)}"
        else:
            pct = min(100.0, 100.0 * done / total) if total else None
            # No total, no ETA (it would be a guess).
            eta = f"ETA {_eta((total - done) / rate)}" if total and rate > 0 and total >= done else ""
            amount = f"{human_size(done)}/{human_size(total)}" if total else human_size(done)
        bar = ""
        if pct is not None:
            cells = 20
            filled = int(cells * pct / 100)
            bar = "[" + "#" * filled + "-" * (cells - filled) + f"] {pct:3.0f}% "
        line = f"{profile} {bar}{amount} {human_size(int(rate))}/s {eta} {current or ''}".rstrip()
        return line[: max(10, width - 1)].ljust(width - 1)

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        self._latest[p.profile] = p
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        done, total = p.bytes_done, p.bytes_total
        if self.tty:
            width = shutil.get_terminal_size((80, 20)).columns
            self._write("\r" + self._bar_line(p.profile, done, total, p.rate, p.current_file, width))
            self._drawn = True
        else:
            pct = min(100.0, 100.0 * done / total) if total else None
            rate = f"{human_size(int(p.rate))}/s"
            eta = f"ETA {_eta((total - done) / p.rate)}" if total and p.rate > 0 and total >= done else ""
            amount = f"{human_size(done)}/{human_size(total)}" if total else human_size(done)
            pct_text = f" ({pct:.0f}%)" if pct is not None else ""
            current = f" {p.current_file}" if p.current_file else ""
            self.event(f"sync {p.profile}: {amount}{pct_text}, {p.files_done} files, {rate} {eta}{current}".rstrip())

    def finish(self, report: SyncReport) -> None:
        """End `report`'s bar: at 100% after a success (kept on screen), erased otherwise.

        Off a terminal nothing is drawn: the result event line says it all.
        """
        last = self._latest.pop(report.profile, None)
        if not (self.enabled and self.tty):
            return
        self.clear()
        if last is None or report.status != "success":
            return
        done = max(last.bytes_done, report.bytes_transferred)
        rate = done / report.duration_seconds if report.duration_seconds > 0 else last.rate
        width = shutil.get_terminal_size((80, 20)).columns
        self._write(self._bar_line(report.profile, done, None, rate, None, width, finished=True).rstrip() + "\n")


class _EchoHandler(logging.Handler):
    """Logging to the *current* stderr (click.echo looks it up on every call)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(self.format(record), err=True)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


_HANDLER: _EchoHandler | None = None


def _setup_logging(verbose: int, quiet: bool) -> None:
    """Send the library's log records to stderr at a level set by -v (-q keeps warnings)."""
    global _HANDLER
    logger = logging.getLogger("datalake")
    if _HANDLER is None:
        _HANDLER = _EchoHandler()
        logger.addHandler(_HANDLER)
    tty = _stderr_is_tty()
    fmt = "%(levelname)s: %(message)s" if tty else "%(asctime)s %(levelname)s %(name)s: %(message)s"
    _HANDLER.setFormatter(logging.Formatter(fmt))
    level = logging.WARNING if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logger.setLevel(level)


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the flush at exit stays quiet
    (the recipe of the Python docs, "Note on SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (tests)
        pass


def _handle_errors(func: F) -> F:
    """Turn library errors, Ctrl-C and SIGTERM into one stderr line and an exit code.

    Lives on every command (not only in `main`) so that the exit codes also
    hold when the group is mounted in another click CLI.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        as_json = kwargs.get("fmt") == "json"
        try:
            return func(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt as e:  # Terminated (SIGTERM) included
            _error(_interrupted_message(e))
            if as_json:
                _json_out(_error_doc(e))
            ctx.exit(exit_code_for_error(e))
        except DataLakeError as e:
            _error(str(e))
            if as_json:
                _json_out(_error_doc(e))
            ctx.exit(exit_code_for_error(e))
        except BrokenPipeError:
            # `datalake status | head`: the reader went away; nothing to report.
            _silence_stdout()
            ctx.exit(EXIT_OK)
        except (SystemExit, GeneratorExit):
            raise
        except BaseException as e:  # noqa: B036 - also a Rust panic (pyo3 PanicException), a bug by definition
            if _state().verbose >= 2:
                traceback.print_exc()
            _error(f"internal error: {type(e).__name__}: {e} (a bug: please report it; -vv shows the traceback)")
            if as_json:
                _json_out(_error_doc(e))
            ctx.exit(EXIT_FAILED)

    return cast(F, wrapper)


def _complete_profiles(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of profile names from the config file."""
    path = ctx.params.get("config_path") or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG
    try:
        names = list(DataLake.open(path).config.profiles)
    except Exception:
        return []
    return [n for n in names if n.startswith(incomplete)]


def _config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        default=DEFAULT_CONFIG,
        envvar=CONFIG_ENV,
        show_default=True,
        show_envvar=True,
        help="The data lake config file.",
    )(func)


def _format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="table for people, json for programs (one JSON document on stdout).",
    )(func)


def _profile_selection(profile: str | None, all_: bool) -> None:
    if profile and all_:
        raise click.UsageError("give either a PROFILE or --all, not both")
    if not profile and not all_:
        raise click.UsageError("give a PROFILE or --all")


def _open(config_path: str) -> DataLake:
    """Open the config; its warnings go to stderr (every front end shows them, -q too)."""
    lake = DataLake.open(config_path)
    for d in lake.config.warnings:
        click.echo(f"warning: {d}", err=True)
    return lake


def _config_warning_texts(lake: DataLake) -> set[str]:
    return {t for d in lake.config.warnings for t in (str(d), d.message)}


# ---------------------------------------------------------------- the group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="No informational lines: only warnings, errors and requested data.")
@click.version_option(package_name="datalake", prog_name="datalake")
@click.pass_context
def data_lake(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Sync market data from collector machines into the local data lake."""
    ctx.obj = _State(verbose=verbose, quiet=quiet)
    _setup_logging(verbose, quiet)


@data_lake.command()
@_config_option
@_format_option
@_handle_errors
def validate(config_path: str, fmt: str) -> None:
    """Check the config file: every error and warning, file:line:col first."""
    report = validate_file(config_path)
    if fmt == "json":
        _json_out(report.to_dict())
    else:
        for d in list(report.errors) + list(report.warnings):
            where = ""
            if d.file is not None:
                where = str(d.file)
                if d.line is not None:
                    where += f":{d.line}"
                    if d.column is not None:
                        where += f":{d.column}"
                where += ": "
            key = f"{d.key}: " if d.key else ""
            click.echo(f"{where}{d.severity}: {key}{d.message}")
        n_err, n_warn = len(report.errors), len(report.warnings)
        counts = f"{n_err} error{'s' if n_err != 1 else ''}, {n_warn} warning{'s' if n_warn != 1 else ''}"
        if not report.ok:
            _error(f"{report.path}: {counts}")
        elif not _state().quiet:
            click.echo(f"{report.path}: OK, {counts}")
    click.get_current_context().exit(EXIT_OK if report.ok else EXIT_USAGE)


@data_lake.command("test-connection")
@click.argument("profile", shell_complete=_complete_profiles)
@_config_option
@_format_option
@_handle_errors
def test_connection(profile: str, config_path: str, fmt: str) -> None:
    """Check that PROFILE's collector is reachable, authenticates and is readable."""
    lake = _open(config_path)
    report = lake.test_connection(profile)
    if fmt == "json":
        _json_out(report.to_dict())
    else:
        rows = [
            ("profile", report.profile),
            ("target", report.target),
            ("status", report.status),
            ("round trip", f"{report.round_trip_ms:.0f} ms" if report.round_trip_ms is not None else "-"),
            ("local rsync", report.local_rsync_version or "-"),
            ("remote rsync", report.remote_rsync_version or "-"),
            ("remote entries", report.remote_entries if report.remote_entries is not None else "-"),
        ]
        click.echo(_kv(rows))
        for w in report.warnings:
            click.echo(f"warning: {w}", err=True)
    if not report.ok:
        _error(report.message)
        click.get_current_context().exit(EXIT_FAILED)


def _sync_rows(reports: Sequence[SyncReport]) -> str:
    rows = [
        (
            r.profile,
            r.status + (" (dry run)" if r.dry_run else ""),
            r.files_transferred,
            human_size(r.bytes_transferred),
            _duration(r.duration_seconds),
            r.attempts,
        )
        for r in reports
    ]
    return _table(("PROFILE", "STATUS", "FILES", "TRANSFERRED", "DURATION", "ATTEMPTS"), rows, right=(2, 3, 4, 5))


def _print_sync_details(reports: Sequence[SyncReport], already_shown: set[str], summary: bool) -> None:
    """Errors and warnings of each run on stderr (always, -q too); with `summary`,
    also what the retention run removed (stdout, informational)."""
    for r in reports:
        for e in r.errors:
            if e not in already_shown:  # e.g. printed as the command's `Error:` line
                click.echo(f"{r.profile}: error: {e}", err=True)
        for w in r.warnings:
            if w not in already_shown:  # config warnings were printed when the config was opened
                click.echo(f"{r.profile}: warning: {w}", err=True)
        c = r.cleanup
        if c is None:
            continue
        for w in c.warnings:  # e.g. the newest day kept although expired: a dead collector
            click.echo(f"{r.profile}: cleanup warning: {w}", err=True)
        if summary and c.deleted_dirs:
            click.echo(
                f"{r.profile}: cleanup {'would delete' if c.dry_run else 'deleted'} {c.deleted_dirs} partitions, "
                f"{c.deleted_files} files, {human_size(c.freed_bytes)}"
            )


def _plan_event(display: ProgressDisplay, r: SyncReport) -> None:
    """One line on what the planner chose: window or full (and why), partitions, streams."""
    if r.mode is None:
        return
    why = f" ({r.full_sync_reason})" if r.full_sync_reason else ""
    streams = f", {r.streams} streams" if r.streams > 1 else ""
    missed = ""
    if r.files_missed_by_window is not None:
        missed = f", {r.files_missed_by_window} files missed by the window"
    display.event(f"sync {r.profile}: {r.mode} run{why}, {r.partitions_covered} partitions{streams}{missed}")


@data_lake.command()
@click.argument("profile", required=False, shell_complete=_complete_profiles)
@click.option("--all", "all_", is_flag=True, help="Sync every enabled profile.")
@click.option("--dry-run", is_flag=True, help="Show what would be transferred; change nothing.")
@click.option(
    "--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True, help="Profiles at once (--all)."
)
@click.option("--no-cleanup", is_flag=True, help="Skip the retention run after the sync.")
@click.option("--full", is_flag=True, help="Transfer the whole tree, not just the recent window.")
@_config_option
@_format_option
@_handle_errors
def sync(
    profile: str | None,
    all_: bool,
    dry_run: bool,
    jobs: int,
    no_cleanup: bool,
    full: bool,
    config_path: str,
    fmt: str,
) -> None:
    """Pull new data for PROFILE (or --all enabled profiles) from the collectors."""
    _profile_selection(profile, all_)
    state = _state()
    lake = _open(config_path)
    display = ProgressDisplay(tty=_stderr_is_tty(), enabled=not state.quiet)
    ctx = click.get_current_context()

    if all_:
        names = lake.config.enabled_profiles()
        display.event(f"sync: {len(names)} enabled profiles: {', '.join(names) or 'none'}")
        try:
            reports = lake.sync_all(
                jobs=jobs, dry_run=dry_run, cleanup=not no_cleanup, progress=display, full=full
            )
        except KeyboardInterrupt as e:  # Terminated (SIGTERM) included
            display.clear()
            reports = list(getattr(e, "reports", None) or [])
            _error(_interrupted_message(e))
            if fmt == "json":
                _json_out([r.to_dict() for r in reports])
            ctx.exit(exit_code_for_error(e))
        for r in reports:
            display.finish(r)
        for r in reports:
            display.event(
                f"sync {r.profile}: {r.status}, {r.files_transferred} files, "
                f"{human_size(r.bytes_transferred)} in {_duration(r.duration_seconds)}"
            )
            _plan_event(display, r)
        if fmt == "json":
            _json_out([r.to_dict() for r in reports])
        elif not state.quiet:
            click.echo(_sync_rows(reports))
        _print_sync_details(reports, _config_warning_texts(lake), summary=fmt != "json" and not state.quiet)
        ctx.exit(worst(exit_code_for_report(r) for r in reports))

    assert profile is not None
    lake.profile(profile)  # unknown name: ProfileNotFoundError before anything is printed
    display.event(f"sync {profile}: started{' (dry run)' if dry_run else ''}")
    report: SyncReport | None
    shown = _config_warning_texts(lake)
    try:
        report = lake.sync(profile, dry_run=dry_run, cleanup=not no_cleanup, progress=display, full=full)
        code = exit_code_for_report(report)
    except KeyboardInterrupt as e:  # Terminated (SIGTERM) included
        display.clear()
        report = getattr(e, "report", None)
        code = exit_code_for_error(e)
        _error(_interrupted_message(e))
        if report is None:  # stopped before the core returned a report
            if fmt == "json":
                _json_out(_error_doc(e))
            ctx.exit(code)
        shown.update(report.errors)  # the core's "interrupted" error says what the line above said
    except DataLakeError as e:
        display.clear()
        report = e.report if isinstance(e.report, SyncReport) else None
        code = exit_code_for_error(e)
        _error(str(e))
        if report is None:
            if fmt == "json":
                _json_out(_error_doc(e))
            ctx.exit(code)
        shown.add(str(e))  # the report's errors hold the same message: print it once
    assert report is not None
    display.finish(report)
    display.event(
        f"sync {report.profile}: {report.status}, {report.files_transferred} files, "
        f"{human_size(report.bytes_transferred)} in {_duration(report.duration_seconds)}"
    )
    _plan_event(display, report)
    if fmt == "json":
        _json_out(report.to_dict())
    elif not state.quiet:
        click.echo(_sync_rows([report]))
    _print_sync_details([report], shown, summary=fmt != "json" and not state.quiet)
    ctx.exit(code)


def _stats_fields(s: ProfileStats) -> list[tuple[str, Any]]:
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
        ("newest file", f"{_local_time(s.newest_file_mtime)} ({_ago(s.newest_file_mtime)})"),
        ("retention", f"{s.retention_days} days"),
        ("expired, not cleaned", f"{s.expired_partitions} partitions, {human_size(s.expired_bytes)}"),
        ("partial files", f"{s.partial_files} ({human_size(s.partial_bytes)})"),
        ("symlinks", s.symlinks),
        ("last sync", f"{_local_time(s.last_sync_time)} ({_ago(s.last_sync_time)})"),
        ("last sync status", s.last_sync_status or "-"),
        ("last success", f"{_local_time(s.last_success_time)} ({_ago(s.last_success_time)})"),
        ("consecutive failures", s.consecutive_failures),
    ]


@data_lake.command()
@click.argument("profile", required=False, shell_complete=_complete_profiles)
@click.option("--all", "all_", is_flag=True, help="Every profile.")
@_config_option
@_format_option
@_handle_errors
def stats(profile: str | None, all_: bool, config_path: str, fmt: str) -> None:
    """What is in the lake for PROFILE (or --all profiles)."""
    _profile_selection(profile, all_)
    lake = _open(config_path)
    if not all_:
        assert profile is not None
        s = lake.stats(profile)
        if fmt == "json":
            _json_out(s.to_dict())
        else:
            click.echo(_kv(_stats_fields(s)))
        return
    results: list[ProfileStats] = [lake.stats(name) for name in lake.config.profiles]
    if fmt == "json":
        _json_out([s.to_dict() for s in results])
        return
    rows = [
        (
            s.profile_name,
            s.file_count,
            s.total_size_human,
            s.partition_count,
            s.earliest_date or "-",
            s.latest_date or "-",
            _ago(s.last_sync_time),
            s.last_sync_status or "-",
            s.expired_partitions,
        )
        for s in results
    ]
    click.echo(
        _table(
            ("PROFILE", "FILES", "SIZE", "PARTITIONS", "EARLIEST", "LATEST", "LAST SYNC", "STATUS", "EXPIRED"),
            rows,
            right=(1, 2, 3, 8),
        )
    )


@data_lake.command()
@click.argument("profile", required=False, shell_complete=_complete_profiles)
@click.option("--all", "all_", is_flag=True, help="Every enabled profile.")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@_config_option
@_format_option
@_handle_errors
def cleanup(profile: str | None, all_: bool, dry_run: bool, config_path: str, fmt: str) -> None:
    """Delete partitions older than retention_days for PROFILE (or --all)."""
    _profile_selection(profile, all_)
    state = _state()
    lake = _open(config_path)
    ctx = click.get_current_context()
    if not all_:
        assert profile is not None
        report = lake.cleanup(profile, dry_run=dry_run)
        if fmt == "json":
            _cleanup_warnings([report])
            _json_out(report.to_dict())
        else:
            _print_cleanup([report], verbose=dry_run or state.verbose > 0, quiet=state.quiet)
        return
    reports: list[CleanupReport] = []
    docs: list[dict[str, Any]] = []
    codes: list[int] = []
    for name in lake.config.enabled_profiles():
        try:
            r = lake.cleanup(name, dry_run=dry_run)
        except DataLakeError as e:
            _error(f"{name}: {e}")
            codes.append(exit_code_for_error(e))
            docs.append({"profile": name, **_error_doc(e)})
            continue
        reports.append(r)
        docs.append(r.to_dict())
    if fmt == "json":
        _cleanup_warnings(reports)
        _json_out(docs)
    else:
        _print_cleanup(reports, verbose=dry_run or state.verbose > 0, quiet=state.quiet)
    ctx.exit(worst(codes))


def _cleanup_warnings(reports: Sequence[CleanupReport]) -> None:
    """Cleanup warnings on stderr in every output mode (e.g. a dead collector's newest day kept)."""
    for r in reports:
        for w in r.warnings:
            click.echo(f"{r.profile}: warning: {w}", err=True)


def _print_cleanup(reports: Sequence[CleanupReport], verbose: bool, quiet: bool) -> None:
    for r in reports:
        if verbose:
            for p in r.deleted_paths:
                click.echo(f"{'would delete' if r.dry_run else 'deleted'} {p}")
        for s in r.skipped:
            if verbose:
                click.echo(f"kept {s.path}: {s.reason}")
    _cleanup_warnings(reports)
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
    click.echo(_table(("PROFILE", "KEEP FROM", "PARTITIONS", "FILES", verb), rows, right=(2, 3, 4)))


@data_lake.command()
@_config_option
@_format_option
@_handle_errors
def status(config_path: str, fmt: str) -> None:
    """One line per profile: enabled, last sync and its age, status, files, size."""
    lake = _open(config_path)
    profiles = lake.config.profiles
    rows: list[Sequence[Any]] = []
    docs: list[dict[str, Any]] = []
    now = datetime.now(timezone.utc)
    for name, p in profiles.items():
        try:
            s = lake.stats(name)
        except DataLakeError as e:
            rows.append((name, "yes" if p.enabled else "no", "-", "-", f"error: {e}", "-", "-"))
            docs.append({"profile_name": name, "enabled": p.enabled, **_error_doc(e)})
            continue
        age = (now - s.last_sync_time).total_seconds() if s.last_sync_time else None
        docs.append({**s.to_dict(), "enabled": p.enabled, "last_sync_age_seconds": age})
        rows.append(
            (
                name,
                "yes" if p.enabled else "no",
                _local_time(s.last_sync_time),
                _ago(s.last_sync_time, now),
                s.last_sync_status or "never synced",
                s.file_count,
                s.total_size_human,
            )
        )
    if fmt == "json":
        _json_out(docs)
        return
    click.echo(_table(("PROFILE", "ENABLED", "LAST SYNC", "AGE", "STATUS", "FILES", "SIZE"), rows, right=(5, 6)))


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (`datalake`, `python -m datalake`).

    Installs a SIGTERM handler that raises :class:`Terminated`, so ``kill``,
    ``timeout`` and ``systemctl stop`` stop a sync as cleanly as Ctrl-C
    (rsync stopped, checkpoint ``interrupted``, exit 143). Only here: the
    library and the click group mounted in another program never touch the
    program's signal handlers.
    """
    received: list[int] = []

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        raise Terminated(f"terminated by {signal.Signals(signum).name}")

    # signal.signal works in the main thread only; elsewhere the caller owns signals.
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_sigterm) if in_main_thread else None
    try:
        data_lake.main(args=list(argv) if argv is not None else None, prog_name="datalake")
    except KeyboardInterrupt as e:  # outside any command, e.g. between click's parsing steps
        click.echo(f"Error: {_interrupted_message(e)}", err=True)
        sys.exit(exit_code_for_error(e))
    except SystemExit as e:
        # A SIGTERM that click caught itself (it turns KeyboardInterrupt into
        # "Aborted!", exit 1) or that reached the core as a plain cancellation.
        if received and e.code not in (0, None, EXIT_TERMINATED):
            sys.exit(EXIT_TERMINATED)
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
