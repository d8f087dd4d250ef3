"""GET and HEAD requests only read: their units of work run on the reader engine (SQLite:
deferred transactions that take no write lock and never wait for a writer)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from plansmith.adapters.db.reading import reading

# GETs that write all the same: opening the portal from a link trades it for a session.
WRITING_GETS = frozenset({"/portal/enter"})


class ReadOnlyGets:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or scope["path"] in WRITING_GETS
        ):
            await self.app(scope, receive, send)
            return
        with reading():
            await self.app(scope, receive, send)
