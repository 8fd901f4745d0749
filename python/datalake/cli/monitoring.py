"""Monitoring commands of the ``datalake`` command line: ``metrics`` and the
health check behind ``status --max-age``.

``datalake metrics PROFILE`` / ``--all`` prints the Prometheus exposition
that sync and cleanup write into ``metrics_dir`` (for a Pushgateway or a
look by hand). ``datalake status --max-age 2h`` is the health check: exit 0
when every enabled profile is fine, exit 1 with one line per problem
otherwise; the verdicts come from the core (``DataLake.health``).
"""

from __future__ import annotations

import click

from datalake import _render as render
from datalake._datalake import DataLake
from datalake.cli._common import complete_profiles, config_option, handle_errors, open_lake, profile_selection

__all__ = ["metrics", "health_check"]


def health_check(lake: DataLake, max_age: str, fmt: str) -> None:
    """Print the verdicts and exit with the core's code: 0 healthy, 1 with one line per problem."""
    report = lake.health(max_age)
    ctx = click.get_current_context()
    if fmt == "json":
        render.json_out(report.to_dict())
    else:
        for line in report.problems:
            click.echo(line)
        if report.ok and not render.state().quiet:
            enabled = [p for p in report.profiles if p["enabled"]]
            click.echo(f"OK: {len(enabled)} enabled profiles synced within {max_age}")
    ctx.exit(report.cli_exit_code)


@click.command()
@click.argument("profile", required=False, shell_complete=complete_profiles)
@click.option("--all", "all_", is_flag=True, help="Every profile (disabled ones too).")
@config_option
@handle_errors
def metrics(profile: str | None, all_: bool, config_path: str) -> None:
    """Print PROFILE's (or --all) Prometheus metrics: what sync writes into metrics_dir."""
    profile_selection(profile, all_)
    lake = open_lake(config_path)
    text = lake.metrics(None if all_ else [profile] if profile else None)
    click.echo(text, nl=False)
