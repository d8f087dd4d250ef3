"""The allowance-threshold check after an ingest (ADR 0032) and the hard-limit check before
it read in a fixed number of statements, however many accounts a batch touches: a batch
over 60 accounts with allowance meters (one soft, one hard) runs as many statements as the
same batch over one account, on SQLite and PostgreSQL; every account's thresholds are still
published once, and a resent batch publishes none again."""

from __future__ import annotations

import json

from sqlalchemy import text

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.usage.ingest import ACCEPTED, ingest
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import D, _monthly_plan, _subscribe
from tests.integration.statement_budgets_support import counted
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_packs_support import TZ, charge
from tests.unit.subscription_builders import local_at, seed_catalog

AT = "2026-03-10T12:00:00+09:00"
METERS = ("chatbot_sessions", "scans")  # soft, hard: 5 units included each
USE = 4  # events per account and meter: 80 % of 5


def _batch(accounts: list[str], prefix: str) -> list[object]:
    return [
        {"id": f"{prefix}-{code}-{i}", "account_id": a, "code": code, "timestamp": AT}
        for a in accounts
        for code in METERS
        for i in range(USE)
    ]


def _reached(app: Plansmith) -> list[tuple[str, str, int]]:
    query = text("SELECT data FROM outbox_events WHERE type = 'allowance.threshold_reached'")
    with app.engine.connect() as connection:
        rows = [r[0] for r in connection.execute(query)]
    found = []
    for row in rows:
        data = row if isinstance(row, dict) else json.loads(row)
        body = data.get("data", data)
        found.append((body["account_id"], body["meter"], body["threshold"]))
    return sorted(found)


def _statements(app: Plansmith, org: str, events: list[object]) -> tuple[int, list[str]]:
    with counted(app) as found:
        answers = ingest(app.uow(), app.clock, org, events)
    return len(found.statements), [a.status for a in answers]


def test_a_batch_over_60_accounts_runs_as_many_statements_as_over_one(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    for code in METERS:
        new_meter(container, org, code)
    charges = [charge(METERS[0], 5, "soft"), charge(METERS[1], 5, "hard")]
    seed_catalog(container, org, plans={"basic": _monthly_plan({"JPY": 1000}, charges=charges)})
    clock.set(local_at(D(2026, 3, 1), TZ, 9))
    accounts = []
    for n in range(61):
        data = AccountInput(f"Customer {n}", f"c{n}@example.com", "JPY", TZ, "en_US")
        account = open_account(container.uow(), container.clock, org, data).id
        _subscribe(container, org, account, "basic", 1)
        accounts.append(account)
    clock.set(local_at(D(2026, 3, 10), TZ, 12))
    one, many = accounts[:1], accounts[1:]

    alone, answers = _statements(container, org, _batch(one, "a"))
    assert set(answers) == {ACCEPTED}
    sixty, answers = _statements(container, org, _batch(many, "a"))
    assert set(answers) == {ACCEPTED} and len(answers) == 60 * 2 * USE
    assert sixty == alone
    published = _reached(container)
    assert published == sorted((a, m, 80) for a in accounts for m in METERS)

    # Resent: every event a duplicate, nothing published again, the same count either way.
    again_one, answers = _statements(container, org, _batch(one, "a"))
    assert ACCEPTED not in answers
    again_many, answers = _statements(container, org, _batch(many, "a"))
    assert ACCEPTED not in answers
    assert again_many == again_one
    assert _reached(container) == published
