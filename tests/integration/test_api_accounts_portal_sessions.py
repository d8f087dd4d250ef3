"""The /v1 accounts API on SQLite and PostgreSQL: portal sessions."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from plansmith.bootstrap import Plansmith
from tests.conftest import START, Tenant
from tests.integration.api_accounts_support import (
    _assert_problem,
    _create,
)

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
