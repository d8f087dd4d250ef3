"""The /v1 accounts API on SQLite and PostgreSQL: pagination and search."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from tests.conftest import Tenant
from tests.integration.api_accounts_support import (
    _assert_problem,
    _create,
)

# -- pagination and search ---------------------------------------------------------------------


def test_cursor_pagination_walks_every_account_once_in_creation_order(
    client: TestClient, tenant: Tenant, clock: TestClock
) -> None:
    created = []
    for n in range(45):
        created.append(_create(client, tenant, name=f"Customer {n:02d}")["id"])
        clock.advance(timedelta(seconds=1))

    pages = []
    cursor = None
    for _ in range(4):
        params: dict[str, Any] = {"limit": 20, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/accounts", params=params, headers=tenant.headers)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break

    assert [len(p["data"]) for p in pages] == [20, 20, 5]
    assert [p["has_more"] for p in pages] == [True, True, False]
    assert [p["object"] for p in pages] == ["list"] * 3
    assert [a["id"] for p in pages for a in p["data"]] == created


def test_cursor_pagination_is_exact_when_accounts_share_one_instant(
    client: TestClient, tenant: Tenant
) -> None:
    created = {_create(client, tenant, name=f"Same Second {n}")["id"] for n in range(25)}

    first = client.get("/v1/accounts", params={"limit": 10}, headers=tenant.headers).json()
    second = client.get(
        "/v1/accounts", params={"limit": 10, "cursor": first["next_cursor"]}, headers=tenant.headers
    ).json()
    third = client.get(
        "/v1/accounts",
        params={"limit": 10, "cursor": second["next_cursor"]},
        headers=tenant.headers,
    ).json()

    seen = [a["id"] for page in (first, second, third) for a in page["data"]]
    assert [len(first["data"]), len(second["data"]), len(third["data"])] == [10, 10, 5]
    assert len(seen) == len(set(seen)) == 25
    assert set(seen) == created
    assert third["next_cursor"] is None


def test_bad_cursor_is_422_naming_cursor(client: TestClient, tenant: Tenant) -> None:
    response = client.get("/v1/accounts", params={"cursor": "garbage!"}, headers=tenant.headers)

    _assert_problem(response, 422, "invalid_cursor", "cursor")


@pytest.mark.parametrize("limit", [0, 101, "many"])
def test_limit_out_of_range_is_422_naming_limit(
    client: TestClient, tenant: Tenant, limit: object
) -> None:
    response = client.get("/v1/accounts", params={"limit": limit}, headers=tenant.headers)

    _assert_problem(response, 422, "invalid_value", "limit")


def test_search_matches_part_of_name_or_email_case_insensitively(
    client: TestClient, tenant: Tenant, clock: TestClock
) -> None:
    by_name = _create(client, tenant, name="Northwind Traders")
    clock.advance(timedelta(seconds=1))
    by_email = _create(client, tenant, name="Contoso", email="AP@Northwind-Mail.example")
    _create(client, tenant, name="Fabrikam", email="billing@fabrikam.example")
    literal = _create(client, tenant, name="100% Uptime_Co")

    found = client.get("/v1/accounts", params={"search": "northw"}, headers=tenant.headers)
    percent = client.get("/v1/accounts", params={"search": "0% u"}, headers=tenant.headers)
    wildcard = client.get("/v1/accounts", params={"search": "%"}, headers=tenant.headers)
    nothing = client.get("/v1/accounts", params={"search": "zzz"}, headers=tenant.headers)

    assert [a["id"] for a in found.json()["data"]] == [by_name["id"], by_email["id"]]
    assert [a["id"] for a in percent.json()["data"]] == [literal["id"]]
    assert [a["id"] for a in wildcard.json()["data"]] == [literal["id"]]
    assert nothing.json() == {"object": "list", "data": [], "next_cursor": None, "has_more": False}
