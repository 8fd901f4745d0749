"""``datalake sync``: pull new data for one profile or ``--all`` enabled ones.

One code path for both: a single profile's run is shown as each run of
``--all`` is. What differs is the start line, the JSON document (one object, or
a list), and an interrupted ``--all``, which shows only the runs that had ended
(in JSON).
"""

from __future__ import annotations

import click

from datalake import _render as render
from datalake._datalake import DataLakeError, SyncReport, human_size
from datalake._exit import exit_code_for_error
from datalake._progress import ProgressDisplay
from datalake.cli._common import (
    complete_profiles,
    config_option,
    format_option,
    handle_errors,
    open_lake,
    profile_selection,
)

__all__ = ["sync"]


@click.command()
@click.argument("profile", required=False, shell_complete=complete_profiles)
@click.option("--all", "all_", is_flag=True, help="Sync every enabled profile.")
@click.option("--dry-run", is_flag=True, help="Show what would be transferred; change nothing.")
@click.option(
    "--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True, help="Profiles at once (--all)."
)
@click.option(
    "--cleanup/--no-cleanup", default=True, show_default=True, help="Run retention after the sync (or skip it)."
)
@click.option("--full", is_flag=True, help="Transfer the whole tree, not just the recent window.")
@config_option
@format_option
@handle_errors
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
    profile_selection(profile, all_)
    state = render.state()
    lake = open_lake(config_path)
    display = ProgressDisplay(tty=render.stderr_is_tty(), enabled=not state.quiet)
    ctx = click.get_current_context()

    if all_:
        names = lake.select_profiles("sync")
        display.event(
            f"sync: {len(names)} enabled profiles: {', '.join(names) or 'none'}", "sync_started", profiles=names
        )
    else:
        assert profile is not None
        lake.profile(profile)  # unknown name: ProfileNotFoundError before anything is printed
        display.event(
            f"sync {profile}: started{' (dry run)' if dry_run else ''}", "sync_started", profile, dry_run=dry_run
        )
    reports: list[SyncReport]
    shown: set[str] = set()  # errors already printed as the command's `Error:` line
    try:
        if all_:
            everything = lake.sync_all(jobs=jobs, dry_run=dry_run, cleanup=cleanup, progress=display, full=full)
            reports, code = everything.reports, everything.cli_exit_code
        else:
            assert profile is not None
            report = lake.sync(profile, dry_run=dry_run, cleanup=cleanup, progress=display, full=full)
            reports, code = [report], report.cli_exit_code
    except (KeyboardInterrupt, DataLakeError) as e:  # Terminated (SIGTERM) included
        interrupted = isinstance(e, KeyboardInterrupt)
        if all_ and not interrupted:
            raise  # sync_all puts each profile's failure in its report: this one is handle_errors' to show
        display.clear()
        code = exit_code_for_error(e)
        render.error(render.interrupted_message(e) if interrupted else str(e))
        if all_:
            # The runs that had ended: listed in the JSON document, nothing else shown.
            if fmt == "json":
                render.json_out([r.to_dict() for r in getattr(e, "reports", None) or []])
            ctx.exit(code)
        stopped = getattr(e, "report", None)
        if not isinstance(stopped, SyncReport):  # stopped before the core had a report
            if fmt == "json":
                render.json_out(render.error_doc(e))
            ctx.exit(code)
        reports = [stopped]
        # The report's errors say what the line above said: print it once (an
        # interruption's "interrupted" error, or the failure's own message).
        shown.update(stopped.errors if interrupted else [str(e)])

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
        docs = [r.to_dict() for r in reports]
        render.json_out(docs if all_ else docs[0])
    elif not state.quiet:
        click.echo(render.sync_rows(reports))
    render.print_sync_details(reports, shown, summary=fmt != "json" and not state.quiet)
    ctx.exit(code)
