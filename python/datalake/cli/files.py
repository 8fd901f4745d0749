"""``datalake files``: the complete files of a selection, one path a line (for ``xargs``
and ``duckdb``) or the catalog as JSON (the same document as the C ABI's
``datalake_files``). What is selected, and what never is, is the core's catalog
(``DataLake.catalog``); this module only turns options into a selection and prints.
"""

from __future__ import annotations

import click

from datalake import _render as render
from datalake.cli._common import complete_profiles, config_option, handle_errors, open_lake

__all__ = ["files"]


def _fields(values: tuple[str, ...]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise click.UsageError(f"--field takes NAME=VALUE (such as symbol=VIRTUAL-USDT), got {item!r}")
        out.setdefault(name, []).append(value)
    return out


@click.command()
@click.argument("profile", shell_complete=complete_profiles)
@click.option("--series", multiple=True, help="A series name or pattern (gate_io_*); repeat for more.")
@click.option("--start", default=None, help="First day, inclusive (2024-11-19 or 20241119).")
@click.option("--end", default=None, help="Last day, inclusive.")
@click.option(
    "--field",
    "field_values",
    multiple=True,
    metavar="NAME=VALUE",
    help="A field of the profile's series_format (symbol=VIRTUAL-USDT); repeat for more.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["paths", "json"]),
    default="paths",
    show_default=True,
    help="paths: one path a line; json: the catalog (files with series, date, size, mtime, fields).",
)
@config_option
@handle_errors
def files(
    profile: str,
    series: tuple[str, ...],
    start: str | None,
    end: str | None,
    field_values: tuple[str, ...],
    config_path: str,
    fmt: str,
) -> None:
    """The complete files of a selection of PROFILE (never partial, hidden or quarantined ones).

    \b
    datalake files ticks --series gate_io_VIRTUAL-USDT --start 20241119 --end 20241121
    datalake files ticks --field exchange=gate_io | xargs du -ch
    """
    lake = open_lake(config_path)
    catalog = lake.catalog(profile, series=list(series) or None, start=start, end=end, **_fields(field_values))
    if fmt == "json":
        render.json_out(catalog.to_dict())
        return
    paths = catalog.paths()
    if paths:
        click.echo("\n".join(paths))
