"""Idempotency-Key on POST and PATCH under /v1, as pure ASGI middleware.

Same key and same request: the stored response is replayed. Same key, other request: 422.
Same key while the first is still running: 409 `idempotency_key_in_use` with Retry-After.
The running request holds the key by a lease it keeps renewing (the row stores until when,
by the holder's own lease); if its server died, a retry after the lease runs a rerunnable
request again (it does what is left), and answers any other request that had committed with
409 `idempotency_response_lost` (done once, answer lost).
Keys are scoped to the organization of the API key and kept for the configured retention
(24 h by default).
"""

from __future__ import annotations

import hashlib
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plansmith.adapters.idempotency import StoredResponse, Verdict, current_claim
from plansmith.application.organizations.api_keys import Caller, authenticate_api_key
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError
from plansmith.entrypoints.api.problems import problem

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
# Requests made of steps that each do their work exactly once by their own unique keys (one
# invoice per subscription and period, a test clock that moves only forward from where it
# stands, a renewal saved only on the subscription's revision it read, so a period passed is
# never passed twice): they commit once per step, so their server may die mid-way; a retry
# with the same key then runs them again and they do what is left. Every other POST and
# PATCH under /v1 commits its writes in one transaction and never runs twice.
# A retry is told to come back after the holder's lease or this, whichever is sooner: a live
# request keeps renewing its lease, and may well be done in a moment.
RETRY_AFTER_MAX = 5
RERUNNABLE = frozenset(
    {
        ("POST", "/v1/billing_runs"),
        ("POST", "/v1/subscriptions/advance"),
        ("POST", "/v1/test_clock/advance"),
    }
)


# Where the middleware leaves the caller it authenticated, for the route's get_caller.
CALLER = "plansmith_caller"


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, container: Plansmith) -> None:
        self.app = app
        self.container = container

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("POST", "PATCH")
            or not scope["path"].startswith("/v1/")
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key_bytes = headers.get(HEADER)
        # Database calls run in the thread pool: this middleware must not block the event loop.
        caller = await run_in_threadpool(self._caller, headers.get(b"authorization", b""))
        organization_id = caller.organization.id if caller is not None else None
        if caller is not None:  # the route takes it from here: one authentication a request
            scope.setdefault("state", {})[CALLER] = caller
        if key_bytes is None or organization_id is None:
            await self.app(scope, receive, send)  # the route answers 401 for a bad key
            return
        key = key_bytes.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            response = problem(
                400,
                ec.INVALID_IDEMPOTENCY_KEY,
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters",
                field="Idempotency-Key",
            )
            await response(scope, receive, send)
            return

        body = await _read_body(receive)
        query = scope.get("query_string", b"").decode()
        store = self.container.idempotency
        rerunnable = (scope["method"], scope["path"]) in RERUNNABLE
        decision = await run_in_threadpool(
            store.begin,
            organization_id,
            key,
            request_hash(scope["method"], scope["path"], query, body),
            rerunnable=rerunnable,
        )

        if decision.verdict is Verdict.REPLAY:
            assert decision.response is not None
            await _replay(decision.response, send)
            return
        if decision.verdict is Verdict.MISMATCH:
            await problem(
                422,
                ec.IDEMPOTENCY_KEY_REUSED,
                "this Idempotency-Key was used with a different request; use a new key",
                field="Idempotency-Key",
            )(scope, receive, send)
            return
        if decision.verdict is Verdict.IN_PROGRESS:
            await problem(
                409,
                ec.IDEMPOTENCY_KEY_IN_USE,
                "a request with this Idempotency-Key is still being processed; retry with the "
                "same key after the seconds in Retry-After",
                field="Idempotency-Key",
                headers={"Retry-After": str(min(decision.retry_after or 1, RETRY_AFTER_MAX))},
            )(scope, receive, send)
            return
        if decision.verdict is Verdict.RESPONSE_LOST:
            await problem(
                409,
                ec.IDEMPOTENCY_RESPONSE_LOST,
                "the request with this Idempotency-Key was done once, but its server stopped "
                "before storing the answer; do not send it again: read the result with a GET",
                field="Idempotency-Key",
            )(scope, receive, send)
            return

        claim = decision.claim
        assert claim is not None
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}
        # The answer goes out only once its outcome is stored: a client that retries the
        # moment it has it (after a 500, say) must find the key free or answered, never
        # still "in use".
        held_back: list[Message] = []

        async def capturing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = [
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]
                ]
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            held_back.append(message)

        token = current_claim.set(claim)
        store.hold(claim)  # renews the lease while this request runs
        try:
            await self.app(scope, _replaying(body), capturing_send)
        finally:
            store.release(claim)
            current_claim.reset(token)
            stored = _storable(
                StoredResponse(captured["status"], captured["headers"], captured["body"])
            )
            with anyio.CancelScope(shield=True):  # a client that hangs up must not skip this
                await run_in_threadpool(store.finish, claim, stored)
        for message in held_back:
            await send(message)

    def _caller(self, authorization: bytes) -> Caller | None:
        scheme, _, secret = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        try:
            return authenticate_api_key(
                self.container.uow(), self.container.clock, self.container.key_uses, secret.strip()
            )
        except DomainError:
            return None


def request_hash(method: str, path: str, query: str, body: bytes) -> str:
    """What makes two requests with one key the same request."""
    digest = hashlib.sha256()
    for part in (method, path, query):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()


def _storable(response: StoredResponse) -> StoredResponse:
    """What may be kept for replays. An answer marked `Cache-Control: no-store` carries a
    secret shown once (a new API key): keeping it for the retention would store the secret in
    clear text, so its replay says what happened instead of repeating it."""
    no_store = any(
        name.lower() == "cache-control" and "no-store" in value.lower()
        for name, value in response.headers
    )
    if not no_store or response.status >= 500:
        return response
    withheld = problem(
        409,
        ec.IDEMPOTENCY_RESPONSE_WITHHELD,
        f"the request with this Idempotency-Key was done once (it answered {response.status}); "
        "its answer held a secret, which is shown once and never stored: do not send it again, "
        "read the result with a GET (e.g. GET /v1/api_keys) and revoke what you cannot use",
        field="Idempotency-Key",
    )
    return StoredResponse(
        withheld.status_code, list(withheld.headers.items()), bytes(withheld.body)
    )


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _replay(response: StoredResponse, send: Send) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
