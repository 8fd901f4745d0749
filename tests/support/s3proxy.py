"""A counting HTTP proxy in front of an S3 server, to assert what a run costs in requests.

Clients use the proxy's address as their S3 endpoint (path-style). The proxy forwards each
request unchanged (the ``Host`` header included, so SigV4 signatures still verify upstream),
classifies it (:func:`classify`: ``get_object``, ``list_objects_v2``, ``head_object``,
``put_object``, ``create_multipart_upload``, ``upload_part``, ``complete_multipart_upload``,
``abort_multipart_upload``, ``delete_object``, ...) and records it. Standard library only,
bound to 127.0.0.1.

In Python::

    with CountingProxy(server.port) as proxy:
        run_something(endpoint=proxy.endpoint)
        assert proxy.counts()["list_objects_v2"] == 0
        proxy.inject("put_object", status=503, times=2)   # transient faults

From other languages (Rust tests, the benchmarks' subprocesses) run it as a program, which
prints ``PROXY_PORT=N`` and serves until SIGTERM, and use its control endpoints (never
counted; ``__proxy__`` is not a valid bucket name, so no S3 request can collide)::

    python3 tests/support/s3proxy.py --upstream 127.0.0.1:PORT [--port N]
    GET  /__proxy__/counts        {"counts": {...}, "requests": [...]}
    POST /__proxy__/reset
    POST /__proxy__/inject?kind=put_object&status=503&times=1&action=status|drop|drop_after|hold&match=TEXT
    POST /__proxy__/release                   (lets held requests go on)
    POST /__proxy__/ignore_conditional?on=1   (needs S3_SECRET_ACCESS_KEY in the proxy's environment)

Faults (``inject``): ``status`` answers with an S3 error of that status without forwarding;
``drop`` closes the client connection without an answer; ``drop_after`` forwards the request
(it takes effect upstream) and then closes the connection without the answer, the case of a
commit that landed although the writer never heard back; ``hold`` keeps the request until
``release()``, which lines two writers up for a race. ``match`` limits a fault to targets
containing that text (``/_delta_log/``). When the upstream server is down
the proxy closes the client's connection without an answer.

``ignore_conditional`` emulates a server without conditional writes (SeaweedFS has no switch
for it): conditional puts and completes go upstream without ``If-None-Match``/``If-Match``,
re-signed with the server's secret, so they overwrite like on such a server.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Optional, Sequence, Type

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from s3client import authorization, canonical_query_string  # noqa: E402

CONTROL = "/__proxy__/"
SIGV4 = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request,\s*SignedHeaders=([^,]+),")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "transfer-encoding"}

# Request kinds by HTTP method, for the summaries (``by_method``).
KINDS = {
    "GET": (
        "get_object",
        "list_objects_v2",
        "list_objects_v1",
        "list_multipart_uploads",
        "list_parts",
        "list_buckets",
        "get_bucket_config",
    ),
    "HEAD": ("head_object", "head_bucket"),
    "PUT": ("put_object", "copy_object", "upload_part", "upload_part_copy", "create_bucket", "put_bucket_config"),
    "POST": ("create_multipart_upload", "complete_multipart_upload", "delete_objects", "post_other"),
    "DELETE": ("delete_object", "abort_multipart_upload", "delete_bucket", "delete_bucket_config"),
}


def classify(method: str, target: str, headers: Optional[dict[str, str]] = None) -> str:
    """The S3 operation of a path-style request: ``method`` and ``target`` (path?query).

    >>> classify("GET", "/lake/a/b.parquet")
    'get_object'
    >>> classify("GET", "/lake?list-type=2&prefix=a%2F")
    'list_objects_v2'
    >>> classify("PUT", "/lake/k?partNumber=1&uploadId=x")
    'upload_part'
    """
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    split = urllib.parse.urlsplit(target)
    query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
    path = split.path.lstrip("/")
    bucket, _, key = path.partition("/")
    method = method.upper()
    if not bucket:
        return "list_buckets" if method == "GET" else f"{method.lower()}_service"
    if not key:
        if method == "GET":
            if query.get("list-type") == ["2"]:
                return "list_objects_v2"
            if "uploads" in query:
                return "list_multipart_uploads"
            if not query or set(query) <= {"prefix", "delimiter", "marker", "max-keys", "encoding-type"}:
                return "list_objects_v1"
            return "get_bucket_config"
        if method == "HEAD":
            return "head_bucket"
        if method == "PUT":
            return "create_bucket" if not query else "put_bucket_config"
        if method == "POST":
            return "delete_objects" if "delete" in query else "post_other"
        if method == "DELETE":
            return "delete_bucket" if not query else "delete_bucket_config"
        return "other"
    if method == "GET":
        return "list_parts" if "uploadId" in query else "get_object"
    if method == "HEAD":
        return "head_object"
    if method == "PUT":
        copy = "x-amz-copy-source" in headers
        if "partNumber" in query and "uploadId" in query:
            return "upload_part_copy" if copy else "upload_part"
        return "copy_object" if copy else "put_object"
    if method == "POST":
        if "uploads" in query:
            return "create_multipart_upload"
        if "uploadId" in query:
            return "complete_multipart_upload"
        return "post_other"
    if method == "DELETE":
        return "abort_multipart_upload" if "uploadId" in query else "delete_object"
    return "other"


@dataclass
class Request:
    """One request that went through the proxy."""

    kind: str
    method: str
    target: str
    status: int
    """The status the client got; 0 when the connection was dropped without an answer."""
    bytes_in: int
    bytes_out: int
    conditional: bool
    """It carried ``If-None-Match`` or ``If-Match`` (a conditional put or complete)."""
    injected: str
    """The fault injected into it (``""`` when it was forwarded normally)."""
    seconds: float


@dataclass
class Fault:
    """A fault waiting for its requests (see ``CountingProxy.inject`` and ``hold``)."""

    kind: Optional[str]
    action: str
    status: int
    times: int
    match: str = ""
    arrived: threading.Event = field(default_factory=threading.Event)
    """Set when a held request has arrived (``hold``)."""
    released: threading.Event = field(default_factory=threading.Event)
    """Set to let held requests go on."""

    def release(self) -> None:
        self.released.set()

    def wait_arrived(self, timeout: float = 60.0) -> None:
        if not self.arrived.wait(timeout):
            raise TimeoutError(f"no {self.kind or 'request'} matching {self.match!r} reached the proxy in {timeout:.0f}s")


class CountingProxy:
    """The proxy, serving on 127.0.0.1 in a background thread (``with`` starts and stops it)."""

    def __init__(
        self,
        upstream_port: int,
        upstream_host: str = "127.0.0.1",
        port: int = 0,
        secret_key: Optional[str] = None,
    ) -> None:
        """``secret_key`` (the server's) lets the proxy re-sign requests, which
        ``ignore_conditional`` needs."""
        if upstream_host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the proxy only talks to this machine, not {upstream_host}")
        self.upstream = (upstream_host, upstream_port)
        self._lock = threading.Lock()
        self._requests: list[Request] = []
        self._faults: list[Fault] = []
        self._secret_key = secret_key
        self.ignore_conditional = False
        """Emulate a server without conditional writes: forward ``If-None-Match``/``If-Match``
        requests without those headers (re-signed), so they overwrite like a plain put."""
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread: Optional[threading.Thread] = None

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> CountingProxy:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, name="s3proxy", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> CountingProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    # What went through

    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def counts(self) -> Counter[str]:
        """Requests by kind (``Counter``: a kind never seen counts 0)."""
        return Counter(r.kind for r in self.requests())

    def by_method(self) -> Counter[str]:
        """Requests by HTTP method."""
        return Counter(r.method for r in self.requests())

    def total(self) -> int:
        return len(self.requests())

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._faults.clear()

    def summary(self) -> str:
        """``put_object=3 list_objects_v2=1`` (kinds in name order), for messages."""
        return " ".join(f"{k}={v}" for k, v in sorted(self.counts().items())) or "no requests"

    # Faults

    def inject(
        self, kind: Optional[str] = None, status: int = 503, times: int = 1, action: str = "status", match: str = ""
    ) -> Fault:
        """Fail the next ``times`` requests of ``kind`` (any kind when None) whose target
        contains ``match``; see the module doc."""
        if action not in ("status", "drop", "drop_after", "hold"):
            raise ValueError(f"action must be status, drop, drop_after or hold, got {action!r}")
        fault = Fault(kind, action, status, times, match)
        with self._lock:
            self._faults.append(fault)
        return fault

    def hold(self, kind: Optional[str] = None, match: str = "", times: int = 1) -> Fault:
        """Hold the next ``times`` matching requests before forwarding them, until
        ``release()``: the way to line two writers up for a race. ``wait_arrived()`` blocks
        until one is held."""
        return self.inject(kind, times=times, action="hold", match=match)

    def _take_fault(self, kind: str, target: str) -> Optional[Fault]:
        with self._lock:
            for fault in self._faults:
                if fault.kind in (None, kind) and fault.match in target and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _record(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)

    def _control(self, method: str, target: str) -> tuple[int, dict[str, object]]:
        split = urllib.parse.urlsplit(target)
        action = split.path[len(CONTROL) :]
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query).items()}
        if method == "GET" and action == "counts":
            return 200, {"counts": dict(self.counts()), "requests": [asdict(r) for r in self.requests()]}
        if method == "POST" and action == "reset":
            self.reset()
            return 200, {"ok": True}
        if method == "POST" and action == "inject":
            try:
                self.inject(
                    query.get("kind") or None,
                    int(query.get("status", "503")),
                    int(query.get("times", "1")),
                    query.get("action", "status"),
                    query.get("match", ""),
                )
            except ValueError as e:
                return 400, {"error": str(e)}
            return 200, {"ok": True}
        if method == "POST" and action == "release":
            with self._lock:
                for fault in self._faults:
                    fault.release()
            return 200, {"ok": True}
        if method == "POST" and action == "ignore_conditional":
            if self._secret_key is None:
                return 400, {"error": "start the proxy with S3_SECRET_ACCESS_KEY in its environment to re-sign"}
            self.ignore_conditional = query.get("on", "1") not in ("0", "false")
            return 200, {"ok": True}
        return 404, {"error": f"unknown control request {method} {split.path}"}


class _Handler(BaseHTTPRequestHandler):
    owner: CountingProxy
    protocol_version = "HTTP/1.1"
    upstream_conn: Optional[http.client.HTTPConnection] = None

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def _body(self) -> tuple[bytes, bool]:
        """The request body and whether it came chunked."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks), True
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return (self.rfile.read(length) if length else b""), False

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes, head: bool = False) -> None:
        self.send_response_only(status)  # recorded by the caller before this
        for name, value in headers:
            self.send_header(name, value)
        if not head and not any(n.lower() == "content-length" for n, _ in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)
        self.wfile.flush()

    def _handle(self) -> None:
        method = self.command
        if self.path.startswith(CONTROL):
            self._body()
            status, payload = self.owner._control(method, self.path)
            data = json.dumps(payload).encode()
            self._send(status, [("Content-Type", "application/json")], data)
            return
        start = time.monotonic()
        headers = dict(self.headers.items())
        kind = classify(method, self.path, headers)
        conditional = any(h.lower() in ("if-none-match", "if-match") for h in headers)
        body, chunked = self._body()
        fault = self.owner._take_fault(kind, self.path)
        if fault is not None and fault.action == "hold":
            fault.arrived.set()
            fault.released.wait(300)

        def record(status: int, out: int, injected: str = "") -> None:
            self.owner._record(
                Request(kind, method, self.path, status, len(body), out, conditional, injected, time.monotonic() - start)
            )

        if fault is not None and fault.action == "drop":
            record(0, 0, "drop")
            self._drop()
            return
        if fault is not None and fault.action == "status":
            code = {500: "InternalError", 503: "SlowDown", 403: "AccessDenied", 404: "NoSuchKey"}.get(
                fault.status, "InjectedFault"
            )
            xml = (
                f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                f"<Message>fault injected by the test proxy</Message></Error>"
            ).encode()
            # Recorded before the answer goes out: a client that got its answer finds it counted.
            record(fault.status, len(xml), f"status {fault.status}")
            self._send(fault.status, [("Content-Type", "application/xml")], xml, head=method == "HEAD")
            return
        try:
            resp, data = self._forward(method, body, chunked)
        except (OSError, http.client.HTTPException):
            # Upstream unreachable (server down) or it hung up: the client sees a dropped connection.
            self._close_upstream()
            record(0, 0)
            self._drop()
            return
        if fault is not None and fault.action == "drop_after":
            record(0, 0, "drop_after")
            self._drop()
            return
        head = method == "HEAD" or resp.status in (204, 304) or resp.status < 200
        out_headers = [(n, v) for n, v in resp.getheaders() if n.lower() not in HOP_BY_HOP]
        if not head:
            out_headers = [(n, v) for n, v in out_headers if n.lower() != "content-length"]
        record(resp.status, len(data))
        self._send(resp.status, out_headers, data, head=head)
        if resp.will_close:
            self._close_upstream()

    def _forward(self, method: str, body: bytes, chunked: bool) -> tuple[http.client.HTTPResponse, bytes]:
        for attempt in (1, 2):
            conn = self.upstream_conn
            fresh = conn is None
            if conn is None:
                conn = http.client.HTTPConnection(*self.owner.upstream, timeout=300)
                self.upstream_conn = conn
            try:
                conn.putrequest(method, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self._upstream_headers(method):
                    conn.putheader(name, value)
                if chunked:
                    conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders()
                if chunked:
                    if body:
                        conn.send(f"{len(body):x}\r\n".encode() + body + b"\r\n")
                    conn.send(b"0\r\n\r\n")
                elif body:
                    conn.send(body)
                resp = conn.getresponse()
                # Read (and so close) every answer, HEAD's empty one too: http.client sends
                # no next request on a connection whose last answer is still open.
                data = resp.read()
                return resp, data
            except (http.client.RemoteDisconnected, http.client.BadStatusLine, BrokenPipeError, ConnectionResetError):
                # A kept-alive upstream connection the server had closed: retry once on a new one.
                self._close_upstream()
                if fresh or attempt == 2:
                    raise
        raise OSError("unreachable")

    def _close_upstream(self) -> None:
        if self.upstream_conn is not None:
            self.upstream_conn.close()
            self.upstream_conn = None

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self._close_upstream()

    def _upstream_headers(self, method: str) -> list[tuple[str, str]]:
        headers = [(n, v) for n, v in self.headers.items() if n.lower() not in HOP_BY_HOP]
        strip = {"if-none-match", "if-match"}
        if not self.owner.ignore_conditional or not any(n.lower() in strip for n, _ in headers):
            return headers
        if self.owner._secret_key is None:
            raise ValueError("ignore_conditional needs the server's secret_key to re-sign requests")
        kept = [(n, v) for n, v in headers if n.lower() not in strip]
        auth = next((v for n, v in kept if n.lower() == "authorization"), "")
        match = SIGV4.match(auth)
        if match is None:
            return kept
        access_key, _day, region, signed = match.groups()
        lower = {n.lower(): v for n, v in kept}
        names = [h for h in signed.split(";") if h not in strip]
        split = urllib.parse.urlsplit(self.path)
        query = canonical_query_string(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        new_auth = authorization(
            method, split.path, query, lower, access_key, self.owner._secret_key, region, signed=names
        )
        return [(n, new_auth if n.lower() == "authorization" else v) for n, v in kept]

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="s3proxy.py", description="A counting proxy in front of an S3 server.")
    parser.add_argument("--upstream", required=True, help="127.0.0.1:PORT of the S3 server")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    args = parser.parse_args(argv)
    host, _, port = args.upstream.rpartition(":")
    proxy = CountingProxy(int(port), host or "127.0.0.1", args.port, os.environ.get("S3_SECRET_ACCESS_KEY"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with proxy:
        sys.stdout.write(f"PROXY_PORT={proxy.port}\nPROXY_ENDPOINT={proxy.endpoint}\n")
        sys.stdout.flush()
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
