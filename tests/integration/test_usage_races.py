"""Exactly once under concurrency and crashes, on PostgreSQL: 20 clients send the same
10,000 event ids at once (batches of 500, each client in its own order) and each event counts
once; an ingest process SIGKILLed mid-batch (events inserted, aggregates not yet written,
nothing committed) and the batches resent count every event exactly once. Also prints, for
the record, what batch ingest through the use case does per second (not asserted)."""

from __future__ import annotations

import json
import random
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.usage.ingest import ACCEPTED, ingest
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.crash_processes import Process, said, start
from tests.integration.usage_api_support import UsageApi, call, rows, usage

__all__ = ["usage"]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]


def _events(accounts: list[str], count: int, prefix: str = "e") -> list[dict[str, Any]]:
    """``count`` events spread over the accounts and February's days; bytes n for event n."""
    found = []
    for n in range(count):
        at = f"2026-02-{1 + n % 28:02d}T{n % 24:02d}:00:00+09:00"
        found.append(call(accounts[n % len(accounts)], f"{prefix}-{n}", at, bytes=n, region="eu"))
    return found


def _totals(container: Plansmith, meter_code: str) -> tuple[int, int]:
    d, m = t.usage_daily.c, t.usage_meters.c
    q = (
        select(func.coalesce(func.sum(d.count), 0), func.coalesce(func.sum(d.total), 0))
        .select_from(t.usage_daily.join(t.usage_meters, m.id == d.meter_id))
        .where(m.code == meter_code)
    )
    with container.engine.connect() as connection:
        count, total = connection.execute(q).one()
    return int(count), int(total)


def test_20_clients_sending_the_same_10000_ids_count_each_once(
    usage: UsageApi, container: Plansmith, tenant: Tenant
) -> None:
    accounts = [usage.subscriber(f"Customer {n}") for n in range(10)]
    events = _events(accounts, 10_000)
    batches = [events[n : n + 500] for n in range(0, len(events), 500)]

    def client(seed: int) -> list[str]:
        order = batches[:]
        random.Random(seed).shuffle(order)
        statuses = []
        for batch in order:
            mine = batch[:]
            random.Random(seed).shuffle(mine)  # any order within a batch too
            answers = ingest(container.uow(), container.clock, tenant.organization_id, mine)
            statuses += [a.code or a.status for a in answers]
        return statuses

    with ThreadPoolExecutor(max_workers=20) as pool:
        answered = [s for found in pool.map(client, range(20)) for s in found]

    assert answered.count(ACCEPTED) == 10_000
    assert answered.count("duplicate") == 19 * 10_000
    assert rows(container, "usage_events") == 10_000
    expected_bytes = sum(range(10_000)) * 10**6
    assert _totals(container, "calls") == (10_000, 0)
    assert _totals(container, "bytes") == (10_000, expected_bytes)
    assert _totals(container, "eu_calls")[0] == 10_000


def _start(db_url: str, org: str, clock: TestClock, batches: Path, folder: Path) -> Process:
    args = [db_url, org, clock.now().isoformat(), str(batches)]
    return start("tests.integration.usage_crash_process", args, folder)


def _said(process: Process, folder: Path) -> list[str]:
    return said(process, folder)


def test_an_ingest_killed_mid_batch_and_resent_counts_every_event_once(
    usage: UsageApi,
    container: Plansmith,
    tenant: Tenant,
    clock: TestClock,
    db_url: str,
    tmp_path: Path,
) -> None:
    accounts = [usage.subscriber(f"Customer {n}") for n in range(4)]
    events = _events(accounts, 2_000)
    batches = [events[:1000], events[1000:]]
    path = tmp_path / "batches.json"
    path.write_text(json.dumps(batches), encoding="utf-8")

    killed = _start(db_url, tenant.organization_id, clock, path, tmp_path)
    assert _said(killed, tmp_path) == ["committed", "1000"]
    assert _said(killed, tmp_path) == ["held"]
    killed.send_signal(signal.SIGKILL)
    assert killed.wait(30) == -signal.SIGKILL

    assert rows(container, "usage_events") == 1000  # the killed batch left nothing
    assert _totals(container, "calls") == (1000, 0)
    resent = [ingest(container.uow(), clock, tenant.organization_id, b) for b in batches]

    assert [sum(a.status == ACCEPTED for a in answers) for answers in resent] == [0, 1000]
    assert {a.code for a in resent[0]} == {"duplicate"}
    assert rows(container, "usage_events") == 2000
    assert _totals(container, "calls") == (2000, 0)
    assert _totals(container, "bytes") == (2000, sum(range(2000)) * 10**6)


def test_batch_ingest_throughput_is_printed(
    usage: UsageApi, container: Plansmith, tenant: Tenant
) -> None:
    """Batches of 1,000 through the use case, one after the other (one client, no HTTP):
    printed for the record, not asserted; the machine's load decides it."""
    accounts = [usage.subscriber(f"Customer {n}") for n in range(50)]
    total, batches = 50_000, []
    events = _events(accounts, total, prefix="bench")
    batches = [events[n : n + 1000] for n in range(0, total, 1000)]
    ingest(container.uow(), container.clock, tenant.organization_id, _events(accounts, 1000, "w"))
    started = time.perf_counter()
    for batch in batches:
        answers = ingest(container.uow(), container.clock, tenant.organization_id, batch)
        assert answers[-1].status == ACCEPTED
    elapsed = time.perf_counter() - started
    print(
        f"\nbatch ingest, PostgreSQL, use case, 1 client: {total:,} events in {elapsed:.2f} s = "
        f"{total / elapsed:,.0f} events/s (batches of 1,000; 4 meters read each event)"
    )
    assert rows(container, "usage_events") == total + 1000
