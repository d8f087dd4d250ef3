"""Webhooks over HTTP: signed with the ``standardwebhooks`` library, sent to the address the
guard checked, never following a redirect, reading at most the first 4 KiB of the answer.

Against DNS rebinding, the host is resolved once per attempt, every address checked, and the
connection made to the checked address (the URL's host goes in the Host header and, for
https, in SNI and the certificate check), so a name cannot point elsewhere between the check
and the connection.

Connections are kept alive in one bounded pool per (scheme, host, port, address): keyed by
the address alone, a connection opened (and, for https, TLS-verified with SNI) for one host
name would be reused for another name on the same address. httpcore is used directly, not
through httpx: the client's URL, header and cookie layers cost about as much CPU as the rest
of an attempt together (docs/benchmarks.md).
"""

from __future__ import annotations

import string
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import quote

import httpcore
import httpx
from standardwebhooks.webhooks import Webhook

from plansmith.adapters.webhooks.resolver import resolve
from plansmith.application.webhooks.guard import checked_target
from plansmith.application.webhooks.ports import Answer, Due, Resolver
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.webhooks.endpoints import Target

TIMEOUT_SECONDS = 10.0
MAX_HEAD = 4096
USER_AGENT = b"plansmith-webhooks/1"
KEEP_ALIVE_SECONDS = 30.0
MAX_POOLS = 512  # idle pools beyond this are closed, least recently used first
FAILURES = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    OSError,
)


class PoolKey(NamedTuple):
    """What a kept-alive connection may be reused for: the same name on the same address."""

    scheme: str
    host: str
    port: int
    address: str


def signature(secrets: Sequence[str], msg_id: str, at: datetime, body: str) -> str:
    """``v1,<sig>`` per secret, space-separated: during a rotation's overlap both sign."""
    return " ".join(Webhook(s).sign(msg_id, at, body) for s in secrets)


def pool_key(target: Target, address: str) -> PoolKey:
    return PoolKey(target.scheme, target.host.lower(), target.port, address)


def _pinned(target: Target, address: str) -> tuple[str, bytes]:
    """The URL to the checked address and the Host header of ``target``."""
    shown = f"[{address}]" if ":" in address else address
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    host_header = host if target.port == default else f"{host}:{target.port}"
    path = quote(target.path, safe=string.punctuation)  # only what is not ASCII, as httpx did
    url = f"{target.scheme}://{shown}:{target.port}{path}"
    return url, host_header.encode("idna")


class _Pools:
    """One bounded httpcore pool per PoolKey; pools nobody is using are closed once there
    are more than MAX_POOLS (endpoints come and go; their pools must not pile up)."""

    def __init__(self, per_key: int) -> None:
        self._per_key = per_key
        self._ssl = httpx.create_ssl_context()  # the trust store httpx verified with
        self._pools: OrderedDict[PoolKey, httpcore.ConnectionPool] = OrderedDict()
        self._using: dict[PoolKey, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def using(self, key: PoolKey) -> Iterator[httpcore.ConnectionPool]:
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = httpcore.ConnectionPool(
                    ssl_context=self._ssl,
                    max_connections=self._per_key,
                    max_keepalive_connections=self._per_key,
                    keepalive_expiry=KEEP_ALIVE_SECONDS,
                )
                self._pools[key] = pool
                self._evict()
            self._pools.move_to_end(key)
            self._using[key] = self._using.get(key, 0) + 1
        try:
            yield pool
        finally:
            with self._lock:
                self._using[key] -= 1
                if not self._using[key]:
                    del self._using[key]

    def _evict(self) -> None:
        for key in list(self._pools):
            if len(self._pools) <= MAX_POOLS:
                return
            if key not in self._using:
                self._pools.pop(key).close()

    def keys(self) -> list[PoolKey]:
        with self._lock:
            return list(self._pools)

    def connections(self, key: PoolKey) -> int:
        with self._lock:
            pool = self._pools.get(key)
            return 0 if pool is None else len(pool.connections)

    def close(self) -> None:
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()


class HttpSender:
    def __init__(
        self,
        *,
        allow_private: bool,
        threads: int = 16,
        per_endpoint: int | None = None,
        timeout: float = TIMEOUT_SECONDS,
        resolver: Resolver = resolve,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.allow_private = allow_private
        self._timeout = timeout
        self._resolve = resolver
        self._wall = wall  # signatures carry real time: receivers refuse stale ones
        self.pools = _Pools(per_endpoint or threads)
        timeouts = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        self._timeouts: dict[str, float] = timeouts
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook-send")

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.pools.close()

    def send(self, batch: Sequence[Due]) -> list[Answer]:
        if len(batch) == 1:
            return [self.send_one(batch[0])]
        return list(self._pool.map(self.send_one, batch))

    def send_one(self, due: Due) -> Answer:
        started = time.perf_counter()

        def took() -> int:
            return int((time.perf_counter() - started) * 1000)

        try:
            target, address = checked_target(
                due.url, allow_private=self.allow_private, resolve=self._resolve
            )
        except DomainError as exc:
            return Answer(None, f"refused: {exc.message}", took(), "")
        try:
            url, host = _pinned(target, address)
        except UnicodeError as exc:  # a name no DNS label encoding takes (e.g. too long)
            return Answer(None, f"refused: url host cannot be sent: {exc}", took(), "")
        at = self._wall()
        content = due.body.encode()
        headers = [
            (b"host", host),
            (b"user-agent", USER_AGENT),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode()),
            (b"webhook-id", due.event_id.encode()),
            (b"webhook-timestamp", str(int(at.timestamp())).encode()),
            (b"webhook-signature", signature(due.secrets, due.event_id, at, due.body).encode()),
        ]
        extensions: dict[str, object] = {"timeout": self._timeouts}
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host
        try:
            with (
                self.pools.using(pool_key(target, address)) as pool,
                pool.stream(
                    b"POST", url, headers=headers, content=content, extensions=extensions
                ) as response,
            ):
                head = _read_head(response, started + self._timeout)
                status = response.status
                location = _header(response, b"location")
        except FAILURES as exc:
            return Answer(None, f"{type(exc).__name__}: {exc}", took(), "")
        error = None
        if 300 <= status < 400:
            error = f"redirect ({status} to {location}) not followed"
        elif not 200 <= status < 300:
            error = f"answered {status}"
        return Answer(status, error, took(), head)


def _header(response: httpcore.Response, name: bytes) -> str:
    for key, value in response.headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _read_head(response: httpcore.Response, deadline: float) -> str:
    """At most the first 4 KiB of the answer, as text (NUL dropped: not storable), read until
    ``deadline`` at the latest: the timeout bounds each read, so a receiver trickling its
    answer a byte at a time would otherwise hold the attempt (and its batch's lease) for
    hours."""
    kept = b""
    for chunk in response.iter_stream():
        kept += chunk
        if len(kept) >= MAX_HEAD or time.perf_counter() > deadline:
            break
    return kept[:MAX_HEAD].decode("utf-8", "replace").replace("\x00", "")
