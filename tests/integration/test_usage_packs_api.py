"""The pack and entitlement routes over HTTP, on SQLite and PostgreSQL: a pack bought and
listed; entitlements with features and metered allowances, one more use of N units allowed or
not, all denied while dunning blocks the account; bad input refused naming the field, with
nothing written."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.catalog.extras import ExtraPackInput, create_extra_pack
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
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_billing_support import send
from tests.integration.usage_packs_support import TZ, card, charge, pack
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

COUNTED = (t.usage_packs, t.payments, t.invoices, t.invoice_lines, t.ledger_transactions)


def _setup(
    app: Plansmith, org: str, clock: TestClock, token: str = "tok_sandbox_success"
) -> tuple[str, str]:
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    new_meter(app, org, "chatbot_sessions")
    new_meter(app, org, "scans")
    plan = _monthly_plan(
        {"JPY": 1000},
        charges=[charge("chatbot_sessions", 3, "hard")],
        allowances={"scans": 2},
        features=["ai_assistant", "telegram"],
    )
    seed_catalog(app, org, plans={"basic": plan}, add_ons=False)
    pack(app, org, "sessions_5", "chatbot_sessions", 5, 500)
    pack(app, org, "storage_10", "storage_gb", 10, 300)
    acct = new_account(app, org, "JPY", TZ)
    card(app, org, acct, token)
    clock.set(local_at(D(2026, 3, 1), TZ, 9))
    sub_id = _subscribe(app, org, acct, "basic", 1)
    _bill(app, org)
    return acct, sub_id


def _counts(app: Plansmith) -> list[int]:
    with app.engine.connect() as connection:
        return [
            int(connection.execute(select(func.count()).select_from(x)).scalar_one())
            for x in COUNTED
        ]


def _problem(response: Any) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["code"], body["field"]


def test_a_pack_bought_over_http_is_listed_and_counts_in_the_entitlements(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org, h = tenant.organization_id, tenant.headers
    acct, sub_id = _setup(container, org, clock)
    clock.set(local_at(D(2026, 3, 10), TZ, 9))
    headers = {**h, "Idempotency-Key": "buy-1"}
    url = f"/v1/subscriptions/{sub_id}/packs"
    bought = client.post(url, json={"pack": "sessions_5", "quantity": 2}, headers=headers)
    assert bought.status_code == 201, bought.text
    body = bought.json()
    assert (body["status"], body["units"], body["amount"], body["currency"]) == (
        "paid",
        10,
        1000,
        "JPY",
    )
    assert (body["period_start"], body["period_end"]) == ("2026-03-01", "2026-04-01")
    again = client.post(url, json={"pack": "sessions_5", "quantity": 2}, headers=headers)
    assert again.json()["id"] == body["id"]
    listed = client.get(url, headers=h).json()["data"]
    assert [(p["id"], p["status"]) for p in listed] == [(body["id"], "paid")]
    assert client.get(url, params={"at": "2026-04-15"}, headers=h).json()["data"] == []

    assert (
        send(container, org, acct, "chatbot_sessions", "2026-03-10T09:00:00+09:00", 4)
        == ["accepted"] * 4
    )
    found = client.get("/v1/entitlements", params={"account_id": acct}, headers=h).json()
    assert found["overdue_state"] == ""
    assert found["features"] == [
        {"feature": "ai_assistant", "allowed": True, "reason": None},
        {"feature": "telegram", "allowed": True, "reason": None},
    ]
    rows = {a["meter"]: a for a in found["allowances"]}
    assert {
        m: (a["included"], a["extra"], a["used"], a["remaining"], a["limit"], a["allowed"])
        for m, a in rows.items()
    } == {
        "chatbot_sessions": (3, 10, 4, 9, "hard", True),
        "scans": (2, 0, 0, 2, "hard", True),  # a plain allowance: nothing prices its excess
    }
    ten = client.get(
        "/v1/entitlements",
        params={"account_id": acct, "meter": "chatbot_sessions", "units": "10"},
        headers=h,
    ).json()
    assert [(a["meter"], a["allowed"], a["reason"]) for a in ten["allowances"]] == [
        ("chatbot_sessions", False, "limit_exceeded")
    ]
    nine = client.get(
        "/v1/entitlements",
        params={"account_id": acct, "meter": "chatbot_sessions", "units": "9"},
        headers=h,
    ).json()
    assert [(a["allowed"], a["reason"]) for a in nine["allowances"]] == [(True, None)]


def test_an_account_blocked_by_dunning_is_denied_every_feature_and_use(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org, h = tenant.organization_id, tenant.headers
    set_dunning_policy(
        container.uow(), clock, org, {"stages": [{"after_days": 0, "action": "restrict"}]}
    )
    acct, _sub = _setup(container, org, clock, "tok_sandbox_insufficient_funds")
    (first,) = [i for i in _invoices(container, org) if i.account_id == acct]
    failed = collect_invoice(container.uow(), container.gateway_for(org), clock, org, first.id)
    assert failed.payment is not None and failed.payment.status.value == "failed"

    found = client.get("/v1/entitlements", params={"account_id": acct}, headers=h).json()
    assert found["overdue_state"] == "blocked"
    assert found["features"] == [
        {"feature": "ai_assistant", "allowed": False, "reason": "overdue_blocked"},
        {"feature": "telegram", "allowed": False, "reason": "overdue_blocked"},
    ]
    assert [(a["meter"], a["allowed"], a["reason"]) for a in found["allowances"]] == [
        ("chatbot_sessions", False, "overdue_blocked"),
        ("scans", False, "overdue_blocked"),
    ]


def test_bad_input_to_buy_a_pack_is_refused_naming_the_field_and_changes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org, h = tenant.organization_id, tenant.headers
    acct, sub_id = _setup(container, org, clock)
    url = f"/v1/subscriptions/{sub_id}/packs"
    usd = ExtraPackInput("usd_only", "USD only", {"USD": 500}, "chatbot_sessions", 5)
    create_extra_pack(container.uow(), clock, org, usd)
    before = _counts(container)
    refusals = [
        (client.post(url, json={"pack": "nope"}, headers=h), (422, "unknown_reference", "pack")),
        (
            client.post(url, json={"pack": "usd_only"}, headers=h),
            (422, "currency_mismatch", "pack"),
        ),
        (client.post(url, json={"pack": "storage_10"}, headers=h), (422, "invalid_value", "pack")),
        (
            client.post(url, json={"pack": "sessions_5", "quantity": 0}, headers=h),
            (422, "invalid_value", "quantity"),
        ),
        (
            client.post("/v1/subscriptions/sub_nope/packs", json={"pack": "x"}, headers=h),
            (404, "not_found", "subscription_id"),
        ),
    ]
    assert [(_problem(r), want) for r, want in refusals] == [(want, want) for _r, want in refusals]
    cancel = client.post(f"/v1/subscriptions/{sub_id}/cancel", json={"when": "now"}, headers=h)
    assert cancel.status_code == 200, cancel.text
    before = _counts(container)
    canceled = client.post(url, json={"pack": "sessions_5"}, headers=h)
    assert _problem(canceled) == (409, "invalid_transition", "status")
    assert _counts(container) == before
    assert acct


def test_bad_input_to_the_entitlements_is_refused_naming_the_field(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org, h = tenant.organization_id, tenant.headers
    acct, _sub = _setup(container, org, clock)
    before = _counts(container)
    asks = [
        ({}, (422, "invalid_value", "account_id")),
        ({"account_id": acct, "external_id": "x"}, (422, "invalid_value", "account_id")),
        ({"account_id": "acct_nope"}, (404, "account_not_found", "account_id")),
        ({"external_id": "nobody"}, (404, "account_not_found", "external_id")),
        ({"account_id": acct, "meter": "storage_gb"}, (422, "unknown_reference", "meter")),
        ({"account_id": acct, "units": "0"}, (422, "invalid_value", "units")),
        ({"account_id": acct, "units": "lots"}, (422, "invalid_value", "units")),
    ]
    answers = [(_problem(client.get("/v1/entitlements", params=q, headers=h)), w) for q, w in asks]
    assert answers == [(w, w) for _q, w in asks]
    assert _counts(container) == before
