"""GET and HEAD requests, and the API's previews (POST .../preview, which answer what a change
would do and write nothing), only read: every unit of work of one shares one transaction (on
SQLite on the reader engine: deferred, query-only, taking no write lock and never waiting for
a writer; a write through it fails loudly), closed once the response is sent."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from plansmith.adapters.db.reading import reading

# GETs that write all the same: opening the portal from a link trades it for a session.
WRITING_GETS = frozenset({"/portal/enter"})


class ReadOnlyGets:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _only_reads(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        with reading() as reads:
            try:
                await self.app(scope, receive, send)
            finally:
                await run_in_threadpool(reads.close)


def _only_reads(method: str, path: str) -> bool:
    if method in ("GET", "HEAD"):
        return path not in WRITING_GETS
    return method == "POST" and path.startswith("/v1/") and path.endswith("/preview")
