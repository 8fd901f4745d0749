"""``datalake verify`` and ``datalake coverage``: the truth about the data.

What a result means (broken? a gap? ok? which profiles ``--all`` covers, the
exit code) is decided in the core; these commands print it and exit with the
result's ``cli_exit_code``.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from datalake import _render as render
from datalake._datalake import Coverage, Progress, VerifyReport, human_size
from datalake._progress import ProgressDisplay
from datalake.cli._common import (
    complete_profiles,
    config_option,
    format_option,
    handle_errors,
    open_lake,
    profile_selection,
)

__all__ = ["verify", "coverage"]


def _print_verify(r: VerifyReport) -> None:
    for b in r.broken:
        click.echo(f"{r.profile}: broken {b['path']}: {b['reason']}")
    remote: dict[str, Any] | None = r.remote
    if remote is not None:
        for p in remote["differ"]:
            click.echo(f"{r.profile}: differs from the collector {p}")
        for p in remote["missing_locally"]:
            click.echo(f"{r.profile}: only on the collector {p}")
        for p in remote["missing_on_collector"]:
            click.echo(f"{r.profile}: only in the lake {p}")
    for w in r.warnings:
        click.echo(f"{r.profile}: warning: {w}", err=True)


class _BarPerProfile:
    """``verify --all``: a fresh bar for each profile, as when each is verified on its own."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._profile: str | None = None
        self._bar: ProgressDisplay | None = None

    def __call__(self, p: Progress) -> None:
        if self._bar is None or p.profile != self._profile:
            self.clear()
            self._profile = p.profile
            self._bar = ProgressDisplay(tty=render.stderr_is_tty(), enabled=self.enabled, style="verify")
        self._bar(p)

    def clear(self) -> None:
        if self._bar is not None:
            self._bar.clear()


@click.command()
@click.argument("profile", required=False, shell_complete=complete_profiles)
@click.option("--all", "all_", is_flag=True, help="Every profile.")
@click.option(
    "--remote",
    is_flag=True,
    help="Also compare with the collector by checksum (rsync --checksum --dry-run, within retention).",
)
@config_option
@format_option
@handle_errors
def verify(profile: str | None, all_: bool, remote: bool, config_path: str, fmt: str) -> None:
    """Check every Parquet file of PROFILE (or --all): footer intact? Exit 1 if one is broken or differs."""
    profile_selection(profile, all_)
    state = render.state()
    lake = open_lake(config_path)
    bar = _BarPerProfile(enabled=not state.quiet)
    try:
        if all_:
            result = lake.verify_all(remote=remote, progress=bar)
            reports, code = result.reports, result.cli_exit_code
        else:
            assert profile is not None
            report = lake.verify(profile, remote=remote, progress=bar)
            reports, code = [report], report.cli_exit_code
    finally:
        bar.clear()
    if fmt == "json":
        docs = [r.to_dict() for r in reports]
        render.json_out(docs if all_ else docs[0])
        for r in reports:
            for w in r.warnings:
                click.echo(f"{r.profile}: warning: {w}", err=True)
    else:
        for r in reports:
            _print_verify(r)
        if not state.quiet:
            rows = []
            for r in reports:
                diff: dict[str, Any] | None = r.remote
                rows.append(
                    (
                        r.profile,
                        r.files_checked,
                        human_size(r.bytes_checked),
                        len(r.broken),
                        len(r.quarantined),
                        len(diff["differ"]) if diff else "-",
                        len(diff["missing_locally"]) if diff else "-",
                        len(diff["missing_on_collector"]) if diff else "-",
                        "ok" if r.ok else "BROKEN",
                    )
                )
            headers = ("PROFILE", "FILES", "SIZE", "BROKEN", "QUARANTINED", "DIFFER", "ONLY REMOTE", "ONLY LAKE", "")
            click.echo(render.table(headers, rows, right=(1, 2, 3, 4, 5, 6, 7)))
    click.get_current_context().exit(code)


@click.command()
@click.argument("profile", required=False, shell_complete=complete_profiles)
@click.option("--all", "all_", is_flag=True, help="Every profile.")
@click.option(
    "--days", type=click.IntRange(1, 3660), default=30, show_default=True, help="Days shown, up to the latest."
)
@click.option(
    "--fail-on-gaps", is_flag=True, help="Exit 1 when a series misses a day (default: gaps are facts, exit 0)."
)
@config_option
@format_option
@handle_errors
def coverage(profile: str | None, all_: bool, days: int, fail_on_gaps: bool, config_path: str, fmt: str) -> None:
    """Which days each series of PROFILE (or --all) has: # present, . missing, x expired, ! partial/quarantined."""
    profile_selection(profile, all_)
    lake = open_lake(config_path)
    results: list[Coverage]
    if all_:
        every = lake.coverage_all(fail_on_gaps=fail_on_gaps)
        results, code = every.coverages, every.cli_exit_code
    else:
        assert profile is not None
        one = lake.coverage(profile, fail_on_gaps=fail_on_gaps)
        results, code = [one], one.cli_exit_code
    if fmt == "json":
        docs = [c.to_dict() for c in results]
        render.json_out(docs if all_ else docs[0])
    else:
        color = sys.stdout.isatty()
        click.echo("\n".join(c.grid(days, color) for c in results), nl=False)
    click.get_current_context().exit(code)
