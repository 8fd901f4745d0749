"""Rust log records reach Python logging under ``datalake``; the library prints nothing."""

from __future__ import annotations

import logging

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
