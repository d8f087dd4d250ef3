"""The /v1 accounts API on SQLite and PostgreSQL: creating, reading and patching accounts,
and bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.api_accounts_support import (
    ACCOUNT,
    PROBLEM,
    _assert_problem,
    _count,
    _create,
)

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
