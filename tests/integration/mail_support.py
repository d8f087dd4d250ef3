"""A real local SMTP server (aiosmtpd) that keeps every message it accepted, and helpers to read
e-mail notices back: the parts of a message, its attachments, who it went to."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def kind(self) -> str:
        return str(self.message["X-Plansmith-Notice"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return "".join(str(self.message["Message-ID"]).split())

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content()).replace("\r\n", "\n")

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())

    def attachments(self) -> list[tuple[str, str, bytes]]:
        found = []
        for part in self.message.iter_attachments():
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            found.append((str(part.get_filename()), part.get_content_type(), data))
        return found


@dataclass
class Mailbox:
    """What the server accepted, in order (aiosmtpd answers 250 only after this list has it)."""

    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        return "250 OK"

    def of(self, kind: str, to: str | None = None) -> list[Received]:
        with self.lock:
            found = list(self.received)
        return [r for r in found if r.kind == kind and (to is None or r.rcpt_tos[0] == to)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox("127.0.0.1", free_port())
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
