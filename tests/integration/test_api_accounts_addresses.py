"""The /v1 accounts API on SQLite and PostgreSQL: invoice addresses."""

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
    _assert_problem,
    _count,
    _create,
)

ADDRESS = {
    "name": "Acme Chat KK",
    "line1": "1-2-3 Shibuya",
    "city": "Tokyo",
    "postal_code": "150-0002",
    "country": "JP",
}


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
