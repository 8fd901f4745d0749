"""What delta-rs (the ``deltalake`` Python package, 1.6.x) does against the SeaweedFS test
server, counted by the proxy: the findings of docs/object-storage.md, kept true by tests.

- every commit is a conditional put (``If-None-Match: *``) of ``_delta_log/N.json``, with no
  option set; data files are plain puts, multipart (5 MiB parts) for big ones;
- concurrent appends through one table lose no commit (412, reload, retry);
- ``aws_conditional_put: disabled`` refuses every commit (delta-rs 1.x has no unsafe mode);
- on a server that ignores ``If-None-Match`` a racing commit silently replaces another.
"""

from __future__ import annotations

import os
import threading

import pyarrow as pa
import pytest
import s3
import s3proxy
from deltalake import DeltaTable, write_deltalake

MIB = 1024 * 1024


def _options(server: s3.S3Server, proxy: s3proxy.CountingProxy) -> dict[str, str]:
    return server.storage_options(endpoint=proxy.endpoint)


def _rows(start: int, n: int) -> pa.Table:
    return pa.table({"ts": pa.array(range(start, start + n), pa.int64()), "sym": ["BTC-USDT"] * n})


def test_commits_are_conditional_puts_and_data_files_plain_ones(
    s3_server: s3.S3Server, s3_bucket: str, s3_proxy: s3proxy.CountingProxy
) -> None:
    uri = f"s3://{s3_bucket}/tables/ticks"
    write_deltalake(uri, _rows(0, 100), storage_options=_options(s3_server, s3_proxy))
    write_deltalake(uri, _rows(100, 100), mode="append", storage_options=_options(s3_server, s3_proxy))
    puts = [r for r in s3_proxy.requests() if r.kind == "put_object"]
    commits = [r for r in puts if "/_delta_log/" in r.target]
    data = [r for r in puts if r.target.endswith(".parquet")]
    assert [r.target.rsplit("/", 1)[1] for r in commits] == [f"{v:020d}.json" for v in (0, 1)]
    assert all(r.conditional and r.status == 200 for r in commits)
    assert len(data) == 2 and not any(r.conditional for r in data)
    counts = s3_proxy.counts()
    assert counts["head_object"] == 0
    assert set(counts) <= {"put_object", "get_object", "list_objects_v2"}, counts
    assert DeltaTable(uri, storage_options=_options(s3_server, s3_proxy)).version() == 1


def test_concurrent_appends_lose_no_commit(
    s3_server: s3.S3Server, s3_bucket: str, s3_proxy: s3proxy.CountingProxy
) -> None:
    uri = f"s3://{s3_bucket}/tables/ticks"
    options = _options(s3_server, s3_proxy)
    write_deltalake(uri, _rows(0, 10), storage_options=options)
    writers, appends = 3, 3
    errors: list[BaseException] = []

    def append(i: int) -> None:
        for j in range(appends):
            try:
                write_deltalake(uri, _rows(1000 * (i + 1) + j, 1), mode="append", storage_options=options)
            except BaseException as e:  # noqa: B036 - reported below
                errors.append(e)

    threads = [threading.Thread(target=append, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    table = DeltaTable(uri, storage_options=options)
    assert table.version() == writers * appends
    assert table.to_pyarrow_table().num_rows == 10 + writers * appends
    conflicts = [r for r in s3_proxy.requests() if r.status == 412]
    assert all(r.conditional and "/_delta_log/" in r.target for r in conflicts)


def test_a_big_file_goes_multipart_and_leaves_no_upload(
    s3_server: s3.S3Server, s3_bucket: str, s3_proxy: s3proxy.CountingProxy
) -> None:
    uri = f"s3://{s3_bucket}/tables/big"
    big = pa.table({"payload": [os.urandom(1000) for _ in range(12_000)]})  # ~12 MB, incompressible
    write_deltalake(uri, big, storage_options=_options(s3_server, s3_proxy))
    counts = s3_proxy.counts()
    assert counts["create_multipart_upload"] == 1 and counts["complete_multipart_upload"] == 1
    parts = sorted(r.bytes_in for r in s3_proxy.requests() if r.kind == "upload_part")
    assert len(parts) == counts["upload_part"] >= 2
    assert parts[-1] == 5 * MIB  # full parts are 5 MiB
    assert s3_server.client().list_multipart_uploads(s3_bucket) == []


def test_conditional_put_disabled_refuses_every_commit(
    s3_server: s3.S3Server, s3_bucket: str, s3_proxy: s3proxy.CountingProxy
) -> None:
    options = dict(_options(s3_server, s3_proxy), aws_conditional_put="disabled")
    for extra in ({}, {"AWS_S3_ALLOW_UNSAFE_RENAME": "true"}):
        with pytest.raises(OSError, match="conditional put is disabled"):
            write_deltalake(f"s3://{s3_bucket}/tables/t", _rows(0, 1), storage_options={**options, **extra})


def _race(uri: str, options: dict[str, str], proxy: s3proxy.CountingProxy, start: int) -> None:
    """Writer A's commit is held at the proxy while writer B commits the same version."""
    hold = proxy.hold("put_object", match="/_delta_log/")
    a = threading.Thread(target=write_deltalake, args=(uri, _rows(start, 5)), kwargs={"mode": "append", "storage_options": options})
    a.start()
    hold.wait_arrived()
    write_deltalake(uri, _rows(start + 100, 7), mode="append", storage_options=options)
    hold.release()
    a.join()


def test_without_conditional_put_a_racing_commit_replaces_another(
    s3_server: s3.S3Server, s3_bucket: str, s3_proxy: s3proxy.CountingProxy
) -> None:
    uri = f"s3://{s3_bucket}/tables/ticks"
    options = _options(s3_server, s3_proxy)
    write_deltalake(uri, _rows(0, 10), storage_options=options)

    # With conditional put the held writer gets a 412 for version 1, reloads and lands as 2.
    _race(uri, options, s3_proxy, 100)
    table = DeltaTable(uri, storage_options=options)
    assert (table.version(), table.to_pyarrow_table().num_rows) == (2, 22)
    assert [r.status for r in s3_proxy.requests() if r.conditional][-3:] == [200, 412, 200]

    # On a server that ignores If-None-Match the held writer's version 3 silently replaces
    # the other writer's version 3: 7 rows lost, no error anywhere.
    s3_proxy.ignore_conditional = True
    _race(uri, options, s3_proxy, 300)
    table = DeltaTable(uri, storage_options=options)
    assert (table.version(), table.to_pyarrow_table().num_rows) == (3, 27)
