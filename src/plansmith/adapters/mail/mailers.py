"""Mailers: an SMTP server (smtplib), or, with none configured, a folder of ``.eml`` files."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path
from typing import Literal

from plansmith.application.notices.ports import MailRefused

log = logging.getLogger("plansmith.mail")
Tls = Literal["none", "starttls", "tls"]


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int = 25
    tls: Tls = "none"
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0

    def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        # Loading the system's CA certificates costs a tenth of a second: only for TLS.
        context = ssl.create_default_context() if self.tls != "none" else None
        client: smtplib.SMTP
        if self.tls == "tls":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.tls == "starttls":
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password or "")
            refused = client.sendmail(sender, list(recipients), message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailRefused(f"every recipient refused: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise MailRefused(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise
        finally:
            try:
                client.quit()
            except smtplib.SMTPException:
                client.close()
        if refused:  # accepted for some: those refused would be refused again
            log.warning("the server refused some recipients: %s", refused)


@dataclass(frozen=True)
class EmlFolderMailer:
    """The embedded default: each message written whole to ``folder`` and its path logged,
    named by its Message-ID so a message written twice is one file."""

    folder: Path

    def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        message_id = str(message_from_bytes(message).get("Message-ID", "")).strip().strip("<>")
        name = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in message_id)
        path = self.folder / f"{name or 'message'}.eml"
        envelope = "".join(f"X-Envelope-To: {r}\r\n" for r in recipients).encode()
        handle, draft = tempfile.mkstemp(dir=self.folder, prefix=".draft-")
        with os.fdopen(handle, "wb") as file:
            file.write(envelope + message)
        os.replace(draft, path)
        log.info("notice written to %s", path)
