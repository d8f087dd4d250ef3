"""The sender's kept-alive connections are pooled per (scheme, host, port, resolved address):
two host names resolving to one address never share a connection (for https a connection's
SNI and certificate check belong to the name it was opened for), while one name's
connections are reused. A real local HTTP server notes which connection each request came
on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from plansmith.adapters.webhooks.connections import PoolKey
from plansmith.adapters.webhooks.sender import HttpSender
from plansmith.application.webhooks.ports import Due

SECRET = "whsec_" + "a2V5LWtleS1rZXkta2V5LWtleS1rZXkta2V5LWtleQ=="


@pytest.fixture
def server() -> Iterator[tuple[int, list[tuple[str, int]]]]:
    """A keep-alive server on 127.0.0.1; each request noted as (Host header, client port)."""
    seen: list[tuple[str, int]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            with lock:
                seen.append((self.headers.get("host", ""), self.client_address[1]))
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def _due(n: int, host: str, port: int) -> Due:
    return Due(f"dlv_{n}", "we_1", f"evt_{n}", f"http://{host}:{port}/hooks", "{}", (SECRET,), 0, 0)


def test_two_host_names_on_one_address_get_separate_connections(
    server: tuple[int, list[tuple[str, int]]],
) -> None:
    port, seen = server
    resolved: list[str] = []

    def one_address(host: str, port: int) -> list[str]:
        resolved.append(host)
        return ["127.0.0.1"]

    sender = HttpSender(allow_private=True, threads=1, resolver=one_address)
    try:
        for n in range(3):  # one after the other: each name's connection is reused
            for host in ("alpha.example", "beta.example"):
                answer = sender.send_one(_due(n, host, port))
                assert answer.ok, answer
        keys = sorted(sender.pools.keys())
        assert keys == [
            PoolKey("http", "alpha.example", port, "127.0.0.1"),
            PoolKey("http", "beta.example", port, "127.0.0.1"),
        ]
        assert [sender.pools.connections(k) for k in keys] == [1, 1]
    finally:
        sender.close()

    assert resolved == ["alpha.example", "beta.example"] * 3  # resolved at every attempt
    by_host: dict[str, set[int]] = {}
    for host, client_port in seen:
        by_host.setdefault(host, set()).add(client_port)
    assert set(by_host) == {f"alpha.example:{port}", f"beta.example:{port}"}
    alpha, beta = by_host[f"alpha.example:{port}"], by_host[f"beta.example:{port}"]
    assert len(alpha) == 1 and len(beta) == 1  # kept alive: one connection per name
    assert not alpha & beta  # never the other name's connection
    assert len(seen) == 6


def test_the_pool_key_is_the_name_as_well_as_the_checked_address(
    server: tuple[int, list[tuple[str, int]]],
) -> None:
    port, seen = server
    sender = HttpSender(allow_private=True, threads=1, resolver=lambda h, p: ["127.0.0.1"])
    try:
        assert sender.send_one(_due(1, "Alpha.Example", port)).ok
        assert sender.send_one(_due(2, "alpha.example", port)).ok  # names are case-blind
        assert sender.send_one(_due(3, "127.0.0.1", port)).ok  # the address itself: its own
        assert sorted(sender.pools.keys()) == [
            PoolKey("http", "127.0.0.1", port, "127.0.0.1"),
            PoolKey("http", "alpha.example", port, "127.0.0.1"),
        ]
    finally:
        sender.close()
    assert len({client_port for _, client_port in seen}) == 2


def test_a_name_that_cannot_go_in_a_host_header_is_a_failed_attempt_not_a_crash(
    server: tuple[int, list[tuple[str, int]]],
) -> None:
    port, seen = server
    sender = HttpSender(allow_private=True, threads=2, resolver=lambda h, p: ["127.0.0.1"])
    try:
        long_label = "a" * 70 + ".example"  # a DNS label is at most 63 characters
        answers = sender.send([_due(1, long_label, port), _due(2, "fine.example", port)])
    finally:
        sender.close()
    assert answers[0].status is None and answers[0].error is not None
    assert answers[0].error.startswith("refused: url host cannot be sent")
    assert answers[1].ok  # the rest of the batch still went out
    assert [host for host, _ in seen] == [f"fine.example:{port}"]
