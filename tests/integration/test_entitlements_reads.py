"""The entitlement check's read on SQLite and PostgreSQL: three statements with the caller's
authentication (the account with everything of it but its usage, then the period's
aggregates), whether the account is named by its id or its external id, with usage, a paid
pack and an unpaid invoice; a notify stage warns and allows, a restrict stage blocks; an
account without subscriptions has nothing; a pack paid for another period counts nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.payments.collection import collect_invoice
from plansmith.application.payments.settings import set_dunning_policy
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import (
    D,
    _bill,
    _invoices,
    _monthly_plan,
    _subscribe,
)
from tests.integration.statement_budgets_support import counted
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_billing_support import send
from tests.integration.usage_packs_support import TZ, buy, card, charge, pack
from tests.unit.subscription_builders import local_at, seed_catalog


def _account(app: Plansmith, org: str, external_id: str) -> str:
    data = AccountInput("Kato Ltd", "billing@example.com", "JPY", TZ, external_id=external_id)
    return open_account(app.uow(), app.clock, org, data).id


def _setup(app: Plansmith, org: str, clock: TestClock, token: str) -> tuple[str, str]:
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    new_meter(app, org, "chatbot_sessions")
    new_meter(app, org, "scans")
    plan = _monthly_plan(
        {"JPY": 1000},
        charges=[charge("chatbot_sessions", 3, "hard")],
        allowances={"scans": 2},
        features=["ai_assistant"],
    )
    seed_catalog(app, org, plans={"basic": plan}, add_ons=False)
    pack(app, org, "sessions_5", "chatbot_sessions", 5, 500)
    acct = _account(app, org, "kato-1")
    card(app, org, acct, token)
    clock.set(local_at(D(2026, 3, 1), TZ, 9))
    sub_id = _subscribe(app, org, acct, "basic", 1)
    _bill(app, org)
    return acct, sub_id


def _fail_first_invoice(app: Plansmith, org: str, clock: TestClock, acct: str) -> None:
    (first,) = [i for i in _invoices(app, org) if i.account_id == acct]
    failed = collect_invoice(app.uow(), app.gateway_for(org), clock, org, first.id)
    assert failed.payment is not None and failed.payment.status.value == "failed"


def _standing(found: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (a["meter"], a["included"], a["extra"], a["used"], a["remaining"], a["allowed"])
        for a in found["allowances"]
    ]


def test_the_check_reads_in_three_statements_by_id_or_external_id(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org, h = tenant.organization_id, tenant.headers
    acct, sub_id = _setup(container, org, clock, "tok_sandbox_success")
    clock.set(local_at(D(2026, 3, 10), TZ, 9))
    assert buy(container, org, sub_id, "sessions_5").purchase.status.value == "paid"
    send(container, org, acct, "chatbot_sessions", "2026-03-10T09:00:00+09:00", 4)
    assert client.get("/v1/organization", headers=h).status_code == 200  # the key's first use

    answers = []
    for named in ({"account_id": acct}, {"external_id": "kato-1"}):
        with counted(container) as seen:
            response = client.get("/v1/entitlements", params=named, headers=h)
        assert response.status_code == 200, response.text
        # The key, the account with all of it but its usage, the period's aggregates.
        assert len(seen.statements) == 3, seen.statements
        assert seen.transactions == 1
        answers.append(response.json())

    by_id, by_external_id = answers
    assert by_id == by_external_id
    assert by_id["overdue_state"] == ""
    assert by_id["features"] == [{"feature": "ai_assistant", "allowed": True, "reason": None}]
    assert _standing(by_id) == [("chatbot_sessions", 3, 5, 4, 4, True), ("scans", 2, 0, 0, 2, True)]


def test_a_notify_stage_warns_and_allows_a_restrict_stage_blocks(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org, h = tenant.organization_id, tenant.headers
    set_dunning_policy(
        container.uow(),
        clock,
        org,
        {
            "stages": [
                {"after_days": 0, "action": "notify"},
                {"after_days": 3, "action": "restrict"},
            ]
        },
    )
    acct, _sub = _setup(container, org, clock, "tok_sandbox_insufficient_funds")
    _fail_first_invoice(container, org, clock, acct)

    warned = client.get("/v1/entitlements", params={"account_id": acct}, headers=h).json()
    assert warned["overdue_state"] == "warning"
    assert warned["features"] == [{"feature": "ai_assistant", "allowed": True, "reason": None}]
    assert [(a["meter"], a["allowed"]) for a in warned["allowances"]] == [
        ("chatbot_sessions", True),
        ("scans", True),
    ]


def test_an_account_without_subscriptions_has_nothing_and_a_missing_one_is_named(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org, h = tenant.organization_id, tenant.headers
    acct = _account(container, org, "bare-1")
    found = client.get("/v1/entitlements", params={"external_id": "bare-1"}, headers=h).json()
    assert (found["account_id"], found["features"], found["allowances"]) == (acct, [], [])
    missing = client.get("/v1/entitlements", params={"external_id": "nobody"}, headers=h)
    assert (missing.status_code, missing.json()["field"]) == (404, "external_id")


def test_a_pack_paid_for_the_previous_period_counts_nothing_in_the_next(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org, h = tenant.organization_id, tenant.headers
    acct, sub_id = _setup(container, org, clock, "tok_sandbox_success")
    clock.set(local_at(D(2026, 3, 10), TZ, 9))
    buy(container, org, sub_id, "sessions_5")
    clock.set(local_at(D(2026, 4, 2), TZ, 9))
    _bill(container, org)  # renews into April

    found = client.get("/v1/entitlements", params={"account_id": acct}, headers=h).json()
    assert _standing(found)[0] == ("chatbot_sessions", 3, 0, 0, 3, True)
