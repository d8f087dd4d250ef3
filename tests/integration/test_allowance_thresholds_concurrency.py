"""Allowance thresholds under concurrent and retried batches, on SQLite and PostgreSQL: two
batches that together take an account's use to 80 % publish one ``allowance.threshold_reached``
(never none, never two), a retried batch publishes nothing, and the relay sends one e-mail."""

from __future__ import annotations

import json
import threading

from sqlalchemy import text

from plansmith.adapters.clock import TestClock
from plansmith.adapters.mail.mailers import SmtpMailer
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.usage.ingest import ACCEPTED, ingest
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.webui.mail import composer
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import D, _monthly_plan, _subscribe
from tests.integration.mail_support import smtp_server
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_packs_support import TZ, charge
from tests.unit.subscription_builders import local_at, seed_catalog

AT = "2026-03-10T12:00:00+09:00"
ROUNDS = 4


def _batch(account: str, prefix: str, count: int) -> list[object]:
    return [
        {"id": f"{prefix}-{i}", "account_id": account, "code": "chatbot_sessions", "timestamp": AT}
        for i in range(count)
    ]


def _reached(app: Plansmith, account: str) -> list[tuple[int, int]]:
    query = text("SELECT data FROM outbox_events WHERE type = 'allowance.threshold_reached'")
    with app.engine.connect() as connection:
        rows = [r[0] for r in connection.execute(query)]
    found = []
    for row in rows:
        data = row if isinstance(row, dict) else json.loads(row)
        body = data.get("data", data)
        if body["account_id"] == account:
            found.append((body["threshold"], body["allowance"]))
    return sorted(found)


def _at_once(app: Plansmith, org: str, batches: list[list[object]]) -> list[list[str]]:
    """Each batch ingested by its own thread, all started together: their answers."""
    start = threading.Barrier(len(batches))
    answers: list[list[str]] = [[] for _ in batches]
    errors: list[BaseException] = []

    def run(index: int, events: list[object]) -> None:
        try:
            start.wait()
            answers[index] = [a.status for a in ingest(app.uow(), app.clock, org, events)]
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, b)) for i, b in enumerate(batches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return answers


def test_two_concurrent_batches_crossing_80_percent_publish_it_once(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    new_meter(container, org, "chatbot_sessions")
    charges = [charge("chatbot_sessions", 100, "soft")]
    seed_catalog(container, org, plans={"basic": _monthly_plan({"JPY": 1000}, charges=charges)})
    accounts = []
    clock.set(local_at(D(2026, 3, 1), TZ, 9))
    for n in range(ROUNDS):
        data = AccountInput(f"Customer {n}", f"c{n}@example.com", "JPY", TZ, "en_US")
        account = open_account(container.uow(), container.clock, org, data).id
        _subscribe(container, org, account, "basic", 1)
        accounts.append(account)
    clock.set(local_at(D(2026, 3, 10), TZ, 12))
    for account in accounts:
        first = ingest(container.uow(), container.clock, org, _batch(account, "a", 70))
        assert {a.status for a in first} == {ACCEPTED}
        assert _reached(container, account) == []
        # Two batches of 5 (70 + 5 + 5 = 80 %) and the first one sent again, at once.
        batches = [_batch(account, "b", 5), _batch(account, "c", 5), _batch(account, "b", 5)]
        answers = _at_once(container, org, batches)
        # One of the two "b" batches counted, the other's events are duplicates.
        assert sorted(a.count(ACCEPTED) for a in answers) == [0, 5, 5]
        assert _reached(container, account) == [(80, 100)]
        # Retried again, and more use short of 100 %: nothing new.
        ingest(container.uow(), container.clock, org, _batch(account, "c", 5))
        ingest(container.uow(), container.clock, org, _batch(account, "d", 19))
        assert _reached(container, account) == [(80, 100)]
    with smtp_server() as box:
        relay = container.relay(
            [container.notices(composer(container), SmtpMailer(box.host, box.port))]
        )
        relay.run_until_idle()
        relay.stop()
        for n in range(ROUNDS):
            assert len(box.of("allowance_reached", f"c{n}@example.com")) == 1
