"""``--log-format json``: every stderr line of the ``datalake`` command as one JSON object.

For log shippers (Loki's promtail, Vector, journald's JSON export): each line is
a complete object with the keys ``time`` (RFC 3339, UTC), ``level``
(``debug``, ``info``, ``warning``, ``error``), ``profile`` (or null), ``event``
(``sync_started``, ``sync_progress``, ``sync_finished``, ``sync_warning``,
``sync_error``, ``cleanup_warning``, ``config_warning``, ``error``, ``log``
for records of the ``datalake`` logger...), ``message`` (the line the text
format prints) and ``fields`` (the event's values: counts, bytes, seconds).

Only the command line uses this. The library's :mod:`logging` integration is
unchanged: records still go to the ``datalake`` logger, and an application
formats them as it likes (:class:`JsonFormatter` is usable there too).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

__all__ = ["JsonFormatter", "is_json", "set_format", "json_line", "echo_err"]

_FORMAT = ["text"]

# LogRecord attributes that are not user fields (see logging.LogRecord).
_RECORD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def set_format(name: str) -> None:
    """``text`` (default) or ``json``, for this process's command line."""
    if name not in ("text", "json"):
        raise ValueError(f"log format must be text or json, not {name!r}")
    _FORMAT[0] = name


def is_json() -> bool:
    return _FORMAT[0] == "json"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def json_line(
    level: str, event: str, message: str, profile: str | None = None, time: str | None = None, **fields: Any
) -> str:
    """One JSON object (no newline). Values JSON cannot hold are written as strings."""
    doc = {
        "time": time or _now(),
        "level": level,
        "profile": profile,
        "event": event,
        "message": message,
        "fields": fields,
    }
    return json.dumps(doc, default=str, ensure_ascii=False)


def echo_err(text: str, *, level: str, event: str, profile: str | None = None, **fields: Any) -> None:
    """Print `text` on stderr, or with ``--log-format json`` its JSON line."""
    # Here, not at the top: the library imports this module (for progress lines)
    # and does not need click.
    import click

    if is_json():
        click.echo(json_line(level, event, text, profile, **fields), err=True)
    else:
        click.echo(text, err=True)


class JsonFormatter(logging.Formatter):
    """A :class:`logging.Formatter` writing one JSON object per record.

    ``event`` is ``log``; ``profile`` comes from ``extra={"profile": ...}`` when
    the record has one; other ``extra`` values and the logger name go to ``fields``.
    """

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {"logger": record.name}
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and key not in ("profile", "event"):
                fields[key] = value
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        when = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
        profile = getattr(record, "profile", None)
        event = getattr(record, "event", None)
        return json_line(
            record.levelname.lower(),
            event if isinstance(event, str) else "log",
            record.getMessage(),
            profile if isinstance(profile, str) else None,
            time=when,
            **fields,
        )
