"""Rust log records reach Python logging under ``datalake``; the library prints nothing."""

from __future__ import annotations

import logging
import time

import pytest
from pyhelpers import PROFILE, LocalLake


def test_records_arrive_under_the_datalake_logger(local_lake: LocalLake, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="datalake")
    local_lake.open().sync(PROFILE)
    names = {r.name for r in caplog.records}
    assert names, "no log records from the core"
    assert all(n == "datalake" or n.startswith("datalake.") for n in names), names
    assert not any(n.startswith("datalake_core") for n in names)
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    assert any("rsync" in r.getMessage() for r in caplog.records)


def test_level_changes_between_calls_are_honoured(local_lake: LocalLake, caplog: pytest.LogCaptureFixture) -> None:
    lake = local_lake.open()
    caplog.set_level(logging.WARNING, logger="datalake")
    lake.sync(PROFILE)
    assert not [r for r in caplog.records if r.levelno < logging.WARNING and r.name.startswith("datalake")]
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="datalake")
    lake.sync(PROFILE)
    assert [r for r in caplog.records if r.levelno == logging.DEBUG and r.name.startswith("datalake")]


def test_the_library_prints_nothing(local_lake: LocalLake, capfd: pytest.CaptureFixture[str]) -> None:
    lake = local_lake.open()
    lake.sync(PROFILE)
    lake.cleanup(PROFILE, dry_run=True)
    lake.test_connection(PROFILE)
    lake.validate()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_a_keyboard_interrupt_raised_inside_a_log_handler_stops_the_sync(local_lake: LocalLake) -> None:
    # A signal handler runs at the next Python bytecode, which may be inside a
    # logging handler the bridge called: its KeyboardInterrupt must stop the run
    # the documented way (rsync stopped, `interrupted` recorded) and be raised,
    # never dropped or turned into a SystemError at a later call.
    class Interrupting(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("running "):
                raise KeyboardInterrupt

    logger = logging.getLogger("datalake")
    handler = Interrupting()
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        lake = local_lake.open()
        with pytest.raises(KeyboardInterrupt) as caught:
            lake.sync(PROFILE)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert caught.value.report.status == "interrupted"  # type: ignore[attr-defined]
    checkpoint = lake.checkpoint(PROFILE)
    assert checkpoint is not None and checkpoint.last_sync_status == "interrupted" and checkpoint.running is None
    assert lake.sync(PROFILE).status == "success"  # the next call is not poisoned by a stale exception


def test_records_keep_the_time_they_were_made(local_lake: LocalLake, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="datalake")
    before = time.time()
    local_lake.open().sync(PROFILE)
    after = time.time()
    assert caplog.records and all(before <= r.created <= after for r in caplog.records)
    assert any(r.pathname.endswith(".rs") and r.lineno > 0 for r in caplog.records)
