"""What the ``datalake`` commands share: the ``--config`` and ``--format``
options, profile completion and selection, opening the lake, and turning
errors into one stderr line and an exit code.

Imported by every command module; imports none of them.
"""

from __future__ import annotations

import functools
import os
import traceback
from typing import Any, Callable, TypeVar, cast

import click

from datalake import _render as render
from datalake import logformat
from datalake._datalake import DataLake, DataLakeError
from datalake._exit import EXIT_FAILED, EXIT_OK, exit_code_for_error

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG",
    "complete_profiles",
    "config_option",
    "format_option",
    "handle_errors",
    "open_lake",
    "profile_selection",
]

DEFAULT_CONFIG = "config/data_lake.yml"
CONFIG_ENV = "DATALAKE_CONFIG"

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
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


def complete_profiles(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of profile names from the config file."""
    path = ctx.params.get("config_path") or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG
    try:
        names = list(DataLake.open(path).config.profiles)
    except Exception:
        return []
    return [n for n in names if n.startswith(incomplete)]


def config_option(func: F) -> F:
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


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="table for people, json for programs (one JSON document on stdout).",
    )(func)


def profile_selection(profile: str | None, all_: bool) -> None:
    if profile and all_:
        raise click.UsageError("give either a PROFILE or --all, not both")
    if not profile and not all_:
        raise click.UsageError("give a PROFILE or --all")


def open_lake(config_path: str) -> DataLake:
    """Open the config; its warnings go to stderr (every front end shows them, -q too)."""
    lake = DataLake.open(config_path)
    for d in lake.config.warnings:
        logformat.echo_err(f"warning: {d}", level="warning", event="config_warning", key=d.key, line=d.line)
    return lake
