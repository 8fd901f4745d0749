"""``datalake validate`` and ``datalake test-connection``: is the config right,
and can a profile's collector be reached with it?"""

from __future__ import annotations

import click

from datalake import _render as render
from datalake import logformat
from datalake._datalake import validate_file
from datalake.cli._common import complete_profiles, config_option, format_option, handle_errors, open_lake

__all__ = ["validate", "test_connection"]


@click.command()
@config_option
@format_option
@handle_errors
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


@click.command("test-connection")
@click.argument("profile", shell_complete=complete_profiles)
@config_option
@format_option
@handle_errors
def test_connection(profile: str, config_path: str, fmt: str) -> None:
    """Check that PROFILE's collector is reachable, authenticates and is readable."""
    lake = open_lake(config_path)
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
