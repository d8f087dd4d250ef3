"""Host names to addresses, for the webhook URL guard (no HTTP client imported here: every
process checks URLs, only delivering ones send)."""

from __future__ import annotations

import socket


def resolve(host: str, port: int) -> list[str]:
    """Every address of ``host``, in the resolver's order, each once."""
    found: list[str] = []
    for *_, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        ip = str(address[0])
        if ip not in found:
            found.append(ip)
    return found
