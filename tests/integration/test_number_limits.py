"""Numbers above the bounds of domain/limits.py are refused at the edge, on SQLite and
PostgreSQL: 422 `too_large` naming the field and the bound, and nothing written. Before the
bounds, 2,147,483,648 seats answered 500 on PostgreSQL (a 32-bit column), a price of 2**63 or
10**40 was published and subscribing to it answered 500, and the portal took 999,999,999 seats
and reviewed a charge of trillions.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel.limits import MAX_ALLOWANCE, MAX_PRICE, MAX_QUANTITY
from tests.conftest import Tenant
from tests.integration.console_catalog_support import (
    _edit_form,
    _error_beside,
    _versions,
    bronze,
    operator_client,
)
from tests.integration.portal_plans_support import (
    BUSINESS_X5,
    _customer,
    _enter,
    _error_of,
    _snapshot,
    _text,
)
from tests.integration.table_rows import every_row

__all__ = ["bronze", "operator_client"]  # fixtures
PROBLEM = "application/problem+json"
SEATS_PLAN = {
    "code": "seats",
    "name": "Seats",
    "family": "chat",
    "terms": {"base_prices": {"USD": 1000}},
    "channels": ["website"],
    "publish": True,
}


def _rows(container: Plansmith) -> list[list[tuple[Any, ...]]]:
    return every_row(container.engine, skip=frozenset({"idempotency_keys"}))


def _refusals(answers: list[Any]) -> list[tuple[int, str, str, str]]:
    found = []
    for answer in answers:
        assert answer.headers["content-type"] == PROBLEM, answer.text
        body = answer.json()
        found.append((answer.status_code, body["code"], body["field"], body["detail"]))
    return found


@pytest.fixture
def seller(client: TestClient, tenant: Tenant) -> dict[str, str]:
    def made(path: str, body: dict[str, Any]) -> str:
        answer = client.post(path, json=body, headers=tenant.headers)
        assert answer.status_code == 201, answer.text
        made_id: str = answer.json()["id"]
        return made_id

    made("/v1/plan_families", {"code": "chat", "name": "Chat"})
    account = {"name": "Big Buyer", "email": "billing@big.example", "currency": "USD"}
    add_on = {
        "code": "extra",
        "name": "Extra",
        "prices": [{"currency": "USD", "cycle": "month", "amount": 100}],
        "quantity_allowed": True,
    }
    return {
        "plan_id": made("/v1/plans", SEATS_PLAN),
        "add_on_id": made("/v1/add_ons", add_on),
        "account_id": made("/v1/accounts", account),
    }


def test_too_many_seats_or_add_on_units_are_422_naming_the_bound_and_write_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, seller: dict[str, str]
) -> None:
    sub = {"account_id": seller["account_id"], "plan": "seats"}
    before = _rows(container)

    answers = [
        client.post(
            "/v1/subscriptions", json={**sub, "quantity": 2_147_483_648}, headers=tenant.headers
        ),
        client.post("/v1/subscriptions", json={**sub, "quantity": 10**40}, headers=tenant.headers),
        client.post(
            "/v1/subscriptions", json={**sub, "add_ons": {"extra": 2**63}}, headers=tenant.headers
        ),
        client.get(
            f"/v1/plans/{seller['plan_id']}/quote",
            params={"cycle": "month", "currency": "USD", "quantity": 10**30},
            headers=tenant.headers,
        ),
    ]

    bound = "must be at most 1,000,000"
    assert _refusals(answers) == [
        (422, "too_large", "quantity", f"quantity: {bound}"),
        (422, "too_large", "quantity", f"quantity: {bound}"),
        (422, "too_large", "add_ons.extra", f"add_ons.extra: {bound}"),
        (422, "too_large", "quantity", f"quantity: {bound}"),
    ]
    assert _rows(container) == before


def test_a_change_to_too_many_seats_is_422_previewed_or_not(
    client: TestClient, container: Plansmith, tenant: Tenant, seller: dict[str, str]
) -> None:
    sub = {"account_id": seller["account_id"], "plan": "seats", "quantity": MAX_QUANTITY}
    created = client.post("/v1/subscriptions", json=sub, headers=tenant.headers)
    assert created.status_code == 201, created.text
    url = f"/v1/subscriptions/{created.json()['id']}/changes"
    before = _rows(container)

    answers = [
        client.post(f"{url}/preview", json={"quantity": MAX_QUANTITY + 1}, headers=tenant.headers),
        client.post(url, json={"quantity": 2_147_483_648}, headers=tenant.headers),
    ]

    assert [(a.status_code, a.json()["code"], a.json()["field"]) for a in answers] == [
        (422, "too_large", "quantity")
    ] * 2
    assert _rows(container) == before


HUGE_CATALOG = [
    ("/v1/plans", {**SEATS_PLAN, "code": "p1", "terms": {"base_prices": {"USD": 2**63}}},
     "terms.base_prices.USD", "a price is at most 10,000,000,000 minor units"),
    ("/v1/plans", {**SEATS_PLAN, "code": "p2",
                   "terms": {"prices": [{"currency": "USD", "cycle": "year", "amount": 10**40}]}},
     "terms.prices[0].amount", "a price is at most 10,000,000,000 minor units"),
    ("/v1/plans", {**SEATS_PLAN, "code": "p3", "terms": {
        "base_prices": {"USD": MAX_PRICE // 10}, "cycle_discounts": {"year": "10"}}},
     "terms.base_prices.USD", "1,000,000,000 a month over 12 months comes to 12,000,000,000, "
     "more than the largest price, 10,000,000,000 minor units"),
    ("/v1/plans", {**SEATS_PLAN, "code": "p4", "terms": {
        "prices": [{"currency": "USD", "cycle": "61_months", "amount": 100}]}},
     "terms.prices[0].cycle", "a billing cycle is at most five years: 60 months"),
    ("/v1/plans", {**SEATS_PLAN, "code": "p5",
                   "terms": {"base_prices": {"USD": 100}, "max_seats": 2_147_483_648}},
     "terms.max_seats", "max_seats is at most 1,000,000"),
    ("/v1/plans", {**SEATS_PLAN, "code": "p6",
                   "terms": {"base_prices": {"USD": 100}, "allowances": {"scans": 10**13}}},
     "terms.allowances.scans", "scans is at most 1,000,000,000,000"),
    ("/v1/add_ons", {"code": "a1", "name": "A", "prices": [
        {"currency": "USD", "cycle": "month", "amount": 2**63}]},
     "prices[0].amount", "a price is at most 10,000,000,000"),
    ("/v1/extra_packs", {"code": "x1", "name": "X", "prices": {"USD": 10**40},
                         "allowance": "scans", "amount": 5},
     "prices.USD", "prices.USD: must be at most 10,000,000,000"),
    ("/v1/extra_packs", {"code": "x2", "name": "X", "prices": {"USD": 5},
                         "allowance": "scans", "amount": MAX_ALLOWANCE + 1},
     "amount", "amount: must be at most 1,000,000,000,000"),
    ("/v1/coupons", {"code": "c1", "name": "C", "kind": "amount", "amounts": {"USD": 2**63}},
     "amounts.USD", "amounts.USD: must be at most 10,000,000,000"),
    ("/v1/coupons", {"code": "c2", "name": "C", "kind": "percent", "percent": "10",
                     "duration": "repeating", "cycles": 2**40},
     "cycles", "cycles: must be at most 1,000"),
    ("/v1/coupons", {"code": "c3", "name": "C", "kind": "percent",
                     "percent": "10.00000000000000001"},
     "percent", "a percentage has at most 4 decimal places"),
    ("/v1/tax_rates", {"name": "T", "percent": "10.00000000000000001"},
     "percent", "a percentage has at most 4 decimal places"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "body", "field", "detail"), HUGE_CATALOG)
def test_huge_prices_amounts_and_counts_are_refused_naming_field_and_bound(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    seller: dict[str, str],
    path: str,
    body: dict[str, Any],
    field: str,
    detail: str,
) -> None:
    before = _rows(container)

    answer = client.post(path, json=body, headers=tenant.headers)

    assert answer.status_code == 422, answer.text
    assert (answer.json()["code"], answer.json()["field"]) in {
        ("too_large", field),
        ("too_many_decimals", field),
    }
    assert detail in answer.json()["detail"]
    assert _rows(container) == before


def test_a_credit_note_of_10_to_the_40_is_422_naming_amount(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    before = _rows(container)

    answer = client.post(
        "/v1/invoices/inv_none/credit_notes",
        json={"amount": 10**40, "reason": "Too much"},
        headers=tenant.headers,
    )

    assert (answer.status_code, answer.json()["code"], answer.json()["field"]) == (
        422,
        "too_large",
        "amount",
    )
    assert "4,000,000,000,000,000,000" in answer.json()["detail"]
    assert _rows(container) == before


# -- the portal's seats field -----------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["999999999", "99999999999", "1" + "0" * 5000])
def test_the_portal_shows_the_bound_beside_quantity_for_too_many_seats(
    client: TestClient, container: Plansmith, tenant: Tenant, quantity: str
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    before = _snapshot(container)
    sent = {**BUSINESS_X5, "quantity": quantity, "csrf_token": csrf, "expect": "x"}

    pages = [
        client.post(f"/portal/plans/chat/{step}", data=sent)
        for step in ("change", "review", "confirm")
    ]

    for page in pages:
        assert page.status_code == 422
        assert _error_of(page, "quantity") == "Quantity is at most 1,000,000"
        assert "at least 1" not in _error_of(page, "quantity")
        assert "a quantity it allows to see the total" in _text(page)  # no total shown
    assert _snapshot(container) == before


# -- the console's plan editor ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        ({"min_seats": "99999999999"}, "min_seats", "min_seats is at most 1,000,000"),
        ({"max_seats": "1" + "0" * 5000}, "max_seats", "max_seats is at most 1,000,000"),
        ({"base_price__USD": "1000000000000"}, "base_price-USD", "a price is at most"),
        ({"allowances": "scans = 99999999999999"}, "allowances", "scans is at most"),
    ],
)
def test_the_console_shows_the_bound_beside_the_field_and_saves_nothing(
    operator_client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    bronze: Any,
    changes: dict[str, str],
    field_id: str,
    message: str,
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")

    answer = operator_client.post(
        f"/console/plans/{bronze.plan.id}/draft", data=_edit_form(page, **changes)
    )

    assert answer.status_code == 422 and "Nothing was saved" in answer.text
    assert message in _error_beside(answer, field_id)
    assert len(_versions(container, tenant, bronze)) == 1
