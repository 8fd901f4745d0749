"""Exit codes of the ``datalake`` command: the core's table, converted.

The core decides what every outcome's exit code is (``cli_exit_code`` on each
report, on each aggregate of several profiles and on each
:class:`~datalake.DataLakeError`); this module only adds what the core cannot
know: a KeyboardInterrupt is an interruption, and a SIGTERM that the
``datalake`` program itself turned into :class:`Terminated` exits 143.
"""

from __future__ import annotations

import signal

from datalake._datalake import DataLakeError, exit_codes

__all__ = [
    "EXIT_OK",
    "EXIT_FAILED",
    "EXIT_USAGE",
    "EXIT_LOCKED",
    "EXIT_INTERRUPTED",
    "EXIT_TERMINATED",
    "Terminated",
    "exit_code_for_error",
]

_CODES = dict(exit_codes())
EXIT_OK = _CODES["ok"]
EXIT_FAILED = _CODES["failed"]
EXIT_USAGE = _CODES["usage"]
EXIT_LOCKED = _CODES["locked"]
EXIT_INTERRUPTED = _CODES["interrupted"]
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143, what a shell reports for a process SIGTERM killed


class Terminated(KeyboardInterrupt):
    """Raised in the main thread by the SIGTERM handler that :func:`datalake.cli.main` installs.

    A KeyboardInterrupt, so a SIGTERM stops a run exactly as Ctrl-C does: the
    binding's signal check (``check_signals`` while the core runs) parks it,
    cancels the run (rsync stopped, checkpoint ``interrupted``) and raises it
    once the core has returned. Only the exit code differs: 143, not 130.
    """


def exit_code_for_error(exc: BaseException) -> int:
    """The exit code for an exception: the core's for its errors, 130 for Ctrl-C, 143 for SIGTERM."""
    if isinstance(exc, Terminated):
        return EXIT_TERMINATED
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, DataLakeError):
        return exc.cli_exit_code
    return EXIT_FAILED
