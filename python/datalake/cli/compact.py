"""``datalake compact``: closed days of one profile, or ``--all`` profiles with
``compact.enabled``, into their Delta tables.

What the run did and what it means (``status``, the error, the exit code) is
decided in the core; this command prints the report: a line per profile, the
days left raw with their reasons, and with ``-v`` every series-day written.
"""

from __future__ import annotations

from typing import Any

import click

from datalake import _render as render
from datalake._datalake import CompactReport, DataLakeError, human_size
from datalake._progress import ProgressDisplay
from datalake.cli._common import (
    complete_profiles,
    config_option,
    format_option,
    handle_errors,
    open_lake,
    profile_selection,
)

__all__ = ["compact"]


def _ratio(before: int, after: int) -> str:
    return f"{after / before:.2f}x" if before and after else "-"


def _rows(reports: list[CompactReport]) -> str:
    headers = ["PROFILE", "STATUS", "DAYS", "MERGED", "PARTS", "ROWS IN", "ROWS OUT", "DUPLICATES", "BEFORE", "AFTER", "RATIO"]
    rows = [
        [
            r.profile,
            r.status + (" (dry run)" if r.dry_run else ""),
            r.days_compacted,
            r.days_merged,
            r.parts_absorbed,
            r.rows_in,
            r.rows_out,
            r.duplicates_dropped,
            human_size(r.bytes_before),
            human_size(r.bytes_after),
            _ratio(r.bytes_before, r.bytes_after),
        ]
        for r in reports
    ]
    return render.table(headers, rows, right=range(2, 11))


def _details(r: CompactReport, verbose: bool) -> None:
    for day in r.skipped:
        click.echo(f"{r.profile}: {day['series']} {day['date']} stays raw: {day['reason']}", err=True)
    for w in r.warnings:
        click.echo(f"{r.profile}: warning: {w}", err=True)
    if r.status in ("failed", "interrupted"):
        for e in r.errors:
            click.echo(f"{r.profile}: {e}", err=True)
    if verbose:
        for d in r.days:
            merged = " (into the table's day)" if d["merged"] else ""
            if r.dry_run:
                click.echo(
                    f"{r.profile}: {d['series']} {d['date']}: would absorb {d['parts']} parts "
                    f"({human_size(d['bytes_before'])}){merged}"
                )
                continue
            extra = f", added columns {', '.join(d['added_columns'])}" if d["added_columns"] else ""
            click.echo(
                f"{r.profile}: {d['series']} {d['date']}{merged}: {d['parts']} parts, "
                f"{d['rows_in']} -> {d['rows_out']} rows ({d['duplicates']} duplicates), "
                f"{human_size(d['bytes_before'])} -> {human_size(d['bytes_after'])} in {d['files']} file(s){extra}"
            )


@click.command()
@click.argument("profile", required=False, shell_complete=complete_profiles)
@click.option("--all", "all_", is_flag=True, help="Every profile with compact.enabled.")
@click.option("--dry-run", is_flag=True, help="Show which days would be compacted; change nothing.")
@config_option
@format_option
@handle_errors
def compact(profile: str | None, all_: bool, dry_run: bool, config_path: str, fmt: str) -> None:
    """Compact the closed days of PROFILE (or --all) into its Delta table, every raw part exactly once."""
    profile_selection(profile, all_)
    state = render.state()
    lake = open_lake(config_path)
    ctx = click.get_current_context()
    bar = ProgressDisplay(tty=render.stderr_is_tty(), enabled=not state.quiet, style="compact")
    reports: list[CompactReport] = []
    docs: list[dict[str, Any]] = []
    try:
        if all_:
            # The core compacts every profile with compact.enabled, goes on past one that
            # fails, and decides the exit code.
            result = lake.compact_all(dry_run=dry_run, progress=bar)
            code = result.cli_exit_code
            for name, r in result.results:
                if isinstance(r, CompactReport):
                    reports.append(r)
                    docs.append(r.to_dict())
                else:
                    render.error(f"{name}: {r}")
                    docs.append({"profile": name, **render.error_doc(r)})
        else:
            assert profile is not None
            try:
                report = lake.compact(profile, dry_run=dry_run, progress=bar)
            except DataLakeError as e:
                stopped = getattr(e, "report", None)
                if not isinstance(stopped, CompactReport):
                    raise  # it could not run: handle_errors prints it and exits with its code
                report = stopped
            reports.append(report)
            docs.append(report.to_dict())
            code = report.cli_exit_code
    finally:
        bar.clear()
    if fmt == "json":
        render.json_out(docs if all_ else docs[0])
    elif reports and not state.quiet:
        click.echo(_rows(reports))
    for r in reports:
        _details(r, verbose=state.verbose > 0 or dry_run)
    ctx.exit(code)
