"""A faithful ECR in front of moto: ECR's paging, batch limits, throttling, latency and faults.

moto answers every list in one page, never throttles, never fails and answers in microseconds.
Real ECR pages at 100 items by default (``maxResults`` 1-1000, an opaque ``nextToken``), allows
100 image ids per batch call, throttles PutImage at about 10 calls a second, answers in tens of
milliseconds, and now and then returns 429, 500 or 503 or drops the connection. This proxy puts
those limits back, so that tests and benchmarks see what users of real ECR see:

    with EcrProxy(moto_url, latency=0.02, fault_rate=0.1, seed=7) as proxy:
        env["AWS_ENDPOINT_URL"] = proxy.url
        ...
        proxy.counts["DescribeImages"]      # calls per operation (X-Amz-Target)

Fault kind ``lost`` applies the request upstream and then drops the connection: the work is done
but the answer never arrives (botocore then resends an applied write). ``outage()`` makes every
ECR call fail from a given point on (a network that stays down), ``heal()`` ends it.

Listings are fetched from moto once (moto ignores ``maxResults``) and served in ECR-sized slices
from a cache keyed by the opaque token. Faults are decided by a seeded random generator before
the request reaches moto, so a faulted call never changes state (as with ECR's 5xx before work).
Requests that are not ECR JSON calls (``/moto-api/...``, other services) pass through unchanged,
counted under their X-Amz-Target operation (or, for query-protocol services such as STS, their
``Action``), delayed by ``other_latency``; ``intercept(operation, body, principal)`` may answer
any call itself (``principal``: ``ACCOUNT/REGION`` of the signer; ``query_error`` builds STS's
refusal). Used by tests (the ``ecr_proxy`` fixture in tests/proxy_fixtures.py) and by
bench/bench_ecr.py. It serves on a tests/fakehttp.py server.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import secrets
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakehttp import FakeServer, Reply, Request

ECR_TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921."
JSON_TYPE = "application/x-amz-json-1.1"
DEFAULT_PAGE = 100
MAX_PAGE = 1000
MAX_BATCH_IDS = 100
FAULT_KINDS = ("throttle", "500", "503", "reset")
LOST = "lost"  # applied upstream, answer dropped (not in the default kinds: it changes state)
ALL_FAULT_KINDS = (*FAULT_KINDS, LOST)

# operation -> (path of the list inside the response, request key of ids that ECR limits to 100)
PAGED: dict[str, tuple[str, ...]] = {
    "ListImages": ("imageIds",),
    "DescribeImages": ("imageDetails",),
    "DescribeRepositories": ("repositories",),
    "DescribeImageScanFindings": ("imageScanFindings", "findings"),
}
BATCH_LIMITED = {"BatchGetImage", "BatchDeleteImage", "DescribeImages"}
# With explicit ids or names ECR returns them all and does not page.
UNPAGED_WHEN = {"DescribeImages": "imageIds", "DescribeRepositories": "repositoryNames"}
READ_ONLY_PREFIXES = ("Describe", "List", "Get", "BatchGet", "BatchCheck")
CHANGES_NOTHING = {"AssumeRole"}  # calls that change no state behind a listing snapshot
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


def ecr_error(status: int, code: str, message: str) -> Reply:
    """An error as ECR's JSON protocol sends it (botocore reads ``__type``)."""
    body = json.dumps({"__type": code, "message": message}).encode()
    return Reply(
        status,
        [("Content-Type", JSON_TYPE), ("x-amzn-RequestId", secrets.token_hex(16))],
        body,
    )


def query_error(status: int, code: str, message: str) -> Reply:
    """An error as a query-protocol service (STS) sends it."""
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
        f"<Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        f"<RequestId>{secrets.token_hex(16)}</RequestId></ErrorResponse>"
    ).encode()
    return Reply(status, [("Content-Type", "text/xml")], body)


def _query_action(headers: list[tuple[str, str]], body: bytes) -> str:
    kind = next((v for k, v in headers if k.lower() == "content-type"), "")
    if not kind.startswith("application/x-www-form-urlencoded"):
        return ""
    return (parse_qs(body.decode("utf-8", "replace")).get("Action") or [""])[0]


def _json_reply(doc: Any) -> Reply:
    return Reply(
        200,
        [("Content-Type", JSON_TYPE), ("x-amzn-RequestId", secrets.token_hex(16))],
        json.dumps(doc).encode(),
    )


@dataclass
class _Listing:
    template: dict[str, Any]
    key_path: tuple[str, ...]
    items: list[Any]


class _TokenBucket:
    """``rate`` calls a second on average, bursts of up to ``rate`` calls (ECR's PutImage limit)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


class EcrProxy:
    """A threaded HTTP server on 127.0.0.1 that behaves like ECR in front of a moto server."""

    def __init__(
        self,
        upstream: str,
        *,
        latency: float = 0.02,
        fault_rate: float = 0.0,
        fault_kinds: Iterable[str] = FAULT_KINDS,
        fault_operations: Iterable[str] | None = None,
        seed: int = 0,
        put_image_rate: float | None = 10.0,
        cache_listings: bool = False,
        port: int = 0,
        other_latency: float = 0.0,
        intercept: Callable[[str, bytes, str], Reply | None] | None = None,
    ) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.latency = latency
        self.other_latency = other_latency
        self.intercept = intercept
        self.fault_rate = fault_rate
        self.fault_kinds = tuple(fault_kinds)
        unknown = set(self.fault_kinds) - set(ALL_FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}: use {ALL_FAULT_KINDS}")
        # None: every ECR operation may fail; otherwise only these.
        self.fault_operations = set(fault_operations) if fault_operations is not None else None
        self._random = random.Random(seed)
        self._random_lock = threading.Lock()
        self._bucket = _TokenBucket(put_image_rate) if put_image_rate else None
        self._listings: OrderedDict[str, tuple[_Listing, int]] = OrderedDict()
        # Benchmarks: moto takes seconds to describe 10,000 images, where ECR answers a page in
        # tens of milliseconds. With cache_listings a full listing is fetched from moto once and
        # reused until a call that may change state passes through the proxy.
        self.cache_listings = cache_listings
        self._snapshots: dict[str, _Listing] = {}
        self._accounts: dict[str, str] = {}  # an assumed role's access key -> its account
        self._listings_lock = threading.Lock()
        self._counts_lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.fault_log: list[tuple[str, str]] = []  # (operation, kind) of each injected fault
        # An outage: (operation, calls of it still served, kind); then every ECR call fails.
        self._outage: tuple[str, int, str] | None = None
        self._local = threading.local()
        self._port = port
        self._server: FakeServer | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the proxy first"
        return self._server.url

    def start(self) -> EcrProxy:
        self._server = FakeServer(self._serve, port=self._port)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def __enter__(self) -> EcrProxy:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def forget_listings(self) -> None:
        """Drop listing snapshots (after changing moto's state behind the proxy's back)."""
        with self._listings_lock:
            self._snapshots.clear()

    def outage(self, *, after: int = 0, operation: str = "", kind: str = "reset") -> None:
        """From now on, after ``after`` more calls of ``operation`` pass, every ECR call fails."""
        if kind not in ALL_FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}: use {ALL_FAULT_KINDS}")
        with self._random_lock:
            self._outage = (operation, after, kind)

    def heal(self) -> None:
        """End an outage: calls pass again (random faults, if any, go on)."""
        with self._random_lock:
            self._outage = None

    def faults_of(self, kind: str) -> int:
        with self._counts_lock:
            return sum(1 for _, k in self.fault_log if k == kind)

    def reset_counts(self) -> None:
        with self._counts_lock:
            self.counts.clear()
            self.faults.clear()
            self.throttled.clear()
            self.fault_log.clear()

    def stats(self) -> dict[str, dict[str, int]]:
        with self._counts_lock:
            return {
                "calls": dict(self.counts),
                "faults": dict(self.faults),
                "throttled": dict(self.throttled),
            }

    # -- one request ----------------------------------------------------------------------------

    def _count(self, counter: Counter[str], operation: str) -> None:
        with self._counts_lock:
            counter[operation] += 1

    def _fault(self, operation: str) -> str | None:
        if not operation:
            return None
        with self._random_lock:
            if self._outage is not None:
                watched, left, kind = self._outage
                if left <= 0:
                    return kind
                if operation == watched:
                    self._outage = (watched, left - 1, kind)
        if self.fault_rate <= 0:
            return None
        if self.fault_operations is not None and operation not in self.fault_operations:
            return None
        with self._random_lock:
            if self._random.random() >= self.fault_rate:
                return None
            return self._random.choice(self.fault_kinds)

    def _serve(self, request: Request) -> Reply:
        try:
            reply = self.handle(
                request.method, request.path, list(request.headers.items()), request.body
            )
        except (OSError, http.client.HTTPException):
            return Reply(hang_up=True)  # moto is gone: the connection closes unanswered
        # As ECR (and an HTTP server) does: the proxy's own Date on every answer.
        headers = reply.header_items()
        kept = [(k, v) for k, v in headers if k.lower() not in {"server", "date"}]
        reply.headers = [*kept, ("Date", formatdate(usegmt=True))]
        return reply

    def handle(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Reply:
        """The reply to one request (``Reply(reset=True)``: the connection is reset)."""
        target = next((v for k, v in headers if k.lower() == "x-amz-target"), "")
        operation = target.rsplit(".", 1)[-1] if target else _query_action(headers, body)
        is_ecr = target.startswith(ECR_TARGET_PREFIX)
        if operation:
            self._count(self.counts, operation)
        if path.startswith("/_proxy/stats"):
            return _json_reply(self.stats())
        if not operation.startswith(READ_ONLY_PREFIXES) and operation not in CHANGES_NOTHING:
            with self._listings_lock:
                self._snapshots.clear()
        if self.intercept is not None and operation:
            answer = self.intercept(operation, body, self.principal(headers))
            if answer is not None:
                return answer
        if not is_ecr:
            if self.other_latency and operation:
                time.sleep(self.other_latency)
            reply = self._forward(method, path, headers, body)
            if operation == "AssumeRole" and reply.status == 200:
                self._learn_account(reply.body)
            return reply
        if self.latency:
            time.sleep(self.latency)
        fault = self._fault(operation)
        if fault is not None:
            self._count(self.faults, operation)
            with self._counts_lock:
                self.fault_log.append((operation, fault))
            if fault == "reset":
                return Reply(reset=True)
            if fault == LOST:
                self._forward(method, path, headers, body)  # the work is done upstream ...
                with self._listings_lock:
                    self._snapshots.clear()
                return Reply(reset=True)  # ... and the answer is lost
            if fault == "throttle":
                return ecr_error(429, "ThrottlingException", "Rate exceeded")
            if fault == "500":
                return ecr_error(500, "ServerException", "Internal service error (injected)")
            return ecr_error(503, "ServiceUnavailableException", "Service unavailable (injected)")
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            return ecr_error(400, "SerializationException", "request body is not JSON")
        if operation in BATCH_LIMITED and len(params.get("imageIds") or []) > MAX_BATCH_IDS:
            return ecr_error(
                400,
                "InvalidParameterException",
                "Invalid parameter at 'imageIds' failed to satisfy constraint: "
                f"'Member must have length less than or equal to {MAX_BATCH_IDS}'",
            )
        if operation == "PutImage" and self._bucket is not None and not self._bucket.take():
            self._count(self.throttled, operation)
            return ecr_error(400, "ThrottlingException", "Rate exceeded")
        if operation in PAGED and not params.get(UNPAGED_WHEN.get(operation, "-")):
            return self._page(operation, method, path, headers, params)
        return self._forward(method, path, headers, body)

    def _page(
        self,
        operation: str,
        method: str,
        path: str,
        headers: list[tuple[str, str]],
        params: dict[str, Any],
    ) -> Reply:
        size = params.pop("maxResults", None)
        token = params.pop("nextToken", None)
        if size is not None and (not isinstance(size, int) or not 1 <= size <= MAX_PAGE):
            relation = (
                "greater than or equal to 1"
                if (size or 0) < 1
                else (f"less than or equal to {MAX_PAGE}")
            )
            return ecr_error(
                400,
                "InvalidParameterException",
                "Invalid parameter at 'maxResults' failed to satisfy constraint: "
                f"'Member must have value {relation}'",
            )
        if token is not None:
            with self._listings_lock:
                found = self._listings.get(str(token))
            if found is None:
                return ecr_error(400, "InvalidParameterException", "Invalid NextToken")
            listing, offset = found
        else:
            key = operation + self.principal(headers) + json.dumps(params, sort_keys=True)
            with self._listings_lock:
                snapshot = self._snapshots.get(key) if self.cache_listings else None
            if snapshot is None:
                reply = self._forward(method, path, headers, json.dumps(params).encode())
                if reply.status != 200:
                    return reply
                snapshot = self._listing(operation, json.loads(reply.body or b"{}"), params)
                if self.cache_listings:
                    with self._listings_lock:
                        self._snapshots[key] = snapshot
            listing, offset = snapshot, 0
        end = offset + (size or DEFAULT_PAGE)
        doc = _with_items(listing.template, listing.key_path, listing.items[offset:end])
        if end < len(listing.items):
            next_token = secrets.token_urlsafe(48)
            with self._listings_lock:
                self._listings[next_token] = (listing, end)
                while len(self._listings) > 2000:
                    self._listings.popitem(last=False)
            doc["nextToken"] = next_token
        return _json_reply(doc)

    def _learn_account(self, body: bytes) -> None:
        """Which account an assumed role's access key acts in (a listing snapshot is kept per
        account and region, whatever keys the next run is given)."""
        key = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", body)
        account = re.search(rb"<Arn>arn:[\w-]+:sts::(\d{12}):", body)
        if key and account:
            with self._listings_lock:
                self._accounts[key.group(1).decode()] = account.group(1).decode()

    def principal(self, headers: list[tuple[str, str]]) -> str:
        """``account/region`` of a signed call (its access key when the account is unknown)."""
        auth = next((v for k, v in headers if k.lower() == "authorization"), "")
        scope = re.search(r"Credential=([^/]+)/\d+/([^/]+)/", auth)
        if scope is None:
            return "-"
        with self._listings_lock:
            account = self._accounts.get(scope.group(1), scope.group(1))
        return f"{account}/{scope.group(2)}"

    def _listing(self, operation: str, doc: dict[str, Any], params: dict[str, Any]) -> _Listing:
        key_path = PAGED[operation]
        if operation == "DescribeImageScanFindings" and "enhancedFindings" in (
            doc.get("imageScanFindings") or {}
        ):
            key_path = ("imageScanFindings", "enhancedFindings")
        holder = doc
        for key in key_path[:-1]:
            holder = holder.get(key) or {}
        items = list(holder.get(key_path[-1]) or [])
        doc.pop("nextToken", None)
        # moto ignores filter.tagStatus; ECR honours it.
        status = (params.get("filter") or {}).get("tagStatus", "ANY")
        if operation in {"ListImages", "DescribeImages"} and status in {"TAGGED", "UNTAGGED"}:
            field = "imageTag" if operation == "ListImages" else "imageTags"
            items = [i for i in items if bool(i.get(field)) == (status == "TAGGED")]
        return _Listing(template=doc, key_path=key_path, items=items)

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=120)
            self._local.conn = conn
        return conn

    def _forward(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> Reply:
        sent = {k: v for k, v in headers if k.lower() not in HOP_BY_HOP}
        for attempt in (1, 2):  # a kept-alive upstream connection may have been closed
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=sent)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
                continue
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
            return Reply(response.status, kept, data)
        raise AssertionError("unreachable")


def _with_items(
    template: dict[str, Any], key_path: tuple[str, ...], items: list[Any]
) -> dict[str, Any]:
    doc = dict(template)
    holder = doc
    for key in key_path[:-1]:
        holder[key] = dict(holder.get(key) or {})
        holder = holder[key]
    holder[key_path[-1]] = items
    return doc


def seed_images(
    repository: str,
    count: int,
    *,
    tags_per_image: int = 1,
    untagged: int = 0,
    account: str = "123456789012",
    region: str = "us-east-1",
) -> list[tuple[str | None, str]]:
    """Put ``count`` tagged (and ``untagged`` untagged) images straight into moto's backend.

    Seeding 10,000 images through the API takes minutes (moto's PutImage scans every image of
    the repository); this takes a second. It works where the moto server runs in this process
    (the ``moto_server`` fixture, bench/bench_ecr.py). Each manifest is real JSON with its true
    sha256 digest; pushed times are one second apart. Returns (tag, digest) per image, tag
    ``tag-<n>`` (the first tag of each image) or None for untagged ones.
    """
    from moto.backends import get_backend
    from moto.ecr.models import Image

    from ecrctl.sandbox.images import synthetic_manifest

    backend = get_backend("ecr")[account][region]
    if repository not in backend.repositories:
        backend.create_repository(
            repository, None, {"encryptionType": "AES256"}, {"scanOnPush": False}, "MUTABLE", []
        )
    repo = backend.repositories[repository]
    started = int(time.time()) - count - untagged
    seeded: list[tuple[str | None, str]] = []
    for n in range(count + untagged):
        tag = f"tag-{n}" if n < count else None
        synthetic = synthetic_manifest(f"{repository}/{n}", layers=1)
        image = Image(
            account, tag, synthetic.manifest, repository, synthetic.media_type, synthetic.digest
        )
        if tag is not None:
            for extra in range(1, tags_per_image):
                image.update_tag(f"{tag}-{extra}")
        image.image_pushed_at = started + n
        repo.images.append(image)
        seeded.append((tag, synthetic.digest))
    return seeded
