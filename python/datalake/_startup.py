"""Signals while the ``datalake`` program is still starting up.

Importing the package and click takes tens of milliseconds. A Ctrl-C in that
window would raise ``KeyboardInterrupt`` inside some import and print a
traceback, although nothing has started yet. So when this process *is* the
``datalake`` program (its console script, or ``python -m datalake``),
SIGINT and SIGTERM get their default action until :func:`datalake.cli.main`
installs its own handlers: the process ends at once, as any program does
before it has started work, and a shell reports 130 or 143. Imported as a
library, nothing here changes a program's signal handling.
"""

import os
import sys

# The C module: `signal` itself imports enum, which takes milliseconds.
import _signal  # type: ignore[import-not-found]  # no typeshed stub for the C module

_SCRIPT_MARK = b"from datalake.cli import main"


def is_the_program() -> bool:
    """True when ``__main__`` is the ``datalake`` console script or ``python -m datalake``."""
    orig = list(getattr(sys, "orig_argv", []))
    if any(orig[i] == "-m" and orig[i + 1] == "datalake" for i in range(1, len(orig) - 1)):
        return True
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or os.path.basename(str(path)) not in ("datalake", "datalake.exe", "datalake-script.py"):
        return False
    try:
        with open(path, "rb") as f:
            return _SCRIPT_MARK in f.read(4096)
    except OSError:
        return False


def quiet_until_main() -> None:
    """Default actions for SIGINT/SIGTERM, if this is the program and its main thread."""
    if is_the_program():
        try:
            _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
            _signal.signal(_signal.SIGTERM, _signal.SIG_DFL)
        except ValueError:  # not the main thread: the embedding program owns signals
            pass
