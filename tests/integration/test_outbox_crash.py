"""The crash test, on SQLite and PostgreSQL, with real processes killed by SIGKILL: a process
commits use cases and dies before any relay ran; a relay process dies after handing an event
over and before recording it; a new relay process then delivers every outbox event, and each
subscriber's delivery record holds each event exactly once (a unique key per pair)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.unit.subscription_builders import new_account, seed_catalog

ROOT = Path(__file__).resolve().parents[2]
PLAN = {"pricing": "per_seat", "prices": [{"currency": "USD", "cycle": "month", "amount": 1000}]}
ACCOUNTS = 4  # each: subscribed, then changed: two events per subscription
HOLD_AT = 3  # the killed relay hands over its third event, then dies


def _start(args: list[str], db_url: str, folder: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    command = [sys.executable, "-m", "tests.integration.outbox_crash_process", args[0], db_url]
    return subprocess.Popen(
        [*command, str(folder), *args[1:]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=(folder / "stderr.txt").open("a"),
        text=True,
    )


def _says(process: subprocess.Popen[str], word: str, folder: Path) -> None:
    assert process.stdout is not None
    line = process.stdout.readline().strip()  # blocks until it says it (or dies)
    assert line == word, (folder / "stderr.txt").read_text()


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(30) == -signal.SIGKILL


def _outbox(container: Plansmith) -> list[tuple[str, str, int, object]]:
    c = t.outbox_events.c
    q = select(c.id, c.aggregate_id, c.seq, c.delivered_at).order_by(c.seq)
    with container.engine.connect() as connection:
        return [(i, a, s, d) for i, a, s, d in connection.execute(q)]


def _deliveries(container: Plansmith) -> Counter[tuple[str, str]]:
    d = t.outbox_deliveries.c
    with container.engine.connect() as connection:
        return Counter((s, e) for s, e in connection.execute(select(d.subscriber, d.event_id)))


def test_every_committed_event_is_delivered_after_crashes_none_twice_to_a_record(
    container: Plansmith, tenant: Tenant, clock: TestClock, db_url: str, tmp_path: Path
) -> None:
    org = tenant.organization_id
    seed_catalog(container, org, plans={"seat": PLAN}, add_ons=False)
    accounts = [
        new_account(container, org, "USD", "UTC", name=f"Customer {k}") for k in range(ACCOUNTS)
    ]

    # 1. The use cases commit; the process dies before any relay ran.
    publisher = _start(["publish", org, *accounts], db_url, tmp_path)
    _says(publisher, "committed", tmp_path)
    _kill(publisher)
    committed = _outbox(container)
    assert len(committed) == 2 * ACCOUNTS
    assert all(delivered is None for *_, delivered in committed)

    # 2. A relay hands events over and dies before recording the last one it handed.
    relay = _start(["relay", str(HOLD_AT)], db_url, tmp_path)
    _says(relay, "held", tmp_path)
    _kill(relay)
    half = _outbox(container)
    assert 0 < sum(delivered is not None for *_, delivered in half) < len(committed)

    # 3. A new relay (once the dead one's lease ran out) delivers all the rest.
    restarted = _start(["relay", "0"], db_url, tmp_path)
    _says(restarted, "done", tmp_path)
    assert restarted.wait(60) == 0

    ids = [i for i, *_ in committed]
    assert all(delivered is not None for *_, delivered in _outbox(container))
    # Each subscriber's record holds every event exactly once.
    assert _deliveries(container) == Counter(
        {(name, i): 1 for i in ids for name in ("file_recorder", "json_lines_log")}
    )
    # Handed over at least once; only the event in hand at the kill was handed twice.
    lines = (tmp_path / "recorded.txt").read_text().split("\n")[:-1]
    handed = Counter(line.split()[0] for line in lines)
    assert set(handed) == set(ids)
    assert [i for i, n in handed.items() if n > 1] == [lines[HOLD_AT - 1].split()[0]]
    # Each object's events reached the recorder in the order they happened.
    seqs: dict[str, list[int]] = {}
    for line in lines:
        _id, aggregate, seq = line.split()
        if not seqs.get(aggregate) or seqs[aggregate][-1] != int(seq):
            seqs.setdefault(aggregate, []).append(int(seq))
    assert all(s == sorted(s) for s in seqs.values()) and len(seqs) == ACCOUNTS
    logged = (tmp_path / "events.jsonl").read_text().splitlines()
    assert {line.split('"id":"')[1].split('"')[0] for line in logged} == set(ids)
