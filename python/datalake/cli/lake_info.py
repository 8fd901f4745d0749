"""``datalake stats`` and ``datalake status``: what is in the lake, and how each
profile's syncs are doing (``status --max-age``: the health check)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import click

from datalake import _render as render
from datalake._datalake import DataLakeError, ProfileStats
from datalake.cli._common import (
    complete_profiles,
    config_option,
    format_option,
    handle_errors,
    open_lake,
    profile_selection,
)

__all__ = ["stats", "status"]


@click.command()
@click.argument("profile", required=False, shell_complete=complete_profiles)
@click.option("--all", "all_", is_flag=True, help="Every profile.")
@config_option
@format_option
@handle_errors
def stats(profile: str | None, all_: bool, config_path: str, fmt: str) -> None:
    """What is in the lake for PROFILE (or --all profiles)."""
    profile_selection(profile, all_)
    lake = open_lake(config_path)
    if not all_:
        assert profile is not None
        s = lake.stats(profile)
        if fmt == "json":
            render.json_out(s.to_dict())
        else:
            click.echo(render.kv(render.stats_fields(s)))
        return
    results: list[ProfileStats] = [lake.stats(name) for name in lake.select_profiles("stats")]
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


@click.command()
@click.option(
    "--max-age",
    metavar="DURATION",
    help="Health check (checkpoints only): exit 1 with one line per problem when an enabled profile's last "
    "success is older than DURATION (90min, 2h, 1d), its last run failed, or it never ran.",
)
@config_option
@format_option
@handle_errors
def status(config_path: str, fmt: str, max_age: str | None) -> None:
    """One line per profile: enabled, last sync and its age, status, files, size."""
    lake = open_lake(config_path)
    if max_age is not None:
        from datalake.cli.monitoring import health_check  # only for the health check: not on every status

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
