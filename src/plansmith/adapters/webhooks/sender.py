"""Webhooks over HTTP: signed with the ``standardwebhooks`` library, sent to the address the
guard checked, never following a redirect, reading at most the first 4 KiB of the answer.

Against DNS rebinding, the host is resolved once per attempt, every address checked, and the
connection made to the checked address (the URL's host goes in the Host header and, for
https, in SNI and the certificate check), so a name cannot point elsewhere between the check
and the connection. Connections are kept alive per name and address (connections.py).
"""

from __future__ import annotations

import http.client
import itertools
import ssl
import string
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import quote

import certifi
from standardwebhooks.webhooks import Webhook

from plansmith.adapters.webhooks.connections import Connections, PoolKey
from plansmith.adapters.webhooks.deadlines import SWEEP_SECONDS, Deadlines, Watched
from plansmith.adapters.webhooks.resolver import resolve
from plansmith.application.webhooks.guard import checked_target
from plansmith.application.webhooks.ports import Answer, Due, Resolver
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.webhooks.endpoints import Target

TIMEOUT_SECONDS = 10.0
MAX_HEAD = 4096
USER_AGENT = "plansmith-webhooks/1"
# What fails an attempt (not the worker): the network, TLS, a malformed answer, a full pool.
FAILURES = (http.client.HTTPException, OSError)


def signature(secrets: Sequence[str], msg_id: str, at: datetime, body: str) -> str:
    """``v1,<sig>`` per secret, space-separated: during a rotation's overlap both sign."""
    return " ".join(Webhook(s).sign(msg_id, at, body) for s in secrets)


def pool_key(target: Target, address: str) -> PoolKey:
    return PoolKey(target.scheme, target.host.lower(), target.port, address)


def _pinned(target: Target) -> tuple[str, str]:
    """The request target (path and query) and the Host header of ``target``."""
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    host_header = host if target.port == default else f"{host}:{target.port}"
    path = quote(target.path, safe=string.punctuation)  # only what is not ASCII, as httpx did
    return path, host_header.encode("idna").decode("ascii")


def trust_store() -> ssl.SSLContext:
    """Certificates verified against certifi's roots (what httpx verified with before)."""
    return ssl.create_default_context(cafile=certifi.where())


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
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.allow_private = allow_private
        self._timeout = timeout
        self._resolve = resolver
        self._wall = wall  # signatures carry real time: receivers refuse stale ones
        self.pools = Connections(per_endpoint or threads, timeout, context or trust_store())
        self._threads = threads
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook-send")
        self._deadlines = Deadlines()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._deadlines.close()
        self.pools.close()

    def _late(self, took: int) -> Answer:
        return Answer(None, f"TimeoutError: no answer within {self._timeout:g} s", took, "")

    def longest(self, n: int) -> float:
        """Seconds ``n`` attempts can take in all: each ends by its deadline (the time-out,
        and the watcher's sweep), ``threads`` at a time."""
        return -(-n // self._threads) * (self._timeout + 2 * SWEEP_SECONDS)

    def send(self, batch: Sequence[Due]) -> list[Answer]:
        """Each thread takes the batch's next delivery until none is left: one task per
        thread, not one per delivery (a task's future, lock and hand-off between threads
        cost a tenth of a worker's CPU at 200 a batch)."""
        if len(batch) == 1:
            return [self.send_one(batch[0])]
        answers: list[Answer | None] = [None] * len(batch)
        turns = itertools.count()  # next() on it is atomic: no two threads get one index

        def drain() -> None:
            while (k := next(turns)) < len(batch):
                answers[k] = self.send_one(batch[k])

        for task in [self._pool.submit(drain) for _ in range(min(self._threads, len(batch)))]:
            task.result()
        return [a for a in answers if a is not None]

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
            path, host = _pinned(target)
        except UnicodeError as exc:  # a name no DNS label encoding takes (e.g. too long)
            return Answer(None, f"refused: url host cannot be sent: {exc}", took(), "")
        at = self._wall()
        content = due.body.encode()
        headers = {
            "Host": host,
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            "Content-Length": str(len(content)),
            "webhook-id": due.event_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature(due.secrets, due.event_id, at, due.body),
        }
        deadline = started + self._timeout
        watched: Watched | None = None
        headers_at = None  # when the status line and headers were in
        status, location, head = 0, "", ""
        try:
            with (
                self.pools.connection(pool_key(target, address), deadline) as reuse,
                self._deadlines.watching(reuse.conn, deadline) as watched,
            ):
                reuse.conn.request("POST", path, body=content, headers=headers)
                response = reuse.conn.getresponse()
                headers_at = time.perf_counter()
                status = response.status
                location = response.getheader("location", "")
                head, ended = _read_head(response, deadline, watched)
                reuse.keep = ended and not response.will_close and not watched.cut
        except Exception as exc:
            if watched is None or not watched.cut:
                if not isinstance(exc, FAILURES):
                    raise
                return Answer(None, f"{type(exc).__name__}: {exc}", took(), "")
        if _cut_before_the_headers(watched, headers_at):
            return self._late(took())
        error = None
        if 300 <= status < 400:
            error = f"redirect ({status} to {location}) not followed"
        elif not 200 <= status < 300:
            error = f"answered {status}"
        return Answer(status, error, took(), head)


def _cut_before_the_headers(watched: Watched | None, headers_at: float | None) -> bool:
    """Cut before the status line and headers were in (the cut can also read as their end):
    no answer. Cut after: the answer stands, its body read until the deadline."""
    if watched is None or not watched.cut:
        return False
    return headers_at is None or watched.cut_at <= headers_at


def _read_head(
    response: http.client.HTTPResponse, deadline: float, watched: Watched
) -> tuple[str, bool]:
    """At most the first 4 KiB of the answer, as text (NUL dropped: not storable), read until
    ``deadline`` at the latest (a receiver trickling its answer a byte at a time would
    otherwise hold the attempt); and whether the answer was read to its end (only then may
    the connection carry the next request). A read the deadline cut ends what was kept."""
    kept = b""
    ended = False
    try:
        while len(kept) < MAX_HEAD and time.perf_counter() <= deadline:
            chunk = response.read1(MAX_HEAD - len(kept))
            if not chunk:
                ended = True
                break
            kept += chunk
        if ended or response.length == 0:
            response.read()  # nothing left: marks the answer done, the connection free again
            ended = response.isclosed()
    except FAILURES:
        if not watched.cut:
            raise
    text = kept[:MAX_HEAD].decode("utf-8", "replace").replace("\x00", "")
    return text, ended and not watched.cut
