"""The S3 test server (SeaweedFS, s3.py) and the counting proxy (s3proxy.py) do what the
object-storage tests rely on: loopback only, real auth, no bucket made on the fly,
atomic conditional puts, multipart uploads, clean stops; exact counts, faults on demand."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import s3
import s3proxy
import sshd
from procs import processes_mentioning
from s3client import S3Client

SUPPORT = Path(__file__).resolve().parent
MIB = 1024 * 1024


def test_every_port_of_the_server_is_loopback(s3_server: s3.S3Server) -> None:
    listening = s3.listening_addresses(s3_server.pid)
    assert ("127.0.0.1", s3_server.port) in listening
    assert {addr for addr, _ in listening} == {"127.0.0.1"}, listening
    # S3, master, volume, filer and admin, each with its gRPC port, and nothing else.
    assert sorted(listening) == sorted(s3_server.expected_listening())
    assert len(listening) == 10


def test_credentials_are_checked(s3_server: s3.S3Server, s3_bucket: str) -> None:
    wrong_secret = s3_server.client(secret_key="not-the-secret").request("GET", s3_bucket, query={"list-type": "2"})
    assert (wrong_secret.status, wrong_secret.error_code()) == (403, "SignatureDoesNotMatch")
    unknown = S3Client(s3_server.endpoint, "nobody", "x").request("GET", s3_bucket, query={"list-type": "2"})
    assert (unknown.status, unknown.error_code()) == (403, "InvalidAccessKeyId")
    conn = http.client.HTTPConnection("127.0.0.1", s3_server.port, timeout=10)
    conn.request("GET", f"/{s3_bucket}?list-type=2")
    assert conn.getresponse().status == 403
    conn.close()


def test_a_missing_bucket_stays_missing(s3_server: s3.S3Server) -> None:
    client = s3_server.client()
    resp = client.put_object("no-such-bucket-here", "k", b"x")
    assert (resp.status, resp.error_code()) == (404, "NoSuchBucket")
    assert "no-such-bucket-here" not in client.list_buckets()


def test_conditional_put_refuses_an_existing_key(s3_server: s3.S3Server, s3_bucket: str) -> None:
    client = s3_server.client()
    assert client.put_if_absent(s3_bucket, "_delta_log/0.json", b"first").status == 200
    again = client.put_if_absent(s3_bucket, "_delta_log/0.json", b"second")
    assert (again.status, again.error_code()) == (412, "PreconditionFailed")
    assert client.get_object(s3_bucket, "_delta_log/0.json").body == b"first"


def test_conditional_put_has_one_winner_under_a_race(s3_server: s3.S3Server, s3_bucket: str) -> None:
    # SeaweedFS serializes racing conditional puts on one key with 1 s waits (the losers get
    # their 412 after 1 to 3 s), so a few rounds suffice.
    writers, rounds = 4, 3
    for n in range(rounds):
        key = f"_delta_log/{n:020d}.json"
        results: list[tuple[int, int]] = []
        barrier = threading.Barrier(writers)

        def write(i: int, key: str = key, results: list[tuple[int, int]] = results) -> None:
            client = s3_server.client()
            barrier.wait()
            results.append((i, client.put_if_absent(s3_bucket, key, f"writer {i}".encode()).status))

        threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [i for i, status in results if status == 200]
        assert len(winners) == 1, results
        assert sorted(status for _, status in results) == [200] + [412] * (writers - 1)
        assert s3_server.client().get_object(s3_bucket, key).body == f"writer {winners[0]}".encode()


def test_multipart_upload_complete_abort_and_conditional_complete(s3_server: s3.S3Server, s3_bucket: str) -> None:
    client = s3_server.client()
    upload = client.create_multipart_upload(s3_bucket, "day/big.parquet")
    etags = [
        client.upload_part(s3_bucket, "day/big.parquet", upload, 1, b"a" * 5 * MIB),
        client.upload_part(s3_bucket, "day/big.parquet", upload, 2, b"b" * 100),
    ]
    assert client.list_multipart_uploads(s3_bucket) == [("day/big.parquet", upload)]
    assert client.list_keys(s3_bucket) == []  # nothing visible before the complete
    client.complete_multipart_upload(s3_bucket, "day/big.parquet", upload, etags).check()
    assert list(client.list_objects(s3_bucket)) == [("day/big.parquet", 5 * MIB + 100)]
    assert client.list_multipart_uploads(s3_bucket) == []

    aborted = client.create_multipart_upload(s3_bucket, "day/aborted.parquet")
    client.upload_part(s3_bucket, "day/aborted.parquet", aborted, 1, b"x" * 10)
    assert client.abort_multipart_upload(s3_bucket, "day/aborted.parquet", aborted).status == 204
    assert client.list_multipart_uploads(s3_bucket) == []
    assert client.list_keys(s3_bucket) == ["day/big.parquet"]

    again = client.create_multipart_upload(s3_bucket, "day/big.parquet")
    etag = client.upload_part(s3_bucket, "day/big.parquet", again, 1, b"c" * 10)
    refused = client.complete_multipart_upload(
        s3_bucket, "day/big.parquet", again, [etag], headers={"If-None-Match": "*"}
    )
    assert (refused.status, refused.error_code()) == (412, "PreconditionFailed")
    client.abort_multipart_upload(s3_bucket, "day/big.parquet", again)
    assert list(client.list_objects(s3_bucket)) == [("day/big.parquet", 5 * MIB + 100)]


def test_kill_restart_stop_leave_nothing_behind() -> None:
    server = s3.start(buckets=["keep"])
    try:
        client = server.client()
        client.put_object("keep", "a", b"survives").check()
        server.stop(keep=True)
        with pytest.raises(ConnectionRefusedError):
            client.request("GET", "keep", "a")
        server.restart()
        assert client.get_object("keep", "a").body == b"survives"
        # A crash (SIGKILL) may lose what was written in its last second (docs/object-storage.md),
        # so only what a crash does to clients is checked here.
        server.kill()
        with pytest.raises(ConnectionRefusedError):
            client.request("GET", "keep", "a")
        server.restart()
        assert client.list_buckets() == ["keep"]
    finally:
        server.stop()
    assert not server.dir.exists()
    assert processes_mentioning(str(server.dir)) == []
    assert not [p for p in Path("/tmp").glob("seaweedfs-*.sock") if any(str(n) in p.name for n in server.ports.values())]


def test_a_failed_start_leaves_no_server(world_tmp: Path) -> None:
    dir = world_tmp / "bad"
    with pytest.raises(RuntimeError, match="InvalidBucketName"):
        s3.start(dir, buckets=["x"])  # too short for a bucket name: refused after startup
    assert processes_mentioning(str(dir)) == []


def test_command_line_start_and_the_watchdog(world_tmp: Path) -> None:
    watched = subprocess.Popen(["sleep", "600"])
    # Not below pytest's tmp_path: processes_mentioning() skips command lines naming pytest.
    dir = world_tmp / "s3"
    try:
        out = subprocess.run(
            [sys.executable, str(SUPPORT / "s3.py"), "start", str(dir), "--bucket", "demo", "--watch-pid", str(watched.pid)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        values = dict(line.split("=", 1) for line in out.splitlines())
        assert set(values) >= {"S3_ENDPOINT", "S3_PORT", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_PID", "S3_DIR"}
        client = S3Client(values["S3_ENDPOINT"], values["S3_ACCESS_KEY_ID"], values["S3_SECRET_ACCESS_KEY"])
        assert client.list_buckets() == ["demo"]
        pid = int(values["S3_PID"])
        assert processes_mentioning(str(dir))
        watched.kill()
        watched.wait()
        deadline = time.monotonic() + 30
        while processes_mentioning(str(dir)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert processes_mentioning(str(dir)) == [], "the watchdog did not stop the server"
        assert not os.path.exists(f"/proc/{pid}/cmdline") or not s3._alive(pid)
    finally:
        watched.kill()
        watched.wait()
        subprocess.run([sys.executable, str(SUPPORT / "s3.py"), "stop", str(dir)], check=True, timeout=60)
    assert processes_mentioning(str(dir)) == []


# The proxy


@pytest.mark.parametrize(
    "method,target,headers,kind",
    [
        ("GET", "/", {}, "list_buckets"),
        ("GET", "/lake/2024/x.parquet", {}, "get_object"),
        ("GET", "/lake?list-type=2&prefix=a%2F", {}, "list_objects_v2"),
        ("GET", "/lake?prefix=a", {}, "list_objects_v1"),
        ("GET", "/lake", {}, "list_objects_v1"),
        ("GET", "/lake?uploads", {}, "list_multipart_uploads"),
        ("GET", "/lake?uploads=&prefix=x", {}, "list_multipart_uploads"),
        ("GET", "/lake?location", {}, "get_bucket_config"),
        ("GET", "/lake/k?uploadId=u", {}, "list_parts"),
        ("HEAD", "/lake/k", {}, "head_object"),
        ("HEAD", "/lake", {}, "head_bucket"),
        ("PUT", "/lake/k", {}, "put_object"),
        ("PUT", "/lake/k", {"X-Amz-Copy-Source": "/lake/j"}, "copy_object"),
        ("PUT", "/lake/k?partNumber=3&uploadId=u", {}, "upload_part"),
        ("PUT", "/lake/k?partNumber=3&uploadId=u", {"x-amz-copy-source": "/lake/j"}, "upload_part_copy"),
        ("PUT", "/lake", {}, "create_bucket"),
        ("PUT", "/lake?lifecycle", {}, "put_bucket_config"),
        ("POST", "/lake/k?uploads", {}, "create_multipart_upload"),
        ("POST", "/lake/k?uploadId=u", {}, "complete_multipart_upload"),
        ("POST", "/lake?delete", {}, "delete_objects"),
        ("POST", "/lake/k", {}, "post_other"),
        ("DELETE", "/lake/k", {}, "delete_object"),
        ("DELETE", "/lake/k?uploadId=u", {}, "abort_multipart_upload"),
        ("DELETE", "/lake", {}, "delete_bucket"),
    ],
)
def test_classify(method: str, target: str, headers: dict[str, str], kind: str) -> None:
    assert s3proxy.classify(method, target, headers) == kind
    assert kind in s3proxy.KINDS.get(method, ()) or kind.startswith("list_buckets")


def test_proxy_counts_each_request_by_kind(
    s3_server: s3.S3Server, s3_bucket: str, s3_proxy: s3proxy.CountingProxy
) -> None:
    client = s3_server.client(endpoint=s3_proxy.endpoint)
    steps = [
        (lambda: client.put_object(s3_bucket, "d/a", b"a" * 1000), "put_object", 200),
        (lambda: client.put_if_absent(s3_bucket, "d/a", b"b"), "put_object", 412),
        (lambda: client.get_object(s3_bucket, "d/a"), "get_object", 200),
        (lambda: client.head_object(s3_bucket, "d/a"), "head_object", 200),
        (lambda: client.head_object(s3_bucket, "d/missing"), "head_object", 404),
        (lambda: client.request("GET", s3_bucket, query={"list-type": "2"}), "list_objects_v2", 200),
        (lambda: client.delete_object(s3_bucket, "d/a"), "delete_object", 204),
    ]
    want: Counter[str] = Counter()
    for step, kind, status in steps:
        resp = step()
        assert resp.status == status, (kind, resp.status)
        want[kind] += 1
        # Counted by the time the client has its answer.
        assert s3_proxy.counts() == want
    head = client.head_object(s3_bucket, "d/missing")
    assert head.status == 404
    upload = client.create_multipart_upload(s3_bucket, "m")
    etag = client.upload_part(s3_bucket, "m", upload, 1, b"x" * 100)
    client.complete_multipart_upload(s3_bucket, "m", upload, [etag]).check()
    other = client.create_multipart_upload(s3_bucket, "n")
    client.abort_multipart_upload(s3_bucket, "n", other).check()
    client.list_multipart_uploads(s3_bucket)
    want.update(
        head_object=1,
        create_multipart_upload=2,
        upload_part=1,
        complete_multipart_upload=1,
        abort_multipart_upload=1,
        list_multipart_uploads=1,
    )
    assert s3_proxy.counts() == want
    assert s3_proxy.total() == sum(want.values())
    assert s3_proxy.by_method()["POST"] == 3
    records = s3_proxy.requests()
    assert [r.conditional for r in records[:2]] == [False, True]
    assert records[0].bytes_in == 1000 and records[2].bytes_out == 1000
    # HEAD answers keep the object's Content-Length (clients read sizes from it).
    s3_proxy.reset()
    client.put_object(s3_bucket, "sized", b"z" * 4321).check()
    assert client.head_object(s3_bucket, "sized").headers["content-length"] == "4321"
    assert s3_proxy.summary() == "head_object=1 put_object=1"


def test_proxy_injects_faults(s3_server: s3.S3Server, s3_bucket: str, s3_proxy: s3proxy.CountingProxy) -> None:
    client = s3_server.client(endpoint=s3_proxy.endpoint)
    s3_proxy.inject("put_object", status=503, times=2)
    assert [client.put_object(s3_bucket, "k", b"v").status for _ in range(3)] == [503, 503, 200]
    assert client.put_object(s3_bucket, "k", b"v").status == 200
    s3_proxy.inject("put_object", status=503)
    refused = client.put_object(s3_bucket, "k2", b"v")
    assert (refused.status, refused.error_code()) == (503, "SlowDown")
    assert client.get_object(s3_bucket, "k2").status == 404  # never reached the server

    s3_proxy.inject("get_object", action="drop")
    with pytest.raises(http.client.RemoteDisconnected):
        client.get_object(s3_bucket, "k")
    assert client.get_object(s3_bucket, "k").body == b"v"

    s3_proxy.inject("put_object", action="drop_after")
    with pytest.raises(http.client.RemoteDisconnected):
        client.put_object(s3_bucket, "landed", b"but unheard")
    assert client.get_object(s3_bucket, "landed").body == b"but unheard"
    injected = [r.injected for r in s3_proxy.requests() if r.injected]
    assert injected == ["status 503", "status 503", "status 503", "drop", "drop_after"]
    with pytest.raises(ValueError):
        s3_proxy.inject(action="explode")


def test_proxy_drops_connections_when_the_server_is_down(s3_server: s3.S3Server) -> None:
    nothing = sshd.free_port()
    with s3proxy.CountingProxy(nothing) as proxy:
        client = s3_server.client(endpoint=proxy.endpoint)
        with pytest.raises(http.client.RemoteDisconnected):
            client.get_object("lake", "k")
        assert [(r.kind, r.status) for r in proxy.requests()] == [("get_object", 0)]


def test_proxy_can_emulate_a_server_without_conditional_put(
    s3_server: s3.S3Server, s3_bucket: str, s3_proxy: s3proxy.CountingProxy
) -> None:
    client = s3_server.client(endpoint=s3_proxy.endpoint)
    assert client.put_if_absent(s3_bucket, "_delta_log/1.json", b"writer A").status == 200
    assert client.put_if_absent(s3_bucket, "_delta_log/1.json", b"writer B").status == 412
    s3_proxy.ignore_conditional = True
    # Re-signed without the header: the server overwrites, as one without conditional writes would.
    assert client.put_if_absent(s3_bucket, "_delta_log/1.json", b"writer B").status == 200
    assert client.get_object(s3_bucket, "_delta_log/1.json").body == b"writer B"
    assert [r.conditional for r in s3_proxy.requests()][:3] == [True, True, True]
    with s3proxy.CountingProxy(s3_server.port) as no_secret:
        no_secret.ignore_conditional = True
        with pytest.raises(http.client.RemoteDisconnected):
            s3_server.client(endpoint=no_secret.endpoint).put_if_absent(s3_bucket, "x", b"y")


def test_proxy_program_and_its_control_endpoints(s3_server: s3.S3Server, s3_bucket: str) -> None:
    env = dict(os.environ, S3_SECRET_ACCESS_KEY=s3_server.secret_key)
    proc = subprocess.Popen(
        [sys.executable, str(SUPPORT / "s3proxy.py"), "--upstream", f"127.0.0.1:{s3_server.port}"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().strip().split("=", 1)[1])
        base = f"http://127.0.0.1:{port}/__proxy__/"

        def control(action: str, method: str = "POST") -> dict[str, object]:
            req = urllib.request.Request(base + action, method=method, data=b"" if method == "POST" else None)
            with urllib.request.urlopen(req, timeout=10) as resp:
                result: dict[str, object] = json.loads(resp.read())
                return result

        client = s3_server.client(endpoint=f"http://127.0.0.1:{port}")
        client.put_object(s3_bucket, "a", b"1").check()
        client.get_object(s3_bucket, "a").check()
        counts = control("counts", "GET")
        assert counts["counts"] == {"put_object": 1, "get_object": 1}
        assert isinstance(counts["requests"], list) and len(counts["requests"]) == 2
        control("inject?kind=get_object&status=500&times=1")
        assert client.get_object(s3_bucket, "a").status == 500
        control("ignore_conditional?on=1")
        assert client.put_if_absent(s3_bucket, "a", b"2").status == 200
        control("reset")
        assert control("counts", "GET")["counts"] == {}
        with pytest.raises(urllib.error.HTTPError) as refused:
            control("nonsense")
        assert refused.value.code == 404
        refused.value.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == 0
