"""The /v1 accounts, invoice addresses and portal sessions API on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.web import create_app
from tests.conftest import START, Tenant
from tests.integration.test_tenant_isolation import api_routes

PROBLEM = "application/problem+json"
ACCOUNT = {
    "name": "Acme Chat",
    "email": "billing@acme.example",
    "currency": "JPY",
    "time_zone": "Asia/Tokyo",
    "locale": "ja_JP",
}
ADDRESS = {
    "name": "Acme Chat KK",
    "line1": "1-2-3 Shibuya",
    "city": "Tokyo",
    "postal_code": "150-0002",
    "country": "JP",
}


def _count(container: Plansmith, table: Table) -> int:
    with container.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _create(client: TestClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/accounts", json={**ACCOUNT, **fields}, headers=tenant.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _add_address(
    client: TestClient, tenant: Tenant, account_id: str, **fields: Any
) -> dict[str, Any]:
    response = client.post(
        f"/v1/accounts/{account_id}/invoice_addresses",
        json={**ADDRESS, **fields},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _assert_problem(response: Any, status: int, code: str, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"], body.get("field")) == (status, code, field)
    assert body["type"] == f"https://plansmith.dev/problems/{code}"
    assert body["detail"]
    return body


# -- accounts: happy paths --------------------------------------------------------------------


def test_create_account_returns_every_field(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/v1/accounts",
        json={**ACCOUNT, "tax_id": "T1234567890123", "external_id": "crm-1"},
        headers=tenant.headers,
    )

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "object": "account",
        "id": body["id"],
        "name": "Acme Chat",
        "email": "billing@acme.example",
        "currency": "JPY",
        "time_zone": "Asia/Tokyo",
        "locale": "ja_JP",
        "tax_id": "T1234567890123",
        "external_id": "crm-1",
        "default_invoice_address_id": None,
        "created_at": "2026-01-31T15:00:00Z",
        "updated_at": "2026-01-31T15:00:00Z",
    }
    assert body["id"].startswith("acct_") and len(body["id"]) == 25


def test_create_account_defaults_time_zone_and_locale(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/v1/accounts",
        json={"name": "Mini", "email": "mini@example.com", "currency": "USD"},
        headers=tenant.headers,
    )

    assert response.status_code == 201
    assert (response.json()["time_zone"], response.json()["locale"]) == ("UTC", "en_US")


def test_get_account_returns_what_create_returned(client: TestClient, tenant: Tenant) -> None:
    created = _create(client, tenant)

    fetched = client.get(f"/v1/accounts/{created['id']}", headers=tenant.headers)

    assert fetched.status_code == 200
    assert fetched.json() == created


def test_get_unknown_account_is_404_problem(client: TestClient, tenant: Tenant) -> None:
    response = client.get("/v1/accounts/acct_doesnotexist0000000", headers=tenant.headers)

    _assert_problem(response, 404, "not_found", "account_id")


def test_patch_account_changes_only_sent_fields(
    client: TestClient, tenant: Tenant, clock: TestClock
) -> None:
    created = _create(client, tenant, tax_id="OLD")
    clock.advance(timedelta(minutes=10))

    response = client.patch(
        f"/v1/accounts/{created['id']}",
        json={"name": "Acme Chat Global", "time_zone": "Europe/Berlin", "tax_id": "DE999"},
        headers=tenant.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        **created,
        "name": "Acme Chat Global",
        "time_zone": "Europe/Berlin",
        "tax_id": "DE999",
        "updated_at": "2026-01-31T15:10:00Z",
    }
    assert client.get(f"/v1/accounts/{created['id']}", headers=tenant.headers).json() == (
        response.json()
    )


def test_patch_account_currency_is_refused(client: TestClient, tenant: Tenant) -> None:
    created = _create(client, tenant)

    response = client.patch(
        f"/v1/accounts/{created['id']}", json={"currency": "EUR"}, headers=tenant.headers
    )

    _assert_problem(response, 422, "unknown_field", "currency")
    assert client.get(f"/v1/accounts/{created['id']}", headers=tenant.headers).json() == created


def test_patch_account_with_bad_values_changes_nothing(client: TestClient, tenant: Tenant) -> None:
    created = _create(client, tenant)

    response = client.patch(
        f"/v1/accounts/{created['id']}",
        json={"name": "Fine", "email": "broken", "locale": "zz_ZZ"},
        headers=tenant.headers,
    )

    body = _assert_problem(response, 422, "invalid_input", "email")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("email", "invalid_value"),
        ("locale", "invalid_locale"),
    ]
    assert client.get(f"/v1/accounts/{created['id']}", headers=tenant.headers).json() == created


def test_external_id_is_unique_within_an_organization(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    first = _create(client, tenant, external_id="crm-7")
    _create(client, other_tenant, external_id="crm-7")

    response = client.post(
        "/v1/accounts", json={**ACCOUNT, "external_id": "crm-7"}, headers=tenant.headers
    )

    body = _assert_problem(response, 409, "external_id_taken", "external_id")
    assert first["id"] in body["detail"]
    assert body["errors"] == [
        {"field": "external_id", "code": "external_id_taken", "message": body["detail"]}
    ]
    assert _count(container, t.accounts) == 2


def test_patch_external_id_to_one_already_taken_is_409_and_changes_nothing(
    client: TestClient, tenant: Tenant
) -> None:
    _create(client, tenant, external_id="crm-1")
    second = _create(client, tenant, external_id="crm-2")

    response = client.patch(
        f"/v1/accounts/{second['id']}", json={"external_id": "crm-1"}, headers=tenant.headers
    )

    _assert_problem(response, 409, "external_id_taken", "external_id")
    assert client.get(f"/v1/accounts/{second['id']}", headers=tenant.headers).json() == second


# -- accounts: bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"currency": "XYZ"}, "currency", "unknown_currency"),
        ({"currency": "usd"}, "currency", "unknown_currency"),
        ({"currency": 840}, "currency", "invalid_value"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "invalid_time_zone"),
        ({"email": "billing-at-acme.example"}, "email", "invalid_value"),
        ({"name": None}, "name", "invalid_value"),
        ({"name": "   "}, "name", "required"),
        ({"name": "x" * 201}, "name", "too_long"),
        ({"locale": "xx_YY"}, "locale", "invalid_locale"),
        ({"favourite_colour": "blue"}, "favourite_colour", "unknown_field"),
    ],
)
def test_create_account_with_a_bad_field_is_422_naming_it_and_writes_nothing(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    change: dict[str, Any],
    field: str,
    code: str,
) -> None:
    before = _count(container, t.accounts)

    response = client.post("/v1/accounts", json={**ACCOUNT, **change}, headers=tenant.headers)

    body = _assert_problem(response, 422, code, field)
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, code)]
    assert _count(container, t.accounts) == before == 0


def test_create_account_without_name_is_422_required(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    data = {k: v for k, v in ACCOUNT.items() if k != "name"}

    response = client.post("/v1/accounts", json=data, headers=tenant.headers)

    body = _assert_problem(response, 422, "required", "name")
    assert body["errors"] == [{"field": "name", "code": "required", "message": "Field required"}]
    assert _count(container, t.accounts) == 0


def test_create_account_with_several_bad_fields_lists_them_all(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    data = {"name": "", "email": "nope", "currency": "XYZ", "time_zone": "Mars/Olympus"}

    response = client.post("/v1/accounts", json=data, headers=tenant.headers)

    body = _assert_problem(response, 422, "invalid_input", "name")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("name", "required"),
        ("email", "invalid_value"),
        ("currency", "unknown_currency"),
        ("time_zone", "invalid_time_zone"),
    ]
    assert all(e["message"] for e in body["errors"])
    assert _count(container, t.accounts) == 0


def test_create_account_with_several_schema_errors_lists_them_all(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    response = client.post(
        "/v1/accounts", json={"email": "a@b.example", "colour": 1}, headers=tenant.headers
    )

    body = _assert_problem(response, 422, "required", "name")
    assert sorted((e["field"], e["code"]) for e in body["errors"]) == [
        ("colour", "unknown_field"),
        ("currency", "required"),
        ("name", "required"),
    ]
    assert _count(container, t.accounts) == 0


def test_create_account_with_malformed_json_is_422_problem(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    response = client.post(
        "/v1/accounts",
        content=b'{"name": ',
        headers={**tenant.headers, "content-type": "application/json"},
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "invalid_value"
    assert _count(container, t.accounts) == 0


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


# -- invoice addresses -------------------------------------------------------------------------


def test_first_address_becomes_the_default(client: TestClient, tenant: Tenant) -> None:
    account = _create(client, tenant)

    address = _add_address(client, tenant, account["id"], country="jp")

    assert address == {
        "object": "invoice_address",
        "id": address["id"],
        "account_id": account["id"],
        "name": "Acme Chat KK",
        "line1": "1-2-3 Shibuya",
        "line2": "",
        "city": "Tokyo",
        "region": "",
        "postal_code": "150-0002",
        "country": "JP",
        "default": True,
        "created_at": "2026-01-31T15:00:00Z",
        "updated_at": "2026-01-31T15:00:00Z",
    }
    fetched = client.get(f"/v1/accounts/{account['id']}", headers=tenant.headers).json()
    assert fetched["default_invoice_address_id"] == address["id"]


def test_default_true_switches_the_default_address(
    client: TestClient, tenant: Tenant, clock: TestClock
) -> None:
    account = _create(client, tenant)
    first = _add_address(client, tenant, account["id"])
    clock.advance(timedelta(seconds=1))
    second = _add_address(client, tenant, account["id"], city="Osaka")
    clock.advance(timedelta(seconds=1))
    third = _add_address(client, tenant, account["id"], city="Kyoto", default=True)

    listed = client.get(f"/v1/accounts/{account['id']}/invoice_addresses", headers=tenant.headers)

    assert second["default"] is False and third["default"] is True
    assert [(a["id"], a["default"]) for a in listed.json()["data"]] == [
        (first["id"], False),
        (second["id"], False),
        (third["id"], True),
    ]
    fetched = client.get(f"/v1/accounts/{account['id']}", headers=tenant.headers).json()
    assert fetched["default_invoice_address_id"] == third["id"]


def test_get_and_patch_an_address(client: TestClient, tenant: Tenant, clock: TestClock) -> None:
    account = _create(client, tenant)
    address = _add_address(client, tenant, account["id"])
    clock.advance(timedelta(days=1))
    url = f"/v1/accounts/{account['id']}/invoice_addresses/{address['id']}"

    patched = client.patch(url, json={"line2": "Floor 5", "country": "de"}, headers=tenant.headers)
    fetched = client.get(url, headers=tenant.headers)

    assert patched.status_code == 200, patched.text
    assert patched.json() == {
        **address,
        "line2": "Floor 5",
        "country": "DE",
        "updated_at": "2026-02-01T15:00:00Z",
    }
    assert fetched.json() == patched.json()


def test_patch_account_default_address_to_one_of_its_own(
    client: TestClient, tenant: Tenant
) -> None:
    account = _create(client, tenant)
    _add_address(client, tenant, account["id"])
    second = _add_address(client, tenant, account["id"])

    response = client.patch(
        f"/v1/accounts/{account['id']}",
        json={"default_invoice_address_id": second["id"]},
        headers=tenant.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["default_invoice_address_id"] == second["id"]


def test_patch_account_default_address_to_another_accounts_address_changes_nothing(
    client: TestClient, tenant: Tenant
) -> None:
    mine = _create(client, tenant)
    _add_address(client, tenant, mine["id"])
    mine = client.get(f"/v1/accounts/{mine['id']}", headers=tenant.headers).json()
    theirs = _create(client, tenant, name="Someone Else")
    their_address = _add_address(client, tenant, theirs["id"])

    response = client.patch(
        f"/v1/accounts/{mine['id']}",
        json={"default_invoice_address_id": their_address["id"], "name": "Renamed"},
        headers=tenant.headers,
    )

    _assert_problem(response, 404, "not_found", "address_id")
    assert client.get(f"/v1/accounts/{mine['id']}", headers=tenant.headers).json() == mine


def test_patch_account_default_address_to_unknown_address_is_404(
    client: TestClient, tenant: Tenant
) -> None:
    account = _create(client, tenant)

    response = client.patch(
        f"/v1/accounts/{account['id']}",
        json={"default_invoice_address_id": "addr_nope"},
        headers=tenant.headers,
    )

    _assert_problem(response, 404, "not_found", "address_id")
    assert client.get(f"/v1/accounts/{account['id']}", headers=tenant.headers).json() == account


def test_address_through_another_account_is_404(client: TestClient, tenant: Tenant) -> None:
    owner = _create(client, tenant)
    address = _add_address(client, tenant, owner["id"])
    stranger = _create(client, tenant, name="Stranger")

    response = client.get(
        f"/v1/accounts/{stranger['id']}/invoice_addresses/{address['id']}", headers=tenant.headers
    )

    _assert_problem(response, 404, "not_found", "address_id")


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"country": "XX"}, "country", "invalid_country"),
        ({"country": "USA"}, "country", "invalid_country"),
        ({"city": ""}, "city", "required"),
        ({"city": "   "}, "city", "required"),
        ({"line1": "x" * 201}, "line1", "too_long"),
        ({"postal_code": "1" * 21}, "postal_code", "too_long"),
        ({"default": "perhaps"}, "default", "invalid_value"),
        ({"floor": 3}, "floor", "unknown_field"),
    ],
)
def test_add_address_with_a_bad_field_is_422_naming_it_and_writes_nothing(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    change: dict[str, Any],
    field: str,
    code: str,
) -> None:
    account = _create(client, tenant)

    response = client.post(
        f"/v1/accounts/{account['id']}/invoice_addresses",
        json={**ADDRESS, **change},
        headers=tenant.headers,
    )

    body = _assert_problem(response, 422, code, field)
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, code)]
    assert _count(container, t.invoice_addresses) == 0
    assert client.get(f"/v1/accounts/{account['id']}", headers=tenant.headers).json() == account


def test_add_address_with_several_bad_fields_lists_them_all(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _create(client, tenant)

    response = client.post(
        f"/v1/accounts/{account['id']}/invoice_addresses",
        json={**ADDRESS, "name": " ", "city": "", "country": "Japan"},
        headers=tenant.headers,
    )

    body = _assert_problem(response, 422, "invalid_input", "name")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("name", "required"),
        ("city", "required"),
        ("country", "invalid_country"),
    ]
    assert _count(container, t.invoice_addresses) == 0


def test_patch_address_with_bad_country_changes_nothing(client: TestClient, tenant: Tenant) -> None:
    account = _create(client, tenant)
    address = _add_address(client, tenant, account["id"])
    url = f"/v1/accounts/{account['id']}/invoice_addresses/{address['id']}"

    response = client.patch(url, json={"city": "Nagoya", "country": "QQ"}, headers=tenant.headers)

    _assert_problem(response, 422, "invalid_country", "country")
    assert client.get(url, headers=tenant.headers).json() == address


def test_address_on_unknown_account_is_404_and_writes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    response = client.post(
        "/v1/accounts/acct_unknown/invoice_addresses", json=ADDRESS, headers=tenant.headers
    )

    _assert_problem(response, 404, "not_found", "account_id")
    assert _count(container, t.invoice_addresses) == 0


# -- portal sessions ---------------------------------------------------------------------------


def test_portal_session_returns_a_url_and_expiry(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _create(client, tenant)

    response = client.post(
        "/v1/portal_sessions",
        json={"account_id": account["id"], "expires_in": 600},
        headers=tenant.headers,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["object"] == "portal_session"
    assert body["account_id"] == account["id"]
    assert body["expires_at"] == "2026-01-31T15:10:00Z"
    assert body["url"].startswith("http://testserver/portal/enter?token=")
    token = body["url"].split("token=", 1)[1]
    claims = container.signer.verify("portal-link", token, START)
    assert (claims["acct"], claims["org"]) == (account["id"], tenant.organization_id)


def test_portal_session_defaults_to_fifteen_minutes(client: TestClient, tenant: Tenant) -> None:
    account = _create(client, tenant)

    response = client.post(
        "/v1/portal_sessions", json={"account_id": account["id"]}, headers=tenant.headers
    )

    assert response.json()["expires_at"] == "2026-01-31T15:15:00Z"


@pytest.mark.parametrize("expires_in", [59, 604801, -1])
def test_portal_session_expiry_out_of_bounds_is_422(
    client: TestClient, tenant: Tenant, expires_in: int
) -> None:
    account = _create(client, tenant)

    response = client.post(
        "/v1/portal_sessions",
        json={"account_id": account["id"], "expires_in": expires_in},
        headers=tenant.headers,
    )

    _assert_problem(response, 422, "invalid_value", "expires_in")


def test_portal_session_bounds_are_inclusive(client: TestClient, tenant: Tenant) -> None:
    account = _create(client, tenant)

    shortest = client.post(
        "/v1/portal_sessions",
        json={"account_id": account["id"], "expires_in": 60},
        headers=tenant.headers,
    )
    longest = client.post(
        "/v1/portal_sessions",
        json={"account_id": account["id"], "expires_in": 604800},
        headers=tenant.headers,
    )

    assert shortest.json()["expires_at"] == "2026-01-31T15:01:00Z"
    assert longest.json()["expires_at"] == "2026-02-07T15:00:00Z"


def test_portal_session_for_unknown_account_is_404(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/v1/portal_sessions", json={"account_id": "acct_nope"}, headers=tenant.headers
    )

    _assert_problem(response, 404, "not_found", "account_id")


# -- documentation ------------------------------------------------------------------------------


def test_openapi_lists_every_v1_route(client: TestClient, container: Plansmith) -> None:
    routes = {
        (path, method.lower())
        for path, methods, _route in api_routes(create_app(container))
        if path.startswith("/v1/")
        for method in methods
    }

    response = client.get("/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    documented = {
        (path, method) for path, ops in paths.items() if path.startswith("/v1/") for method in ops
    }
    assert documented == routes
    assert {
        ("/v1/accounts", "post"),
        ("/v1/accounts", "get"),
        ("/v1/accounts/{account_id}", "get"),
        ("/v1/accounts/{account_id}", "patch"),
        ("/v1/accounts/{account_id}/invoice_addresses", "post"),
        ("/v1/accounts/{account_id}/invoice_addresses", "get"),
        ("/v1/accounts/{account_id}/invoice_addresses/{address_id}", "get"),
        ("/v1/accounts/{account_id}/invoice_addresses/{address_id}", "patch"),
        ("/v1/portal_sessions", "post"),
    } <= routes


def test_docs_page_serves_html(client: TestClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text


def test_an_unexpected_failure_is_a_problem_not_a_stack_trace(
    container: Plansmith, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr("plansmith.application.accounts.get_account", explode)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        response = client.get("/v1/accounts/acct_x", headers=tenant.headers)

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal_error"
    assert "fire" not in response.text
