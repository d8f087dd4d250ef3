"""A process of its own for test_notice_crash.py (``python -m tests.integration.
notice_crash_process MODE DATABASE_URL FOLDER SMTP_PORT KILL_AT``), killed with SIGKILL.

It relays the outbox to the e-mail notices subscriber, sending to the local SMTP server:
after_ack: at the KILL_AT-th message it sends, once the server acknowledged it, it says
  "acknowledged <Message-ID>" and waits to be killed, before the notice is recorded sent;
before_send: at the KILL_AT-th message, claimed but not yet handed to the server, it says
  "claimed <Message-ID>" and waits to be killed;
finish: relays until the outbox is empty, says "done" and exits.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from email import message_from_bytes
from pathlib import Path

from sqlalchemy import func, select

from plansmith.adapters.db import tables as t
from plansmith.adapters.mail.mailers import SmtpMailer
from plansmith.bootstrap import Settings, bootstrap
from plansmith.entrypoints.webui.mail import composer

RELAY_LEASE = 1.0  # seconds: a killed relay's lease runs out this long after it took it
MAIL_LEASE = 1.0  # a killed sender's claim is taken over this long after it was made


class CrashingMailer:
    def __init__(self, mode: str, port: int, kill_at: int) -> None:
        self.mode, self.kill_at, self.sent = mode, kill_at, 0
        self.smtp = SmtpMailer("127.0.0.1", port)

    def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        self.sent += 1
        message_id = "".join(str(message_from_bytes(message)["Message-ID"]).split())
        if self.sent == self.kill_at and self.mode == "before_send":
            print(f"claimed {message_id}", flush=True)
            time.sleep(600)  # killed here: claimed, never handed over
        self.smtp.send(sender, recipients, message)
        if self.sent == self.kill_at and self.mode == "after_ack":
            print(f"acknowledged {message_id}", flush=True)
            time.sleep(600)  # killed here: the server has it, the claim is not marked sent


def main(argv: list[str]) -> None:
    mode, db_url, _folder, port, kill_at = argv[0], argv[1], Path(argv[2]), argv[3], argv[4]
    settings = Settings(
        database_url=db_url,
        secret_key="crash",
        relay_lease_seconds=RELAY_LEASE,
        mail_lease_seconds=MAIL_LEASE,
    )
    app = bootstrap(settings)
    mailer = CrashingMailer(mode, int(port), int(kill_at))
    relay = app.relay([app.notices(composer(app), mailer)])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        relay.run_until_idle()
        with app.engine.connect() as connection:
            q = select(func.count()).where(t.outbox_events.c.delivered_at.is_(None))
            if connection.execute(q).scalar_one() == 0:
                print("done", flush=True)
                return
        time.sleep(0.2)  # a killed relay's lease, or a killed sender's claim, has not run out
    raise SystemExit("the outbox was not emptied in time")


if __name__ == "__main__":
    main(sys.argv[1:])
