"""Progress of a long run: the one renderer of ``datalake sync``, ``datalake verify``
and :class:`datalake.DataLakeManager` (``verbose=True``).

The three show progress in their own established words (the manager's are
quants-infra's, which scripts parse), so :class:`ProgressDisplay` takes a
``style``; the mechanics are shared: throttling, where the text goes, drawing a
bar in place on a terminal and erasing it.

The library's :class:`~datalake.DataLakeManager` uses it too, so it must not
import click (:mod:`datalake.logformat` imports click only to print).
"""

from __future__ import annotations

import shutil
import sys
import time
from datetime import datetime
from typing import Any, Literal, TextIO

from datalake import logformat
from datalake._datalake import Progress, SyncReport, human_size

__all__ = ["ProgressDisplay", "Style", "format_eta"]

Style = Literal["sync", "verify", "plain"]

_CELLS = 20  # width of the [####----] bar


def format_eta(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _cells(pct: float) -> str:
    filled = int(_CELLS * pct / 100)
    return "#" * filled + "-" * (_CELLS - filled)


class ProgressDisplay:
    """A run's progress: at most one update every `interval` seconds, in one of three styles.

    ``"sync"`` (``datalake sync``, the default): on stderr, a redrawn bar on a
    terminal; off a terminal (cron, pipes) or with ``--log-format json``,
    timestamped ``sync_progress`` event lines (JSON objects), no control
    characters. :meth:`event` writes the command's other lines the same way.
    The percentage and total are rsync's estimate over the whole tree, so on an
    incremental sync the last event may say 14%: :meth:`finish` closes the bar
    of a successful sync at 100%.

    ``"verify"`` (``datalake verify``): on stderr, ``verify PROFILE: ...`` as a
    redrawn bar on a terminal; off a terminal bare lines, and only for a run
    that takes longer than `interval`.

    ``"plain"`` (:class:`datalake.DataLakeManager`, quants-infra's lines):
    ``  [PROFILE] ...`` lines on `out`, a terminal or not.

    A bar is redrawn at most every 0.1 s, whatever `interval` says. Text goes to
    `out`, or when it is None to ``sys.stderr`` as it is at each write (click's
    test runner swaps it).
    """

    def __init__(
        self,
        tty: bool,
        enabled: bool = True,
        interval: float = 10.0,
        *,
        style: Style = "sync",
        out: TextIO | None = None,
    ) -> None:
        self.tty = tty
        self.enabled = enabled
        self.style = style
        self._out = out
        self.interval = 0.1 if self._redraws() else interval
        # Off a terminal, verify's first line waits one interval (short runs print none).
        self._last = time.monotonic() if style == "verify" and not tty else 0.0
        self._drawn = False
        # Last event per profile (every event, not only the drawn ones), for finish().
        self._latest: dict[str, Progress] = {}

    def _redraws(self) -> bool:
        """Whether an update redraws a bar in place (rather than writing a line)."""
        if self.style == "plain" or not self.tty:
            return False
        return self.style == "verify" or not logformat.is_json()

    def _write(self, text: str) -> None:
        out = self._out if self._out is not None else sys.stderr
        out.write(text)
        out.flush()

    def clear(self) -> None:
        """Erase the bar, if one is drawn."""
        if self.tty and self._drawn:
            width = shutil.get_terminal_size((80, 20)).columns
            self._write("\r" + " " * (width - 1) + "\r")
            self._drawn = False

    def event(
        self, message: str, event: str = "message", profile: str | None = None, level: str = "info", **fields: Any
    ) -> None:
        """A one-line event (start, end, warning); `event`, `profile`, `level` and `fields` for --log-format json."""
        if not self.enabled:
            return
        self.clear()
        if logformat.is_json():
            self._write(logformat.json_line(level, event, message, profile, **fields) + "\n")
        elif self.tty:
            self._write(message + "\n")
        else:
            stamp = datetime.now().astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
            self._write(f"{stamp} {message}\n")

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        self._latest[p.profile] = p
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        if self._redraws():
            width = shutil.get_terminal_size((80, 20)).columns
            self._write("\r" + self._bar(p, width))
            self._drawn = True
        elif self.style == "sync":
            self._sync_event(p)
        else:
            self._write(self._line(p) + "\n")

    def finish(self, report: SyncReport) -> None:
        """End `report`'s bar: at 100% after a success (kept on screen), erased otherwise.

        Off a terminal nothing is drawn: the result event line says it all.
        """
        last = self._latest.pop(report.profile, None)
        if not (self.enabled and self.tty) or logformat.is_json():
            return
        self.clear()
        if last is None or report.status != "success":
            return
        done = max(last.bytes_done, report.bytes_transferred)
        rate = done / report.duration_seconds if report.duration_seconds > 0 else last.rate
        width = shutil.get_terminal_size((80, 20)).columns
        self._write(self._sync_bar(report.profile, done, None, rate, None, width, finished=True).rstrip() + "\n")

    # ------------------------------------------------------------ the styles' words

    def _bar(self, p: Progress, width: int) -> str:
        """The bar drawn in place, `width` - 1 columns."""
        if self.style == "verify":
            pct = self._verify_pct(p)
            line = f"{self._verify_text(p, pct)} [{_cells(pct)}]"
            return line[: width - 1].ljust(width - 1)
        return self._sync_bar(p.profile, p.bytes_done, p.bytes_total, p.rate, p.current_file, width)

    def _line(self, p: Progress) -> str:
        """An update as a plain line (styles verify and plain)."""
        if self.style == "verify":
            return self._verify_text(p, self._verify_pct(p))
        done = human_size(p.bytes_done)
        if p.bytes_total:
            pct = 100.0 * p.bytes_done / p.bytes_total
            amount = f"{done} / {human_size(p.bytes_total)} ({pct:.0f}%)"
        else:
            amount = done
        line = f"  [{p.profile}] {amount}, {p.files_done} files, {human_size(int(p.rate))}/s"
        if p.current_file:
            line += f"  {p.current_file}"
        return line

    @staticmethod
    def _verify_pct(p: Progress) -> float:
        total = p.bytes_total or 0
        return 100.0 * p.bytes_done / total if total else 100.0

    @staticmethod
    def _verify_text(p: Progress, pct: float) -> str:
        amount = f"{human_size(p.bytes_done)}/{human_size(p.bytes_total or 0)}"
        return f"verify {p.profile}: {p.files_done} files, {amount} ({pct:.0f}%)"

    @staticmethod
    def _sync_bar(
        profile: str, done: int, total: int | None, rate: float, current: str | None, width: int, finished: bool = False
    ) -> str:
        if finished:
            pct: float | None = 100.0
            eta = ""
            amount = f"{human_size(done)}/{human_size(done)}"
        else:
            pct = min(100.0, 100.0 * done / total) if total else None
            # No total, no ETA (it would be a guess).
            eta = f"ETA {format_eta((total - done) / rate)}" if total and rate > 0 and total >= done else ""
            amount = f"{human_size(done)}/{human_size(total)}" if total else human_size(done)
        bar = f"[{_cells(pct)}] {pct:3.0f}% " if pct is not None else ""
        line = f"{profile} {bar}{amount} {human_size(int(rate))}/s {eta} {current or ''}".rstrip()
        return line[: max(10, width - 1)].ljust(width - 1)

    def _sync_event(self, p: Progress) -> None:
        """An update as a ``sync_progress`` event line."""
        done, total = p.bytes_done, p.bytes_total
        pct = min(100.0, 100.0 * done / total) if total else None
        rate = f"{human_size(int(p.rate))}/s"
        eta = f"ETA {format_eta((total - done) / p.rate)}" if total and p.rate > 0 and total >= done else ""
        amount = f"{human_size(done)}/{human_size(total)}" if total else human_size(done)
        pct_text = f" ({pct:.0f}%)" if pct is not None else ""
        current = f" {p.current_file}" if p.current_file else ""
        self.event(
            f"sync {p.profile}: {amount}{pct_text}, {p.files_done} files, {rate} {eta}{current}".rstrip(),
            "sync_progress",
            p.profile,
            bytes_done=done,
            bytes_total=total,
            files_done=p.files_done,
            bytes_per_second=p.rate,
            current_file=p.current_file,
        )
