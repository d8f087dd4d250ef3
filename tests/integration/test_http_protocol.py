"""plansmith serve's HTTP protocol turns TCP_NODELAY on for every connection, also on a
listening socket bound without IPPROTO_TCP, as uvicorn binds it for several workers (there,
asyncio leaves Nagle on and each keep-alive answer waits about 40 ms for a delayed ACK)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import httpx
import uvicorn

from plansmith.entrypoints.http_protocol import NoDelayHttp

SEEN: list[int] = []


class Recording(NoDelayHttp):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        SEEN.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


async def _app(scope: dict[str, object], receive: object, send: object) -> None:
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"ok"})  # type: ignore[operator]


def test_every_connection_gets_tcp_nodelay_on_a_socket_bound_as_for_workers() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn binds it
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # asyncio's loop: uvloop sets the option itself, asyncio does not on such a socket.
    config = uvicorn.Config(
        _app, http=Recording, loop="asyncio", log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        with httpx.Client() as client:
            for _ in range(3):  # one keep-alive connection
                assert client.get(f"http://127.0.0.1:{port}/").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200  # and a second
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert len(SEEN) == 2 and all(SEEN)
