"""The Python half of the log bridge: Rust log records into :mod:`logging`.

The native module queues the core's records and calls :func:`emit` only where
an exception raised meanwhile (a signal handler's ``KeyboardInterrupt``) can
reach the caller: during a sync's interrupt poll and at the end of each API
call (see datalake-py/src/logging.rs). Private: nothing here is public API.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

ROOT = "datalake"

# Library convention: no output unless the application configures logging. Set
# here, where every record passes, not at `import datalake`: importing logging
# costs the command line's start-up milliseconds.
logging.getLogger(ROOT).addHandler(logging.NullHandler())


def threshold() -> int:
    """The lowest level any ``datalake`` logger lets through.

    The core uses it to skip records nobody would see before they are even
    formatted; :func:`emit` still asks each logger.
    """
    level = logging.getLogger(ROOT).getEffectiveLevel()
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if name.startswith(ROOT + ".") and isinstance(logger, logging.Logger):
            level = min(level, logger.getEffectiveLevel())
    return level


def emit(records: Iterable[tuple[str, int, str, int, str, float]]) -> None:
    """Hand queued records to their loggers, keeping the time they were made.

    An exception from a logging filter or handler is dropped (``logging``
    itself reports handler errors through ``Handler.handleError``): a broken
    log setup must not stop a sync. A ``KeyboardInterrupt`` or ``SystemExit``
    is not an ``Exception`` and goes through to the caller.
    """
    start = getattr(logging, "_startTime", None)
    for name, level, path, line, message, created in records:
        logger = logging.getLogger(name)
        if not logger.isEnabledFor(level):
            continue
        record = logger.makeRecord(name, level, path, line, message, (), None)
        record.created = created
        record.msecs = (created - int(created)) * 1000
        if start is not None:
            record.relativeCreated = (created - start) * 1000
        try:
            logger.handle(record)
        except Exception:  # noqa: BLE001 - see the docstring
            pass
