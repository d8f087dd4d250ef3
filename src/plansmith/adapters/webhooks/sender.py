"""Webhooks over HTTP: signed with the ``standardwebhooks`` library, sent to the address the
guard checked, never following a redirect, reading at most the first 4 KiB of the answer.

Against DNS rebinding, the host is resolved once per attempt, every address checked, and the
connection made to the checked address (the URL's host goes in the Host header and, for
https, in SNI and the certificate check), so a name cannot point elsewhere between the check
and the connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from plansmith.adapters.webhooks.resolver import resolve
from plansmith.application.webhooks.guard import checked_target
from plansmith.application.webhooks.ports import Answer, Due, Resolver
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.webhooks.endpoints import Target

TIMEOUT_SECONDS = 10.0
MAX_HEAD = 4096
USER_AGENT = "plansmith-webhooks/1"


def signature(secrets: Sequence[str], msg_id: str, at: datetime, body: str) -> str:
    """``v1,<sig>`` per secret, space-separated: during a rotation's overlap both sign."""
    return " ".join(Webhook(s).sign(msg_id, at, body) for s in secrets)


def _pinned(target: Target, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL to the checked address, the Host header and the SNI name of ``target``."""
    shown = f"[{address}]" if ":" in address else address
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    host_header = host if target.port == default else f"{host}:{target.port}"
    url = f"{target.scheme}://{shown}:{target.port}{target.path}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return url, {"host": host_header}, extensions


class HttpSender:
    def __init__(
        self,
        *,
        allow_private: bool,
        threads: int = 16,
        timeout: float = TIMEOUT_SECONDS,
        resolver: Resolver = resolve,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.allow_private = allow_private
        self._timeout = timeout
        self._resolve = resolver
        self._wall = wall  # signatures carry real time: receivers refuse stale ones
        self._client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=threads * 4, max_keepalive_connections=threads * 4),
            headers={"user-agent": USER_AGENT, "content-type": "application/json"},
        )
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook-send")

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._client.close()

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
        url, headers, extensions = _pinned(target, address)
        headers["webhook-id"] = due.event_id
        at = self._wall()
        headers["webhook-timestamp"] = str(int(at.timestamp()))
        headers["webhook-signature"] = signature(due.secrets, due.event_id, at, due.body)
        try:
            with self._client.stream(
                "POST", url, content=due.body.encode(), headers=headers, extensions=extensions
            ) as response:
                head = _read_head(response, started + self._timeout)
                status = response.status_code
        except httpx.HTTPError as exc:
            return Answer(None, f"{type(exc).__name__}: {exc}", took(), "")
        error = None
        if 300 <= status < 400:
            where = response.headers.get("location", "")
            error = f"redirect ({status} to {where}) not followed"
        elif not 200 <= status < 300:
            error = f"answered {status}"
        return Answer(status, error, took(), head)


def _read_head(response: httpx.Response, deadline: float) -> str:
    """At most the first 4 KiB of the answer, as text (NUL dropped: not storable), read until
    ``deadline`` at the latest: the timeout bounds each read, so a receiver trickling its
    answer a byte at a time would otherwise hold the attempt (and its batch's lease) for
    hours."""
    kept = b""
    for chunk in response.iter_bytes():
        kept += chunk
        if len(kept) >= MAX_HEAD or time.perf_counter() > deadline:
            break
    return kept[:MAX_HEAD].decode("utf-8", "replace").replace("\x00", "")
