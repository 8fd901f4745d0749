"""A small S3 client on the standard library (AWS Signature Version 4), for tests and benchmarks.

It makes the few requests the fixtures and assertions need (create a bucket, list keys,
list unfinished multipart uploads, put/get/delete an object, a conditional put) without
boto3: the tests talk to the real SeaweedFS server of ``s3.py``, directly or through the
counting proxy of ``s3proxy.py``, and must not pull a second S3 stack into the venv.

Path-style addressing only (``http://127.0.0.1:PORT/bucket/key``), payloads signed with
their SHA-256. Every call returns an :class:`S3Response`; nothing raises on an HTTP error
status, so a test can assert on 403, 404 or 412 itself (``check()`` raises when wanted).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Mapping, Optional

S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
UNRESERVED = "-_.~"


@dataclass
class S3Response:
    status: int
    headers: dict[str, str]
    body: bytes
    method: str = ""
    target: str = ""

    def check(self, *ok: int) -> S3Response:
        """Raise ``S3Error`` unless the status is one of ``ok`` (default: any 2xx)."""
        good = self.status in ok if ok else 200 <= self.status < 300
        if not good:
            raise S3Error(self)
        return self

    def error_code(self) -> str:
        """The ``<Code>`` of an S3 error body (empty when there is none)."""
        try:
            root = ET.fromstring(self.body)
        except ET.ParseError:
            return ""
        node = root.find("Code")
        return node.text or "" if node is not None else ""

    def xml(self) -> ET.Element:
        return ET.fromstring(self.body)


class S3Error(Exception):
    def __init__(self, response: S3Response) -> None:
        self.response = response
        text = response.body[:500].decode(errors="replace")
        super().__init__(f"{response.method} {response.target}: HTTP {response.status} {text}")


@dataclass
class S3Client:
    """Signed requests to ``endpoint`` (``http://127.0.0.1:PORT``)."""

    endpoint: str
    access_key: str
    secret_key: str = field(repr=False)
    region: str = "us-east-1"
    timeout: float = 30.0

    @property
    def hostport(self) -> str:
        parsed = urllib.parse.urlsplit(self.endpoint)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ValueError(f"endpoint must be http://host:port, got {self.endpoint!r}")
        return parsed.netloc

    def request(
        self,
        method: str,
        bucket: str = "",
        key: str = "",
        query: Optional[Mapping[str, str]] = None,
        headers: Optional[Mapping[str, str]] = None,
        body: bytes = b"",
    ) -> S3Response:
        path = "/" + bucket if bucket else "/"
        if key:
            path += "/" + key
        query = dict(query or {})
        now = dt.datetime.now(dt.timezone.utc)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        payload_hash = hashlib.sha256(body).hexdigest()
        all_headers = {k.lower(): v.strip() for k, v in (headers or {}).items()}
        all_headers["host"] = self.hostport
        all_headers["x-amz-date"] = amz_date
        all_headers["x-amz-content-sha256"] = payload_hash
        canonical_uri = quote(path, safe="/")
        canonical_query = canonical_query_string(query.items())
        all_headers["authorization"] = authorization(
            method, canonical_uri, canonical_query, all_headers, self.access_key, self.secret_key, self.region
        )
        target = canonical_uri + ("?" + canonical_query if canonical_query else "")
        conn = http.client.HTTPConnection(self.hostport, timeout=self.timeout)
        try:
            conn.request(method, target, body=body if body or method in ("PUT", "POST") else None, headers=all_headers)
            resp = conn.getresponse()
            data = resp.read()
            return S3Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data, method, target)
        finally:
            conn.close()

    # Buckets

    def create_bucket(self, bucket: str) -> S3Response:
        return self.request("PUT", bucket)

    def head_bucket(self, bucket: str) -> S3Response:
        return self.request("HEAD", bucket)

    def delete_bucket(self, bucket: str) -> S3Response:
        return self.request("DELETE", bucket)

    def list_buckets(self) -> list[str]:
        root = self.request("GET").check().xml()
        return [n.text or "" for n in root.iter(f"{S3_NS}Name")] or [n.text or "" for n in root.iter("Name")]

    # Objects

    def put_object(self, bucket: str, key: str, body: bytes, headers: Optional[Mapping[str, str]] = None) -> S3Response:
        return self.request("PUT", bucket, key, headers=headers, body=body)

    def put_if_absent(self, bucket: str, key: str, body: bytes) -> S3Response:
        """A conditional put (``If-None-Match: *``): 200 when created, 412 when the key exists."""
        return self.put_object(bucket, key, body, headers={"If-None-Match": "*"})

    def get_object(self, bucket: str, key: str) -> S3Response:
        return self.request("GET", bucket, key)

    def head_object(self, bucket: str, key: str) -> S3Response:
        return self.request("HEAD", bucket, key)

    def delete_object(self, bucket: str, key: str) -> S3Response:
        return self.request("DELETE", bucket, key)

    def list_keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every key under ``prefix`` (ListObjectsV2, all pages)."""
        return [key for key, _ in self.list_objects(bucket, prefix)]

    def list_objects(self, bucket: str, prefix: str = "") -> Iterator[tuple[str, int]]:
        """``(key, size)`` of every object under ``prefix`` (ListObjectsV2, all pages)."""
        token = ""
        while True:
            query = {"list-type": "2", "prefix": prefix}
            if token:
                query["continuation-token"] = token
            root = self.request("GET", bucket, query=query).check().xml()
            for item in _children(root, "Contents"):
                yield _text(item, "Key"), int(_text(item, "Size") or 0)
            if _text(root, "IsTruncated") != "true":
                return
            token = _text(root, "NextContinuationToken")

    # Multipart

    def create_multipart_upload(self, bucket: str, key: str) -> str:
        root = self.request("POST", bucket, key, query={"uploads": ""}).check().xml()
        return _text(root, "UploadId")

    def upload_part(self, bucket: str, key: str, upload_id: str, number: int, body: bytes) -> str:
        resp = self.request(
            "PUT", bucket, key, query={"partNumber": str(number), "uploadId": upload_id}, body=body
        ).check()
        return resp.headers.get("etag", "")

    def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, etags: list[str], headers: Optional[Mapping[str, str]] = None
    ) -> S3Response:
        parts = "".join(
            f"<Part><PartNumber>{i}</PartNumber><ETag>{etag}</ETag></Part>" for i, etag in enumerate(etags, 1)
        )
        body = f"<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>".encode()
        return self.request("POST", bucket, key, query={"uploadId": upload_id}, headers=headers, body=body)

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> S3Response:
        return self.request("DELETE", bucket, key, query={"uploadId": upload_id})

    def list_multipart_uploads(self, bucket: str, prefix: str = "") -> list[tuple[str, str]]:
        """``(key, upload_id)`` of every multipart upload started and neither completed nor aborted."""
        query = {"uploads": ""}
        if prefix:
            query["prefix"] = prefix
        root = self.request("GET", bucket, query=query).check().xml()
        return [(_text(u, "Key"), _text(u, "UploadId")) for u in _children(root, "Upload")]


def canonical_query_string(pairs: Iterable[tuple[str, str]]) -> str:
    """SigV4's canonical query: decoded pairs, each part URI-encoded, sorted."""
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(pairs))


def authorization(
    method: str,
    canonical_uri: str,
    canonical_query: str,
    headers: Mapping[str, str],
    access_key: str,
    secret_key: str,
    region: str,
    signed: Optional[Iterable[str]] = None,
) -> str:
    """The ``Authorization`` header value of a SigV4 request.

    ``headers`` (lower-case names) must hold ``host``, ``x-amz-date`` and
    ``x-amz-content-sha256``; ``signed`` names the headers to sign (default: all of them).
    """
    names = sorted(h.lower() for h in (signed if signed is not None else headers))
    amz_date = headers["x-amz-date"]
    canonical_headers = "".join(f"{h}:{' '.join(headers[h].split())}\n" for h in names)
    signed_headers = ";".join(names)
    canonical_request = "\n".join(
        [method, canonical_uri, canonical_query, canonical_headers, signed_headers, headers["x-amz-content-sha256"]]
    )
    scope = f"{amz_date[:8]}/{region}/s3/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key_bytes = _signing_key(secret_key, amz_date[:8], region)
    signature = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"


def quote(text: str, safe: str) -> str:
    """URI-encode as SigV4 wants: everything but unreserved characters (and ``safe``)."""
    return urllib.parse.quote(text, safe=safe + UNRESERVED)


def _signing_key(secret: str, day: str, region: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (day, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _children(node: ET.Element, tag: str) -> list[ET.Element]:
    return node.findall(f"{S3_NS}{tag}") or node.findall(tag)


def _text(node: ET.Element, tag: str) -> str:
    found = node.find(f"{S3_NS}{tag}")
    if found is None:
        found = node.find(tag)
    return (found.text or "") if found is not None else ""
