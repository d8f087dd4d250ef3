"""Unexpected exceptions become clean 500 responses, as pure ASGI middleware.

Starlette's outermost ServerErrorMiddleware sends the 500 an ``Exception`` handler makes, then
raises the exception again so the server can log it; uvicorn then closes the connection, in
the middle of a keep-alive session and without ``Connection: close``, and the client's next
request on it fails. This middleware catches the exception first, logs its traceback, and
answers with the app's own ``Exception`` handler (problem+json under /v1, an HTML page under
/portal and /console), so the response is a complete one and the connection stays usable.

If the response had already started, nothing clean can be sent: the exception goes on and the
server closes the connection, as it must for a response it cannot complete.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("plansmith.errors")


class CleanServerErrors:
    """Answer any exception that escapes ``app`` before its response started with the
    ``Exception`` handler found in ``handlers`` (looked up on each error, so handlers
    installed after this middleware count)."""

    def __init__(self, app: ASGIApp, handlers: Mapping[Any, Callable[..., Any]]) -> None:
        self.app = app
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except Exception as exc:
            if started:
                raise
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            try:
                response = self.handlers[Exception](Request(scope), exc)
                if inspect.isawaitable(response):
                    response = await response
            except Exception:
                log.exception("the error handler failed too")
                response = PlainTextResponse("Internal Server Error", status_code=500)
            await response(scope, receive, send)
