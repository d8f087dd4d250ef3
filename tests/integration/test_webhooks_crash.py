"""Crash tests of webhooks, on SQLite and PostgreSQL, with real processes killed by SIGKILL:
events committed with no relay run; a relay killed after the fan-out of its pass's events (a
batch) and before recording them; a delivery worker killed after taking a batch and before
sending it, and one killed after sending a batch and before recording it. After restarts,
each event reaches each endpoint (receivers answering 500 twice, then 200) at least once,
every time with the same webhook-id and a signature the standardwebhooks library accepts; no
event is lost, no delivery made twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.webhooks import endpoints as uc
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.webhook_receiver import receiving
from tests.integration.webhook_support import attempts, deliveries, publish_payments

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 3
HOLD_AT = 2


def _start(args: list[str], db_url: str, folder: Path) -> subprocess.Popen[str]:
    paths = [str(ROOT / "src"), str(ROOT), *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    command = [sys.executable, "-m", "tests.integration.webhook_crash_process", args[0], db_url]
    return subprocess.Popen(
        [*command, *args[1:]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=(folder / "stderr.txt").open("a"),
        text=True,
    )


def _says(process: subprocess.Popen[str], word: str, folder: Path) -> None:
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line == word, (folder / "stderr.txt").read_text()


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(30) == -signal.SIGKILL


def _outbox_ids(container: Plansmith) -> list[tuple[str, object]]:
    c = t.outbox_events.c
    with container.engine.connect() as connection:
        q = select(c.id, c.delivered_at).order_by(c.seq)
        return [(i, d) for i, d in connection.execute(q)]


def test_no_webhook_is_lost_when_the_relay_and_the_worker_are_killed(
    container: Plansmith, tenant: Tenant, clock: TestClock, db_url: str, tmp_path: Path
) -> None:
    org = tenant.organization_id
    policy = uc.UrlPolicy(True, lambda host, port: ["127.0.0.1"])
    with receiving(script=[500, 500]) as first, receiving(script=[500, 500]) as second:
        for receiver in (first, second):
            made = uc.create_endpoint(container.uow(), clock, policy, org, url=receiver.url)
            receiver.secrets.append(made.secret)
        # 1. Committed, no relay ran.
        publish_payments(container, org, EVENTS)
        events = [i for i, _ in _outbox_ids(container)]
        assert len(events) == EVENTS

        # 2. A relay fans out its second event and dies before recording it.
        relay = _start(["relay", str(HOLD_AT)], db_url, tmp_path)
        _says(relay, "held", tmp_path)
        _kill(relay)
        # The fan-out is a batch subscriber: it made the whole pass's deliveries in one
        # transaction before the holder had its first event, and that is recorded only with
        # the pass's last statement, which the kill prevented: no event is marked delivered.
        assert len(deliveries(container)) == 2 * EVENTS
        assert sum(d is None for _, d in _outbox_ids(container)) == EVENTS

        # 3. A new relay hands the whole batch to the fan-out again (and the holder the
        # events it did not take): no delivery is made twice.
        restarted = _start(["relay", "0"], db_url, tmp_path)
        _says(restarted, "done", tmp_path)
        assert restarted.wait(60) == 0
        made_rows = deliveries(container)
        assert (
            Counter((d["endpoint_id"], d["event_id"]) for d in made_rows).most_common(1)[0][1] == 1
        )
        assert len(made_rows) == 2 * EVENTS

        # 4. A worker takes every delivery under its lease and dies before sending.
        # The relay processes fanned out on the system clock: the workers start from it.
        now = datetime.now(UTC)
        taker = _start(["deliver", now.isoformat(), "2"], db_url, tmp_path)
        _says(taker, "taken", tmp_path)
        _kill(taker)
        assert first.got == second.got == []

        # 5. Once that lease ran out, a worker sends every delivery (each answered 500) and
        # dies before recording.
        worker = _start(
            ["deliver", (now + timedelta(minutes=1)).isoformat(), "1"], db_url, tmp_path
        )
        _says(worker, "sent", tmp_path)
        _kill(worker)
        assert len(first.got) == len(second.got) == EVENTS
        assert attempts(container) == []  # nothing recorded

        # 6. Once its lease ran out, another worker sends them again, retries, and is done.
        later = (now + timedelta(minutes=2)).isoformat()
        again = _start(["deliver", later, "0"], db_url, tmp_path)
        _says(again, "done", tmp_path)
        assert again.wait(60) == 0

    for receiver in (first, second):
        assert sorted(set(receiver.ids())) == sorted(events)
        for event in events:
            got = [r for r in receiver.got if r.webhook_id == event]
            # 500 (sent by the killed worker, unrecorded), 500, then 200: the same webhook-id
            assert [r.answered for r in got] == [500, 500, 200]
            assert all(r.verified_by == (0,) for r in got)
            assert len({r.body for r in got}) == 1
    assert all(d["state"] == "succeeded" for d in deliveries(container))
    logged = Counter(a["delivery_id"] for a in attempts(container))
    assert sorted(logged.values()) == [2] * (2 * EVENTS)  # the recorded 500 and 200
