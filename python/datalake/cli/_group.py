"""The ``datalake`` click group: the global options, the commands of the other
modules of :mod:`datalake.cli` (:data:`COMMANDS`), and :func:`main`, the
program's entry point.

The group imports the commands' modules (when a command is used); no command
module imports this one.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from types import FrameType

import click

from datalake import _render as render
from datalake import logformat
from datalake._datalake import __version__
from datalake._exit import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, exit_code_for_error

__all__ = ["data_lake", "main"]

# The commands: name -> "module:attribute". A module is imported when one of its
# commands runs (or --help lists them all): `datalake --version` imports none of
# them, `datalake status` only lake_info (and the monitoring module it uses).
COMMANDS = {
    "cleanup": "datalake.cli.cleanup:cleanup",
    "coverage": "datalake.cli.quality:coverage",
    "files": "datalake.cli.files:files",
    "metrics": "datalake.cli.monitoring:metrics",
    "stats": "datalake.cli.lake_info:stats",
    "status": "datalake.cli.lake_info:status",
    "sync": "datalake.cli.sync:sync",
    "test-connection": "datalake.cli.config:test_connection",
    "validate": "datalake.cli.config:validate",
    "verify": "datalake.cli.quality:verify",
}


class _Commands(MutableMapping[str, click.Command]):
    """The group's commands by name, each command's module imported when the
    command is first looked up; the names alone (listing, "did you mean")
    import nothing."""

    def __init__(self, targets: Mapping[str, str]) -> None:
        self._targets = dict(targets)
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            module, _, attribute = self._targets[name].partition(":")
            # __import__, not importlib.import_module: the import statement's path,
            # which `python -X importtime` reports.
            command = getattr(__import__(module, fromlist=[attribute]), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self._targets[name]} is not a click command")
            self._loaded[name] = command
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self._loaded and name not in self._targets:
            raise KeyError(name)
        self._loaded.pop(name, None)
        self._targets.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._loaded or name in self._targets

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(self._targets), **dict.fromkeys(self._loaded)})

    def __len__(self) -> int:
        return len(self._targets.keys() | self._loaded.keys())


@click.group(commands=_Commands(COMMANDS), context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="No informational lines: only warnings, errors and requested data.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="DATALAKE_LOG_FORMAT",
    show_envvar=True,
    help="stderr lines as text, or one JSON object per line (time, level, profile, event, fields) for log shippers.",
)
# The version from the extension, not from the installed metadata: importlib.metadata
# costs --version about 11 ms, and both say the same.
@click.version_option(version=__version__, prog_name="datalake")
@click.pass_context
def data_lake(ctx: click.Context, verbose: int, quiet: bool, log_format: str) -> None:
    """Sync market data from collector machines into the local data lake."""
    ctx.obj = render.State(verbose=verbose, quiet=quiet)
    render.setup_logging(verbose, quiet, log_format)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (`datalake`, `python -m datalake`).

    Installs a SIGTERM handler that raises :class:`Terminated`, so ``kill``,
    ``timeout`` and ``systemctl stop`` stop a sync as cleanly as Ctrl-C
    (rsync stopped, checkpoint ``interrupted``, exit 143). Only here: the
    library and the click group mounted in another program never touch the
    program's signal handlers.
    """
    received: list[int] = []

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        raise Terminated(f"terminated by {signal.Signals(signum).name}")

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    # signal.signal works in the main thread only; elsewhere the caller owns signals.
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_sigterm) if in_main_thread else None
    # Ctrl-C raises KeyboardInterrupt as Python's default handler does (and so stops
    # a run cleanly), and is remembered. As the program, SIGINT had its default
    # action while starting up (datalake._startup). A handler the embedding
    # program installed itself is left alone.
    previous_int = None
    if in_main_thread and signal.getsignal(signal.SIGINT) in (signal.SIG_DFL, signal.default_int_handler):
        previous_int = signal.signal(signal.SIGINT, on_sigint)
    try:
        data_lake.main(args=list(argv) if argv is not None else None, prog_name="datalake")
    except KeyboardInterrupt as e:  # outside any command, e.g. between click's parsing steps
        logformat.echo_err(f"Error: {render.interrupted_message(e)}", level="error", event="error")
        sys.exit(exit_code_for_error(e))
    except SystemExit as e:
        # A signal is never lost: one that click caught itself (it turns
        # KeyboardInterrupt into "Aborted!", exit 1), or that reached the core as
        # a plain cancellation, still gives the signal's exit code.
        if received and e.code not in (EXIT_INTERRUPTED, EXIT_TERMINATED):
            sys.exit(EXIT_TERMINATED if received[-1] == signal.SIGTERM else EXIT_INTERRUPTED)
        raise
    finally:
        # Back to what was found; for the program that is the default action, so a
        # signal in its last instants ends it without a traceback (shell: 130/143).
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
