"""The compacted table on S3: a real SeaweedFS on 127.0.0.1 (tests/support/s3.py), every
request counted by the proxy in front of it (tests/support/s3proxy.py), real Parquet parts
in the collectors' order-book schema (tests/support/ticks.py). No mock.

What must hold: the rows every reader gets (``lake.read/scan/dataset``, the ``deltalake``
package, Polars ``scan_delta``) are exactly the rows the collector wrote, each once; the
credentials never show in a report, a repr, a log or an error; an hour with nothing new
costs at most 5 requests.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import s3
import s3proxy
import ticks
from configs import WriteConfig
from deltalake import DeltaTable
from pyhelpers import PROFILE
from test_compact import days_back, sorted_rows

import datalake

def s3_config(
    write_config: WriteConfig, tmp_path: Path, source: Path, uri: str, options: dict[str, str]
) -> Path:
    """A local-source profile whose table is at ``uri``: the top-level compact block gives
    the URI (with {profile}) and the options, the profile only turns compaction on."""
    profile = {
        "source": {"type": "local", "remote_root": str(source)},
        "compact": {"enabled": True, "after": "0", "sort_by": ["timestamp"]},
    }
    return write_config(
        {PROFILE: profile}, root_dir=tmp_path / "lake", compact={"table_uri": uri, "storage_options": options}
    )


@pytest.fixture
def credentials(s3_server: s3.S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's keys in the standard AWS variables, as on a production machine."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_key)


def test_compact_into_s3_every_reader_reads_it_and_a_quiet_hour_costs_one_request(
    write_config: WriteConfig,
    tmp_path: Path,
    s3_server: s3.S3Server,
    s3_bucket: str,
    s3_proxy: s3proxy.CountingProxy,
    credentials: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    source = tmp_path / "collector"
    expected = []
    for back in (3, 2, 1, 0):
        for pair in ("BTC-USDT", "ETH-USDT"):
            ticks.write_parts(source, pair, days_back(back), parts=4, rows=100)
            expected.append(ticks.ticks(pair, days_back(back), 0, 400))
    want = sorted_rows(pa.concat_tables(expected))
    options = {"aws_endpoint": s3_proxy.endpoint, "aws_region": s3_server.region, "aws_allow_http": "true"}
    uri = f"s3://{s3_bucket}/tables/{{profile}}"
    lake = datalake.DataLake.open(s3_config(write_config, tmp_path, source, uri, options))
    assert lake.sync(PROFILE).status == "success"
    report = lake.compact(PROFILE)
    assert report.status == "success", report.errors
    assert (report.days_compacted, report.parts_absorbed, report.commits) == (6, 24, 3)
    table_uri = f"s3://{s3_bucket}/tables/{PROFILE}"
    assert report.to_dict()["table_uri"] == table_uri
    counts = s3_proxy.counts()
    # 6 data files + 6 manifests + 3 commits + the probe (2 PUTs, 1 DELETE), no multipart.
    assert counts["put_object"] == 17, counts
    assert counts["create_multipart_upload"] == 0, counts

    # lake.read / scan / dataset: the table's files from S3, today's raw parts from disk.
    assert sorted_rows(lake.read(PROFILE)) == want
    closed = lake.files(PROFILE, end=days_back(1))
    assert len(closed) == 6 and all(str(f.path).startswith(f"{table_uri}/date=") for f in closed)
    read = lake.read(PROFILE, series="gate_io_BTC-USDT", start=days_back(3), end=days_back(1), sort_by="timestamp")
    assert read.num_rows == 1200
    assert read.column("timestamp").to_pylist() == sorted(read.column("timestamp").to_pylist())
    assert lake.scan(PROFILE).collect().height == want.num_rows
    assert lake.dataset(PROFILE).count_rows() == want.num_rows
    filtered = lake.read(PROFILE, filter=pc.field("side") == "bid")
    assert filtered.num_rows == pc.sum(pc.equal(want["side"], "bid")).as_py()

    # The Delta readers, with the same options (credentials added from the environment).
    storage = lake.table_storage(PROFILE)
    assert storage is not None and storage["uri"] == table_uri
    opts = storage["options"]
    assert opts["aws_secret_access_key"] == s3_server.secret_key
    closed_rows = want.filter(pc.less(want["timestamp"], pa.scalar(dt.datetime.combine(days_back(0), dt.time()), pa.timestamp("us", "UTC"))))
    assert sorted_rows(DeltaTable(table_uri, storage_options=opts).to_pyarrow_table()) == closed_rows
    assert pl.scan_delta(table_uri, storage_options=opts).collect().height == closed_rows.num_rows

    # verify reads the remote files' footers; stats and coverage count the table.
    verified = lake.verify(PROFILE)
    assert verified.ok and verified.to_dict()["table_files_checked"] == 6, verified.to_dict()
    stats = lake.stats(PROFILE)
    assert (stats.table_days, stats.table_rows, stats.absorbed_parts) == (6, 2400, 24)
    assert lake.coverage(PROFILE).to_dict()["missing_days"] == 0

    # An hour with nothing new: one HEAD of the next log version.
    s3_proxy.reset()
    again = lake.compact(PROFILE)
    assert (again.status, again.commits) == ("success", 0)
    assert s3_proxy.total() <= 5 and s3_proxy.counts()["head_object"] == 1, s3_proxy.counts()

    # The secret is nowhere it could leak.
    secret = s3_server.secret_key
    shown = [
        json.dumps(report.to_dict()),
        json.dumps(again.to_dict()),
        repr(report),
        json.dumps(verified.to_dict(), default=str),
        caplog.text,
    ]
    shown += [p.read_text(errors="replace") for p in (tmp_path / "lake").rglob("*") if p.is_file() and p.suffix == ".json"]
    profile_doc = json.dumps(lake.profile(PROFILE).to_dict(), default=str)
    assert '"aws_secret_access_key", "source": {"from": "environment", "name": "AWS_SECRET_ACCESS_KEY"}, "value": "<redacted>"' in profile_doc
    shown += [profile_doc, repr(lake.config)]
    assert not any(secret in text for text in shown)


def test_faults_name_the_endpoint_the_bucket_and_the_cause(
    write_config: WriteConfig, tmp_path: Path, s3_server: s3.S3Server, s3_bucket: str, credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "collector"
    ticks.write_parts(source, "BTC-USDT", days_back(2), parts=2, rows=10)
    base = {"aws_endpoint": s3_server.endpoint, "aws_region": s3_server.region, "aws_allow_http": "true", "max_retries": "1", "retry_timeout": "3s"}
    cases: list[tuple[str, dict[str, Any], str]] = [
        (f"s3://no-such-bucket-{s3_bucket}/t", base, "the bucket does not exist"),
        (f"s3://{s3_bucket}/t", {**base, "aws_endpoint": "http://127.0.0.1:9"}, "could not be reached"),
    ]
    for uri, options, cause in cases:
        lake = datalake.DataLake.open(s3_config(write_config, tmp_path, source, uri, options))
        lake.sync(PROFILE)
        with pytest.raises(datalake.TableError) as failed:
            lake.compact(PROFILE)
        message = str(failed.value)
        assert cause in message and options["aws_endpoint"] in message and "bucket " in message, message
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-never-printed")
    lake = datalake.DataLake.open(s3_config(write_config, tmp_path, source, f"s3://{s3_bucket}/w", base))
    with pytest.raises(datalake.TableError) as failed:
        lake.compact(PROFILE)
    message = str(failed.value)
    assert "refused the credentials" in message and "wrong-secret-never-printed" not in message, message


@pytest.mark.parametrize("held", [".zstd.parquet", "/_delta_log/"], ids=["mid-upload", "at-the-commit"])
def test_a_compaction_killed_anywhere_leaves_every_row_once_and_the_next_run_finishes(
    write_config: WriteConfig,
    tmp_path: Path,
    s3_server: s3.S3Server,
    s3_bucket: str,
    s3_proxy: s3proxy.CountingProxy,
    credentials: None,
    held: str,
) -> None:
    """kill -9 while a table file uploads (the file lands, nothing commits) or while the
    commit is on its way (it lands, the record never hears of it): readers see each row
    once at every moment, and the next run finishes the job."""
    source = tmp_path / "collector"
    expected = []
    for back in (2, 1):
        ticks.write_parts(source, "BTC-USDT", days_back(back), parts=3, rows=100)
        expected.append(ticks.ticks("BTC-USDT", days_back(back), 0, 300))
    want = sorted_rows(pa.concat_tables(expected))
    options = {"aws_endpoint": s3_proxy.endpoint, "aws_region": s3_server.region, "aws_allow_http": "true"}
    config = s3_config(write_config, tmp_path, source, f"s3://{s3_bucket}/k/{{profile}}", options)
    lake = datalake.DataLake.open(config)
    lake.sync(PROFILE)
    hold = s3_proxy.hold("put_object", match=held)
    proc = subprocess.Popen([sys.executable, "-m", "datalake", "-q", "compact", PROFILE, "--config", str(config)])
    try:
        hold.wait_arrived(120)
        proc.kill()
    finally:
        proc.wait()
        hold.release()
    assert proc.returncode == -signal.SIGKILL
    assert sorted_rows(lake.read(PROFILE)) == want
    again = lake.compact(PROFILE)
    assert again.status == "success", again.errors
    assert sorted_rows(lake.read(PROFILE)) == want
    assert not lake.files(PROFILE) or all(str(f.path).startswith("s3://") for f in lake.files(PROFILE))
    uri = f"s3://{s3_bucket}/k/{PROFILE}"
    assert sorted_rows(DeltaTable(uri, storage_options=s3_server.storage_options()).to_pyarrow_table()) == want
