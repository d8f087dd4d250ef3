"""A real webhook receiver on a thread whose behaviour is switched while it runs: answer 200,
answer 500, or give no answer at all (hold the connection until the sender's own timeout
gives up). It checks each delivery's Standard Webhooks signature with the standardwebhooks
library (not plansmith's code) and keeps the webhook-ids it acknowledged.

No plansmith import: the simulation sees the product only from outside.
"""

from __future__ import annotations

import threading
from collections import Counter
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class ReceivingServer(ThreadingHTTPServer):
    """Room for every connection the sender opens at once (up to 16 together). With
    socketserver's backlog of 5 and a busy test process, a handshake past the backlog is
    dropped and retried by the kernel after 1 s, then 3 s, 7 s: in 8 of 20 rounds of 16
    connections one waited over a second (none with 128), and under a loaded CI run an
    attempt ran into the sender's 10 s timeout, an attempt with no answer."""

    request_queue_size = 128


HOLD_SECONDS = 15.0  # longer than plansmith's 10 s timeout: the sender gives up first


class Mode(StrEnum):
    OK = "ok"  # 200
    FAIL = "fail"  # 500
    SILENT = "silent"  # no answer until the client gives up


class WebhookReceiver:
    def __init__(self) -> None:
        self.mode = Mode.OK
        self.secrets: list[str] = []
        self.acknowledged: Counter[str] = Counter()  # webhook-id -> 2xx answers given
        self.answers: Counter[str] = Counter()  # "200", "500", "held", "401"
        self.holding = 0  # connections held unanswered now
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ReceivingServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()  # held connections are let go
        self._server.shutdown()
        self._server.server_close()

    def switch(self, mode: Mode) -> None:
        with self._lock:
            self.mode = mode

    def _verified(self, body: bytes, headers: dict[str, str]) -> bool:
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            return True
        return False

    def _answer(self, body: bytes, headers: dict[str, str]) -> int | None:
        """The status to answer (None: hold the connection and answer nothing)."""
        with self._lock:
            mode = self.mode
            if mode is Mode.SILENT:
                self.answers["held"] += 1
                return None
            if not self._verified(body, headers):
                self.answers["401"] += 1
                return 401
            status = 200 if mode is Mode.OK else 500
            self.answers[str(status)] += 1
            if status == 200:
                self.acknowledged[headers.get("webhook-id", "")] += 1
            return status

    def _hold(self) -> None:
        with self._lock:
            self.holding += 1
        try:
            self._stopping.wait(HOLD_SECONDS)
        finally:
            with self._lock:
                self.holding -= 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver._answer(body, headers)
                if status is None:
                    receiver._hold()
                    self.close_connection = True
                    return
                text = b"ok" if status == 200 else f"answer {status}".encode()
                self.send_response(status)
                self.send_header("content-length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
