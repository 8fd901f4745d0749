"""``datalake files``: the complete files of a selection, one path a line (for ``xargs``
and ``duckdb``) or the catalog as JSON (the same document as the C ABI's
``datalake_files``).

Registered on the command group by ``datalake.cli`` (``register``), which hands over
its error handling and options, so this module does not import the CLI back.
"""

from __future__ import annotations

from typing import Any, Callable

import click

from datalake import _render as render


def _fields(values: tuple[str, ...]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise click.UsageError(f"--field takes NAME=VALUE (such as symbol=VIRTUAL-USDT), got {item!r}")
        out.setdefault(name, []).append(value)
    return out


def register(
    group: click.Group,
    *,
    handle_errors: Callable[[Any], Any],
    config_option: Callable[[Any], Any],
    open_lake: Callable[[str], Any],
) -> None:
    """Add ``files`` to ``group``."""

    @group.command("files")
    @click.argument("profile")
    @click.option("--series", multiple=True, help="A series name or pattern (gate_io_*); repeat for more.")
    @click.option("--start", default=None, help="First day, inclusive (2024-11-19 or 20241119).")
    @click.option("--end", default=None, help="Last day, inclusive.")
    @click.option(
        "--field",
        "field_values",
        multiple=True,
        metavar="NAME=VALUE",
        help="A series field of the profile's series_format (symbol=VIRTUAL-USDT); repeat for more.",
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
