"""Processes seen through /proc, for tests that check no rsync or ssh outlives a run."""

from __future__ import annotations

import os


def processes_mentioning(text: str) -> list[tuple[int, str]]:
    """(pid, cmdline) of every process whose command line contains ``text``
    (this process and pytest itself excluded)."""
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and "pytest" not in cmdline:
            found.append((int(entry), cmdline))
    return found
