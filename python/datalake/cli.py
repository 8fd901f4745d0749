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
import os
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from datetime import datetime, timezone
from types import FrameType
from typing import Any, Callable, TypeVar, cast

import click

from datalake import _render as render
from datalake import logformat
from datalake._datalake import (
    CleanupReport,
    DataLake,
    DataLakeError,
    ProfileStats,
    SyncReport,
    human_size,
    validate_file,
)
from datalake._exit import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    Terminated,
    exit_code_for_error,
    worst,
)
from datalake._render import ProgressDisplay

__all__ = [
    "data_lake",
    "main",
    "ProgressDisplay",
    "Terminated",
    "EXIT_OK",
    "EXIT_FAILED",
    "EXIT_USAGE",
    "EXIT_LOCKED",
    "EXIT_INTERRUPTED",
    "EXIT_TERMINATED",
]

DEFAULT_CONFIG = "config/data_lake.yml"
CONFIG_ENV = "DATALAKE_CONFIG"

F = TypeVar("F", bound=Callable[..., Any])


# ---------------------------------------------------------------- plumbing


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
            render.error(render.interrupted_message(e))
            if as_json:
                render.json_out(render.error_doc(e))
            ctx.exit(exit_code_for_error(e))
        except DataLakeError as e:
            render.error(str(e))
            if as_json:
                render.json_out(render.error_doc(e))
            ctx.exit(exit_code_for_error(e))
        except BrokenPipeError:
            # `datalake status | head`: the reader went away; nothing to report.
            render.silence_stdout()
            ctx.exit(EXIT_OK)
        except (SystemExit, GeneratorExit):
            raise
        except BaseException as e:  # noqa: B036 - also a Rust panic (pyo3 PanicException), a bug by definition
            if render.state().verbose >= 2:
                traceback.print_exc()
            render.error(f"internal error: {type(e).__name__}: {e} (a bug: please report it; -vv shows the traceback)")
            if as_json:
                render.json_out(render.error_doc(e))
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
        logformat.echo_err(f"warning: {d}", level="warning", event="config_warning", key=d.key, line=d.line)
    return lake


# ---------------------------------------------------------------- the group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="No informational lines: only warnings, errors and requested data.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="DATALAKE_LOG_FORMAT",
    show_envvar=True,
    help="stderr lines as text, or one JSON object per line (time, level, profile, event, fields) for log shippers.",
)
@click.version_option(package_name="datalake", prog_name="datalake")
@click.pass_context
def data_lake(ctx: click.Context, verbose: int, quiet: bool, log_format: str) -> None:
    """Sync market data from collector machines into the local data lake."""
    ctx.obj = render.State(verbose=verbose, quiet=quiet)
    render.setup_logging(verbose, quiet, log_format)


@data_lake.command()
@_config_option
@_format_option
@_handle_errors
def validate(config_path: str, fmt: str) -> None:
    """Check the config file: every error and warning, file:line:col first."""
    report = validate_file(config_path)
    if fmt == "json":
        render.json_out(report.to_dict())
    else:
        for d in list(report.errors) + list(report.warnings):
            click.echo(d.line_text)
        n_err, n_warn = len(report.errors), len(report.warnings)
        counts = f"{n_err} error{'s' if n_err != 1 else ''}, {n_warn} warning{'s' if n_warn != 1 else ''}"
        if not report.ok:
            render.error(f"{report.path}: {counts}")
        elif not render.state().quiet:
            click.echo(f"{report.path}: OK, {counts}")
    click.get_current_context().exit(report.cli_exit_code)


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
        render.json_out(report.to_dict())
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
        click.echo(render.kv(rows))
        for w in report.warnings:
            logformat.echo_err(f"warning: {w}", level="warning", event="connection_warning", profile=report.profile)
    if not report.ok:
        render.error(report.message)
    click.get_current_context().exit(report.cli_exit_code)


@data_lake.command()
@click.argument("profile", required=False, shell_complete=_complete_profiles)
@click.option("--all", "all_", is_flag=True, help="Sync every enabled profile.")
@click.option("--dry-run", is_flag=True, help="Show what would be transferred; change nothing.")
@click.option(
    "--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True, help="Profiles at once (--all)."
)
@click.option(
    "--cleanup/--no-cleanup", default=True, show_default=True, help="Run retention after the sync (or skip it)."
)
@click.option("--full", is_flag=True, help="Transfer the whole tree, not just the recent window.")
@_config_option
@_format_option
@_handle_errors
def sync(
    profile: str | None,
    all_: bool,
    dry_run: bool,
    jobs: int,
    cleanup: bool,
    full: bool,
    config_path: str,
    fmt: str,
) -> None:
    """Pull new data for PROFILE (or --all enabled profiles) from the collectors."""
    _profile_selection(profile, all_)
    state = render.state()
    lake = _open(config_path)
    display = ProgressDisplay(tty=render.stderr_is_tty(), enabled=not state.quiet)
    ctx = click.get_current_context()

    if all_:
        names = lake.config.enabled_profiles()
        display.event(
            f"sync: {len(names)} enabled profiles: {', '.join(names) or 'none'}", "sync_started", profiles=names
        )
        try:
            all_reports = lake.sync_all(jobs=jobs, dry_run=dry_run, cleanup=cleanup, progress=display, full=full)
        except KeyboardInterrupt as e:  # Terminated (SIGTERM) included
            display.clear()
            interrupted: list[SyncReport] = list(getattr(e, "reports", None) or [])
            render.error(render.interrupted_message(e))
            if fmt == "json":
                render.json_out([r.to_dict() for r in interrupted])
            ctx.exit(exit_code_for_error(e))
        reports = all_reports.reports
        for r in reports:
            display.finish(r)
        for r in reports:
            display.event(
                f"sync {r.profile}: {r.status}, {r.files_transferred} files, "
                f"{human_size(r.bytes_transferred)} in {render.duration(r.duration_seconds)}",
                **render.finished_fields(r),
            )
            render.plan_event(display, r)
        if fmt == "json":
            render.json_out([r.to_dict() for r in reports])
        elif not state.quiet:
            click.echo(render.sync_rows(reports))
        render.print_sync_details(reports, set(), summary=fmt != "json" and not state.quiet)
        ctx.exit(all_reports.cli_exit_code)

    assert profile is not None
    lake.profile(profile)  # unknown name: ProfileNotFoundError before anything is printed
    display.event(
        f"sync {profile}: started{' (dry run)' if dry_run else ''}", "sync_started", profile, dry_run=dry_run
    )
    report: SyncReport | None
    shown: set[str] = set()  # errors already printed as the command's `Error:` line
    try:
        report = lake.sync(profile, dry_run=dry_run, cleanup=cleanup, progress=display, full=full)
        code = report.cli_exit_code
    except KeyboardInterrupt as e:  # Terminated (SIGTERM) included
        display.clear()
        report = getattr(e, "report", None)
        code = exit_code_for_error(e)
        render.error(render.interrupted_message(e))
        if report is None:  # stopped before the core returned a report
            if fmt == "json":
                render.json_out(render.error_doc(e))
            ctx.exit(code)
        shown.update(report.errors)  # the core's "interrupted" error says what the line above said
    except DataLakeError as e:
        display.clear()
        report = e.report if isinstance(e.report, SyncReport) else None
        code = exit_code_for_error(e)
        render.error(str(e))
        if report is None:
            if fmt == "json":
                render.json_out(render.error_doc(e))
            ctx.exit(code)
        shown.add(str(e))  # the report's errors hold the same message: print it once
    assert report is not None
    display.finish(report)
    display.event(
        f"sync {report.profile}: {report.status}, {report.files_transferred} files, "
        f"{human_size(report.bytes_transferred)} in {render.duration(report.duration_seconds)}",
        **render.finished_fields(report),
    )
    render.plan_event(display, report)
    if fmt == "json":
        render.json_out(report.to_dict())
    elif not state.quiet:
        click.echo(render.sync_rows([report]))
    render.print_sync_details([report], shown, summary=fmt != "json" and not state.quiet)
    ctx.exit(code)


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
            render.json_out(s.to_dict())
        else:
            click.echo(render.kv(render.stats_fields(s)))
        return
    results: list[ProfileStats] = [lake.stats(name) for name in lake.config.profiles]
    if fmt == "json":
        render.json_out([s.to_dict() for s in results])
        return
    rows = [
        (
            s.profile_name,
            s.file_count,
            s.total_size_human,
            s.partition_count,
            s.earliest_date or "-",
            s.latest_date or "-",
            render.ago(s.last_sync_time),
            s.last_sync_status or "-",
            s.expired_partitions,
        )
        for s in results
    ]
    click.echo(
        render.table(
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
    state = render.state()
    lake = _open(config_path)
    ctx = click.get_current_context()
    if not all_:
        assert profile is not None
        report = lake.cleanup(profile, dry_run=dry_run)
        if fmt == "json":
            render.cleanup_warnings([report])
            render.json_out(report.to_dict())
        else:
            render.print_cleanup([report], verbose=dry_run or state.verbose > 0, quiet=state.quiet)
        return
    reports: list[CleanupReport] = []
    docs: list[dict[str, Any]] = []
    codes: list[int] = []
    for name in lake.config.enabled_profiles():
        try:
            r = lake.cleanup(name, dry_run=dry_run)
        except DataLakeError as e:
            render.error(f"{name}: {e}")
            codes.append(exit_code_for_error(e))
            docs.append({"profile": name, **render.error_doc(e)})
            continue
        reports.append(r)
        docs.append(r.to_dict())
    if fmt == "json":
        render.cleanup_warnings(reports)
        render.json_out(docs)
    else:
        render.print_cleanup(reports, verbose=dry_run or state.verbose > 0, quiet=state.quiet)
    ctx.exit(worst(codes))


@data_lake.command()
@click.option(
    "--max-age",
    metavar="DURATION",
    help="Health check (checkpoints only): exit 1 with one line per problem when an enabled profile's last "
    "success is older than DURATION (90min, 2h, 1d), its last run failed, or it never ran.",
)
@_config_option
@_format_option
@_handle_errors
def status(config_path: str, fmt: str, max_age: str | None) -> None:
    """One line per profile: enabled, last sync and its age, status, files, size."""
    lake = _open(config_path)
    if max_age is not None:
        from datalake.monitoring import health_check

        health_check(lake, max_age, fmt)
    profiles = lake.config.profiles
    rows: list[Sequence[Any]] = []
    docs: list[dict[str, Any]] = []
    now = datetime.now(timezone.utc)
    for name, p in profiles.items():
        try:
            s = lake.stats(name)
        except DataLakeError as e:
            rows.append((name, "yes" if p.enabled else "no", "-", "-", f"error: {e}", "-", "-"))
            docs.append({"profile_name": name, "enabled": p.enabled, **render.error_doc(e)})
            continue
        # The age is the command's own arithmetic: "now" is when this command looked.
        age = (now - s.last_sync_time).total_seconds() if s.last_sync_time else None
        docs.append({**s.to_dict(), "enabled": p.enabled, "last_sync_age_seconds": age})
        rows.append(
            (
                name,
                "yes" if p.enabled else "no",
                render.local_time(s.last_sync_time),
                render.ago(s.last_sync_time, now),
                s.last_sync_status or "never synced",
                s.file_count,
                s.total_size_human,
            )
        )
    if fmt == "json":
        render.json_out(docs)
        return
    click.echo(render.table(("PROFILE", "ENABLED", "LAST SYNC", "AGE", "STATUS", "FILES", "SIZE"), rows, right=(5, 6)))


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

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    # signal.signal works in the main thread only; elsewhere the caller owns signals.
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_sigterm) if in_main_thread else None
    # Ctrl-C raises KeyboardInterrupt as Python's default handler does (and so stops
    # a run cleanly), and is remembered. As the program, SIGINT had its default
    # action while starting up (datalake._startup). A handler the embedding
    # program installed itself is left alone.
    previous_int = None
    if in_main_thread and signal.getsignal(signal.SIGINT) in (signal.SIG_DFL, signal.default_int_handler):
        previous_int = signal.signal(signal.SIGINT, on_sigint)
    try:
        data_lake.main(args=list(argv) if argv is not None else None, prog_name="datalake")
    except KeyboardInterrupt as e:  # outside any command, e.g. between click's parsing steps
        logformat.echo_err(f"Error: {render.interrupted_message(e)}", level="error", event="error")
        sys.exit(exit_code_for_error(e))
    except SystemExit as e:
        # A signal is never lost: one that click caught itself (it turns
        # KeyboardInterrupt into "Aborted!", exit 1), or that reached the core as
        # a plain cancellation, still gives the signal's exit code.
        if received and e.code not in (EXIT_INTERRUPTED, EXIT_TERMINATED):
            sys.exit(EXIT_TERMINATED if received[-1] == signal.SIGTERM else EXIT_INTERRUPTED)
        raise
    finally:
        # Back to what was found; for the program that is the default action, so a
        # signal in its last instants ends it without a traceback (shell: 130/143).
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


# Commands that live in other modules (metrics: datalake.monitoring).
from datalake import monitoring as _monitoring  # noqa: E402

_monitoring.register(data_lake)

# `verify` and `coverage` live in their own module and register themselves on the group.
from datalake import quality as _quality  # noqa: E402,F401

# `files` (reading the lake) lives in its own module and is handed what it needs.
from datalake import files_cli as _files_cli  # noqa: E402

_files_cli.register(data_lake, handle_errors=_handle_errors, config_option=_config_option, open_lake=_open)
