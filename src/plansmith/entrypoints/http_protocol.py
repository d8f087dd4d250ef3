"""uvicorn's HTTP protocol with TCP_NODELAY on every connection.

With ``--workers N`` uvicorn binds the listening socket itself without asking for
IPPROTO_TCP, and asyncio then leaves Nagle's algorithm on for each accepted connection
(Kludex/uvicorn#3149, open in 0.54): every keep-alive answer waits for the client's delayed
ACK, about 40 ms on Linux. uvloop (a dependency where it builds) sets the option itself;
asyncio's own loop does not. Setting it per connection costs one system call."""

from __future__ import annotations

import asyncio
import socket

try:  # the fast parser where it is installed (a dependency), h11 otherwise
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Protocol
except ImportError:  # pragma: no cover - httptools missing on this platform
    from uvicorn.protocols.http.h11_impl import H11Protocol as Protocol  # type: ignore[assignment]


class NoDelayHttp(Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
