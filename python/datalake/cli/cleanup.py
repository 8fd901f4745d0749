"""``datalake cleanup``: apply retention to one profile or ``--all`` enabled ones."""

from __future__ import annotations

from typing import Any

import click

from datalake import _render as render
from datalake._datalake import CleanupReport
from datalake.cli._common import (
    complete_profiles,
    config_option,
    format_option,
    handle_errors,
    open_lake,
    profile_selection,
)

__all__ = ["cleanup"]


@click.command()
@click.argument("profile", required=False, shell_complete=complete_profiles)
@click.option("--all", "all_", is_flag=True, help="Every enabled profile.")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@config_option
@format_option
@handle_errors
def cleanup(profile: str | None, all_: bool, dry_run: bool, config_path: str, fmt: str) -> None:
    """Delete partitions older than retention_days for PROFILE (or --all)."""
    profile_selection(profile, all_)
    state = render.state()
    lake = open_lake(config_path)
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
    # The core cleans every enabled profile, goes on past one that fails, and decides the exit code.
    result = lake.cleanup_all(dry_run=dry_run)
    reports: list[CleanupReport] = []
    docs: list[dict[str, Any]] = []
    for name, r in result.results:
        if isinstance(r, CleanupReport):
            reports.append(r)
            docs.append(r.to_dict())
        else:
            render.error(f"{name}: {r}")
            docs.append({"profile": name, **render.error_doc(r)})
    if fmt == "json":
        render.cleanup_warnings(reports)
        render.json_out(docs)
    else:
        render.print_cleanup(reports, verbose=dry_run or state.verbose > 0, quiet=state.quiet)
    ctx.exit(result.cli_exit_code)
