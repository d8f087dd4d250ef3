"""The sender's own connections (http.client, kept alive per name and address), against real
local servers: https to a checked address with the URL's name in SNI and in the certificate
check, a connection the receiver closed while idle never reused, and a bound on the
connections one endpoint gets at once."""

from __future__ import annotations

import base64
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import trustme

from plansmith.adapters.webhooks.sender import HttpSender
from plansmith.application.webhooks.ports import Due

SECRET = "whsec_" + base64.b64encode(b"k" * 24).decode()


def _due(n: int, url: str) -> Due:
    return Due(f"dlv_{n}", "we_1", f"evt_{n}", url, '{"type": "invoice.paid"}', (SECRET,), 0, 0)


@dataclass
class Seen:
    requests: list[tuple[str, int]] = field(default_factory=list)  # (Host, client port)
    names: list[str | None] = field(default_factory=list)  # SNI of each TLS handshake
    open_now: int = 0
    most_open: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(seen: Seen, *, close_after: bool = False, wait: float = 0.0) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            with seen.lock:
                seen.requests.append((self.headers.get("host", ""), self.client_address[1]))
                seen.open_now += 1
                seen.most_open = max(seen.most_open, seen.open_now)
            time.sleep(wait)
            with seen.lock:
                seen.open_now -= 1
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            if close_after:  # as a receiver whose idle time-out ran out: no Connection: close
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(authority: trustme.CA) -> Iterator[tuple[int, Seen]]:
    """An https receiver on 127.0.0.1 whose certificate names hooks.test only."""
    seen = Seen()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("hooks.test").configure_cert(context)

    def noted(sock: ssl.SSLObject, name: str, _context: ssl.SSLContext) -> None:
        with seen.lock:
            seen.names.append(name)

    context.sni_callback = noted
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(seen))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def _plain_server(seen: Seen, **kwargs: Any) -> ThreadingHTTPServer:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(seen, **kwargs))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def _trusting_sender(authority: trustme.CA) -> HttpSender:
    """Every name resolves to 127.0.0.1; certificates of the test's authority are trusted."""
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    return HttpSender(
        allow_private=True, threads=1, resolver=lambda h, p: ["127.0.0.1"], context=trusting
    )


def test_https_goes_to_the_checked_address_with_the_urls_name_in_sni_and_the_check(
    authority: trustme.CA, tls_server: tuple[int, Seen]
) -> None:
    port, seen = tls_server
    sender = _trusting_sender(authority)
    try:
        first = sender.send_one(_due(1, f"https://hooks.test:{port}/in"))
        second = sender.send_one(_due(2, f"https://hooks.test:{port}/in"))
    finally:
        sender.close()
    assert first.ok and second.ok, (first, second)
    assert (first.status, first.head) == (200, "ok")
    assert [host for host, _ in seen.requests] == [f"hooks.test:{port}"] * 2
    assert seen.names == ["hooks.test"]  # one handshake: the second attempt reused it
    assert len({client for _, client in seen.requests}) == 1


def test_https_to_a_name_the_certificate_does_not_carry_is_a_failed_attempt(
    authority: trustme.CA, tls_server: tuple[int, Seen]
) -> None:
    """other.test resolves to the same address, which holds hooks.test's certificate."""
    port, seen = tls_server
    sender = _trusting_sender(authority)
    try:
        answer = sender.send_one(_due(1, f"https://other.test:{port}/in"))
    finally:
        sender.close()
    assert not answer.ok and answer.status is None
    assert answer.error is not None and answer.error.startswith("SSLCertVerificationError")
    assert "other.test" in answer.error
    assert seen.requests == []  # nothing was sent over an unverified connection


def test_https_with_the_default_trust_store_refuses_an_unknown_authority(
    tls_server: tuple[int, Seen],
) -> None:
    port, seen = tls_server
    sender = HttpSender(allow_private=True, threads=1, resolver=lambda h, p: ["127.0.0.1"])
    try:
        answer = sender.send_one(_due(1, f"https://hooks.test:{port}/in"))
    finally:
        sender.close()
    assert answer.error is not None and answer.error.startswith("SSLCertVerificationError")
    assert seen.requests == []


def test_a_connection_the_receiver_closed_while_idle_is_not_reused() -> None:
    """Without the check, the second attempt would go out on the dead connection and fail
    (RemoteDisconnected or a broken pipe): a failed attempt and a retry hours later."""
    seen = Seen()
    httpd = _plain_server(seen, close_after=True)
    port = httpd.server_address[1]
    sender = HttpSender(allow_private=True, threads=1)
    try:
        first = sender.send_one(_due(1, f"http://127.0.0.1:{port}/in"))
        time.sleep(0.2)  # the receiver's FIN arrives while the connection is idle
        second = sender.send_one(_due(2, f"http://127.0.0.1:{port}/in"))
    finally:
        sender.close()
        httpd.shutdown()
        httpd.server_close()
    assert first.ok and second.ok, (first, second)
    assert len({client for _, client in seen.requests}) == 2


def test_one_endpoint_gets_at_most_per_endpoint_connections_at_once() -> None:
    seen = Seen()
    httpd = _plain_server(seen, wait=0.2)
    port = httpd.server_address[1]
    sender = HttpSender(allow_private=True, threads=8, per_endpoint=2)
    try:
        answers = sender.send([_due(n, f"http://127.0.0.1:{port}/in") for n in range(8)])
    finally:
        sender.close()
        httpd.shutdown()
        httpd.server_close()
    assert all(a.ok for a in answers), answers
    assert seen.most_open == 2
    assert len({client for _, client in seen.requests}) == 2  # both kept alive and reused


def test_an_endpoint_that_refuses_connections_is_a_failed_attempt() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    sender = HttpSender(allow_private=True, threads=1)
    try:
        answer = sender.send_one(_due(1, f"http://127.0.0.1:{port}/in"))
    finally:
        sender.close()
    assert answer.status is None
    assert answer.error is not None and answer.error.startswith("ConnectionRefusedError")
