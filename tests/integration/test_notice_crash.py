"""Exactly once as far as the SMTP server acknowledged it, on SQLite and PostgreSQL, with real
processes killed by SIGKILL and a real local SMTP server (aiosmtpd):

- a sender killed after the server acknowledged a message, before recording it sent: the next
  sender sends it again, the same message with the same Message-ID (the documented window);
- a sender killed after claiming a message, before handing it over: it is sent once;
- every other notice is received exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.integration.mail_support import Mailbox, smtp_server
from tests.integration.payment_scenarios_support import (
    advance,
    customer,
    monthly,
    sandbox_at,
    subscribed,
)

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
APRIL = datetime(2026, 4, 16, tzinfo=UTC)  # four invoices, each paid: eight notices


def _start(
    mode: str, db_url: str, folder: Path, box: Mailbox, kill_at: int
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), *sys.path])}
    command = [sys.executable, "-m", "tests.integration.notice_crash_process", mode, db_url]
    return subprocess.Popen(
        [*command, str(folder), str(box.port), str(kill_at)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=(folder / "stderr.txt").open("a"),
        text=True,
    )


def _says(process: subprocess.Popen[str], word: str, folder: Path) -> str:
    assert process.stdout is not None
    line = process.stdout.readline().strip()  # blocks until it says it (or dies)
    said, _, rest = line.partition(" ")
    assert said == word, (folder / "stderr.txt").read_text()
    return rest


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(30) == -signal.SIGKILL


def test_each_notice_is_received_once_except_one_acknowledged_but_not_recorded(
    container: Plansmith, db_url: str, tmp_path: Path
) -> None:
    org = sandbox_at(container, T0, {"basic": monthly({"USD": 3100})})
    account = customer(container, org, "USD", "UTC", "tok_sandbox_success")
    subscribed(container, org, account, "basic")
    advance(container, org, APRIL)  # the events wait in the outbox: nothing relayed yet

    with smtp_server() as box:
        first = _start("after_ack", db_url, tmp_path, box, kill_at=2)
        acknowledged = _says(first, "acknowledged", tmp_path)
        _kill(first)
        second = _start("before_send", db_url, tmp_path, box, kill_at=2)
        claimed = _says(second, "claimed", tmp_path)
        _kill(second)
        last = _start("finish", db_url, tmp_path, box, kill_at=0)
        _says(last, "done", tmp_path)
        assert last.wait(30) == 0
        received = list(box.received)

    counts = Counter(r.message_id for r in received)
    assert acknowledged != claimed
    assert counts[acknowledged] == 2  # sent again after the crash: the same message
    twice = [r.message.as_bytes() for r in received if r.message_id == acknowledged]
    assert twice[0] == twice[1]
    assert {m: n for m, n in counts.items() if m != acknowledged} == {
        m: 1 for m in counts if m != acknowledged
    }
    assert claimed in counts
    kinds = Counter({r.message_id: r.kind for r in received}.values())
    assert kinds == {"invoice_issued": 4, "payment_received": 4}
    with container.engine.connect() as connection:
        c = t.sent_notices.c
        rows = connection.execute(select(c.message_id, c.status, c.attempts)).all()
    assert sorted(m for m, _, _ in rows) == sorted(counts)
    assert {s for _, s, _ in rows} == {"sent"}
    attempts = {m: a for m, _, a in rows}
    assert (attempts[acknowledged], attempts[claimed]) == (2, 2)
