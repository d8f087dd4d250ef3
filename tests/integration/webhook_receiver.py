"""A real HTTP receiver of webhooks on a thread: it checks every delivery's signature with the
``standardwebhooks`` library (not plansmith's code), answers from a script per webhook-id
(e.g. 500, 500, then 200), and keeps what it got."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.simulation.receiver import ReceivingServer  # room for the sender's 16 connections


@dataclass(frozen=True)
class Received:
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    verified_by: tuple[int, ...]  # which of the receiver's secrets verified it
    answered: int
    path: str

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int = 0
    secrets: list[str] = field(default_factory=list)
    script: list[int] = field(default_factory=list)  # answers per webhook-id, then 200
    redirect_to: str | None = None  # answer 302 to here instead
    got: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def verify(self, body: bytes, headers: dict[str, str]) -> tuple[int, ...]:
        ok = []
        for i, secret in enumerate(self.secrets):
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            ok.append(i)
        return tuple(ok)

    def answer_for(self, webhook_id: str) -> int:
        seen = sum(1 for r in self.got if r.webhook_id == webhook_id)
        return self.script[seen] if seen < len(self.script) else 200

    def ids(self) -> list[str]:
        with self.lock:
            return [r.webhook_id for r in self.got]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            verified = receiver.verify(body, headers)
            with receiver.lock:
                webhook_id = headers.get("webhook-id", "")
                status = receiver.answer_for(webhook_id) if verified else 401
                if receiver.redirect_to is not None:
                    status = 302
                receiver.got.append(
                    Received(webhook_id, headers, body, verified, status, self.path)
                )
            text = b"ok" if status == 200 else f"answer {status}".encode()
            self.send_response(status)
            if status == 302:
                self.send_header("location", receiver.redirect_to or "")
            self.send_header("content-length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def receiving(**options: Any) -> Iterator[Receiver]:
    receiver = Receiver(**options)
    server = ReceivingServer(("127.0.0.1", 0), _handler(receiver))
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
